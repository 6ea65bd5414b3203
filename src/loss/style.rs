//! Style loss: the Gram matrix of a layer's features and its distance to the style
//! picture's Gram matrix.
//!
//! View the `C×H×W` activation as the paper's `N×M` matrix `F` (`N = C` channels, one row
//! per channel; `M = H·W` positions). The Gram matrix `G = F·Fᵀ`, `G_ij = Σ_k F_ik F_jk`,
//! is the `N×N` table of channel co-activations summed over all positions: it forgets
//! *where* things are and keeps *which features occur together* — the texture.
//!
//! # Gram backward
//!
//! `∂G_ij/∂F_ab = δ_ia F_jb + δ_ja F_ib`, so for any loss with `D = ∂L/∂G`,
//! `∂L/∂F_ab = Σ_j D_aj F_jb + Σ_i D_ia F_ib`, that is `∂L/∂F = (D + Dᵀ)·F`.
//!
//! # Style loss (Gatys et al., eqs. 4–6)
//!
//! `E = Σ (G − A)² / (4N²M²)`. Then `∂E/∂G = 2(G − A) / (4N²M²)`, and since `G` and `A`
//! are symmetric, `∂E/∂F = (∂E/∂G + ∂E/∂Gᵀ)·F = 4(G − A)·F / (4N²M²) = (G − A)·F / (N²M²)`.
//!
//! The seed writes this gradient as `((F)ᵀ(G − A))_ji / (N²M²)`: the `M×N` matrix
//! `Fᵀ(G − A)` read at the transposed index. It is the same matrix transposed, because
//! `(Fᵀ(G − A))ᵀ = (G − A)ᵀ·F = (G − A)·F` (`G − A` is symmetric).
//!
//! Seed 002 instead divides the mean of `(G − A)²` over the `N²` entries by `C·H·W = N·M`:
//! `E = Σ (G − A)² / (N³M)`, so `∂E/∂G = 2(G − A) / (N³M)` and `∂E/∂F = 4(G − A)·F / (N³M)`.

use super::{LossGrad, Normalization};
use crate::math::gemm::{gemm, gemm_in_place};
use crate::math::tensor::Real;
use ndarray::{Array2, Array3, ArrayView2, ArrayView3, Axis, CowArray, Ix3};
use rayon::prelude::*;

/// `F` (`C×H×W`, standard layout) as the paper's `N×M` matrix: row `i` is channel `i`,
/// column `k` is position `k = y·W + x`. No data moves.
fn as_matrix<'a, T: Real>(f: &'a CowArray<'_, T, Ix3>) -> ArrayView2<'a, T> {
    let (c, h, w) = f.dim();
    f.view()
        .into_shape_with_order((c, h * w))
        .expect("a standard-layout array reshapes")
}

// ANCHOR: gram
/// The Gram matrix `G = F·Fᵀ` (`C×C`) of a `C×H×W` activation viewed as `C×(H·W)`.
///
/// `G = Σ_b F_b·F_bᵀ` over [`GRAM_PARTS`] blocks `F_b` of positions (columns): one GEMM
/// per block, the blocks in parallel, their sums added in order. `Fᵀ` is a transposed
/// view (strides swapped), not a copy; [`gemm_in_place`] reads `F_b` where it lies and
/// copies only `F_bᵀ` into its panels. A non-contiguous `f` is copied once into standard
/// layout.
pub fn gram<T: Real>(f: ArrayView3<T>) -> Array2<T> {
    let f = f.as_standard_layout();
    let fm = as_matrix(&f);
    let n = fm.nrows();
    let parts: Vec<Array2<T>> = fm
        .axis_chunks_iter(Axis(1), part_width(fm.ncols()))
        .into_par_iter()
        .map_init(Vec::new, |scratch, fb| {
            let mut g = Array2::zeros((n, n));
            gemm_in_place(fb, fb.t(), g.view_mut(), scratch);
            g
        })
        .collect();
    parts
        .into_iter()
        .reduce(|sum, g| sum + g)
        .unwrap_or_else(|| Array2::zeros((n, n)))
}
// ANCHOR_END: gram

