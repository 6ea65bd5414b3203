//! Preprocessing conventions: how a picture becomes the network's input.
//!
//! A set of pretrained weights only works on inputs prepared the way its training data
//! was. Two conventions cover the common VGG weights:
//!
//! * `caffe-bgr255` — the original Caffe VGG models (and Keras' `applications.VGG16/19`,
//!   converted from them): channels in **B, G, R** order, values in **[0, 255]**, minus the
//!   ImageNet mean pixel `(B, G, R) = (103.939, 116.779, 123.68)`. No division.
//! * `torch-rgb01` — torchvision's models: **R, G, B** order, values in **[0, 1]**, minus
//!   `mean = (0.485, 0.456, 0.406)`, divided by `std = (0.229, 0.224, 0.225)`.
//!
//! Both are affine maps applied channel by channel after a permutation:
//!
//! ```text
//! x[c] = a[c] · rgb[src(c)] + b[c]
//! caffe-bgr255:  src = (2, 1, 0)   a = 255      b = −mean_bgr[c]
//! torch-rgb01:   src = (0, 1, 2)   a = 1/std[c] b = −mean[c]/std[c]
//! ```
//!
//! so one table gives the forward map, its inverse (`rgb[src(c)] = (x[c] − b[c]) / a[c]`)
//! and its gradient: the map is affine, so `∂L/∂rgb[src(c)] = a[c] · ∂L/∂x[c]`.
//! This file is the one place preprocessing happens; the manifest of each weight set
//! names its convention.

use crate::error::{Error, Result};
use crate::math::tensor::Real;
use ndarray::{s, Array3, Array4, ArrayView3, ArrayView4, Axis};
use std::fmt;
use std::str::FromStr;

/// How pictures are turned into network inputs for one weight set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Convention {
    /// BGR order, [0, 255], minus a mean pixel given in B, G, R order.
    CaffeBgr255 {
        /// Mean pixel, B, G, R, on the 0–255 scale.
        mean_bgr: [f32; 3],
    },
    /// RGB order, [0, 1], minus `mean`, divided by `std` (both R, G, B).
    TorchRgb01 {
        /// Per-channel mean, R, G, B.
        mean: [f32; 3],
        /// Per-channel standard deviation, R, G, B.
        std: [f32; 3],
    },
}

impl Convention {
    /// The ImageNet mean pixel used by the Caffe VGG models, B, G, R.
    pub const CAFFE_MEAN_BGR: [f32; 3] = [103.939, 116.779, 123.68];
    /// torchvision's ImageNet mean, R, G, B.
    pub const TORCH_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
    /// torchvision's ImageNet standard deviation, R, G, B.
    pub const TORCH_STD: [f32; 3] = [0.229, 0.224, 0.225];

    /// `caffe-bgr255` with the standard mean.
    pub fn caffe() -> Self {
        Convention::CaffeBgr255 {
            mean_bgr: Self::CAFFE_MEAN_BGR,
        }
    }

    /// `torch-rgb01` with the standard mean and std.
    pub fn torch() -> Self {
        Convention::TorchRgb01 {
            mean: Self::TORCH_MEAN,
            std: Self::TORCH_STD,
        }
    }

