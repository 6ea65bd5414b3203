#!/usr/bin/env python3
"""Fixtures for tests/gatys_vs_torch.rs: the whole Gatys objective in float64 PyTorch.

Uses the objective of torch_gatys.py (own VGG16, Gram, losses, autograd) on small
pictures and writes tests/fixtures/torch_gatys/:

  content.npy  64 x 80 x 3 float32 RGB [0,1]: tubingen.jpg, PIL Lanczos resize to
               100 x 133 (H x W), centre crop 64 x 80
  style.npy    64 x 80 x 3: starry_night.jpg, resized to 100 x 126, centre crop
  style2.npy   48 x 64 x 3: the_scream.jpg, resized to 100 x 81, crop (a second style of
               another size: exercises the M_out / M_s Gram rescaling and the blend)
  image.npy    64 x 80 x 3: X = clip(content + U(-0.08, 0.08), 0, 1), numpy seed 3
  <case>.terms.npy  float64 [total, content, style, per-layer values...] (order in MANIFEST)
  <case>.grad.npy   float64 64 x 80 x 3: dLoss/dImage at X in RGB [0,1] space
  lbfgs_gatys.losses.npy  float64 [K]: torch.optim.LBFGS(lr=1, max_iter=1, history 100,
               no line search) from the content picture, loss returned by step() 1..K

Cases: gatys (style.npy), seed002 (style.npy), gatys_blend (style.npy weight 0.7,
style2.npy weight 0.3).

Run from the repository root (needs the weights: bash weights/fetch.sh):
  $PY scripts/reference/torch_gatys_fixtures.py [--weights weights/vgg16]
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import PIL
from PIL import Image
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gatys import PRESETS, Objective, Vgg16, terms_and_grad, to_network  # noqa: E402

OUT = "tests/fixtures/torch_gatys"
IMAGES = "/work/shared/images"
LBFGS_STEPS = 3


def crop(path, h_resized, h, w):
    """Resize so the height is h_resized (aspect kept, Lanczos), then centre-crop h x w."""
    img = Image.open(path).convert("RGB")
    w_resized = round(img.width * h_resized / img.height)
    img = img.resize((w_resized, h_resized), Image.LANCZOS)
    top, left = (h_resized - h) // 2, (w_resized - w) // 2
    a = np.asarray(img.crop((left, top, left + w, top + h)), dtype=np.float32) / 255.0
    return a.astype(np.float32)


def t(a):
    return torch.from_numpy(a.astype(np.float64)).permute(2, 0, 1).unsqueeze(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", default="weights/vgg16")
    ap.add_argument("--images", default=IMAGES)
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(2)

    pics = {
        "content": crop(f"{args.images}/content/tubingen.jpg", 100, 64, 80),
        "style": crop(f"{args.images}/style/starry_night.jpg", 100, 64, 80),
        "style2": crop(f"{args.images}/style/the_scream.jpg", 100, 48, 64),
    }
    rng = np.random.default_rng(3)
    noise = rng.uniform(-0.08, 0.08, size=pics["content"].shape)
    pics["image"] = np.clip(pics["content"] + noise, 0.0, 1.0).astype(np.float32)
    files = {}
    for name, a in pics.items():
        files[f"{name}.npy"] = a

    vgg = Vgg16(args.weights, torch.float64)
    net = {k: to_network(t(v)) for k, v in pics.items()}
    cases = {
        "gatys": ("gatys", [net["style"]], None),
        "seed002": ("seed002", [net["style"]], None),
        "gatys_blend": ("gatys", [net["style"], net["style2"]], [0.7, 0.3]),
    }
    orders = {}
    for case, (norm, styles, blend) in cases.items():
        obj = Objective(vgg, PRESETS[norm], net["content"], styles, blend, norm)
        values, g = terms_and_grad(obj, t(pics["image"]))
        order = ["total", "content", "style"] + [k for k in values if ":" in k]
        orders[case] = order
        files[f"{case}.terms.npy"] = np.array([values[k] for k in order], dtype=np.float64)
        files[f"{case}.grad.npy"] = g.detach().numpy()
        print(case, ", ".join(f"{k} {values[k]:.6e}" for k in order))

    obj = Objective(vgg, PRESETS["gatys"], net["content"], [net["style"]], None, "gatys")
    x = net["content"].clone().contiguous().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=1, history_size=100, line_search_fn=None)

    def closure():
        opt.zero_grad()
        total = obj.terms(x)[3]
        total.backward()
        return total

    losses = [opt.step(closure).item() for _ in range(LBFGS_STEPS)]
    files["lbfgs_gatys.losses.npy"] = np.array(losses, dtype=np.float64)
    print("lbfgs", " ".join(f"{v:.6e}" for v in losses))

    lines = []
    for name, a in files.items():
        path = os.path.join(OUT, name)
        np.save(path, a)
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        lines.append(f"  {name}  {a.dtype}  shape={list(a.shape)}  sha256={sha}")
    write_manifest(lines, orders)


def write_manifest(lines, orders):
    order_lines = "\n".join(f"  {case}.terms.npy: {', '.join(o)}" for case, o in orders.items())
    text = f"""# PyTorch fixtures for the whole Gatys objective (tests/gatys_vs_torch.rs)
