#!/usr/bin/env bash
# Fuzz every parser that reads outside data with AFL++ (through cargo-afl, on the stable
# toolchain), one target at a time, each for SECONDS (default 600), seeded with the small
# corpora in fuzz/seeds/ (made from tests/fixtures). See docs/fuzzing.md.
#
#   bash scripts/fuzz.sh                 # every target, 10 minutes each
#   bash scripts/fuzz.sh 60 npy onnx     # 1 minute each, two targets
#
# Needs: cargo; installs cargo-afl from crates.io if missing (it builds AFL++ from the
# source it ships, with the machine's C compiler and make). Runs under `nice -n 19`, and
# waits while /tmp/nst-quiet exists (someone is benchmarking) before starting a target.
# Findings land in fuzz/out/<target>/default/crashes/ (and hangs/); the script prints
# executions, corpus, coverage, crashes and hangs per target (appended to
# fuzz/out/summary.txt), and exits non-zero if any target crashed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
SECONDS_PER_TARGET="${1:-600}"
shift || true
ALL=(tfrecord example npy onnx manifest config picture)
TARGETS=("${@:-${ALL[@]}}")
[ "$#" -eq 0 ] && TARGETS=("${ALL[@]}")

say() { printf 'fuzz.sh: %s\n' "$*"; }

if ! cargo afl --version >/dev/null 2>&1; then
    say "installing cargo-afl (crates.io)"
    nice -n 19 cargo install --locked cargo-afl
fi
say "building the targets (cargo afl build --release)"
nice -n 19 cargo afl build --release --quiet

# AFL++ asks for a core-pattern and CPU-governor setup that a shared or unprivileged
# machine may not allow; these tell it to go on without.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_NO_AFFINITY=1

mkdir -p out
crashed=0
summary=()
for t in "${TARGETS[@]}"; do
    while [ -e /tmp/nst-quiet ]; do
        say "/tmp/nst-quiet exists: waiting before $t"
        sleep 20
    done
    out="out/$t"
    rm -rf "$out"
    say "$t: ${SECONDS_PER_TARGET}s"
    # -t 1000: a run over a second is a hang (generous: the machine may be shared).
    nice -n 19 cargo afl fuzz -V "$SECONDS_PER_TARGET" -t 1000 -i "seeds/$t" -o "$out" \
        "target/release/$t" > "out-$t.log" 2>&1 || say "$t: afl-fuzz exited with $?"
    stats="$out/default/fuzzer_stats"
    if [ -f "$stats" ]; then
        get() { sed -n "s/^$1 *: *//p" "$stats"; }
        crashes=$(get saved_crashes)
        line="$t: $(get execs_done) executions in $(get run_time) s ($(get execs_per_sec)/s), $(get corpus_count) corpus entries, $(get bitmap_cvg) coverage, $crashes crashes, $(get saved_hangs) hangs"
        [ "${crashes:-0}" -gt 0 ] && crashed=1
    else
        line="$t: no statistics (see fuzz/out-$t.log)"
        crashed=1
    fi
    say "$line"
    summary+=("$line")
done
printf '%s\n' "${summary[@]}" >> out/summary.txt
say "summary in fuzz/out/summary.txt"
exit "$crashed"
