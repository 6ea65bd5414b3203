//! Exercise 7: the content loss's gradient, through the ReLU (the paper's F > 0 mask).
//!
//! Book: chapter 5, "The content loss and its gradient" and "The F > 0 mask belongs to
//! the ReLU" (book/src/ch05-content-representation.md#the-f--0-mask-belongs-to-the-relu).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex07`.
//! Checked against central differences of `½ Σ (relu(x) − P)²` in `x`.

use ndarray::{Array3, ArrayView3};

/// `∂L/∂x` for `L = ½ Σ (F − P)²` with `F = relu(x)` (Gatys' normalisation): `x` is the
/// convolution's output before its ReLU (C, H, W), `p` the target features (C, H, W).
pub fn content_grad_through_relu(x: ArrayView3<f64>, p: ArrayView3<f64>) -> Array3<f64> {
    let _ = (x, p);
    todo!()
}
