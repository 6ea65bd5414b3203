#!/usr/bin/env python3
"""An independent PyTorch reference of `nst stylize` (Gatys style transfer).

Same objective as src/gatys.rs, written from the formulas with PyTorch autograd:
its own VGG16 (F.conv2d / F.relu / F.max_pool2d from the .npy weights that
`nst weights import` / weights/fetch.sh write), its own Gram matrix and losses,
and torch.optim.LBFGS(history_size=100, lr=1, max_iter=1, line_search_fn=None)
called once per iteration.

    L(x) = alpha * sum_l c_l * Lc_l  +  beta * sum_l w_l * E_l

  gatys   : Lc = 1/2 sum (F - P)^2               E = sum (G - A)^2 / (4 N^2 M^2)
            content relu4_2 (c=1); style relu1_1..relu5_1 (w=0.2); alpha=1, beta=1000
  seed002 : Lc = mean (F - P)^2                  E = sum (G - A)^2 / (N^3 M)
            content and style conv1_1..conv5_1 (weight 1 each); alpha=1, beta=100

with F an N x M matrix (N channels, M = H*W positions), G = F F^T.
Several styles: A = sum_s (b_s / sum b) * (M_out / M_s) * gram(F_s): each Gram
is rescaled to the output's number of positions M_out at that layer (for equal
sizes this is the plain Gram).

The variable is x in the network's input space (Caffe convention:
x[c] = 255 * rgb[2 - c] - mean_bgr[c], BGR order, mean [103.939, 116.779, 123.68]),
as in nst; pictures go in and out as H x W x 3 float32 RGB [0,1] .npy files, so
both programs see exactly the same pixels (no resizing here).

Outputs (each optional):
  --log CSV          iter,seconds,total,content,style — the loss at the image each
                     iteration started from (what torch's step() returns, and what
                     nst logs), seconds = wall time of that step() call
  --out NPY          the final picture, RGB [0,1] (clipped to [0,1]), H x W x 3
  --out-png PNG      the same, 8-bit
  --grad-out NPY     dLoss/dImage at the initial picture (or --image), RGB [0,1]
                     space, H x W x 3 (autograd through the preprocessing)
  --terms-out JSON   every loss term at the initial picture
  stdout             a summary: final loss, median s/iteration, peak RSS

Usage (from the repository root):
  $PY scripts/reference/torch_gatys.py --weights weights/vgg16 \
      --content-npy c.npy --style-npy s.npy --iterations 300 --threads 2 \
      --log torch.csv --out torch.npy [--grad-out g.npy] [--loss seed002]
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

MEAN_BGR = (103.939, 116.779, 123.68)

# VGG16's feature layers, in order; "pool" is 2x2 max pooling, stride 2, floor.
VGG16 = [
    ("conv1_1", "relu1_1"), ("conv1_2", "relu1_2"), "pool1",
    ("conv2_1", "relu2_1"), ("conv2_2", "relu2_2"), "pool2",
    ("conv3_1", "relu3_1"), ("conv3_2", "relu3_2"), ("conv3_3", "relu3_3"), "pool3",
    ("conv4_1", "relu4_1"), ("conv4_2", "relu4_2"), ("conv4_3", "relu4_3"), "pool4",
    ("conv5_1", "relu5_1"), ("conv5_2", "relu5_2"), ("conv5_3", "relu5_3"), "pool5",
]

PRESETS = {
    "gatys": dict(
        content=[("relu4_2", 1.0)],
        style=[(l, 0.2) for l in ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")],
        alpha=1.0, beta=1000.0),
    "seed002": dict(
        content=[(l, 1.0) for l in ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")],
        style=[(l, 1.0) for l in ("conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1")],
        alpha=1.0, beta=100.0),
}


class Vgg16:
    """The VGG16 convolutional stack up to the deepest layer asked for."""

    def __init__(self, weights_dir, dtype):
        self.params = {}
        for item in VGG16:
            if isinstance(item, str):
                continue
            conv = item[0]
            pair = []
            for kind in ("weight", "bias"):
                path = os.path.join(weights_dir, f"{conv}.{kind}.npy")
                if not os.path.isfile(path):
                    sys.exit(f"error: missing weight file {path} (run `bash weights/fetch.sh`)")
                pair.append(torch.from_numpy(np.load(path)).to(dtype))
            self.params[conv] = tuple(pair)

    def features(self, x, taps):
        """{name: activation} for every name in `taps` (conv*, relu* or pool* names)."""
        want, out = set(taps), {}
        for item in VGG16:
            if len(out) == len(want):
                break
            if isinstance(item, str):
                x = F.max_pool2d(x, 2, 2)
                names = [(item, x)]
            else:
                w, b = self.params[item[0]]
                pre = F.conv2d(x, w, b, padding=1)
                x = F.relu(pre)
                names = [(item[0], pre), (item[1], x)]
            for name, value in names:
                if name in want:
                    out[name] = value
        missing = want - out.keys()
        if missing:
            sys.exit(f"error: unknown layer(s) {sorted(missing)}")
        return out


def to_network(rgb):
    """(1,3,H,W) RGB [0,1] -> Caffe network space (BGR, 0-255, mean subtracted)."""
    mean = torch.tensor(MEAN_BGR, dtype=rgb.dtype).view(1, 3, 1, 1)
    return (255.0 * rgb.flip(1) - mean).contiguous()


def from_network(x):
    mean = torch.tensor(MEAN_BGR, dtype=x.dtype).view(1, 3, 1, 1)
    return ((x + mean) / 255.0).flip(1)


def load_rgb(path, dtype):
    a = np.load(path)
    if a.ndim != 3 or a.shape[2] != 3:
        sys.exit(f"error: {path}: shape {a.shape}, expected H x W x 3")
    return torch.from_numpy(a.astype(np.float64)).permute(2, 0, 1).unsqueeze(0).to(dtype)


def gram(f):
    """G = F F^T with F the C x (H W) view of a (1,C,H,W) activation."""
    m = f[0].reshape(f.shape[1], -1)
    return m @ m.t()


class Objective:
    """The loss of src/gatys.rs, from its formulas."""

    def __init__(self, vgg, preset, content_x, styles_x, blend=None, norm="gatys"):
        self.vgg, self.norm = vgg, norm
        self.content_layers, self.style_layers = preset["content"], preset["style"]
        self.alpha, self.beta = preset["alpha"], preset["beta"]
        self.taps = [l for l, _ in self.content_layers + self.style_layers]
        blend = blend or [1.0] * len(styles_x)
        with torch.no_grad():
            fc = vgg.features(content_x, self.taps)
            self.P = {l: fc[l].clone() for l, _ in self.content_layers}
            m_out = {l: fc[l].shape[2] * fc[l].shape[3] for l, _ in self.style_layers}
            self.A = {l: 0.0 for l, _ in self.style_layers}
            for s, b in zip(styles_x, blend):
                fs = vgg.features(s, [l for l, _ in self.style_layers])
                for l, _ in self.style_layers:
                    m_s = fs[l].shape[2] * fs[l].shape[3]
                    self.A[l] = self.A[l] + gram(fs[l]) * (b / sum(blend) * m_out[l] / m_s)

    def content_loss(self, f, p):
        d = f - p
        return 0.5 * (d * d).sum() if self.norm == "gatys" else (d * d).mean()

    def style_loss(self, f, a):
        # The constant is applied before squaring: sum ((G - A) / (2 N M))^2 rather than
        # sum (G - A)^2 / (4 N^2 M^2). Same value, but after L-BFGS's occasional huge
        # steps (G ~ 1e23) the unscaled squares overflow float32 to inf.
        n, m = f.shape[1], f.shape[2] * f.shape[3]
        if self.norm == "gatys":
            d = (gram(f) - a) / (2.0 * n * m)
        else:
            d = (gram(f) - a) / (float(n) ** 3 * m) ** 0.5
        return (d * d).sum()

    def terms(self, x):
        """Every term as a tensor (autograd-ready): per layer, content, style, total."""
        f = self.vgg.features(x, self.taps)
        per = {}
        content = sum(c * self._put(per, f"content:{l}", self.content_loss(f[l], self.P[l]))
                      for l, c in self.content_layers)
        style = sum(w * self._put(per, f"style:{l}", self.style_loss(f[l], self.A[l]))
                    for l, w in self.style_layers)
        return per, content, style, self.alpha * content + self.beta * style

    @staticmethod
    def _put(d, k, v):
        d[k] = v
        return v


def terms_and_grad(obj, rgb):
    """Loss terms (floats) and dLoss/dRGB (H x W x 3) at an RGB [0,1] picture."""
    rgb = rgb.clone().requires_grad_(True)
    per, content, style, total = obj.terms(to_network(rgb))
    total.backward()
    values = {k: v.item() for k, v in per.items()}
    values.update(content=content.item(), style=style.item(), total=total.item())
    return values, rgb.grad[0].permute(1, 2, 0).contiguous()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default="weights/vgg16", help="folder of convB_I.{weight,bias}.npy")
    ap.add_argument("--content-npy", required=True, help="H x W x 3 float32 RGB [0,1]")
    ap.add_argument("--style-npy", required=True, action="append", help="repeat for a blend")
    ap.add_argument("--style-weights", help="blend weights, e.g. 0.7,0.3 (default equal)")
    ap.add_argument("--image", help="picture for --grad-out/--terms-out (default: the content)")
    ap.add_argument("--loss", choices=sorted(PRESETS), default="gatys")
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    ap.add_argument("--log", help="CSV of the loss per iteration")
    ap.add_argument("--out", help="final picture .npy (RGB [0,1], clipped)")
    ap.add_argument("--out-png", help="final picture .png")
    ap.add_argument("--grad-out", help="dLoss/dImage .npy at --image (RGB [0,1] space)")
    ap.add_argument("--terms-out", help="JSON of the loss terms at --image")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    vgg = Vgg16(args.weights, dtype)
    content = load_rgb(args.content_npy, dtype)
    styles = [load_rgb(p, dtype) for p in args.style_npy]
    blend = [float(b) for b in args.style_weights.split(",")] if args.style_weights else None
    if blend is not None and len(blend) != len(styles):
        sys.exit("error: --style-weights needs one weight per --style-npy")
    obj = Objective(vgg, PRESETS[args.loss], to_network(content),
                    [to_network(s) for s in styles], blend, args.loss)
    h, w = content.shape[2], content.shape[3]
    print(f"torch {torch.__version__}, {args.threads} threads, {args.dtype}, {args.loss}, {h}x{w}")

    if args.grad_out or args.terms_out:
        at = load_rgb(args.image, dtype) if args.image else content
        values, g = terms_and_grad(obj, at)
        print("terms at the initial picture: " + ", ".join(f"{k} {v:.6e}" for k, v in values.items()))
        if args.grad_out:
            np.save(args.grad_out, g.detach().numpy().astype(np.float32))
        if args.terms_out:
            with open(args.terms_out, "w") as fh:
                json.dump(values, fh, indent=1)

    if args.iterations > 0:
        run(obj, content, args)
    print(f"peak_rss_mb={peak_rss_mb():.1f}")


def run(obj, content, args):
    x = to_network(content).detach().clone().requires_grad_(True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=1, history_size=100, line_search_fn=None)
    last = {}

    def closure():
        opt.zero_grad()
        _, c, s, total = obj.terms(x)
        total.backward()
        last.update(content=c.item(), style=s.item(), total=total.item())
        return total

    log = open(args.log, "w") if args.log else None
    if log:
        log.write("iter,seconds,total,content,style\n")
    times, start = [], time.perf_counter()
    for it in range(1, args.iterations + 1):
        t0 = time.perf_counter()
        opt.step(closure)
        times.append(time.perf_counter() - t0)
        if log:
            log.write(f"{it},{times[-1]:.4f},{last['total']:.8e},{last['content']:.8e},{last['style']:.8e}\n")
            log.flush()
        if not np.isfinite(last["total"]):
            print(f"loss became non-finite at iteration {it}")
            break
    wall = time.perf_counter() - start
    logged = dict(last)
    with torch.no_grad():
        _, c, s, total = obj.terms(x)
    print(f"iterations={len(times)} wall_s={wall:.1f} median_s_per_iter={statistics.median(times):.4f}")
    print(f"loss_at_last_iteration={logged['total']:.6e} (the image iteration {len(times)} started from)")
    print(f"final_loss={float(total):.6e} content={float(c):.6e} style={float(s):.6e} (the final image)")
    rgb = from_network(x.detach())[0].permute(1, 2, 0).clamp(0, 1).numpy().astype(np.float32)
    if args.out:
        np.save(args.out, rgb)
    if args.out_png:
        from PIL import Image
        Image.fromarray((rgb * 255.0 + 0.5).astype(np.uint8)).save(args.out_png)


if __name__ == "__main__":
    main()
