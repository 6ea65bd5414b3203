//! Solution to exercise 3 (max-pool backward). Try the exercise before reading this.

use ndarray::{Array4, ArrayView4};

pub fn maxpool2_backward(x: ArrayView4<f64>, dy: ArrayView4<f64>) -> Array4<f64> {
    let mut dx = Array4::zeros(x.raw_dim());
    for ((n, c, i, j), &g) in dy.indexed_iter() {
        // The window's winner (the first maximum, row by row).
        let mut best = (2 * i, 2 * j);
        for (a, b) in [
            (2 * i, 2 * j + 1),
            (2 * i + 1, 2 * j),
            (2 * i + 1, 2 * j + 1),
        ] {
            if x[[n, c, a, b]] > x[[n, c, best.0, best.1]] {
                best = (a, b);
            }
        }
        dx[[n, c, best.0, best.1]] += g;
    }
    dx
}
