#!/usr/bin/env bash
# Convert the notebooks to HTML (jupyter nbconvert --to html, without running them) and
# check in headless Chromium, with all networking shut off, that every formula of their
# Markdown cells is typeset: book/check_math.py counts one MathML element per $...$ and
# $$...$$ and fails on any $ left in the text.
#
#   bash notebooks/check_html.sh            # all notebooks
#   bash notebooks/check_html.sh 03         # only those whose names start with 03
#
# nbconvert's HTML loads MathJax 2 from a CDN when it is opened, so offline its formulas
# stay raw TeX. Here it loads MathJax 2.7.9 from the npm registry's `mathjax` package,
# installed next to the pages (the page refers to it as mathjax/MathJax.js); require.js,
# which only notebooks with widgets use, is left out. Installs what it needs when
# missing: nbconvert in a venv ($NST_NB_VENV, as notebooks/run_all.sh), mathjax with npm,
# and needs Chromium (Debian: apt-get install chromium).
#
# Environment (all optional):
#   NST_NB_VENV      venv for nbconvert                    [/tmp/nst-nb-venv]
#   NST_MATHJAX      npm prefix that holds mathjax         [/tmp/nst-mathjax]
#   NST_NB_HTML      the HTML pages are written here       [/tmp/nst-nb-html]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${NST_NB_VENV:-/tmp/nst-nb-venv}"
mathjax="${NST_MATHJAX:-/tmp/nst-mathjax}"
out="${NST_NB_HTML:-/tmp/nst-nb-html}"
MATHJAX_VERSION="2.7.9"

say() { printf 'check_html.sh: %s\n' "$*"; }
die() { printf 'check_html.sh: error: %s\n' "$*" >&2; exit 1; }

if [ ! -x "$venv/bin/jupyter-nbconvert" ]; then
    say "installing nbconvert into $venv"
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet nbconvert nbclient
fi
if [ ! -f "$mathjax/node_modules/mathjax/MathJax.js" ]; then
    command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm)"
    say "installing mathjax $MATHJAX_VERSION into $mathjax (npm)"
    npm install --silent --no-audit --no-fund --prefix "$mathjax" "mathjax@$MATHJAX_VERSION" ||
        die "npm install mathjax@$MATHJAX_VERSION failed"
fi

notebooks=()
for nb in "$here"/[0-9]*.ipynb; do
    name="$(basename "$nb")"
    if [ $# -eq 0 ]; then
        notebooks+=("$nb")
    else
        for prefix in "$@"; do
            case "$name" in "$prefix"*) notebooks+=("$nb") ;; esac
        done
    fi
done
[ ${#notebooks[@]} -gt 0 ] || die "no notebook matches: $*"

mkdir -p "$out"
ln -sfn "$mathjax/node_modules/mathjax" "$out/mathjax"
pairs=()
for nb in "${notebooks[@]}"; do
    name="$(basename "$nb" .ipynb)"
    "$venv/bin/jupyter" nbconvert --to html --log-level=ERROR --output-dir "$out" \
        --HTMLExporter.mathjax_url="mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe" \
        --HTMLExporter.require_js_url="data:," "$nb" ||
        die "$name: nbconvert --to html failed"
    pairs+=("$nb" "$out/$name.html")
done
say "${#notebooks[@]} notebook(s) converted into $out; opening them in Chromium"
python3 "$here/../book/check_math.py" notebook "${pairs[@]}"
