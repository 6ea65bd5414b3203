//! Solution to exercise 13 (batch-norm backward). Try the exercise before reading this.
//!
//! `dx = (γ/s)·(dy − mean(dy) − x̂·mean(dy·x̂))`, `dγ = Σ dy·x̂`, `dβ = Σ dy`, per channel.

use ndarray::{Array1, Array4, ArrayView1, ArrayView4, Axis};
use nst::layers::NORM_EPS;

pub fn batchnorm_backward(
    x: ArrayView4<f64>,
    gamma: ArrayView1<f64>,
    dy: ArrayView4<f64>,
) -> (Array4<f64>, Array1<f64>, Array1<f64>) {
    let c = x.dim().1;
    let mut dx = Array4::zeros(x.raw_dim());
    let (mut dgamma, mut dbeta) = (Array1::zeros(c), Array1::zeros(c));
    for ch in 0..c {
        let xc = x.index_axis(Axis(1), ch);
        let dyc = dy.index_axis(Axis(1), ch);
        let m = xc.len() as f64;
        let mean = xc.sum() / m;
        let var = xc.mapv(|v| (v - mean).powi(2)).sum() / m;
        let s = (var + NORM_EPS).sqrt();
        let xhat = xc.mapv(|v| (v - mean) / s);
        let mean_dy = dyc.sum() / m;
        let mean_dy_xhat = (&dyc * &xhat).sum() / m;
        let dxc = (&dyc - mean_dy - &xhat * mean_dy_xhat) * (gamma[ch] / s);
        dx.index_axis_mut(Axis(1), ch).assign(&dxc);
        dgamma[ch] = (&dyc * &xhat).sum();
        dbeta[ch] = dyc.sum();
    }
    (dx, dgamma, dbeta)
}
