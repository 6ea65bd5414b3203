#!/usr/bin/env python3
"""TFRecord interoperability fixtures, written and checked by TensorFlow itself.

Run from the repository root with a venv that has TensorFlow:

    python3 -m venv /tmp/tf-venv && /tmp/tf-venv/bin/pip install tensorflow-cpu
    PY=/tmp/tf-venv/bin/python

    # (a) TF -> nst: write tests/fixtures/tfrecord/{from_tf,from_tf_raw}.tfrecord,
    #     MANIFEST.txt, and the tiny pictures in tests/fixtures/tfrecord/images/
    $PY scripts/reference/tfrecord_fixtures.py

    # (b) nst -> TF: pack the pictures with nst, then let TF parse the result
    cargo run --release -- data pack tests/fixtures/tfrecord/images \
        -o tests/fixtures/tfrecord/from_nst.tfrecord
    $PY scripts/reference/tfrecord_fixtures.py --check tests/fixtures/tfrecord/from_nst.tfrecord

MANIFEST.txt is tab-separated, one line per fact, so the Rust test needs no JSON parser:

    example <r> <key> <kind> <n> <values…>  n values, space-separated; kind: bytes (hex
                                          per value, so "" shows as two spaces), float
                                          (IEEE-754 bits as 8 hex digits), int64, unset
    serialized <r> <hex>                  SerializeToString(deterministic=True) of record r
    count <file> <n>                      number of records
    raw <i> <length> <sha256>             payload i of from_tf_raw.tfrecord
    pixels <key> <h> <w> <c> <hex>        decoded 8-bit pixels (row-major HWC) of a PNG
    picture <file> <format> <h> <w> <c>   a picture in images/ (for the --check mode)

Everything is deterministic (no randomness, no clocks).
"""

import argparse
import hashlib
import os
import struct
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

OUT = "tests/fixtures/tfrecord"
IMAGES = os.path.join(OUT, "images")


def tiny_rgb(h, w):
    """A smooth colour ramp, uint8 HxWx3."""
    y, x = np.mgrid[0:h, 0:w]
    r = (255 * x / max(w - 1, 1)).astype(np.uint8)
    g = (255 * y / max(h - 1, 1)).astype(np.uint8)
    b = ((x * 37 + y * 91) % 256).astype(np.uint8)
    return np.stack([r, g, b], axis=-1)


def png(pixels):
    return tf.io.encode_png(tf.constant(pixels)).numpy()


def jpeg(pixels):
    return tf.io.encode_jpeg(tf.constant(pixels), quality=95).numpy()


def bytes_f(values):
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))


def float_f(values):
    return tf.train.Feature(float_list=tf.train.FloatList(value=values))


def int64_f(values):
    return tf.train.Feature(int64_list=tf.train.Int64List(value=values))


def examples():
    """The records of from_tf.tfrecord, with edge cases on purpose."""
    tiny = tiny_rgb(3, 4)
    gray = (np.arange(6, dtype=np.uint8).reshape(2, 3, 1) * 40)
    first = tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": bytes_f([png(tiny)]),
        "image/format": bytes_f([b"png"]),
        "image/height": int64_f([3]),
        "image/width": int64_f([4]),
        "image/channels": int64_f([3]),
        "text": bytes_f(["héllo wörld".encode("utf-8"), b"", b"\x00\xff\x80binary"]),
        "floats": float_f([0.0, -0.0, 1.5, -2.25, 3.4028235e38, 1.17549435e-38,
                           1e-45, float("inf"), float("-inf"), 0.1]),
        "ints": int64_f([0, 1, -1, 127, 128, -128, 2**31, -2**31, 2**40 + 3,
                         2**63 - 1, -2**63]),
        "empty_ints": int64_f([]),
        "empty_floats": float_f([]),
        "empty_bytes": bytes_f([]),
    }))
    second = tf.train.Example(features=tf.train.Features(feature={
        "image/encoded": bytes_f([png(gray)]),
        "label": int64_f([7]),
        "weights": float_f([0.25] * 40),
        "unset": tf.train.Feature(),
    }))
    empty = tf.train.Example()  # serializes to zero bytes: a zero-length record
    return [first, second, empty], {"image/encoded@0": tiny, "image/encoded@1": gray}


def raw_payloads():
    """Payloads of from_tf_raw.tfrecord: lengths around varint/edge sizes."""
    out = []
    for n in [0, 1, 127, 128, 1000, 20000]:
        out.append(bytes((i * 31 + n) % 251 for i in range(n)))
    return out


def feature_line(r, key, feat):
    kind = feat.WhichOneof("kind")
    if kind == "bytes_list":
        vals = [v.hex() for v in feat.bytes_list.value]
        return f"example\t{r}\t{key}\tbytes\t{len(vals)}\t" + " ".join(vals)
    if kind == "float_list":
        vals = ["%08x" % struct.unpack("<I", struct.pack("<f", v))[0]
                for v in feat.float_list.value]
        return f"example\t{r}\t{key}\tfloat\t{len(vals)}\t" + " ".join(vals)
    if kind == "int64_list":
        vals = [str(v) for v in feat.int64_list.value]
        return f"example\t{r}\t{key}\tint64\t{len(vals)}\t" + " ".join(vals)
    return f"example\t{r}\t{key}\tunset\t0\t"


