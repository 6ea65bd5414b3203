//! 2-D convolution (cross-correlation, as in every deep-learning framework):
//!
//! ```text
//! Y[n,o,oy,ox] = b[o] + Σ_{c,ki,kj} W[o,c,ki,kj] · X[n, c, oy·s+ki−p, ox·s+kj−p]
//! ```
//!
//! **Forward** by im2col + GEMM: for each tile of output pixels, unroll the windows into
//! `cols` (C·K² × tile) and compute `Y[:, tile] = W₂ · cols + b`, with `W₂` the weights
//! viewed as O × C·K² (no copy: OIHW is already row-major in that order).
//!
//! **Backward.** Y is linear in each of X, W and b, so (with `dY = ∂L/∂Y` and `cols`
//! the unrolled X):
//!
//! ```text
//! ∂L/∂W₂ = dY · colsᵀ                (O × C·K²: each weight sees every window it touched)
//! ∂L/∂b  = Σ_pixels dY               (the bias is added at every output pixel)
//! ∂L/∂X  = col2im(W₂ᵀ · dY)          (each window's gradient goes back to its pixels)
//! ```
//!
//! The backward pass is split over groups of input channels: group `g` owns rows
//! `c·K² ..` of `cols` and `W₂ᵀ·dY`, columns of `∂L/∂W₂`, and channels of `∂L/∂X`. The
//! groups write to disjoint memory, so they run in parallel with no locks and no
//! per-thread copies of dW to sum up afterwards.

use crate::math::gemm::gemm;
use crate::math::im2col::{col2im_tile_add, im2col_tile, pixel_tile, ConvGeom, Padding};
use crate::math::tensor::{unwritten, Real, Tensor4};
use ndarray::{s, Array1, Array2, Array4, ArrayView1, ArrayView4, ArrayViewMut4, Axis};
use rayon::prelude::*;
use std::mem::MaybeUninit;

/// Stride and padding of a convolution (the kernel size comes from the weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvSpec {
    /// Step between windows.
    pub stride: usize,
    /// Padding on each side.
    pub pad: usize,
    /// Zero or circular padding.
    pub padding: Padding,
}

impl ConvSpec {
    /// VGG's convolution: 3×3, stride 1, zero padding 1 ("same" size).
    pub const SAME3: ConvSpec = ConvSpec {
        stride: 1,
        pad: 1,
        padding: Padding::Zero,
    };

    /// The window geometry for an input of shape (C, H, W) and a KH×KW kernel.
    pub fn geom(&self, c: usize, h: usize, w: usize, kh: usize, kw: usize) -> ConvGeom {
        ConvGeom {
            c,
            h,
            w,
            kh,
            kw,
            stride: self.stride,
            pad: self.pad,
            padding: self.padding,
        }
    }
}

/// A convolution layer's parameters.
#[derive(Clone, Debug)]
pub struct Conv2d<T> {
    /// Filters, (O, C, KH, KW).
    pub weight: Array4<T>,
    /// One bias per output channel, (O).
    pub bias: Array1<T>,
    /// Stride and padding.
    pub spec: ConvSpec,
}

impl<T: Real> Conv2d<T> {
    /// (O, C, KH, KW) of the weights.
    pub fn shape(&self) -> (usize, usize, usize, usize) {
        self.weight.dim()
    }

    /// Forward pass; see [`conv2d_forward`].
    pub fn forward(&self, x: ArrayView4<T>) -> Tensor4<T> {
        conv2d_forward(x, self.weight.view(), self.bias.view(), &self.spec)
    }
}

fn geom_of<T>(x_dim: (usize, usize, usize, usize), w: &ArrayView4<T>, spec: &ConvSpec) -> ConvGeom {
    let (_, c, h, wd) = x_dim;
    let (_, wc, kh, kw) = w.dim();
    assert_eq!(c, wc, "conv2d: input has {c} channels, weights expect {wc}");
    let g = spec.geom(c, h, wd, kh, kw);
    if let Err(e) = g.validate() {
        panic!("conv2d: {e}");
    }
    g
}

