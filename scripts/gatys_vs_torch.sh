#!/usr/bin/env bash
# `nst stylize` against an independent PyTorch implementation of the same
# objective and optimiser (scripts/reference/torch_gatys.py: autograd, same weights, same
# loss definitions, torch.optim.LBFGS with lr 1, history 100, no line search), side by side.
#
# For each size (longest side): both programs read the same pre-resized H×W×3 float32 .npy
# pictures (tubingen × starry_night), start from the content picture and run ITERS L-BFGS
# iterations, one after the other, with THREADS threads each. Reported per run: the total
# loss at the image the last iteration started from (both programs log it), the median seconds per iteration, the wall time and the peak RSS
# (/usr/bin/time -v "Maximum resident set size"); and dLoss/dImage at the content picture
# from `nst loss --grad-out` against torch's autograd gradient (relative error
# ‖a − b‖ / max(‖a‖, ‖b‖)).
#
#   bash scripts/gatys_vs_torch.sh [SIZES="256 512"] [ITERS=300] [OUT=out/gatys_vs_torch]
#
# NST_FLAGS adds flags to both nst commands (e.g. NST_FLAGS="--conv im2col").
#
# Needs the torch venv (bash scripts/reference/setup_venv.sh; PY overrides the python) and
# /usr/bin/time (apt-get install -y time). Run on a quiet machine: timings are wall-clock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SIZES=${1:-256 512}
ITERS=${2:-300}
OUT=${3:-out/gatys_vs_torch}
THREADS=${THREADS:-2}
PY=${PY:-/tmp/nst-ref-venv/bin/python}
read -r -a NST_FLAGS <<< "${NST_FLAGS:-}"
IMAGES=${NST_SHARED_IMAGES:-/work/shared/images}
WEIGHTS=${WEIGHTS:-weights/vgg16}
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
[ -x "$PY" ] || { echo "error: no python at $PY (bash scripts/reference/setup_venv.sh, or set PY)" >&2; exit 1; }
mkdir -p "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst
export RAYON_NUM_THREADS=$THREADS

rss_mb() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall_s() { awk '/Elapsed \(wall clock\)/ {n=split($NF,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; printf "%.1f", s}' "$1"; }

for S in $SIZES; do
    "$PY" scripts/reference/to_npy.py "$IMAGES/content/tubingen.jpg" "$S" "$OUT/content_$S.npy" >/dev/null
    "$PY" scripts/reference/to_npy.py "$IMAGES/style/starry_night.jpg" "$S" "$OUT/style_$S.npy" >/dev/null
    echo "$S: nst start $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/timeline.txt"
    /usr/bin/time -v -o "$OUT/nst_$S.time" "$NST" stylize --weights "$WEIGHTS" \
        --content "$OUT/content_$S.npy" --style "$OUT/style_$S.npy" --size "$S" --init content \
        --optimizer lbfgs --iterations "$ITERS" --log-every 1 --log "$OUT/nst_$S.csv" -q "${NST_FLAGS[@]}" \
        -o "$OUT/nst_$S.png" > "$OUT/nst_$S.out" 2>&1
    echo "$S: torch start $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/timeline.txt"
    /usr/bin/time -v -o "$OUT/torch_$S.time" "$PY" scripts/reference/torch_gatys.py --weights "$WEIGHTS" \
        --content-npy "$OUT/content_$S.npy" --style-npy "$OUT/style_$S.npy" --iterations "$ITERS" \
        --threads "$THREADS" --log "$OUT/torch_$S.csv" --out "$OUT/torch_$S.npy" --out-png "$OUT/torch_$S.png" \
        --grad-out "$OUT/grad_torch_$S.npy" > "$OUT/torch_$S.out" 2>&1
    echo "$S: done $(date +%T), load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/timeline.txt"
    "$NST" loss --weights "$WEIGHTS" --content "$OUT/content_$S.npy" --style "$OUT/style_$S.npy" \
        --size "$S" --image "$OUT/content_$S.npy" --grad-out "$OUT/grad_nst_$S.npy" "${NST_FLAGS[@]}" > "$OUT/loss_$S.txt"
done

# One markdown table from the logs: nst's CSV has cumulative seconds, torch's per step.
"$PY" - "$OUT" "$SIZES" <<'EOF' | tee "$OUT/summary.md"
import csv, sys
import numpy as np
out, sizes = sys.argv[1], sys.argv[2].split()
def rows(p): return list(csv.DictReader(open(p)))
def field(p, key):
    for line in open(p):
        if key in line: return line.split(":", 1)[1].strip()
def secs(p):
    t = [l for l in open(p) if "Elapsed (wall clock)" in l][0].rsplit(" ", 1)[1].split(":")
    return sum(float(x) * 60 ** i for i, x in enumerate(reversed(t)))
print("| size | program | final loss | loss vs torch | median s/iter | s/iter vs torch | wall (s) | peak RSS (MB) | dLoss/dImage rel. error |")
print("|---|---|---|---|---|---|---|---|---|")
for s in sizes:
    n, t = rows(f"{out}/nst_{s}.csv"), rows(f"{out}/torch_{s}.csv")
    cum = np.array([float(r["seconds"]) for r in n])
    n_it = np.median(np.diff(np.concatenate([[0.0], cum])))
    t_it = np.median([float(r["seconds"]) for r in t])
    # The same quantity on both sides: the loss at the image the last iteration started from
    # (what torch's step() returns and what nst logs each iteration).
    n_loss, t_loss = float(n[-1]["total"]), float(t[-1]["total"])
    a, b = np.load(f"{out}/grad_nst_{s}.npy").astype(np.float64), np.load(f"{out}/grad_torch_{s}.npy").astype(np.float64)
    rel = np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))
    h, w = np.load(f"{out}/content_{s}.npy").shape[:2]
    rss = lambda p: float(field(p, "Maximum resident set size")) / 1024
    print(f"| {w}×{h} | nst | {n_loss:.4e} | {n_loss / t_loss:.4f} | {n_it:.3f} | {n_it / t_it:.2f} | {secs(f'{out}/nst_{s}.time'):.0f} | {rss(f'{out}/nst_{s}.time'):.0f} | {rel:.1e} |")
    print(f"| {w}×{h} | torch | {t_loss:.4e} | 1 | {t_it:.3f} | 1 | {secs(f'{out}/torch_{s}.time'):.0f} | {rss(f'{out}/torch_{s}.time'):.0f} | |")
EOF
