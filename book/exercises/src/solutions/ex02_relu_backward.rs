//! Solution to exercise 2 (ReLU backward). Try the exercise before reading this.

use ndarray::{Array4, ArrayView4, Zip};

pub fn relu_backward(x: ArrayView4<f64>, dy: ArrayView4<f64>) -> Array4<f64> {
    let mut dx = Array4::zeros(x.raw_dim());
    Zip::from(&mut dx)
        .and(&x)
        .and(&dy)
        .for_each(|d, &xi, &g| *d = if xi > 0.0 { g } else { 0.0 });
    dx
}
