//! 3×3 convolutions by Winograd's minimal filtering (Lavin & Gray, "Fast Algorithms for
//! Convolutional Neural Networks", CVPR 2016): the same `Y = W ⊛ X + b` as
//! [`crate::layers::conv2d_forward`] for 3×3 kernels, stride 1, padding 1, with fewer
//! multiplications.
//!
//! **One dimension.** Two outputs of a 3-tap correlation, `y₀ = d₀g₀ + d₁g₁ + d₂g₂` and
//! `y₁ = d₁g₀ + d₂g₁ + d₃g₂`, take six multiplications directly. F(2, 3) takes four:
//!
//! ```text
//! m₀ = (d₀ − d₂)·g₀            m₁ = (d₁ + d₂)·(g₀ + g₁ + g₂)/2
//! m₃ = (d₁ − d₃)·g₂            m₂ = (d₂ − d₁)·(g₀ − g₁ + g₂)/2
//! y₀ = m₀ + m₁ + m₂            y₁ = m₁ − m₂ − m₃
//! ```
//!
//! In matrices, `y = Aᵀ[(G g) ⊙ (Bᵀ d)]`: `Bᵀ` (α×α) transforms an input tile of
//! α = m + 2 values, `G` (α×3) the kernel, `Aᵀ` (m×α) takes the α products back to m
//! outputs. F(4, 3) does the same with α = 6 and the interpolation points 0, ±3/4, ±3/2
//! and ∞ (not Lavin & Gray's 0, ±1, ±2: see **Round-off** below).
//!
//! **Two dimensions** nest the 1-D algorithm: an m×m output tile is
//!
//! ```text
//! Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
//! ```
//!
//! with `d` the α×α input patch (tiles overlap by 2). Summed over input channels, the
//! element-wise product becomes, for each of the α² positions ξ, a matrix product over
//! channels: `M_ξ = U_ξ · V_ξ` with `U_ξ = (G g Gᵀ)_ξ` (O × C, computed once per weight
//! set: [`WinogradKernel`]) and `V_ξ = (Bᵀ d B)_ξ` (C × tiles). So a layer is an input
//! transform, α² GEMMs, and an output transform. Per output pixel and channel pair, the
//! GEMMs do α²/m² multiplications instead of 9: 4 for F(2, 3) (2.25× fewer), 2.25 for
//! F(4, 3) (4× fewer).
//!
//! **The input gradient** is the adjoint of that linear map, read right to left:
//!
//! ```text
//! dM_tile = A · dY_tile · Aᵀ      (the output transform's transpose)
//! dV_ξ    = U_ξᵀ · dM_ξ           (the GEMM's transpose: the same U, transposed view)
//! dX     += B · dV_tile · Bᵀ      (the input transform's transpose, added back onto
//!                                   the overlapping α×α patches)
//! ```
//!
//! It needs no second kernel transform: `U_ξᵀ` is `U_ξ` read with its strides swapped.
//! (The same map is a correlation of dY with the kernel rotated by 180° and its channel
//! axes swapped; for F(2, 3), whose points are symmetric, that rotated kernel's
//! transform is `U` with rows and columns permuted, but F(4, 3)'s points 0, ±3/4, ±3/2, ∞
//! are not closed under t ↦ 1/t, so the literal transpose is the general route.)
//!
//! **Round-off** grows with the tile: F(4, 3)'s transforms have larger entries, so its
//! products carry larger, partly cancelling terms. How large depends on the five finite
//! points. Lavin & Gray's 0, ±1, ±2 put 8 into `Aᵀ` and 1/24 into `G`; the points
//! 0, ±3/4, ±3/2, the most accurate symmetric set of multiples of 1/8 by
//! `scripts/reference/winograd_points.py`, keep the entries of `Bᵀ` and `Aᵀ` at most
//! 27/8, and cut the f32 error about 3.5× at the same operation count. Those entries are
//! dyadic fractions (27/64, 45/16, …), so exact in f32. In f32 F(2, 3) stays within a
//! few 1e-7 of the f64 direct convolution and F(4, 3) within 1–2.5e-6 (relative to the
//! output's largest value; `tests/winograd.rs` measures both).
//!
//! **Tiles beyond the picture.** When a side is not a multiple of m, the last tiles are
//! computed whole and their outside outputs dropped; their inputs past the padding read
//! as padding. The backward pass gives those outputs a zero gradient, which is exactly
//! the adjoint of dropping them.
//!
//! The fast path works on groups of [`LANES`] horizontally adjacent tiles at once, with
//! every transform written as plain arithmetic on `[T; LANES]` arrays, which the compiler
//! turns into SIMD without any target-specific code. [`winograd_naive`] is the same
//! algorithm one tile at a time with the matrices written out, for reading and testing.

use crate::math::gemm::gemm_in_place;
use crate::math::im2col::Padding;
use crate::math::scratch::scratch;
use crate::math::simd::wide;
use crate::math::tensor::{unwritten, write_slice, Real, Tensor4};
use ndarray::{s, Array2, Array3, Array4, ArrayView1, ArrayView3, ArrayView4, ArrayViewMut3, Axis};
use rayon::prelude::*;
use std::mem::MaybeUninit;
use std::str::FromStr;

/// A small matrix as a list of rows.
pub type Rows = Vec<Vec<f64>>;

/// Which Winograd algorithm: the output tile is m×m.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WinogradTile {
    /// F(2×2, 3×3): 4×4 input tiles, 16 products per 4 outputs.
    F2,
    /// F(4×4, 3×3): 6×6 input tiles, 36 products per 16 outputs.
    F4,
}

impl WinogradTile {
    /// Output tile side m.
    pub fn m(self) -> usize {
        match self {
            WinogradTile::F2 => 2,
            WinogradTile::F4 => 4,
        }
    }

    /// Input tile side α = m + 2.
    pub fn alpha(self) -> usize {
        self.m() + 2
    }

    /// `"F(2,3)"` or `"F(4,3)"`.
    pub fn name(self) -> &'static str {
        match self {
            WinogradTile::F2 => "F(2,3)",
            WinogradTile::F4 => "F(4,3)",
        }
    }

    /// The three matrices `(Bᵀ, G, Aᵀ)`, row-major: α×α, α×3 and m×α.
    pub fn matrices(self) -> (Rows, Rows, Rows) {
        let rows = |r: &[&[f64]]| r.iter().map(|row| row.to_vec()).collect::<Vec<_>>();
        match self {
            // ANCHOR: f23_matrices
            WinogradTile::F2 => (
                rows(&[
                    &[1.0, 0.0, -1.0, 0.0],
                    &[0.0, 1.0, 1.0, 0.0],
                    &[0.0, -1.0, 1.0, 0.0],
                    &[0.0, 1.0, 0.0, -1.0],
                ]),
                rows(&[
                    &[1.0, 0.0, 0.0],
                    &[0.5, 0.5, 0.5],
                    &[0.5, -0.5, 0.5],
                    &[0.0, 0.0, 1.0],
                ]),
                rows(&[&[1.0, 1.0, 1.0, 0.0], &[0.0, 1.0, -1.0, -1.0]]),
            ),
            // ANCHOR_END: f23_matrices
            // ANCHOR: f43_matrices
            // The points 0, ±3/4, ±3/2 and ∞ (see the module documentation).
            WinogradTile::F4 => (
                rows(&[
                    &[81.0 / 64.0, 0.0, -45.0 / 16.0, 0.0, 1.0, 0.0],
                    &[0.0, -27.0 / 16.0, -9.0 / 4.0, 3.0 / 4.0, 1.0, 0.0],
                    &[0.0, 27.0 / 16.0, -9.0 / 4.0, -3.0 / 4.0, 1.0, 0.0],
                    &[0.0, -27.0 / 32.0, -9.0 / 16.0, 3.0 / 2.0, 1.0, 0.0],
                    &[0.0, 27.0 / 32.0, -9.0 / 16.0, -3.0 / 2.0, 1.0, 0.0],
                    &[0.0, 81.0 / 64.0, 0.0, -45.0 / 16.0, 0.0, 1.0],
                ]),
                rows(&[
                    &[64.0 / 81.0, 0.0, 0.0],
                    &[-128.0 / 243.0, -32.0 / 81.0, -8.0 / 27.0],
                    &[-128.0 / 243.0, 32.0 / 81.0, -8.0 / 27.0],
                    &[32.0 / 243.0, 16.0 / 81.0, 8.0 / 27.0],
                    &[32.0 / 243.0, -16.0 / 81.0, 8.0 / 27.0],
                    &[0.0, 0.0, 1.0],
                ]),
                rows(&[
                    &[1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
                    &[0.0, 3.0 / 4.0, -3.0 / 4.0, 3.0 / 2.0, -3.0 / 2.0, 0.0],
                    &[0.0, 9.0 / 16.0, 9.0 / 16.0, 9.0 / 4.0, 9.0 / 4.0, 0.0],
                    &[0.0, 27.0 / 64.0, -27.0 / 64.0, 27.0 / 8.0, -27.0 / 8.0, 1.0],
                ]),
            ),
            // ANCHOR_END: f43_matrices
        }
    }
}

/// Can a convolution with this kernel size, stride and padding run by Winograd? (3×3,
/// stride 1, padding 1, zero or circular.) `Err` says why not, in one line.
pub fn winograd_applies(kh: usize, kw: usize, stride: usize, pad: usize) -> Result<(), String> {
    if (kh, kw) != (3, 3) {
        return Err(format!("Winograd needs a 3×3 kernel, not {kh}×{kw}"));
    }
    if stride != 1 {
        return Err(format!("Winograd needs stride 1, not {stride}"));
    }
    if pad != 1 {
        return Err(format!("Winograd needs padding 1, not {pad}"));
    }
    Ok(())
}

