//! Exercise 5: the convolution's input gradient ∂L/∂X.
//!
//! Book: chapter 4, "Convolution" (book/src/ch04-backprop-by-hand.md#convolution).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex05`.
//! Checked against central differences of `⟨R, conv(x)⟩` (nst's forward pass) and by the
//! adjoint test `⟨W ⊛ X, Y⟩ = ⟨X, X̄(Y)⟩`.

use ndarray::{Array4, ArrayView4};
use nst::layers::ConvSpec;

/// `∂L/∂X` (N, C, H, W) of `Y = W ⊛ X + b` given the weights `w` (O, C, KH, KW) and
/// `dy = ∂L/∂Y` (N, O, OH, OW); `in_hw` is the input's (H, W). Use the index formula, or
/// `col2im(W₂ᵀ · dY)` with your exercise 4 (`crate::ex04_col2im::col2im`).
/// `spec.geom(c, h, w, kh, kw)` gives the window geometry.
pub fn conv2d_input_grad(
    w: ArrayView4<f64>,
    dy: ArrayView4<f64>,
    spec: &ConvSpec,
    in_hw: (usize, usize),
) -> Array4<f64> {
    let _ = (w, dy, spec, in_hw);
    todo!()
}