// ANCHOR: conv_forward
/// `Y = W ⊛ X + b`.
///
/// * `x`: (N, C, H, W)
/// * `w`: (O, C, KH, KW)
/// * `b`: (O)
/// * returns (N, O, OH, OW)
///
/// Parallel over tiles of output pixels: each tile reads the shared input and writes its
/// own columns of Y, so the tiles are independent; tiles (rather than channels) also
/// bound the im2col buffer's size.
///
/// A 1×1 convolution with stride 1 and no padding needs no unrolling: its column matrix
/// *is* the input seen as (C, H·W), so the GEMM reads X in place.
pub fn conv2d_forward<T: Real>(
    x: ArrayView4<T>,
    w: ArrayView4<T>,
    b: ArrayView1<T>,
    spec: &ConvSpec,
) -> Tensor4<T> {
    conv2d_forward_then(x, w, b, spec, None::<fn(T) -> T>)
}

/// [`conv2d_forward`], then `f` on every output value, tile by tile while the tile is
/// still in cache — an activation fused into the convolution (inference only: the
/// backward pass needs the values before `f`).
pub fn conv2d_forward_then<T: Real, F: Fn(T) -> T + Sync>(
    x: ArrayView4<T>,
    w: ArrayView4<T>,
    b: ArrayView1<T>,
    spec: &ConvSpec,
    f: Option<F>,
) -> Tensor4<T> {
    let g = geom_of(x.dim(), &w, spec);
    let (n, o) = (x.dim().0, w.dim().0);
    debug_assert_eq!(b.len(), o);
    let w2 = w
        .into_shape_with_order((o, g.rows()))
        .expect("weights are contiguous OIHW");
    let (oh, ow) = (g.out_h(), g.out_w());
    let mut y = unwritten::<T, _>((n, o, oh, ow));
    let tile = pixel_tile(g.rows(), oh * ow);
    let pointwise = g.kh == 1 && g.kw == 1 && g.stride == 1 && g.pad == 0;
    for (xi, mut yi) in x.outer_iter().zip(y.outer_iter_mut()) {
        let mut y2 = yi
            .view_mut()
            .into_shape_with_order((o, oh * ow))
            .expect("fresh array is contiguous");
        let x2 = pointwise.then(|| xi.to_shape((g.c, oh * ow)).expect("C·H·W elements"));
        y2.axis_chunks_iter_mut(Axis(1), tile)
            .into_par_iter()
            .enumerate()
            .for_each_init(
                || Array2::<T>::zeros((if pointwise { 0 } else { g.rows() }, tile)),
                |cols, (t, mut y_tile)| {
                    let width = y_tile.ncols();
                    // Bias first, then accumulate W₂·cols on top of it (β = 1).
                    for (mut row, &bo) in y_tile.outer_iter_mut().zip(b.iter()) {
                        row.fill(MaybeUninit::new(bo));
                    }
                    // SAFETY: every row of the tile was just filled with its bias.
                    let mut y_tile = unsafe { y_tile.assume_init() };
                    if let Some(x2) = &x2 {
                        let cols = x2.slice(s![.., t * tile..t * tile + width]);
                        gemm(T::one(), w2, cols, T::one(), y_tile.view_mut());
                    } else {
                        let mut cols = cols.slice_mut(s![.., ..width]);
                        im2col_tile(xi, &g, t * tile, cols.view_mut());
                        gemm(T::one(), w2, cols.view(), T::one(), y_tile.view_mut());
                    }
                    if let Some(f) = &f {
                        y_tile.mapv_inplace(f);
                    }
                },
            );
    }
    // SAFETY: the tiles are every column of every image's (O, OH·OW) output, and each
    // task filled its tile with the bias.
    unsafe { y.assume_init() }
}
// ANCHOR_END: conv_forward

