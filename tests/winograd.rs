//! Winograd convolutions (`nst::layers::winograd`) against the im2col path and against
//! finite differences: gradient checks over random shapes (proptest, f64), the accuracy
//! of both algorithms in f32, whole networks by either algorithm, and the choices
//! `--conv` makes.

use ndarray::{Array1, Array4};
use nst::gradcheck::layers::{self as checks, ConvCase};
use nst::layers::{
    conv2d_forward, winograd_forward, winograd_input_grad, ConvAlgo, ConvSpec, WinogradKernel,
    WinogradTile,
};
use nst::math::im2col::Padding;
use nst::math::rng::Rng;
use nst::math::tensor::{cast, rel_error};
use nst::net::vgg::{Arch, Pooling, Vgg};
use proptest::prelude::*;

fn same3(padding: Padding) -> ConvSpec {
    ConvSpec {
        stride: 1,
        pad: 1,
        padding,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// dX against central differences, the adjoint identity and the im2col backward, on
    /// sides that are and are not multiples of the tile (1 … 13), both paddings.
    #[test]
    fn winograd_input_gradient_checks(
        n in 1usize..3, c in 1usize..4, o in 1usize..4, h in 1usize..14, w in 1usize..14,
        circ in any::<bool>(), f4 in any::<bool>(), seed in 0u64..1000,
    ) {
        let padding = if circ { Padding::Circular } else { Padding::Zero };
        let case = ConvCase { n, c, h, w, o, k: 3, spec: same3(padding) };
        let tile = if f4 { WinogradTile::F4 } else { WinogradTile::F2 };
        for check in checks::check_winograd(&case, tile, seed) {
            prop_assert!(check.passed(), "{} {}: {:e} > {:e}", check.name, check.shape, check.rel, check.tol);
        }
    }

    /// The forward pass equals im2col's in f64 (round-off only) on random shapes.
    #[test]
    fn winograd_forward_equals_im2col(
        c in 1usize..6, o in 1usize..6, h in 1usize..20, w in 1usize..20,
        circ in any::<bool>(), f4 in any::<bool>(), seed in 0u64..1000,
    ) {
        let padding = if circ { Padding::Circular } else { Padding::Zero };
        let tile = if f4 { WinogradTile::F4 } else { WinogradTile::F2 };
        let mut rng = Rng::new(seed);
        let x: Array4<f64> = rng.uniform_array((1, c, h, w), -1.0, 1.0);
        let wt: Array4<f64> = rng.uniform_array((o, c, 3, 3), -1.0, 1.0);
        let b: Array1<f64> = rng.uniform_array(o, -1.0, 1.0);
        let k = WinogradKernel::new(wt.view(), tile);
        let fast = winograd_forward(x.view(), &k, b.view(), padding);
        let reference = conv2d_forward(x.view(), wt.view(), b.view(), &same3(padding));
        prop_assert!(rel_error(&fast.view(), &reference.view()) < 1e-13);
    }
}

/// The tile-row path (narrow layers on rows of at least 64 tiles, zero padding) through
/// the same checks as the proptests above: central differences, the adjoint identity and
/// the im2col backward, on a width that is not a multiple of the tile.
#[test]
fn tile_rows_pass_the_gradient_checks() {
    let case = ConvCase {
        n: 1,
        c: 2,
        h: 9,
        w: 257,
        o: 2,
        k: 3,
        spec: same3(Padding::Zero),
    };
    for check in checks::check_winograd(&case, WinogradTile::F4, 3) {
        assert!(
            check.passed(),
            "{} {}: {:e} > {:e}",
            check.name,
            check.shape,
            check.rel,
            check.tol
        );
    }
}

// ANCHOR: winograd_accuracy
/// f32 accuracy of each algorithm per layer shape, against the f64 convolution: inputs
/// like post-ReLU activations (uniform in [0, 1)), weights at He scale. F(2,3) must stay
/// within 1e-6 relative to the output's largest value (as im2col does); F(4,3) within
/// 3e-6 (measured: 1.1e-6 to 1.6e-6 forward, 1.6e-6 to 2.4e-6 for the input gradient).
/// With Lavin's interpolation points 0, ±1, ±2 instead of 0, ±3/4, ±3/2, F(4,3) measured
/// 3.3e-6 to 5.1e-6 forward and 4.2e-6 to 7.3e-6 backward here, and would fail.
#[test]
fn winograd_f32_accuracy_per_layer() {
    let mut rng = Rng::new(11);
    for (c, o, side) in [(64, 64, 48), (128, 128, 24), (256, 256, 13), (512, 512, 7)] {
        let x: Array4<f64> = rng.uniform_array((1, c, side, side), 0.0, 1.0);
        let wt: Array4<f64> = rng.normal_array((o, c, 3, 3), (2.0 / (9 * c) as f64).sqrt());
        let b: Array1<f64> = rng.normal_array(o, 0.1);
        let exact = conv2d_forward(x.view(), wt.view(), b.view(), &same3(Padding::Zero));
        let (x32, w32, b32) = (
            cast::<f64, f32, _>(&x.view()),
            cast::<f64, f32, _>(&wt.view()),
            cast::<f64, f32, _>(&b.view()),
        );
        let im2col = conv2d_forward(x32.view(), w32.view(), b32.view(), &same3(Padding::Zero));
        let e_im2col = rel_error(&cast::<f32, f64, _>(&im2col.view()).view(), &exact.view());
        let mut line = format!("{c}→{o} at {side}²: im2col {e_im2col:.1e}");
        for (tile, bound) in [(WinogradTile::F2, 1e-6), (WinogradTile::F4, 3e-6)] {
            let k = WinogradKernel::new(w32.view(), tile);
            let y = winograd_forward(x32.view(), &k, b32.view(), Padding::Zero);
            let e = rel_error(&cast::<f32, f64, _>(&y.view()).view(), &exact.view());
            line += &format!(", {} {e:.1e}", tile.name());
            assert!(
                e <= bound,
                "{c}→{o}: {} relative error {e:e} > {bound:e}",
                tile.name()
            );
            // the backward pass, against the f64 im2col input gradient
            let dy: Array4<f64> = rng.uniform_array(exact.raw_dim(), -1.0, 1.0);
            let dx = winograd_input_grad(cast::<f64, f32, _>(&dy.view()).view(), &k, Padding::Zero);
            let dx_exact = nst::layers::conv2d_input_grad(
                wt.view(),
                dy.view(),
                &same3(Padding::Zero),
                (side, side),
            );
            let e = rel_error(&cast::<f32, f64, _>(&dx.view()).view(), &dx_exact.view());
            line += &format!(" (dX {e:.1e})");
            assert!(
                e <= bound,
                "{c}→{o}: {} dX relative error {e:e} > {bound:e}",
                tile.name()
            );
        }
        eprintln!("{line}");
    }
}
// ANCHOR_END: winograd_accuracy

/// A whole (narrow, random) VGG16 by each algorithm: taps and the input gradient equal
/// im2col's in f64 to round-off, on a size that is not a multiple of the tiles.
#[test]
fn vgg_by_winograd_equals_vgg_by_im2col() {
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 8, 8, 16, 16], 7);
    let names = ["relu1_1", "relu2_2", "relu3_3", "relu4_2", "relu5_1"];
    let taps = vgg.layer_indices(&names).unwrap();
    let mut rng = Rng::new(8);
    let x: Array4<f64> = rng.uniform_array((1, 3, 37, 45), -1.0, 1.0);
    let reference = vgg.clone().with_conv(ConvAlgo::Im2col);
    let f_ref = reference.forward(x.view(), &taps, true);
    let grads: Vec<_> = f_ref
        .taps
        .iter()
        .map(|(i, a)| (*i, rng.uniform_array(a.raw_dim(), -1.0, 1.0)))
        .collect();
    let g_ref = reference.backward(&f_ref, grads.clone());
    for algo in [ConvAlgo::WinogradF2, ConvAlgo::WinogradF4, ConvAlgo::Auto] {
        let net = vgg.clone().with_conv(algo);
        let f = net.forward(x.view(), &taps, true);
        for ((i, a), (_, b)) in f.taps.iter().zip(&f_ref.taps) {
            let e = rel_error(&a.view(), &b.view());
            assert!(e < 1e-12, "{} at layer {i}: {e:e}", algo.name());
        }
        let g = net.backward(&f, grads.clone());
        let e = rel_error(&g.view(), &g_ref.view());
        assert!(e < 1e-12, "{} input gradient: {e:e}", algo.name());
    }
}

