//! Import VGG convolution weights from an ONNX model exported from Keras.
//!
//! An `.onnx` file is one protobuf message, `ModelProto`. We need only a sliver of its
//! schema (onnx/onnx.proto):
//!
//! ```text
//! ModelProto   { GraphProto graph = 7; … }
//! GraphProto   { repeated TensorProto initializer = 5; … }     // the trained weights
//! TensorProto  { repeated int64 dims = 1;  int32 data_type = 2;  // 1 = FLOAT
//!                repeated float float_data = 4 [packed];
//!                string name = 8;  bytes raw_data = 9;         // little-endian values
//!                DataLocation data_location = 14; … }          // 1 = EXTERNAL (unsupported)
//! ```
//!
//! Every other field is skipped unread. The importer then finds the thirteen (VGG16) or
//! sixteen (VGG19) convolutions by their Keras layer names — `block3_conv2` inside
//! initializer names such as `functional_1/block3_conv2_1/convolution/ReadVariableOp:0`
//! (the 4-D weight, already OIHW after tf2onnx's transpose) and
//! `functional_1/block3_conv2_1/Squeeze:0` (the 1-D bias) — checks their shapes, and
//! writes a weight folder.

use super::{vgg_convs, Convention, EncodedSet, Manifest, NamedTensors};
use crate::error::{Context, Error, Result};
use crate::formats::files::describe_io;
use crate::formats::npy::shape_str;
use crate::formats::protobuf::{packed_fixed32, packed_varints, Field, Reader, Value};
use ndarray::{ArrayD, IxDyn};
use std::collections::BTreeMap;
use std::path::Path;

/// ONNX `TensorProto.DataType.FLOAT`.
pub const ONNX_FLOAT: i32 = 1;

/// One initializer of an ONNX graph, its payload borrowed from the file's bytes.
#[derive(Debug, Clone, Default)]
pub struct OnnxTensor<'a> {
    /// The initializer's name.
    pub name: String,
    /// Its shape as stored (signed in the schema).
    pub dims: Vec<i64>,
    /// ONNX data type code (1 = FLOAT).
    pub data_type: i32,
    /// Byte offset of the TensorProto in the file, for messages.
    pub offset: usize,
    raw: Option<&'a [u8]>,
    floats: Vec<f32>,
    external: bool,
}

impl OnnxTensor<'_> {
    /// Parse one `TensorProto` (the payload of a `GraphProto.initializer` field).
    fn parse<'a>(field: &Field<'a>) -> Result<OnnxTensor<'a>> {
        let mut t = OnnxTensor {
            offset: field.offset,
            ..Default::default()
        };
        let mut r = field.reader()?;
        while let Some(f) = r.next_field()? {
            match (f.number, f.value) {
                // Repeated scalars may be written packed (one Len field) or one by one.
                (1, Value::Varint(v)) => t.dims.push(v as i64),
                (1, Value::Len(_)) => t
                    .dims
                    .extend(packed_varints(&f)?.into_iter().map(|v| v as i64)),
                (2, Value::Varint(v)) => t.data_type = v as i32,
                (4, Value::Fixed32(v)) => t.floats.push(f32::from_bits(v)),
                (4, Value::Len(_)) => t
                    .floats
                    .extend(packed_fixed32(&f)?.into_iter().map(f32::from_bits)),
                (8, Value::Len(_)) => t.name = f.string()?.to_string(),
                (9, Value::Len(b)) => t.raw = Some(b),
                (14, Value::Varint(v)) => t.external = v == 1,
                (1 | 2 | 4 | 8 | 9 | 14, v) => {
                    return Err(Error(format!(
                        "TensorProto field {} at byte {} has unexpected wire type {:?}",
                        f.number,
                        f.offset,
                        v.wire_type()
                    )))
                }
                _ => {} // fields we do not need (segment, doc_string, other data types …)
            }
        }
        Ok(t)
    }

    /// The shape as `usize`s, and the element count (rejecting negative or overflowing dims).
    pub fn shape(&self) -> Result<(Vec<usize>, usize)> {
        let bad = || {
            Error(format!(
                "initializer `{}` has invalid dims {:?}",
                self.name, self.dims
            ))
        };
        let shape: Vec<usize> = self
            .dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| bad()))
            .collect::<Result<_>>()?;
        let n = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(bad)?;
        Ok((shape, n))
    }

    /// The values as an `f32` array of shape `dims` (FLOAT tensors only).
    pub fn to_f32(&self) -> Result<ArrayD<f32>> {
        let name = &self.name;
        if self.data_type != ONNX_FLOAT {
            return Err(Error(format!(
                "initializer `{name}` has data type {}, expected {ONNX_FLOAT} (FLOAT)",
                self.data_type
            )));
        }
        if self.external {
            return Err(Error(format!(
                "initializer `{name}` is stored in an external data file, which is not supported"
            )));
        }
        let (shape, n) = self.shape()?;
        let values: Vec<f32> = match self.raw {
            Some(raw) if Some(raw.len()) == n.checked_mul(4) => {
                raw.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
            }
            None if self.floats.len() == n => self.floats.clone(),
            _ => {
                return Err(Error(format!(
                    "initializer `{name}` of shape {} holds {} raw bytes and {} float_data values (expected {n} values)",
                    shape_str(&shape),
                    self.raw.map_or(0, <[u8]>::len),
                    self.floats.len()
                )))
            }
        };
        ArrayD::from_shape_vec(IxDyn(&shape), values)
            .map_err(|e| Error(format!("initializer `{name}`: {e}")))
    }
}

