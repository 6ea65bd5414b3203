//! im2col and col2im: turning a convolution into one matrix product.
//!
//! A convolution with an O×C×KH×KW kernel slides a C×KH×KW window over the (padded)
//! input. If every window is unrolled into a column, the input becomes a matrix
//! `cols` of shape (C·KH·KW) × (OH·OW) and the convolution is the GEMM
//! `Y = W · cols`, with W reshaped to O × (C·KH·KW). Row `r = (c, ki, kj)` and column
//! `p = (oy, ox)` of `cols` hold input pixel
//!
//! ```text
//! iy = oy·stride + ki − pad,   ix = ox·stride + kj − pad
//! ```
//!
//! or, where that falls outside the image, 0 (zero padding) or the pixel at
//! `(iy mod H, ix mod W)` (circular padding, as Texture Networks use for tileable
//! output).
//!
//! `col2im` is the adjoint (transpose) of `im2col`: it adds every entry of a column
//! matrix back onto the input pixel it was copied from. Pixels covered by several
//! windows receive several contributions, which is exactly the sum the chain rule asks
//! for in the convolution's input gradient `dX = col2im(Wᵀ · dY)`. Under circular
//! padding the wrapped entries go back to the pixel they wrapped from; under zero
//! padding they are dropped (the padding is a constant).
//!
//! **Tiling.** The full `cols` matrix is KH·KW times larger than the input: for conv1_2 at
//! 512×512 it is 576 × 262 144 floats, 0.6 GB. Both functions therefore work on a range
//! of output pixels `p0 .. p0 + tile` at a time, so memory stays bounded whatever the
//! picture size (see [`pixel_tile`]).

use crate::math::tensor::Real;
use ndarray::{Array2, Array3, ArrayView2, ArrayView3, ArrayViewMut2, ArrayViewMut3};
use std::str::FromStr;

/// How a convolution treats pixels outside the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// Outside pixels are 0 (VGG).
    Zero,
    /// The image wraps around like a torus (Texture Networks' tileable output).
    Circular,
}

impl Padding {
    /// `zero` or `circular`: the name [`Padding::from_str`] reads (`--padding`, and a
    /// generator's `config.txt`).
    pub fn name(self) -> &'static str {
        match self {
            Padding::Zero => "zero",
            Padding::Circular => "circular",
        }
    }
}

impl FromStr for Padding {
    type Err = crate::Error;

    /// Parse `circular` or `zero`.
    fn from_str(s: &str) -> crate::Result<Padding> {
        match s {
            "circular" => Ok(Padding::Circular),
            "zero" => Ok(Padding::Zero),
            _ => crate::bail!("unknown padding '{s}' (expected circular or zero)"),
        }
    }
}

/// Everything about a convolution's sliding window except the weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeom {
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Step between windows (same in both directions).
    pub stride: usize,
    /// Pixels of padding on each side (same on all four sides).
    pub pad: usize,
    /// What the padding holds.
    pub padding: Padding,
}

// ANCHOR: out_size
impl ConvGeom {
    /// Output height: `⌊(H + 2·pad − KH) / stride⌋ + 1`.
    pub fn out_h(&self) -> usize {
        (self.h + 2 * self.pad - self.kh) / self.stride + 1
    }

    /// Output width: `⌊(W + 2·pad − KW) / stride⌋ + 1`.
    pub fn out_w(&self) -> usize {
        (self.w + 2 * self.pad - self.kw) / self.stride + 1
    }
    // ANCHOR_END: out_size

    /// Rows of the column matrix: `C·KH·KW`, one per weight of a filter.
    pub fn rows(&self) -> usize {
        self.c * self.kh * self.kw
    }

    /// Columns of the full column matrix: `OH·OW`, one per output pixel.
    pub fn cols(&self) -> usize {
        self.out_h() * self.out_w()
    }

