#!/usr/bin/env bash
# Build the book and fail on any mdBook warning (mdBook itself exits 0 on warnings,
# for example on an unclosed HTML tag) and on any formula that is not typeset.
# Needs mdbook and the mdbook-katex preprocessor (see book/README.md):
#   cargo install mdbook --locked --version 0.5.4
#   cargo install mdbook-katex --locked --version 0.10.0
# The listings' anchors are checked separately by `cargo test --test book_anchors`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for tool in mdbook mdbook-katex python3; do
    command -v "$tool" >/dev/null ||
        { echo "book/build.sh: $tool not found (see book/README.md, 'Building')" >&2; exit 1; }
done
# The formulas' sources first: Markdown escapes inside a formula, a stray \( or $$.
python3 book/check_math.py source
log=$(mdbook build book 2>&1 | sed 's/\x1b\[[0-9;]*m//g') || { echo "$log"; exit 1; }
# mdbook-katex 0.10.0 was built against mdBook 0.5.3 and says so on every build with
# 0.5.4; the preprocessor protocol is the same throughout 0.5, so that one line is not
# a warning about the book. (Any other mdBook version still fails below.)
log=$(grep -v 'This mdbook-katex was built against mdbook v0\.5\.3, but we are being called from mdbook v0\.5\.4\.' <<<"$log" || true)
if grep -E "WARN|ERROR" <<<"$log"; then
    echo "mdbook build book: warnings (above) — fix them" >&2
    exit 1
fi
# Every chapter page and print.html: one <math> element per formula of the source,
# no raw \( \[ $$ left in the text, nothing fetched from the network.
out=$(python3 book/check_math.py built) || { echo "$out"; exit 1; }
echo "book built: book/book/index.html (formulas typeset: ${out##*$'\n'})"
