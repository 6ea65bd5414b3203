//! Matrix multiplication behind a safe, strided API: the library's `unsafe` is here, but
//! for `math::simd`'s call into code compiled for AVX2.
//! (The `nst` binary has its own: `mallopt`, to tune glibc's allocator, in
//! `src/bin/nst/malloc.rs`, and the SIGTERM handling in `src/bin/nst/signals.rs`.)
//!
//! Convolution, its backward pass and the Gram matrix all reduce to `C ← α·A·B + β·C`.
//! matrixmultiply provides a cache-blocked kernel (packing panels of A and B so that the
//! inner loop streams through L1-resident data, with AVX/FMA/AVX-512 chosen at run time and
//! a portable fallback). It accepts arbitrary row and column strides, so transposes are
//! free: pass `a.t()` and no data moves.
//!
//! [`gemm_in_place`] is a second kernel for the Winograd layers' products, whose left
//! factor is a kernel transform that the packing would copy again in every pass: it reads
//! A where it lies and copies only B. It is ours, in plain Rust (one `unsafe` read without
//! bounds checks, and the call into a function compiled for AVX-512), and it falls back
//! to [`gemm`] wherever it does not apply.
//!
//! [`gemm_naive`] is the triple loop that defines what both fast kernels must compute; the
//! tests compare them over odd sizes and strides.

use crate::math::tensor::Real;
use ndarray::{s, ArrayView2, ArrayViewMut2};

// ANCHOR: gemm
/// `C ← α·A·B + β·C`.
///
/// * `a`: (m, k), `b`: (k, n), `c`: (m, n); any strides, including transposed or
///   negatively strided views.
///
/// Panics if the shapes do not chain (a programming error, never a user's input).
/// With `β = 0` the old contents of C are ignored (NaN in C does not leak through).
pub fn gemm<T: Real>(
    alpha: T,
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    beta: T,
    mut c: ArrayViewMut2<T>,
) {
    let (m, k, n) = chained("gemm", &a, &b, &c);
    let (rsa, csa) = (a.strides()[0], a.strides()[1]);
    let (rsb, csb) = (b.strides()[0], b.strides()[1]);
    let (rsc, csc) = (c.strides()[0], c.strides()[1]);
    // SAFETY: the three views are valid for the shapes just checked (ndarray guarantees
    // that pointer + stride arithmetic stays inside each view), and `c` is borrowed
    // mutably, so it cannot alias `a` or `b`.
    unsafe {
        T::gemm_raw(
            m,
            k,
            n,
            alpha,
            a.as_ptr(),
            rsa,
            csa,
            b.as_ptr(),
            rsb,
            csb,
            beta,
            c.as_mut_ptr(),
            rsc,
            csc,
        )
    }
}
// ANCHOR_END: gemm

/// (m, k, n) of `C ← A·B` for `name`, after checking that A (m×k), B (k×n) and C (m×n)
/// chain. Panics otherwise: shapes come from the code, never from a user's input.
fn chained<T>(
    name: &str,
    a: &ArrayView2<T>,
    b: &ArrayView2<T>,
    c: &ArrayViewMut2<T>,
) -> (usize, usize, usize) {
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(k, k2, "{name}: A is {m}×{k} but B is {k2}×{n}");
    assert_eq!(
        c.dim(),
        (m, n),
        "{name}: C is {:?}, expected ({m}, {n})",
        c.dim()
    );
    (m, k, n)
}

// ANCHOR: gemm_naive
/// The definition: `C[i,j] ← α·Σ_p A[i,p]·B[p,j] + β·C[i,j]`, three nested loops.
pub fn gemm_naive<T: Real>(
    alpha: T,
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    beta: T,
    mut c: ArrayViewMut2<T>,
) {
    let (m, k) = a.dim();
    let n = b.dim().1;
    assert_eq!(b.dim().0, k);
    assert_eq!(c.dim(), (m, n));
    for i in 0..m {
        for j in 0..n {
            let mut s = T::zero();
            for p in 0..k {
                s += a[[i, p]] * b[[p, j]];
            }
            let old = if beta == T::zero() {
                T::zero()
            } else {
                beta * c[[i, j]]
            };
            c[[i, j]] = alpha * s + old;
        }
    }
}
// ANCHOR_END: gemm_naive