/// Where the gradients of [`conv2d_backward`] go. Each is optional (a frozen VGG needs
/// only `dx`; a generator's first layer needs no `dx`) and is **added into**, so the
/// caller zeroes it first and can accumulate over several calls.
pub struct ConvGrads<'a, T> {
    /// ∂L/∂X, (N, C, H, W).
    pub dx: Option<ArrayViewMut4<'a, T>>,
    /// ∂L/∂W, (O, C, KH, KW).
    pub dw: Option<ArrayViewMut4<'a, T>>,
    /// ∂L/∂b, (O).
    pub db: Option<ndarray::ArrayViewMut1<'a, T>>,
}

// ANCHOR: conv_backward
/// Gradients of `Y = W ⊛ X + b` given `dy = ∂L/∂Y`.
///
/// * `x`: (N, C, H, W), the forward input — needed only for `dw` (pass `None` otherwise)
/// * `w`: (O, C, KH, KW)
/// * `dy`: (N, O, OH, OW)
/// * `grads`: where to add ∂L/∂X, ∂L/∂W, ∂L/∂b
/// * `in_hw`: the input's (H, W) — OH and OW alone do not determine it when stride > 1
pub fn conv2d_backward<T: Real>(
    x: Option<ArrayView4<T>>,
    w: ArrayView4<T>,
    dy: ArrayView4<T>,
    spec: &ConvSpec,
    in_hw: (usize, usize),
    grads: ConvGrads<'_, T>,
) {
    let (n, o, oh, ow) = dy.dim();
    let (wo, c, kh, kw) = w.dim();
    assert_eq!(o, wo, "conv2d_backward: dy has {o} channels, weights {wo}");
    let g = spec.geom(c, in_hw.0, in_hw.1, kh, kw);
    assert_eq!(
        (g.out_h(), g.out_w()),
        (oh, ow),
        "conv2d_backward: dy does not match the input size"
    );
    let ConvGrads { mut dx, mut dw, db } = grads;
    assert!(
        dw.is_none() || x.is_some(),
        "conv2d_backward: dW needs the forward input"
    );

    // ∂L/∂b[o] = Σ_{n,oy,ox} dY[n,o,oy,ox]
    if let Some(mut db) = db {
        for (dbo, dyo) in db.iter_mut().zip(dy.axis_iter(Axis(1))) {
            *dbo += dyo.sum();
        }
    }
    if dx.is_none() && dw.is_none() {
        return;
    }
    let k2 = kh * kw;
    let w2 = w
        .into_shape_with_order((o, c * k2))
        .expect("weights are contiguous OIHW");
    // Tiles of output pixels on the outside, channel groups in parallel inside: each
    // dY tile is read from cache by every group, and the groups' rows of W₂ᵀ, columns of
    // dW₂ and channels of dX are disjoint, so they need no locks and no reduction.
    let group = c.div_ceil(4 * rayon::current_num_threads()).max(1);
    let groups = c.div_ceil(group);
    let tile = pixel_tile(c * k2, oh * ow);
    let mut bufs: Vec<Array2<T>> = (0..groups)
        .map(|_| Array2::zeros((group * k2, tile)))
        .collect();
    for item in 0..n {
        let dy2 = dy
            .index_axis(Axis(0), item)
            .into_shape_with_order((o, oh * ow));
        let dy2 = dy2.expect("dy is contiguous");
        let xi = x.map(|x| x.index_axis_move(Axis(0), item));
        let mut dxi = dx.as_mut().map(|d| d.index_axis_mut(Axis(0), item));
        let mut dw2 = dw.as_mut().map(|d| {
            d.view_mut()
                .into_shape_with_order((o, c * k2))
                .expect("dW contiguous")
        });
        let mut p0 = 0;
        while p0 < oh * ow {
            let p1 = (p0 + tile).min(oh * ow);
            let dy_t = dy2.slice(s![.., p0..p1]);
            let dx_groups: Vec<Option<_>> = match dxi.as_mut() {
                Some(d) => d.axis_chunks_iter_mut(Axis(0), group).map(Some).collect(),
                None => (0..groups).map(|_| None).collect(),
            };
            let dw_groups: Vec<Option<_>> = match dw2.as_mut() {
                Some(d) => d
                    .axis_chunks_iter_mut(Axis(1), group * k2)
                    .map(Some)
                    .collect(),
                None => (0..groups).map(|_| None).collect(),
            };
            dx_groups
                .into_par_iter()
                .zip(dw_groups)
                .zip(bufs.par_iter_mut())
                .enumerate()
                .for_each(|(gi, ((mut dxg, mut dwg), buf))| {
                    let (c0, c1) = (gi * group, ((gi + 1) * group).min(c));
                    let rows = (c1 - c0) * k2;
                    let sub = ConvGeom { c: c1 - c0, ..g };
                    let mut b = buf.slice_mut(s![..rows, ..p1 - p0]);
                    if let (Some(dwg), Some(xi)) = (dwg.as_mut(), xi) {
                        // dW₂[:, group] += dY_tile · cols_groupᵀ
                        im2col_tile(xi.slice(s![c0..c1, .., ..]), &sub, p0, b.view_mut());
                        gemm(T::one(), dy_t, b.t(), T::one(), dwg.view_mut());
                    }
                    if let Some(dxg) = dxg.as_mut() {
                        // dX[group] += col2im(W₂[:, group]ᵀ · dY_tile)
                        let wg = w2.slice(s![.., c0 * k2..c1 * k2]);
                        gemm(T::one(), wg.t(), dy_t, T::zero(), b.view_mut());
                        col2im_tile_add(b.view(), &sub, p0, dxg.view_mut());
                    }
                });
            p0 = p1;
        }
    }
}
// ANCHOR_END: conv_backward

