//! A small, seedable random number generator (SplitMix64), so that noise images, random
//! test networks and Xavier initialisation are reproducible from a `--seed` without
//! pulling in a random-number crate. Not for cryptography.

use crate::math::tensor::Real;
use ndarray::{Array, Dimension, ShapeBuilder};

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit state advanced by a constant and mixed.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose whole future is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// The whole state: `Rng::new(r.state())` continues exactly where `r` is (for
    /// checkpoints).
    pub fn state(&self) -> u64 {
        self.state
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1), with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [lo, hi).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.uniform()
    }

    /// Uniform integer in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.uniform() * n as f64) as usize % n.max(1)
    }

    /// Standard normal, by the Box–Muller transform.
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.uniform(); // in (0, 1]: log is finite
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// An array of uniform samples in [lo, hi).
    pub fn uniform_array<T: Real, Sh: ShapeBuilder>(
        &mut self,
        shape: Sh,
        lo: f64,
        hi: f64,
    ) -> Array<T, Sh::Dim>
    where
        Sh::Dim: Dimension,
    {
        Array::from_shape_simple_fn(shape, || T::of(self.range(lo, hi)))
    }

    /// An array of normal samples with the given standard deviation.
    pub fn normal_array<T: Real, Sh: ShapeBuilder>(
        &mut self,
        shape: Sh,
        std: f64,
    ) -> Array<T, Sh::Dim>
    where
        Sh::Dim: Dimension,
    {
        Array::from_shape_simple_fn(shape, || T::of(std * self.normal()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..10 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
    }

    #[test]
    fn moments_are_about_right() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let (mut s, mut s2, mut u) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = r.normal();
            s += x;
            s2 += x * x;
            u += r.uniform();
        }
        let n = n as f64;
        assert!((s / n).abs() < 0.01, "normal mean {}", s / n);
        assert!((s2 / n - 1.0).abs() < 0.02, "normal variance {}", s2 / n);
        assert!((u / n - 0.5).abs() < 0.005, "uniform mean {}", u / n);
    }
}
