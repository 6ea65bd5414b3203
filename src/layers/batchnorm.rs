//! Batch normalisation (Ioffe & Szegedy 2015): each channel normalised over the batch
//! and both spatial axes, then scaled by γ and shifted by β.
//!
//! Texture Networks put one after every convolution of the generator and, importantly,
//! one before each join of two branches: the seed notes that the gradients arriving
//! along the different branches need to be balanced by batch normalisation.
//!
//! **Train mode** uses the batch's own statistics — one group of N·H·W values per
//! channel — and so couples the items of a batch: the backward pass goes through the
//! mean and the variance (derived in [`super::norm`]):
//!
//! ```text
//! dx = (γ/s)·(dy − mean(dy) − x̂·mean(dy·x̂))   per channel, means over (n, y, x)
//! dγ = Σ dy·x̂      dβ = Σ dy
//! ```
//!
//! and keeps running averages of the statistics for later, with momentum `m`:
//! `running ← (1 − m)·running + m·batch`. The running variance uses the unbiased batch
//! variance (`× k/(k − 1)` for a group of k values), as Torch and PyTorch do.
//!
//! **Inference mode** uses the running statistics instead: a fixed per-channel affine map
//! `y = a·x + b` with `a = γ/√(var + ε)`, `b = β − a·mean`, so a generated picture does
//! not depend on what else is in the batch.

use super::norm::{group_backward, normalize_group, optional_subviews};
use crate::math::tensor::{Real, Tensor4};
use ndarray::{Array1, Array4, ArrayView1, ArrayView4, ArrayViewMut1, ArrayViewMut4, Axis, Zip};
use rayon::prelude::*;

/// Torch's and PyTorch's default momentum for the running statistics.
pub const BN_MOMENTUM: f64 = 0.1;

/// What batch norm's backward pass needs.
#[derive(Clone, Debug)]
pub struct BatchNormCache<T> {
    /// The normalised input x̂ = (x − μ)/s, (N, C, H, W): it appears in both dx and dγ.
    pub xhat: Tensor4<T>,
    /// 1/s per channel, (C): the factor in front of dx.
    pub inv_std: Array1<T>,
}

/// A batch's statistics, for the running averages.
#[derive(Clone, Debug)]
pub struct BatchStats<T> {
    /// Mean per channel, (C).
    pub mean: Array1<T>,
    /// Biased variance per channel (divided by `count`), (C).
    pub var: Array1<T>,
    /// Values per channel: N·H·W.
    pub count: usize,
}

/// Where the gradients of a normalisation layer go; each optional and **added into**.
pub struct NormGrads<'a, T> {
    /// ∂L/∂x, (N, C, H, W).
    pub dx: Option<ArrayViewMut4<'a, T>>,
    /// ∂L/∂γ, (C).
    pub dgamma: Option<ArrayViewMut1<'a, T>>,
    /// ∂L/∂β, (C).
    pub dbeta: Option<ArrayViewMut1<'a, T>>,
}

/// Batch norm in train mode: normalise each channel with the batch's mean and variance.
///
/// * `x`: (N, C, H, W)
/// * `gamma`, `beta`: (C)
/// * returns `y` (N, C, H, W), the batch statistics, and the cache if `cache`
///
/// Parallel over channels: each is an independent group.
pub fn batchnorm_forward_train<T: Real>(
    x: ArrayView4<T>,
    gamma: ArrayView1<T>,
    beta: ArrayView1<T>,
    eps: f64,
    cache: bool,
) -> (Tensor4<T>, BatchStats<T>, Option<BatchNormCache<T>>) {
    let (n, c, h, w) = x.dim();
    assert_eq!(
        gamma.len(),
        c,
        "batchnorm: {c} channels, γ has {}",
        gamma.len()
    );
    assert_eq!(
        beta.len(),
        c,
        "batchnorm: {c} channels, β has {}",
        beta.len()
    );
    let mut y = Array4::zeros(x.raw_dim());
    let mut xhat = cache.then(|| Array4::zeros(x.raw_dim()));
    let xh_channels = optional_subviews(xhat.as_mut(), Axis(1), c);
    let stats: Vec<_> = y
        .axis_iter_mut(Axis(1))
        .into_par_iter()
        .zip(xh_channels)
        .zip(x.axis_iter(Axis(1)))
        .enumerate()
        .map(|(ci, ((yc, xh), xc))| normalize_group(xc, gamma[ci], beta[ci], eps, yc, xh))
        .collect();
    let batch = BatchStats {
        mean: stats.iter().map(|s| T::of(s.mean)).collect(),
        var: stats.iter().map(|s| T::of(s.var)).collect(),
        count: n * h * w,
    };
    let cache = xhat.map(|xhat| BatchNormCache {
        xhat,
        inv_std: stats.iter().map(|s| T::of(s.inv_std)).collect(),
    });
    (y, batch, cache)
}

