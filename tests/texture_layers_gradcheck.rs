//! The Texture Networks layers — batch norm, instance norm, leaky ReLU, nearest
//! upsampling, channel concatenation — against central finite differences in f64 over
//! random shapes (proptest), plus properties small enough to state exactly. Tolerances
//! are explained in `nst::gradcheck::layers`: 1e-7 relative for the (piecewise) linear layers,
//! `NORM_TOL` = 1e-6 for the normalisations (smooth but nonlinear: truncation error
//! O(h²) on inputs whose groups have a spread of at least 0.5).

use ndarray::{array, Array1, Array4, Axis};
use nst::gradcheck::layers::{self as checks, spread_groups};
use nst::layers::*;
use nst::math::rng::Rng;
use nst::math::tensor::rel_error;
use proptest::prelude::*;

fn shape4() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..4, 1usize..4, 1usize..6, 1usize..6)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// dx, dγ, dβ of train-mode batch norm.
    ///
    /// A group needs at least three values: two values normalise to ±1 (up to ε) whatever
    /// they are, so ∂L/∂x is O(ε) ≈ 1e-5 and the comparison, relative to that tiny
    /// gradient, would measure nothing but the finite difference's round-off (≈ 1e-11
    /// absolute).
    #[test]
    fn batchnorm_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        prop_assume!(shape.0 * shape.2 * shape.3 >= 3);
        for c in checks::check_batchnorm(shape, seed) {
            prop_assert!(c.passed(), "{c:?}");
        }
    }

    /// dx, dγ, dβ of instance norm (a plane needs at least three pixels; see above).
    #[test]
    fn instancenorm_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        prop_assume!(shape.2 * shape.3 >= 3);
        for c in checks::check_instancenorm(shape, seed) {
            prop_assert!(c.passed(), "{c:?}");
        }
    }

    #[test]
    fn leaky_relu_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        let c = checks::check_leaky_relu(shape, seed);
        prop_assert!(c.passed(), "{c:?}");
    }

    #[test]
    fn upsample_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        let c = checks::check_upsample(shape, seed);
        prop_assert!(c.passed(), "{c:?}");
        let a = checks::check_upsample_adjoint(shape, seed ^ 1);
        prop_assert!(a.passed(), "{a:?}");
    }

    #[test]
    fn concat_backward_matches_finite_differences(
        n in 1usize..3,
        channels in prop::collection::vec(1usize..4, 1..4),
        h in 1usize..5,
        w in 1usize..5,
        seed: u64,
    ) {
        for c in checks::check_concat(n, &channels, h, w, seed) {
            prop_assert!(c.passed(), "{c:?}");
        }
    }

    /// Train-mode output: every channel has mean β and standard deviation γ·σ/√(σ²+ε)
    /// over (n, y, x); instance norm: the same for every (item, channel) plane.
    #[test]
    fn normalized_groups_have_mean_beta_and_spread_gamma(shape in shape4(), seed: u64) {
        prop_assume!(shape.0 * shape.2 * shape.3 >= 2 && shape.2 * shape.3 >= 2);
        let mut rng = Rng::new(seed);
        let x = spread_groups(&mut rng, shape, false);
        let gamma: Array1<f64> = rng.uniform_array(shape.1, 0.5, 1.5);
        let beta: Array1<f64> = rng.uniform_array(shape.1, -1.0, 1.0);
        let (y, stats, _) = batchnorm_forward_train(x.view(), gamma.view(), beta.view(), NORM_EPS, false);
        for (c, yc) in y.axis_iter(Axis(1)).enumerate() {
            let (m, v) = moments(yc.iter());
            let want_sd = gamma[c] * (stats.var[c] / (stats.var[c] + NORM_EPS)).sqrt();
            prop_assert!((m - beta[c]).abs() < 1e-12 && (v.sqrt() - want_sd).abs() < 1e-12);
        }
        let (y, _) = instancenorm_forward(x.view(), gamma.view(), beta.view(), NORM_EPS, false);
        for yn in y.outer_iter() {
            for (c, yc) in yn.outer_iter().enumerate() {
                let (m, _) = moments(yc.iter());
                prop_assert!((m - beta[c]).abs() < 1e-12);
            }
        }
    }
}

