//! Matrix multiplication: the library's one `unsafe` call, behind a safe, strided API.
//! (The `nst` binary has its own: `mallopt`, to tune glibc's allocator, in
//! `src/bin/nst/malloc.rs`, and the SIGTERM handling in `src/bin/nst/signals.rs`.)
//!
//! Convolution, its backward pass and the Gram matrix all reduce to `C ← α·A·B + β·C`.
//! matrixmultiply provides a cache-blocked kernel (packing panels of A and B so that the
//! inner loop streams through L1-resident data, with AVX/FMA chosen at run time and a
//! portable fallback). It accepts arbitrary row and column strides, so transposes are
//! free: pass `a.t()` and no data moves.
//!
//! [`gemm_naive`] is the triple loop that defines what the fast kernel must compute; the
//! tests compare the two over odd sizes and strides.

use crate::math::tensor::Real;
use ndarray::{ArrayView2, ArrayViewMut2};

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
    let (m, k) = a.dim();
    let (k2, n) = b.dim();
    assert_eq!(k, k2, "gemm: A is {m}×{k} but B is {k2}×{n}");
    assert_eq!(
        c.dim(),
        (m, n),
        "gemm: C is {:?}, expected ({m}, {n})",
        c.dim()
    );
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
