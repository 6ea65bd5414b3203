#!/usr/bin/env bash
# Build the book and fail on any mdBook warning (mdBook itself exits 0 on warnings,
# for example on an unclosed HTML tag). Needs mdbook: `cargo install mdbook --locked`.
# The listings' anchors are checked separately by `cargo test --test book_anchors`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log=$(mdbook build book 2>&1) || { echo "$log"; exit 1; }
if grep -E "WARN|ERROR" <<<"$log"; then
    echo "mdbook build book: warnings (above) — fix them" >&2
    exit 1
fi
echo "book built: book/book/index.html"