/// Pictures smaller than one tile and 1-pixel-wide feature maps (relu5_1 of a 16×16
/// input is 1×1): every algorithm runs and agrees.
#[test]
fn tiny_pictures_and_one_pixel_maps() {
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 4, 4, 4, 4], 9);
    let tap = vgg.layer_indices(&["relu5_1"]).unwrap();
    let mut rng = Rng::new(10);
    for (h, w) in [(16, 16), (16, 35), (17, 16)] {
        let x: Array4<f64> = rng.uniform_array((1, 3, h, w), -1.0, 1.0);
        let a = vgg
            .clone()
            .with_conv(ConvAlgo::Im2col)
            .forward(x.view(), &tap, false);
        let b = vgg
            .clone()
            .with_conv(ConvAlgo::WinogradF4)
            .forward(x.view(), &tap, false);
        assert!(
            rel_error(&a.taps[0].1.view(), &b.taps[0].1.view()) < 1e-12,
            "{h}×{w}"
        );
    }
}

/// `--conv` parsing, and the layers each choice runs by Winograd: never one that is not
/// 3×3, stride 1, padding 1 (those fall back to im2col, whatever was asked).
#[test]
fn conv_choices() {
    assert_eq!("winograd".parse::<ConvAlgo>(), Ok(ConvAlgo::WinogradF4));
    assert_eq!("im2col".parse::<ConvAlgo>(), Ok(ConvAlgo::Im2col));
    let err = "fft".parse::<ConvAlgo>().unwrap_err().0;
    assert!(err.contains("'fft'") && err.contains("im2col"), "{err}");
    let forced = ConvAlgo::WinogradF4;
    assert_eq!(
        forced.choose(64, 64, (32, 32), (3, 3, 1, 1)),
        Some(WinogradTile::F4)
    );
    assert_eq!(forced.choose(64, 64, (32, 32), (1, 1, 1, 0)), None, "1×1");
    assert_eq!(
        forced.choose(64, 64, (32, 32), (3, 3, 2, 1)),
        None,
        "stride 2"
    );
    assert_eq!(
        forced.choose(64, 64, (32, 32), (3, 3, 1, 0)),
        None,
        "padding 0"
    );
    assert_eq!(
        ConvAlgo::Im2col.choose(64, 64, (32, 32), (3, 3, 1, 1)),
        None
    );
    // auto keeps im2col for VGG's first layer (3 input channels)
    assert_eq!(ConvAlgo::Auto.choose(3, 64, (256, 256), (3, 3, 1, 1)), None);
    assert!(ConvAlgo::Auto
        .choose(64, 64, (256, 256), (3, 3, 1, 1))
        .is_some());
}
