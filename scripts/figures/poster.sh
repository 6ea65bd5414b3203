#!/usr/bin/env bash
# The 3840×2160 poster of the README and docs/performance.md: Tübingen (cropped to 16:9)
# × The Starry Night, coarse to fine, in 6 GB. Renders into RUNS (every stage's picture,
# the log with `/usr/bin/time -v`'s peak memory), then writes the README's pictures to
# OUT: the poster scaled to 960×540, and one 640×360 region at 1:1 from the 3840 px
# result beside the same region of the 1024 px stage, enlarged to the same size.
#
#   bash scripts/figures/poster.sh [RUNS=out/poster] [OUT=docs/images/poster]
#
# The pictures need Python with Pillow (bash scripts/reference/setup_venv.sh makes one);
# the render needs only nst. About 38 minutes on two cores (docs/performance.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
RUNS=${1:-out/poster}
OUT=${2:-docs/images/poster}
PY=${NST_REF_PYTHON:-/tmp/nst-ref-venv/bin/python}
mkdir -p "$RUNS" "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst

if [ ! -e "$RUNS/poster.png" ]; then
    /usr/bin/time -v "$NST" stylize \
        --content docs/samples/tubingen_wide.jpg --style docs/samples/starry_night.jpg \
        --scales 512,1024,2048,3840 --scale-iterations 200,60,15,20 --max-memory 6G --log-every 1 \
        -o "$RUNS/poster.png" 2>&1 | tee "$RUNS/poster.log"
fi

"$PY" - "$RUNS" "$OUT" <<'EOF'
import sys
from PIL import Image
runs, out = sys.argv[1], sys.argv[2]
big = Image.open(f"{runs}/poster.png").convert("RGB")
small = Image.open(f"{runs}/poster_s1024.png").convert("RGB")
assert big.size == (3840, 2160), big.size
big.resize((960, 540), Image.LANCZOS).save(f"{out}/poster_960.jpg", quality=88)
# A region at 1:1 (the river front and its reflections), and the same region of the
# 1024 px stage, enlarged 3.75× to the same size.
x, y, w, h = 1600, 1200, 640, 360
crop = big.crop((x, y, x + w, y + h))
s = 1024 / 3840
region = small.crop((round(x * s), round(y * s), round((x + w) * s), round((y + h) * s)))
region = region.resize((w, h), Image.LANCZOS)
pair = Image.new("RGB", (2 * w + 8, h), "white")
pair.paste(region, (0, 0))
pair.paste(crop, (w + 8, 0))
pair.save(f"{out}/poster_crop_1024_vs_3840.jpg", quality=90)
print(f"wrote {out}/poster_960.jpg and {out}/poster_crop_1024_vs_3840.jpg")
EOF