/// Mean and (biased) variance of some values.
fn moments<'a>(v: impl Iterator<Item = &'a f64> + Clone) -> (f64, f64) {
    let n = v.clone().count() as f64;
    let m = v.clone().sum::<f64>() / n;
    (m, v.map(|x| (x - m).powi(2)).sum::<f64>() / n)
}

/// With running statistics equal to the batch's own (biased) statistics, inference mode
/// computes exactly what train mode computes: the two differ only in where μ and σ²
/// come from.
#[test]
fn batchnorm_eval_with_batch_stats_equals_train() {
    let mut rng = Rng::new(3);
    let x = spread_groups(&mut rng, (3, 4, 5, 2), true);
    let gamma: Array1<f64> = rng.uniform_array(4, 0.5, 1.5);
    let beta: Array1<f64> = rng.uniform_array(4, -1.0, 1.0);
    let (y, stats, _) =
        batchnorm_forward_train(x.view(), gamma.view(), beta.view(), NORM_EPS, false);
    let ye = batchnorm_forward_eval(
        x.view(),
        gamma.view(),
        beta.view(),
        stats.mean.view(),
        stats.var.view(),
        NORM_EPS,
    );
    assert!(rel_error(&y.view(), &ye.view()) < 1e-14);
}

/// The running averages by hand: one channel holding 1, 2, 3, 4 (mean 2.5, biased
/// variance 1.25, unbiased 5/3), from running (0, 1) with momentum 0.1:
/// mean 0.9·0 + 0.1·2.5 = 0.25, var 0.9·1 + 0.1·5/3 = 1.0666….
#[test]
fn running_statistics_by_hand() {
    let x = Array4::from_shape_vec((2, 1, 1, 2), vec![1.0, 2.0, 3.0, 4.0]).unwrap();
    let (g, b) = (array![1.0], array![0.0]);
    let (_, stats, _) = batchnorm_forward_train(x.view(), g.view(), b.view(), NORM_EPS, false);
    assert_eq!((stats.mean[0], stats.var[0], stats.count), (2.5, 1.25, 4));
    let (mut rm, mut rv) = (array![0.0f64], array![1.0f64]);
    batchnorm_update_running(rm.view_mut(), rv.view_mut(), &stats, BN_MOMENTUM);
    assert!((rm[0] - 0.25).abs() < 1e-15);
    assert!((rv[0] - (0.9 + 0.1 * 5.0 / 3.0)).abs() < 1e-15);
}

/// The f32 layers accumulate their statistics in f64, so a large group with a large mean
/// still normalises to f32 precision (a naive f32 sum of 2^18 values near 1000 loses
/// about 3 digits).
#[test]
fn batchnorm_f32_matches_f64_on_a_large_offset_group() {
    let mut rng = Rng::new(9);
    let x64: Array4<f64> = rng.uniform_array((4, 1, 256, 256), 999.0, 1001.0);
    let x32 = x64.mapv(|v| v as f32);
    let (g, b) = (array![1.0], array![0.0]);
    let (y64, _, _) = batchnorm_forward_train(x64.view(), g.view(), b.view(), NORM_EPS, false);
    let (g32, b32) = (array![1.0f32], array![0.0f32]);
    let (y32, _, _) = batchnorm_forward_train(x32.view(), g32.view(), b32.view(), NORM_EPS, false);
    let y32w = y32.mapv(f64::from);
    // x itself was rounded to f32 (relative 6e-8 of 1000 = 6e-5 absolute, on a spread
    // of 0.58): x̂ can only be as good as that, ≈ 1e-4.
    assert!(rel_error(&y64.view(), &y32w.view()) < 3e-4);
}

