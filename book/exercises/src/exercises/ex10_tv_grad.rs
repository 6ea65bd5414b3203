//! Exercise 10: the total-variation gradient.
//!
//! Book: chapter 7, "Smoothness: total variation"
//! (book/src/ch07-style-transfer.md#smoothness-total-variation).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex10`.
//! Checked against central differences of nst's `tv_loss`.

use ndarray::{Array3, ArrayView3};

/// `∂TV/∂x` (C, H, W) for
/// `TV(x) = Σ_c Σ_ij (x[c,i+1,j] − x[c,i,j])² + (x[c,i,j+1] − x[c,i,j])²`, over every pair
/// of vertically and horizontally adjacent pixels (no ½, no wrap-around).
pub fn tv_grad(x: ArrayView3<f64>) -> Array3<f64> {
    let _ = x;
    todo!()
}
