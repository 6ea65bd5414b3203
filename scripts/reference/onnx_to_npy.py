#!/usr/bin/env python3
"""Convert the VGG16 conv initializers of the tf2onnx model to per-layer .npy.

A stop-gap for testing `bench_torch_vgg16.py` before `nst weights import`
exists; it writes the same layout that command is meant to produce:

    conv{B}_{I}.weight.npy   float32 [O, C, 3, 3]  (OIHW, as stored in the ONNX graph)
    conv{B}_{I}.bias.npy     float32 [O]

from the initializers `functional_1/block{B}_conv{I}_1/convolution/ReadVariableOp:0`
(weight) and `functional_1/block{B}_conv{I}_1/Squeeze:0` (bias).

Usage:  python scripts/reference/onnx_to_npy.py MODEL.onnx OUT_DIR
"""
import argparse
import os
import re
import sys

import numpy as np
import onnx
from onnx import numpy_helper

PATTERN = re.compile(
    r"functional_1/block(\d)_conv(\d)_1/(convolution/ReadVariableOp|Squeeze):0"
)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("out")
    args = ap.parse_args()
    if not os.path.isfile(args.model):
        sys.exit(f"error: model not found: {args.model}")
    os.makedirs(args.out, exist_ok=True)
    count = 0
    for init in onnx.load(args.model).graph.initializer:
        m = PATTERN.fullmatch(init.name)
        if not m:
            continue
        kind = "weight" if m.group(3).startswith("convolution") else "bias"
        arr = numpy_helper.to_array(init).astype(np.float32)
        name = f"conv{m.group(1)}_{m.group(2)}.{kind}.npy"
        np.save(os.path.join(args.out, name), arr)
        print(f"{name} {list(arr.shape)}")
        count += 1
    if count != 26:
        sys.exit(f"error: expected 26 conv tensors (13 layers), found {count}")


if __name__ == "__main__":
    main()