/// Upsampling and its backward pass on a 2×2 input, by hand.
#[test]
fn upsample_by_hand() {
    let x = array![[1.0, 2.0], [3.0, 4.0]]
        .into_shape_with_order((1, 1, 2, 2))
        .unwrap();
    let y = upsample2_forward(x.view());
    let expected = array![
        [1.0, 1.0, 2.0, 2.0],
        [1.0, 1.0, 2.0, 2.0],
        [3.0, 3.0, 4.0, 4.0],
        [3.0, 3.0, 4.0, 4.0],
    ];
    assert_eq!(y.clone().into_shape_with_order((4, 4)).unwrap(), expected);
    // dy = 1..16 row by row: the top-left block holds 1, 2, 5, 6 → 14, and so on.
    let dy = Array4::from_shape_vec((1, 1, 4, 4), (1..=16).map(f64::from).collect()).unwrap();
    let mut dx = Array4::zeros((1, 1, 2, 2));
    upsample2_backward(dy.view(), dx.view_mut());
    assert_eq!(
        dx.into_shape_with_order((2, 2)).unwrap(),
        array![[14.0, 22.0], [46.0, 54.0]]
    );
}

/// Concatenation puts the first input's channels first; the split gives them back.
#[test]
fn concat_and_split_by_hand() {
    let a = Array4::from_elem((1, 2, 1, 1), 1.0);
    let b = Array4::from_elem((1, 1, 1, 1), 2.0);
    let y = concat_channels(&[a.view(), b.view()]);
    assert_eq!(y.into_raw_vec_and_offset().0, vec![1.0, 1.0, 2.0]);
    let dy = Array4::from_shape_vec((1, 3, 1, 1), vec![5.0, 6.0, 7.0]).unwrap();
    let (mut da, mut db) = (Array4::zeros(a.raw_dim()), Array4::ones(b.raw_dim()));
    concat_channels_backward(dy.view(), &mut [da.view_mut(), db.view_mut()]);
    assert_eq!(da.into_raw_vec_and_offset().0, vec![5.0, 6.0]);
    // Added into, not overwritten: 1 + 7.
    assert_eq!(db[[0, 0, 0, 0]], 8.0);
}

/// The leaky ReLU with slope 0 is the ReLU, forward and backward.
#[test]
fn leaky_relu_with_zero_slope_is_relu() {
    let mut rng = Rng::new(5);
    let x: Array4<f64> = rng.uniform_array((2, 3, 4, 4), -1.0, 1.0);
    let dy: Array4<f64> = rng.uniform_array((2, 3, 4, 4), -1.0, 1.0);
    let (y1, c1) = relu_forward(x.clone(), true);
    let (y2, c2) = leaky_relu_forward(x, 0.0, true);
    assert_eq!(y1, y2);
    let (mut d1, mut d2) = (Array4::zeros(dy.raw_dim()), Array4::zeros(dy.raw_dim()));
    relu_backward(dy.view(), &c1.unwrap(), d1.view_mut());
    leaky_relu_backward(dy.view(), &c2.unwrap(), 0.0, d2.view_mut());
    assert_eq!(d1, d2);
}

#[test]
fn activation_names_round_trip() {
    for a in [
        Activation::Relu,
        Activation::LeakyRelu(0.01),
        Activation::LeakyRelu(0.2),
    ] {
        assert_eq!(a.name().parse::<Activation>().unwrap(), a);
    }
    assert_eq!(
        "leaky_relu".parse::<Activation>().unwrap(),
        Activation::LeakyRelu(0.01)
    );
    let e = "tanh".parse::<Activation>().unwrap_err();
    assert!(e.0.contains("unknown activation 'tanh'"), "{e}");
    assert!("leaky_relu:abc".parse::<Activation>().is_err());
}
