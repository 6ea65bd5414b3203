//! Array aliases, the scalar trait shared by every layer, and error measures.
//!
//! Every activation in the project is an NCHW array: `[batch, channels, height, width]`.
//! Layers are generic over [`Real`] so that the same code runs in `f32` (for pictures)
//! and in `f64` (for finite-difference gradient checks, where `f32` round-off would
//! drown the truncation error we are trying to measure).

use ndarray::{Array, Array1, Array2, Array3, Array4, ArrayView, Dimension, NdFloat, ShapeBuilder};
use std::mem::MaybeUninit;

/// A floating-point scalar the layers can run in: `f32` or `f64`.
///
/// The only thing the two types do differently is which matrixmultiply kernel they call
/// (`sgemm` or `dgemm`); everything else comes from ndarray's [`NdFloat`].
pub trait Real:
    NdFloat + Default + std::iter::Sum + npyz::Deserialize + npyz::AutoSerialize
{
    /// `"f32"` or `"f64"`, for messages and tables.
    const NAME: &'static str;

    /// Convert from `f64` (rounding for `f32`).
    fn of(x: f64) -> Self;

    /// Widen to `f64`.
    fn f64(self) -> f64;

    /// `C ← α·A·B + β·C` on raw strided storage: A is m×k, B is k×n, C is m×n.
    ///
    /// # Safety
    /// The pointers and strides must describe valid matrices of those shapes, and C
    /// must not alias A or B. Only [`crate::math::gemm::gemm`] calls this, after checking.
    #[allow(clippy::too_many_arguments)]
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: Self,
        a: *const Self,
        rsa: isize,
        csa: isize,
        b: *const Self,
        rsb: isize,
        csb: isize,
        beta: Self,
        c: *mut Self,
        rsc: isize,
        csc: isize,
    );
}

impl Real for f32 {
    const NAME: &'static str = "f32";
    fn of(x: f64) -> Self {
        x as f32
    }
    fn f64(self) -> f64 {
        self as f64
    }
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f32,
        a: *const f32,
        rsa: isize,
        csa: isize,
        b: *const f32,
        rsb: isize,
        csb: isize,
        beta: f32,
        c: *mut f32,
        rsc: isize,
        csc: isize,
    ) {
        matrixmultiply::sgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";
    fn of(x: f64) -> Self {
        x
    }
    fn f64(self) -> f64 {
        self
    }
    unsafe fn gemm_raw(
        m: usize,
        k: usize,
        n: usize,
        alpha: f64,
        a: *const f64,
        rsa: isize,
        csa: isize,
        b: *const f64,
        rsb: isize,
        csb: isize,
        beta: f64,
        c: *mut f64,
        rsc: isize,
        csc: isize,
    ) {
        matrixmultiply::dgemm(m, k, n, alpha, a, rsa, csa, b, rsb, csb, beta, c, rsc, csc)
    }
}

// ANCHOR: aliases
/// NCHW activations: `[batch, channels, height, width]`.
pub type Tensor4<T> = Array4<T>;
/// One picture or one feature stack: `[channels, height, width]`.
pub type Tensor3<T> = Array3<T>;
/// A matrix (GEMM operands, Gram matrices, im2col buffers).
pub type Matrix<T> = Array2<T>;
/// A vector (biases, norm parameters).
pub type Vector<T> = Array1<T>;
// ANCHOR_END: aliases

/// An array for a function that writes every one of its values before returning it,
/// allocated without zeroing: a layer's output is megabytes (64 MB for conv1_2 at 512²),
/// and zeroing it is a pass over memory in one thread before the parallel work starts,
/// 7 % of conv1_2's forward pass at 256² on two threads. The writer fills it through
/// `MaybeUninit::write` and then calls `assume_init`, whose `// SAFETY:` comment says why
/// every value was written.
///
/// In the crate's unit tests every value starts as NaN instead, so that a value the
/// writer misses is NaN in the result and fails the comparison with the reference.
pub(crate) fn unwritten<T: Real, Sh: ShapeBuilder>(shape: Sh) -> Array<MaybeUninit<T>, Sh::Dim> {
    if cfg!(test) {
        Array::from_elem(shape, MaybeUninit::new(T::nan()))
    } else {
        Array::uninit(shape)
    }
}

