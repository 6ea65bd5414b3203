//! Every layer's backward pass against central finite differences in f64, over random
//! shapes, strides and paddings (proptest), plus adjoint tests and cases small enough
//! to compute by hand. Tolerances are explained in `nst::gradcheck::layers`.

use ndarray::{array, Array1, Array4};
use nst::gradcheck::layers::{self as checks, ConvCase, LAYER_TOL};
use nst::layers::{conv2d_forward, conv2d_forward_then, conv2d_naive, maxpool2_forward, ConvSpec};
use nst::math::im2col::Padding;
use nst::math::rng::Rng;
use nst::math::tensor::rel_error;
use proptest::prelude::*;

fn conv_case() -> impl Strategy<Value = ConvCase> {
    (
        1usize..3,
        1usize..4,
        1usize..8,
        1usize..8,
        1usize..4,
        prop::sample::select(vec![1usize, 2, 3, 5]),
        1usize..3,
        0usize..3,
        any::<bool>(),
    )
        .prop_map(|(n, c, h, w, o, k, stride, pad, circ)| ConvCase {
            n,
            c,
            h,
            w,
            o,
            k,
            spec: ConvSpec {
                stride,
                pad,
                padding: if circ {
                    Padding::Circular
                } else {
                    Padding::Zero
                },
            },
        })
        .prop_filter("kernel fits", |c| c.valid())
}

fn shape4() -> impl Strategy<Value = (usize, usize, usize, usize)> {
    (1usize..3, 1usize..4, 1usize..9, 1usize..9)
}