// ANCHOR: gemm_in_place
/// `C ← A·B` for the Winograd layers' many small products, reading A where it lies.
/// (The Gram matrices and their backward pass use it too, on blocks of positions.)
///
/// * `a`: (m, k), rows contiguous (any row stride, column stride 1); other layouts go
///   to [`gemm`]
/// * `b`: (k, n), any strides; `c`: (m, n), any strides, old contents ignored (β = 0)
/// * `scratch`: reused from call to call
///
/// [`gemm`] copies both factors into panels before every product. In a Winograd layer's
/// forward pass the left factor is the transformed kernel `U_ξ` (O×C, up to 1 MB, the
/// same in every pass) and the right one can be narrow (16 tile columns in conv5_1 at
/// 256²), so copying U costs as much as multiplying by it. Here only B is copied, in
/// panels of `NR` columns (k×NR, contiguous, zero past n), and each of A's values is read
/// in place and broadcast against a whole panel row:
///
/// ```text
/// C[i0..i0+8, j0..j0+NR] = Σ_p  A[i0..i0+8, p] ⊗ B[p, j0..j0+NR]
/// ```
///
/// The 8×NR sums (NR = 32 for f32, 16 for f64: sixteen 512-bit registers) stay in
/// registers for the whole of p; each step is 8·NR multiply-adds for 8 scalar and 2 vector
/// loads. With the broadcasts and the panel row that is 19 of the 32 registers AVX-512 has
/// (AVX2 has 16), so this runs where the CPU has AVX-512 and FMA, detected at run time:
/// plain Rust compiled for that target feature, no intrinsics. Elsewhere, for a transposed
/// A (the backward pass's `U_ξᵀ`, which [`gemm`]'s packing reads along its contiguous
/// columns faster than this kernel's broadcasts do), and for the rows after the last
/// multiple of 8, this is [`gemm`].
pub fn gemm_in_place<T: Real>(
    a: ArrayView2<T>,
    b: ArrayView2<T>,
    mut c: ArrayViewMut2<T>,
    scratch: &mut Vec<T>,
) {
    let (m, k, n) = chained("gemm_in_place", &a, &b, &c);
    let strips = m / MR * MR;
    if strips > 0 && k > 0 && n > 0 && avx512() {
        if let Some((store, rsa, 1)) = in_place(&a) {
            if T::NAME == "f32" {
                strips_avx512::<T, 32>(strips, store, rsa, b, &mut c, scratch);
            } else {
                strips_avx512::<T, 16>(strips, store, rsa, b, &mut c, scratch);
            }
            if strips < m {
                let rest = s![strips.., ..];
                gemm(T::one(), a.slice(rest), b, T::zero(), c.slice_mut(rest));
            }
            return;
        }
    }
    gemm(T::one(), a, b, T::zero(), c);
}
// ANCHOR_END: gemm_in_place

/// Rows of C per micro-tile in [`gemm_in_place`].
const MR: usize = 8;

/// Bytes of B's panels packed at a time in [`gemm_in_place`]: A is read once per panel,
/// and a group of panels (with A's strips) should stay in the core's L2 cache.
const PANEL_GROUP_BYTES: usize = 192 << 10;

/// Does this CPU have AVX-512 (and FMA)? Cached by the standard library after the first call.
fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A's storage and its (row, column) strides, if its elements are one contiguous run with
/// non-negative strides (then element (0, 0) is the run's first).
fn in_place<'a, T: Real>(a: &ArrayView2<'a, T>) -> Option<(&'a [T], usize, usize)> {
    let (rs, cs) = (a.strides()[0], a.strides()[1]);
    if rs < 0 || cs < 0 {
        return None;
    }
    let store = a.to_slice_memory_order()?;
    Some((store, rs as usize, cs as usize))
}

