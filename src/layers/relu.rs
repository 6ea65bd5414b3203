//! ReLU: `y = max(x, 0)`, and its backward pass `dx = dy · [x > 0]`.
//!
//! The cache is the mask `[x > 0]`, one byte per element — a quarter of keeping the
//! f32 input, and all that backward needs. This mask is the `F > 0` condition in the
//! Gatys gradients (seed 003): when a loss taps a `relu` output, the mask is applied
//! here, once, and the losses themselves stay unmasked.

use crate::tensor::{Real, Tensor4};
use ndarray::{Array4, ArrayView4, ArrayViewMut4, Zip};

/// What ReLU's backward pass needs: which inputs were positive.
#[derive(Clone, Debug)]
pub struct ReluCache {
    /// `[x > 0]`, same shape as the input.
    pub mask: Array4<bool>,
}

// ANCHOR: relu
/// `y = max(x, 0)`, in place on `x`, which it returns as `y`.
///
/// * `x`: (N, C, H, W); returns `y` (N, C, H, W) and the mask for backward (if `cache`).
pub fn relu_forward<T: Real>(mut x: Tensor4<T>, cache: bool) -> (Tensor4<T>, Option<ReluCache>) {
    let mask = cache.then(|| x.mapv(|v| v > T::zero()));
    x.par_mapv_inplace(|v| if v > T::zero() { v } else { T::zero() });
    (x, mask.map(|mask| ReluCache { mask }))
}

/// `dx += dy · [x > 0]`.
///
/// * `dy`, `dx`: (N, C, H, W)
pub fn relu_backward<T: Real>(dy: ArrayView4<T>, cache: &ReluCache, dx: ArrayViewMut4<T>) {
    Zip::from(dx)
        .and(dy)
        .and(&cache.mask)
        .par_for_each(|d, &g, &m| {
            if m {
                *d += g
            }
        });
}
// ANCHOR_END: relu