/// Channel pairs (O·C) up to which a layer is narrow: its F(4,3) kernel transform is at
/// most 2.4 MB, cheap to read again for every segment of a tile row (`by_rows`) and to
/// keep a second time, transposed ([`WinogradKernel::ut`]). VGG16's narrow layers are
/// conv1_1 to conv2_2.
pub const NARROW_PAIRS: usize = 128 * 128;

/// Is a layer of `o`·`c` channel pairs narrow (see [`NARROW_PAIRS`])?
fn is_narrow(o: usize, c: usize) -> bool {
    o * c <= NARROW_PAIRS
}

/// The transformed kernel `U_ξ = (G g Gᵀ)_ξ` of one layer, for every (o, c):
/// (α², O, C), computed once per weight set.
#[derive(Clone, Debug)]
pub struct WinogradKernel<T> {
    /// F(2,3) or F(4,3).
    pub tile: WinogradTile,
    /// (α², O, C).
    pub u: Array3<T>,
    /// `U_ξᵀ` as (α², C, O), for narrow layers (at most [`NARROW_PAIRS`] channel pairs):
    /// the input gradient's products `U_ξᵀ · dM_ξ` then read their left factor along
    /// its rows, as [`gemm_in_place`]'s kernel needs, instead of reading `U_ξ` across
    /// (through [`crate::math::gemm::gemm`]'s packing). On these layers' 32-tile products
    /// that takes 0.65–0.93 of matrixmultiply's time, and their whole input gradient
    /// 0.81–0.90; the copies are 4 MB for VGG16. `None` elsewhere, and setting it to `None`
    /// gives the same gradient the other way.
    pub ut: Option<Array3<T>>,
}

impl<T: Real> WinogradKernel<T> {
    // ANCHOR: kernel_transform
    /// `U = G g Gᵀ` for every filter slice `g = W[o, c]` (3×3), in f64, rounded once.
    ///
    /// * `w`: (O, C, 3, 3)
    ///
    /// The α² planes `U_ξ` (O × C each) are filled in parallel, α at a time: for ξ = (r, q),
    /// `U_ξ[o, c] = Σ_k (G g)[r, k]·G[q, k]`, with row r of `G g` computed once for its α
    /// planes.
    pub fn new(w: ArrayView4<T>, tile: WinogradTile) -> Self {
        let (o, c, kh, kw) = w.dim();
        assert_eq!(
            (kh, kw),
            (3, 3),
            "Winograd kernel transform needs 3×3 filters"
        );
        let a = tile.alpha();
        let (_, g, _) = tile.matrices();
        let w = w.as_standard_layout();
        let w = w.as_slice().expect("standard layout");
        let mut u = Array3::<T>::zeros((a * a, o, c));
        u.axis_chunks_iter_mut(Axis(0), a)
            .into_par_iter()
            .zip(g.par_iter())
            .for_each(|(mut planes, grow)| {
                let mut planes: Vec<&mut [T]> = planes
                    .outer_iter_mut()
                    .map(|p| p.into_slice().expect("fresh array"))
                    .collect();
                for (at, slice) in w.chunks_exact(9).enumerate() {
                    // row r of G·g (3 values), then its product with each row q of G
                    let gg: [f64; 3] = std::array::from_fn(|j| {
                        (0..3).map(|k| grow[k] * slice[3 * k + j].f64()).sum()
                    });
                    for (plane, gq) in planes.iter_mut().zip(&g) {
                        plane[at] = T::of((0..3).map(|k| gg[k] * gq[k]).sum());
                    }
                }
            });
        let ut = is_narrow(o, c).then(|| {
            u.view()
                .permuted_axes([0, 2, 1])
                .as_standard_layout()
                .into_owned()
        });
        WinogradKernel { tile, u, ut }
    }
    // ANCHOR_END: kernel_transform

    /// Values kept for a kernel of `tile` with `o`·`c` channel pairs: `U`, and `Uᵀ` too
    /// for a narrow layer.
    pub fn values_for(tile: WinogradTile, o: usize, c: usize) -> usize {
        let a = tile.alpha();
        let copies = if is_narrow(o, c) { 2 } else { 1 };
        copies * a * a * o * c
    }

    /// The left factors of the input gradient's products and whether they are to be read
    /// transposed: `Uᵀ` as kept, or `U` read across.
    fn backward_factors(&self) -> (&Array3<T>, bool) {
        match &self.ut {
            Some(ut) => (ut, false),
            None => (&self.u, true),
        }
    }

    /// (O, C): output and input channels.
    pub fn channels(&self) -> (usize, usize) {
        let (_, o, c) = self.u.dim();
        (o, c)
    }

    /// Bytes the transformed kernel occupies (`U`, and `Uᵀ` where kept).
    pub fn bytes(&self) -> usize {
        let ut = self.ut.as_ref().map_or(0, |ut| ut.len());
        (self.u.len() + ut) * std::mem::size_of::<T>()
    }
}

/// How a network computes its 3×3, stride-1 convolutions (`--conv`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ConvAlgo {
    /// im2col + GEMM everywhere: the reference.
    Im2col,
    /// Winograd F(2×2, 3×3) wherever it applies.
    WinogradF2,
    /// Winograd F(4×4, 3×3) wherever it applies.
    WinogradF4,
    /// Per layer, whichever [`auto_choice`] says is faster.
    #[default]
    Auto,
}

impl FromStr for ConvAlgo {
    type Err = crate::Error;

    /// Parse `im2col`, `winograd` (= `winograd4`), `winograd2`, `winograd4` or `auto`.
    fn from_str(s: &str) -> crate::Result<ConvAlgo> {
        match s {
            "im2col" => Ok(ConvAlgo::Im2col),
            "winograd" | "winograd4" => Ok(ConvAlgo::WinogradF4),
            "winograd2" => Ok(ConvAlgo::WinogradF2),
            "auto" => Ok(ConvAlgo::Auto),
            _ => crate::bail!(
                "unknown convolution algorithm '{s}' (expected im2col, winograd, winograd2, winograd4 or auto)"
            ),
        }
    }
}

impl ConvAlgo {
    /// The name [`ConvAlgo::from_str`] reads.
    pub fn name(self) -> &'static str {
        match self {
            ConvAlgo::Im2col => "im2col",
            ConvAlgo::WinogradF2 => "winograd2",
            ConvAlgo::WinogradF4 => "winograd4",
            ConvAlgo::Auto => "auto",
        }
    }

    /// The algorithm for one convolution: `None` for im2col. A layer Winograd cannot run
    /// (not 3×3, stride 1, padding 1) always falls back to im2col.
    ///
    /// * `c`, `o`: input and output channels; `(h, w)`: the input's size
    pub fn choose(
        self,
        c: usize,
        o: usize,
        (h, w): (usize, usize),
        spec: (usize, usize, usize, usize),
    ) -> Option<WinogradTile> {
        let (kh, kw, stride, pad) = spec;
        winograd_applies(kh, kw, stride, pad).ok()?;
        match self {
            ConvAlgo::Im2col => None,
            ConvAlgo::WinogradF2 => Some(WinogradTile::F2),
            ConvAlgo::WinogradF4 => Some(WinogradTile::F4),
            ConvAlgo::Auto => auto_choice(c, o, h, w),
        }
    }
}

// ANCHOR: auto_choice
/// `--conv auto`'s table, from `nst bench --per-layer --conv …` (docs/performance.md):
/// im2col where the GEMM over channels is too short for Winograd to pay (the first
/// layer's 3 input channels), F(4,3) elsewhere.
pub fn auto_choice(c: usize, _o: usize, _h: usize, _w: usize) -> Option<WinogradTile> {
    if c < 16 {
        None
    } else {
        Some(WinogradTile::F4)
    }
}
// ANCHOR_END: auto_choice

// ---------------------------------------------------------------------------------
// The naive reference: one tile at a time, the matrices as written.
// ---------------------------------------------------------------------------------

// ANCHOR: winograd_naive
/// `Y = W ⊛ X + b` (3×3, stride 1, padding 1) by Winograd, one tile and one channel pair
/// at a time, with the matrices of [`WinogradTile::matrices`]: the algorithm as written,
/// in f64, to test [`winograd_forward`] against.
///
/// * `x`: (N, C, H, W), `w`: (O, C, 3, 3), `b`: (O); returns (N, O, H, W)
pub fn winograd_naive(
    x: ArrayView4<f64>,
    w: ArrayView4<f64>,
    b: ArrayView1<f64>,
    padding: Padding,
    tile: WinogradTile,
) -> Tensor4<f64> {
    let (n, c, h, wd) = x.dim();
    let o = w.dim().0;
    let (m, a) = (tile.m(), tile.alpha());
    let (bt, _, at) = tile.matrices();
    let u = WinogradKernel::new(w, tile).u; // (α², O, C)
    let mul = |l: &[Vec<f64>], r: &Array2<f64>| {
        Array2::from_shape_fn((l.len(), r.ncols()), |(i, j)| {
            (0..r.nrows()).map(|k| l[i][k] * r[[k, j]]).sum::<f64>()
        })
    };
    let mut y = Array4::zeros((n, o, h, wd));
    for ni in 0..n {
        for ty in (0..h).step_by(m) {
            for tx in (0..wd).step_by(m) {
                for oi in 0..o {
                    let mut acc = Array2::<f64>::zeros((a, a)); // Σ_c U ⊙ V
                    for ci in 0..c {
                        // d: the α×α input patch, padding 1 (and beyond it) as padding
                        let d = Array2::from_shape_fn((a, a), |(i, j)| {
                            let iy = source(ty as isize + i as isize - 1, h, padding);
                            let ix = source(tx as isize + j as isize - 1, wd, padding);
                            match (iy, ix) {
                                (Some(iy), Some(ix)) => x[[ni, ci, iy, ix]],
                                _ => 0.0,
                            }
                        });
                        let v = mul(&bt, &mul(&bt, &d).t().to_owned()).t().to_owned(); // Bᵀ d B
                        for xi in 0..a * a {
                            acc[[xi / a, xi % a]] += u[[xi, oi, ci]] * v[[xi / a, xi % a]];
                        }
                    }
                    let yt = mul(&at, &mul(&at, &acc).t().to_owned()).t().to_owned(); // Aᵀ acc A
                    for i in 0..m.min(h - ty) {
                        for j in 0..m.min(wd - tx) {
                            y[[ni, oi, ty + i, tx + j]] = yt[[i, j]] + b[oi];
                        }
                    }
                }
            }
        }
    }
    y
}
// ANCHOR_END: winograd_naive

