#!/usr/bin/env python3
"""PyTorch CPU yardstick for the Rust VGG16: forward, forward+backward, sgemm.

Builds the VGG16 conv stack conv1_1 ... relu5_1 (13 layers' worth of weights
are read, the first 10 convs are used) from per-layer .npy files
(`conv1_1.weight.npy` [O,C,3,3] float32 OIHW, `conv1_1.bias.npy` [O], ... as
written by `nst weights import`, or by `onnx_to_npy.py` meanwhile), then times

  fwd     forward of a 1x3xSxS input up to relu5_1 (no autograd)
  fwdbwd  forward + backward of  sum(relu5_1 * R)  w.r.t. the input only
          (weights have requires_grad=False; R is fixed random)
  sgemm   torch.mm of an MxK by KxN float32 matrix, for each --gemm size

Each is run once to warm up, then --repeats times; we report the median.
FLOPs: a conv counts 2*O*C*k*k*Ho*Wo; fwdbwd counts twice the forward conv
FLOPs (input-gradient convs only: same count as the forward); pools and ReLUs
are not counted. sgemm counts 2*M*K*N.

Output, one parseable line per measurement:
  torch vgg16 fwd 256 median_s=0.123 gflops=45.6
  torch vgg16 fwdbwd 256 median_s=0.345 gflops=32.1
  torch sgemm 64x576x65536 median_s=0.012 gflops=40.0
  torch peak_rss_mb=1234.5

Usage:
  python scripts/reference/bench_torch_vgg16.py --weights DIR \
      --sizes 256 512 --threads 2 --repeats 5 [--gemm 64x576x65536 512x4608x1024]
"""
import argparse
import os
import resource
import statistics
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# The layers up to relu5_1; "pool" is 2x2 max pooling, stride 2.
LAYERS = [
    "conv1_1", "conv1_2", "pool",
    "conv2_1", "conv2_2", "pool",
    "conv3_1", "conv3_2", "conv3_3", "pool",
    "conv4_1", "conv4_2", "conv4_3", "pool",
    "conv5_1",
]


def load_weights(directory):
    params = {}
    for name in LAYERS:
        if name == "pool":
            continue
        pair = []
        for kind in ("weight", "bias"):
            path = os.path.join(directory, f"{name}.{kind}.npy")
            if not os.path.isfile(path):
                sys.exit(f"error: missing weight file {path}")
            pair.append(torch.from_numpy(np.load(path).astype(np.float32)))
        params[name] = tuple(pair)
    return params


def forward(params, x):
    """Conv(3x3, pad 1) + ReLU per conv layer, max-pool 2x2 s2 per pool."""
    for name in LAYERS:
        if name == "pool":
            x = F.max_pool2d(x, 2, 2)
        else:
            w, b = params[name]
            x = F.relu(F.conv2d(x, w, b, padding=1))
    return x


def conv_flops(params, size):
    total, h = 0, size
    for name in LAYERS:
        if name == "pool":
            h //= 2
        else:
            o, c, k, _ = params[name][0].shape
            total += 2 * o * c * k * k * h * h
    return total


def median_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def report(what, median_s, flops):
    print(f"torch {what} median_s={median_s:.6f} gflops={flops / median_s / 1e9:.2f}",
          flush=True)


def bench_vgg(params, size, repeats, gen):
    x0 = torch.rand(1, 3, size, size, generator=gen) * 255 - 120
    r = torch.randn(1, 512, size // 16, size // 16, generator=gen)
    flops = conv_flops(params, size)

    def fwd():
        with torch.no_grad():
            forward(params, x0)

    def fwdbwd():
        x = x0.clone().requires_grad_(True)
        loss = (forward(params, x) * r).sum()
        (grad,) = torch.autograd.grad(loss, (x,))
        return grad

    report(f"vgg16 fwd {size}", median_time(fwd, repeats), flops)
    report(f"vgg16 fwdbwd {size}", median_time(fwdbwd, repeats), 2 * flops)


def bench_gemm(spec, repeats, gen):
    try:
        m, k, n = (int(v) for v in spec.lower().split("x"))
    except ValueError:
        sys.exit(f"error: --gemm sizes look like MxKxN, got {spec!r}")
    a = torch.randn(m, k, generator=gen)
    b = torch.randn(k, n, generator=gen)
    c = torch.empty(m, n)
    report(f"sgemm {m}x{k}x{n}", median_time(lambda: torch.mm(a, b, out=c), repeats),
           2 * m * k * n)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", required=True, help="directory of convB_I.{weight,bias}.npy")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gemm", nargs="*", default=["64x576x65536", "512x4608x1024"],
                    help="sgemm sizes MxKxN (none: skip)")
    args = ap.parse_args()
    if args.repeats < 1 or args.threads < 1:
        sys.exit("error: --repeats and --threads must be at least 1")
    if any(s < 16 for s in args.sizes):
        sys.exit("error: --sizes must be at least 16 (four 2x2 poolings)")

    torch.set_num_threads(args.threads)
    params = load_weights(args.weights)
    gen = torch.Generator().manual_seed(0)
    print(f"# torch {torch.__version__} threads={torch.get_num_threads()} "
          f"repeats={args.repeats}", flush=True)
    for size in args.sizes:
        bench_vgg(params, size, args.repeats, gen)
    for spec in args.gemm:
        bench_gemm(spec, args.repeats, gen)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    print(f"torch peak_rss_mb={peak_kb / 1024:.1f}")


if __name__ == "__main__":
    main()
