//! # nst — neural style transfer with every gradient derived by hand
//!
//! The modules follow the book's chapters: tensors and GEMM, convolution by im2col,
//! layers with explicit forward/backward pairs, gradient checking, VGG, and (in later
//! chapters) the losses, optimisers, style transfer and Texture Networks.
//!
//! Dependencies point downward only: `tensor` ← `gemm` ← `im2col` ← `layers` ← `vgg` ….

pub mod error;
pub mod formats;
pub mod gatys;
pub mod gradcheck;
pub mod layers;
pub mod loss;
pub mod math;
pub mod net;
pub mod optim;
pub mod texture_net;
pub mod tools;

pub use error::{Context, Error, Result};
