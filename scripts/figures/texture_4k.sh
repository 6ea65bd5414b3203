#!/usr/bin/env bash
# The 4096×2048 seamless texture of the README and docs/performance.md: The Starry Night as
# a texture sample, synthesised by optimisation coarse to fine in 6 GB, with circular
# padding so that the picture tiles. Renders into RUNS (every stage's picture, the log with
# `/usr/bin/time -v`'s peak memory), then writes the README's pictures to OUT: a 2×2
# tiling of the texture scaled down (a seam would show where the copies meet), and a
# 640×360 region at 1:1 around the corner where the picture wraps.
#
#   bash scripts/figures/texture_4k.sh [RUNS=out/texture_4k] [OUT=docs/images/texture_4k]
#
# The pictures need Python with Pillow (bash scripts/reference/setup_venv.sh makes one);
# the render needs only nst. About 45 minutes on two cores (docs/performance.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
RUNS=${1:-out/texture_4k}
OUT=${2:-docs/images/texture_4k}
PY=${NST_REF_PYTHON:-/tmp/nst-ref-venv/bin/python}
mkdir -p "$RUNS" "$OUT"
cargo build --release --quiet --bin nst
NST=target/release/nst

if [ ! -e "$RUNS/starry_4096.png" ]; then
    /usr/bin/time -v "$NST" texture docs/samples/starry_night.jpg --tileable \
        --size 4096x2048 --scales 512,1024,2048,4096 --scale-iterations 200,60,15,8 \
        --max-memory 6G -o "$RUNS/starry_4096.png" 2>&1 | tee "$RUNS/texture.log"
fi

"$PY" - "$RUNS" "$OUT" <<'EOF'
import sys
from PIL import Image
runs, out = sys.argv[1], sys.argv[2]
big = Image.open(f"{runs}/starry_4096.png").convert("RGB")
assert big.size == (4096, 2048), big.size
w, h = big.size
# Four copies side by side and one above the other, scaled down: a seam would show as a
# line through the middle of each axis.
small = big.resize((640, 320), Image.LANCZOS)
tiled = Image.new("RGB", (1280, 640))
for dx in (0, 640):
    for dy in (0, 320):
        tiled.paste(small, (dx, dy))
tiled.save(f"{out}/texture_2x2.jpg", quality=88)
# A region at 1:1 centred on the picture's corner, which is where its four edges meet when
# it is tiled: the picture rolled by half its size in both directions, then cropped.
rolled = Image.new("RGB", (w, h))
for dx, dy in ((0, 0), (w // 2, 0), (0, h // 2), (w // 2, h // 2)):
    rolled.paste(big.crop((dx, dy, dx + w // 2, dy + h // 2)),
                 ((dx + w // 2) % w, (dy + h // 2) % h))
cw, ch = 640, 360
rolled.crop((w // 2 - cw // 2, h // 2 - ch // 2, w // 2 + cw // 2, h // 2 + ch // 2)).save(
    f"{out}/texture_corner_1to1.jpg", quality=90)
print(f"wrote {out}/texture_2x2.jpg and {out}/texture_corner_1to1.jpg")
EOF