/// Where input coordinate `i` (possibly outside `0..size`) reads from: itself inside,
/// `None` in zero padding, the wrapped pixel under circular padding.
#[inline]
fn source(i: isize, size: usize, padding: Padding) -> Option<usize> {
    if i >= 0 && (i as usize) < size {
        Some(i as usize)
    } else {
        match padding {
            Padding::Zero => None,
            Padding::Circular => Some(i.rem_euclid(size as isize) as usize),
        }
    }
}

// ---------------------------------------------------------------------------------
// The fast path: lanes of adjacent tiles, α² GEMMs per block of tiles.
// ---------------------------------------------------------------------------------

/// Tiles transformed together: eight adjacent tiles of one tile row, so that every
/// transform is arithmetic on `[T; 8]` (two SSE or one AVX register of f32).
pub const LANES: usize = 8;

type Lanes<T> = [T; LANES];

/// The four 1-D transforms of one algorithm, applied lane-wise. `bt` and `at` are the
/// forward transforms (`Bᵀ·d`, `Aᵀ·m`); `b` and `a` their transposes, for the backward
/// pass (`B·v`, `A·y`).
trait Scheme<const M: usize, const A: usize>: Sync {
    fn bt<T: Real>(d: &[Lanes<T>; A]) -> [Lanes<T>; A];
    fn at<T: Real>(m: &[Lanes<T>; A]) -> [Lanes<T>; M];
    fn b<T: Real>(v: &[Lanes<T>; A]) -> [Lanes<T>; A];
    fn a<T: Real>(y: &[Lanes<T>; M]) -> [Lanes<T>; A];
}

/// `[f(0), …, f(LANES − 1)]`.
#[inline(always)]
fn lanes<T>(f: impl FnMut(usize) -> T) -> Lanes<T> {
    std::array::from_fn(f)
}

struct F23;
struct F43;

// ANCHOR: f23_lanes
impl Scheme<2, 4> for F23 {
    #[inline(always)]
    fn bt<T: Real>(d: &[Lanes<T>; 4]) -> [Lanes<T>; 4] {
        [
            lanes(|l| d[0][l] - d[2][l]),
            lanes(|l| d[1][l] + d[2][l]),
            lanes(|l| d[2][l] - d[1][l]),
            lanes(|l| d[1][l] - d[3][l]),
        ]
    }
    #[inline(always)]
    fn at<T: Real>(m: &[Lanes<T>; 4]) -> [Lanes<T>; 2] {
        [
            lanes(|l| m[0][l] + m[1][l] + m[2][l]),
            lanes(|l| m[1][l] - m[2][l] - m[3][l]),
        ]
    }
    #[inline(always)]
    fn b<T: Real>(v: &[Lanes<T>; 4]) -> [Lanes<T>; 4] {
        [
            v[0],
            lanes(|l| v[1][l] - v[2][l] + v[3][l]),
            lanes(|l| v[1][l] + v[2][l] - v[0][l]),
            lanes(|l| -v[3][l]),
        ]
    }
    #[inline(always)]
    fn a<T: Real>(y: &[Lanes<T>; 2]) -> [Lanes<T>; 4] {
        [
            y[0],
            lanes(|l| y[0][l] + y[1][l]),
            lanes(|l| y[0][l] - y[1][l]),
            lanes(|l| -y[1][l]),
        ]
    }
}
// ANCHOR_END: f23_lanes

impl Scheme<4, 6> for F43 {
    // Every constant is a dyadic fraction (3/4, 27/64, 45/16, …), exact in f32. The rows
    // for ±t share their even and odd parts: r(±t) = e ∓ o.
    #[inline(always)]
    fn bt<T: Real>(d: &[Lanes<T>; 6]) -> [Lanes<T>; 6] {
        let c = |v: f64| T::of(v);
        let e1 = lanes(|l| d[4][l] - c(9.0 / 4.0) * d[2][l]);
        let o1 = lanes(|l| c(27.0 / 16.0) * d[1][l] - c(3.0 / 4.0) * d[3][l]);
        let e2 = lanes(|l| d[4][l] - c(9.0 / 16.0) * d[2][l]);
        let o2 = lanes(|l| c(27.0 / 32.0) * d[1][l] - c(3.0 / 2.0) * d[3][l]);
        [
            lanes(|l| c(81.0 / 64.0) * d[0][l] - c(45.0 / 16.0) * d[2][l] + d[4][l]),
            lanes(|l| e1[l] - o1[l]),
            lanes(|l| e1[l] + o1[l]),
            lanes(|l| e2[l] - o2[l]),
            lanes(|l| e2[l] + o2[l]),
            lanes(|l| c(81.0 / 64.0) * d[1][l] - c(45.0 / 16.0) * d[3][l] + d[5][l]),
        ]
    }
    #[inline(always)]
    fn at<T: Real>(m: &[Lanes<T>; 6]) -> [Lanes<T>; 4] {
        let c = |v: f64| T::of(v);
        let (s1, d1) = (lanes(|l| m[1][l] + m[2][l]), lanes(|l| m[1][l] - m[2][l]));
        let (s2, d2) = (lanes(|l| m[3][l] + m[4][l]), lanes(|l| m[3][l] - m[4][l]));
        [
            lanes(|l| m[0][l] + s1[l] + s2[l]),
            lanes(|l| c(3.0 / 4.0) * d1[l] + c(3.0 / 2.0) * d2[l]),
            lanes(|l| c(9.0 / 16.0) * s1[l] + c(9.0 / 4.0) * s2[l]),
            lanes(|l| c(27.0 / 64.0) * d1[l] + c(27.0 / 8.0) * d2[l] + m[5][l]),
        ]
    }
    #[inline(always)]
    fn b<T: Real>(v: &[Lanes<T>; 6]) -> [Lanes<T>; 6] {
        let c = |x: f64| T::of(x);
        let (s1, d1) = (lanes(|l| v[1][l] + v[2][l]), lanes(|l| v[1][l] - v[2][l]));
        let (s2, d2) = (lanes(|l| v[3][l] + v[4][l]), lanes(|l| v[3][l] - v[4][l]));
        [
            lanes(|l| c(81.0 / 64.0) * v[0][l]),
            lanes(|l| c(81.0 / 64.0) * v[5][l] - c(27.0 / 16.0) * d1[l] - c(27.0 / 32.0) * d2[l]),
            lanes(|l| -c(45.0 / 16.0) * v[0][l] - c(9.0 / 4.0) * s1[l] - c(9.0 / 16.0) * s2[l]),
            lanes(|l| c(3.0 / 4.0) * d1[l] + c(3.0 / 2.0) * d2[l] - c(45.0 / 16.0) * v[5][l]),
            lanes(|l| v[0][l] + s1[l] + s2[l]),
            v[5],
        ]
    }
    #[inline(always)]
    fn a<T: Real>(y: &[Lanes<T>; 4]) -> [Lanes<T>; 6] {
        let c = |x: f64| T::of(x);
        let e1 = lanes(|l| y[0][l] + c(9.0 / 16.0) * y[2][l]);
        let o1 = lanes(|l| c(3.0 / 4.0) * y[1][l] + c(27.0 / 64.0) * y[3][l]);
        let e2 = lanes(|l| y[0][l] + c(9.0 / 4.0) * y[2][l]);
        let o2 = lanes(|l| c(3.0 / 2.0) * y[1][l] + c(27.0 / 8.0) * y[3][l]);
        [
            y[0],
            lanes(|l| e1[l] + o1[l]),
            lanes(|l| e1[l] - o1[l]),
            lanes(|l| e2[l] + o2[l]),
            lanes(|l| e2[l] - o2[l]),
            y[3],
        ]
    }
}

