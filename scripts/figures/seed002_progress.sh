#!/usr/bin/env bash
# Seed 002's figure: the content picture taking on the style, every 100 steps, with the
# loss. Runs `nst stylize` with the course's settings (`--loss seed002`: its layers,
# weights and Adam) on Tübingen and The Starry Night, saving the picture every 100
# iterations, then puts the start and the snapshots side by side, each captioned with
# its iteration and its total loss. Writes OUT/seed002_progress.png.
#
#   bash scripts/figures/seed002_progress.sh [OUT=book/src/figures] [SIZE=192] [ITERATIONS=500] [CELL=114]
#
# About 5 minutes on two cores at the defaults. Needs the weights (bash weights/fetch.sh).
# The PNG stays under 300 KB at the default CELL.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
OUT=${1:-book/src/figures}; SIZE=${2:-192}; ITERS=${3:-500}; CELL=${4:-114}
IMAGES=${NST_IMAGES:-docs/samples}
CONTENT=$IMAGES/tubingen.jpg; STYLE=$IMAGES/starry_night.jpg
EVERY=100
if (( ITERS < EVERY || ITERS % EVERY != 0 )); then
    echo "seed002_progress.sh: ITERATIONS must be a positive multiple of $EVERY, got $ITERS" >&2
    exit 2
fi
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cargo build --release --quiet --bin nst
NST=${CARGO_TARGET_DIR:-target}/release/nst

# The loss logged at iteration N is that of the picture iteration N started from (after
# N − 1 steps), so the loss of the picture saved after N steps is logged at N + 1: run one
# iteration more than the last snapshot and log every iteration.
if ! "$NST" stylize --content "$CONTENT" --style "$STYLE" --loss seed002 --size "$SIZE" \
    --iterations $((ITERS + 1)) --log-every 1 --save-every "$EVERY" -q \
    -o "$WORK/course.png" 2> "$WORK/stylize.err"; then
    tail -n 5 "$WORK/stylize.err" >&2
    exit 1
fi
LOG=$WORK/course.log.csv

# The total loss (4th column) of the picture after N steps, as 2.35e13 (three digits,
# no "+", so that a caption fits under a picture of CELL=114 pixels).
loss_after() {
    awk -F, -v n=$(( $1 + 1 )) 'NR > 1 && $1 == n {
        s = sprintf("%.2e", $4); sub(/e\+0?/, "e", s); sub(/e-0?/, "e-", s); printf "%s", s; found = 1
    } END { exit !found }' "$LOG"
}

pictures=("$CONTENT"); labels="it 0 loss $(loss_after 0)"
for ((n = EVERY; n <= ITERS; n += EVERY)); do
    pictures+=("$WORK/course_$(printf %04d "$n").png")
    labels+=",it $n loss $(loss_after "$n")"
done
"$NST" montage "${pictures[@]}" --labels "$labels" --cols 3 --cell "$CELL" --gap 6 \
    -o "$OUT/seed002_progress.png"
echo "seed002 progress: $OUT/seed002_progress.png ($labels)"
