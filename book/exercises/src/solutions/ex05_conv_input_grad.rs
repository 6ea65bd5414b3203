//! Solution to exercise 5 (convolution ∂L/∂X). Try the exercise before reading this.
//!
//! `X̄ = col2im(W₂ᵀ · Ȳ₂)`, item by item, with exercise 4's col2im.

use crate::ex04_col2im::col2im;
use ndarray::{Array2, Array4, ArrayView4, Axis};
use nst::layers::ConvSpec;

pub fn conv2d_input_grad(
    w: ArrayView4<f64>,
    dy: ArrayView4<f64>,
    spec: &ConvSpec,
    in_hw: (usize, usize),
) -> Array4<f64> {
    let (n, o, oh, ow) = dy.dim();
    let (_, c, kh, kw) = w.dim();
    let g = spec.geom(c, in_hw.0, in_hw.1, kh, kw);
    let w2: Array2<f64> = w.to_shape((o, c * kh * kw)).unwrap().to_owned();
    let mut dx = Array4::zeros((n, c, in_hw.0, in_hw.1));
    for item in 0..n {
        let dy2 = dy
            .index_axis(Axis(0), item)
            .to_shape((o, oh * ow))
            .unwrap()
            .to_owned();
        let cols = w2.t().dot(&dy2); // W₂ᵀ · Ȳ₂: each window's gradient
        dx.index_axis_mut(Axis(0), item)
            .assign(&col2im(cols.view(), &g));
    }
    dx
}
