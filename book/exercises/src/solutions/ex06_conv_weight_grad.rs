//! Solution to exercise 6 (convolution ∂L/∂W). Try the exercise before reading this.
//!
//! `W̄₂ = Σ_items Ȳ₂ · A(X)ᵀ`, with exercise 1's im2col.

use crate::ex01_im2col::im2col;
use ndarray::{Array2, Array4, ArrayView4, Axis};
use nst::layers::ConvSpec;

pub fn conv2d_weight_grad(
    x: ArrayView4<f64>,
    dy: ArrayView4<f64>,
    spec: &ConvSpec,
    k: (usize, usize),
) -> Array4<f64> {
    let (n, c, h, w) = x.dim();
    let (_, o, oh, ow) = dy.dim();
    let g = spec.geom(c, h, w, k.0, k.1);
    let mut dw2 = Array2::<f64>::zeros((o, c * k.0 * k.1));
    for item in 0..n {
        let cols = im2col(x.index_axis(Axis(0), item), &g);
        let dy2 = dy
            .index_axis(Axis(0), item)
            .to_shape((o, oh * ow))
            .unwrap()
            .to_owned();
        dw2 += &dy2.dot(&cols.t());
    }
    dw2.into_shape_with_order((o, c, k.0, k.1)).unwrap()
}
