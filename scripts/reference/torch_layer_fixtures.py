#!/usr/bin/env python3
"""Layer forward/backward fixtures from PyTorch autograd (float64, NCHW).

For each case we draw inputs with a fixed seed, run the PyTorch forward, pick
a random upstream gradient dy and let autograd compute the vector-Jacobian
products  dx = (dy/dx)^T dy  (likewise dw, db), i.e. the gradients of the
scalar  sum(y * dy).  Files are `<case>.<tensor>.npy` in
tests/fixtures/torch_layers/, described in MANIFEST.txt.

Usage:  python scripts/reference/torch_layer_fixtures.py [--out DIR]
"""
import argparse
import hashlib
import os

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240601
N, C, H, W, O = 2, 3, 7, 9, 4  # odd spatial sizes on purpose

# name -> (kernel, stride, pad, padding mode)
CONV_CASES = {
    "conv_k3s1p1": (3, 1, 1, "zeros"),
    "conv_k3s2p0": (3, 2, 0, "zeros"),
    "conv_k1s1p0": (1, 1, 0, "zeros"),
    "conv_k5s2p2": (5, 2, 2, "zeros"),
    "conv_k3s1p1_circular": (3, 1, 1, "circular"),
}


def conv_case(gen, k, s, p, mode):
    x = torch.randn(N, C, H, W, generator=gen, dtype=torch.float64)
    w = torch.randn(O, C, k, k, generator=gen, dtype=torch.float64)
    w /= (C * k * k) ** 0.5  # keep outputs O(1)
    b = torch.randn(O, generator=gen, dtype=torch.float64)
    x.requires_grad_(True)
    w.requires_grad_(True)
    b.requires_grad_(True)
    if mode == "circular":
        # wrap-around padding: index -1 reads H-1, index H reads 0 (per axis)
        y = F.conv2d(F.pad(x, (p, p, p, p), mode="circular"), w, b, stride=s)
    else:
        y = F.conv2d(x, w, b, stride=s, padding=p)
    dy = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    dx, dw, db = torch.autograd.grad(y, (x, w, b), grad_outputs=dy)
    return dict(x=x, w=w, b=b, dy=dy, y=y, dx=dx, dw=dw, db=db)


def distinct_input(gen, shape):
    """Values with no ties anywhere: a random permutation of a spaced grid.

    Neighbouring values differ by >= 0.01, so a finite-difference step below
    0.005 cannot change which element of a pooling window is the maximum.
    """
    n = int(np.prod(shape))
    perm = torch.randperm(n, generator=gen, dtype=torch.int64).to(torch.float64)
    return ((perm - n / 2) * 0.01).reshape(shape)


def pool_case(gen, op):
    x = distinct_input(gen, (N, C, H, W)).requires_grad_(True)
    y = op(x, kernel_size=2, stride=2)
    dy = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    (dx,) = torch.autograd.grad(y, (x,), grad_outputs=dy)
    return dict(x=x, dy=dy, y=y, dx=dx)


def relu_case(gen):
    x = torch.randn(N, C, H, W, generator=gen, dtype=torch.float64)
    x = torch.where(x >= 0, x + 0.1, x - 0.1)  # |x| >= 0.1: away from the kink
    x.requires_grad_(True)
    y = F.relu(x)
    dy = torch.randn(y.shape, generator=gen, dtype=torch.float64)
    (dx,) = torch.autograd.grad(y, (x,), grad_outputs=dy)
    return dict(x=x, dy=dy, y=y, dx=dx)


def save_case(out, case, tensors):
    lines = []
    for name, t in tensors.items():
        arr = np.ascontiguousarray(t.detach().numpy().astype(np.float64))
        path = os.path.join(out, f"{case}.{name}.npy")
        np.save(path, arr)
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        lines.append(f"    {case}.{name}.npy  shape={list(arr.shape)}  sha256={sha}")
    return lines


HEADER = """# PyTorch layer fixtures (float64, NCHW)
generator: scripts/reference/torch_layer_fixtures.py  (seed {seed})
torch: {torch}   numpy: {numpy}

Every file is `<case>.<tensor>.npy`, float64, C-order. Tensors:
  x  input            N x C x H x W   (N={n}, C={c}, H={h}, W={w})
  w  conv weight      O x C x k x k   (O={o}; OIHW, cross-correlation as in torch)
  b  conv bias        O
  y  forward output   N x O x Ho x Wo (conv) / N x C x Ho x Wo (pool, relu)
  dy upstream gradient, same shape as y (random normal)
  dx, dw, db  gradients of the scalar sum(y * dy) w.r.t. x, w, b (autograd)

Conv output size: Ho = floor((H + 2*pad - k) / stride) + 1 (same for Wo).
Padding modes:
  zeros     F.conv2d(x, w, b, stride, padding=pad)
  circular  F.conv2d(F.pad(x, (pad,)*4, mode='circular'), w, b, stride, padding=0):
            padded[i] = x[(i - pad) mod H] along each spatial axis (wrap-around);
            dx sums the gradients of all padded copies back onto their source.
Pools: kernel 2, stride 2, no padding, floor mode (H=7 -> 3, W=9 -> 4: the last
  row and column are dropped, so dx is zero there). Max-pool inputs are a random
  permutation of a grid with spacing 0.01: no ties anywhere. Avg-pool uses the
  same kind of input; each output is the plain mean of its 4 inputs.
ReLU: x has |x| >= 0.1 (away from the kink); dx = dy where x > 0 else 0.

Tolerance: these are float64 autograd values; an f64 Rust implementation should
match with rel_error (max abs diff / max |value|) <= 1e-12.

cases:
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/torch_layers")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)

    text = HEADER.format(
        seed=SEED, torch=torch.__version__, numpy=np.__version__,
        n=N, c=C, h=H, w=W, o=O,
    )
    for case, (k, s, p, mode) in CONV_CASES.items():
        t = conv_case(gen, k, s, p, mode)
        text += (
            f"  {case}: conv2d kernel={k} stride={s} pad={p} padding_mode={mode}"
            " tensors x w b dy y dx dw db\n"
        )
        text += "\n".join(save_case(args.out, case, t)) + "\n"
    others = [
        ("maxpool_k2s2", "max_pool2d kernel=2 stride=2 pad=0", lambda: pool_case(gen, F.max_pool2d)),
        ("avgpool_k2s2", "avg_pool2d kernel=2 stride=2 pad=0", lambda: pool_case(gen, F.avg_pool2d)),
        ("relu", "relu", lambda: relu_case(gen)),
    ]
    for case, desc, make in others:
        text += f"  {case}: {desc} tensors x dy y dx\n"
        text += "\n".join(save_case(args.out, case, make())) + "\n"
    with open(os.path.join(args.out, "MANIFEST.txt"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
