//! Exercise 1: im2col — unroll every window of a convolution into a column.
//!
//! Book: chapter 2, "im2col: convolution as one matrix product"
//! (book/src/ch02-convolution.md#im2col-convolution-as-one-matrix-product).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex01`.
//! Compared entry by entry with nst's `im2col_naive` on zero and circular padding,
//! strides 1 and 2, square and oblong kernels.

use ndarray::{Array2, ArrayView3};
use nst::math::im2col::ConvGeom;

/// The column matrix `A(X)` of one item `x` (C, H, W) for the window geometry `g`:
/// shape (C·KH·KW, OH·OW). Row `(c·KH + ki)·KW + kj`, column `oy·OW + ox` holds
/// `X[c, oy·stride + ki − pad, ox·stride + kj − pad]`; outside the image that is 0 under
/// `Padding::Zero` and the wrapped-around pixel under `Padding::Circular`.
/// `g.out_h()` and `g.out_w()` give OH and OW.
pub fn im2col(x: ArrayView3<f64>, g: &ConvGeom) -> Array2<f64> {
    let _ = (x, g);
    todo!()
}
