//! Nearest-neighbour upsampling by 2: every pixel becomes a 2×2 block of copies.
//!
//! ```text
//! y[n, c, 2i + a, 2j + b] = x[n, c, i, j]      for a, b ∈ {0, 1}
//! ```
//!
//! Texture Networks join a coarse branch to the next finer one this way (the seed: the
//! authors tried learned "full convolutions" and found them worse).
//!
//! **Backward.** Each input pixel was copied to four outputs, so it receives the sum of
//! their gradients: `dx[i, j] = Σ_{a,b} dy[2i + a, 2j + b]`. Upsampling and 2×2 *sum*
//! pooling are each other's transposes (an adjoint test in `nst::gradcheck::layers` proves it). No
//! cache: the input's shape is the output's halved.

use crate::math::tensor::{Real, Tensor4};
use ndarray::{s, Array4, ArrayView2, ArrayView4, ArrayViewMut2, ArrayViewMut4, Zip};

// ANCHOR: upsample
/// Nearest-neighbour ×2 upsampling.
///
/// * `x`: (N, C, H, W); returns (N, C, 2H, 2W)
///
/// Parallel over (item, channel) planes.
pub fn upsample2_forward<T: Real>(x: ArrayView4<T>) -> Tensor4<T> {
    let (n, c, h, w) = x.dim();
    let mut y = Array4::zeros((n, c, 2 * h, 2 * w));
    for (mut yn, xn) in y.outer_iter_mut().zip(x.outer_iter()) {
        Zip::from(yn.outer_iter_mut())
            .and(xn.outer_iter())
            .par_for_each(|yc, xc| upsample2_plane(xc, yc, |v| v));
    }
    y
}

/// One plane: `y[2i + a, 2j + b] = f(x[i, j])`. (`f` lets the generator's inference
/// pass apply its join's batch norm while it upsamples.)
///
/// * `x`: (H, W), `y`: (2H, 2W)
pub fn upsample2_plane<T: Real>(x: ArrayView2<T>, mut y: ArrayViewMut2<T>, f: impl Fn(T) -> T) {
    // Row 2i doubles every value of input row i; row 2i + 1 copies row 2i.
    for (i, xrow) in x.outer_iter().enumerate() {
        let (mut even, mut odd) = y.multi_slice_mut((s![2 * i, ..], s![2 * i + 1, ..]));
        for (pair, &v) in even.exact_chunks_mut(2).into_iter().zip(&xrow) {
            pair.into_slice().expect("rows are contiguous").fill(f(v));
        }
        odd.assign(&even);
    }
}

/// `dx[i, j] += Σ` of `dy` over the 2×2 block `(2i.., 2j..)`.
///
/// * `dy`: (N, C, 2H, 2W)
/// * `dx`: (N, C, H, W)
pub fn upsample2_backward<T: Real>(dy: ArrayView4<T>, mut dx: ArrayViewMut4<T>) {
    let (n, c, h, w) = dx.dim();
    assert_eq!(
        dy.dim(),
        (n, c, 2 * h, 2 * w),
        "upsample2_backward: dy must be twice dx's size"
    );
    for (mut dxn, dyn_) in dx.outer_iter_mut().zip(dy.outer_iter()) {
        Zip::from(dxn.outer_iter_mut())
            .and(dyn_.outer_iter())
            .par_for_each(|mut dxc, dyc| {
                for ((i, j), d) in dxc.indexed_iter_mut() {
                    *d += dyc[[2 * i, 2 * j]]
                        + dyc[[2 * i, 2 * j + 1]]
                        + dyc[[2 * i + 1, 2 * j]]
                        + dyc[[2 * i + 1, 2 * j + 1]];
                }
            });
    }
}
// ANCHOR_END: upsample
