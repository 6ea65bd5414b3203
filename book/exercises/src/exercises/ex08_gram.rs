//! Exercise 8: the Gram matrix.
//!
//! Book: chapter 6, "The Gram matrix" (book/src/ch06-style-representation.md#the-gram-matrix).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex08`.
//! Compared with nst's `losses::gram`.

use ndarray::{Array2, ArrayView3};

/// `G = F·Fᵀ` (C, C) of an activation `f` (C, H, W) viewed as the C×(H·W) matrix `F`.
pub fn gram(f: ArrayView3<f64>) -> Array2<f64> {
    let _ = f;
    todo!()
}