    /// Is this geometry well formed? (Kernel fits the padded input; circular padding
    /// does not wrap more than once.) Returns a message naming the problem.
    pub fn validate(&self) -> Result<(), String> {
        if self.stride == 0 {
            return Err("stride must be at least 1".into());
        }
        if self.kh == 0 || self.kw == 0 {
            return Err("kernel must be at least 1×1".into());
        }
        if self.h + 2 * self.pad < self.kh || self.w + 2 * self.pad < self.kw {
            return Err(format!(
                "a {}×{} kernel does not fit a {}×{} input with padding {}",
                self.kh, self.kw, self.h, self.w, self.pad
            ));
        }
        if self.padding == Padding::Circular && (self.pad > self.h || self.pad > self.w) {
            return Err(format!(
                "circular padding {} is larger than the {}×{} input",
                self.pad, self.h, self.w
            ));
        }
        Ok(())
    }

    // ANCHOR: source
    /// Source coordinate along one axis for output position `o` and kernel offset `k`:
    /// `Some(i)` inside the image (or wrapped into it), `None` in zero padding.
    #[inline]
    fn source(&self, o: usize, k: usize, size: usize) -> Option<usize> {
        let i = (o * self.stride + k) as isize - self.pad as isize;
        if i >= 0 && (i as usize) < size {
            Some(i as usize)
        } else {
            match self.padding {
                Padding::Zero => None,
                Padding::Circular => Some(i.rem_euclid(size as isize) as usize),
            }
        }
    }
    // ANCHOR_END: source

    /// For the run of output positions `o0 .. o0 + run` and kernel offset `k`, the
    /// sub-run `lo .. hi` whose sources `(o0 + t)·stride + k − pad` all lie inside
    /// `0 .. size`: there [`Self::source`] is plain arithmetic, so the copy needs no
    /// per-pixel branch (and, at stride 1, is one slice copy). Outside it: padding.
    #[inline]
    fn interior(&self, o0: usize, k: usize, run: usize, size: usize) -> (usize, usize) {
        let s = self.stride as isize;
        let base = k as isize - self.pad as isize; // source of position o: o·s + base
        let o_min = if base >= 0 { 0 } else { (-base + s - 1) / s };
        let o_end = (size as isize - base + s - 1).div_euclid(s);
        let lo = (o_min - o0 as isize).clamp(0, run as isize);
        let hi = (o_end - o0 as isize).clamp(lo, run as isize);
        (lo as usize, hi as usize)
    }
}

// ANCHOR: pixel_tile
/// How many output pixels to unroll at a time.
///
/// Two pressures: the tile's column buffer (`rows × tile` values) should fit in one
/// core's L2 cache (256 K elements, 1 MB in f32), so that the GEMM reads back what
/// im2col just wrote without going to memory, and memory stays bounded for any picture;
/// and there should be at least ~4 tiles per thread so rayon can balance the work. Deep
/// layers (rows = 512·9) would get tiles too thin for an efficient GEMM, so a tile never
/// drops below 256 pixels for the memory budget (4.7 MB then). A multiple of 16 keeps
/// the GEMM's 8- or 16-wide micro-kernel panels full.
///
/// Measured (`nst bench`, 2 threads): 1 M elements → 256 K makes the Texture Networks
/// generator (rows = 40·9) 7 % faster and leaves VGG16 unchanged.
pub fn pixel_tile(rows: usize, pixels: usize) -> usize {
    const BUDGET: usize = 1 << 18;
    const MIN_BY_MEMORY: usize = 256;
    let threads = rayon::current_num_threads().max(1);
    let by_memory = (BUDGET / rows.max(1)).max(MIN_BY_MEMORY);
    let by_balance = pixels.div_ceil(4 * threads).max(16);
    let t = by_memory.min(by_balance).min(pixels.max(1));
    if t >= 16 {
        t / 16 * 16
    } else {
        t
    }
}
// ANCHOR_END: pixel_tile