/// `P ↦ S(S(P)ᵀ)ᵀ` for a 1-D transform S applied along both axes of a square patch
/// of lanes: `Sᵀ·P·S` style nesting, columns first, then rows.
#[inline(always)]
fn both_axes<T: Real, const I: usize, const O: usize>(
    p: &[[Lanes<T>; I]; I],
    f: impl Fn(&[Lanes<T>; I]) -> [Lanes<T>; O],
) -> [[Lanes<T>; O]; O] {
    let zero = [T::zero(); LANES];
    // Columns: t[.][j] = f(p[.][j]), an O×I intermediate.
    let mut t = [[zero; I]; O];
    let mut col = [zero; I];
    for j in 0..I {
        // (A loop, not `array::from_fn`, for the reason given below.)
        for (c, pi) in col.iter_mut().zip(p) {
            *c = pi[j];
        }
        let r = f(&col);
        for i in 0..O {
            t[i][j] = r[i];
        }
    }
    // Rows: out[i] = f(t[i]). (A loop, not `array::from_fn`: that moved each row
    // through a `memcpy` call, 10 % of VGG16's forward + backward at 512².)
    let mut out = [[zero; O]; O];
    for (o, ti) in out.iter_mut().zip(&t) {
        *o = f(ti);
    }
    out
}

/// `dst[..len] = src[..len]`, with the whole group's `len == LANES` (the common case)
/// as a copy of known size: a variable-length `copy_from_slice` of a few floats is a
/// `memcpy` call, which cost 13 % of VGG16's forward + backward at 512².
#[inline(always)]
fn put_lanes<T: Copy>(dst: &mut [T], src: &Lanes<T>, len: usize) {
    if len == LANES {
        dst[..LANES].copy_from_slice(src);
    } else {
        copy_short(&mut dst[..len], &src[..len]);
    }
}

/// `dst[..len] = src[..len]` into a lane array: [`put_lanes`] the other way.
#[inline(always)]
fn get_lanes<T: Copy>(dst: &mut Lanes<T>, src: &[T], len: usize) {
    if len == LANES {
        dst.copy_from_slice(&src[..LANES]);
    } else {
        copy_short(&mut dst[..len], &src[..len]);
    }
}

/// `dst = src` for a partial group (fewer than [`LANES`] values), as copies of 4, 2 and
/// 1 values, each of known size. (An element-by-element loop is turned back into a
/// `memcpy` call by the compiler; partial groups are every group in layers whose rows
/// have fewer than 8 tiles, such as conv5 at 256².)
#[inline(always)]
fn copy_short<T: Copy>(dst: &mut [T], src: &[T]) {
    let mut at = 0;
    for size in [4, 2, 1] {
        if dst.len() - at >= size {
            dst[at..at + size].copy_from_slice(&src[at..at + size]);
            at += size;
        }
    }
}

/// The α×α lane values of group `g` from one channel's transformed tiles, (α², block).
#[inline(always)]
fn get_group<T: Real, const A: usize>(buf: &[T], block: usize, g: Group) -> [[Lanes<T>; A]; A] {
    let zero = [T::zero(); LANES];
    let mut p = [[zero; A]; A];
    for (i, pi) in p.iter_mut().enumerate() {
        for (j, pij) in pi.iter_mut().enumerate() {
            get_lanes(pij, &buf[(i * A + j) * block + g.k..], g.len);
        }
    }
    p
}

/// [`get_group`] the other way: group `g`'s α×α lane values into one channel's buffer.
#[inline(always)]
fn put_group<T: Real, const A: usize>(
    t: &[[Lanes<T>; A]; A],
    buf: &mut [T],
    block: usize,
    g: Group,
) {
    for (i, ti) in t.iter().enumerate() {
        for (j, tij) in ti.iter().enumerate() {
            put_lanes(&mut buf[(i * A + j) * block + g.k..], tij, g.len);
        }
    }
}

/// The tile grid of an H×W output: `(tile rows, tile columns)`.
fn grid(h: usize, w: usize, m: usize) -> (usize, usize) {
    (h.div_ceil(m), w.div_ceil(m))
}

/// Tiles per block: the α²·(C + O)·tiles values of a block's V and M buffers stay
/// within [`BLOCK_VALUES`], but a block has at least one lane group.
fn block_tiles(budget: usize, a: usize, c: usize, o: usize, tiles: usize) -> usize {
    (budget / (a * a * (c + o)))
        .max(LANES)
        .div_ceil(LANES)
        .saturating_mul(LANES)
        .min(tiles)
        .max(1)
}

/// Values (not bytes) a block's transformed tiles may hold: 2²² (16 MB in f32). Large
/// enough that each of the α² GEMMs has a few hundred columns to amortise the packing
/// of U, small enough to add little to a layer's memory.
pub const BLOCK_VALUES: usize = 1 << 22;

/// A run of up to [`LANES`] adjacent tiles in one tile row: tile row `ty`, first tile
/// column `tx`, `len` tiles; `k`: the first tile's position in the block.
#[derive(Clone, Copy)]
struct Group {
    ty: usize,
    tx: usize,
    len: usize,
    k: usize,
}

/// The lane groups of tiles `t0 .. t1` (row-major over a grid `tw` tiles wide).
fn groups(t0: usize, t1: usize, tw: usize) -> Vec<Group> {
    let mut out = Vec::new();
    let mut t = t0;
    while t < t1 {
        let (ty, tx) = (t / tw, t % tw);
        let len = LANES.min(t1 - t).min(tw - tx);
        out.push(Group {
            ty,
            tx,
            len,
            k: t - t0,
        });
        t += len;
    }
    out
}

/// Values of one patch row that a lane group covers: `LANES·M + A − M` for a whole group
/// (34 for F(4,3), 18 for F(2,3)). Buffers for a row are sized for the larger.
const RUN: usize = LANES * 4 + 2;

/// The lane vectors of one patch row from the `run` of adjacent values it covers: column
/// j of tile l is `run[M·l + j]`, for j < `C` (α for an input patch, M for an output
/// tile). A de-interleave with constant indices once the loops unroll, which the compiler
/// turns into vector shuffles; reading the plane tile by tile instead took one scalar
/// load per value.
#[inline(always)]
fn from_run<T: Real, const M: usize, const C: usize>(run: &[T]) -> [Lanes<T>; C] {
    let run = &run[..LANES * M + C - M];
    let mut out = [[T::zero(); LANES]; C];
    for (j, o) in out.iter_mut().enumerate() {
        *o = lanes(|l| run[M * l + j]);
    }
    out
}

/// The transpose of [`from_run`] for an output tile row: `out[M·l + j] = y[j][l]`.
#[inline(always)]
fn to_run<T: Real, const M: usize>(y: &[Lanes<T>; M]) -> [T; RUN] {
    let mut out = [T::zero(); RUN];
    for (j, yj) in y.iter().enumerate() {
        for (l, &v) in yj.iter().enumerate() {
            out[M * l + j] = v;
        }
    }
    out
}

/// `run[M·l + j] += dd[j][l]` for the α columns of every tile l: the transpose of
/// [`from_run`] for an input patch row. Columns M … α−1 overlap the next tile's first
/// columns. They are added first, so each sum is formed tile by tile (`x + dd[l−1] +
/// dd[l]`), as a loop over the tiles would; the two interleaved copies make both
/// additions whole vectors.
#[inline(always)]
fn add_run<T: Real, const M: usize, const A: usize>(dd: &[Lanes<T>; A], run: &mut [T]) {
    let run = &mut run[..LANES * M + A - M];
    let (mut head, mut tail) = ([T::zero(); RUN], [T::zero(); RUN]);
    for (j, dj) in dd.iter().enumerate() {
        for (l, &v) in dj.iter().enumerate() {
            if j < M {
                head[M * l + j] = v;
            } else {
                tail[M * l + j - M] = v;
            }
        }
    }
    for (r, v) in run[M..].iter_mut().zip(&tail) {
        *r += *v;
    }
    for (r, v) in run.iter_mut().zip(&head[..LANES * M]) {
        *r += *v;
    }
}

/// Load the α×α input patches of a lane group from one channel plane (H×W), with the
/// padding's values outside the picture. A group whose patches lie inside the picture's
/// columns reads each row's run in place; the others (at the left and right edges, or
/// with fewer than [`LANES`] tiles) first copy the run with its padding.
#[inline(always)]
fn load_patches<T: Real, const M: usize, const A: usize>(
    plane: &[T],
    (h, w): (usize, usize),
    padding: Padding,
    g: Group,
) -> [[Lanes<T>; A]; A] {
    let mut d = [[[T::zero(); LANES]; A]; A];
    let (y0, x0) = (g.ty * M, g.tx * M);
    let cols = g.len * M + A - M;
    let in_place = g.len == LANES && x0 >= 1 && x0 - 1 + cols <= w;
    for (i, di) in d.iter_mut().enumerate() {
        let Some(iy) = source(y0 as isize + i as isize - 1, h, padding) else {
            continue;
        };
        let row = &plane[iy * w..(iy + 1) * w];
        if in_place {
            *di = from_run::<T, M, A>(&row[x0 - 1..]);
        } else {
            let mut run = [T::zero(); RUN];
            for (c, r) in run[..cols].iter_mut().enumerate() {
                if let Some(ix) = source((x0 + c) as isize - 1, w, padding) {
                    *r = row[ix];
                }
            }
            *di = from_run::<T, M, A>(&run);
        }
    }
    d
}

