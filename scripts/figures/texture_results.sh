#!/usr/bin/env bash
# The pictures of docs/texture_results.md, from trained Texture Networks models:
#   RUNS/<texture>128/     texture models (nst train-texture … --size 128 -o RUNS/<texture>128)
#   RUNS/starry_style/     a stylisation model (nst train-style … --alpha 40)
#   RUNS/starry_style_a5/  optionally, another at --alpha 5
# (the commands that made them are in docs/texture_results.md). Writes small PNGs (≤ 256²)
# to OUT, and two overview grids for the README.
#
#   bash scripts/figures/texture_results.sh RUNS [OUT=docs/images/texture]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
RUNS=${1:?usage: texture_results.sh RUNS [OUT]}
OUT=${2:-docs/images/texture}
IMAGES=${NST_SHARED_IMAGES:-/work/shared/images}
mkdir -p "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst

for t in brick grass gravel starry_sky; do
    # The sample itself, at 128², for reference.
    "$NST" montage "$IMAGES/texture/$t.png" --cols 1 --cell 128 --gap 0 -o "$OUT/${t}_sample.png" >/dev/null
    # Generated at the training size and at twice it (the generator is fully convolutional).
    "$NST" generate "$RUNS/${t}128" --size 128 --seed 1 -o "$OUT/${t}_gen128.png"
    "$NST" generate "$RUNS/${t}128" --size 256 --seed 2 -o "$OUT/${t}_gen256.png"
done

# Tileability: one 128² sample repeated 2×2 with no gap (circular padding: no seams).
"$NST" generate "$RUNS/starry_sky128" --size 128 --seed 3 -o "$OUT/work_tile.png"
"$NST" montage "$OUT/work_tile.png" "$OUT/work_tile.png" "$OUT/work_tile.png" "$OUT/work_tile.png" \
    --cols 2 --cell 128 --gap 0 -o "$OUT/starry_sky_tiled_2x2.png" >/dev/null
rm -f "$OUT/work_tile.png"

# Stylisation of a photo that was not in the training pool, at three noise scales.
PHOTO=$IMAGES/content/golden_gate.jpg
"$NST" montage "$PHOTO" --cols 1 --cell 192 --gap 0 -o "$OUT/golden_gate.png" >/dev/null
for s in 0 1 4; do
    "$NST" apply "$RUNS/starry_style" "$PHOTO" --size 256 --noise-scale "$s" --seed 1 \
        -o "$OUT/golden_gate_starry_noise$s.png"
done
# The same with a model trained at a lower style weight (--alpha 5), if there is one.
if [ -d "$RUNS/starry_style_a5" ]; then
    for s in 0 1 4; do
        "$NST" apply "$RUNS/starry_style_a5" "$PHOTO" --size 256 --noise-scale "$s" --seed 1 \
            -o "$OUT/golden_gate_starry_a5_noise$s.png"
    done
fi

# Overviews: each texture's sample and a 256² generated sample; the photo and its three
# stylisations.
cells=()
for t in brick grass gravel starry_sky; do cells+=("$OUT/${t}_sample.png" "$OUT/${t}_gen256.png"); done
"$NST" montage "${cells[@]}" --cols 4 --cell 160 --gap 4 -o "$OUT/overview_textures.jpg" >/dev/null
style=golden_gate_starry
[ -d "$RUNS/starry_style_a5" ] && style=golden_gate_starry_a5
"$NST" montage "$OUT/golden_gate.png" "$OUT/${style}"_noise{0,1,4}.png --cols 4 --cell 160 --gap 4 \
    -o "$OUT/overview_stylised.jpg" >/dev/null
du -ch "$OUT" | tail -1