// ANCHOR: read_initializers
/// All initializers of an ONNX model: `ModelProto.graph` (field 7), then every
/// `GraphProto.initializer` (field 5).
pub fn read_initializers(model: &[u8]) -> Result<Vec<OnnxTensor<'_>>> {
    let mut r = Reader::new(model);
    let mut graph = None;
    while let Some(f) = r.next_field()? {
        if f.number == 7 {
            graph = Some(f);
        }
    }
    let graph =
        graph.ok_or_else(|| Error("no graph (ModelProto field 7): not an ONNX model".into()))?;
    let mut g = graph.reader()?;
    let mut out = Vec::new();
    while let Some(f) = g.next_field()? {
        if f.number == 5 {
            out.push(OnnxTensor::parse(&f)?);
        }
    }
    Ok(out)
}
// ANCHOR_END: read_initializers

/// `(block, index)` if one `/`-separated part of `name` is a Keras conv layer name:
/// `block3_conv2`, optionally followed by `_<digits>` (Keras' uniquifying suffix).
pub fn keras_conv_id(name: &str) -> Option<(usize, usize)> {
    fn number(s: &str) -> Option<(usize, &str)> {
        let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        Some((s[..end].parse().ok()?, &s[end..]))
    }
    name.split('/').find_map(|part| {
        let (b, rest) = number(part.strip_prefix("block")?)?;
        let (i, rest) = number(rest.strip_prefix("_conv")?)?;
        let suffix_ok = rest.is_empty()
            || rest
                .strip_prefix('_')
                .and_then(number)
                .is_some_and(|(_, r)| r.is_empty());
        suffix_ok.then_some((b, i))
    })
}