/// Add the α×α patches `dd` of a lane group back onto one channel plane: the transpose
/// of [`load_patches`] (zero padding drops, circular padding wraps). `plane` starts at
/// picture row `r0` (0 for the whole plane) and holds every row the patches reach.
/// Lanes past the group's length must be zero.
#[inline(always)]
fn add_patches<T: Real, const M: usize, const A: usize>(
    plane: &mut [T],
    (h, w): (usize, usize),
    padding: Padding,
    g: Group,
    dd: &[[Lanes<T>; A]; A],
    r0: usize,
) {
    let (y0, x0) = (g.ty * M, g.tx * M);
    let cols = g.len * M + A - M;
    let in_place = g.len == LANES && x0 >= 1 && x0 - 1 + cols <= w;
    for (i, ddi) in dd.iter().enumerate() {
        let Some(iy) = source(y0 as isize + i as isize - 1, h, padding) else {
            continue;
        };
        let row = &mut plane[(iy - r0) * w..(iy - r0 + 1) * w];
        if in_place {
            add_run::<T, M, A>(ddi, &mut row[x0 - 1..]);
        } else {
            let mut run = [T::zero(); RUN];
            add_run::<T, M, A>(ddi, &mut run);
            for (c, v) in run[..cols].iter().enumerate() {
                if let Some(ix) = source((x0 + c) as isize - 1, w, padding) {
                    row[ix] += *v;
                }
            }
        }
    }
}

/// Input transform of one channel for one block: `V[ξ, k] = (Bᵀ d B)_ξ` of tile k.
/// `v`: (α², block) for this channel.
fn input_transform<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    plane: &[T],
    hw: (usize, usize),
    padding: Padding,
    gs: &[Group],
    v: &mut [T],
    block: usize,
) {
    wide(
        #[inline(always)]
        move || {
            for &g in gs {
                let d = load_patches::<T, M, A>(plane, hw, padding, g);
                let t = both_axes(
                    &d,
                    #[inline(always)]
                    |c| S::bt(c),
                );
                put_group::<T, A>(&t, v, block, g);
            }
        },
    )
}

/// Output transform of one output channel for one block: `Y_tile = Aᵀ M_tile A + b`.
/// `mv`: (α², block) for this channel; `plane`: the channel's H×W output, written (not
/// added to) at every position of the block's tiles, so it need not be initialised.
fn output_transform<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    mv: &[T],
    block: usize,
    gs: &[Group],
    bias: T,
    plane: &mut [MaybeUninit<T>],
    (h, w): (usize, usize),
) {
    wide(
        #[inline(always)]
        move || {
            for &g in gs {
                let p = get_group::<T, A>(mv, block, g);
                let y = both_axes(
                    &p,
                    #[inline(always)]
                    |c| S::at(c),
                );
                let (y0, x0) = (g.ty * M, g.tx * M);
                // The group's outputs in each row: M per tile, cut at the right edge.
                let cols = (g.len * M).min(w - x0);
                for (i, yi) in y.iter().enumerate().take(h.saturating_sub(y0)) {
                    let run = to_run::<T, M>(&yi.map(|v| lanes(|l| v[l] + bias)));
                    let row = &mut plane[(y0 + i) * w + x0..];
                    if cols == LANES * M {
                        write_slice(&mut row[..LANES * M], &run[..LANES * M]);
                    } else {
                        write_slice(&mut row[..cols], &run[..cols]);
                    }
                }
            }
        },
    )
}

/// Transpose of [`output_transform`] (without the bias): `dM_tile = A dY_tile Aᵀ`, with
/// dY read as 0 outside the picture (those outputs were dropped).
fn output_adjoint<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    plane: &[T],
    (h, w): (usize, usize),
    gs: &[Group],
    dm: &mut [T],
    block: usize,
) {
    wide(
        #[inline(always)]
        move || {
            let zero = [T::zero(); LANES];
            for &g in gs {
                let (y0, x0) = (g.ty * M, g.tx * M);
                let mut dy = [[zero; M]; M];
                let cols = (g.len * M).min(w - x0);
                for (i, dyi) in dy.iter_mut().enumerate().take(h.saturating_sub(y0)) {
                    let row = &plane[(y0 + i) * w + x0..];
                    *dyi = if cols == LANES * M {
                        from_run::<T, M, M>(row)
                    } else {
                        let mut run = [T::zero(); RUN];
                        run[..cols].copy_from_slice(&row[..cols]);
                        from_run::<T, M, M>(&run)
                    };
                }
                let t = both_axes(
                    &dy,
                    #[inline(always)]
                    |c| S::a(c),
                );
                put_group::<T, A>(&t, dm, block, g);
            }
        },
    )
}

/// Transpose of [`input_transform`]: `dX_patch += B dV_tile Bᵀ` onto the overlapping
/// patches of one channel plane (which starts at picture row `r0`).
fn input_adjoint<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    dv: &[T],
    block: usize,
    gs: &[Group],
    plane: &mut [T],
    hw: (usize, usize),
    padding: Padding,
    r0: usize,
) {
    wide(
        #[inline(always)]
        move || {
            for &g in gs {
                let p = get_group::<T, A>(dv, block, g);
                let dd = both_axes(
                    &p,
                    #[inline(always)]
                    |c| S::b(c),
                );
                add_patches::<T, M, A>(plane, hw, padding, g, &dd, r0);
            }
        },
    )
}

fn check_shapes(c: usize, h: usize, w: usize, k: &WinogradKernel<impl Real>, padding: Padding) {
    let (_, kc) = k.channels();
    assert_eq!(
        c, kc,
        "winograd: input has {c} channels, the kernel expects {kc}"
    );
    assert!(h > 0 && w > 0, "winograd: empty input");
    let _ = padding; // circular padding by 1 needs only H, W ≥ 1
}

/// [`check_shapes`] for a forward pass with `nb` biases: returns the filter count O.
fn check_x_shapes(
    c: usize,
    h: usize,
    w: usize,
    k: &WinogradKernel<impl Real>,
    nb: usize,
    padding: Padding,
) -> usize {
    check_shapes(c, h, w, k, padding);
    let (o, _) = k.channels();
    assert_eq!(nb, o, "winograd: {o} filters but {nb} biases");
    o
}

/// [`check_shapes`] for an input gradient from a dY of `o` channels: returns the input
/// channel count C.
fn check_dy_shapes(
    o: usize,
    h: usize,
    w: usize,
    k: &WinogradKernel<impl Real>,
    padding: Padding,
) -> usize {
    let (ko, c) = k.channels();
    assert_eq!(
        o, ko,
        "winograd: dy has {o} channels, the kernel {ko} filters"
    );
    check_shapes(c, h, w, k, padding);
    c
}

/// The α² matrix products of one block, in parallel over the positions ξ:
/// `dst[:, ξ, ..cols] = U_ξ · src[:, ξ, ..cols]`, or `U_ξᵀ ·` with `transpose` (the backward
/// pass). `u`: (α², O, C), or `Uᵀ` as (α², C, O) (see [`WinogradKernel::ut`]); `src`,
/// `dst`: (channels, α², block). By [`gemm_in_place`], which reads `U_ξ` where it lies
/// instead of copying it into panels in every pass (`U_ξ` read transposed goes on to
/// matrixmultiply, whose packing reads it along its contiguous columns).
fn gemm_per_position<T: Real>(
    u: &Array3<T>,
    transpose: bool,
    src: &ArrayView3<T>,
    dst: &mut ArrayViewMut3<T>,
    cols: usize,
) {
    dst.axis_iter_mut(Axis(1))
        .into_par_iter()
        .zip(u.outer_iter().into_par_iter())
        .enumerate()
        .for_each_init(Vec::new, |panels, (xi, (mut d, ux))| {
            let a = if transpose { ux.t() } else { ux };
            let b = src.slice(s![.., xi, ..cols]);
            gemm_in_place(a, b, d.slice_mut(s![.., ..cols]), panels);
        });
}

/// [`gemm_per_position`] for one tile row, in the calling thread: every column of
/// `src`, `dst` (channels, α², tiles of the row).
fn gemm_each_position<T: Real>(
    u: &Array3<T>,
    transpose: bool,
    src: &Array3<T>,
    dst: &mut Array3<T>,
    cols: usize,
    panels: &mut Vec<T>,
) {
    for ((ux, sx), mut dx) in u
        .outer_iter()
        .zip(src.axis_iter(Axis(1)))
        .zip(dst.axis_iter_mut(Axis(1)))
    {
        let a = if transpose { ux.t() } else { ux };
        gemm_in_place(
            a,
            sx.slice(s![.., ..cols]),
            dx.slice_mut(s![.., ..cols]),
            panels,
        );
    }
}

/// One thread's buffers for a tile row's transformed tiles, (`first`, α², `tw`) and
/// (`second`, α², `tw`), and for [`gemm_in_place`]'s panels, reused from row to row.
fn row_buffers<T: Real>(
    first: usize,
    second: usize,
    a2: usize,
    tw: usize,
) -> (Array3<T>, Array3<T>, Vec<T>) {
    (
        Array3::zeros((first, a2, tw)),
        Array3::zeros((second, a2, tw)),
        Vec::new(),
    )
}

/// A block's buffers for its transformed tiles, (`first`, α², `block`) and (`second`, α²,
/// `block`), cut from one scratch `store` of `(first + second)·α²·block` values: the
/// [`row_buffers`] of the block paths.
fn block_buffers<T>(
    store: &mut [T],
    first: usize,
    second: usize,
    a2: usize,
    block: usize,
) -> (ArrayViewMut3<'_, T>, ArrayViewMut3<'_, T>) {
    let (a, b) = store.split_at_mut(first * a2 * block);
    (
        ArrayViewMut3::from_shape((first, a2, block), a).expect("first·α²·block values"),
        ArrayViewMut3::from_shape((second, a2, block), b).expect("second·α²·block values"),
    )
}

