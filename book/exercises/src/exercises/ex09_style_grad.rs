//! Exercise 9: the style loss's gradient.
//!
//! Book: chapter 6, "The style loss" and "Its gradient, step by step"
//! (book/src/ch06-style-representation.md#its-gradient-step-by-step).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex09`.
//! Checked against central differences of nst's `style_loss` (Gatys normalisation).

use ndarray::{Array3, ArrayView2, ArrayView3};

/// `∂E/∂F` (C, H, W) for `E = Σ (G − A)² / (4N²M²)`, `G = F·Fᵀ`, `N = C`, `M = H·W`,
/// given the activation `f` (C, H, W) and the target Gram matrix `a` (C, C, symmetric).
/// No F > 0 mask: that is the ReLU's job (exercise 7).
pub fn style_loss_grad(f: ArrayView3<f64>, a: ArrayView2<f64>) -> Array3<f64> {
    let _ = (f, a);
    todo!()
}
