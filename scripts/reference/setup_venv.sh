#!/usr/bin/env bash
# Create or update the Python venv used by the reference-fixture scripts.
#
# The venv lives OUTSIDE the repository (default /tmp/nst-ref-venv; override
# with NST_REF_VENV). It holds the independent implementations the Rust tests
# are compared against: onnxruntime (VGG16 activations) and torch (layers,
# losses, optimisers, benchmark), plus numpy/onnx/pillow for I/O.
#
# Usage:  scripts/reference/setup_venv.sh          # create or update
#         NST_REF_VENV=/some/dir scripts/reference/setup_venv.sh
#
# torch comes from plain PyPI (`pip install torch`); that wheel pulls in CUDA
# libraries and is several GB, so the first run takes a while.
set -euo pipefail

VENV="${NST_REF_VENV:-/tmp/nst-ref-venv}"
PYTHON="${PYTHON:-python3}"

if [ ! -x "$VENV/bin/python" ]; then
    echo "creating venv at $VENV"
    "$PYTHON" -m venv "$VENV"
fi

"$VENV/bin/python" -m pip install --upgrade pip
"$VENV/bin/python" -m pip install --upgrade numpy onnx onnxruntime pillow torch

"$VENV/bin/python" - <<'PY'
import numpy, onnx, onnxruntime, PIL, torch
print("numpy", numpy.__version__)
print("onnx", onnx.__version__)
print("onnxruntime", onnxruntime.__version__)
print("pillow", PIL.__version__)
print("torch", torch.__version__)
PY
echo "venv ready: $VENV  (activate with: source $VENV/bin/activate)"
