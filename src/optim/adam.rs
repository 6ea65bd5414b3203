//! Adam (Kingma & Ba, 2015), exactly as torch.optim.Adam computes it (no weight decay,
//! no AMSGrad).
//!
//! Per parameter, with gradient `g` at step `t = 1, 2, …`:
//!
//! ```text
//! m ← β₁·m + (1 − β₁)·g          first moment (a running mean of g)
//! v ← β₂·v + (1 − β₂)·g²         second moment (a running mean of g²)
//! m̂ = m / (1 − β₁ᵗ)              bias corrections: m and v start at 0, so early
//! v̂ = v / (1 − β₂ᵗ)              averages are too small by exactly these factors
//! x ← x − lr · m̂ / (√v̂ + ε)
//! ```
//!
//! `ε` is added *after* the square root of the bias-corrected `v̂`, as torch does
//! (torch computes `√v / √(1 − β₂ᵗ) + ε`, the same thing). The step in each coordinate is
//! about `lr` whatever the gradient's scale, which is why Adam is forgiving of the loss
//! weights.
//!
//! The state `(m, v, t)` can be exported with [`Adam::state`] and restored with
//! [`Adam::with_state`], so that training can be checkpointed and resumed exactly.

use super::FirstOrder;
use crate::error::{Error, Result};
use crate::math::tensor::Real;

/// Adam with torch's update rule and defaults (`β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`).
///
/// The moment buffers are created (zeroed) on the first [`step`](FirstOrder::step), sized
/// from the parameters, as torch does.
#[derive(Debug, Clone)]
pub struct Adam<T> {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first-moment average.
    pub beta1: f64,
    /// Decay of the second-moment average.
    pub beta2: f64,
    /// Added to `√v̂` to keep the division finite.
    pub eps: f64,
    m: Vec<T>,
    v: Vec<T>,
    t: u64,
}

impl<T: Real> Adam<T> {
    /// Adam with learning rate `lr` and torch's defaults for the rest.
    pub fn new(lr: f64) -> Self {
        Adam {
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            m: Vec::new(),
            v: Vec::new(),
            t: 0,
        }
    }

    /// Set `(β₁, β₂)` (seed 002 uses `(0.5, 0.999)`).
    pub fn with_betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    /// Set `ε`.
    pub fn with_eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }

    /// The state to checkpoint: first moments `m`, second moments `v` (empty before the
    /// first step) and the number of steps taken `t`.
    pub fn state(&self) -> (&[T], &[T], u64) {
        (&self.m, &self.v, self.t)
    }

    /// Restore a checkpointed state for `n_params` parameters.
    ///
    /// Fails (with a message for the user) unless `m` and `v` both have `n_params`
    /// elements, or both are empty with `t = 0` (the state before the first step).
    pub fn with_state(mut self, n_params: usize, m: Vec<T>, v: Vec<T>, t: u64) -> Result<Self> {
        let fresh = m.is_empty() && v.is_empty() && t == 0;
        if !fresh && (m.len() != n_params || v.len() != n_params) {
            return Err(Error(format!(
                "Adam state does not fit: {} parameters, but m has {} and v has {} elements (t = {t})",
                n_params,
                m.len(),
                v.len()
            )));
        }
        self.m = m;
        self.v = v;
        self.t = t;
        Ok(self)
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }
}

