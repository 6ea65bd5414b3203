//! Solution to exercise 10 (total-variation gradient). Try the exercise before reading
//! this.

use ndarray::{Array3, ArrayView3};

pub fn tv_grad(x: ArrayView3<f64>) -> Array3<f64> {
    let (c, h, w) = x.dim();
    let mut g = Array3::zeros((c, h, w));
    for ch in 0..c {
        for i in 0..h {
            for j in 0..w {
                // Each difference d = x[b] − x[a] adds d²: +2d at b, −2d at a.
                if i + 1 < h {
                    let d = x[[ch, i + 1, j]] - x[[ch, i, j]];
                    g[[ch, i + 1, j]] += 2.0 * d;
                    g[[ch, i, j]] -= 2.0 * d;
                }
                if j + 1 < w {
                    let d = x[[ch, i, j + 1]] - x[[ch, i, j]];
                    g[[ch, i, j + 1]] += 2.0 * d;
                    g[[ch, i, j]] -= 2.0 * d;
                }
            }
        }
    }
    g
}
