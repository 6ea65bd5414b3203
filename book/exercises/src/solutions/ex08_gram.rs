//! Solution to exercise 8 (Gram matrix). Try the exercise before reading this.

use ndarray::{Array2, ArrayView3};

pub fn gram(f: ArrayView3<f64>) -> Array2<f64> {
    let (c, h, w) = f.dim();
    let fm = f.to_shape((c, h * w)).unwrap().to_owned();
    fm.dot(&fm.t())
}