// ANCHOR: winograd_forward
/// `Y = W ⊛ X + b` for 3×3 kernels, stride 1, padding 1, by Winograd.
///
/// * `x`: (N, C, H, W)
/// * `k`: the transformed kernel of W (O, C, 3, 3), see [`WinogradKernel::new`]
/// * `b`: (O)
/// * returns (N, O, H, W)
///
/// Tiles are processed in blocks (see [`BLOCK_VALUES`]); within a block, three phases
/// run in parallel: the input transform over input channels, the α² GEMMs
/// `M_ξ = U_ξ · V_ξ` over ξ, the output transform over output channels. Narrow layers
/// on long rows (`by_rows`) run the same phases one tile row per thread instead.
pub fn winograd_forward<T: Real>(
    x: ArrayView4<T>,
    k: &WinogradKernel<T>,
    b: ArrayView1<T>,
    padding: Padding,
) -> Tensor4<T> {
    match k.tile {
        WinogradTile::F2 => forward_impl::<T, F23, 2, 4>(x, k, b, padding, BLOCK_VALUES),
        WinogradTile::F4 if by_rows(x.dim(), k, padding) => {
            forward_rows::<T, F43, 4, 6>(x, k, b, padding)
        }
        WinogradTile::F4 => forward_impl::<T, F43, 4, 6>(x, k, b, padding, BLOCK_VALUES),
    }
}
// ANCHOR_END: winograd_forward

fn forward_impl<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    x: ArrayView4<T>,
    k: &WinogradKernel<T>,
    b: ArrayView1<T>,
    padding: Padding,
    budget: usize,
) -> Tensor4<T> {
    let (n, c, h, w) = x.dim();
    let o = check_x_shapes(c, h, w, k, b.len(), padding);
    let x = x.as_standard_layout();
    let (_, tw) = grid(h, w, M);
    let tiles = h.div_ceil(M) * tw;
    let block = block_tiles(budget, A, c, o, tiles);
    let mut y = unwritten::<T, _>((n, o, h, w));
    let mut store = scratch::<T>((c + o) * A * A * block);
    let (mut v, mut m) = block_buffers(&mut store, c, o, A * A, block);
    for (xi, mut yi) in x.outer_iter().zip(y.outer_iter_mut()) {
        for t0 in (0..tiles).step_by(block) {
            let t1 = (t0 + block).min(tiles);
            let gs = groups(t0, t1, tw);
            // V[c] = Bᵀ d B for every tile of the block
            v.outer_iter_mut()
                .into_par_iter()
                .zip(xi.outer_iter().into_par_iter())
                .for_each(|(mut vc, xc)| {
                    let plane = xc.to_slice().expect("standard layout");
                    let vc = vc.as_slice_mut().expect("fresh array");
                    input_transform::<T, S, M, A>(plane, (h, w), padding, &gs, vc, block);
                });
            // M_ξ = U_ξ · V_ξ
            gemm_per_position(&k.u, false, &v.view(), &mut m, t1 - t0);
            // Y = Aᵀ M A + b
            yi.outer_iter_mut()
                .into_par_iter()
                .zip(m.outer_iter().into_par_iter())
                .enumerate()
                .for_each(|(oi, (mut yo, mo))| {
                    let mo = mo.to_slice().expect("fresh array");
                    let yo = yo.as_slice_mut().expect("fresh array");
                    output_transform::<T, S, M, A>(mo, block, &gs, b[oi], yo, (h, w));
                });
        }
    }
    // SAFETY: the blocks' groups are every tile of the grid, and the output transform
    // writes each tile's M×M outputs that lie inside the picture, in every channel
    // plane: every value of y.
    unsafe { y.assume_init() }
}

/// F(4,3) by tile rows ([`forward_rows`], [`input_grad_rows`]) rather than blocks of
/// tiles ([`forward_impl`], [`input_grad_impl`]) for an (N, ·, H, W) tensor? Where the
/// layer is narrow and its rows long: at most [`NARROW_PAIRS`] channel pairs, rows of
/// whole segments ([`SEGMENT_TILES`]) or at least two segments long (so that a padded
/// last segment costs little), zero padding.
/// Measured per layer shape in docs/performance.md ("Tile rows", "Rows of one
/// segment"); F(2,3) keeps blocks.
fn by_rows<T: Real>(
    (_, _, h, w): (usize, usize, usize, usize),
    k: &WinogradKernel<T>,
    padding: Padding,
) -> bool {
    let (o, c) = k.channels();
    let (_, tw) = grid(h, w, k.tile.m());
    padding == Padding::Zero
        && is_narrow(o, c)
        && (tw >= 2 * SEGMENT_TILES || tw % SEGMENT_TILES == 0)
}

/// Tiles of a row that the tile-row paths (`forward_rows`, `input_grad_rows`) take
/// through the three phases together: 32, the width of [`gemm_in_place`]'s panels (a
/// narrower last segment is padded to it). A segment's transformed tiles, `α²·(C + O)·32`
/// values, are 0.6 MB for 64 + 64 channels and 1.2 MB for 128 + 128, within a core's L2
/// cache; whole rows of 128 tiles (conv1_2 at 512²) were 2.4 MB and took 1.1–1.2× the time.
/// Measured in docs/performance.md ("Wide transforms, runs and row segments").
pub const SEGMENT_TILES: usize = 32;

/// The forward pass one tile row per task, in segments of [`SEGMENT_TILES`] tiles: each
/// segment's three phases in one thread, so that its transformed tiles (C·α²·tiles +
/// O·α²·tiles values) stay in that core's cache between the phases. For layers with few
/// channels, where a segment's V and M are small.
fn forward_rows<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    x: ArrayView4<T>,
    k: &WinogradKernel<T>,
    b: ArrayView1<T>,
    padding: Padding,
) -> Tensor4<T> {
    let (n, c, h, w) = x.dim();
    let o = check_x_shapes(c, h, w, k, b.len(), padding);
    let x = x.as_standard_layout();
    let (_, tw) = grid(h, w, M);
    let mut y = unwritten::<T, _>((n, o, h, w));
    // The output groups of one tile row, as if it were the first: each row writes into
    // its own M-row strip of the output.
    let seg = SEGMENT_TILES.min(tw);
    for (xi, mut yi) in x.outer_iter().zip(y.outer_iter_mut()) {
        yi.axis_chunks_iter_mut(Axis(1), M)
            .into_par_iter()
            .enumerate()
            .for_each_init(
                || row_buffers::<T>(c, o, A * A, seg),
                |(v, m, panels), (ty, mut strip)| {
                    let rows = strip.dim().1;
                    for s0 in (0..tw).step_by(seg) {
                        let s1 = (s0 + seg).min(tw);
                        let gs = groups(ty * tw + s0, ty * tw + s1, tw);
                        for (mut vc, xc) in v.outer_iter_mut().zip(xi.outer_iter()) {
                            let plane = xc.to_slice().expect("standard layout");
                            let vc = vc.as_slice_mut().expect("fresh array");
                            input_transform::<T, S, M, A>(plane, (h, w), padding, &gs, vc, seg);
                        }
                        // M_ξ = U_ξ · V_ξ
                        gemm_each_position(&k.u, false, v, m, s1 - s0, panels);
                        // The same groups as if in the first tile row: each row writes
                        // into its own M-row strip of the output.
                        let strip_groups = groups(s0, s1, tw);
                        for (oi, (mut yo, mo)) in
                            strip.outer_iter_mut().zip(m.outer_iter()).enumerate()
                        {
                            let mo = mo.to_slice().expect("fresh array");
                            let yo = yo.as_slice_mut().expect("rows of a standard-layout plane");
                            output_transform::<T, S, M, A>(
                                mo,
                                seg,
                                &strip_groups,
                                b[oi],
                                yo,
                                (rows, w),
                            );
                        }
                    }
                },
            );
    }
    // SAFETY: each tile row's strip gets the output transform of all its segments, whose
    // groups are every tile of the row; each tile writes its M×M outputs that lie inside
    // the picture, in every channel plane. The strips are every row of y.
    unsafe { y.assume_init() }
}

// ANCHOR: winograd_input_grad
/// ∂L/∂X of [`winograd_forward`] given `dy = ∂L/∂Y`: the transposed phases in reverse
/// order (see the module doc), with the same transformed kernel, by blocks or by tile
/// rows as the forward pass.
///
/// * `dy`: (N, O, H, W)
/// * `k`: the transformed kernel of W (O, C, 3, 3)
/// * returns (N, C, H, W)
pub fn winograd_input_grad<T: Real>(
    dy: ArrayView4<T>,
    k: &WinogradKernel<T>,
    padding: Padding,
) -> Tensor4<T> {
    match k.tile {
        WinogradTile::F2 => input_grad_impl::<T, F23, 2, 4>(dy, k, padding, BLOCK_VALUES),
        WinogradTile::F4 if by_rows(dy.dim(), k, padding) => {
            input_grad_rows::<T, F43, 4, 6>(dy, k, padding)
        }
        WinogradTile::F4 => input_grad_impl::<T, F43, 4, 6>(dy, k, padding, BLOCK_VALUES),
    }
}
// ANCHOR_END: winograd_input_grad

