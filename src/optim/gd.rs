//! Gradient descent: step against the gradient, `x ← x − lr·g`.
//!
//! The baseline every other optimiser is measured against. On a quadratic with Hessian
//! `Q` it converges when `lr < 2/λ_max(Q)`, at a rate set by the condition number
//! `λ_max/λ_min` — which for the pixels of a style-transfer image is poor, hence Adam
//! and L-BFGS.

use super::FirstOrder;
use crate::math::tensor::Real;

/// Plain gradient descent with a fixed learning rate (torch.optim.SGD without momentum).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gd {
    /// The step size `lr`.
    pub lr: f64,
}

impl Gd {
    /// Gradient descent with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Gd { lr }
    }
}

// ANCHOR: gd_step
impl<T: Real> FirstOrder<T> for Gd {
    /// `x ← x − lr·g`.
    fn step(&mut self, x: &mut [T], g: &[T]) {
        assert_eq!(
            x.len(),
            g.len(),
            "Gd::step: parameters and gradient differ in length"
        );
        let lr = T::of(self.lr);
        for (xi, &gi) in x.iter_mut().zip(g) {
            *xi -= lr * gi;
        }
    }
}
// ANCHOR_END: gd_step

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::testfns::{quadratic, rosenbrock};

    #[test]
    fn converges_on_a_convex_quadratic() {
        // lr = 1/trace(Q) < 1/λ_max(Q): every step decreases the loss, and the error
        // contracts by at least (1 − λ_min/trace) per step.
        let q = quadratic();
        let mut x = vec![0.0f64; q.n()];
        let mut gd = Gd::new(1.0 / q.trace());
        let mut last = f64::INFINITY;
        for _ in 0..5000 {
            let (f, g) = q.eval(&x);
            // (up to round-off in f: at convergence f changes in its last bits)
            assert!(f <= last + 1e-15 * last.abs(), "loss went up: {f} > {last}");
            last = f;
            gd.step(&mut x, &g);
        }
        assert!(q.distance(&x) < 1e-8, "‖x − x*‖ = {}", q.distance(&x));
    }

    #[test]
    fn descends_rosenbrock() {
        // Rosenbrock's valley is badly conditioned (Hessian eigenvalues ~1000 and ~0.4 at
        // the minimum): with lr = 1e-3 plain GD creeps along the valley floor. We assert
        // monotone descent and that it gets within 1e-2 of (1, 1) in 40 000 steps.
        let mut x = vec![-1.2f64, 1.0];
        let mut gd = Gd::new(1e-3);
        let mut last = f64::INFINITY;
        for _ in 0..40_000 {
            let (f, g) = rosenbrock(&x);
            assert!(f <= last);
            last = f;
            gd.step(&mut x, &g);
        }
        let dist = ((x[0] - 1.0).powi(2) + (x[1] - 1.0).powi(2)).sqrt();
        assert!(dist < 1e-2, "x = {x:?}");
    }
}
