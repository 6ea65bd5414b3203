//! The arithmetic shared by batch and instance normalisation: normalise one *group* of
//! values to zero mean and unit variance, scale and shift it, and the backward pass of
//! that map.
//!
//! The two layers differ only in what a group is:
//!
//! | layer | one group | statistics per |
//! |---|---|---|
//! | batch norm ([`super::batchnorm`]) | all (n, y, x) of channel c: N·H·W values | channel |
//! | instance norm ([`super::instancenorm`]) | all (y, x) of item n, channel c: H·W values | item and channel |
//!
//! so both call [`normalize_group`] and [`group_backward`] on views of their groups, and
//! the derivation below is written once.
//!
//! **Forward**, over a group of `m` values:
//!
//! ```text
//! μ = (1/m) Σ x        σ² = (1/m) Σ (x − μ)²     (biased: the group is the population)
//! s = √(σ² + ε)        x̂ = (x − μ) / s           y = γ·x̂ + β
//! ```
//!
//! **Backward.** `∂L/∂γ = Σ dy·x̂` and `∂L/∂β = Σ dy` are immediate. For `x`, every x̂ᵢ
//! depends on every xⱼ through μ and s. With `∂μ/∂xⱼ = 1/m` and
//! `∂s/∂xⱼ = (1/2s)·(2/m)·(xⱼ − μ) = x̂ⱼ/m` (the term through μ drops out because
//! `Σ (xᵢ − μ) = 0`):
//!
//! ```text
//! ∂x̂ᵢ/∂xⱼ = (δᵢⱼ − 1/m)/s − (xᵢ − μ)/s² · x̂ⱼ/m = (1/s)·(δᵢⱼ − 1/m − x̂ᵢ·x̂ⱼ/m)
//! ```
//!
//! and with `gᵢ = ∂L/∂x̂ᵢ = γ·dyᵢ`, summing `gᵢ·∂x̂ᵢ/∂xⱼ` over i:
//!
//! ```text
//! dxⱼ = (γ/s)·(dyⱼ − mean(dy) − x̂ⱼ·mean(dy·x̂))
//! ```
//!
//! Read it as: the gradient of a normalised group has its own mean and its component
//! along x̂ projected out — shifting or scaling the whole group does not change x̂, so
//! the loss cannot change in those two directions.
//!
//! **Cache**: x̂ (same shape as x) and 1/s per group. Keeping x̂ rather than x means
//! backward needs neither μ nor a recomputation; it costs the same memory.
//!
//! **Precision**: the sums run in `f64` even for `f32` layers. A batch of 16 pictures of
//! 256² pixels puts a million values in one group; summing them in `f32` would lose
//! about three of its seven digits.

use crate::math::tensor::Real;
use ndarray::{ArrayBase, ArrayView, ArrayViewMut, Axis, DataMut, Dimension, RemoveAxis, Zip};

/// Default `ε` under the square root, as in Torch and PyTorch.
pub const NORM_EPS: f64 = 1e-5;

/// Statistics of one normalised group.
#[derive(Clone, Copy, Debug)]
pub struct GroupStats {
    /// μ.
    pub mean: f64,
    /// σ², biased (divided by m).
    pub var: f64,
    /// 1/√(σ² + ε).
    pub inv_std: f64,
}

/// `y = γ·(x − μ)/s + β` over one group; also writes x̂ when asked.
///
/// * `x`, `y`, `xhat`: the group's values, any (equal) shape
pub fn normalize_group<T: Real, D: Dimension>(
    x: ArrayView<T, D>,
    gamma: T,
    beta: T,
    eps: f64,
    y: ArrayViewMut<T, D>,
    xhat: Option<ArrayViewMut<T, D>>,
) -> GroupStats {
    debug_assert_eq!(x.shape(), y.shape());
    let m = x.len().max(1) as f64;
    let mean = x.iter().map(|v| v.f64()).sum::<f64>() / m;
    // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which
    // cancels catastrophically when the mean is large compared with the spread.
    let var = x.iter().map(|v| (v.f64() - mean).powi(2)).sum::<f64>() / m;
    let inv_std = 1.0 / (var + eps).sqrt();
    let (mu, is) = (T::of(mean), T::of(inv_std));
    match xhat {
        Some(xh) => Zip::from(y).and(xh).and(&x).for_each(|y, h, &v| {
            *h = (v - mu) * is;
            *y = gamma * *h + beta;
        }),
        None => Zip::from(y)
            .and(&x)
            .for_each(|y, &v| *y = gamma * ((v - mu) * is) + beta),
    }
    GroupStats { mean, var, inv_std }
}

// ANCHOR: norm_group_backward
/// Backward pass over one group: `dx += (γ/s)·(dy − mean(dy) − x̂·mean(dy·x̂))`.
/// Returns `(Σ dy·x̂, Σ dy)`, the group's contributions to ∂L/∂γ and ∂L/∂β.
///
/// * `dy`, `xhat`, `dx`: the group's values, any (equal) shape
/// * `inv_std`: 1/s from the forward pass
pub fn group_backward<T: Real, D: Dimension>(
    dy: ArrayView<T, D>,
    xhat: ArrayView<T, D>,
    gamma: T,
    inv_std: T,
    dx: Option<ArrayViewMut<T, D>>,
) -> (f64, f64) {
    debug_assert_eq!(dy.shape(), xhat.shape());
    let m = dy.len().max(1) as f64;
    let (mut sum_dy, mut sum_dy_xhat) = (0.0, 0.0);
    Zip::from(&dy).and(&xhat).for_each(|&g, &h| {
        sum_dy += g.f64();
        sum_dy_xhat += g.f64() * h.f64();
    });
    if let Some(dx) = dx {
        let (mean_dy, mean_dy_xhat) = (T::of(sum_dy / m), T::of(sum_dy_xhat / m));
        let scale = gamma * inv_std;
        Zip::from(dx).and(&dy).and(&xhat).for_each(|d, &g, &h| {
            *d += scale * (g - mean_dy - h * mean_dy_xhat);
        });
    }
    (sum_dy_xhat, sum_dy)
}
// ANCHOR_END: norm_group_backward

/// The sub-views of `a` along `axis` as `Some(view)`, or `len` times `None` when there is
/// no `a` — so that an optional output (a gradient nobody asked for, a cache not kept)
/// can be zipped with the inputs in a parallel loop.
pub(crate) fn optional_subviews<'a, T, S, D>(
    a: Option<&'a mut ArrayBase<S, D>>,
    axis: Axis,
    len: usize,
) -> Vec<Option<ArrayViewMut<'a, T, D::Smaller>>>
where
    T: 'a,
    S: DataMut<Elem = T>,
    D: RemoveAxis,
{
    match a {
        Some(a) => a.axis_iter_mut(axis).map(Some).collect(),
        None => (0..len).map(|_| None).collect(),
    }
}
