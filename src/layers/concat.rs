//! Channel concatenation: stack several (N, Cᵢ, H, W) tensors into one (N, ΣCᵢ, H, W).
//!
//! Texture Networks join two branches this way: the upsampled coarse branch's channels
//! first, then the finer branch's. Each output channel is a copy of exactly one input
//! channel, so the backward pass is the split: input k gets back the slice of `dy` at
//! its channels, `dxₖ = dy[:, offₖ .. offₖ + Cₖ]`. No cache: the channel counts come
//! from the shapes of the gradient buffers.

use crate::math::tensor::{Real, Tensor4};
use ndarray::{s, ArrayView4, ArrayViewMut4, Axis};

// ANCHOR: concat
/// Concatenate along the channel axis.
///
/// * `xs`: (N, Cₖ, H, W) each, same N, H, W; returns (N, ΣCₖ, H, W)
pub fn concat_channels<T: Real>(xs: &[ArrayView4<T>]) -> Tensor4<T> {
    ndarray::concatenate(Axis(1), xs)
        .unwrap_or_else(|e| panic!("concat_channels: inputs differ in N, H or W ({e})"))
}

/// Split `dy` back along the channels: `dxs[k] += dy[:, offₖ .. offₖ + Cₖ]`.
///
/// * `dy`: (N, ΣCₖ, H, W)
/// * `dxs`: (N, Cₖ, H, W) each, in the order of the forward inputs
pub fn concat_channels_backward<T: Real>(dy: ArrayView4<T>, dxs: &mut [ArrayViewMut4<T>]) {
    let total: usize = dxs.iter().map(|d| d.dim().1).sum();
    assert_eq!(
        dy.dim().1,
        total,
        "concat_channels_backward: channel counts"
    );
    let mut off = 0;
    for dx in dxs.iter_mut() {
        let ck = dx.dim().1;
        *dx += &dy.slice(s![.., off..off + ck, .., ..]);
        off += ck;
    }
}
// ANCHOR_END: concat
