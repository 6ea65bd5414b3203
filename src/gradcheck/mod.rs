//! Gradient checking: does a hand-derived backward pass agree with the function it
//! claims to differentiate?
//!
//! Three tools, shared by the tests, `nst gradcheck`, the book and the notebooks:
//!
//! * [`numeric_gradient`]: central differences, one pair of evaluations per element.
//!   For `f(x + h) − f(x − h)` the Taylor terms of even order cancel, so the error is
//!   `h²·f'''/6` (truncation) plus about `ε·|f|/h` (round-off). In `f64` (ε ≈ 1e-16)
//!   with `h = 1e-5` both are around 1e-10 relative, which is why the checks run in
//!   `f64`: in `f32` (ε ≈ 6e-8) the round-off term alone would be ~1e-2.
//! * [`directional_derivative`]: `(f(x + h·v) − f(x − h·v)) / 2h ≈ ⟨∇f, v⟩` along a random
//!   direction, two evaluations in all — for inputs too large to perturb one by one
//!   (a whole network).
//! * [`adjoint_error`]: for a linear map `A` and the code claiming to be `Aᵀ`,
//!   `⟨A·x, y⟩ = ⟨x, Aᵀ·y⟩` must hold to round-off (im2col/col2im, conv input gradient).
//!
//! A layer `y = L(x)` with many outputs is checked through the scalar `f(x) = ⟨R, L(x)⟩`
//! for a fixed random `R`: its gradient is exactly the backward pass fed `dout = R`.
//!
//! Kinks: ReLU at 0 and ties in max-pooling are not differentiable; a central difference
//! straddling one is wrong by O(1). The tests keep inputs at least `10·h` away from them.

pub mod layers;

use crate::math::tensor::rel_error;
use ndarray::{Array, ArrayView, Dimension, Zip};

// ANCHOR: numeric_gradient
/// Central-difference gradient of `f` at `x`: `g[i] = (f(x + h·e_i) − f(x − h·e_i)) / 2h`.
pub fn numeric_gradient<D: Dimension>(
    x: &Array<f64, D>,
    h: f64,
    mut f: impl FnMut(&Array<f64, D>) -> f64,
) -> Array<f64, D> {
    let mut xp = x.clone();
    let mut grad = Array::zeros(x.raw_dim());
    for (i, g) in grad.iter_mut().enumerate() {
        let orig = xp.as_slice_memory_order().expect("contiguous")[i];
        xp.as_slice_memory_order_mut().expect("contiguous")[i] = orig + h;
        let fp = f(&xp);
        xp.as_slice_memory_order_mut().expect("contiguous")[i] = orig - h;
        let fm = f(&xp);
        xp.as_slice_memory_order_mut().expect("contiguous")[i] = orig;
        *g = (fp - fm) / (2.0 * h);
    }
    grad
}
// ANCHOR_END: numeric_gradient

/// `(f(x + h·v) − f(x − h·v)) / 2h`, the derivative of `f` along `v`.
pub fn directional_derivative<D: Dimension>(
    x: &Array<f64, D>,
    v: &Array<f64, D>,
    h: f64,
    mut f: impl FnMut(&Array<f64, D>) -> f64,
) -> f64 {
    let xp = x + &(v * h);
    let xm = x - &(v * h);
    (f(&xp) - f(&xm)) / (2.0 * h)
}

/// `⟨a, b⟩ = Σ a[i]·b[i]`.
pub fn dot<D: Dimension>(a: &ArrayView<f64, D>, b: &ArrayView<f64, D>) -> f64 {
    assert_eq!(a.shape(), b.shape(), "dot: shapes differ");
    let mut s = 0.0;
    Zip::from(a).and(b).for_each(|x, y| s += x * y);
    s
}

/// Check a flat gradient along `dirs` random directions: for each `v` (uniform in
/// [−1, 1] from `seed`), `⟨grad, v⟩` against [`directional_derivative`] of `f` at `theta`.
/// Returns each check with the numeric derivative, so that the caller can also insist the
/// direction is not degenerate (a derivative of ≈ 0 would pass any relative test).
pub fn check_directions(
    theta: &[f64],
    grad: &[f64],
    dirs: usize,
    seed: u64,
    (h, tol): (f64, f64),
    f: impl Fn(&[f64]) -> f64,
) -> Vec<(GradCheck, f64)> {
    assert_eq!(
        theta.len(),
        grad.len(),
        "check_directions: θ and ∇ differ in length"
    );
    let theta = Array::from(theta.to_vec());
    let grad = Array::from(grad.to_vec());
    let mut rng = crate::math::rng::Rng::new(seed);
    (0..dirs)
        .map(|i| {
            let v: Array<f64, _> = rng.uniform_array(theta.len(), -1.0, 1.0);
            let num =
                directional_derivative(&theta, &v, h, |t| f(t.as_slice().expect("contiguous")));
            let ana = dot(&grad.view(), &v.view());
            let check = GradCheck::compare(
                format!("direction {i}"),
                &ndarray::arr0(ana).view(),
                &ndarray::arr0(num).view(),
                tol,
            );
            (check, num)
        })
        .collect()
}

