//! Instance normalisation (Ulyanov, Vedaldi & Lempitsky 2016, "Instance Normalization:
//! The Missing Ingredient for Fast Stylization", and the "Improved Texture Networks"
//! paper, 2017): each (item, channel) plane normalised over its own H·W pixels, then
//! scaled by γ and shifted by β (one pair per channel, shared by the items).
//!
//! Where batch norm's statistics mix the pictures of a batch, instance norm treats every
//! picture alone, so it removes each picture's own contrast — what stylisation wants —
//! and behaves the same at training and generation time: there are no running
//! statistics and no separate inference mode.
//!
//! The backward pass is batch norm's, with the group being one plane (derived in
//! [`super::norm`]):
//!
//! ```text
//! dx[n,c] = (γ_c/s_nc)·(dy[n,c] − mean(dy[n,c]) − x̂[n,c]·mean(dy[n,c]·x̂[n,c]))
//! dγ_c = Σ_n Σ_yx dy·x̂      dβ_c = Σ_n Σ_yx dy
//! ```

use super::batchnorm::{add_param_grads, NormGrads};
use super::norm::{group_backward, normalize_group, optional_subviews};
use crate::math::tensor::{Real, Tensor4};
use ndarray::{Array2, Array4, ArrayView1, ArrayView4, Axis};
use rayon::prelude::*;

/// What instance norm's backward pass needs.
#[derive(Clone, Debug)]
pub struct InstanceNormCache<T> {
    /// The normalised input x̂, (N, C, H, W).
    pub xhat: Tensor4<T>,
    /// 1/s per plane, (N, C).
    pub inv_std: Array2<T>,
}

/// Instance norm: normalise every (item, channel) plane over its pixels.
///
/// * `x`: (N, C, H, W)
/// * `gamma`, `beta`: (C)
/// * returns `y` (N, C, H, W) and, if `cache`, what backward needs
///
/// Parallel over the channels of each item.
pub fn instancenorm_forward<T: Real>(
    x: ArrayView4<T>,
    gamma: ArrayView1<T>,
    beta: ArrayView1<T>,
    eps: f64,
    cache: bool,
) -> (Tensor4<T>, Option<InstanceNormCache<T>>) {
    let (n, c, _, _) = x.dim();
    assert_eq!(
        gamma.len(),
        c,
        "instancenorm: {c} channels, γ has {}",
        gamma.len()
    );
    assert_eq!(
        beta.len(),
        c,
        "instancenorm: {c} channels, β has {}",
        beta.len()
    );
    let mut y = Array4::zeros(x.raw_dim());
    let mut xhat = cache.then(|| Array4::zeros(x.raw_dim()));
    let mut inv_std = Array2::<T>::zeros((n, c));
    let xhat_items = optional_subviews(xhat.as_mut(), Axis(0), n);
    for (i, ((mut yi, xi), mut xhi)) in y
        .outer_iter_mut()
        .zip(x.outer_iter())
        .zip(xhat_items)
        .enumerate()
    {
        let xhat_planes = optional_subviews(xhi.as_mut(), Axis(0), c);
        let stats: Vec<_> = yi
            .outer_iter_mut()
            .into_par_iter()
            .zip(xhat_planes)
            .zip(xi.outer_iter())
            .enumerate()
            .map(|(ci, ((yc, xh), xc))| normalize_group(xc, gamma[ci], beta[ci], eps, yc, xh))
            .collect();
        for (s, st) in inv_std.row_mut(i).iter_mut().zip(stats) {
            *s = T::of(st.inv_std);
        }
    }
    (y, xhat.map(|xhat| InstanceNormCache { xhat, inv_std }))
}

/// Gradients of instance norm given `dy = ∂L/∂y`.
///
/// * `dy`: (N, C, H, W)
/// * `gamma`: (C)
/// * `cache`: from [`instancenorm_forward`]
/// * `grads`: where to add ∂L/∂x, ∂L/∂γ, ∂L/∂β
pub fn instancenorm_backward<T: Real>(
    dy: ArrayView4<T>,
    gamma: ArrayView1<T>,
    cache: &InstanceNormCache<T>,
    grads: NormGrads<'_, T>,
) {
    let (n, c, _, _) = dy.dim();
    assert_eq!(
        dy.dim(),
        cache.xhat.dim(),
        "instancenorm_backward: dy shape"
    );
    let NormGrads {
        mut dx,
        dgamma,
        dbeta,
    } = grads;
    // Per-plane sums (Σ dy·x̂, Σ dy), then summed over the items for each channel.
    let mut sums = vec![(0.0, 0.0); c];
    for i in 0..n {
        let (dyi, xhi) = (dy.index_axis(Axis(0), i), cache.xhat.index_axis(Axis(0), i));
        let mut dxi = dx.as_mut().map(|d| d.index_axis_mut(Axis(0), i));
        let plane_sums: Vec<(f64, f64)> = optional_subviews(dxi.as_mut(), Axis(0), c)
            .into_par_iter()
            .zip(dyi.outer_iter())
            .zip(xhi.outer_iter())
            .enumerate()
            .map(|(ci, ((dxc, dyc), xhc))| {
                group_backward(dyc, xhc, gamma[ci], cache.inv_std[[i, ci]], dxc)
            })
            .collect();
        for (s, p) in sums.iter_mut().zip(plane_sums) {
            s.0 += p.0;
            s.1 += p.1;
        }
    }
    add_param_grads(&sums, dgamma, dbeta);
}
