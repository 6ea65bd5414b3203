//! Exercise 13: batch normalisation's backward pass (train mode).
//!
//! Book: chapter 9, "The batch-norm backward pass, step by step"
//! (book/src/ch09-texture-networks.md#the-batch-norm-backward-pass-step-by-step).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex13`.
//! Checked against central differences of nst's `batchnorm_forward_train` in x, γ and β.

use ndarray::{Array1, Array4, ArrayView1, ArrayView4};

/// `(∂L/∂x, ∂L/∂γ, ∂L/∂β)` for train-mode batch norm
/// `y = γ·(x − μ)/√(σ² + ε) + β`, per channel, μ and σ² (biased) over (n, y, x), with
/// `ε = nst::layers::NORM_EPS`. `x`, `dy`: (N, C, H, W); `gamma`: (C). Recompute the
/// statistics from `x`.
pub fn batchnorm_backward(
    x: ArrayView4<f64>,
    gamma: ArrayView1<f64>,
    dy: ArrayView4<f64>,
) -> (Array4<f64>, Array1<f64>, Array1<f64>) {
    let _ = (x, gamma, dy);
    todo!()
}
