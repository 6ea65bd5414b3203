//! Test problems with known minima, shared by the optimiser tests.

use crate::math::rng::Rng;
use ndarray::{Array1, Array2};

/// `f(x) = ½ xᵀQx − bᵀx` with `Q` symmetric positive definite, so `∇f = Qx − b` and the
/// unique minimum is `x* = Q⁻¹b`. We choose `x*` and set `b = Q·x*`, which is the same
/// thing without a linear solve.
pub struct Quadratic {
    pub q: Array2<f64>,
    pub b: Array1<f64>,
    pub x_star: Array1<f64>,
}

/// A 6-dimensional instance: `Q = AᵀA/6 + ½I` for a fixed random `A` (eigenvalues in
/// roughly [0.5, 3]), `x*` uniform in [−2, 2].
pub fn quadratic() -> Quadratic {
    let n = 6;
    let mut rng = Rng::new(2024);
    let a: Array2<f64> = rng.uniform_array((n, n), -1.0, 1.0);
    let q = a.t().dot(&a) / n as f64 + Array2::<f64>::eye(n) * 0.5;
    let x_star: Array1<f64> = rng.uniform_array(n, -2.0, 2.0);
    let b = q.dot(&x_star);
    Quadratic { q, b, x_star }
}

impl Quadratic {
    /// Dimension.
    pub fn n(&self) -> usize {
        self.b.len()
    }

    /// `trace(Q)`, an upper bound on its largest eigenvalue.
    pub fn trace(&self) -> f64 {
        self.q.diag().sum()
    }

    /// `(f(x), ∇f(x))`.
    pub fn eval(&self, x: &[f64]) -> (f64, Vec<f64>) {
        let x = Array1::from(x.to_vec());
        let qx = self.q.dot(&x);
        let f = 0.5 * x.dot(&qx) - self.b.dot(&x);
        (f, (qx - &self.b).to_vec())
    }

    /// `f(x*)`.
    pub fn min_value(&self) -> f64 {
        -0.5 * self.b.dot(&self.x_star)
    }

    /// `‖x − x*‖₂`.
    pub fn distance(&self, x: &[f64]) -> f64 {
        x.iter()
            .zip(&self.x_star)
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    }
}

/// Rosenbrock's banana `f(x, y) = (1 − x)² + 100(y − x²)²`, minimum 0 at (1, 1), and its
/// gradient `(−2(1 − x) − 400x(y − x²), 200(y − x²))`.
pub fn rosenbrock(p: &[f64]) -> (f64, Vec<f64>) {
    let (x, y) = (p[0], p[1]);
    let r = y - x * x;
    let f = (1.0 - x).powi(2) + 100.0 * r * r;
    (f, vec![-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r])
}