generator: scripts/reference/torch_gatys_fixtures.py (objective: scripts/reference/torch_gatys.py)
torch: {torch.__version__}  numpy: {np.__version__}  pillow: {PIL.__version__}
weights: weights/vgg16 (weights/fetch.sh; Caffe VGG16, convention caffe-bgr255)
precision: float64 throughout (weights and pictures widened from float32 exactly)

pictures (H x W x 3 float32 RGB [0,1], centre crops after a PIL Lanczos resize):
  content.npy  tubingen.jpg      resized to height 100, crop 64 x 80
  style.npy    starry_night.jpg  resized to height 100, crop 64 x 80
  style2.npy   the_scream.jpg    resized to height 100, crop 48 x 64
  image.npy    X = clip(content + U(-0.08, 0.08), 0, 1), numpy default_rng(3); float32

network input: x[c] = 255 * rgb[2 - c] - mean_bgr[c], mean_bgr = 103.939, 116.779, 123.68
VGG16: 3x3 convs, zero padding 1, ReLU; 2x2 max pools, stride 2, floor.
F: a layer's activation as an N x M matrix (N channels, M = H*W); G = F F^T.

cases (loss and dLoss/dImage at X; targets from content.npy and the style pictures):
  gatys        content relu4_2 (c=1): 1/2 sum (F - P)^2
               style relu1_1, relu2_1, relu3_1, relu4_1, relu5_1 (w=0.2): sum (G - A)^2 / (4 N^2 M^2)
               total = 1 * content + 1000 * style
  seed002      content conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 (weight 1): mean (F - P)^2
               style the same layers (weight 1): sum (G - A)^2 / (N^3 M)
               total = 1 * content + 100 * style
  gatys_blend  as gatys with two styles: A = 0.7 * gram(style) + 0.3 * (M_out / M_s2) * gram(style2)
               (M_out, M_s2: positions of the output and of style2 at that layer)
  content = sum_l c_l * content_l, style = sum_l w_l * style_l (before alpha, beta)
  <case>.terms.npy order:
{order_lines}
  <case>.grad.npy: dLoss/dRGB at X, H x W x 3 (autograd through the preprocessing)

lbfgs_gatys.losses.npy: the gatys case optimised from x = the content picture (network
  space) by torch.optim.LBFGS(lr=1, max_iter=1, history_size=100, line_search_fn=None),
  {LBFGS_STEPS} calls of step(); entry k = the loss step k returned (at the image it started from).
  Only {LBFGS_STEPS} steps: step 2's quasi-Newton step with lr=1 overshoots on this objective
  (step 3 starts at ~5e34, at 256x192 too), and after such a blow-up float32 and float64
  runs no longer follow the same path. Steps 1-3 check the first scaled-gradient step
  (t = min(1, 1/|g|_1)) and the first two-loop step.

files:
""" + "\n".join(lines) + "\n"
    with open(os.path.join(OUT, "MANIFEST.txt"), "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
