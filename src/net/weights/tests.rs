//! Tests for weight folders: a tiny random set written to a temp folder, then broken in
//! every way the error messages promise to explain.

use super::*;
use crate::formats::files::test_dir;
use crate::math::rng::Rng;
use ndarray::IxDyn;

/// A two-convolution "network": conv1_1 3→4 and conv1_2 4→4.
fn tiny_set(tag: &str) -> (PathBuf, Vec<(String, ArrayD<f32>)>) {
    let dir = test_dir(tag).join("w");
    let mut rng = Rng::new(7);
    let mut tensors = Vec::new();
    for (name, o, i) in [("conv1_1", 4, 3), ("conv1_2", 4, 4)] {
        tensors.push((
            format!("{name}.weight"),
            rng.uniform_array(IxDyn(&[o, i, 3, 3]), -1.0, 1.0),
        ));
        tensors.push((
            format!("{name}.bias"),
            rng.uniform_array(IxDyn(&[o]), -1.0, 1.0),
        ));
    }
    EncodedSet::new("tiny", Convention::caffe(), "test", &tensors)
        .write(&dir)
        .unwrap();
    (dir, tensors)
}

fn err<T: std::fmt::Debug>(r: Result<T>) -> String {
    r.unwrap_err().0
}

#[test]
fn vgg_tables() {
    let v16 = vgg_convs("vgg16").unwrap();
    assert_eq!(v16.len(), 13);
    assert_eq!(
        v16[2],
        ConvSpec {
            name: "conv2_1".into(),
            out_ch: 128,
            in_ch: 64
        }
    );
    let params: usize = v16.iter().map(|c| c.out_ch * (c.in_ch * 9 + 1)).sum();
    assert_eq!(params, 14_714_688);
    let v19 = vgg_convs("vgg19").unwrap();
    assert_eq!(v19.len(), 16);
    assert_eq!(v19.last().unwrap().name, "conv5_4");
    assert!(vgg_convs("resnet").is_none());
}

#[test]
fn write_open_load_verify() {
    let (dir, tensors) = tiny_set("weights");
    let ws = WeightSet::open(&dir).unwrap();
    assert_eq!(ws.arch(), "tiny");
    assert_eq!(ws.convention(), Convention::caffe());
    assert_eq!(ws.manifest().parameter_count(), 4 * 27 + 4 + 4 * 36 + 4);
    let (w, b) = ws.conv("conv1_2", 4, 4, 3).unwrap();
    assert_eq!(w.into_dyn(), tensors[2].1);
    assert_eq!(b.into_dyn(), tensors[3].1);
    ws.verify().unwrap();
}

#[test]
fn missing_folder_names_the_fetch_command() {
    let e = err(WeightSet::open(Path::new("/nonexistent/nst-weights")));
    assert!(
        e.contains("/nonexistent/nst-weights not found") && e.contains("`bash weights/fetch.sh`"),
        "{e}"
    );
}

#[test]
fn missing_or_garbled_manifest() {
    let (dir, _) = tiny_set("weights");
    let m = dir.join("manifest.tsv");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        text.replace("tensor\tconv1_1.bias", "tensor conv1_1.bias"),
    )
    .unwrap();
    let e = err(WeightSet::open(&dir));
    assert!(e.contains("manifest.tsv line 6:"), "{e}");
    std::fs::remove_file(&m).unwrap();
    let e = err(WeightSet::open(&dir));
    assert!(
        e.contains("manifest.tsv not found") && e.contains("bash weights/fetch.sh"),
        "{e}"
    );
}

#[test]
fn missing_tensor_name_or_file() {
    let (dir, _) = tiny_set("weights");
    let ws = WeightSet::open(&dir).unwrap();
    let e = err(ws.conv("conv2_1", 8, 4, 3));
    assert!(e.contains("lists no tensor `conv2_1.weight`"), "{e}");
    std::fs::remove_file(dir.join("conv1_1.bias.npy")).unwrap();
    let e = err(ws.conv("conv1_1", 4, 3, 3));
    assert!(e.contains("conv1_1.bias.npy: tensor file missing"), "{e}");
    let e = err(ws.verify());
    assert!(e.contains("conv1_1.bias.npy: tensor file missing"), "{e}");
}

#[test]
fn wrong_shapes_name_file_expected_and_actual() {
    let (dir, _) = tiny_set("weights");
    let ws = WeightSet::open(&dir).unwrap();
    // The caller expects a different shape than the manifest lists.
    let e = err(ws.conv("conv1_1", 4, 4, 3));
    assert!(
        e.contains("conv1_1.weight.npy: manifest.tsv says shape 4x3x3x3, expected 4x4x3x3"),
        "{e}"
    );
    // The file on disk disagrees with the manifest.
    let other = ArrayD::<f32>::zeros(IxDyn(&[4, 3, 1, 1]));
    crate::formats::npy::write_f32(&dir.join("conv1_1.weight.npy"), &other.view()).unwrap();
    let e = err(ws.conv("conv1_1", 4, 3, 3));
    assert!(
        e.contains("conv1_1.weight.npy: shape is 4x3x1x1, expected 4x3x3x3"),
        "{e}"
    );
}

#[test]
fn wrong_dtypes_name_file_and_expected_dtype() {
    let (dir, _) = tiny_set("weights");
    let ws = WeightSet::open(&dir).unwrap();
    let path = dir.join("conv1_1.bias.npy");
    let good = std::fs::read(&path).unwrap();
    let (header, _) = good.split_at(128);
    for (descr, width) in [("<f8", 8), ("<i4", 4), (">f4", 4)] {
        let mut bytes = crate::formats::npy::with_descr(header, descr);
        bytes.extend(vec![0u8; 4 * width]);
        std::fs::write(&path, &bytes).unwrap();
        let e = err(ws.conv("conv1_1", 4, 3, 3));
        assert!(
            e.contains("conv1_1.bias.npy: dtype is")
                && e.contains("expected float32 little-endian"),
            "{descr}: {e}"
        );
    }
}

#[test]
fn sha_mismatch_is_reported() {
    let (dir, _) = tiny_set("weights");
    let ws = WeightSet::open(&dir).unwrap();
    let path = dir.join("conv1_2.weight.npy");
    let mut bytes = std::fs::read(&path).unwrap();
    *bytes.last_mut().unwrap() ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let e = err(ws.verify());
    assert!(
        e.contains("conv1_2.weight.npy: sha256") && e.contains("does not match manifest.tsv"),
        "{e}"
    );
}

/// A folder whose manifest sums match but whose tensor holds NaN or infinity fails both
/// loading and `verify`, naming the tensor.
#[test]
fn non_finite_tensors_fail_load_and_verify_by_name() {
    for bad in [f32::NAN, f32::INFINITY] {
        let (dir, mut tensors) = tiny_set("weights-nan");
        tensors[2].1[[1, 2, 0, 1]] = bad;
        // Rewritten with a matching manifest: the sums cannot catch it.
        EncodedSet::new("tiny", Convention::caffe(), "test", &tensors)
            .write(&dir)
            .unwrap();
        let ws = WeightSet::open(&dir).unwrap();
        let e = err(ws.verify());
        assert!(
            e.contains("tensor `conv1_2.weight`") && e.contains("non-finite"),
            "{e}"
        );
        assert!(e.contains("[1, 2, 0, 1]"), "{e}");
        let e = err(ws.conv("conv1_2", 4, 4, 3));
        assert!(e.contains("tensor `conv1_2.weight`"), "{e}");
        ws.conv("conv1_1", 4, 3, 3).unwrap();
    }
}
