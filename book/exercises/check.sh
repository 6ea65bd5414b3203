#!/usr/bin/env bash
# Progress table of the exercises: exercise, chapter, passed / not done yet / FAILED,
# then the message of the first failing one.
#   bash book/exercises/check.sh                       # your solutions
#   bash book/exercises/check.sh --features solutions  # the reference solutions
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cargo run --quiet --manifest-path "$here/Cargo.toml" --bin progress "$@"
