//! Layers as explicit forward/backward pairs.
//!
//! Each layer is a pair of functions, `*_forward` and `*_backward`, with every
//! argument's shape documented at the top (llm.c style), and a small cache struct
//! holding exactly what its backward pass needs (Saito's *Deep Learning from Scratch*
//! style). Parameter and input gradients are **added into** buffers the caller zeroed,
//! so a caller can accumulate over a batch or over several uses.
//!
//! All layers are generic over [`crate::math::tensor::Real`]: `f32` for pictures, `f64` for
//! the finite-difference checks in `tests/layers_gradcheck.rs`,
//! `tests/texture_layers_gradcheck.rs` and `nst gradcheck`.

pub mod batchnorm;
pub mod bits;
pub mod concat;
pub mod conv;
pub mod instancenorm;
pub mod norm;
pub mod pool;
pub mod relu;
pub mod upsample;
pub mod winograd;

pub use batchnorm::{
    batchnorm_backward, batchnorm_eval_affine, batchnorm_forward_eval, batchnorm_forward_train,
    batchnorm_update_running, fold_batchnorm_into_conv, BatchNormCache, BatchStats, NormGrads,
    BN_MOMENTUM,
};
pub use bits::{BitMask, Switches};
pub use concat::{concat_channels, concat_channels_backward};

pub use conv::{
    conv2d_backward, conv2d_flops, conv2d_forward, conv2d_forward_then, conv2d_input_grad,
    conv2d_input_grad_naive, conv2d_naive, Conv2d, ConvGrads, ConvSpec,
};
pub use instancenorm::{instancenorm_backward, instancenorm_forward, InstanceNormCache};
pub use norm::NORM_EPS;
pub use pool::{
    avgpool2_backward, avgpool2_forward, maxpool2_backward, maxpool2_forward, MaxPoolCache,
};
pub use relu::{
    leaky, leaky_relu_backward, leaky_relu_forward, relu_backward, relu_backward_inplace,
    relu_forward, Activation, ReluCache,
};
pub use upsample::{upsample2_backward, upsample2_forward, upsample2_plane};
pub use winograd::{
    auto_choice, winograd_applies, winograd_forward, winograd_input_grad, winograd_naive, ConvAlgo,
    WinogradKernel, WinogradTile,
};
