//! Exercise 3: 2×2 max-pooling's backward pass.
//!
//! Book: chapter 4, "Pooling" (book/src/ch04-backprop-by-hand.md#pooling).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex03`.
//! Checked against central differences of `⟨R, maxpool(x)⟩` (inputs without ties), on
//! even and odd sizes.

use ndarray::{Array4, ArrayView4};

/// `∂L/∂x` for 2×2 max-pooling with stride 2, given the input `x` (N, C, H, W) and
/// `dy = ∂L/∂y` (N, C, ⌊H/2⌋, ⌊W/2⌋). Find each window's maximum in `x` yourself.
/// Odd sizes: the last row or column belongs to no window.
pub fn maxpool2_backward(x: ArrayView4<f64>, dy: ArrayView4<f64>) -> Array4<f64> {
    let _ = (x, dy);
    todo!()
}