fn input_grad_impl<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    dy: ArrayView4<T>,
    k: &WinogradKernel<T>,
    padding: Padding,
    budget: usize,
) -> Tensor4<T> {
    let (n, o, h, w) = dy.dim();
    let c = check_dy_shapes(o, h, w, k, padding);
    let dy = dy.as_standard_layout();
    let (_, tw) = grid(h, w, M);
    let tiles = h.div_ceil(M) * tw;
    let block = block_tiles(budget, A, c, o, tiles);
    let mut dx = unwritten::<T, _>((n, c, h, w));
    let mut store = scratch::<T>((o + c) * A * A * block);
    let (mut dm, mut dv) = block_buffers(&mut store, o, c, A * A, block);
    let (uf, transpose) = k.backward_factors();
    for (dyi, mut dxi) in dy.outer_iter().zip(dx.outer_iter_mut()) {
        for t0 in (0..tiles).step_by(block) {
            let t1 = (t0 + block).min(tiles);
            let gs = groups(t0, t1, tw);
            // dM = A dY Aᵀ
            dm.outer_iter_mut()
                .into_par_iter()
                .zip(dyi.outer_iter().into_par_iter())
                .for_each(|(mut dmo, dyo)| {
                    let plane = dyo.to_slice().expect("standard layout");
                    let dmo = dmo.as_slice_mut().expect("fresh array");
                    output_adjoint::<T, S, M, A>(plane, (h, w), &gs, dmo, block);
                });
            // dV_ξ = U_ξᵀ · dM_ξ
            gemm_per_position(uf, transpose, &dm.view(), &mut dv, t1 - t0);
            // dX += B dV Bᵀ, each channel's plane zeroed by its task before the first
            // block adds to it (in that core's cache, not in one pass beforehand)
            dxi.outer_iter_mut()
                .into_par_iter()
                .zip(dv.outer_iter().into_par_iter())
                .for_each(|(mut dxc, dvc)| {
                    if t0 == 0 {
                        dxc.fill(MaybeUninit::new(T::zero()));
                    }
                    // SAFETY: the first block's task for this channel zeroed the plane.
                    let mut dxc = unsafe { dxc.assume_init() };
                    let dvc = dvc.to_slice().expect("fresh array");
                    let dxc = dxc.as_slice_mut().expect("fresh array");
                    input_adjoint::<T, S, M, A>(dvc, block, &gs, dxc, (h, w), padding, 0);
                });
        }
    }
    // SAFETY: every plane was zeroed by the first block (there is one: tiles ≥ 1).
    unsafe { dx.assume_init() }
}