/// The convolution tensors of a Keras VGG16/VGG19 found among `inits`, in layer order, as
/// `(conv3_2.weight, array)` pairs; the architecture is `vgg19` if `block5_conv4` exists.
pub fn keras_vgg_tensors(inits: &[OnnxTensor<'_>]) -> Result<(String, NamedTensors)> {
    // (block, index) → (4-D candidates, 1-D candidates)
    type Candidates<'t, 'a> = (Vec<&'t OnnxTensor<'a>>, Vec<&'t OnnxTensor<'a>>);
    let mut found: BTreeMap<(usize, usize), Candidates> = BTreeMap::new();
    for t in inits {
        if let Some(id) = keras_conv_id(&t.name) {
            let slot = found.entry(id).or_default();
            match t.dims.len() {
                4 => slot.0.push(t),
                1 => slot.1.push(t),
                _ => {}
            }
        }
    }
    let arch = if found.contains_key(&(5, 4)) {
        "vgg19"
    } else {
        "vgg16"
    };
    let mut out = Vec::new();
    for spec in vgg_convs(arch).expect("known architecture") {
        let (b, i) = spec.name["conv".len()..].split_once('_').expect("convB_I");
        let key = (b.parse().expect("digit"), i.parse().expect("digit"));
        let (ws, bs) = found.get(&key).cloned().unwrap_or_default();
        let weight = pick(&ws, &spec.name, "weight (4-D)", key)?;
        let bias = pick(&bs, &spec.name, "bias (1-D)", key)?;
        for (t, want, what) in [
            (weight, vec![spec.out_ch, spec.in_ch, 3, 3], "weight"),
            (bias, vec![spec.out_ch], "bias"),
        ] {
            let a = t.to_f32()?;
            if a.shape() != want.as_slice() {
                return Err(Error(format!(
                    "{} {what} `{}` has shape {}, expected {} for {arch}",
                    spec.name,
                    t.name,
                    shape_str(a.shape()),
                    shape_str(&want)
                )));
            }
            out.push((format!("{}.{what}", spec.name), a));
        }
    }
    Ok((arch.to_string(), out))
}

fn pick<'t, 'a>(
    cands: &[&'t OnnxTensor<'a>],
    conv: &str,
    what: &str,
    (b, i): (usize, usize),
) -> Result<&'t OnnxTensor<'a>> {
    match cands {
        [one] => Ok(one),
        [] => Err(Error(format!(
            "no {what} initializer for {conv} (looked for a Keras name containing `block{b}_conv{i}`)"
        ))),
        many => Err(Error(format!(
            "{} {what} initializers match {conv}: {}",
            many.len(),
            many.iter().map(|t| format!("`{}`", t.name)).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// What `nst weights import` does.
#[derive(Debug, Clone)]
pub struct ImportOptions<'p> {
    /// The `.onnx` file.
    pub onnx: &'p Path,
    /// The weight folder to write.
    pub out: &'p Path,
    /// A manifest the result must match (sha256 of every tensor), checked before writing.
    pub expect: Option<&'p Path>,
    /// Free text for the manifest's `source` line (default: the file name).
    pub source: Option<String>,
    /// The preprocessing convention of these weights (Keras VGG: `caffe-bgr255`).
    pub convention: Convention,
}

// ANCHOR: import
/// Read an ONNX file, extract the VGG convolutions, check them against `expect` if given,
/// and write the weight folder. Nothing is written unless every check passes.
pub fn import(opts: &ImportOptions<'_>) -> Result<Manifest> {
    let p = opts.onnx.display().to_string();
    let bytes = std::fs::read(opts.onnx)
        .map_err(|e| Error(format!("cannot read {p}: {}", describe_io(&e))))?;
    let inits = read_initializers(&bytes).context(|| p.clone())?;
    let (arch, tensors) = keras_vgg_tensors(&inits).context(|| p.clone())?;
    for (name, a) in &tensors {
        super::check_finite(opts.onnx, name, a)?;
    }
    let source = match &opts.source {
        Some(s) => s.clone(),
        None => opts
            .onnx
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    let set = EncodedSet::new(&arch, opts.convention, &source, &tensors);
    if let Some(expect) = opts.expect {
        let want = Manifest::read(expect)?;
        set.manifest
            .check_matches(&want, &expect.display().to_string())
            .context(|| p.clone())?;
    }
    set.write(opts.out)?;
    Ok(set.manifest)
}
// ANCHOR_END: import

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::files::test_dir;
    use crate::formats::protobuf::{
        put_bytes_field, put_packed_fixed32, put_packed_varints, put_varint_field,
    };
    use crate::net::weights::WeightSet;

    /// Encode a FLOAT TensorProto; `packed` picks raw_data (little-endian bytes) or float_data.
    fn tensor_proto(name: &str, dims: &[usize], values: &[f32], raw: bool) -> Vec<u8> {
        let mut t = Vec::new();
        put_packed_varints(
            &mut t,
            1,
            &dims.iter().map(|&d| d as u64).collect::<Vec<_>>(),
        );
        put_varint_field(&mut t, 2, ONNX_FLOAT as u64);
        put_bytes_field(&mut t, 8, name.as_bytes());
        if raw {
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            put_bytes_field(&mut t, 9, &bytes);
        } else {
            put_packed_fixed32(
                &mut t,
                4,
                &values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            );
        }
        t
    }

    fn model(tensors: &[Vec<u8>]) -> Vec<u8> {
        let mut graph = Vec::new();
        put_bytes_field(&mut graph, 2, b"g"); // GraphProto.name, skipped
        for t in tensors {
            put_bytes_field(&mut graph, 5, t);
        }
        let mut m = Vec::new();
        put_varint_field(&mut m, 1, 8); // ir_version, skipped
        put_bytes_field(&mut m, 7, &graph);
        m
    }

    #[test]
    fn reads_raw_and_float_data_initializers() {
        let m = model(&[
            tensor_proto("a", &[2, 3], &[1., 2., 3., 4., 5., 6.], true),
            tensor_proto("b", &[2], &[-1.5, 2.5], false),
        ]);
        let inits = read_initializers(&m).unwrap();
        assert_eq!(inits.len(), 2);
        assert_eq!(inits[0].name, "a");
        assert_eq!(
            inits[0].to_f32().unwrap(),
            ndarray::arr2(&[[1f32, 2., 3.], [4., 5., 6.]]).into_dyn()
        );
        assert_eq!(
            inits[1].to_f32().unwrap(),
            ndarray::arr1(&[-1.5f32, 2.5]).into_dyn()
        );
    }

    #[test]
    fn bad_models_are_errors() {
        assert!(read_initializers(b"")
            .unwrap_err()
            .0
            .contains("not an ONNX model"));
        let m = model(&[tensor_proto("a", &[2, 3], &[1., 2.], true)]);
        let e = read_initializers(&m).unwrap()[0].to_f32().unwrap_err();
        assert!(
            e.0.contains("holds 8 raw bytes") && e.0.contains("expected 6 values"),
            "{e}"
        );
        let e = read_initializers(&m[..m.len() - 3]).unwrap_err();
        assert!(e.0.contains("runs past the end"), "{e}");
    }

    #[test]
    fn keras_names() {
        assert_eq!(
            keras_conv_id("functional_1/block3_conv2_1/convolution/ReadVariableOp:0"),
            Some((3, 2))
        );
        assert_eq!(keras_conv_id("vgg16/block1_conv1/Squeeze:0"), Some((1, 1)));
        assert_eq!(
            keras_conv_id("functional_1/block1_pool_1/MaxPool2d:0"),
            None
        );
        assert_eq!(keras_conv_id("functional_1/block1_conv1x/Squeeze:0"), None);
    }

    /// A fake Keras VGG16 model with small random values in the right shapes.
    fn fake_vgg16(skip: Option<&str>) -> Vec<u8> {
        fake_vgg16_with(skip, None)
    }

    /// [`fake_vgg16`], with NaN as the first bias value of the convolution `nan`.
    fn fake_vgg16_with(skip: Option<&str>, nan: Option<&str>) -> Vec<u8> {
        let mut rng = crate::math::rng::Rng::new(5);
        let mut protos = Vec::new();
        for spec in vgg_convs("vgg16").unwrap() {
            let (b, i) = spec.name[4..].split_once('_').unwrap();
            let layer = format!("functional_1/block{b}_conv{i}_1");
            let n = spec.out_ch * spec.in_ch * 9;
            let w: Vec<f32> = (0..n).map(|_| rng.range(-0.1, 0.1) as f32).collect();
            let mut bias: Vec<f32> = (0..spec.out_ch)
                .map(|_| rng.range(-0.1, 0.1) as f32)
                .collect();
            if nan == Some(spec.name.as_str()) {
                bias[0] = f32::NAN;
            }
            if skip != Some(&spec.name) {
                protos.push(tensor_proto(
                    &format!("{layer}/convolution/ReadVariableOp:0"),
                    &[spec.out_ch, spec.in_ch, 3, 3],
                    &w,
                    true,
                ));
            }
            protos.push(tensor_proto(
                &format!("{layer}/Squeeze:0"),
                &[spec.out_ch],
                &bias,
                true,
            ));
        }
        protos.push(tensor_proto(
            "functional_1/dense_1/BiasAdd/ReadVariableOp:0",
            &[4],
            &[0.; 4],
            true,
        ));
        model(&protos)
    }

    #[test]
    fn import_fake_vgg16_and_check_expectations() {
        let dir = test_dir("onnx");
        let onnx = dir.join("fake.onnx");
        std::fs::write(&onnx, fake_vgg16(None)).unwrap();
        let out = dir.join("vgg16");
        let opts = ImportOptions {
            onnx: &onnx,
            out: &out,
            expect: None,
            source: None,
            convention: Convention::caffe(),
        };
        let m = import(&opts).unwrap();
        assert_eq!(
            (m.arch.as_str(), m.tensors.len(), m.parameter_count()),
            ("vgg16", 26, 14_714_688)
        );
        assert_eq!(m.source, "fake.onnx");
        let ws = WeightSet::open(&out).unwrap();
        ws.verify().unwrap();
        ws.conv("conv4_1", 512, 256, 3).unwrap();
        // Importing again with itself as the expectation succeeds …
        let expect = dir.join("expect.tsv");
        m.write(&expect).unwrap();
        import(&ImportOptions {
            expect: Some(&expect),
            ..opts.clone()
        })
        .unwrap();
        // … and a different file fails before anything is written.
        let mut other = fake_vgg16(None);
        let n = other.len();
        other[n - 1] ^= 0x55; // the last float of the dense bias: not a conv tensor, still matches
        std::fs::write(&onnx, &other).unwrap();
        import(&ImportOptions {
            expect: Some(&expect),
            ..opts.clone()
        })
        .unwrap();
        let out2 = dir.join("vgg16b");
        let mut changed = m.clone();
        changed.tensors[5].sha256 = crate::net::weights::sha256_hex(b"x");
        changed.write(&expect).unwrap();
        let e = import(&ImportOptions {
            out: &out2,
            expect: Some(&expect),
            ..opts.clone()
        })
        .unwrap_err();
        assert!(
            e.0.contains("conv2_1.bias: sha256") && e.0.contains("differs from"),
            "{e}"
        );
        assert!(!out2.exists());
    }

    #[test]
    fn import_refuses_non_finite_weights_by_name() {
        let dir = test_dir("onnx");
        let onnx = dir.join("nan.onnx");
        std::fs::write(&onnx, fake_vgg16_with(None, Some("conv2_2"))).unwrap();
        let out = dir.join("w");
        let e = import(&ImportOptions {
            onnx: &onnx,
            out: &out,
            expect: None,
            source: None,
            convention: Convention::caffe(),
        })
        .unwrap_err();
        assert!(
            e.0.contains("nan.onnx: tensor `conv2_2.bias` holds 1 non-finite value(s)"),
            "{e}"
        );
        assert!(!out.exists());
    }

    #[test]
    fn import_reports_a_missing_layer() {
        let dir = test_dir("onnx");
        let onnx = dir.join("fake.onnx");
        std::fs::write(&onnx, fake_vgg16(Some("conv3_2"))).unwrap();
        let out = dir.join("w");
        let e = import(&ImportOptions {
            onnx: &onnx,
            out: &out,
            expect: None,
            source: None,
            convention: Convention::caffe(),
        })
        .unwrap_err();
        assert!(
            e.0.contains("fake.onnx: no weight (4-D) initializer for conv3_2")
                && e.0.contains("block3_conv2"),
            "{e}"
        );
        let e = import(&ImportOptions {
            onnx: &dir.join("nope.onnx"),
            out: &out,
            expect: None,
            source: None,
            convention: Convention::caffe(),
        })
        .unwrap_err();
        assert!(e.0.contains("nope.onnx: no such file"), "{e}");
    }
}