/// 1×1, stride 1, no padding: the forward pass skips im2col and reads X in place
/// (`conv2d_forward`), so check that path on its own, on odd sizes and a batch of 2.
#[test]
fn pointwise_conv_reads_the_input_in_place() {
    let mut rng = Rng::new(3);
    for (c, o, h, w) in [(1, 1, 1, 1), (3, 5, 7, 9), (8, 3, 16, 13), (40, 40, 6, 33)] {
        let x: Array4<f64> = rng.uniform_array((2, c, h, w), -1.0, 1.0);
        let wt: Array4<f64> = rng.uniform_array((o, c, 1, 1), -1.0, 1.0);
        let b: Array1<f64> = rng.uniform_array(o, -1.0, 1.0);
        for padding in [
            nst::math::im2col::Padding::Zero,
            nst::math::im2col::Padding::Circular,
        ] {
            let spec = ConvSpec {
                stride: 1,
                pad: 0,
                padding,
            };
            let fast = conv2d_forward(x.view(), wt.view(), b.view(), &spec);
            let naive = conv2d_naive(x.view(), wt.view(), b.view(), &spec);
            assert!(
                rel_error(&fast.view(), &naive.view()) < 1e-13,
                "{c}→{o} {h}×{w}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// The im2col + GEMM convolution equals the seven-loop definition.
    #[test]
    fn conv_fast_matches_naive(case in conv_case(), seed: u64) {
        let mut rng = Rng::new(seed);
        let x: Array4<f64> = rng.uniform_array((case.n, case.c, case.h, case.w), -1.0, 1.0);
        let w: Array4<f64> = rng.uniform_array((case.o, case.c, case.k, case.k), -1.0, 1.0);
        let b: Array1<f64> = rng.uniform_array(case.o, -1.0, 1.0);
        let fast = conv2d_forward(x.view(), w.view(), b.view(), &case.spec);
        let naive = conv2d_naive(x.view(), w.view(), b.view(), &case.spec);
        prop_assert!(rel_error(&fast.view(), &naive.view()) < 1e-13);
    }

    /// With an activation fused in (`conv2d_forward_then`, the generator's inference
    /// pass), the output is the activation of the seven-loop definition's.
    #[test]
    fn conv_then_activation_matches_naive(case in conv_case(), seed: u64, slope in 0.0f64..0.5) {
        let mut rng = Rng::new(seed);
        let x: Array4<f64> = rng.uniform_array((case.n, case.c, case.h, case.w), -1.0, 1.0);
        let w: Array4<f64> = rng.uniform_array((case.o, case.c, case.k, case.k), -1.0, 1.0);
        let b: Array1<f64> = rng.uniform_array(case.o, -1.0, 1.0);
        let act = |v: f64| if v > 0.0 { v } else { slope * v };
        let fused = conv2d_forward_then(x.view(), w.view(), b.view(), &case.spec, Some(act));
        let naive = conv2d_naive(x.view(), w.view(), b.view(), &case.spec).mapv(act);
        prop_assert!(rel_error(&fused.view(), &naive.view()) < 1e-13);
    }

    /// dX, dW and db of conv2d against central differences (tolerance 1e-7 relative).
    #[test]
    fn conv_backward_matches_finite_differences(case in conv_case(), seed: u64) {
        for c in checks::check_conv2d(&case, seed) {
            prop_assert!(c.passed(), "{c:?}");
        }
    }

    /// ⟨W⊛X, Y⟩ = ⟨X, dX(Y)⟩ to round-off (1e-12).
    #[test]
    fn conv_input_gradient_is_the_adjoint(case in conv_case(), seed: u64) {
        let c = checks::check_conv2d_adjoint(&case, seed);
        prop_assert!(c.passed(), "{c:?}");
    }

    #[test]
    fn relu_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        let c = checks::check_relu(shape, seed);
        prop_assert!(c.passed(), "{c:?}");
    }

    #[test]
    fn maxpool_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        prop_assume!(shape.2 >= 2 && shape.3 >= 2);
        let c = checks::check_maxpool(shape, seed);
        prop_assert!(c.passed(), "{c:?}");
    }

    #[test]
    fn avgpool_backward_matches_finite_differences(shape in shape4(), seed: u64) {
        prop_assume!(shape.2 >= 2 && shape.3 >= 2);
        let c = checks::check_avgpool(shape, seed);
        prop_assert!(c.passed(), "{c:?}");
    }
}

/// A 1-channel 4×4 input and a 3×3 kernel, zero padding 1, worked out by hand.
///
/// ```text
/// X = 1  2  3  4      K = 0 1 0     (a "plus" that sums a pixel and its 4 neighbours)
///     5  6  7  8          1 1 1
///     9 10 11 12          0 1 0
///    13 14 15 16
/// ```
/// Y[0,0] = 1 + 2 + 5 = 8 (the neighbours above and left are padding);
/// Y[0,1] = 2 + 1 + 3 + 6 = 12; Y[1,1] = 6 + 2 + 5 + 7 + 10 = 30;
/// Y[3,3] = 16 + 12 + 15 = 43; bias 0.5 on top.
#[test]
fn conv_hand_computed_plus_kernel() {
    let x = Array4::from_shape_vec((1, 1, 4, 4), (1..=16).map(f64::from).collect()).unwrap();
    let k = array![[0.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 1.0, 0.0]]
        .into_shape_with_order((1, 1, 3, 3))
        .unwrap();
    let y = conv2d_forward(x.view(), k.view(), array![0.5].view(), &ConvSpec::SAME3);
    let expected = array![
        [8.0, 12.0, 16.0, 15.0],
        [21.0, 30.0, 35.0, 31.0],
        [37.0, 50.0, 55.0, 47.0],
        [36.0, 52.0, 56.0, 43.0],
    ] + 0.5;
    assert_eq!(y.into_shape_with_order((4, 4)).unwrap(), expected);
}

/// Stride 2, no padding: a 2×2 averaging kernel on the same input gives the means of
/// the four 2×2 blocks — the same numbers as average pooling.
#[test]
fn conv_stride2_equals_average_pooling_by_hand() {
    let x = Array4::from_shape_vec((1, 1, 4, 4), (1..=16).map(f64::from).collect()).unwrap();
    let k = Array4::from_elem((1, 1, 2, 2), 0.25);
    let spec = ConvSpec {
        stride: 2,
        pad: 0,
        padding: Padding::Zero,
    };
    let y = conv2d_forward(x.view(), k.view(), array![0.0].view(), &spec);
    assert_eq!(
        y.into_shape_with_order((2, 2)).unwrap(),
        array![[3.5, 5.5], [11.5, 13.5]]
    );
    let (m, _) = maxpool2_forward(x.view(), false);
    assert_eq!(
        m.into_shape_with_order((2, 2)).unwrap(),
        array![[6.0, 8.0], [14.0, 16.0]]
    );
}

/// The fixed table behind `nst gradcheck` passes as a whole, and nobody loosened a
/// tolerance: 1e-7 for the (piecewise) linear layers, 1e-6 for the normalisations.
#[test]
fn standard_table_passes() {
    for (layer, results) in checks::standard_checks(42) {
        let limit = if layer.ends_with("norm") {
            checks::NORM_TOL
        } else {
            LAYER_TOL
        };
        for c in results {
            assert!(c.passed(), "{layer}: {c:?}");
            assert!(c.tol <= limit, "{layer}: tolerance {}", c.tol);
        }
    }
}
