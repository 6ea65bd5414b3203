#!/usr/bin/env python3
"""Resize a picture so its longest side is N (PIL Lanczos) and save it as the
H x W x 3 float32 RGB [0,1] .npy that both `nst` and torch_gatys.py read, so the
two programs start from exactly the same pixels.

  $PY scripts/reference/to_npy.py PICTURE N OUT.npy
"""
import sys

import numpy as np
from PIL import Image

if len(sys.argv) != 4:
    sys.exit(__doc__)
path, side, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
img = Image.open(path).convert("RGB")
scale = side / max(img.width, img.height)
size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
img = img.resize(size, Image.LANCZOS)
np.save(out, np.asarray(img, dtype=np.float32) / np.float32(255.0))
print(f"{path} -> {out}: {size[1]} x {size[0]} x 3")