/// `a + w·(b − a)`, computed as torch's `lerp` does (from whichever end is nearer `w`),
/// so that the first moment matches torch's to the last bit.
fn lerp(a: f64, b: f64, w: f64) -> f64 {
    if w < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

impl<T: Real> FirstOrder<T> for Adam<T> {
    // ANCHOR: adam_step
    /// One Adam update of `x` from the gradient `g` (module documentation for the rule).
    fn step(&mut self, x: &mut [T], g: &[T]) {
        assert_eq!(
            x.len(),
            g.len(),
            "Adam::step: parameters and gradient differ in length"
        );
        if self.t == 0 && self.m.is_empty() {
            self.m = vec![T::zero(); x.len()];
            self.v = vec![T::zero(); x.len()];
        }
        assert_eq!(
            self.m.len(),
            x.len(),
            "Adam::step: state is for a different parameter count"
        );
        self.t += 1;
        let (b1, b2) = (self.beta1, self.beta2);
        let step_size = self.lr / (1.0 - b1.powf(self.t as f64)); // lr / (1 − β₁ᵗ)
        let bias2_sqrt = (1.0 - b2.powf(self.t as f64)).sqrt(); // √(1 − β₂ᵗ)
        for i in 0..x.len() {
            let gi = g[i].f64();
            let m = lerp(self.m[i].f64(), gi, 1.0 - b1); // β₁m + (1 − β₁)g
            let v = self.v[i].f64() * b2 + (1.0 - b2) * gi * gi; // β₂v + (1 − β₂)g²
            let denom = v.sqrt() / bias2_sqrt + self.eps; // √v̂ + ε
            x[i] = T::of(x[i].f64() - step_size * m / denom); // x − lr·m̂/(√v̂ + ε)
            self.m[i] = T::of(m);
            self.v[i] = T::of(v);
        }
    }
    // ANCHOR_END: adam_step
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::testfns::{quadratic, rosenbrock};

    #[test]
    fn first_step_moves_each_coordinate_by_lr() {
        // At t = 1: m̂ = g, v̂ = g², so the step is lr·g/(|g| + ε) ≈ lr·sign(g).
        let mut x = vec![1.0f64, -2.0, 3.0];
        let g = vec![0.5, -4.0, 1e-3];
        let mut adam = Adam::new(0.1);
        adam.step(&mut x, &g);
        for (xi, (x0, gi)) in x.iter().zip([1.0, -2.0, 3.0].iter().zip(&g)) {
            let expect = x0 - 0.1 * gi / (gi.abs() + 1e-8);
            assert!((xi - expect).abs() < 1e-15, "{xi} vs {expect}");
        }
    }

    #[test]
    fn converges_on_a_convex_quadratic() {
        // With a constant lr Adam ends in a neighbourhood of x* whose size scales with lr;
        // we run lr = 0.05 then 0.005 then 0.0005 and assert the final distance < 1e-3,
        // and that the loss gap shrank by at least 1e6.
        let q = quadratic();
        let mut x = vec![0.0f64; q.n()];
        let gap0 = q.eval(&x).0 - q.min_value();
        let mut adam = Adam::new(0.05);
        for lr in [0.05, 0.005, 0.0005] {
            adam.lr = lr;
            for _ in 0..2000 {
                let (_, g) = q.eval(&x);
                adam.step(&mut x, &g);
            }
        }
        let gap = q.eval(&x).0 - q.min_value();
        assert!(q.distance(&x) < 1e-3, "‖x − x*‖ = {}", q.distance(&x));
        assert!(gap < 1e-6 * gap0, "gap {gap} from {gap0}");
    }

    #[test]
    fn descends_rosenbrock() {
        // Seed 002's betas (0.5, 0.999). Adam is not monotone; we assert the loss after
        // 5 000 steps is below 1e-4 (from 24.2) and x within 2e-2 of (1, 1).
        let mut x = vec![-1.2f64, 1.0];
        let mut adam = Adam::new(0.01).with_betas(0.5, 0.999);
        for _ in 0..5000 {
            let (_, g) = rosenbrock(&x);
            adam.step(&mut x, &g);
        }
        let (f, _) = rosenbrock(&x);
        assert!(f < 1e-4, "f = {f}, x = {x:?}");
        assert!(
            (x[0] - 1.0).abs() < 2e-2 && (x[1] - 1.0).abs() < 2e-2,
            "x = {x:?}"
        );
    }

    #[test]
    fn state_round_trips_and_resumes_exactly() {
        let q = quadratic();
        let mut x = vec![0.0f64; q.n()];
        let mut a = Adam::new(0.01);
        for _ in 0..10 {
            let (_, g) = q.eval(&x);
            a.step(&mut x, &g);
        }
        let (m, v, t) = a.state();
        let mut b = Adam::new(0.01)
            .with_state(x.len(), m.to_vec(), v.to_vec(), t)
            .unwrap();
        let mut xb = x.clone();
        for _ in 0..10 {
            let (_, g) = q.eval(&x);
            a.step(&mut x, &g);
            let (_, g) = q.eval(&xb);
            b.step(&mut xb, &g);
        }
        assert_eq!(x, xb);
        assert_eq!(b.steps(), 20);
    }

    #[test]
    fn mismatched_state_is_an_error() {
        let e = Adam::<f64>::new(0.1)
            .with_state(3, vec![0.0; 2], vec![0.0; 3], 5)
            .unwrap_err();
        assert!(e.0.contains("3 parameters"), "{e}");
        assert!(Adam::<f64>::new(0.1)
            .with_state(3, vec![], vec![], 0)
            .is_ok());
    }
}
