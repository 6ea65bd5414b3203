#!/bin/sh
# Regenerate every figure and generated table of the book into book/src/figures/,
# by running the project's own commands. Run from anywhere:
#
#     book/figures.sh
#
# The outputs are committed, so `mdbook build book` works without running this; run
# it again after changing the code that produces them, and commit the result.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out=book/src/figures
mkdir -p "$out"

echo "building the release binary" >&2
cargo build --release --quiet --bin nst
nst="${CARGO_TARGET_DIR:-$repo/target}/release/nst"

# Chapter 3: the network drawings (seed 000's draw_net picture) and layer tables.
for arch in vgg16 vgg19; do
    "$nst" draw-net --arch "$arch" --size 300 --format svg -o "$out/${arch}_net_300.svg" >&2
    "$nst" layers --arch "$arch" --size 300 > "$out/${arch}_layers_300.txt"
done

# Chapter 4: the layer gradient checks (fixed seed, so the table is reproducible up
# to the last digits of round-off).
"$nst" gradcheck --seed 42 > "$out/gradcheck.txt"

echo "wrote:" >&2
ls -l "$out" >&2
