//! Tensors and the arithmetic under every layer (book chapters 1 and 2): the array
//! types and the `Real` trait, the one GEMM behind a safe API, im2col/col2im, and a
//! seedable random-number generator.

pub mod gemm;
pub mod im2col;
pub mod rng;
pub(crate) mod scratch;
pub mod simd;
pub mod tensor;
