#!/usr/bin/env python3
"""VGG16 forward / forward+backward and SGEMM: nst against PyTorch, side by side.

The machine is shared, so the two are measured in alternating rounds (nst, torch, nst,
torch, ...) with the same sizes, thread count and repeats; each round reports a median of
--repeats runs after one warm-up, and the table quotes the median over rounds and the ratio
nst/torch (below 1: nst faster). Standard library only; torch runs from its own venv.

  python3 scripts/bench_vs_torch.py [--sizes 256 512] [--threads 2] [--rounds 3] [--repeats 3]
      [--python /tmp/nst-ref-venv/bin/python] [--weights weights/vgg16] [--conv auto]

Needs `cargo build --release` and the torch venv (scripts/reference/setup_venv.sh).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINE = re.compile(r"^(nst|torch) (.+?) median_s=([0-9.]+) gflops=([0-9.]+)")
RSS = re.compile(r"^(nst|torch) peak_rss_mb=([0-9.]+)")


def run(cmd, env):
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"error: {' '.join(cmd)} failed:\n{out.stderr}")
    return out.stdout


def parse(text, results, rss):
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            results.setdefault((m[1], m[2]), []).append((float(m[3]), float(m[4])))
        m = RSS.match(line)
        if m:
            rss.setdefault(m[1], []).append(float(m[2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", nargs="+", default=["256", "512"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--gemm", nargs="*", default=["64x576x65536", "512x4608x1024"])
    ap.add_argument("--python", default=os.environ.get("NST_REF_PYTHON", "/tmp/nst-ref-venv/bin/python"))
    ap.add_argument("--weights", default="weights/vgg16")
    ap.add_argument("--conv", default="auto", help="nst's --conv (im2col, winograd, winograd2, auto)")
    a = ap.parse_args()
    env = dict(os.environ, RAYON_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    nst = [os.path.join(ROOT, "target/release/nst"), "bench", "--sizes", *a.sizes, "--repeats", str(a.repeats),
           "--threads", str(a.threads), "--conv", a.conv, "--gemm", *a.gemm]
    torch = [a.python, "scripts/reference/bench_torch_vgg16.py", "--weights", a.weights, "--sizes", *a.sizes,
             "--threads", str(a.threads), "--repeats", str(a.repeats), "--gemm", *a.gemm]
    results, rss = {}, {}
    for r in range(a.rounds):
        print(f"round {r + 1}/{a.rounds}", file=sys.stderr, flush=True)
        parse(run(nst, env), results, rss)
        parse(run(torch, env), results, rss)
    whats = sorted({w for (_, w) in results}, key=lambda w: (w.split()[0], w))
    print(f"| measurement | nst median s | torch median s | nst/torch | nst GFLOP/s | torch GFLOP/s |")
    print(f"|---|---|---|---|---|---|")
    for w in whats:
        n, t = results.get(("nst", w)), results.get(("torch", w))
        if not n or not t:
            continue
        mn, mt = statistics.median(x for x, _ in n), statistics.median(x for x, _ in t)
        gn, gt = statistics.median(g for _, g in n), statistics.median(g for _, g in t)
        print(f"| {w} | {mn:.4f} | {mt:.4f} | {mn / mt:.2f} | {gn:.1f} | {gt:.1f} |")
    for side in ("nst", "torch"):
        if side in rss:
            print(f"\npeak RSS {side}: {max(rss[side]):.0f} MB")
    print(f"\n({a.rounds} alternating rounds × {a.repeats} repeats, {a.threads} threads; "
          f"each cell is the median over rounds of per-round medians)")


if __name__ == "__main__":
    main()
