//! Solution to exercise 4 (col2im). Try the exercise before reading this.

use ndarray::{Array3, ArrayView2};
use nst::math::im2col::{ConvGeom, Padding};

pub fn col2im(cols: ArrayView2<f64>, g: &ConvGeom) -> Array3<f64> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let (h, w) = (g.h as isize, g.w as isize);
    let mut dx = Array3::zeros((g.c, g.h, g.w));
    for c in 0..g.c {
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let iy = (oy * g.stride + ki) as isize - g.pad as isize;
                        let ix = (ox * g.stride + kj) as isize - g.pad as isize;
                        let outside = iy < 0 || ix < 0 || iy >= h || ix >= w;
                        if outside && g.padding == Padding::Zero {
                            continue;
                        }
                        let (iy, ix) = (iy.rem_euclid(h) as usize, ix.rem_euclid(w) as usize);
                        // Add: a pixel in several windows collects from each of them.
                        dx[[c, iy, ix]] += cols[[(c * g.kh + ki) * g.kw + kj, oy * ow + ox]];
                    }
                }
            }
        }
    }
    dx
}
