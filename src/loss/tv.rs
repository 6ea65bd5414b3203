//! Total variation: a smoothness prior on the image itself, which damps the high-frequency
//! speckle that pure feature matching leaves behind.
//!
//! `TV(x) = Σ_c Σ_ij (x[c,i+1,j] − x[c,i,j])² + (x[c,i,j+1] − x[c,i,j])²`, over every pair
//! of vertically and horizontally adjacent pixels.
//!
//! This is the *squared* variant, as in neural-style's `TVLoss` (the anisotropic
//! `Σ |Δx|` of the image-processing literature is not differentiable at 0). neural-style
//! computes only the gradient, and of `½ Σ` over the `(H−1)×(W−1)` interior; here the sum
//! covers every adjacent pair, including the last row's horizontal and the last column's
//! vertical differences, and has no `½`. Scale the weight accordingly when comparing.
//!
//! Gradient: each difference `d = x[b] − x[a]` contributes `d²`, whose derivative is `+2d`
//! at `x[b]` and `−2d` at `x[a]`.

use super::LossGrad;
use crate::math::tensor::Real;
use ndarray::{Array3, ArrayView3, Axis, Zip};

// ANCHOR: tv_loss
/// Squared total variation of a `C×H×W` image and its gradient with respect to `x`.
pub fn tv_loss<T: Real>(x: ArrayView3<T>) -> LossGrad<T> {
    let mut grad = Array3::zeros(x.raw_dim());
    let mut value = 0.0;
    for axis in [Axis(1), Axis(2)] {
        let n = x.len_of(axis);
        if n < 2 {
            continue;
        }
        // `lo` and `hi` are the image without its last and without its first row (axis 1)
        // or column (axis 2): hi − lo is every difference along that axis at once.
        let lo = x.slice_axis(axis, (0..n - 1).into());
        let hi = x.slice_axis(axis, (1..n).into());
        let two = T::of(2.0);
        Zip::from(&lo)
            .and(&hi)
            .for_each(|&a, &b| value += (b - a).f64() * (b - a).f64());
        Zip::from(grad.slice_axis_mut(axis, (1..n).into()))
            .and(&lo)
            .and(&hi)
            .for_each(|g, &a, &b| *g += two * (b - a));
        Zip::from(grad.slice_axis_mut(axis, (0..n - 1).into()))
            .and(&lo)
            .and(&hi)
            .for_each(|g, &a, &b| *g -= two * (b - a));
    }
    LossGrad { value, grad }
}
// ANCHOR_END: tv_loss

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{numeric_gradient, GradCheck};
    use crate::math::rng::Rng;
    use proptest::prelude::*;

    fn tv_naive(x: &Array3<f64>) -> f64 {
        let (c, h, w) = x.dim();
        let mut v = 0.0;
        for ch in 0..c {
            for i in 0..h {
                for j in 0..w {
                    if i + 1 < h {
                        v += (x[[ch, i + 1, j]] - x[[ch, i, j]]).powi(2);
                    }
                    if j + 1 < w {
                        v += (x[[ch, i, j + 1]] - x[[ch, i, j]]).powi(2);
                    }
                }
            }
        }
        v
    }

    proptest! {
        /// Quadratic loss: central differences (f64, h = 1e-5) are exact up to round-off,
        /// ε·|TV|/h ≈ 1e-9 relative; tolerance 1e-7.
        #[test]
        fn gradient_matches_central_differences(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            let x: Array3<f64> = Rng::new(seed).uniform_array((c, h, w), -1.0, 1.0);
            let l = tv_loss(x.view());
            prop_assert!((l.value - tv_naive(&x)).abs() <= 1e-13 * l.value.max(1.0));
            let numeric = numeric_gradient(&x, 1e-5, |x| tv_loss(x.view()).value);
            if h * w > 1 {
                let check = GradCheck::compare("tv", &l.grad.view(), &numeric.view(), 1e-7);
                prop_assert!(check.passed(), "{check:?}");
            } else {
                prop_assert!(l.grad.iter().all(|&g| g == 0.0));
            }
        }
    }

    #[test]
    fn constant_image_has_no_variation() {
        let x = Array3::from_elem((3, 4, 5), 0.25f64);
        let l = tv_loss(x.view());
        assert_eq!(l.value, 0.0);
        assert!(l.grad.iter().all(|&g| g == 0.0));
    }

    #[test]
    fn one_step_edge() {
        // One channel, 2×2: left column 0, right column 1. Two horizontal differences of 1.
        let x = ndarray::array![[[0.0f64, 1.0], [0.0, 1.0]]];
        let l = tv_loss(x.view());
        assert_eq!(l.value, 2.0);
        assert_eq!(l.grad, ndarray::array![[[-2.0, 2.0], [-2.0, 2.0]]]);
    }
}