/// Blocks of positions that [`gram`] and [`gram_backward`] compute in parallel. A fixed
/// count rather than the number of threads, so that the sums, and their rounding, do not
/// depend on how many threads run them; 8 keeps 2 to 8 threads busy. (One GEMM on one thread took
/// about a fifth of `nst stylize`'s time at 512 px, with the other threads idle.)
pub const GRAM_PARTS: usize = 8;

/// Columns per block for `m` positions: `m / GRAM_PARTS`, rounded up, at least 1.
fn part_width(m: usize) -> usize {
    m.div_ceil(GRAM_PARTS).max(1)
}

// ANCHOR: gram_backward
/// Backward of [`gram`]: given `dgram = ∂L/∂G` (`C×C`), returns `∂L/∂F = (D + Dᵀ)·F`
/// (`C×H×W`, same shape as `f`). Does not assume `dgram` symmetric. The columns of `F`
/// (positions) are independent, so they are multiplied in [`GRAM_PARTS`] blocks, in
/// parallel.
pub fn gram_backward<T: Real>(f: ArrayView3<T>, dgram: ArrayView2<T>) -> Array3<T> {
    let (c, h, w) = f.dim();
    assert_eq!(dgram.dim(), (c, c), "gram_backward: dgram must be C×C");
    let f = f.as_standard_layout();
    let sym = &dgram + &dgram.t(); // D + Dᵀ
    let mut df = Array2::zeros((c, h * w));
    let width = part_width(h * w);
    df.axis_chunks_iter_mut(Axis(1), width)
        .into_par_iter()
        .zip(as_matrix(&f).axis_chunks_iter(Axis(1), width))
        .for_each_init(Vec::new, |scratch, (dfb, fb)| {
            gemm_in_place(sym.view(), fb, dfb, scratch)
        });
    df.into_shape_with_order((c, h, w))
        .expect("C×(H·W) reshapes to C×H×W")
}
// ANCHOR_END: gram_backward

// ANCHOR: style_loss
/// Style loss `E` at one layer and its gradient with respect to `f`.
///
/// * `f`: `C×H×W`, the current image's activation at the tap.
/// * `a`: `C×C`, the style picture's Gram matrix at the same tap (the target, see [`gram`]).
///
/// Gatys: `E = Σ (G − A)² / (4N²M²)`; Seed002: `E = mean((G − A)²) / (C·H·W)`, with
/// `N = C`, `M = H·W`. In both, `∂E/∂G = 2(G − A) / D` for the denominator `D`, and
/// [`gram_backward`] turns that into `∂E/∂F` (module documentation for the algebra).
/// The gradient is not masked by `F > 0`.
pub fn style_loss<T: Real>(f: ArrayView3<T>, a: ArrayView2<T>, norm: Normalization) -> LossGrad<T> {
    let (c, h, w) = f.dim();
    assert_eq!(
        a.dim(),
        (c, c),
        "style_loss: the target Gram matrix must be C×C"
    );
    let (value, dgram) = style_loss_at_gram(gram(f), a, h * w, norm);
    let grad = gram_backward(f, dgram.view());
    LossGrad { value, grad }
}
// ANCHOR_END: style_loss

/// [`style_loss`]'s value and `∂E/∂G = 2(G − A)/D` for a Gram matrix `g` of a picture
/// with `m` positions at the layer. Tiled evaluation sums `g` over tiles first, then
/// turns `∂E/∂G` into each tile's `∂E/∂F` with [`gram_backward`].
pub fn style_loss_at_gram<T: Real>(
    g: Array2<T>,
    a: ArrayView2<T>,
    m: usize,
    norm: Normalization,
) -> (f64, Array2<T>) {
    let denom = style_denominator(g.nrows(), m, norm);
    let diff = g - a; // G − A
    let sum_sq: f64 = diff.iter().map(|d| d.f64() * d.f64()).sum();
    let dgram = diff.mapv_into(|d| d * T::of(2.0 / denom)); // ∂E/∂G
    (sum_sq / denom, dgram)
}