/// ∂L/∂X alone, (N, C, H, W) with (H, W) = `in_hw`: the frozen network's case (VGG's
/// backward pass, its benchmark, the adjoint check), where no weight gradient is wanted
/// and so no forward input is needed.
pub fn conv2d_input_grad<T: Real>(
    w: ArrayView4<T>,
    dy: ArrayView4<T>,
    spec: &ConvSpec,
    in_hw: (usize, usize),
) -> Tensor4<T> {
    let mut dx = Array4::zeros((dy.dim().0, w.dim().1, in_hw.0, in_hw.1));
    let grads = ConvGrads {
        dx: Some(dx.view_mut()),
        dw: None,
        db: None,
    };
    conv2d_backward(None, w, dy, spec, in_hw, grads);
    dx
}

// ANCHOR: conv_naive
/// Direct convolution by seven nested loops: the definition, used to test the im2col
/// path. Same shapes as [`conv2d_forward`].
pub fn conv2d_naive<T: Real>(
    x: ArrayView4<T>,
    w: ArrayView4<T>,
    b: ArrayView1<T>,
    spec: &ConvSpec,
) -> Tensor4<T> {
    let g = geom_of(x.dim(), &w, spec);
    let (n, o) = (x.dim().0, w.dim().0);
    let (oh, ow) = (g.out_h(), g.out_w());
    let (h, wd) = (g.h as isize, g.w as isize);
    let mut y = Array4::zeros((n, o, oh, ow));
    for ni in 0..n {
        for oi in 0..o {
            for oy in 0..oh {
                for ox in 0..ow {
                    let mut acc = b[oi];
                    for ci in 0..g.c {
                        for ki in 0..g.kh {
                            for kj in 0..g.kw {
                                let iy = (oy * g.stride + ki) as isize - g.pad as isize;
                                let ix = (ox * g.stride + kj) as isize - g.pad as isize;
                                let outside = iy < 0 || ix < 0 || iy >= h || ix >= wd;
                                if outside && g.padding == Padding::Zero {
                                    continue;
                                }
                                let (iy, ix) =
                                    (iy.rem_euclid(h) as usize, ix.rem_euclid(wd) as usize);
                                acc += w[[oi, ci, ki, kj]] * x[[ni, ci, iy, ix]];
                            }
                        }
                    }
                    y[[ni, oi, oy, ox]] = acc;
                }
            }
        }
    }
    y
}
// ANCHOR_END: conv_naive

