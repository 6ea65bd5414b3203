#!/usr/bin/env python3
"""Convert a torchvision VGG16/VGG19 checkpoint into an nst weight folder.

    python3 weights/convert_torchvision.py vgg19-dcbb9e9d.pth --out weights/vgg19

Reads a state dict (`torch.save(model.state_dict(), ...)`, as torchvision distributes
them), keeps the convolutions of `features` and writes conv{B}_{I}.weight.npy (OIHW,
float32, input channels in R, G, B order), conv{B}_{I}.bias.npy and manifest.tsv with the
convention `torch-rgb01` (mean 0.485, 0.456, 0.406; std 0.229, 0.224, 0.225).

Needs numpy and torch (a CPU build is enough). Tested only on synthetic state dicts with
torchvision's key names: the real checkpoints cannot be downloaded where this was written.
Batch-norm variants (vgg16_bn, vgg19_bn) are refused: their convolutions are different
weights and the norms would be lost.
"""
import argparse
import hashlib
import io
import os
import sys

import numpy as np

# torchvision's VGG configurations: numbers are 3x3 convolutions, "M" a max-pool.
CFG = {
    "vgg16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "vgg19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"],
}
MEAN = "0.485,0.456,0.406"
STD = "0.229,0.224,0.225"


def conv_indices(arch):
    """(features index, our name) for each convolution: in `features` every conv is
    followed by a ReLU (two modules) and every "M" is one MaxPool2d module."""
    out, idx, block, i = [], 0, 1, 1
    for v in CFG[arch]:
        if v == "M":
            idx, block, i = idx + 1, block + 1, 1
        else:
            out.append((idx, f"conv{block}_{i}"))
            idx, i = idx + 2, i + 1
    return out


def npy_bytes(a):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(a, dtype="<f4"))
    return buf.getvalue()


def write_atomic(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", help="a torchvision VGG state dict (.pth)")
    ap.add_argument("--out", required=True, help="weight folder to write, e.g. weights/vgg19")
    ap.add_argument("--arch", choices=["auto", "vgg16", "vgg19"], default="auto")
    args = ap.parse_args()

    import torch  # imported late so that --help works without torch

    sd = torch.load(args.checkpoint, map_location="cpu", weights_only=True)
    if "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    if any(k.endswith("running_mean") for k in sd):
        sys.exit("error: this is a batch-norm VGG (vgg*_bn); only plain vgg16/vgg19 are supported")
    n_convs = sum(1 for k, v in sd.items() if k.startswith("features.") and k.endswith(".weight") and v.dim() == 4)
    arch = args.arch if args.arch != "auto" else {13: "vgg16", 16: "vgg19"}.get(n_convs)
    if arch is None:
        sys.exit(f"error: found {n_convs} convolutions in features.*; expected 13 (vgg16) or 16 (vgg19)")

    os.makedirs(args.out, exist_ok=True)
    manifest = os.path.join(args.out, "manifest.tsv")
    if os.path.exists(manifest):
        os.remove(manifest)  # the folder is "not a weight set" until the new manifest is written
    lines = [
        "# nst weights manifest v1",
        f"arch\t{arch}",
        f"convention\ttorch-rgb01\tmean={MEAN}\tstd={STD}",
        f"source\ttorchvision {os.path.basename(args.checkpoint)}",
    ]
    in_ch, total = 3, 0
    for (idx, name), out_ch in zip(conv_indices(arch), [v for v in CFG[arch] if v != "M"]):
        for kind, shape in (("weight", (out_ch, in_ch, 3, 3)), ("bias", (out_ch,))):
            key = f"features.{idx}.{kind}"
            if key not in sd:
                sys.exit(f"error: {args.checkpoint} has no {key} (for {name})")
            a = sd[key].detach().cpu().float().numpy()
            if a.shape != shape:
                sys.exit(f"error: {key} has shape {a.shape}, expected {shape} for {arch} {name}")
            data = npy_bytes(a)
            fname = f"{name}.{kind}.npy"
            write_atomic(os.path.join(args.out, fname), data)
            dims = "x".join(str(d) for d in shape)
            lines.append(f"tensor\t{name}.{kind}\t{fname}\t{dims}\tf32\t{hashlib.sha256(data).hexdigest()}")
            total += a.size
        in_ch = out_ch
    write_atomic(manifest, ("\n".join(lines) + "\n").encode())
    print(f"wrote {len(lines) - 4} tensors ({total} parameters, {arch} torch-rgb01) to {args.out}")


if __name__ == "__main__":
    main()
