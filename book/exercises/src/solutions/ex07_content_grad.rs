//! Solution to exercise 7 (content gradient through the ReLU). Try the exercise before
//! reading this.

use ndarray::{Array3, ArrayView3, Zip};

pub fn content_grad_through_relu(x: ArrayView3<f64>, p: ArrayView3<f64>) -> Array3<f64> {
    let mut dx = Array3::zeros(x.raw_dim());
    Zip::from(&mut dx).and(&x).and(&p).for_each(|d, &xi, &pi| {
        // ∂L/∂F = F − P, then the ReLU's derivative [x > 0].
        *d = if xi > 0.0 { xi - pi } else { 0.0 };
    });
    dx
}