def write_pictures(manifest):
    """Tiny pictures for `nst data pack` (and one file that is not a picture)."""
    os.makedirs(IMAGES, exist_ok=True)
    pics = {
        "ramp_rgb.png": ("png", tiny_rgb(5, 7)),
        "gray.png": ("png", (np.arange(12, dtype=np.uint8).reshape(3, 4, 1) * 20)),
        "rgba.png": ("png", np.concatenate(
            [tiny_rgb(4, 4), np.full((4, 4, 1), 200, np.uint8)], axis=-1)),
        "photo.jpg": ("jpeg", tiny_rgb(6, 9)),
    }
    for name, (fmt, px) in sorted(pics.items()):
        data = png(px) if fmt == "png" else jpeg(px)
        with open(os.path.join(IMAGES, name), "wb") as f:
            f.write(data)
        h, w, c = px.shape
        manifest.append(f"picture\t{name}\t{fmt}\t{h}\t{w}\t{c}")
    with open(os.path.join(IMAGES, "notes.txt"), "w") as f:
        f.write("not a picture: nst data pack lists this file as skipped\n")


def generate():
    os.makedirs(OUT, exist_ok=True)
    manifest = [f"# written by scripts/reference/tfrecord_fixtures.py with TensorFlow {tf.__version__}"]
    exs, pixels = examples()
    with tf.io.TFRecordWriter(os.path.join(OUT, "from_tf.tfrecord")) as w:
        for ex in exs:
            w.write(ex.SerializeToString(deterministic=True))
    manifest.append(f"count\tfrom_tf.tfrecord\t{len(exs)}")
    for r, ex in enumerate(exs):
        manifest.append(f"serialized\t{r}\t{ex.SerializeToString(deterministic=True).hex()}")
        for key in sorted(ex.features.feature):
            manifest.append(feature_line(r, key, ex.features.feature[key]))
    for tag, px in pixels.items():
        h, w, c = px.shape
        manifest.append(f"pixels\t{tag}\t{h}\t{w}\t{c}\t{px.tobytes().hex()}")
    raws = raw_payloads()
    with tf.io.TFRecordWriter(os.path.join(OUT, "from_tf_raw.tfrecord")) as w:
        for p in raws:
            w.write(p)
    manifest.append(f"count\tfrom_tf_raw.tfrecord\t{len(raws)}")
    for i, p in enumerate(raws):
        manifest.append(f"raw\t{i}\t{len(p)}\t{hashlib.sha256(p).hexdigest()}")
    write_pictures(manifest)
    with open(os.path.join(OUT, "MANIFEST.txt"), "w") as f:
        f.write("\n".join(manifest) + "\n")
    # Read our own output back through tf.data, as a sanity check of the script.
    n = sum(1 for _ in tf.data.TFRecordDataset(os.path.join(OUT, "from_tf.tfrecord")))
    assert n == len(exs), n
    print(f"wrote {OUT}/from_tf.tfrecord ({len(exs)} examples), from_tf_raw.tfrecord "
          f"({len(raws)} records), MANIFEST.txt, images/")


def check(paths, images_dir=IMAGES):
    """Parse a file written by `nst data pack` with tf.data and tf.io.parse_single_example
    and compare every value with the original pictures (decoded by TensorFlow)."""
    spec = {
        "image/encoded": tf.io.FixedLenFeature([], tf.string),
        "image/format": tf.io.FixedLenFeature([], tf.string),
        "image/height": tf.io.FixedLenFeature([], tf.int64),
        "image/width": tf.io.FixedLenFeature([], tf.int64),
        "image/channels": tf.io.FixedLenFeature([], tf.int64),
        "image/filename": tf.io.FixedLenFeature([], tf.string),
    }
    n = 0
    # TFRecordDataset verifies both CRCs of every record and fails on a mismatch.
    for raw in tf.data.TFRecordDataset(paths):
        ex = tf.io.parse_single_example(raw, spec)
        name = ex["image/filename"].numpy().decode()
        fmt = ex["image/format"].numpy().decode()
        enc = ex["image/encoded"].numpy()
        with open(os.path.join(images_dir, name), "rb") as f:
            original = f.read()
        img = tf.io.decode_image(enc, expand_animations=False).numpy()
        h, w, c = img.shape
        note = ""
        if enc != original:
            # Only allowed when `--max-side` shrank the picture and nst re-encoded it.
            oh, ow, _ = tf.io.decode_image(original, expand_animations=False).shape
            assert max(h, w) < max(oh, ow), f"{name}: image/encoded differs from the file"
            note = f"  (downsized from {oh}x{ow}, re-encoded)"
        got = (ex["image/height"].numpy(), ex["image/width"].numpy(), ex["image/channels"].numpy())
        assert got == (h, w, c), f"{name}: nst says {got}, TF decodes {(h, w, c)}"
        want_fmt = "jpeg" if name.endswith(".jpg") else "png"
        assert fmt == want_fmt, f"{name}: format {fmt}"
        # The full protobuf parser must agree too (unknown/extra fields, types).
        full = tf.train.Example.FromString(raw.numpy())
        assert sorted(full.features.feature) == sorted(spec), sorted(full.features.feature)
        print(f"  record {n}: {name:14s} {fmt:4s} {h}x{w}x{c}  {len(enc)} bytes  OK{note}")
        n += 1
    assert n > 0, "no records"
    print(f"TensorFlow {tf.__version__} parsed {n} record(s) of {' '.join(paths)}: "
          "all values as expected")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", metavar="FILE", nargs="+",
                    help="parse file(s) written by `nst data pack`")
    ap.add_argument("--images", metavar="DIR", default=IMAGES,
                    help="folder that was packed (default: %(default)s)")
    args = ap.parse_args()
    if args.check:
        check(args.check, args.images)
    else:
        generate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
