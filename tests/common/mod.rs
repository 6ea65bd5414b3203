//! Helpers shared by the integration tests: reading the committed `.npy` fixtures.
#![allow(dead_code)]

use ndarray::{ArrayD, IxDyn};
use std::path::{Path, PathBuf};

/// `tests/fixtures/<rel>` under the crate root.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

/// Read an `.npy` file of f64 or f32 values (widened to f64), with its shape.
pub fn load_npy(path: &Path) -> ArrayD<f64> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("reading fixture {}: {e}", path.display()));
    let npy = npyz::NpyFile::new(&bytes[..])
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
    let shape: Vec<usize> = npy.shape().iter().map(|&d| d as usize).collect();
    let data: Vec<f64> = match npy.dtype() {
        npyz::DType::Plain(t) if t.size_field() == 4 => npy
            .into_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect(),
        _ => npy.into_vec::<f64>().unwrap(),
    };
    ArrayD::from_shape_vec(IxDyn(&shape), data).unwrap()
}

/// `load_npy(fixture(rel))`.
pub fn load(rel: &str) -> ArrayD<f64> {
    load_npy(&fixture(rel))
}

/// The real weights folder (`NST_WEIGHTS`, else `weights/vgg16`). Missing weights fail the
/// test with the fetch command, unless NST_ALLOW_MISSING_WEIGHTS=1 (then `None`: skip).
pub fn weights_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("NST_WEIGHTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("weights/vgg16"));
    if dir.join("manifest.tsv").exists() {
        return Some(dir);
    }
    if std::env::var("NST_ALLOW_MISSING_WEIGHTS").as_deref() == Ok("1") {
        eprintln!(
            "skipping: no weights at {} (NST_ALLOW_MISSING_WEIGHTS=1)",
            dir.display()
        );
        return None;
    }
    panic!(
        "no weights at {}: run `bash weights/fetch.sh` first",
        dir.display()
    );
}
