#!/usr/bin/env bash
# Texture Networks' headline claim (seed 001 §4.1), re-measured on this machine: a trained
# generator against optimisation (`nst texture`, L-BFGS from noise) run until it reaches
# the same texture loss as the generator's samples. For each size: the generator's time
# (median of REPEATS runs, generator only, as `nst generate` reports it), optimisation's
# time to the target loss (optimisation only, as `nst texture --target-loss` reports it),
# both processes' wall time and peak memory (/usr/bin/time -v "Maximum resident set
# size"). Also: the generator's warm time (`nst bench --generator`: the median of more
# samples in one process that keeps the model loaded), and the texture loss of
# optimisation's saved picture.
#
# Optimisation runs with OPT_FLAGS (default `--clamp`: every iterate is projected onto
# [0, 1], so the loss it stops at is the loss of the picture it saves — the generator's
# samples are scored as saved pictures too). OPT_FLAGS= gives the unconstrained L-BFGS,
# whose float loss can reach the target while its saved picture scores far worse.
#
#   bash scripts/texture_speed.sh MODEL SAMPLE [SIZES="256 512"] [OUT=out/texture_speed]
#
# MODEL: a folder made by `nst train-texture` (or its model/); SAMPLE: the texture it was
# trained on. Needs /usr/bin/time (apt-get install -y time). Run on a quiet machine: the
# timings are wall-clock.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
MODEL=${1:?usage: texture_speed.sh MODEL SAMPLE [SIZES] [OUT]}
SAMPLE=${2:?usage: texture_speed.sh MODEL SAMPLE [SIZES] [OUT]}
SIZES=${3:-256 512}
OUT=${4:-out/texture_speed}
REPEATS=${REPEATS:-5}
MAX_ITERS=${MAX_ITERS:-1000}
OPT_FLAGS=${OPT_FLAGS---clamp}
[ -x /usr/bin/time ] || { echo "error: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }
mkdir -p "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst

# peak RSS in MB and wall seconds from a /usr/bin/time -v report
rss_mb() { awk -F: '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$1"; }
wall_s() { awk '/Elapsed \(wall clock\)/ {n=split($NF,t,":"); s=0; for(i=1;i<=n;i++) s=s*60+t[i]; printf "%.2f", s}' "$1"; }

echo "optimisation flags: ${OPT_FLAGS:-(none)}"
printf "| size | generator (ms) | warm (ms) | generator wall (s) | generator peak RSS (MB) | samples' loss | optimisation to that loss (s) | iterations | its picture's loss | optimisation wall (s) | optimisation peak RSS (MB) | speed-up |\n"
printf "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
for S in $SIZES; do
    # 1. The generator: REPEATS samples (different seeds), generator-only time and memory.
    times=()
    for r in $(seq 1 "$REPEATS"); do
        /usr/bin/time -v "$NST" generate "$MODEL" --size "$S" --seed "$r" -o "$OUT/gen_${S}_$r.png" \
            2> "$OUT/gen_${S}_$r.txt"
        times+=("$(sed -n 's/.* in \([0-9.]*\) ms (.*/\1/p' "$OUT/gen_${S}_$r.txt")")
    done
    gen_ms=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    gen_rss=$(rss_mb "$OUT/gen_${S}_1.txt")
    gen_wall=$(wall_s "$OUT/gen_${S}_1.txt")
    warm_ms=$("$NST" bench --generator "$MODEL" --sizes "$S" --repeats 9 | tee "$OUT/bench_$S.txt" \
        | sed -n 's/.* median_s=\([0-9.]*\) .*/\1/p' | awk '{printf "%.1f", $1*1000}')
    # 2. The target: the mean texture loss of those samples (as saved, 8-bit).
    target=$("$NST" texture-loss "$SAMPLE" "$OUT"/gen_"${S}"_*.png | tee "$OUT/loss_$S.txt" \
        | awk '/^mean loss/ {print $3}')
    # 3. Optimisation from noise until the loss is at or below the target.
    # shellcheck disable=SC2086 # OPT_FLAGS is a list of flags
    /usr/bin/time -v "$NST" texture "$SAMPLE" --size "$S" --iterations "$MAX_ITERS" $OPT_FLAGS \
        --target-loss "$target" --log-every 1 --log "$OUT/opt_$S.csv" -q -o "$OUT/opt_$S.png" \
        2> "$OUT/opt_$S.txt"
    line=$(grep "reached the target loss" "$OUT/opt_$S.txt" || true)
    if [ -n "$line" ]; then
        opt_s=$(echo "$line" | sed 's/.* after \([0-9.]*\)s .*/\1/')
        iters=$(echo "$line" | sed 's/.*iteration \([0-9]*\) .*/\1/')
        speedup=$(awk -v a="$opt_s" -v b="$gen_ms" 'BEGIN {printf "%.0f×", a*1000/b}')
    else
        opt_s="not reached in $MAX_ITERS"; iters="$MAX_ITERS"; speedup="> $(awk -v b="$gen_ms" -v f="$OUT/opt_$S.csv" 'BEGIN {while ((getline l < f) > 0) {split(l, c, ","); s=c[3]} printf "%.0f×", s*1000/b}')"
    fi
    opt_loss=$("$NST" texture-loss "$SAMPLE" "$OUT/opt_$S.png" | awk '{for (i = 1; i < NF; i++) if ($i == "loss") {print $(i + 1); exit}}')
    printf "| %s² | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n" "$S" "$gen_ms" "$warm_ms" "$gen_wall" \
        "$gen_rss" "$target" "$opt_s" "$iters" "$opt_loss" "$(wall_s "$OUT/opt_$S.txt")" "$(rss_mb "$OUT/opt_$S.txt")" "$speedup"
done
