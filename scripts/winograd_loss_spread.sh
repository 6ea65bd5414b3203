#!/usr/bin/env bash
# How far the final loss of a 300-iteration `nst stylize` at 256 px moves with the
# convolution algorithm, against how far it moves when only im2col's summation order
# changes (2 threads → 1). Each content/style pair is run four times: im2col on two
# threads (the reference), im2col on one thread, `--conv winograd2` (F(2,3), about as
# accurate as im2col) and `--conv auto` (F(4,3) where it is faster) on two. The losses
# are deterministic for a given binary and thread count, so the machine may be busy.
# Prints one table row per pair, in percent from the reference (docs/performance.md,
# "A 300-iteration stylize at 256 px").
#
#   bash scripts/winograd_loss_spread.sh [OUT=out/loss_spread] [ITERATIONS=300]
#
# Content and style pictures: docs/samples and, when present, ../shared/images.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=${1:-out/loss_spread}
ITERATIONS=${2:-300}
mkdir -p "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst
S=docs/samples
X=../shared/images
pairs=("$S/tubingen.jpg $S/starry_night.jpg" "$S/tubingen.jpg $S/the_scream.jpg")
if [ -d "$X" ]; then
    pairs+=("$X/content/chelsea.png $X/style/shipwreck.jpg"
        "$X/content/golden_gate.jpg $X/style/woman-with-hat-matisse.jpg"
        "$X/content/hoovertowernight.jpg $X/style/the_scream.jpg"
        "$X/content/astronaut.png $X/style/starry_night.jpg")
fi
# The loss the run ends with: the last "loss …" of its final report.
final_loss() {
    grep -o 'loss [0-9][0-9.e+-]*' "$1" | tail -1 | cut -d' ' -f2
}
printf '| content, style | im2col, 2 threads | im2col, 1 thread | winograd2 | auto |\n'
printf '|---|---|---|---|---|\n'
for pair in "${pairs[@]}"; do
    read -r content style <<<"$pair"
    name="$(basename "${content%.*}")_$(basename "${style%.*}")"
    run() { # conv threads tag
        RAYON_NUM_THREADS=$2 "$NST" stylize --content "$content" --style "$style" --size 256 \
            --iterations "$ITERATIONS" --conv "$1" -q \
            -o "$OUT/${name}_$3.png" >"$OUT/${name}_$3.log" 2>&1
        final_loss "$OUT/${name}_$3.log"
    }
    ref=$(run im2col 2 im2col2)
    one=$(run im2col 1 im2col1)
    two=$(run winograd2 2 winograd2)
    auto=$(run auto 2 auto2)
    pct() { python3 -c "print(f'{100 * ($1 - $ref) / $ref:+.2f} %')"; }
    printf '| %s | %s | %s | %s | %s |\n' "$name" "$ref" "$(pct "$one")" "$(pct "$two")" "$(pct "$auto")"
done
