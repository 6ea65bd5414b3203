//! 2×2 pooling with stride 2, as VGG uses between its blocks: max or average.
//!
//! Odd sizes round down (the last row or column is dropped), as in PyTorch, ONNX and
//! Keras. (Caffe rounds up; VGG's sizes are even at every block for inputs divisible by
//! 32, where the two agree.)
//!
//! * Max: `y = max` of the window. Only the winner influenced `y`, so backward routes
//!   `dy` to it: `dx[winner] += dy`. The cache is the winner's position in its window
//!   (0..4, "switches"), two bits per output ([`Switches`], 32 to a `u64` word): for
//!   VGG16 to relu5_1, 7.5 bytes per input pixel where a byte per output took 30.
//! * Average: `y = ¼ Σ window`, so every input of the window gets `dy / 4`. No cache
//!   beyond the input's size.

pub use crate::layers::bits::Switches;
use crate::layers::bits::{codes, CodeWriter};
use crate::math::tensor::{Real, Tensor4};
use ndarray::{s, Array4, ArrayView4, ArrayViewMut4, Zip};
use rayon::prelude::*;

/// What max-pool's backward pass needs: the argmax of every window.
#[derive(Clone, Debug)]
pub struct MaxPoolCache {
    /// Position of the maximum in each 2×2 window: `2·dy + dx`, shape of the output,
    /// two bits each.
    pub switches: Switches,
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
    let mut sw = Switches::zeros((n, c, oh, ow));
    let per_plane = sw.words_per_plane();
    y.outer_iter_mut()
        .zip(x.outer_iter())
        .zip(sw.words_mut().chunks_mut((c * per_plane).max(1)))
        .for_each(|((mut yn, xn), wn)| {
            yn.outer_iter_mut()
                .into_par_iter()
                .zip(xn.outer_iter())
                .zip(wn.par_chunks_mut(per_plane))
                .for_each(|((mut yc, xc), wc)| {
                    let mut switches = CodeWriter::new(wc);
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
                            switches.push(arg);
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
    let sw = &cache.switches;
    assert_eq!(dy.dim(), sw.dim(), "gradient and switches shapes differ");
    let per_plane = sw.words_per_plane();
    let c = dy.dim().1;
    for ((dyn_, wn), mut dxn) in dy
        .outer_iter()
        .zip(sw.words().chunks((c * per_plane).max(1)))
        .zip(dx.outer_iter_mut())
    {
        dyn_.outer_iter()
            .into_par_iter()
            .zip(wn.par_chunks(per_plane))
            .zip(dxn.outer_iter_mut())
            .for_each(|((dyc, wc), mut dxc)| {
                // Row by row: output row i sends its gradients to input rows 2i and 2i+1.
                let w = dxc.ncols();
                let mut switches = codes(wc);
                for (i, gi) in dyc.outer_iter().enumerate() {
                    let (mut top, mut bottom) =
                        dxc.multi_slice_mut((s![2 * i, ..], s![2 * i + 1, ..]));
                    for (j, (&g, k)) in gi.iter().zip(switches.by_ref()).enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::rng::Rng;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The packed switches are the first maximum of each window, as a byte per
        /// output would hold them, and backward sends each gradient to that input
        /// (odd sizes, several items, ties from rounding to a few values).
        #[test]
        fn packed_switches_are_each_windows_first_maximum(
            n in 1usize..3, c in 1usize..5, h in 0usize..40, w in 0usize..40, seed: u64,
        ) {
            let mut rng = Rng::new(seed);
            let x: Array4<f64> = rng.uniform_array((n, c, h, w), 0.0, 4.0);
            let x = x.mapv(f64::floor);
            let (oh, ow) = pool_out(h, w);
            let want = Array4::from_shape_fn((n, c, oh, ow), |(ni, ci, i, j)| {
                let v = |k: usize| x[[ni, ci, 2 * i + k / 2, 2 * j + k % 2]];
                (1..4).fold(0u8, |arg, k| if v(k) > v(arg as usize) { k as u8 } else { arg })
            });
            let (y, cache) = maxpool2_forward(x.view(), true);
            let cache = cache.unwrap();
            prop_assert_eq!(cache.switches.to_array(), want.clone());
            let dy: Array4<f64> = rng.uniform_array((n, c, oh, ow), -1.0, 1.0);
            let mut expect = Array4::<f64>::zeros((n, c, h, w));
            for ((ni, ci, i, j), &k) in want.indexed_iter() {
                let (r, s) = (2 * i + k as usize / 2, 2 * j + k as usize % 2);
                prop_assert_eq!(y[[ni, ci, i, j]], x[[ni, ci, r, s]]);
                expect[[ni, ci, r, s]] += dy[[ni, ci, i, j]];
            }
            let mut dx = Array4::<f64>::zeros((n, c, h, w));
            maxpool2_backward(dy.view(), &cache, dx.view_mut());
            prop_assert_eq!(dx, expect);
        }
    }
}