/// Forward FLOPs of one convolution (a multiply and an add per weight per output pixel).
pub fn conv2d_flops(o: usize, c: usize, k: usize, oh: usize, ow: usize) -> f64 {
    2.0 * (o * c * k * k) as f64 * (oh * ow) as f64
}

// ANCHOR: conv_input_grad_naive
/// ∂L/∂X by the index formula, the teaching version of [`conv2d_input_grad`]: the
/// forward pass reads `X[n, c, oy·s+ki−p, ox·s+kj−p]` once for every output pixel and
/// every weight, so each such read sends `W[o,c,ki,kj] · dY[n,o,oy,ox]` back to that
/// input pixel, **added** to what the other windows covering it sent:
///
/// ```text
/// X̄[n,c,iy,ix] = Σ_{o,oy,ox,ki,kj : oy·s+ki−p = iy, ox·s+kj−p = ix} W[o,c,ki,kj] · dY[n,o,oy,ox]
/// ```
///
/// (indices taken modulo the size under circular padding; reads of zero padding send
/// nothing). Same shapes as [`conv2d_input_grad`].
pub fn conv2d_input_grad_naive<T: Real>(
    w: ArrayView4<T>,
    dy: ArrayView4<T>,
    spec: &ConvSpec,
    in_hw: (usize, usize),
) -> Tensor4<T> {
    let (n, o, oh, ow) = dy.dim();
    let (_, c, kh, kw) = w.dim();
    let g = spec.geom(c, in_hw.0, in_hw.1, kh, kw);
    let (h, wd) = (g.h as isize, g.w as isize);
    let mut dx = Array4::zeros((n, c, g.h, g.w));
    for ((ni, oi, oy, ox), &d) in dy.indexed_iter() {
        for ci in 0..c {
            for ki in 0..kh {
                for kj in 0..kw {
                    let iy = (oy * g.stride + ki) as isize - g.pad as isize;
                    let ix = (ox * g.stride + kj) as isize - g.pad as isize;
                    let outside = iy < 0 || ix < 0 || iy >= h || ix >= wd;
                    if outside && g.padding == Padding::Zero {
                        continue;
                    }
                    let (iy, ix) = (iy.rem_euclid(h) as usize, ix.rem_euclid(wd) as usize);
                    dx[[ni, ci, iy, ix]] += w[[oi, ci, ki, kj]] * d;
                }
            }
        }
    }
    debug_assert_eq!((o, oh, ow), (w.dim().0, g.out_h(), g.out_w()));
    dx
}
// ANCHOR_END: conv_input_grad_naive

#[cfg(test)]
mod naive_backward_tests {
    use super::*;
    use crate::math::rng::Rng;
    use proptest::prelude::*;

    proptest! {
        /// The index formula and the tiled, parallel col2im path give the same ∂L/∂X.
        #[test]
        fn input_grad_naive_matches_fast(
            n in 1usize..3, c in 1usize..4, o in 1usize..4, h in 1usize..9, wd in 1usize..9,
            k in 1usize..4, stride in 1usize..3, pad in 0usize..3, circ: bool, seed: u64,
        ) {
            let padding = if circ { Padding::Circular } else { Padding::Zero };
            let spec = ConvSpec { stride, pad, padding };
            prop_assume!(spec.geom(c, h, wd, k, k).validate().is_ok());
            let g = spec.geom(c, h, wd, k, k);
            let mut rng = Rng::new(seed);
            let w: Array4<f64> = rng.uniform_array((o, c, k, k), -1.0, 1.0);
            let dy: Array4<f64> = rng.uniform_array((n, o, g.out_h(), g.out_w()), -1.0, 1.0);
            let fast = conv2d_input_grad(w.view(), dy.view(), &spec, (h, wd));
            let naive = conv2d_input_grad_naive(w.view(), dy.view(), &spec, (h, wd));
            let diff = crate::math::tensor::max_abs_diff(&fast.view(), &naive.view());
            prop_assert!(diff < 1e-12, "max difference {diff}");
        }
    }
}