// ANCHOR: im2col
/// Unroll output pixels `p0 .. p0 + cols.ncols()` of one item into `cols`.
///
/// * `x`: (C, H, W), one batch item.
/// * `cols`: (C·KH·KW, tile), overwritten; row `(c·KH + ki)·KW + kj`.
///
/// The tile is walked as runs of consecutive output pixels within one output row, so
/// the row index `iy` (and whether it falls in the padding) is worked out once per run,
/// not once per pixel.
pub fn im2col_tile<T: Real>(x: ArrayView3<T>, g: &ConvGeom, p0: usize, mut cols: ArrayViewMut2<T>) {
    debug_assert_eq!(x.dim(), (g.c, g.h, g.w));
    debug_assert_eq!(cols.nrows(), g.rows());
    let tile = cols.ncols();
    for c in 0..g.c {
        let plane = x.index_axis(ndarray::Axis(0), c);
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let mut row = cols.row_mut((c * g.kh + ki) * g.kw + kj);
                let out = row.as_slice_mut().expect("column buffers are row-major");
                for_each_run(g, p0, tile, |t, oy, ox0, run| {
                    let dst = &mut out[t..t + run];
                    match g.source(oy, ki, g.h) {
                        None => dst.fill(T::zero()),
                        Some(iy) => {
                            let src = plane.row(iy);
                            let src = src.as_slice().expect("input rows are contiguous");
                            let (lo, hi) = g.interior(ox0, kj, run, g.w);
                            // Interior: consecutive sources, `stride` apart.
                            if hi > lo {
                                let ix = (ox0 + lo) * g.stride + kj - g.pad;
                                if g.stride == 1 {
                                    // One memcpy: `step_by` hides the contiguity.
                                    dst[lo..hi].copy_from_slice(&src[ix..ix + hi - lo]);
                                } else {
                                    let from = src[ix..].iter().step_by(g.stride);
                                    for (d, &v) in dst[lo..hi].iter_mut().zip(from) {
                                        *d = v;
                                    }
                                }
                            }
                            // Edges: zero or wrapped-around padding.
                            for k in (0..lo).chain(hi..run) {
                                dst[k] = match g.source(ox0 + k, kj, g.w) {
                                    Some(ix) => src[ix],
                                    None => T::zero(),
                                };
                            }
                        }
                    }
                });
            }
        }
    }
}
// ANCHOR_END: im2col

/// Call `f(t, oy, ox0, run)` for each run of `run` consecutive output pixels in one
/// output row, covering pixels `p0 .. p0 + tile` (`t` is the run's offset in the tile).
#[inline]
fn for_each_run(
    g: &ConvGeom,
    p0: usize,
    tile: usize,
    mut f: impl FnMut(usize, usize, usize, usize),
) {
    let ow = g.out_w();
    let mut t = 0;
    while t < tile {
        let p = p0 + t;
        let (oy, ox0) = (p / ow, p % ow);
        let run = (ow - ox0).min(tile - t);
        f(t, oy, ox0, run);
        t += run;
    }
}

// ANCHOR: col2im
/// The adjoint of [`im2col_tile`]: add each entry of `cols` onto the input pixel it
/// was copied from. Entries that came from zero padding are dropped.
///
/// * `cols`: (C'·KH·KW, tile) for output pixels `p0 ..`, where C' = `dx`'s channels
///   (callers may pass a slice of channels together with the matching rows).
/// * `dx`: (C', H, W), accumulated into.
pub fn col2im_tile_add<T: Real>(
    cols: ArrayView2<T>,
    g: &ConvGeom,
    p0: usize,
    mut dx: ArrayViewMut3<T>,
) {
    let channels = dx.dim().0;
    debug_assert_eq!(cols.nrows(), channels * g.kh * g.kw);
    debug_assert_eq!((dx.dim().1, dx.dim().2), (g.h, g.w));
    let tile = cols.ncols();
    for c in 0..channels {
        let mut plane = dx.index_axis_mut(ndarray::Axis(0), c);
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                let row = cols.row((c * g.kh + ki) * g.kw + kj);
                let row = row.as_slice().expect("column rows are contiguous");
                for_each_run(g, p0, tile, |t, oy, ox0, run| {
                    if let Some(iy) = g.source(oy, ki, g.h) {
                        let mut dst = plane.row_mut(iy);
                        let dst = dst.as_slice_mut().expect("gradient rows are contiguous");
                        let src = &row[t..t + run];
                        let (lo, hi) = g.interior(ox0, kj, run, g.w);
                        if hi > lo {
                            let ix = (ox0 + lo) * g.stride + kj - g.pad;
                            if g.stride == 1 {
                                // Two equal slices: the compiler vectorises the sum.
                                let to = &mut dst[ix..ix + hi - lo];
                                for (d, &v) in to.iter_mut().zip(&src[lo..hi]) {
                                    *d += v;
                                }
                            } else {
                                let to = dst[ix..].iter_mut().step_by(g.stride);
                                for (d, &v) in to.zip(&src[lo..hi]) {
                                    *d += v;
                                }
                            }
                        }
                        for k in (0..lo).chain(hi..run) {
                            if let Some(ix) = g.source(ox0 + k, kj, g.w) {
                                dst[ix] += src[k];
                            }
                        }
                    }
                });
            }
        }
    }
}
// ANCHOR_END: col2im

