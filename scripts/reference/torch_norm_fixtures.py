#!/usr/bin/env python3
"""Texture Networks layer fixtures from PyTorch autograd (float64, NCHW).

Batch norm (train mode with running statistics, and inference mode), instance
norm, nearest-neighbour x2 upsampling and the leaky ReLU. For each case we draw
inputs with a fixed seed, run the PyTorch forward, pick a random upstream
gradient dy and let autograd compute the vector-Jacobian products (gradients of
the scalar sum(y * dy)). Files are `<case>.<tensor>.npy` in
tests/fixtures/torch_norm/, described in MANIFEST.txt.

Usage:  python scripts/reference/torch_norm_fixtures.py [--out DIR]
"""
import argparse
import hashlib
import os

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240602
N, C, H, W = 2, 3, 5, 4
EPS = 1e-5
MOMENTUM = 0.1
SLOPE = 0.01


def randn(gen, *shape):
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def spread_input(gen, shape):
    """Normal values plus a per-channel offset and scale, so no group has a tiny
    variance (the Rust finite-difference checks use the same idea)."""
    x = randn(gen, *shape)
    offset = randn(gen, 1, shape[1], 1, 1)
    scale = 0.5 + torch.rand(1, shape[1], 1, 1, generator=gen, dtype=torch.float64)
    return x * scale + offset


def affine(gen):
    gamma = 0.5 + torch.rand(C, generator=gen, dtype=torch.float64)
    beta = randn(gen, C)
    return gamma.requires_grad_(True), beta.requires_grad_(True)


def batchnorm_train(gen):
    x = spread_input(gen, (N, C, H, W)).requires_grad_(True)
    gamma, beta = affine(gen)
    rm0 = randn(gen, C)
    rv0 = 0.5 + torch.rand(C, generator=gen, dtype=torch.float64)
    rm, rv = rm0.clone(), rv0.clone()  # F.batch_norm updates these in place
    y = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=MOMENTUM, eps=EPS)
    dy = randn(gen, *y.shape)
    dx, dgamma, dbeta = torch.autograd.grad(y, (x, gamma, beta), grad_outputs=dy)
    return dict(x=x, gamma=gamma, beta=beta, running_mean0=rm0, running_var0=rv0,
                y=y, dy=dy, dx=dx, dgamma=dgamma, dbeta=dbeta,
                running_mean1=rm, running_var1=rv)


def batchnorm_eval(gen):
    x = spread_input(gen, (N, C, H, W))
    gamma, beta = affine(gen)
    rm = randn(gen, C)
    rv = 0.5 + torch.rand(C, generator=gen, dtype=torch.float64)
    y = F.batch_norm(x, rm, rv, gamma, beta, training=False, eps=EPS)
    return dict(x=x, gamma=gamma, beta=beta, running_mean=rm, running_var=rv, y=y)


def instancenorm(gen):
    x = spread_input(gen, (N, C, H, W)).requires_grad_(True)
    gamma, beta = affine(gen)
    y = F.instance_norm(x, weight=gamma, bias=beta, eps=EPS)
    dy = randn(gen, *y.shape)
    dx, dgamma, dbeta = torch.autograd.grad(y, (x, gamma, beta), grad_outputs=dy)
    return dict(x=x, gamma=gamma, beta=beta, y=y, dy=dy, dx=dx, dgamma=dgamma, dbeta=dbeta)


def upsample(gen):
    x = randn(gen, N, C, 3, 5).requires_grad_(True)
    y = F.interpolate(x, scale_factor=2, mode="nearest")
    dy = randn(gen, *y.shape)
    (dx,) = torch.autograd.grad(y, (x,), grad_outputs=dy)
    return dict(x=x, y=y, dy=dy, dx=dx)


def leaky_relu(gen):
    x = randn(gen, N, C, H, W)
    x = torch.where(x >= 0, x + 0.1, x - 0.1).requires_grad_(True)  # |x| >= 0.1
    y = F.leaky_relu(x, SLOPE)
    dy = randn(gen, *y.shape)
    (dx,) = torch.autograd.grad(y, (x,), grad_outputs=dy)
    return dict(x=x, y=y, dy=dy, dx=dx)


def save_case(out, case, tensors):
    lines = []
    for name, t in tensors.items():
        arr = np.ascontiguousarray(t.detach().numpy().astype(np.float64))
        path = os.path.join(out, f"{case}.{name}.npy")
        np.save(path, arr)
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        lines.append(f"    {case}.{name}.npy  shape={list(arr.shape)}  sha256={sha}")
    return lines


HEADER = """# PyTorch normalisation / upsampling / leaky ReLU fixtures (float64, NCHW)
generator: scripts/reference/torch_norm_fixtures.py  (seed {seed})
torch: {torch}   numpy: {numpy}

Every file is `<case>.<tensor>.npy`, float64, C-order. Inputs x are N x C x H x W
(N={n}, C={c}, H={h}, W={w}; upsample uses 3 x 5), drawn per channel with an offset
and a scale in [0.5, 1.5] so no normalisation group has a tiny variance.
gamma, beta: per-channel scale and shift (C). dy: random upstream gradient (shape
of y). dx, dgamma, dbeta: autograd gradients of the scalar sum(y * dy).

batchnorm_train: F.batch_norm(x, rm, rv, gamma, beta, training=True,
    momentum={mom}, eps={eps}). Statistics per channel over (N, H, W); the
    forward normalises with the biased variance. running_mean0/var0 are the
    running statistics before the call, running_mean1/var1 after:
    r1 = (1 - momentum) * r0 + momentum * batch_stat, with the UNBIASED batch
    variance (times k/(k-1), k = N*H*W) for the running variance.
batchnorm_eval: F.batch_norm(x, running_mean, running_var, gamma, beta,
    training=False, eps={eps}): y = gamma*(x - mean)/sqrt(var + eps) + beta.
instancenorm: F.instance_norm(x, weight=gamma, bias=beta, eps={eps}).
    Statistics per (item, channel) over (H, W), biased variance.
upsample_nearest2: F.interpolate(x, scale_factor=2, mode='nearest'):
    y[..., 2i+a, 2j+b] = x[..., i, j]; dx sums each 2x2 block of dy.
leaky_relu: F.leaky_relu(x, {slope}); |x| >= 0.1 (away from the kink).

Tolerance: float64 autograd values; an f64 Rust implementation should match
with rel_error (max abs diff / max |value|) <= 1e-12.

cases:
"""

CASES = [
    ("batchnorm_train", batchnorm_train),
    ("batchnorm_eval", batchnorm_eval),
    ("instancenorm", instancenorm),
    ("upsample_nearest2", upsample),
    ("leaky_relu", leaky_relu),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/torch_norm")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    text = HEADER.format(
        seed=SEED, torch=torch.__version__, numpy=np.__version__,
        n=N, c=C, h=H, w=W, eps=EPS, mom=MOMENTUM, slope=SLOPE,
    )
    for case, make in CASES:
        tensors = make(gen)
        text += f"  {case}: tensors {' '.join(tensors)}\n"
        text += "\n".join(save_case(args.out, case, tensors)) + "\n"
    with open(os.path.join(args.out, "MANIFEST.txt"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