/// The input gradient one tile row per task, as [`forward_rows`]: each segment's three
/// phases in one thread. A tile row's patches reach one picture row above and below it,
/// so rows of one parity run at a time (even, then odd), each adding into its own strip
/// of dX. Zero padding only (circular padding would wrap the first row's patches onto
/// the last row's strip). dX is not zeroed beforehand: each even row's task zeroes its
/// strip and the rows down to the next even row's strip, in its own cache, before it
/// adds; those ranges are every row of the picture, so the odd rows add onto zeros too.
fn input_grad_rows<T: Real, S: Scheme<M, A>, const M: usize, const A: usize>(
    dy: ArrayView4<T>,
    k: &WinogradKernel<T>,
    padding: Padding,
) -> Tensor4<T> {
    assert_eq!(
        padding,
        Padding::Zero,
        "winograd: tile rows need zero padding"
    );
    let (n, o, h, w) = dy.dim();
    let c = check_dy_shapes(o, h, w, k, padding);
    let dy = dy.as_standard_layout();
    let (th, tw) = grid(h, w, M);
    let seg = SEGMENT_TILES.min(tw);
    let mut dx = unwritten::<T, _>((n, c, h, w));
    let (uf, transpose) = k.backward_factors();
    // picture rows [r0, r1) that tile row ty's patches reach
    let reach = |ty: usize| ((ty * M).saturating_sub(1), (ty * M + A - 1).min(h));
    for (dyi, mut dxi) in dy.outer_iter().zip(dx.outer_iter_mut()) {
        for parity in 0..2 {
            let tys: Vec<usize> = (parity..th).step_by(2).collect();
            // Each task's rows: its reach, and for an even row also the rows down to the
            // next even row's reach (to the bottom for the last), which it zeroes. The
            // reach ends there: ty·M + A − 1 ≤ (ty + 2)·M − 1 as A ≤ 2M.
            let mut strips = Vec::with_capacity(tys.len());
            let mut rest = dxi.view_mut();
            let mut at = 0;
            for (i, &ty) in tys.iter().enumerate() {
                let (r0, r1) = reach(ty);
                let end = match (parity, tys.get(i + 1)) {
                    (0, Some(&next)) => reach(next).0,
                    (0, None) => h,
                    _ => r1,
                };
                let (_, tail) = rest.split_at(Axis(1), r0 - at);
                let (strip, tail) = tail.split_at(Axis(1), end - r0);
                strips.push(strip);
                rest = tail;
                at = end;
            }
            tys.into_par_iter().zip(strips).for_each_init(
                || row_buffers::<T>(o, c, A * A, seg),
                |(dm, dv, panels), (ty, mut rows)| {
                    let (r0, r1) = reach(ty);
                    if parity == 0 {
                        rows.fill(MaybeUninit::new(T::zero()));
                    }
                    // SAFETY: an even row's task has just zeroed these rows; an odd row's
                    // reach lies within the rows the even rows' tasks zeroed before.
                    let mut strip = unsafe { rows.slice_move(s![.., ..r1 - r0, ..]).assume_init() };
                    for s0 in (0..tw).step_by(seg) {
                        let s1 = (s0 + seg).min(tw);
                        let gs = groups(ty * tw + s0, ty * tw + s1, tw);
                        for (mut dmo, dyo) in dm.outer_iter_mut().zip(dyi.outer_iter()) {
                            let plane = dyo.to_slice().expect("standard layout");
                            let dmo = dmo.as_slice_mut().expect("fresh array");
                            output_adjoint::<T, S, M, A>(plane, (h, w), &gs, dmo, seg);
                        }
                        // dV_ξ = U_ξᵀ · dM_ξ
                        gemm_each_position(uf, transpose, dm, dv, s1 - s0, panels);
                        for (mut dxc, dvc) in strip.outer_iter_mut().zip(dv.outer_iter()) {
                            let dvc = dvc.to_slice().expect("fresh array");
                            let dxc = dxc.as_slice_mut().expect("rows of a standard-layout plane");
                            input_adjoint::<T, S, M, A>(dvc, seg, &gs, dxc, (h, w), padding, r0);
                        }
                    }
                },
            );
        }
    }
    // SAFETY: the even rows' tasks zeroed every row of every picture (their ranges run
    // from row 0 to row h without gaps).
    unsafe { dx.assume_init() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::{conv2d_naive, ConvSpec};
    use crate::math::rng::Rng;

    fn spec(padding: Padding) -> ConvSpec {
        ConvSpec {
            stride: 1,
            pad: 1,
            padding,
        }
    }

    #[test]
    fn the_matrices_compute_a_3_tap_correlation() {
        // 1-D: y = Aᵀ[(G g) ⊙ (Bᵀ d)] equals the direct correlation, for both algorithms.
        for tile in [WinogradTile::F2, WinogradTile::F4] {
            let (bt, g, at) = tile.matrices();
            let a = tile.alpha();
            let d: Vec<f64> = (0..a).map(|i| (i as f64 * 0.7).sin() + 0.3).collect();
            let gk = [0.4, -1.3, 0.9];
            let gg: Vec<f64> = g
                .iter()
                .map(|r| (0..3).map(|k| r[k] * gk[k]).sum())
                .collect();
            let bd: Vec<f64> = bt
                .iter()
                .map(|r| (0..a).map(|k| r[k] * d[k]).sum())
                .collect();
            for (i, row) in at.iter().enumerate() {
                let y: f64 = (0..a).map(|k| row[k] * gg[k] * bd[k]).sum();
                let direct: f64 = (0..3).map(|k| d[i + k] * gk[k]).sum();
                assert!(
                    (y - direct).abs() < 1e-12,
                    "{} output {i}: {y} vs {direct}",
                    tile.name()
                );
            }
        }
    }

    #[test]
    fn naive_winograd_equals_direct_convolution() {
        let mut rng = Rng::new(3);
        for tile in [WinogradTile::F2, WinogradTile::F4] {
            for padding in [Padding::Zero, Padding::Circular] {
                for (h, w) in [(1, 1), (5, 7), (8, 4), (3, 10)] {
                    let x: Array4<f64> = rng.uniform_array((2, 3, h, w), -1.0, 1.0);
                    let wt: Array4<f64> = rng.uniform_array((4, 3, 3, 3), -1.0, 1.0);
                    let b: ndarray::Array1<f64> = rng.uniform_array(4, -1.0, 1.0);
                    let direct = conv2d_naive(x.view(), wt.view(), b.view(), &spec(padding));
                    let wino = winograd_naive(x.view(), wt.view(), b.view(), padding, tile);
                    let err = crate::math::tensor::max_abs_diff(&direct.view(), &wino.view());
                    assert!(err < 1e-12, "{} {padding:?} {h}×{w}: {err}", tile.name());
                }
            }
        }
    }

    #[test]
    fn fast_winograd_equals_naive_winograd() {
        let mut rng = Rng::new(4);
        for tile in [WinogradTile::F2, WinogradTile::F4] {
            for padding in [Padding::Zero, Padding::Circular] {
                // widths straddle a lane group (8 tiles) and the tile size
                for (h, w) in [(1, 1), (2, 3), (9, 37), (17, 16), (6, 70), (21, 70)] {
                    let x: Array4<f64> = rng.uniform_array((2, 5, h, w), -1.0, 1.0);
                    let wt: Array4<f64> = rng.uniform_array((3, 5, 3, 3), -1.0, 1.0);
                    let b: ndarray::Array1<f64> = rng.uniform_array(3, -1.0, 1.0);
                    let k = WinogradKernel::new(wt.view(), tile);
                    let fast = winograd_forward(x.view(), &k, b.view(), padding);
                    let naive = winograd_naive(x.view(), wt.view(), b.view(), padding, tile);
                    let err = crate::math::tensor::max_abs_diff(&fast.view(), &naive.view());
                    assert!(err < 1e-12, "{} {padding:?} {h}×{w}: {err}", tile.name());
                }
            }
        }
    }

    #[test]
    fn fast_input_gradient_equals_the_direct_one() {
        // Sides with whole lane groups away from the border and cut groups at the edges,
        // both tiles and paddings.
        let mut rng = Rng::new(6);
        for tile in [WinogradTile::F2, WinogradTile::F4] {
            for padding in [Padding::Zero, Padding::Circular] {
                for (h, w) in [(21, 70), (9, 37), (5, 77)] {
                    let wt: Array4<f64> = rng.uniform_array((3, 4, 3, 3), -1.0, 1.0);
                    let dy: Array4<f64> = rng.uniform_array((2, 3, h, w), -1.0, 1.0);
                    let k = WinogradKernel::new(wt.view(), tile);
                    let fast = winograd_input_grad(dy.view(), &k, padding);
                    let direct = crate::layers::conv2d_input_grad_naive(
                        wt.view(),
                        dy.view(),
                        &spec(padding),
                        (h, w),
                    );
                    let err = crate::math::tensor::max_abs_diff(&fast.view(), &direct.view());
                    assert!(err < 1e-12, "{} {padding:?} {h}×{w}: {err}", tile.name());
                }
            }
        }
    }

    #[test]
    fn wide_and_plain_agree_bit_for_bit() {
        // The transforms compiled for AVX2 + FMA (`math::simd::wide`) against the baseline
        // copy: the same f32 results to the last bit, forward and backward, by blocks and
        // by tile rows (segments and a cut last group), both paddings.
        if !crate::math::simd::has_avx2() {
            eprintln!("wide_and_plain_agree_bit_for_bit: this CPU has no AVX2 + FMA, so both runs take the baseline copy");
        }
        let mut rng = Rng::new(8);
        let (c, o) = (16, 8);
        for (h, w, padding) in [
            (13, 277, Padding::Zero),
            (21, 70, Padding::Circular),
            (9, 37, Padding::Zero),
        ] {
            let x: Array4<f32> = rng.uniform_array((1, c, h, w), -1.0, 1.0);
            let wt: Array4<f32> = rng.uniform_array((o, c, 3, 3), -1.0, 1.0);
            let b: ndarray::Array1<f32> = rng.uniform_array(o, -1.0, 1.0);
            let dy: Array4<f32> = rng.uniform_array((1, o, h, w), -1.0, 1.0);
            for tile in [WinogradTile::F2, WinogradTile::F4] {
                let k = WinogradKernel::new(wt.view(), tile);
                let run = |wide: bool| {
                    crate::math::simd::allow_wide(wide);
                    let y = winograd_forward(x.view(), &k, b.view(), padding);
                    let dx = winograd_input_grad(dy.view(), &k, padding);
                    crate::math::simd::allow_wide(true);
                    (y, dx)
                };
                let (plain, wide) = (run(false), run(true));
                let same = |a: &Tensor4<f32>, b: &Tensor4<f32>| {
                    a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits())
                };
                assert!(same(&plain.0, &wide.0), "{} {h}×{w} forward", tile.name());
                assert!(
                    same(&plain.1, &wide.1),
                    "{} {h}×{w} input gradient",
                    tile.name()
                );
            }
        }
    }

    #[test]
    fn the_kept_transpose_gives_the_gradient_of_u_read_across() {
        // A narrow layer keeps Uᵀ for its input gradient; without it the products read U
        // transposed (what the wide layers do). Both tiles, blocks and tile rows (a row of
        // 32 tiles of F(4,3)), both paddings.
        let mut rng = Rng::new(13);
        for (h, w) in [(9, 37), (8, 128)] {
            let (c, o) = (5, 3);
            let wt: Array4<f64> = rng.uniform_array((o, c, 3, 3), -1.0, 1.0);
            let dy: Array4<f64> = rng.uniform_array((2, o, h, w), -1.0, 1.0);
            for tile in [WinogradTile::F2, WinogradTile::F4] {
                let kept = WinogradKernel::new(wt.view(), tile);
                let ut = kept.ut.as_ref().expect("a narrow layer keeps Uᵀ");
                assert_eq!(ut[[7, 4, 2]], kept.u[[7, 2, 4]]);
                let across = WinogradKernel {
                    ut: None,
                    ..kept.clone()
                };
                assert_eq!(kept.bytes(), 2 * across.bytes());
                for padding in [Padding::Zero, Padding::Circular] {
                    let a = winograd_input_grad(dy.view(), &kept, padding);
                    let b = winograd_input_grad(dy.view(), &across, padding);
                    let err = crate::math::tensor::max_abs_diff(&a.view(), &b.view());
                    assert!(err < 1e-12, "{} {h}×{w} {padding:?}: {err}", tile.name());
                }
            }
        }
        // A wide layer keeps U only.
        let wide: Array4<f32> = Array4::zeros((129, 128, 3, 3));
        assert!(WinogradKernel::new(wide.view(), WinogradTile::F4)
            .ut
            .is_none());
    }

    #[test]
    fn tile_rows_give_the_blocks_result() {
        // One tile row per task against the blocks of tiles: sides that are and are not
        // multiples of the tile, fewer rows than two tiles, one row of pixels.
        let mut rng = Rng::new(7);
        for (h, w) in [(1, 1), (3, 70), (9, 37), (21, 70), (16, 35), (5, 8)] {
            let (c, o) = (4, 3);
            let x: Array4<f64> = rng.uniform_array((2, c, h, w), -1.0, 1.0);
            let wt: Array4<f64> = rng.uniform_array((o, c, 3, 3), -1.0, 1.0);
            let b: ndarray::Array1<f64> = rng.uniform_array(o, -1.0, 1.0);
            let dy: Array4<f64> = rng.uniform_array((2, o, h, w), -1.0, 1.0);
            let close = |a: &Tensor4<f64>, b: &Tensor4<f64>| {
                crate::math::tensor::max_abs_diff(&a.view(), &b.view()) < 1e-12
            };
            for tile in [WinogradTile::F2, WinogradTile::F4] {
                let k = WinogradKernel::new(wt.view(), tile);
                let zero = Padding::Zero;
                let (y, yr, dx, dxr) = match tile {
                    WinogradTile::F2 => (
                        forward_impl::<f64, F23, 2, 4>(x.view(), &k, b.view(), zero, 1 << 30),
                        forward_rows::<f64, F23, 2, 4>(x.view(), &k, b.view(), zero),
                        input_grad_impl::<f64, F23, 2, 4>(dy.view(), &k, zero, 1 << 30),
                        input_grad_rows::<f64, F23, 2, 4>(dy.view(), &k, zero),
                    ),
                    WinogradTile::F4 => (
                        forward_impl::<f64, F43, 4, 6>(x.view(), &k, b.view(), zero, 1 << 30),
                        forward_rows::<f64, F43, 4, 6>(x.view(), &k, b.view(), zero),
                        input_grad_impl::<f64, F43, 4, 6>(dy.view(), &k, zero, 1 << 30),
                        input_grad_rows::<f64, F43, 4, 6>(dy.view(), &k, zero),
                    ),
                };
                assert!(close(&y, &yr), "{} {h}×{w} forward", tile.name());
                assert!(close(&dx, &dxr), "{} {h}×{w} input gradient", tile.name());
            }
        }
    }

    #[test]
    fn blocks_smaller_than_the_picture_give_the_same_result() {
        // A budget of a few tiles per block: blocks split tile rows and cut lane groups
        // short, forward and backward.
        let mut rng = Rng::new(5);
        let (c, o, h, w) = (3, 2, 13, 21);
        let x: Array4<f64> = rng.uniform_array((2, c, h, w), -1.0, 1.0);
        let wt: Array4<f64> = rng.uniform_array((o, c, 3, 3), -1.0, 1.0);
        let b: ndarray::Array1<f64> = rng.uniform_array(o, -1.0, 1.0);
        let dy: Array4<f64> = rng.uniform_array((2, o, h, w), -1.0, 1.0);
        for padding in [Padding::Zero, Padding::Circular] {
            let k = WinogradKernel::new(wt.view(), WinogradTile::F4);
            let budget = 36 * (c + o) * 11; // 11 tiles → one full group and a cut one
            assert_eq!(block_tiles(budget, 6, c, o, 1000), 16);
            let budget = 36 * (c + o) * 3; // below one lane group: rounds up to 8
            assert_eq!(block_tiles(budget, 6, c, o, 1000), 8);
            let whole = forward_impl::<f64, F43, 4, 6>(x.view(), &k, b.view(), padding, 1 << 30);
            let dwhole = input_grad_impl::<f64, F43, 4, 6>(dy.view(), &k, padding, 1 << 30);
            for budget in [36 * (c + o) * 8, 36 * (c + o) * 11] {
                let y = forward_impl::<f64, F43, 4, 6>(x.view(), &k, b.view(), padding, budget);
                let dx = input_grad_impl::<f64, F43, 4, 6>(dy.view(), &k, padding, budget);
                assert!(crate::math::tensor::max_abs_diff(&y.view(), &whole.view()) < 1e-12);
                assert!(crate::math::tensor::max_abs_diff(&dx.view(), &dwhole.view()) < 1e-12);
            }
        }
    }
}
