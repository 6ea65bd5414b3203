#!/bin/sh
# Regenerate every figure and generated table of the book into book/src/figures/,
# by running the project's own commands. Run from anywhere:
#
#     book/figures.sh            # the quick ones (seconds)
#     book/figures.sh --slow     # also the pictures made by optimisation (chapters 5-8):
#                                # needs the weights (bash weights/fetch.sh) and takes
#                                # tens of minutes on two cores
#
# The outputs are committed, so `mdbook build book` works without running this; run
# it again after changing the code that produces them, and commit the result.
set -eu

slow=0
for arg in "$@"; do
    case "$arg" in
        --slow) slow=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "book/figures.sh: unknown argument '$arg' (expected --slow)" >&2; exit 2 ;;
    esac
done

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

# Chapters 2, 4, 6, 9, 11 and 12: pictures of the ideas (im2col and col2im, the Gram
# matrix, a Winograd tile, the backward walk through VGG, the Texture Networks
# generator, the tiles of the exact tiled objective), every number computed by the code
# they show.
for idea in im2col gram winograd backward-walk tiles generator; do
    "$nst" draw-idea "$idea" -o "$out/$idea.svg" >&2
done

# Chapter 4: the layer gradient checks (fixed seed, so the table is reproducible up
# to the last digits of round-off).
"$nst" gradcheck --seed 42 > "$out/gradcheck.txt"

if [ "$slow" = 1 ]; then
    if [ ! -f weights/vgg16/manifest.tsv ]; then
        echo "book/figures.sh --slow needs the weights: run bash weights/fetch.sh" >&2
        exit 1
    fi
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT

    # Chapters 5 and 6: content and style reconstructions (Gatys et al. Fig. 1), 160
    # pixels, 200 L-BFGS iterations per picture.
    bash scripts/figures/reconstructions.sh "$work" 160 200 >&2
    cp "$work/content_row.png" "$work/style_row.png" "$out/"

    # Chapter 7: the alpha/beta grid (Gatys et al. Fig. 3), 256 pixels, 150 iterations.
    bash scripts/figures/alpha_beta_grid.sh "$work" 256 150 200 >&2
    cp "$work/alpha_beta_grid.jpg" "$out/"

    # Chapter 7: seed 002's course, the picture every 100 Adam steps with its loss,
    # 192 pixels, 500 iterations.
    bash scripts/figures/seed002_progress.sh "$out" 192 500 >&2

    # Chapter 8: a texture synthesised with zero and with circular padding, each shown
    # as a 2x2 tiling, so that the seams (or their absence) can be seen.
    sample=docs/samples/starry_night.jpg
    for kind in plain tileable; do
        flag=""
        [ "$kind" = tileable ] && flag="--tileable"
        "$nst" texture "$sample" --sample-size 256 --size 128 --iterations 150 $flag -q \
            -o "$work/texture_$kind.png" >&2
        t="$work/texture_$kind.png"
        "$nst" montage "$t" "$t" "$t" "$t" --cols 2 --cell 128 --gap 0 \
            -o "$work/texture_${kind}_2x2.png" >&2
    done
    "$nst" montage "$work/texture_plain_2x2.png" "$work/texture_tileable_2x2.png" \
        --cols 2 --cell 256 --gap 8 -o "$out/texture_tiles.png" >&2
fi

echo "wrote:" >&2
ls -l "$out" >&2
