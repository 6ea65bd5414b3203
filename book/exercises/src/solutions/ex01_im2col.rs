//! Solution to exercise 1 (im2col). Try the exercise before reading this.

use ndarray::{Array2, ArrayView3};
use nst::math::im2col::{ConvGeom, Padding};

/// The pixel a window reads at (iy, ix), or `None` on zero padding.
fn source(g: &ConvGeom, iy: isize, ix: isize) -> Option<(usize, usize)> {
    let (h, w) = (g.h as isize, g.w as isize);
    let inside = iy >= 0 && ix >= 0 && iy < h && ix < w;
    match g.padding {
        _ if inside => Some((iy as usize, ix as usize)),
        Padding::Zero => None,
        Padding::Circular => Some((iy.rem_euclid(h) as usize, ix.rem_euclid(w) as usize)),
    }
}

pub fn im2col(x: ArrayView3<f64>, g: &ConvGeom) -> Array2<f64> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let mut cols = Array2::zeros((g.c * g.kh * g.kw, oh * ow));
    for c in 0..g.c {
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let iy = (oy * g.stride + ki) as isize - g.pad as isize;
                        let ix = (ox * g.stride + kj) as isize - g.pad as isize;
                        if let Some((iy, ix)) = source(g, iy, ix) {
                            cols[[(c * g.kh + ki) * g.kw + kj, oy * ow + ox]] = x[[c, iy, ix]];
                        }
                    }
                }
            }
        }
    }
    cols
}