/// `running ← (1 − momentum)·running + momentum·batch`, with the unbiased variance.
///
/// * `running_mean`, `running_var`: (C), updated in place
pub fn batchnorm_update_running<T: Real>(
    mut running_mean: ArrayViewMut1<T>,
    mut running_var: ArrayViewMut1<T>,
    batch: &BatchStats<T>,
    momentum: f64,
) {
    let k = batch.count as f64;
    let unbias = if batch.count > 1 { k / (k - 1.0) } else { 1.0 };
    let (m, keep) = (T::of(momentum), T::of(1.0 - momentum));
    Zip::from(&mut running_mean)
        .and(&batch.mean)
        .for_each(|r, &b| *r = keep * *r + m * b);
    Zip::from(&mut running_var)
        .and(&batch.var)
        .for_each(|r, &b| *r = keep * *r + m * b * T::of(unbias));
}

/// Batch norm in inference mode: `y = γ·(x − mean)/√(var + ε) + β` with the running
/// statistics, a per-channel affine map. No cache (there is no backward through it in
/// this project: inference mode is for generating).
///
/// * `x`: (N, C, H, W)
/// * `gamma`, `beta`, `mean`, `var`: (C)
pub fn batchnorm_forward_eval<T: Real>(
    x: ArrayView4<T>,
    gamma: ArrayView1<T>,
    beta: ArrayView1<T>,
    mean: ArrayView1<T>,
    var: ArrayView1<T>,
    eps: f64,
) -> Tensor4<T> {
    let c = x.dim().1;
    let (scale, shift) = batchnorm_eval_affine(gamma, beta, mean, var, eps);
    assert_eq!(
        scale.len(),
        c,
        "batchnorm: parameters do not match {c} channels"
    );
    let mut y = x.to_owned();
    y.axis_iter_mut(Axis(1))
        .into_par_iter()
        .zip(scale.par_iter().zip(&shift))
        .for_each(|(mut yc, (&a, &b))| yc.mapv_inplace(|v| a * v + b));
    y
}

/// Inference batch norm as the per-channel affine map `y = s·x + t` it is:
/// `s = γ/√(var + ε)`, `t = β − s·mean`. Returns `(s, t)`.
///
/// * `gamma`, `beta`, `mean`, `var`: (C)
pub fn batchnorm_eval_affine<T: Real>(
    gamma: ArrayView1<T>,
    beta: ArrayView1<T>,
    mean: ArrayView1<T>,
    var: ArrayView1<T>,
    eps: f64,
) -> (Vec<T>, Vec<T>) {
    let c = gamma.len();
    assert!(
        [beta.len(), mean.len(), var.len()].iter().all(|&l| l == c),
        "batchnorm: γ, β, mean and var differ in length"
    );
    let scale: Vec<T> = Zip::from(&gamma)
        .and(&var)
        .map_collect(|&g, &v| g / (v + T::of(eps)).sqrt())
        .to_vec();
    let shift = Zip::from(&beta)
        .and(&mean)
        .and(&ArrayView1::from(&scale[..]))
        .map_collect(|&b, &m, &s| b - s * m)
        .to_vec();
    (scale, shift)
}

// ANCHOR: fold_batchnorm
/// A convolution followed by inference-mode batch norm, as one convolution.
///
/// Batch norm with fixed statistics is the per-channel affine map
/// `y = s·(x − mean) + β`, `s = γ/√(var + ε)`. With `x = W⊛z + b` in front of it,
/// `y = (s·W)⊛z + s·(b − mean) + β`: scale each output channel's filters by `s` and
/// move the rest into the bias. The generator's inference pass does this so that each
/// activation tensor is written once instead of twice; the result is the same up to
/// rounding.
///
/// * `w`: (O, C, KH, KW), `b`: (O); `gamma`, `beta`, `mean`, `var`: (O)
/// * returns `(W', b')` of the same shapes
pub fn fold_batchnorm_into_conv<T: Real>(
    w: ArrayView4<T>,
    b: ArrayView1<T>,
    (gamma, beta): (ArrayView1<T>, ArrayView1<T>),
    (mean, var): (ArrayView1<T>, ArrayView1<T>),
    eps: f64,
) -> (Array4<T>, Array1<T>) {
    let o = w.dim().0;
    assert_eq!(b.len(), o, "fold_batchnorm_into_conv: bias length");
    let (scale, shift) = batchnorm_eval_affine(gamma, beta, mean, var, eps);
    assert_eq!(scale.len(), o, "fold_batchnorm_into_conv: norm length");
    let mut w2 = w.to_owned();
    let mut b2 = Array1::zeros(o);
    for (oc, mut filters) in w2.outer_iter_mut().enumerate() {
        filters.mapv_inplace(|v| scale[oc] * v);
        // s·(b − mean) + β = s·b + t
        b2[oc] = scale[oc] * b[oc] + shift[oc];
    }
    (w2, b2)
}
// ANCHOR_END: fold_batchnorm

