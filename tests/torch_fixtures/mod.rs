//! Loading the PyTorch reference fixtures of `tests/fixtures/torch_losses/` (float64 and
//! int64 `.npy` files; layout in that directory's `MANIFEST.txt`, generator in
//! `scripts/reference/torch_loss_fixtures.py`).

#![allow(dead_code)] // each test file uses part of this module

use ndarray::{ArrayD, IxDyn};
use std::path::PathBuf;

/// The fixture directory.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/torch_losses")
}

fn open(name: &str) -> npyz::NpyFile<std::io::BufReader<std::fs::File>> {
    let path = dir().join(format!("{name}.npy"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    npyz::NpyFile::new(std::io::BufReader::new(file))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A float64 array, with its shape.
pub fn f64s(name: &str) -> ArrayD<f64> {
    let npy = open(name);
    let shape: Vec<usize> = npy.shape().iter().map(|&s| s as usize).collect();
    let data = npy
        .into_vec::<f64>()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    ArrayD::from_shape_vec(IxDyn(&shape), data).expect("shape matches data")
}

/// A float64 scalar stored with shape [1].
pub fn scalar(name: &str) -> f64 {
    let a = f64s(name);
    assert_eq!(a.len(), 1, "{name} is not a scalar");
    a.iter().next().copied().unwrap()
}

/// An int64 vector.
pub fn i64s(name: &str) -> Vec<i64> {
    open(name)
        .into_vec::<i64>()
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `|a − b| / max(|a|, |b|)` for scalars.
pub fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / a.abs().max(b.abs()).max(1e-300)
}
