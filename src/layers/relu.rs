//! ReLU: `y = max(x, 0)`, and its backward pass `dx = dy · [x > 0]`; and the leaky ReLU
//! `y = x` for x > 0, `α·x` otherwise, with `dx = dy · (1 if x > 0 else α)`.
//!
//! The cache is the mask `[x > 0]`, one bit per element ([`BitMask`], 64 to a `u64`
//! word) — a 32nd of keeping the f32 input, and all that backward needs. (As one `bool`
//! per element it took 8 times as much: for VGG16 to relu5_1, 266 bytes per input pixel
//! against 33 packed.) This mask is the `F > 0` condition in the Gatys gradients (seed
//! 003): when a loss taps a `relu` output, the mask is applied here, once, and the
//! losses themselves stay unmasked. The leaky ReLU needs the very same mask, so it
//! reuses [`ReluCache`].

pub use crate::layers::bits::BitMask;
use crate::math::tensor::{Real, Tensor4};
use ndarray::{ArrayView4, ArrayViewMut4};
use std::str::FromStr;

/// What ReLU's backward pass needs: which inputs were positive.
#[derive(Clone, Debug)]
pub struct ReluCache {
    /// `[x > 0]`, same shape as the input, one bit per element.
    pub mask: BitMask,
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
    cache
        .mask
        .apply_zip(dx, dy, |d, g, m| *d = if m { *d + g } else { *d });
}
// ANCHOR_END: relu

/// `dy ← dy · [x > 0]` in place: the same as [`relu_backward`] into a zeroed buffer,
/// without allocating one (the VGG backward walk owns its running gradient).
pub fn relu_backward_inplace<T: Real>(dy: ArrayViewMut4<T>, cache: &ReluCache) {
    cache
        .mask
        .apply(dy, |d, m| *d = if m { *d } else { T::zero() });
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
    let mask = BitMask::build(x.view_mut(), move |v| {
        let m = *v > T::zero();
        *v = scale(*v);
        m
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
    cache
        .mask
        .apply_zip(dx, dy, move |d, g, m| *d += if m { g } else { a * g });
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
    use ndarray::{Array4, Zip};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The packed mask is the boolean mask `[x > 0]` element for element, and each
        /// backward pass gives what the boolean formulas give (sizes that are not
        /// multiples of 64, several items, zeros among the inputs; up to 53 K elements,
        /// several rayon tasks of 16 K).
        #[test]
        fn packed_mask_and_backward_passes_equal_the_boolean_formulas(
            n in 1usize..4, c in 1usize..6, h in 1usize..60, w in 1usize..60,
            slope in 0.0f64..0.5, seed: u64,
        ) {
            let mut rng = Rng::new(seed);
            let mut x: Array4<f64> = rng.uniform_array((n, c, h, w), -1.0, 1.0);
            x.iter_mut().step_by(7).for_each(|v| *v = 0.0);
            let dy: Array4<f64> = rng.uniform_array((n, c, h, w), -1.0, 1.0);
            let bools = x.mapv(|v| v > 0.0);
            let (y, cache) = leaky_relu_forward(x.clone(), slope, true);
            let cache = cache.unwrap();
            prop_assert_eq!(cache.mask.to_bools(), bools.clone());
            prop_assert_eq!(y, x.mapv(leaky(slope)));
            // dx += dy·[x > 0], into a buffer that already holds something.
            let start: Array4<f64> = rng.uniform_array((n, c, h, w), -1.0, 1.0);
            let mut want = start.clone();
            Zip::from(&mut want).and(&dy).and(&bools).for_each(|d, &g, &m| {
                if m {
                    *d += g
                }
            });
            let mut got = start.clone();
            relu_backward(dy.view(), &cache, got.view_mut());
            prop_assert_eq!(&got, &want);
            // dy ← dy·[x > 0].
            let mut got = dy.clone();
            relu_backward_inplace(got.view_mut(), &cache);
            prop_assert_eq!(got, Zip::from(&dy).and(&bools).map_collect(|&g, &m| if m { g } else { 0.0 }));
            // dx += dy·(1 if x > 0 else slope).
            let mut want = start.clone();
            Zip::from(&mut want).and(&dy).and(&bools).for_each(|d, &g, &m| *d += if m { g } else { slope * g });
            let mut got = start;
            leaky_relu_backward(dy.view(), &cache, slope, got.view_mut());
            prop_assert_eq!(got, want);
        }
    }

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
