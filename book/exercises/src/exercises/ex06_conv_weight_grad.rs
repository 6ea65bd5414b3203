//! Exercise 6: the convolution's weight gradient ∂L/∂W.
//!
//! Book: chapter 4, "Convolution" (book/src/ch04-backprop-by-hand.md#convolution).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex06`.
//! Checked against central differences of `⟨R, conv(x; W)⟩` in W (nst's forward pass).

use ndarray::{Array4, ArrayView4};
use nst::layers::ConvSpec;

/// `∂L/∂W` (O, C, KH, KW) of `Y = W ⊛ X + b` given the input `x` (N, C, H, W), the
/// output gradient `dy` (N, O, OH, OW) and the kernel size `k = (KH, KW)`. Sum over the
/// batch.
pub fn conv2d_weight_grad(
    x: ArrayView4<f64>,
    dy: ArrayView4<f64>,
    spec: &ConvSpec,
    k: (usize, usize),
) -> Array4<f64> {
    let _ = (x, dy, spec, k);
    todo!()
}
