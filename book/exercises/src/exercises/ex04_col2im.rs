//! Exercise 4: col2im — the transpose of im2col.
//!
//! Book: chapter 4, "Convolution" (book/src/ch04-backprop-by-hand.md#convolution), and
//! chapter 2 for the index formula.
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex04`.
//! Compared with nst's `col2im_naive`, then the adjoint test
//! `⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩` to round-off.

use ndarray::{Array3, ArrayView2};
use nst::math::im2col::ConvGeom;

/// `Aᵀ(cols)`: every entry of `cols` (C·KH·KW, OH·OW) goes back to the input pixel
/// (C, H, W) that im2col copied it from. Returns (C, H, W).
pub fn col2im(cols: ArrayView2<f64>, g: &ConvGeom) -> Array3<f64> {
    let _ = (cols, g);
    todo!()
}
