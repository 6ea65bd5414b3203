//! Exercise 2: ReLU's backward pass.
//!
//! Book: chapter 4, "ReLU" (book/src/ch04-backprop-by-hand.md#relu).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex02`.
//! Checked against central differences of `⟨R, relu(x)⟩` (inputs kept away from the kink).

use ndarray::{Array4, ArrayView4};

/// `∂L/∂x` for `y = max(x, 0)` given `dy = ∂L/∂y`; `x` and `dy` are (N, C, H, W).
pub fn relu_backward(x: ArrayView4<f64>, dy: ArrayView4<f64>) -> Array4<f64> {
    let _ = (x, dy);
    todo!()
}
