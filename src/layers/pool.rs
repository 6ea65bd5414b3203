//! 2×2 pooling with stride 2, as VGG uses between its blocks: max or average.
//!
//! Odd sizes round down (the last row or column is dropped), as in PyTorch, ONNX and
//! Keras. (Caffe rounds up; VGG's sizes are even at every block for inputs divisible by
//! 32, where the two agree.)
//!
//! * Max: `y = max` of the window. Only the winner influenced `y`, so backward routes
//!   `dy` to it: `dx[winner] += dy`. The cache is the winner's position in its window
//!   (0..4, one byte per output, "switches").
//! * Average: `y = ¼ Σ window`, so every input of the window gets `dy / 4`. No cache
//!   beyond the input's size.

use crate::math::tensor::{Real, Tensor4};
use ndarray::{s, Array4, ArrayView4, ArrayViewMut4, Zip};

/// What max-pool's backward pass needs: the argmax of every window.
#[derive(Clone, Debug)]
pub struct MaxPoolCache {
    /// Position of the maximum in each 2×2 window: `2·dy + dx`, shape of the output.
    pub switches: Array4<u8>,
}

/// Output size of 2×2 stride-2 pooling.
pub fn pool_out(h: usize, w: usize) -> (usize, usize) {
    (h / 2, w / 2)
}

// ANCHOR: maxpool
/// Max over each 2×2 window.
///
/// * `x`: (N, C, H, W); returns (N, C, ⌊H/2⌋, ⌊W/2⌋) and, if `cache`, the switches.
///
/// Parallel over (item, channel) planes: they are independent and there are enough of
/// them (64 … 512 channels) to keep every core busy.
pub fn maxpool2_forward<T: Real>(
    x: ArrayView4<T>,
    cache: bool,
) -> (Tensor4<T>, Option<MaxPoolCache>) {
    let (n, c, h, w) = x.dim();
    let (oh, ow) = pool_out(h, w);
    let mut y = Array4::zeros((n, c, oh, ow));
    let mut sw = Array4::<u8>::zeros((n, c, oh, ow));
    y.outer_iter_mut()
        .zip(sw.outer_iter_mut())
        .zip(x.outer_iter())
        .for_each(|((mut yn, mut sn), xn)| {
            Zip::from(yn.outer_iter_mut())
                .and(sn.outer_iter_mut())
                .and(xn.outer_iter())
                .par_for_each(|mut yc, mut sc, xc| {
                    for i in 0..oh {
                        for j in 0..ow {
                            let (mut best, mut arg) = (xc[[2 * i, 2 * j]], 0u8);
                            for k in 1..4u8 {
                                let v = xc[[2 * i + (k / 2) as usize, 2 * j + (k % 2) as usize]];
                                if v > best {
                                    (best, arg) = (v, k);
                                }
                            }
                            yc[[i, j]] = best;
                            sc[[i, j]] = arg;
                        }
                    }
                });
        });
    (y, cache.then_some(MaxPoolCache { switches: sw }))
}

/// `dx[winner of each window] += dy`.
///
/// * `dy`: (N, C, OH, OW); `dx`: (N, C, H, W)
pub fn maxpool2_backward<T: Real>(
    dy: ArrayView4<T>,
    cache: &MaxPoolCache,
    mut dx: ArrayViewMut4<T>,
) {
    for ((dyn_, sn), mut dxn) in dy
        .outer_iter()
        .zip(cache.switches.outer_iter())
        .zip(dx.outer_iter_mut())
    {
        Zip::from(dyn_.outer_iter())
            .and(sn.outer_iter())
            .and(dxn.outer_iter_mut())
            .par_for_each(|dyc, sc, mut dxc| {
                // Row by row: output row i sends its gradients to input rows 2i and 2i+1.
                let w = dxc.ncols();
                for (i, (gi, si)) in dyc.outer_iter().zip(sc.outer_iter()).enumerate() {
                    let (mut top, mut bottom) =
                        dxc.multi_slice_mut((s![2 * i, ..], s![2 * i + 1, ..]));
                    for (j, (&g, &k)) in gi.iter().zip(si.iter()).enumerate() {
                        let x = 2 * j + (k % 2) as usize;
                        debug_assert!(x < w);
                        if k < 2 {
                            top[x] += g;
                        } else {
                            bottom[x] += g;
                        }
                    }
                }
            });
    }
}
// ANCHOR_END: maxpool

// ANCHOR: avgpool
/// Mean over each 2×2 window. `x`: (N, C, H, W); returns (N, C, ⌊H/2⌋, ⌊W/2⌋).
pub fn avgpool2_forward<T: Real>(x: ArrayView4<T>) -> Tensor4<T> {
    let (n, c, h, w) = x.dim();
    let (oh, ow) = pool_out(h, w);
    let quarter = T::of(0.25);
    let mut y = Array4::zeros((n, c, oh, ow));
    Zip::indexed(&mut y).par_for_each(|(ni, ci, i, j), v| {
        let s = x[[ni, ci, 2 * i, 2 * j]]
            + x[[ni, ci, 2 * i, 2 * j + 1]]
            + x[[ni, ci, 2 * i + 1, 2 * j]]
            + x[[ni, ci, 2 * i + 1, 2 * j + 1]];
        *v = quarter * s;
    });
    y
}

/// `dx[window] += dy / 4`. `dy`: (N, C, OH, OW); `dx`: (N, C, H, W).
pub fn avgpool2_backward<T: Real>(dy: ArrayView4<T>, mut dx: ArrayViewMut4<T>) {
    let quarter = T::of(0.25);
    for ((ni, ci, i, j), &g) in dy.indexed_iter() {
        for k in 0..4 {
            dx[[ni, ci, 2 * i + k / 2, 2 * j + k % 2]] += quarter * g;
        }
    }
}
// ANCHOR_END: avgpool