/// Element-by-element check of `grad[range]`, the gradient of `f` with respect to
/// `theta[range]` (one tensor of a flat parameter vector), every other entry held fixed.
pub fn check_range(
    name: &str,
    theta: &[f64],
    grad: &[f64],
    range: std::ops::Range<usize>,
    (h, tol): (f64, f64),
    f: impl Fn(&[f64]) -> f64,
) -> GradCheck {
    let x = Array::from(theta[range.clone()].to_vec());
    let num = numeric_gradient(&x, h, |x| {
        let mut p = theta.to_vec();
        p[range.clone()].copy_from_slice(x.as_slice().expect("contiguous"));
        f(&p)
    });
    let ana = Array::from(grad[range].to_vec());
    GradCheck::compare(name, &ana.view(), &num.view(), tol)
}

// ANCHOR: adjoint_error
/// Relative disagreement of the two sides of an adjoint test, `⟨A·x, y⟩` and `⟨x, Aᵀ·y⟩`.
pub fn adjoint_error(ax_y: f64, x_aty: f64) -> f64 {
    (ax_y - x_aty).abs() / ax_y.abs().max(x_aty.abs()).max(1e-300)
}
// ANCHOR_END: adjoint_error

/// One line of a gradient-check report.
#[derive(Debug, Clone)]
pub struct GradCheck {
    /// What was checked (`"conv2d dX"`).
    pub name: String,
    /// The input's shape, for the table.
    pub shape: String,
    /// `max |analytic − numeric|`.
    pub max_abs: f64,
    /// [`rel_error`] of analytic against numeric.
    pub rel: f64,
    /// The largest relative error that passes.
    pub tol: f64,
}

impl GradCheck {
    /// Compare an analytic gradient with a numeric one.
    pub fn compare<D: Dimension>(
        name: impl Into<String>,
        analytic: &ArrayView<f64, D>,
        numeric: &ArrayView<f64, D>,
        tol: f64,
    ) -> Self {
        GradCheck {
            name: name.into(),
            shape: format!("{:?}", analytic.shape()),
            max_abs: crate::math::tensor::max_abs_diff(analytic, numeric),
            rel: rel_error(analytic, numeric),
            tol,
        }
    }

    /// Within tolerance?
    pub fn passed(&self) -> bool {
        self.rel <= self.tol && self.rel.is_finite()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn numeric_gradient_of_a_cubic() {
        // f(x) = Σ x³ has gradient 3x².
        let x = array![0.5, -1.25, 2.0];
        let g = numeric_gradient(&x, 1e-5, |x| x.iter().map(|v| v * v * v).sum());
        let exact = x.mapv(|v| 3.0 * v * v);
        let c = GradCheck::compare("cubic", &g.view(), &exact.view(), 1e-8);
        assert!(c.passed(), "{c:?}");
    }

    #[test]
    fn flat_checks_pass_the_right_gradient_and_fail_a_wrong_one() {
        let cubic = |t: &[f64]| t.iter().map(|v| v * v * v).sum::<f64>();
        let theta = [0.5, -1.25, 2.0, 0.75];
        let right: Vec<f64> = theta.iter().map(|v| 3.0 * v * v).collect();
        let mut wrong = right.clone();
        wrong[2] *= 1.01;
        let ht = (1e-5, 1e-7);
        for (c, num) in check_directions(&theta, &right, 3, 1, ht, cubic) {
            assert!(c.passed() && num.abs() > 1e-3, "{c:?}");
        }
        assert!(check_directions(&theta, &wrong, 3, 1, ht, cubic)
            .iter()
            .all(|(c, _)| !c.passed()));
        assert!(check_range("t", &theta, &right, 1..3, ht, cubic).passed());
        assert!(!check_range("t", &theta, &wrong, 1..3, ht, cubic).passed());
        // Outside the range a wrong entry is not looked at.
        assert!(check_range("t", &theta, &wrong, 0..2, ht, cubic).passed());
    }

    #[test]
    fn a_wrong_gradient_fails() {
        let x = array![0.5, -1.25, 2.0];
        let g = numeric_gradient(&x, 1e-5, |x| x.iter().map(|v| v * v * v).sum());
        let wrong = x.mapv(|v| 2.0 * v * v);
        assert!(!GradCheck::compare("cubic", &wrong.view(), &g.view(), 1e-3).passed());
    }

    #[test]
    fn directional_matches_dot_of_gradient() {
        let x: Array<f64, ndarray::Ix1> = array![0.3, 0.7];
        let v = array![1.0, -2.0];
        let f = |x: &Array<f64, ndarray::Ix1>| (x[0] * x[1]).sin();
        let grad = array![x[1] * (x[0] * x[1]).cos(), x[0] * (x[0] * x[1]).cos()];
        let d = directional_derivative(&x, &v, 1e-5, f);
        assert!((d - dot(&grad.view(), &v.view())).abs() < 1e-9);
    }
}
