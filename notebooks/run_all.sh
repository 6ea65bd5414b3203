#!/usr/bin/env bash
# Execute every notebook in notebooks/ headless, in order; exit non-zero on the first
# cell that fails. Prints the time each notebook took.
#
#   bash notebooks/run_all.sh              # all notebooks
#   bash notebooks/run_all.sh 03 07        # only those whose names start with 03, 07
#
# Installs what it needs when missing, so CI can call it on a fresh machine:
#   * evcxr_jupyter (the Rust kernel) with `cargo install --locked`, and its kernelspec;
#   * jupyter's nbconvert in a venv outside the repository ($NST_NB_VENV).
# Notebooks 03 and 05-09 need the VGG16 weights: run `bash weights/fetch.sh` first.
#
# Environment (all optional):
#   NST_NB_VENV      venv for nbconvert          [/tmp/nst-nb-venv]
#   NST_NB_OUT       executed copies go here     [/tmp/nst-nb-out]
#   NST_NB_TIMEOUT   seconds allowed per cell    [1800]
#   EVCXR_TMPDIR     evcxr's build folder        [/tmp/nst-nb-build]
#
# Compile time: every evcxr kernel builds the `nst` crate and its dependencies before
# its first cell runs. With EVCXR_TMPDIR fixed, evcxr uses one cargo project and one
# target folder there instead of a fresh temporary folder per kernel, so the first
# notebook compiles `nst` and the rest reuse the build (the notebooks all ask for the
# same `:opt 2` and the same dependencies, so cargo finds nothing to rebuild). Keep
# the folder between CI runs to skip even the first build. The notebooks run one at
# a time: two kernels must not share the folder at once.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${NST_NB_VENV:-/tmp/nst-nb-venv}"
out="${NST_NB_OUT:-/tmp/nst-nb-out}"
timeout="${NST_NB_TIMEOUT:-1800}"
export EVCXR_TMPDIR="${EVCXR_TMPDIR:-/tmp/nst-nb-build}"
EVCXR_VERSION="0.22.0"

say() { printf 'run_all.sh: %s\n' "$*"; }
die() { printf 'run_all.sh: error: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# --- tools ------------------------------------------------------------------------
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v cargo >/dev/null || die "cargo not found: install a Rust toolchain (https://rustup.rs)"
if ! command -v evcxr_jupyter >/dev/null; then
    say "installing evcxr_jupyter $EVCXR_VERSION (cargo install; takes several minutes)"
    t=$(now)
    cargo install evcxr_jupyter --locked --version "$EVCXR_VERSION"
    say "evcxr_jupyter installed in $(since "$t") s"
fi
if [ ! -x "$venv/bin/jupyter-nbconvert" ]; then
    say "installing nbconvert into $venv"
    t=$(now)
    python3 -m venv "$venv" || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet nbconvert nbclient
    say "nbconvert installed in $(since "$t") s"
fi
jupyter="$venv/bin/jupyter"
# evcxr_jupyter --install writes the kernelspec `rust` to the user's Jupyter data folder
# (~/.local/share/jupyter/kernels/rust on Linux), which every jupyter searches.
if ! "$jupyter" kernelspec list 2>/dev/null | grep -q '^ *rust '; then
    say "registering the evcxr kernel"
    evcxr_jupyter --install
    "$jupyter" kernelspec list | grep -q '^ *rust ' || die "the rust kernel is not visible to $jupyter (see: $jupyter kernelspec list)"
fi

# --- inputs -----------------------------------------------------------------------
[ -f "$here/../weights/vgg16/manifest.tsv" ] ||
    die "weights/vgg16 not found (notebooks 03 and 05-09 need it): run \`bash weights/fetch.sh\` from the repository root"

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

# --- run --------------------------------------------------------------------------
mkdir -p "$out" "$EVCXR_TMPDIR"
if command -v flock >/dev/null; then
    exec 9>"$EVCXR_TMPDIR/.run_all.lock"
    flock -n 9 || die "another run is using $EVCXR_TMPDIR (set EVCXR_TMPDIR to another folder)"
fi
say "build folder $EVCXR_TMPDIR, executed notebooks in $out"
total=$(now)
times=()
for nb in "${notebooks[@]}"; do
    name="$(basename "$nb")"
    say "running $name"
    t=$(now)
    # nbconvert starts the kernel in the notebook's folder, so "../weights/vgg16" and
    # `:dep nst = { path = ".." }` resolve against notebooks/. --allow-errors keeps
    # going after a failing cell so that the executed copy holds every error; the check
    # below reports them and fails.
    "$jupyter" nbconvert --to notebook --execute --allow-errors \
        --ExecutePreprocessor.kernel_name=rust \
        --ExecutePreprocessor.timeout="$timeout" \
        --output-dir "$out" "$nb" ||
        die "$name: nbconvert failed after $(since "$t") s"
    # evcxr 0.22 reports only compile errors as cell errors: a panic (failed assert!,
    # unwrap, expect) or an Err stopped by `?` just prints to stderr and the next cell
    # runs. So a notebook passes only if no cell has an error or wrote to stderr.
    "$venv/bin/python" - "$out/$name" <<'PY' || die "$name failed after $(since "$t") s (executed copy: $out/$name)"
import json, re, sys
nb = json.load(open(sys.argv[1]))
# Tidy the executed copy: one output per run of printed lines (evcxr sends each line
# as its own message), and no per-cell timestamps, so that re-running a notebook
# changes its file only where its results change.
for cell in nb["cells"]:
    cell.get("metadata", {}).pop("execution", None)
    merged = []
    for o in cell.get("outputs", []):
        prev = merged[-1] if merged else None
        if prev and o["output_type"] == "stream" and prev["output_type"] == "stream" and prev["name"] == o["name"]:
            prev["text"] = "".join(prev["text"]) + "".join(o["text"])
        else:
            merged.append(o)
    if "outputs" in cell:
        cell["outputs"] = merged
with open(sys.argv[1], "w") as f:
    json.dump(nb, f, indent=1, ensure_ascii=False)
    f.write("\n")
problems = []  # (cell index, first source line, what it wrote)
for i, cell in enumerate(nb["cells"]):
    texts = []
    for o in cell.get("outputs", []):
        if o["output_type"] == "error":
            texts.append("\n".join(o.get("traceback") or [o.get("evalue", "")]))
        elif o["output_type"] == "stream" and o["name"] == "stderr":
            texts.append("".join(o["text"]))
    text = re.sub(r"\x1b\[[0-9;]*m", "", "".join(texts)).strip()
    if text:
        first = "".join(cell["source"]).strip().splitlines()[:1]
        problems.append((i, first[0] if first else "", text))
for i, first, text in problems[:2]:
    lines = text.splitlines()
    more = f"\n[... {len(lines) - 30} more lines]" if len(lines) > 30 else ""
    print(f"--- cell {i} ({first} ...):\n" + "\n".join(lines[:30]) + more, file=sys.stderr)
if problems:
    print(f"errors in {len(problems)} cell(s): {[p[0] for p in problems]}", file=sys.stderr)
sys.exit(1 if problems else 0)
PY
    times+=("$(printf '%-44s %7s s' "$name" "$(since "$t")")")
done
say "all ${#notebooks[@]} notebooks ran:"
printf '  %s\n' "${times[@]}"
say "total $(since "$total") s"