/// The first `strips` rows of C (a multiple of [`MR`]) by [`gemm_in_place`]'s kernel,
/// for A's rows starting every `rsa` values of `a`. Only called when [`avx512`] holds.
/// `scratch` holds a group of B's panels, then C's rows for those panels, so that B and C
/// are copied in whole rows rather than a panel's width at a time; a product of at most two
/// panels whose C rows are contiguous (a Winograd tile row's: 32 columns) writes its sums
/// into C directly, without that copy (measured: the narrow layers' convolutions 0.92–0.99
/// of their time; on conv3_2's products of hundreds of columns, direct writes took 1.05–1.16
/// of the copy's time). Each panel is used by
/// every strip of A before the next (it stays in the L1 cache while A's strips come from
/// L2): measured 0.62–0.69 of [`gemm`]'s time on the 256- and 512-channel shapes against
/// 0.83–0.95 with the strips outside.
fn strips_avx512<T: Real, const NR: usize>(
    strips: usize,
    a: &[T],
    rsa: usize,
    b: ArrayView2<T>,
    c: &mut ArrayViewMut2<T>,
    scratch: &mut Vec<T>,
) {
    let (k, n) = b.dim();
    let count = n.div_ceil(NR);
    let group = (PANEL_GROUP_BYTES / (k * NR * std::mem::size_of::<T>())).max(1);
    let mut row_copy = Vec::new();
    for g0 in (0..count).step_by(group) {
        let g1 = (g0 + group).min(count);
        let (j0, j1) = (g0 * NR, (g1 * NR).min(n));
        let width = (g1 - g0) * NR;
        scratch.resize(width * (k + strips), T::zero());
        let (panels, out) = scratch.split_at_mut(width * k);
        // Panel q holds columns j0 + q·NR … of B, row after row (k×NR), zero past n.
        for (p, row) in b.rows().into_iter().enumerate() {
            // Cut the row as a Rust slice: ndarray's slicing (`slice_move`), once per
            // row of B in every product, took 15 % of conv1_2's forward pass at 256² on
            // one thread.
            let r = match row.to_slice() {
                Some(r) => &r[j0..j1],
                None => {
                    row_copy.clear();
                    row_copy.extend(row.slice_move(s![j0..j1]).iter().copied());
                    &row_copy[..]
                }
            };
            for (q, dst) in panels.chunks_exact_mut(k * NR).enumerate() {
                let dst: &mut [T; NR] = (&mut dst[p * NR..(p + 1) * NR]).try_into().unwrap();
                match r.get(q * NR..(q + 1) * NR) {
                    Some(src) => *dst = src.try_into().unwrap(),
                    None => {
                        let src = &r[q * NR..];
                        dst[..src.len()].copy_from_slice(src);
                        dst[src.len()..].fill(T::zero());
                    }
                }
            }
        }
        // For a product of at most two panels (the tile-row products: 32 columns), C's
        // rows as slices if each is contiguous: the sums go straight there. Otherwise
        // into `out`, copied into C row by row below: on wide products, whose C rows lie
        // tens of KB apart, eight scattered rows per micro-tile cost more than the copy.
        let mut block = c.slice_mut(s![..strips, j0..j1]);
        let mut rows: Option<Vec<&mut [T]>> = if n <= 2 * NR {
            block
                .rows_mut()
                .into_iter()
                .map(|r| r.into_slice())
                .collect()
        } else {
            None
        };
        for (q, panel) in panels.chunks_exact(k * NR).enumerate() {
            for i0 in (0..strips).step_by(MR) {
                // A's rows i0 … i0+7: k values each, `rsa` apart.
                let strip = &a[i0 * rsa..(i0 + MR - 1) * rsa + k];
                let mut sums = [[T::zero(); NR]; MR];
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the caller checked that the CPU has AVX-512 and FMA, and `strip`
                // holds 7·rsa + k values (the slice above would have panicked otherwise).
                unsafe {
                    kernel_avx512::<T, NR>(strip, rsa, panel, &mut sums)
                };
                for (i, sums) in sums.iter().enumerate() {
                    let dst = match &mut rows {
                        Some(rows) => &mut rows[i0 + i][q * NR..],
                        None => &mut out[(i0 + i) * width + q * NR..],
                    };
                    match dst.get_mut(..NR) {
                        Some(d) => *<&mut [T; NR]>::try_from(d).unwrap() = *sums,
                        None => {
                            let len = dst.len();
                            dst.copy_from_slice(&sums[..len]);
                        }
                    }
                }
            }
        }
        if rows.is_none() {
            for (i, mut row) in block.rows_mut().into_iter().enumerate() {
                let sums = &out[i * width..i * width + (j1 - j0)];
                match row.as_slice_mut() {
                    Some(r) => r.copy_from_slice(sums),
                    None => row.iter_mut().zip(sums).for_each(|(d, &v)| *d = v),
                }
            }
        }
    }
}

