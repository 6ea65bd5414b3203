//! ReLU: `y = max(x, 0)`, and its backward pass `dx = dy · [x > 0]`; and the leaky ReLU
//! `y = x` for x > 0, `α·x` otherwise, with `dx = dy · (1 if x > 0 else α)`.
//!
//! The cache is the mask `[x > 0]`, one byte per element — a quarter of keeping the
//! f32 input, and all that backward needs. This mask is the `F > 0` condition in the
//! Gatys gradients (seed 003): when a loss taps a `relu` output, the mask is applied
//! here, once, and the losses themselves stay unmasked. The leaky ReLU needs the very
//! same mask, so it reuses [`ReluCache`].

use crate::math::tensor::{Real, Tensor4};
use ndarray::{Array4, ArrayView4, ArrayViewMut4, Zip};
use std::str::FromStr;

/// What ReLU's backward pass needs: which inputs were positive.
#[derive(Clone, Debug)]
pub struct ReluCache {
    /// `[x > 0]`, same shape as the input.
    pub mask: Array4<bool>,
}

// ANCHOR: relu
/// `y = max(x, 0)`, in place on `x`, which it returns as `y`.
///
/// * `x`: (N, C, H, W); returns `y` (N, C, H, W) and the mask for backward (if `cache`).
pub fn relu_forward<T: Real>(x: Tensor4<T>, cache: bool) -> (Tensor4<T>, Option<ReluCache>) {
    leaky_relu_forward(x, 0.0, cache)
}

/// `dx += dy · [x > 0]`.
///
/// * `dy`, `dx`: (N, C, H, W)
pub fn relu_backward<T: Real>(dy: ArrayView4<T>, cache: &ReluCache, dx: ArrayViewMut4<T>) {
    Zip::from(dx)
        .and(dy)
        .and(&cache.mask)
        .par_for_each(|d, &g, &m| {
            if m {
                *d += g
            }
        });
}
// ANCHOR_END: relu

/// `dy ← dy · [x > 0]` in place: the same as [`relu_backward`] into a zeroed buffer,
/// without allocating one (the VGG backward walk owns its running gradient).
pub fn relu_backward_inplace<T: Real>(mut dy: ArrayViewMut4<T>, cache: &ReluCache) {
    Zip::from(&mut dy).and(&cache.mask).par_for_each(|d, &m| {
        if !m {
            *d = T::zero()
        }
    });
}

// ANCHOR: leaky_relu
/// Leaky ReLU: `y = x` where x > 0, `slope·x` elsewhere, in place on `x`.
///
/// * `x`: (N, C, H, W); returns `y` (N, C, H, W) and the mask `[x > 0]` (if `cache`).
pub fn leaky_relu_forward<T: Real>(
    mut x: Tensor4<T>,
    slope: f64,
    cache: bool,
) -> (Tensor4<T>, Option<ReluCache>) {
    let scale = leaky(slope);
    if !cache {
        x.par_mapv_inplace(scale);
        return (x, None);
    }
    // One parallel pass writes both the mask and the output.
    let mut mask = Array4::from_elem(x.raw_dim(), false);
    Zip::from(&mut x).and(&mut mask).par_for_each(|v, m| {
        *m = *v > T::zero();
        *v = scale(*v);
    });
    (x, Some(ReluCache { mask }))
}

/// The leaky ReLU of one value, `v` if v > 0 else `slope·v` (ReLU for slope 0).
pub fn leaky<T: Real>(slope: f64) -> impl Fn(T) -> T + Copy + Send + Sync {
    let a = T::of(slope);
    move |v: T| if v > T::zero() { v } else { a * v }
}

/// `dx += dy · (1 if x > 0 else slope)`.
///
/// * `dy`, `dx`: (N, C, H, W)
pub fn leaky_relu_backward<T: Real>(
    dy: ArrayView4<T>,
    cache: &ReluCache,
    slope: f64,
    dx: ArrayViewMut4<T>,
) {
    let a = T::of(slope);
    Zip::from(dx)
        .and(dy)
        .and(&cache.mask)
        .par_for_each(|d, &g, &m| *d += if m { g } else { a * g });
}
// ANCHOR_END: leaky_relu

/// A pointwise nonlinearity chosen at run time (the Texture Networks generator's
/// configuration names one).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `max(x, 0)`.
    Relu,
    /// `x` for x > 0, `slope·x` elsewhere.
    LeakyRelu(f64),
}

impl Activation {
    /// Forward pass, consuming `x`; the mask is kept if `cache`.
    ///
    /// * `x`: (N, C, H, W); returns (N, C, H, W)
    pub fn forward<T: Real>(self, x: Tensor4<T>, cache: bool) -> (Tensor4<T>, Option<ReluCache>) {
        match self {
            Activation::Relu => relu_forward(x, cache),
            Activation::LeakyRelu(slope) => leaky_relu_forward(x, slope, cache),
        }
    }

    /// Backward pass: adds ∂L/∂x into `dx`.
    ///
    /// * `dy`, `dx`: (N, C, H, W)
    pub fn backward<T: Real>(self, dy: ArrayView4<T>, cache: &ReluCache, dx: ArrayViewMut4<T>) {
        match self {
            Activation::Relu => relu_backward(dy, cache, dx),
            Activation::LeakyRelu(slope) => leaky_relu_backward(dy, cache, slope, dx),
        }
    }

    /// The slope for negative inputs: 0 for ReLU.
    pub fn slope(self) -> f64 {
        match self {
            Activation::Relu => 0.0,
            Activation::LeakyRelu(slope) => slope,
        }
    }

    /// `relu` or `leaky_relu:<slope>` — the form [`Activation::from_str`] reads.
    pub fn name(self) -> String {
        match self {
            Activation::Relu => "relu".into(),
            Activation::LeakyRelu(slope) => format!("leaky_relu:{slope}"),
        }
    }
}

impl FromStr for Activation {
    type Err = crate::Error;

    /// Parse `relu`, `leaky_relu` (slope 0.01, Torch's default) or `leaky_relu:<slope>`.
    fn from_str(s: &str) -> crate::Result<Activation> {
        let bad = || {
            crate::Error(format!(
                "unknown activation '{s}' (expected relu, leaky_relu or leaky_relu:<slope>)"
            ))
        };
        match s.split_once(':') {
            None if s == "relu" => Ok(Activation::Relu),
            None if s == "leaky_relu" => Ok(Activation::LeakyRelu(0.01)),
            Some(("leaky_relu", slope)) => match slope.parse::<f64>() {
                Ok(a) if a.is_finite() => Ok(Activation::LeakyRelu(a)),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        }
    }
}

#[cfg(test)]
mod inplace_tests {
    use super::*;
    use crate::math::rng::Rng;

    #[test]
    fn inplace_backward_equals_backward_into_zeros() {
        let mut rng = Rng::new(3);
        let x: Array4<f64> = rng.uniform_array((2, 3, 4, 5), -1.0, 1.0);
        let dy: Array4<f64> = rng.uniform_array((2, 3, 4, 5), -1.0, 1.0);
        let (_, cache) = relu_forward(x, true);
        let cache = cache.unwrap();
        let mut dx = Array4::zeros(dy.raw_dim());
        relu_backward(dy.view(), &cache, dx.view_mut());
        let mut d2 = dy.clone();
        relu_backward_inplace(d2.view_mut(), &cache);
        assert_eq!(dx, d2);
    }
}