    /// The convention's name: `caffe-bgr255` or `torch-rgb01`.
    pub fn name(&self) -> &'static str {
        match self {
            Convention::CaffeBgr255 { .. } => "caffe-bgr255",
            Convention::TorchRgb01 { .. } => "torch-rgb01",
        }
    }

    /// Parse a manifest `convention` line's fields: a name, then optional
    /// `mean_bgr=b,g,r` (caffe) or `mean=r,g,b` / `std=r,g,b` (torch).
    pub fn parse_fields(fields: &[&str]) -> Result<Self> {
        let Some((name, params)) = fields.split_first() else {
            return Err(Error("convention line has no name".into()));
        };
        let mut c = Self::from_str(name)?;
        for p in params {
            let (key, value) = p
                .split_once('=')
                .ok_or_else(|| Error(format!("convention parameter `{p}` is not key=value")))?;
            let v = parse_triple(value)
                .ok_or_else(|| Error(format!("convention parameter `{p}` needs three numbers")))?;
            match (&mut c, key) {
                (Convention::CaffeBgr255 { mean_bgr }, "mean_bgr") => *mean_bgr = v,
                (Convention::TorchRgb01 { mean, .. }, "mean") => *mean = v,
                (Convention::TorchRgb01 { std, .. }, "std") if v.iter().all(|s| *s > 0.0) => {
                    *std = v
                }
                _ => {
                    return Err(Error(format!(
                        "parameter `{p}` is not valid for convention {name}"
                    )))
                }
            }
        }
        Ok(c)
    }

    /// The fields of a manifest `convention` line, tab-separated, constants included.
    pub fn manifest_fields(&self) -> String {
        let t = |v: &[f32; 3]| format!("{},{},{}", v[0], v[1], v[2]);
        match self {
            Convention::CaffeBgr255 { mean_bgr } => {
                format!("{}\tmean_bgr={}", self.name(), t(mean_bgr))
            }
            Convention::TorchRgb01 { mean, std } => {
                format!("{}\tmean={}\tstd={}", self.name(), t(mean), t(std))
            }
        }
    }

    // ANCHOR: affine_table
    /// For each network channel `c`: `(src(c), a[c], b[c])` with `x[c] = a[c]·rgb[src(c)] + b[c]`.
    fn table(&self) -> [(usize, f64, f64); 3] {
        match *self {
            Convention::CaffeBgr255 { mean_bgr: m } => [
                (2, 255.0, -f64::from(m[0])),
                (1, 255.0, -f64::from(m[1])),
                (0, 255.0, -f64::from(m[2])),
            ],
            Convention::TorchRgb01 { mean, std } => {
                let e = |c: usize| {
                    (
                        c,
                        1.0 / f64::from(std[c]),
                        -f64::from(mean[c]) / f64::from(std[c]),
                    )
                };
                [e(0), e(1), e(2)]
            }
        }
    }
    // ANCHOR_END: affine_table

    // ANCHOR: preprocess
    /// Picture → network input: `H×W×3` RGB in [0, 1] to `1×3×H×W`.
    pub fn preprocess<T: Real>(&self, rgb: ArrayView3<T>) -> Array4<T> {
        self.preprocess_batch(rgb.insert_axis(Axis(0)))
    }

    /// Batch version: `N×H×W×3` RGB to `N×3×H×W`.
    pub fn preprocess_batch<T: Real>(&self, rgb: ArrayView4<T>) -> Array4<T> {
        let (n, h, w, ch) = rgb.dim();
        assert_eq!(
            ch,
            3,
            "preprocess: pictures must be N×H×W×3 RGB, got {:?}",
            rgb.shape()
        );
        let mut x = Array4::zeros((n, 3, h, w));
        for (c, (src, a, b)) in self.table().into_iter().enumerate() {
            let (a, b) = (T::of(a), T::of(b));
            x.slice_mut(s![.., c, .., ..])
                .assign(&rgb.slice(s![.., .., .., src]).mapv(|v| a * v + b));
        }
        x
    }
    // ANCHOR_END: preprocess

    /// Network input → picture: the exact inverse of [`Self::preprocess`] (`1×3×H×W` to
    /// `H×W×3`), **not** clamped to [0, 1] — clamping is the saver's job.
    pub fn deprocess<T: Real>(&self, x: ArrayView4<T>) -> Array3<T> {
        assert_eq!(
            x.shape()[0],
            1,
            "deprocess: expected a batch of one, got {:?}",
            x.shape()
        );
        self.deprocess_batch(x).index_axis_move(Axis(0), 0)
    }

    /// Batch version: `N×3×H×W` to `N×H×W×3`.
    pub fn deprocess_batch<T: Real>(&self, x: ArrayView4<T>) -> Array4<T> {
        let (n, ch, h, w) = x.dim();
        assert_eq!(ch, 3, "deprocess: expected N×3×H×W, got {:?}", x.shape());
        let mut rgb = Array4::zeros((n, h, w, 3));
        for (c, (src, a, b)) in self.table().into_iter().enumerate() {
            let (a, b) = (T::of(a), T::of(b));
            rgb.slice_mut(s![.., .., .., src])
                .assign(&x.slice(s![.., c, .., ..]).mapv(|v| (v - b) / a));
        }
        rgb
    }

    // ANCHOR: preprocess_backward
    /// Gradient through preprocessing: `∂L/∂rgb` (`H×W×3`) from `∂L/∂x` (`1×3×H×W`).
    /// The map is affine, so this is its linear part transposed: undo the channel
    /// permutation and multiply by `a[c]` (×255 for caffe, ÷std for torch).
    pub fn preprocess_backward<T: Real>(&self, dx: ArrayView4<T>) -> Array3<T> {
        assert_eq!(
            dx.shape()[0],
            1,
            "preprocess_backward: expected a batch of one, got {:?}",
            dx.shape()
        );
        self.preprocess_backward_batch(dx)
            .index_axis_move(Axis(0), 0)
    }

    /// Batch version: `N×3×H×W` to `N×H×W×3`.
    pub fn preprocess_backward_batch<T: Real>(&self, dx: ArrayView4<T>) -> Array4<T> {
        let (n, ch, h, w) = dx.dim();
        assert_eq!(
            ch,
            3,
            "preprocess_backward: expected N×3×H×W, got {:?}",
            dx.shape()
        );
        let mut drgb = Array4::zeros((n, h, w, 3));
        for (c, (src, a, _)) in self.table().into_iter().enumerate() {
            let a = T::of(a);
            drgb.slice_mut(s![.., .., .., src])
                .assign(&dx.slice(s![.., c, .., ..]).mapv(|v| a * v));
        }
        drgb
    }
    // ANCHOR_END: preprocess_backward
}

fn parse_triple(s: &str) -> Option<[f32; 3]> {
    let v: Vec<f32> = s
        .split(',')
        .map(|x| x.trim().parse().ok().filter(|f: &f32| f.is_finite()))
        .collect::<Option<_>>()?;
    v.try_into().ok()
}