/// The whole column matrix at once, straight from the index formula: the reference
/// the tiled version is tested against.
pub fn im2col_naive<T: Real>(x: ArrayView3<T>, g: &ConvGeom) -> Array2<T> {
    let (oh, ow) = (g.out_h(), g.out_w());
    let mut cols = Array2::zeros((g.rows(), oh * ow));
    for c in 0..g.c {
        for ki in 0..g.kh {
            for kj in 0..g.kw {
                for oy in 0..oh {
                    for ox in 0..ow {
                        let iy = (oy * g.stride + ki) as isize - g.pad as isize;
                        let ix = (ox * g.stride + kj) as isize - g.pad as isize;
                        let (h, w) = (g.h as isize, g.w as isize);
                        let v = match g.padding {
                            Padding::Zero if iy < 0 || ix < 0 || iy >= h || ix >= w => T::zero(),
                            _ => x[[c, iy.rem_euclid(h) as usize, ix.rem_euclid(w) as usize]],
                        };
                        cols[[(c * g.kh + ki) * g.kw + kj, oy * ow + ox]] = v;
                    }
                }
            }
        }
    }
    cols
}

// ANCHOR: col2im_naive
/// The adjoint of [`im2col_naive`], straight from the index formula: every entry
/// `cols[(c, ki, kj), (oy, ox)]` is **added** onto the pixel it was copied from,
/// `(iy, ix) = (oy·stride + ki − pad, ox·stride + kj − pad)`, wrapped under circular
/// padding and dropped where it fell on zero padding. The reference [`col2im_tile_add`]
/// is tested against.
pub fn col2im_naive<T: Real>(cols: ArrayView2<T>, g: &ConvGeom) -> Array3<T> {
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
                            continue; // the padding is a constant: no gradient
                        }
                        let (iy, ix) = (iy.rem_euclid(h) as usize, ix.rem_euclid(w) as usize);
                        dx[[c, iy, ix]] += cols[[(c * g.kh + ki) * g.kw + kj, oy * ow + ox]];
                    }
                }
            }
        }
    }
    dx
}
// ANCHOR_END: col2im_naive

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{adjoint_error, dot};
    use crate::math::rng::Rng;
    use ndarray::{s, Array3};
    use proptest::prelude::*;

    #[test]
    fn padding_names_round_trip() {
        for p in [Padding::Zero, Padding::Circular] {
            assert_eq!(p.name().parse::<Padding>(), Ok(p));
        }
        let e = "reflect".parse::<Padding>().unwrap_err();
        assert!(
            e.0.contains("'reflect'") && e.0.contains("circular or zero"),
            "{e}"
        );
    }

    fn geom_strategy() -> impl Strategy<Value = ConvGeom> {
        (
            1usize..4,
            1usize..9,
            1usize..9,
            1usize..4,
            1usize..4,
            1usize..3,
            0usize..3,
            any::<bool>(),
        )
            .prop_map(|(c, h, w, kh, kw, stride, pad, circ)| ConvGeom {
                c,
                h,
                w,
                kh,
                kw,
                stride,
                pad,
                padding: if circ {
                    Padding::Circular
                } else {
                    Padding::Zero
                },
            })
            .prop_filter("valid geometry", |g| g.validate().is_ok())
    }

    fn tiled_im2col(x: &Array3<f64>, g: &ConvGeom, tile: usize) -> Array2<f64> {
        let mut cols = Array2::zeros((g.rows(), g.cols()));
        let mut p0 = 0;
        while p0 < g.cols() {
            let p1 = (p0 + tile).min(g.cols());
            im2col_tile(x.view(), g, p0, cols.slice_mut(s![.., p0..p1]));
            p0 = p1;
        }
        cols
    }

    proptest! {
        /// Tiled im2col equals the index formula, for any tile size.
        #[test]
        fn tiled_matches_naive(g in geom_strategy(), tile in 1usize..20, seed: u64) {
            let x: Array3<f64> = Rng::new(seed).uniform_array((g.c, g.h, g.w), -1.0, 1.0);
            prop_assert_eq!(tiled_im2col(&x, &g, tile), im2col_naive(x.view(), &g));
        }

        /// ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩: col2im is im2col's transpose.
        #[test]
        fn col2im_is_the_adjoint(g in geom_strategy(), tile in 1usize..20, seed: u64) {
            let mut rng = Rng::new(seed);
            let x: Array3<f64> = rng.uniform_array((g.c, g.h, g.w), -1.0, 1.0);
            let y: Array2<f64> = rng.uniform_array((g.rows(), g.cols()), -1.0, 1.0);
            let ax = tiled_im2col(&x, &g, tile);
            let mut aty = Array3::zeros((g.c, g.h, g.w));
            let mut p0 = 0;
            while p0 < g.cols() {
                let p1 = (p0 + tile).min(g.cols());
                col2im_tile_add(y.slice(s![.., p0..p1]), &g, p0, aty.view_mut());
                p0 = p1;
            }
            // Sums of ≤ 10⁴ products of O(1) numbers in f64: round-off ~1e-16 per term, so
            // measured against the sum of the terms' sizes (the two sides can nearly cancel
            // to 0, which would blow up an error relative to the result itself).
            let (lhs, rhs) = (dot(&ax.view(), &y.view()), dot(&x.view(), &aty.view()));
            let terms = dot(&ax.mapv(f64::abs).view(), &y.mapv(f64::abs).view());
            let err = adjoint_error(lhs, rhs) * lhs.abs().max(rhs.abs()) / terms.max(1e-300);
            prop_assert!(err < 1e-13, "adjoint error {err}");
        }

        /// The index-formula col2im adds up exactly what the tiled scatter-add does
        /// (the same additions, so equal to round-off in the order of summation).
        #[test]
        fn tiled_col2im_matches_naive(g in geom_strategy(), tile in 1usize..20, seed: u64) {
            let y: Array2<f64> = Rng::new(seed).uniform_array((g.rows(), g.cols()), -1.0, 1.0);
            let mut tiled = Array3::zeros((g.c, g.h, g.w));
            let mut p0 = 0;
            while p0 < g.cols() {
                let p1 = (p0 + tile).min(g.cols());
                col2im_tile_add(y.slice(s![.., p0..p1]), &g, p0, tiled.view_mut());
                p0 = p1;
            }
            let naive = col2im_naive(y.view(), &g);
            let diff = crate::math::tensor::max_abs_diff(&tiled.view(), &naive.view());
            prop_assert!(diff < 1e-12, "max difference {diff}");
        }
    }

    #[test]
    fn output_size_formula() {
        let g = ConvGeom {
            c: 3,
            h: 300,
            w: 300,
            kh: 3,
            kw: 3,
            stride: 1,
            pad: 1,
            padding: Padding::Zero,
        };
        assert_eq!((g.out_h(), g.out_w()), (300, 300));
        let g = ConvGeom {
            stride: 2,
            pad: 0,
            ..g
        };
        assert_eq!((g.out_h(), g.out_w()), (149, 149));
    }

    #[test]
    fn circular_padding_wraps() {
        // A 1×1×3 row [a b c] with a 1×3 kernel and circular pad 1: the first window
        // sees [c a b].
        let x = Array3::from_shape_vec((1, 1, 3), vec![1.0, 2.0, 3.0]).unwrap();
        let g = ConvGeom {
            c: 1,
            h: 1,
            w: 3,
            kh: 1,
            kw: 3,
            stride: 1,
            pad: 1,
            padding: Padding::Circular,
        };
        let cols = im2col_naive(x.view(), &g);
        assert_eq!(cols.column(0).to_vec(), vec![3.0, 1.0, 2.0]);
        assert_eq!(cols.column(2).to_vec(), vec![2.0, 3.0, 1.0]);
    }

    #[test]
    fn tiles_are_bounded_and_balanced() {
        assert!(pixel_tile(576, 512 * 512) * 576 <= 1 << 22);
        assert!(pixel_tile(4608, 32 * 32) >= 16);
        assert_eq!(pixel_tile(27, 5), 5);
    }
}