/// The micro-kernel: `sums[i][j] = Σ_p a[i·rsa + p] · panel[p·NR + j]` for i < 8, j < NR
/// and p < k, where `panel` holds k rows of NR.
///
/// # Safety
/// The CPU must have AVX-512F and FMA, and `a` must hold 7·rsa + k values: A is read
/// without bounds checks (eight row slices with their checks would spill the row pointers
/// out of the registers; measured 10–30 % slower on the Winograd layers' shapes).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,fma")]
unsafe fn kernel_avx512<T: Real, const NR: usize>(
    a: &[T],
    rsa: usize,
    panel: &[T],
    sums: &mut [[T; NR]; MR],
) {
    debug_assert!(a.len() >= (MR - 1) * rsa + panel.len() / NR);
    let mut acc = [[T::zero(); NR]; MR];
    for (p, bp) in panel.chunks_exact(NR).enumerate() {
        let bv: [T; NR] = bp.try_into().unwrap();
        for (i, acc) in acc.iter_mut().enumerate() {
            // SAFETY: i·rsa + p < 7·rsa + k ≤ a.len(), by this function's contract.
            let av = unsafe { *a.get_unchecked(i * rsa + p) };
            for j in 0..NR {
                acc[j] = av.mul_add(bv[j], acc[j]);
            }
        }
    }
    *sums = acc;
}

