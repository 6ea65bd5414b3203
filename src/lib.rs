//! # nst — neural style transfer with every gradient derived by hand
//!
//! The modules follow the book's chapters: tensors and GEMM, convolution by im2col,
//! layers with explicit forward/backward pairs, gradient checking, VGG, and (in later
//! chapters) the losses, optimisers, style transfer and Texture Networks.
//!
//! Dependencies point downward only: `tensor` ← `gemm` ← `im2col` ← `layers` ← `vgg` ….

pub mod bench;
pub mod checks;
pub mod color;
pub mod crc32c;
pub mod error;
pub mod files;
pub mod gatys;
pub mod gemm;
pub mod gradcheck;
pub mod im2col;
pub mod image_io;
pub mod layers;
pub mod losses;
pub mod memory;
pub mod npy;
pub mod objective;
pub mod optim;
pub mod protobuf;
pub mod rng;
pub mod tensor;
pub mod texture_net;
pub mod tfrecord;
pub mod vgg;
pub mod viz;
pub mod weights;

pub use error::{Context, Error, Result};