/// `dst[i] = src[i]` into memory that may not be initialised yet (both the same length),
/// eight values at a time as arrays: a loop of single values became a `memmove` call (2.8 %
/// of conv1_2's forward samples when the output transform wrote through it).
#[inline(always)]
pub(crate) fn write_slice<T: Copy>(dst: &mut [MaybeUninit<T>], src: &[T]) {
    debug_assert_eq!(dst.len(), src.len());
    let mut d8 = dst.chunks_exact_mut(8);
    let mut s8 = src.chunks_exact(8);
    for (d, s) in d8.by_ref().zip(s8.by_ref()) {
        let d: &mut [MaybeUninit<T>; 8] = d.try_into().expect("chunks of 8");
        let s: &[T; 8] = s.try_into().expect("chunks of 8");
        *d = s.map(MaybeUninit::new);
    }
    for (d, &s) in d8.into_remainder().iter_mut().zip(s8.remainder()) {
        d.write(s);
    }
}

/// Largest `|a − b|` over all elements (0 for empty arrays), NaN if any difference is
/// NaN: `f64::max` would drop it, and a NaN in a result must fail every tolerance.
pub fn max_abs_diff<T: Real, D: Dimension>(a: &ArrayView<T, D>, b: &ArrayView<T, D>) -> f64 {
    assert_eq!(a.shape(), b.shape(), "max_abs_diff: shapes differ");
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| (x.f64() - y.f64()).abs())
        .fold(0.0, |m: f64, d| {
            if m.is_nan() || d.is_nan() {
                f64::NAN
            } else {
                m.max(d)
            }
        })
}

// ANCHOR: rel_error
/// Relative error `max|a − b| / max(max|a|, max|b|, tiny)`.
///
/// Measured against the largest magnitude rather than element by element, so that
/// elements that happen to be near zero do not blow the ratio up: this is the measure
/// the tests quote (a tolerance of 1e-4 means "agrees to about four significant digits
/// of the largest value").
pub fn rel_error<T: Real, D: Dimension>(a: &ArrayView<T, D>, b: &ArrayView<T, D>) -> f64 {
    let scale = a
        .iter()
        .chain(b.iter())
        .map(|x| x.f64().abs())
        .fold(0.0, f64::max);
    max_abs_diff(a, b) / scale.max(1e-300)
}
// ANCHOR_END: rel_error

/// Convert an array between scalar types (`f32` ↔ `f64`).
pub fn cast<A: Real, B: Real, D: Dimension>(a: &ArrayView<A, D>) -> Array<B, D> {
    a.mapv(|x| B::of(x.f64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn rel_error_scales_by_largest_magnitude() {
        let a = array![1.0f64, 100.0];
        let b = array![1.5f64, 100.0];
        assert!((rel_error(&a.view(), &b.view()) - 0.005).abs() < 1e-15);
        assert_eq!(max_abs_diff(&a.view(), &b.view()), 0.5);
    }

    #[test]
    fn a_nan_anywhere_fails_every_tolerance() {
        // `f64::max` drops NaN; the measures must not, or a value a layer never wrote
        // (NaN in the unit tests, see `unwritten`) would pass unnoticed.
        for at in 0..3 {
            let a = array![1.0f64, 2.0, 3.0];
            let mut b = a.clone();
            b[at] = f64::NAN;
            assert!(max_abs_diff(&a.view(), &b.view()).is_nan());
            assert!(max_abs_diff(&b.view(), &a.view()).is_nan());
            assert!(rel_error(&a.view(), &b.view()).is_nan());
        }
    }

    #[test]
    fn unwritten_values_are_nan_in_the_tests() {
        let a = unwritten::<f32, _>((2, 3, 4));
        assert_eq!(a.dim(), (2, 3, 4));
        // SAFETY: in test builds `unwritten` fills every value (with NaN).
        let a = unsafe { a.assume_init() };
        assert!(a.iter().all(|v| v.is_nan()));
        let mut d = [std::mem::MaybeUninit::new(0.0f64); 3];
        write_slice(&mut d, &[1.0, 2.0, 3.0]);
        // SAFETY: initialised above, and written by `write_slice`.
        assert_eq!(d.map(|v| unsafe { v.assume_init() }), [1.0, 2.0, 3.0]);
    }

    #[test]
    fn cast_round_trips() {
        let a = array![[1.5f32, -2.25]];
        let b: Array2<f64> = cast(&a.view());
        let c: Array2<f32> = cast(&b.view());
        assert_eq!(a, c);
    }
}
