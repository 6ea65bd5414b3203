//! Content loss: how far the features `F` of the image being optimised are from the
//! content picture's features `P`, at one tapped layer.
//!
//! Gatys et al. (eq. 1): `L = ½ Σ_ij (F_ij − P_ij)²`. Each `F_ij` appears in exactly one
//! term, so `∂L/∂F_ij = F_ij − P_ij` — the whole gradient is the residual.
//!
//! Seed 002 takes the mean instead: `L = Σ (F − P)² / K` with `K = C·H·W` elements, so
//! `∂L/∂F = 2(F − P) / K`.

use super::{LossGrad, Normalization};
use crate::math::tensor::Real;
use ndarray::{Array3, ArrayView3, Zip};

// ANCHOR: content_loss
/// Content loss at one layer and its gradient with respect to `f`.
///
/// * `f`: `C×H×W`, the current image's activation at the tap.
/// * `p`: `C×H×W`, the content picture's activation at the same tap (the target).
///
/// Gatys: `L = ½ Σ (F − P)²`, `∂L/∂F = F − P`.
/// Seed002: `L = mean((F − P)²)`, `∂L/∂F = 2(F − P) / (C·H·W)`.
///
/// The gradient is not masked by `F > 0` (see the [module documentation](super)).
pub fn content_loss<T: Real>(
    f: ArrayView3<T>,
    p: ArrayView3<T>,
    norm: Normalization,
) -> LossGrad<T> {
    assert_eq!(
        f.shape(),
        p.shape(),
        "content_loss: F and P differ in shape"
    );
    let k = f.len();
    content_loss_of_part(f, p, k, norm)
}
// ANCHOR_END: content_loss

/// [`content_loss`] of a part of a layer (a tile) whose whole has `k` elements: the
/// part's share of the value and the gradient at its elements. Gatys' `½ Σ` is a plain
/// sum, so the parts' values add up to the whole's; seed 002's mean divides by the whole
/// layer's `k`, not the part's, so that they do too.
pub fn content_loss_of_part<T: Real>(
    f: ArrayView3<T>,
    p: ArrayView3<T>,
    k: usize,
    norm: Normalization,
) -> LossGrad<T> {
    let diff = &f - &p; // F − P
    let sum_sq: f64 = diff.iter().map(|d| d.f64() * d.f64()).sum();
    let k = k.max(1) as f64;
    let (value, scale) = match norm {
        Normalization::Gatys => (0.5 * sum_sq, 1.0),
        Normalization::Seed002 => (sum_sq / k, 2.0 / k),
    };
    let grad = diff.mapv_into(|d| d * T::of(scale));
    LossGrad { value, grad }
}

// ANCHOR: content_grad_paper
/// The paper's form, for the equivalence test: `∂L/∂F_ij = (F − P)_ij` if `F_ij > 0`,
/// else 0 (Gatys et al., eq. 2, Gatys normalisation).
///
/// The paper's `F` is a ReLU output, and this case split is the ReLU's derivative folded
/// into the loss's gradient. The project applies that mask in the ReLU backward pass
/// instead, so this function exists only to prove the two agree. At `F_ij = 0` (where the
/// paper leaves the case open) it returns 0, as the ReLU backward does.
pub fn content_grad_paper<T: Real>(f: ArrayView3<T>, p: ArrayView3<T>) -> Array3<T> {
    assert_eq!(
        f.shape(),
        p.shape(),
        "content_grad_paper: F and P differ in shape"
    );
    let mut out = Array3::zeros(f.raw_dim());
    Zip::from(&mut out).and(&f).and(&p).for_each(|o, &fi, &pi| {
        *o = if fi > T::zero() { fi - pi } else { T::zero() };
    });
    out
}
// ANCHOR_END: content_grad_paper

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{numeric_gradient, GradCheck};
    use crate::math::rng::Rng;
    use ndarray::Array3;
    use proptest::prelude::*;

    /// Central differences in f64 with h = 1e-5. The loss is quadratic, so the truncation
    /// term h²·f'''/6 vanishes and only round-off remains, about ε·|L|/h ≈ 1e-9 relative
    /// at these sizes; 1e-7 leaves a wide margin while any wrong factor fails by O(1).
    const TOL: f64 = 1e-7;

    fn pair(seed: u64, c: usize, h: usize, w: usize) -> (Array3<f64>, Array3<f64>) {
        let mut rng = Rng::new(seed);
        (
            rng.uniform_array((c, h, w), -1.0, 1.0),
            rng.uniform_array((c, h, w), -1.0, 1.0),
        )
    }

    proptest! {
        #[test]
        fn gradient_matches_central_differences(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            let (f, p) = pair(seed, c, h, w);
            for norm in Normalization::ALL {
                let analytic = content_loss(f.view(), p.view(), norm).grad;
                let numeric = numeric_gradient(&f, 1e-5, |x| content_loss(x.view(), p.view(), norm).value);
                let check = GradCheck::compare(format!("content {norm}"), &analytic.view(), &numeric.view(), TOL);
                prop_assert!(check.passed(), "{check:?}");
            }
        }

        #[test]
        fn zero_at_the_target(c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()) {
            let (f, _) = pair(seed, c, h, w);
            for norm in Normalization::ALL {
                let l = content_loss(f.view(), f.view(), norm);
                prop_assert_eq!(l.value, 0.0);
                prop_assert!(l.grad.iter().all(|&g| g == 0.0));
            }
        }

        #[test]
        fn paper_form_is_the_masked_gradient(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            let (f, p) = pair(seed, c, h, w);
            let ours = content_loss(f.view(), p.view(), Normalization::Gatys).grad;
            let masked = Array3::from_shape_fn(f.dim(), |i| if f[i] > 0.0 { ours[i] } else { 0.0 });
            prop_assert_eq!(content_grad_paper(f.view(), p.view()), masked);
        }
    }

    #[test]
    fn values_match_the_written_formulas() {
        let (f, p) = pair(7, 3, 4, 5);
        let sum_sq: f64 = f.iter().zip(p.iter()).map(|(a, b)| (a - b) * (a - b)).sum();
        let gatys = content_loss(f.view(), p.view(), Normalization::Gatys).value;
        let seed002 = content_loss(f.view(), p.view(), Normalization::Seed002).value;
        assert!((gatys - 0.5 * sum_sq).abs() <= 1e-14 * sum_sq);
        assert!((seed002 - sum_sq / 60.0).abs() <= 1e-14 * sum_sq);
    }

    #[test]
    fn f32_agrees_with_f64() {
        let (f, p) = pair(11, 4, 6, 5);
        let (f32f, f32p): (Array3<f32>, Array3<f32>) = (
            crate::math::tensor::cast(&f.view()),
            crate::math::tensor::cast(&p.view()),
        );
        for norm in Normalization::ALL {
            let a = content_loss(f.view(), p.view(), norm);
            let b = content_loss(f32f.view(), f32p.view(), norm);
            assert!((a.value - b.value).abs() <= 1e-5 * a.value);
            let b64: Array3<f64> = crate::math::tensor::cast(&b.grad.view());
            assert!(crate::math::tensor::rel_error(&a.grad.view(), &b64.view()) < 1e-5);
        }
    }
}
