//! Solution to exercise 9 (style-loss gradient). Try the exercise before reading this.
//!
//! `∂E/∂F = (G − A)·F / (N²M²)` (A symmetric).

use ndarray::{Array3, ArrayView2, ArrayView3};

pub fn style_loss_grad(f: ArrayView3<f64>, a: ArrayView2<f64>) -> Array3<f64> {
    let (c, h, w) = f.dim();
    let (n, m) = (c as f64, (h * w) as f64);
    let fm = f.to_shape((c, h * w)).unwrap().to_owned();
    let g = fm.dot(&fm.t());
    let df = (&g - &a).dot(&fm) / (n * n * m * m);
    df.into_shape_with_order((c, h, w)).unwrap()
}
