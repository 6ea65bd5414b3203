#!/usr/bin/env bash
# Gatys et al. Fig. 1 (the "content alone / style alone" figure), in the paper's setting: a
# photo rebuilt from white noise by its content at conv1_2 … conv5_2, and a painting
# rebuilt by its style from conv1_1, conv1_1+conv2_1, … up to conv5_1, where the paper's
# convN_M are rectified (Caffe's ReLUs run in place: this project's reluN_M) and the
# network pools by averaging, as the paper did. Writes OUT/content_row.png,
# OUT/style_row.png and OUT/reconstructions.png (both rows).
#
#   bash scripts/figures/reconstructions.sh [OUT=docs/images] [SIZE=192] [ITERATIONS=200]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${1:-docs/images}; SIZE=${2:-192}; ITERS=${3:-200}
IMAGES=${NST_IMAGES:-docs/samples}
CONTENT=$IMAGES/tubingen.jpg; STYLE=$IMAGES/starry_night.jpg
mkdir -p "$OUT/work"
cargo build --release --quiet
NST=target/release/nst
content=(); style=()
for b in 1 2 3 4 5; do
    "$NST" reconstruct content "$CONTENT" --layers "relu${b}_2" --pooling avg --size "$SIZE" --iterations "$ITERS" -q -o "$OUT/work/content_conv${b}_2.png"
    content+=("$OUT/work/content_conv${b}_2.png")
done
layers=""
for b in 1 2 3 4 5; do
    layers="${layers:+$layers,}relu${b}_1"
    "$NST" reconstruct style "$STYLE" --layers "$layers" --pooling avg --size "$SIZE" --iterations "$ITERS" -q -o "$OUT/work/style_to_conv${b}_1.png"
    style+=("$OUT/work/style_to_conv${b}_1.png")
done
"$NST" montage "${content[@]}" --cols 5 --cell 128 -o "$OUT/content_row.png"
"$NST" montage "${style[@]}" --cols 5 --cell 128 -o "$OUT/style_row.png"
"$NST" montage "${content[@]}" "${style[@]}" --cols 5 --cell 128 -o "$OUT/reconstructions.png"
echo "reconstructions: $OUT/reconstructions.png (top: content from relu1_2…relu5_2; bottom: style from relu1_1, +relu2_1, … +relu5_1; average pooling)"