/// The denominator `D` of [`style_loss`], `E = Σ (G − A)² / D`, for `n` channels at `m`
/// positions: `4N²M²` (Gatys) or `N²·(N·M)` (seed 002).
pub fn style_denominator(n: usize, m: usize, norm: Normalization) -> f64 {
    let (n, m) = (n as f64, m as f64);
    match norm {
        Normalization::Gatys => 4.0 * n * n * m * m,
        Normalization::Seed002 => n * n * (n * m),
    }
}

/// [`style_loss`]'s value from a Gram matrix `g` already computed (at `m` positions)
/// rather than from features: what the loss would be for a picture with these
/// statistics. `nst texture-loss` uses it on the mean of several pictures' Gram matrices.
pub fn style_loss_of_gram<T: Real>(
    g: ArrayView2<T>,
    a: ArrayView2<T>,
    m: usize,
    norm: Normalization,
) -> f64 {
    assert_eq!(
        g.dim(),
        a.dim(),
        "style_loss_of_gram: G and A differ in shape"
    );
    let sum_sq: f64 = g
        .iter()
        .zip(a.iter())
        .map(|(&g, &a)| (g.f64() - a.f64()).powi(2))
        .sum();
    sum_sq / style_denominator(g.nrows(), m, norm)
}

// ANCHOR: style_grad_paper
/// The paper's form, for the equivalence test: `∂E/∂F_ij = ((F)ᵀ(G − A))_ji / (N²M²)` if
/// `F_ij > 0`, else 0 (Gatys et al., eq. 6, Gatys normalisation), computed literally: the
/// `M×N` product `Fᵀ(G − A)`, read transposed, masked.
///
/// The mask is the ReLU's derivative, which the project applies in the ReLU backward
/// pass instead; this function exists only to prove the two agree. At `F_ij = 0` it
/// returns 0, as the ReLU backward does.
pub fn style_grad_paper<T: Real>(f: ArrayView3<T>, a: ArrayView2<T>) -> Array3<T> {
    let (c, h, w) = f.dim();
    assert_eq!(
        a.dim(),
        (c, c),
        "style_grad_paper: the target Gram matrix must be C×C"
    );
    let scale = T::of(1.0 / ((c * c) as f64 * ((h * w) * (h * w)) as f64));
    let diff = gram(f) - a;
    let fs = f.as_standard_layout();
    let fm = as_matrix(&fs);
    let mut ft_diff = Array2::zeros((h * w, c)); // Fᵀ(G − A), M×N
    gemm(T::one(), fm.t(), diff.view(), T::zero(), ft_diff.view_mut());
    Array3::from_shape_fn((c, h, w), |(i, y, x)| {
        let j = y * w + x;
        if fm[[i, j]] > T::zero() {
            ft_diff[[j, i]] * scale
        } else {
            T::zero()
        }
    })
}
// ANCHOR_END: style_grad_paper

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::{dot, numeric_gradient, GradCheck};
    use crate::math::rng::Rng;
    use crate::math::tensor::{cast, rel_error};
    use proptest::prelude::*;

    /// Central differences in f64, h = 1e-5. The style loss is quartic in F, so the
    /// truncation term h²·f'''/6 does not vanish: relative to the gradient it is about
    /// h²/|F|², 1e-10 for entries of size 1 and more when all entries are small (worst
    /// seen over 20 000 random cases: 3e-9); round-off ε·|E|/h is ~1e-11. 1e-7 leaves a
    /// 30× margin, while a wrong factor (even 1.0001 instead of 1) or a transposed
    /// product fails.
    const TOL: f64 = 1e-7;

    /// Features F, and a target Gram matrix A computed from other features of the same
    /// shape (so G − A is not small and the gradient is not near zero).
    fn case(seed: u64, c: usize, h: usize, w: usize) -> (Array3<f64>, Array2<f64>) {
        let mut rng = Rng::new(seed);
        let f = rng.uniform_array((c, h, w), -1.0, 1.0);
        let s: Array3<f64> = rng.uniform_array((c, h, w), -1.5, 1.5);
        (f, gram(s.view()))
    }

    fn gram_naive(f: &Array3<f64>) -> Array2<f64> {
        let (c, h, w) = f.dim();
        Array2::from_shape_fn((c, c), |(i, j)| {
            (0..h)
                .flat_map(|y| (0..w).map(move |x| (y, x)))
                .map(|(y, x)| f[[i, y, x]] * f[[j, y, x]])
                .sum()
        })
    }

    proptest! {
        #[test]
        fn gram_is_symmetric_and_matches_the_definition(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            let (f, _) = case(seed, c, h, w);
            let g = gram(f.view());
            prop_assert!(rel_error(&g.view(), &g.t()) <= 1e-15);
            prop_assert!(rel_error(&g.view(), &gram_naive(&f).view()) <= 1e-14);
        }

        #[test]
        fn gram_backward_matches_central_differences(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            // Checked through the scalar ⟨R, gram(F)⟩ with a random, non-symmetric R,
            // whose gradient is exactly gram_backward(F, R).
            let (f, _) = case(seed, c, h, w);
            let r: Array2<f64> = Rng::new(seed ^ 1).uniform_array((c, c), -1.0, 1.0);
            let analytic = gram_backward(f.view(), r.view());
            let numeric = numeric_gradient(&f, 1e-5, |x| dot(&r.view(), &gram(x.view()).view()));
            let check = GradCheck::compare("gram", &analytic.view(), &numeric.view(), TOL);
            prop_assert!(check.passed(), "{check:?}");
        }

        #[test]
        fn style_gradient_matches_central_differences(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            // Target −Gram(S) rather than Gram(S): then G − A = FFᵀ + SSᵀ is positive
            // semidefinite and ⟨F, ∂E/∂F⟩ ∝ tr(Fᵀ(G − A)F) ≥ ‖FFᵀ‖² > 0, so the gradient
            // can never be accidentally near zero (where a relative error means nothing).
            // With A = Gram(S), draws where G ≈ A give ~3e-8 once in a few thousand cases.
            let (f, a) = case(seed, c, h, w);
            let a = -a;
            for norm in Normalization::ALL {
                let analytic = style_loss(f.view(), a.view(), norm).grad;
                let numeric = numeric_gradient(&f, 1e-5, |x| style_loss(x.view(), a.view(), norm).value);
                let check = GradCheck::compare(format!("style {norm}"), &analytic.view(), &numeric.view(), TOL);
                prop_assert!(check.passed(), "{check:?}");
            }
        }

        #[test]
        fn zero_at_the_target(c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()) {
            let (f, _) = case(seed, c, h, w);
            let a = gram(f.view());
            for norm in Normalization::ALL {
                let l = style_loss(f.view(), a.view(), norm);
                prop_assert_eq!(l.value, 0.0);
                prop_assert!(l.grad.iter().all(|&g| g == 0.0));
            }
        }

        #[test]
        fn closed_forms_hold(c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()) {
            // The gradients of the table in `Normalization`: (G − A)·F / (N²M²) and
            // 4(G − A)·F / (N³M), computed directly.
            let (f, a) = case(seed, c, h, w);
            let (n, m) = (c as f64, (h * w) as f64);
            let diff = gram(f.view()) - &a;
            let fm = f.to_shape((c, h * w)).unwrap();
            let df = diff.dot(&fm).into_shape_with_order((c, h, w)).unwrap();
            let gatys = style_loss(f.view(), a.view(), Normalization::Gatys).grad;
            let seed002 = style_loss(f.view(), a.view(), Normalization::Seed002).grad;
            prop_assert!(rel_error(&gatys.view(), &(&df / (n * n * m * m)).view()) <= 1e-13);
            prop_assert!(rel_error(&seed002.view(), &(&df * (4.0 / (n * n * n * m))).view()) <= 1e-13);
        }

        #[test]
        fn paper_form_is_the_masked_gradient(
            c in 1usize..=6, h in 1usize..=7, w in 1usize..=7, seed in any::<u64>()
        ) {
            let (f, a) = case(seed, c, h, w);
            let ours = style_loss(f.view(), a.view(), Normalization::Gatys).grad;
            let masked = Array3::from_shape_fn(f.dim(), |i| if f[i] > 0.0 { ours[i] } else { 0.0 });
            prop_assert!(rel_error(&style_grad_paper(f.view(), a.view()).view(), &masked.view()) <= 1e-13);
        }
    }

    #[test]
    fn values_match_the_written_formulas() {
        // Seed 002 literally: torch.mean((G − A)²) / (c·h·w); Gatys: Σ(G − A)² / (4N²M²).
        let (f, a) = case(3, 4, 3, 5);
        let diff = gram(f.view()) - &a;
        let sum_sq: f64 = diff.iter().map(|d| d * d).sum();
        let mean = sum_sq / 16.0;
        let seed002 = style_loss(f.view(), a.view(), Normalization::Seed002).value;
        let gatys = style_loss(f.view(), a.view(), Normalization::Gatys).value;
        assert!((seed002 - mean / 60.0).abs() <= 1e-14 * seed002);
        assert!((gatys - sum_sq / (4.0 * 16.0 * 225.0)).abs() <= 1e-14 * gatys);
    }

    #[test]
    fn non_contiguous_input_gives_the_same_result() {
        // A C×W×H array with its last two axes swapped is a C×H×W view with odd strides.
        let (f, a) = case(5, 3, 4, 6);
        let swapped = f
            .view()
            .permuted_axes([0, 2, 1])
            .as_standard_layout()
            .into_owned();
        let view = swapped.view().permuted_axes([0, 2, 1]);
        assert!(!view.is_standard_layout());
        let l1 = style_loss(f.view(), a.view(), Normalization::Gatys);
        let l2 = style_loss(view, a.view(), Normalization::Gatys);
        assert_eq!(l1.value, l2.value);
        assert_eq!(l1.grad, l2.grad);
    }

    /// The layers' sizes, where the blocks of positions and the GEMM kernels' tiles are
    /// in use (the proptests' few channels stay below the kernels' 8- and 16-row tiles):
    /// 64 and 40 channels, 37×23 positions (not a multiple of the blocks), against the
    /// definitions, in f64 and in f32. Tolerances: sums of 851 products of numbers ≤ 1,
    /// rounded to ~1e-13 (f64) and ~1e-6 (f32) of the largest.
    #[test]
    fn blocks_of_positions_match_the_definitions() {
        for c in [64, 40] {
            let (f, a) = case(11, c, 37, 23);
            let g = gram(f.view());
            assert!(
                rel_error(&g.view(), &gram_naive(&f).view()) < 1e-12,
                "gram, C = {c}"
            );
            let d = &g - &a;
            let fm = f.view().into_shape_with_order((c, 37 * 23)).unwrap();
            let naive = (&d + &d.t())
                .dot(&fm)
                .into_shape_with_order((c, 37, 23))
                .unwrap();
            let df = gram_backward(f.view(), d.view());
            assert!(
                rel_error(&df.view(), &naive.view()) < 1e-12,
                "gram_backward, C = {c}"
            );
            let f32f: Array3<f32> = cast(&f.view());
            let g32: Array2<f64> = cast(&gram(f32f.view()).view());
            assert!(
                rel_error(&g32.view(), &g.view()) < 1e-5,
                "f32 gram, C = {c}"
            );
            let d32: Array2<f32> = cast(&d.view());
            let df32: Array3<f64> = cast(&gram_backward(f32f.view(), d32.view()).view());
            assert!(
                rel_error(&df32.view(), &naive.view()) < 1e-5,
                "f32 gram_backward, C = {c}"
            );
        }
    }

    #[test]
    fn f32_agrees_with_f64() {
        let (f, a) = case(9, 5, 6, 7);
        let (f32f, f32a): (Array3<f32>, Array2<f32>) = (cast(&f.view()), cast(&a.view()));
        for norm in Normalization::ALL {
            let l64 = style_loss(f.view(), a.view(), norm);
            let l32 = style_loss(f32f.view(), f32a.view(), norm);
            assert!((l64.value - l32.value).abs() <= 1e-5 * l64.value, "{norm}");
            let g32: Array3<f64> = cast(&l32.grad.view());
            assert!(rel_error(&l64.grad.view(), &g32.view()) < 1e-5, "{norm}");
        }
    }
}