impl fmt::Display for Convention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Convention {
    type Err = Error;

    /// Parse a name, `caffe-bgr255` or `torch-rgb01` (with the standard constants).
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "caffe-bgr255" => Ok(Self::caffe()),
            "torch-rgb01" => Ok(Self::torch()),
            _ => Err(Error(format!(
                "unknown preprocessing convention `{name}` (expected caffe-bgr255 or torch-rgb01)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{adjoint_error, dot, numeric_gradient, GradCheck};
    use crate::math::rng::Rng;
    use ndarray::Array3;

    fn both() -> [Convention; 2] {
        [Convention::caffe(), Convention::torch()]
    }

    #[test]
    fn known_pixel_values() {
        // One pure-red pixel.
        let mut rgb = Array3::<f32>::zeros((1, 1, 3));
        rgb[[0, 0, 0]] = 1.0;
        let x = Convention::caffe().preprocess(rgb.view());
        assert_eq!(x.shape(), [1, 3, 1, 1]);
        let want = [-103.939, -116.779, 255.0 - 123.68];
        for c in 0..3 {
            assert!(
                (x[[0, c, 0, 0]] - want[c]).abs() < 1e-4,
                "caffe channel {c}: {}",
                x[[0, c, 0, 0]]
            );
        }
        let x = Convention::torch().preprocess(rgb.view());
        let want = [(1.0 - 0.485) / 0.229, -0.456 / 0.224, -0.406 / 0.225];
        for c in 0..3 {
            assert!(
                (x[[0, c, 0, 0]] - want[c]).abs() < 1e-5,
                "torch channel {c}"
            );
        }
    }

    #[test]
    fn deprocess_inverts_preprocess() {
        let rgb: Array3<f64> = Rng::new(1).uniform_array((4, 5, 3), 0.0, 1.0);
        for conv in both() {
            let back = conv.deprocess(conv.preprocess(rgb.view()).view());
            assert!(
                crate::math::tensor::max_abs_diff(&back.view(), &rgb.view()) < 1e-12,
                "{conv}"
            );
        }
    }

    #[test]
    fn backward_is_the_adjoint_and_matches_finite_differences() {
        // Adjoint test on the linear part A(u) = pre(u) − pre(0): ⟨A u, v⟩ = ⟨u, Aᵀ v⟩ to
        // round-off (tolerance 1e-12 in f64).
        let mut rng = Rng::new(2);
        let u: Array3<f64> = rng.uniform_array((3, 4, 3), -1.0, 1.0);
        let v: Array4<f64> = rng.uniform_array((1, 3, 3, 4), -1.0, 1.0);
        for conv in both() {
            let zero = conv.preprocess(Array3::<f64>::zeros((3, 4, 3)).view());
            let au = conv.preprocess(u.view()) - &zero;
            let atv = conv.preprocess_backward(v.view());
            let err = adjoint_error(dot(&au.view(), &v.view()), dot(&u.view(), &atv.view()));
            assert!(err < 1e-12, "{conv}: adjoint error {err}");
            // Central differences of f(rgb) = ⟨v, pre(rgb)⟩ (tolerance 1e-8 relative).
            let numeric = numeric_gradient(&u, 1e-5, |r| {
                dot(&conv.preprocess(r.view()).view(), &v.view())
            });
            let c = GradCheck::compare(conv.name(), &atv.view(), &numeric.view(), 1e-8);
            assert!(c.passed(), "{c:?}");
        }
    }

    #[test]
    fn names_and_manifest_fields_round_trip() {
        for conv in both() {
            assert_eq!(conv.to_string().parse::<Convention>().unwrap(), conv);
            let fields = conv.manifest_fields();
            let parts: Vec<&str> = fields.split('\t').collect();
            assert_eq!(Convention::parse_fields(&parts).unwrap(), conv);
        }
        let custom = Convention::parse_fields(&["caffe-bgr255", "mean_bgr=1,2,3"]).unwrap();
        assert_eq!(
            custom,
            Convention::CaffeBgr255 {
                mean_bgr: [1.0, 2.0, 3.0]
            }
        );
        assert!("rgb"
            .parse::<Convention>()
            .unwrap_err()
            .0
            .contains("unknown preprocessing convention `rgb`"));
        assert!(Convention::parse_fields(&["torch-rgb01", "std=0,1,1"]).is_err());
        assert!(Convention::parse_fields(&["caffe-bgr255", "mean=1,2,3"]).is_err());
        assert!(Convention::parse_fields(&["caffe-bgr255", "mean_bgr=1,2"]).is_err());
    }

    #[test]
    fn batch_versions_agree_with_single() {
        let rgb: Array4<f32> = Rng::new(3).uniform_array((2, 3, 2, 3), 0.0, 1.0);
        for conv in both() {
            let xb = conv.preprocess_batch(rgb.view());
            for i in 0..2 {
                let xi = conv.preprocess(rgb.index_axis(Axis(0), i));
                assert_eq!(xb.index_axis(Axis(0), i), xi.index_axis(Axis(0), 0));
            }
        }
    }
}
