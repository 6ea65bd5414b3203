#!/usr/bin/env bash
# Gatys et al. Fig. 3: the α/β grid. Rows: style from conv1_1; +conv2_1; … +conv5_1
# (relu outputs). Columns: α/β = 1e-5, 1e-4, 1e-3, 1e-2 (α = 1, β = 1/ratio).
# Writes OUT/alpha_beta_grid.jpg.
#
#   bash scripts/figures/alpha_beta_grid.sh [OUT=docs/images] [SIZE=256] [ITERATIONS=150] [CELL=200]
#
# About 10 minutes on two cores at the defaults (20 runs of `nst stylize`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${1:-docs/images}; SIZE=${2:-256}; ITERS=${3:-150}; CELL=${4:-200}
IMAGES=${NST_IMAGES:-docs/samples}
CONTENT=$IMAGES/tubingen.jpg; STYLE=$IMAGES/starry_night.jpg
mkdir -p "$OUT/work"
cargo build --release --quiet
NST=target/release/nst
cells=(); layers=""
for b in 1 2 3 4 5; do
    layers="${layers:+$layers,}relu${b}_1"
    for beta in 1e5 1e4 1e3 1e2; do
        f="$OUT/work/ab_to_relu${b}_1_beta${beta}.png"
        "$NST" stylize --content "$CONTENT" --style "$STYLE" --style-layers "$layers" \
            --style-weight "$beta" --size "$SIZE" --iterations "$ITERS" -q -o "$f"
        cells+=("$f")
    done
done
"$NST" montage "${cells[@]}" --cols 4 --cell "$CELL" -o "$OUT/alpha_beta_grid.jpg"
echo "α/β grid: $OUT/alpha_beta_grid.jpg (rows: style up to conv1_1 … conv5_1; columns: α/β = 1e-5, 1e-4, 1e-3, 1e-2)"
