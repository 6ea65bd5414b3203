#!/usr/bin/env bash
# A quick screen of Texture Networks training variations (docs/texture_results.md, "What holds
# the generator back"): each variation trains for 400 iterations at 64², batch 4, the seed's
# lr 0.1 (about 90 s each on two cores), and the table reports the mean training loss over
# iterations 301–400 next to what optimisation reaches at 64² (`nst texture`, L-BFGS, 500
# iterations). Only flag-level variations are here; the patched ones in the document are not.
#
#   bash scripts/texture_screen.sh [SAMPLE=/work/shared/images/texture/starry_sky.png] [OUT=out/texture_screen]
#
# ITERS (default 400) and OPT_ITERS (default 500) shorten it for a smoke test; the mean is
# always over the last quarter of the iterations.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SAMPLE=${1:-/work/shared/images/texture/starry_sky.png}
OUT=${2:-out/texture_screen}
ITERS=${ITERS:-400}
OPT_ITERS=${OPT_ITERS:-500}
FROM=$((ITERS * 3 / 4))
mkdir -p "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst

"$NST" texture "$SAMPLE" --size 64 --iterations "$OPT_ITERS" -q --log-every 10 --log "$OUT/opt64.csv" \
    -o "$OUT/opt64.png" > "$OUT/opt64.out" 2>&1
opt=$(tail -1 "$OUT/opt64.csv" | cut -d, -f4)

# mean of the "total" column over the last quarter of a training log
late_mean() { awk -F, -v from="$FROM" 'NR > 1 && $1 > from {s += $4; n++} END {printf "%.3g", s / n}' "$1"; }

printf "| variation | flags | loss %d–%d | × optimisation (%.3g) |\n|---|---|---|---|\n" \
    "$((FROM + 1))" "$ITERS" "$opt"
while IFS='|' read -r name flags; do
    dir="$OUT/$name"
    rm -rf "$dir"
    # shellcheck disable=SC2086
    "$NST" train-texture "$SAMPLE" --size 64 --batch-size 4 --iterations "$ITERS" --save-every "$ITERS" \
        -q -o "$dir" $flags > "$dir.out" 2>&1
    m=$(late_mean "$dir/train.log.csv")
    printf "| %s | \`%s\` | %s | %.1f |\n" "$name" "${flags:-(none)}" "$m" "$(awk -v a="$m" -v b="$opt" 'BEGIN {print a / b}')"
done <<'EOF'
defaults|
leaky ReLU|--activation leaky_relu
instance norm|--norm instance
lr 0.01|--lr 0.01
zero padding|--padding zero
EOF
