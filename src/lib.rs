//! # nst — neural style transfer with every gradient derived by hand
//!
//! The modules follow the book's chapters: tensors and GEMM, convolution by im2col,
//! layers with explicit forward/backward pairs, gradient checking, VGG, and (in later
//! chapters) the losses, optimisers, style transfer and Texture Networks.
//!
//! Dependencies point downward only: `tensor` ← `gemm` ← `im2col` ← `layers` ← `vgg` ….

pub mod bench;
pub mod checks;
pub mod error;
pub mod gemm;
pub mod gradcheck;
pub mod im2col;
pub mod layers;
pub mod rng;
pub mod tensor;
pub mod vgg;
pub mod viz;

pub use error::{Context, Error, Result};