// ANCHOR: batchnorm_backward
/// Gradients of train-mode batch norm given `dy = ∂L/∂y`:
///
/// ```text
/// dx = (γ/s)·(dy − mean(dy) − x̂·mean(dy·x̂))    dγ = Σ dy·x̂    dβ = Σ dy
/// ```
///
/// per channel, the means and sums running over (n, y, x).
///
/// * `dy`: (N, C, H, W)
/// * `gamma`: (C)
/// * `cache`: from [`batchnorm_forward_train`]
/// * `grads`: where to add ∂L/∂x, ∂L/∂γ, ∂L/∂β
pub fn batchnorm_backward<T: Real>(
    dy: ArrayView4<T>,
    gamma: ArrayView1<T>,
    cache: &BatchNormCache<T>,
    grads: NormGrads<'_, T>,
) {
    let c = dy.dim().1;
    assert_eq!(dy.dim(), cache.xhat.dim(), "batchnorm_backward: dy shape");
    let NormGrads {
        mut dx,
        dgamma,
        dbeta,
    } = grads;
    let sums: Vec<(f64, f64)> = optional_subviews(dx.as_mut(), Axis(1), c)
        .into_par_iter()
        .zip(dy.axis_iter(Axis(1)))
        .zip(cache.xhat.axis_iter(Axis(1)))
        .enumerate()
        .map(|(ci, ((dxc, dyc), xhc))| group_backward(dyc, xhc, gamma[ci], cache.inv_std[ci], dxc))
        .collect();
    add_param_grads(&sums, dgamma, dbeta);
}
// ANCHOR_END: batchnorm_backward

/// `dγ[c] += Σ dy·x̂`, `dβ[c] += Σ dy` from per-channel sums.
pub(crate) fn add_param_grads<T: Real>(
    sums: &[(f64, f64)],
    dgamma: Option<ArrayViewMut1<T>>,
    dbeta: Option<ArrayViewMut1<T>>,
) {
    if let Some(mut dg) = dgamma {
        for (d, s) in dg.iter_mut().zip(sums) {
            *d += T::of(s.0);
        }
    }
    if let Some(mut db) = dbeta {
        for (d, s) in db.iter_mut().zip(sums) {
            *d += T::of(s.1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{conv2d_forward, ConvSpec};
    use crate::math::rng::Rng;
    use crate::math::tensor::rel_error;

    /// conv → inference batch norm equals the folded convolution, for both paddings.
    #[test]
    fn folding_into_the_convolution_changes_nothing() {
        let mut rng = Rng::new(1);
        let x: Array4<f64> = rng.uniform_array((2, 3, 7, 5), -1.0, 1.0);
        let w: Array4<f64> = rng.uniform_array((4, 3, 3, 3), -1.0, 1.0);
        let b: Array1<f64> = rng.uniform_array(4, -1.0, 1.0);
        let gamma: Array1<f64> = rng.uniform_array(4, 0.5, 2.0);
        let beta: Array1<f64> = rng.uniform_array(4, -1.0, 1.0);
        let mean: Array1<f64> = rng.uniform_array(4, -1.0, 1.0);
        let var: Array1<f64> = rng.uniform_array(4, 0.1, 3.0);
        for padding in [
            crate::math::im2col::Padding::Zero,
            crate::math::im2col::Padding::Circular,
        ] {
            let spec = ConvSpec {
                stride: 1,
                pad: 1,
                padding,
            };
            let y = conv2d_forward(x.view(), w.view(), b.view(), &spec);
            let two = batchnorm_forward_eval(
                y.view(),
                gamma.view(),
                beta.view(),
                mean.view(),
                var.view(),
                1e-5,
            );
            let (w2, b2) = fold_batchnorm_into_conv(
                w.view(),
                b.view(),
                (gamma.view(), beta.view()),
                (mean.view(), var.view()),
                1e-5,
            );
            let one = conv2d_forward(x.view(), w2.view(), b2.view(), &spec);
            assert!(rel_error(&one.view(), &two.view()) < 1e-13);
        }
    }
}