/// Floating-point operations of one `m×k · k×n` product (a multiply and an add each).
pub fn gemm_flops(m: usize, k: usize, n: usize) -> f64 {
    2.0 * m as f64 * k as f64 * n as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::tensor::rel_error;
    use ndarray::{s, Array2};
    use proptest::prelude::*;

    fn filled(m: usize, n: usize, seed: u64) -> Array2<f64> {
        // A small deterministic generator keeps this test independent of `rand`.
        let mut state = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Array2::from_shape_fn((m, n), |_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        })
    }

    proptest! {
        /// Fast and naive agree over odd sizes, transposed operands and a strided C.
        #[test]
        fn fast_matches_naive(m in 1usize..37, k in 0usize..41, n in 1usize..29,
                              ta: bool, tb: bool, seed: u64,
                              alpha in -2.0f64..2.0, beta in -2.0f64..2.0) {
            let a_store = filled(if ta { k } else { m }, if ta { m } else { k }, seed);
            let b_store = filled(if tb { n } else { k }, if tb { k } else { n }, seed ^ 1);
            let a = if ta { a_store.t() } else { a_store.view() };
            let b = if tb { b_store.t() } else { b_store.view() };
            // C is every other column of a wider matrix: a non-unit column stride.
            let mut c_fast = filled(m, 2 * n, seed ^ 2);
            let mut c_naive = c_fast.clone();
            gemm(alpha, a, b, beta, c_fast.slice_mut(s![.., ..;2]));
            gemm_naive(alpha, a, b, beta, c_naive.slice_mut(s![.., ..;2]));
            // Tolerance: k ≤ 40 products of numbers ≤ 1 in f64 round to ~1e-14 relative.
            prop_assert!(rel_error(&c_fast.view(), &c_naive.view()) < 1e-12);
        }
    }

    proptest! {
        /// gemm_in_place equals the definition over sizes on both sides of the kernel's
        /// 8-row strips and 32/16-column panels (tails, a single panel, several groups),
        /// with A as stored (the kernel, on AVX-512 machines) or transposed ([`gemm`]), B
        /// one plane of a 3-D array (rows far apart, as in the Winograd layers) or
        /// transposed, and C strided. In f64 and in f32.
        #[test]
        fn in_place_matches_naive(m in 1usize..41, k in 1usize..300, n in 1usize..80,
                                  ta: bool, tb: bool, seed: u64) {
            let a_store = filled(if ta { k } else { m }, if ta { m } else { k }, seed);
            let a = if ta { a_store.t() } else { a_store.view() };
            let b_store = ndarray::Array3::from_shape_vec(
                (if tb { n } else { k }, 3, if tb { k } else { n }),
                filled(1, 3 * k * n, seed ^ 1).into_raw_vec_and_offset().0,
            ).unwrap();
            let b = if tb { b_store.slice(s![.., 1, ..]).reversed_axes() } else { b_store.slice(s![.., 1, ..]) };
            let mut naive = Array2::zeros((m, n));
            gemm_naive(1.0, a, b, 0.0, naive.view_mut());
            let mut scratch = Vec::new();
            // C is every other column of a wider matrix, filled with NaN: β = 0 ignores it.
            let mut c = Array2::from_elem((m, 2 * n), f64::NAN);
            gemm_in_place(a, b, c.slice_mut(s![.., ..;2]), &mut scratch);
            // Tolerance: sums of k < 300 products of numbers ≤ 1 round to ~1e-13 in f64.
            prop_assert!(rel_error(&c.slice(s![.., ..;2]), &naive.view()) < 1e-12);
            // f32: the same products, each rounded to 2⁻²⁴ ≈ 6e-8 relative; over k < 300
            // terms of mixed sign the error relative to the largest is below 1e-5.
            let (a32, b32) = (a.mapv(|x| x as f32), b.mapv(|x| x as f32));
            let mut c32 = Array2::<f32>::zeros((m, n));
            gemm_in_place(a32.view(), b32.view(), c32.view_mut(), &mut Vec::new());
            prop_assert!(rel_error(&c32.mapv(|x| x as f64).view(), &naive.view()) < 1e-5);
            // The same scratch again, for a different shape: nothing carries over. This C
            // is contiguous, so products of up to two panels write their sums straight
            // into its rows; NaN again shows a value they miss.
            let mut again = Array2::from_elem((m, n), f64::NAN);
            gemm_in_place(a, b, again.view_mut(), &mut scratch);
            prop_assert!(rel_error(&again.view(), &naive.view()) < 1e-12);
        }
    }

    /// The Winograd layers' shapes (U_ξ · V_ξ with 64…512 channels and 16…1024 tiles) take
    /// the kernel, not the fallback, on a machine with AVX-512; elsewhere this checks the
    /// fallback. Either way against the definition, in f32.
    #[test]
    fn in_place_on_the_layer_shapes() {
        for (m, k, n) in [
            (64, 64, 64),
            (128, 64, 1024),
            (512, 512, 16),
            (256, 256, 100),
        ] {
            let a = filled(m, k, 7).mapv(|x| x as f32);
            let b = filled(k, n, 8).mapv(|x| x as f32);
            let mut fast = Array2::<f32>::zeros((m, n));
            let mut naive = Array2::<f32>::zeros((m, n));
            gemm_in_place(a.view(), b.view(), fast.view_mut(), &mut Vec::new());
            gemm_naive(1.0, a.view(), b.view(), 0.0, naive.view_mut());
            let err = rel_error(&fast.view(), &naive.view());
            assert!(err < 1e-5, "{m}×{k}×{n}: relative error {err:e}");
        }
        if !avx512() {
            eprintln!("NOTE: no AVX-512 on this CPU: gemm_in_place ran its fallback (gemm)");
        }
    }

    #[test]
    fn f32_matches_f64() {
        let a = filled(13, 17, 3);
        let b = filled(17, 5, 4);
        let mut c64 = Array2::<f64>::zeros((13, 5));
        gemm(1.0, a.view(), b.view(), 0.0, c64.view_mut());
        let a32 = a.mapv(|x| x as f32);
        let b32 = b.mapv(|x| x as f32);
        let mut c32 = Array2::<f32>::zeros((13, 5));
        gemm(1.0, a32.view(), b32.view(), 0.0, c32.view_mut());
        let c32_64 = c32.mapv(|x| x as f64);
        assert!(rel_error(&c32_64.view(), &c64.view()) < 1e-6);
    }

    #[test]
    fn beta_zero_ignores_nan_in_c() {
        let a = filled(3, 4, 5);
        let b = filled(4, 2, 6);
        let mut c = Array2::from_elem((3, 2), f64::NAN);
        gemm(1.0, a.view(), b.view(), 0.0, c.view_mut());
        assert!(c.iter().all(|x| x.is_finite()));
    }
}
