//! The objective evaluated tile by tile equals the whole picture's: loss terms and
//! gradient (module documentation of `objective::tiled` for why).
//!
//! In `f64` on a small random VGG16 the two agree to round-off (bar 1e-10 relative),
//! over odd sizes, tiles smaller than the margins, a single tile, and tiles that do not
//! divide the picture; with both normalisations, taps on ReLUs and on convolutions, and
//! total variation. In `f32` on the real weights, to 1e-5 relative with the im2col
//! convolutions (with Winograd's, see the test's comment).

mod common;

use ndarray::Array4;
use nst::layers::ConvAlgo;
use nst::loss::objective::{LossSpec, Objective};
use nst::loss::Normalization;
use nst::math::rng::Rng;
use nst::math::tensor::Real;
use nst::net::vgg::{Arch, Pooling, Vgg};

fn rel_max<T: Real>(a: &Array4<T>, b: &Array4<T>) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.f64().abs()));
    let diff = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x.f64() - y.f64()).abs()));
    diff / scale.max(f64::MIN_POSITIVE)
}

fn rel_l2<T: Real>(a: &Array4<T>, b: &Array4<T>) -> f64 {
    let d: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x.f64() - y.f64()).powi(2))
        .sum();
    let n: f64 = b.iter().map(|y| y.f64().powi(2)).sum();
    (d / n.max(f64::MIN_POSITIVE)).sqrt()
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(f64::MIN_POSITIVE)
}

/// Evaluate whole and tiled at `core` and compare every term and the gradient.
fn compare<T: Real>(obj: &Objective<T>, x: &Array4<T>, core: usize, tol: f64, what: &str) {
    let (whole, g_whole) = obj.evaluate(x);
    let grid = obj.tile_grid(core).unwrap();
    let mut calls = 0;
    let (tiled, g_tiled) = obj
        .evaluate_tiled(x, &grid, |done, total| {
            calls += 1;
            assert!(done <= total);
        })
        .unwrap();
    let (h, w) = (x.dim().2, x.dim().3);
    let tiles = grid.cores(h).len() * grid.cores(w).len();
    assert_eq!(
        calls,
        2 * tiles,
        "{what}: one progress call per tile and pass"
    );
    assert_eq!(whole.per_layer.len(), tiled.per_layer.len(), "{what}");
    for ((n1, v1), (n2, v2)) in whole.per_layer.iter().zip(&tiled.per_layer) {
        assert_eq!(n1, n2, "{what}");
        assert!(rel(*v2, *v1) <= tol, "{what} {n1}: {v2:e} vs {v1:e}");
    }
    for (name, a, b) in [
        ("total", tiled.total, whole.total),
        ("content", tiled.content, whole.content),
        ("style", tiled.style, whole.style),
        ("tv", tiled.tv, whole.tv),
    ] {
        if b != 0.0 {
            assert!(rel(a, b) <= tol, "{what} {name}: {a:e} vs {b:e}");
        }
    }
    let e = rel_max(&g_tiled, &g_whole);
    eprintln!("{what}: core {core} → grid {grid:?}, {tiles} tiles: gradient rel {e:.1e}");
    assert!(
        e <= tol,
        "{what}: core {core}: gradient rel {e:e} > {tol:e}"
    );
}

/// The totals and the gradients of two evaluations agree to 1e-10 relative (`f64`).
fn same_total_and_gradient((a, ga): (f64, &Array4<f64>), (b, gb): (f64, &Array4<f64>)) {
    assert!(rel(b, a) <= 1e-10, "{b} vs {a}");
    let e = rel_max(gb, ga);
    assert!(e <= 1e-10, "gradient rel {e:e}");
}

fn spec(norm: Normalization, on_convs: bool, tv: f64) -> LossSpec {
    let mut s = match norm {
        Normalization::Gatys => LossSpec::gatys(),
        Normalization::Seed002 => LossSpec::seed002(),
    };
    if !on_convs {
        // The ReLU layers with the same names.
        for (n, _) in s.content_layers.iter_mut().chain(&mut s.style_layers) {
            *n = n.replace("conv", "relu");
        }
    }
    s.tv_weight = tv;
    s
}

/// Style at relu1_1, relu2_1, relu3_1 and content at relu2_2: margins of 12 and 24
/// pixels, so that pictures of a few dozen pixels already cut into real crops.
fn shallow(norm: Normalization, on_convs: bool, tv: f64) -> LossSpec {
    let prefix = if on_convs { "conv" } else { "relu" };
    let mut s = spec(norm, on_convs, tv);
    s.style_layers = ["1_1", "2_1", "3_1"]
        .iter()
        .map(|l| (format!("{prefix}{l}"), 1.0 / 3.0))
        .collect();
    s.content_layers = vec![(format!("{prefix}2_2"), 1.0)];
    s
}

/// A spec maker, the picture sizes and the tile cores to try with it.
type Case = (
    fn(Normalization, bool, f64) -> LossSpec,
    &'static [(usize, usize)],
    &'static [usize],
);

#[test]
fn tiled_equals_whole_in_f64_on_a_random_network() {
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 5, 6, 6, 6], 3);
    let mut rng = Rng::new(11);
    let style: Array4<f64> = rng.uniform_array((1, 3, 40, 36), -100.0, 100.0);
    let cases: [Case; 2] = [
        // Tiles smaller than the margins, not dividing the picture, and one tile.
        (shallow, &[(45, 71), (64, 48), (33, 17)], &[4, 8, 20, 1000]),
        // Gatys' layers, down to relu5_1 (margins 64 and 144): a picture large enough
        // that the crops are not the whole picture.
        (spec, &[(400, 353)], &[48, 1000]),
    ];
    for (make, sizes, cores) in cases {
        for &(h, w) in sizes {
            let content: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
            let x: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
            for (norm, on_convs, tv) in [
                (Normalization::Gatys, false, 0.0),
                (Normalization::Seed002, true, 1e-3),
            ] {
                let s = make(norm, on_convs, tv);
                let obj = Objective::new(&vgg, s, Some(&content), &[(style.clone(), 1.0)], (h, w))
                    .unwrap();
                for &core in cores {
                    let what = format!("{h}×{w} {norm:?} convs={on_convs}");
                    compare(&obj, &x, core, 1e-10, &what);
                }
            }
        }
    }
}

#[test]
fn the_grid_is_aligned_and_its_margins_cover_the_receptive_fields() {
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 5, 6, 6, 6], 3);
    let mut rng = Rng::new(1);
    let content: Array4<f64> = rng.uniform_array((1, 3, 64, 64), -1.0, 1.0);
    let obj = Objective::new(
        &vgg,
        LossSpec::gatys(),
        Some(&content),
        &[(content.clone(), 1.0)],
        (64, 64),
    )
    .unwrap();
    let grid = obj.tile_grid(100).unwrap();
    // relu5_1: stride 16, receptive field 132 → margins 58 and 131, rounded up to 16s.
    assert_eq!(grid.align, 16);
    assert_eq!(grid.core, 112);
    assert_eq!((grid.gram_margin, grid.grad_margin), (64, 144));
    assert_eq!(grid.cores(250), [(0, 112), (112, 224), (224, 250)]);
    assert!(!grid.wrap);
    // A circularly padded network's grid wraps around the picture, with the same margins.
    let circ = vgg.with_padding(nst::math::im2col::Padding::Circular);
    let mut o2 = obj.clone();
    o2.set_network(&circ);
    let g2 = o2.tile_grid(100).unwrap();
    assert_eq!(g2, nst::loss::objective::TileGrid { wrap: true, ..grid });
    // Its crops take the margin on both sides of every core.
    assert_eq!(g2.largest_crop((250, 250)), (112 + 288, 112 + 288));
    assert_eq!(grid.largest_crop((250, 250)), (250, 250));
}

/// A tileable texture's network is padded circularly: its features are those of the
/// picture's periodic tiling. Tiled on a grid that wraps, every crop is a window of that
/// tiling, so tiled and whole agree to round-off again (bar 1e-10 in `f64`): crops that
/// wrap on one side or both, crops larger than the picture (margins of 144 pixels around
/// a 96×80 picture), one tile, tiles that do not divide the picture, with content
/// targets (whose crops wrap too) and without.
#[test]
fn a_picture_that_wraps_around_tiles_exactly() {
    use nst::math::im2col::Padding;
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 5, 6, 6, 6], 3);
    let circ = vgg.with_padding(Padding::Circular);
    let mut rng = Rng::new(21);
    let style: Array4<f64> = rng.uniform_array((1, 3, 40, 36), -100.0, 100.0);
    let cases: [Case; 2] = [
        // Alignment 4, margins 12 and 24.
        (
            shallow,
            &[(100, 120), (64, 48), (16, 24)],
            &[4, 8, 20, 1000],
        ),
        // Down to relu5_1: alignment 16, margins 64 and 144.
        (spec, &[(96, 80)], &[32, 48]),
    ];
    for (make, sizes, cores) in cases {
        for &(h, w) in sizes {
            let content: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
            let x: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
            for (norm, on_convs, tv, with_content) in [
                (Normalization::Gatys, false, 0.0, false),
                (Normalization::Seed002, true, 1e-3, true),
            ] {
                let mut s = make(norm, on_convs, tv);
                if !with_content {
                    s.content_layers.clear();
                }
                let content = with_content.then_some(&content);
                // Targets through the zero-padded network, evaluation through the
                // circular one, as `nst texture --tileable` does.
                let mut obj =
                    Objective::new(&vgg, s, content, &[(style.clone(), 1.0)], (h, w)).unwrap();
                obj.set_network(&circ);
                for &core in cores {
                    let what = format!("wrapping {h}×{w} {norm:?} content={with_content}");
                    assert!(obj.tile_grid(core).unwrap().wrap);
                    compare(&obj, &x, core, 1e-10, &what);
                }
            }
        }
    }
}

#[test]
fn an_objective_built_tiled_wraps_once_its_network_is_circular() {
    use nst::math::im2col::Padding;
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 5, 6, 6, 6], 5);
    let circ = vgg.with_padding(Padding::Circular);
    let mut rng = Rng::new(8);
    let (h, w) = (48, 64);
    let style: Array4<f64> = rng.uniform_array((1, 3, 50, 40), -100.0, 100.0);
    let x: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
    let mut s = shallow(Normalization::Gatys, false, 0.0);
    s.content_layers.clear();
    let styles = [(style, 1.0)];
    let mut whole = Objective::new(&vgg, s.clone(), None, &styles, (h, w)).unwrap();
    let mut tiled = Objective::new_tiled(&vgg, s, None, &styles, (h, w), 16).unwrap();
    whole.set_network(&circ);
    tiled.set_network(&circ);
    assert_eq!(tiled.tiles().map(|g| g.wrap), Some(true));
    let (t1, g1) = whole.evaluate(&x);
    let (t2, g2) = tiled.evaluate(&x);
    same_total_and_gradient((t1.total, &g1), (t2.total, &g2));
    // The comparison can fail: with the gradient pass's margin cut from 24 to 8 the
    // wrapping crops are visibly wrong.
    let short = nst::loss::objective::TileGrid {
        grad_margin: 8,
        ..*tiled.tiles().unwrap()
    };
    let (_, g3) = tiled.evaluate_tiled(&x, &short, |_, _| {}).unwrap();
    let e = rel_max(&g3, &g1);
    assert!(
        e > 1e-6,
        "margin 8: gradient rel {e:e}, expected a visible error"
    );
    // Without wrapping (the zero-padded grid on the circular network) it is refused;
    // sides that are not multiples of the alignment are refused too.
    let flat = nst::loss::objective::TileGrid {
        wrap: false,
        ..*tiled.tiles().unwrap()
    };
    let err = tiled.evaluate_tiled(&x, &flat, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("disagree"), "{err}");
    let odd: Array4<f64> = rng.uniform_array((1, 3, h + 2, w), -100.0, 100.0);
    let grid = *tiled.tiles().unwrap();
    let err = tiled.evaluate_tiled(&odd, &grid, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("multiples of 4"), "{err}");
}

/// On the real weights in `f32` with the im2col convolutions, tiled and whole agree to
/// 1.4e-7 (max) and 2.4e-7 (L2) relative, loss to 1e-8: round-off (bar 1e-5).
///
/// With the default Winograd F(4,3) convolutions the difference is larger, 8.0e-6 (L2):
/// a crop shifts where Winograd's 4×4 output tiles fall, so the round-off differs, and
/// near-zero ReLU inputs and near-tied poolings flip with it. That is round-off of the
/// algorithm, not of the tiling: the whole picture's gradients by F(4,3) and by im2col
/// differ by 4.3e-4 (L2), fifty times more (both printed). The test bounds the tiled difference at 2e-5 (L2); with the
/// interpolation points 0, ±1, ±2 (Lavin's) it was 1.6e-5, and would fail a bar of 1e-5.
#[test]
fn tiled_equals_whole_in_f32_on_the_real_weights() {
    let Some(dir) = common::weights_dir() else {
        return;
    };
    let (vgg, conv) = Vgg::<f32>::load(&dir, Pooling::Max).unwrap();
    let mut rng = Rng::new(5);
    // Large enough that the crops (a core and 144 pixels each side) are not the picture.
    let (h, w) = (448, 385);
    let pic = |rng: &mut Rng, h, w| {
        let rgb: ndarray::Array3<f32> = rng.uniform_array((h, w, 3), 0.0, 1.0);
        conv.preprocess(rgb.view())
    };
    let content = pic(&mut rng, h, w);
    let style = pic(&mut rng, 128, 128);
    let x = pic(&mut rng, h, w);
    let im2col = vgg.clone().with_conv(ConvAlgo::Im2col);
    let styles = [(style, 1.0)];
    let obj_im2col =
        Objective::new(&im2col, LossSpec::gatys(), Some(&content), &styles, (h, w)).unwrap();
    compare(&obj_im2col, &x, 96, 1e-5, "real weights f32, im2col");

    let obj = Objective::new(&vgg, LossSpec::gatys(), Some(&content), &styles, (h, w)).unwrap();
    let (_, whole) = obj.evaluate(&x);
    let grid = obj.tile_grid(96).unwrap();
    let (_, tiled) = obj.evaluate_tiled(&x, &grid, |_, _| {}).unwrap();
    let e = rel_l2(&tiled, &whole);
    let (_, whole_im2col) = obj_im2col.evaluate(&x);
    let algo = rel_l2(&whole, &whole_im2col);
    eprintln!(
        "real weights f32, auto: tiled against whole {e:.1e} (L2); whole by auto against whole by im2col {algo:.1e}"
    );
    assert!(e <= 2e-5, "auto: gradient rel (L2) {e:e}");
}

#[test]
fn an_objective_built_tiled_has_the_same_targets_and_evaluates_tiled() {
    // Targets from a content picture and two style pictures larger than a tile, computed
    // tile by tile; then `evaluate` itself runs tiled. Both against the whole picture's.
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 5, 6, 6, 6], 9);
    let mut rng = Rng::new(2);
    let (h, w) = (53, 70);
    let content: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
    let styles: Vec<(Array4<f64>, f64)> = vec![
        (rng.uniform_array((1, 3, 81, 47), -100.0, 100.0), 0.7),
        (rng.uniform_array((1, 3, 50, 50), -100.0, 100.0), 0.3),
    ];
    let x: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
    let mut s = LossSpec::gatys();
    s.tv_weight = 1e-2;
    let whole = Objective::new(&vgg, s.clone(), Some(&content), &styles, (h, w)).unwrap();
    let tiled = Objective::new_tiled(&vgg, s, Some(&content), &styles, (h, w), 16).unwrap();
    assert!(whole.tiles().is_none());
    assert_eq!(tiled.tiles().map(|g| g.core), Some(16));
    let (t1, g1) = whole.evaluate(&x);
    let (t2, g2) = tiled.evaluate(&x);
    for ((n, a), (_, b)) in t1.per_layer.iter().zip(&t2.per_layer) {
        assert!(rel(*b, *a) <= 1e-10, "{n}: {b:e} vs {a:e}");
    }
    same_total_and_gradient((t1.total, &g1), (t2.total, &g2));
}

#[test]
fn margins_smaller_than_derived_are_not_exact() {
    // The comparison can fail: with the gradient pass's margin cut from 24 to 8, or the
    // Gram pass's from 12 to 4, the tiled gradient is wrong by far more than round-off.
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [4, 5, 6, 6, 6], 3);
    let mut rng = Rng::new(4);
    let (h, w) = (64, 64);
    let content: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
    let x: Array4<f64> = rng.uniform_array((1, 3, h, w), -100.0, 100.0);
    let s = shallow(Normalization::Gatys, false, 0.0);
    let obj = Objective::new(&vgg, s, Some(&content), &[(content.clone(), 1.0)], (h, w)).unwrap();
    let (_, g_whole) = obj.evaluate(&x);
    let exact = obj.tile_grid(16).unwrap();
    assert_eq!((exact.gram_margin, exact.grad_margin), (12, 24));
    for grid in [
        nst::loss::objective::TileGrid {
            grad_margin: 8,
            ..exact
        },
        nst::loss::objective::TileGrid {
            gram_margin: 4,
            ..exact
        },
    ] {
        let (_, g) = obj.evaluate_tiled(&x, &grid, |_, _| {}).unwrap();
        let e = rel_max(&g, &g_whole);
        assert!(
            e > 1e-6,
            "{grid:?}: gradient rel {e:e}, expected a visible error"
        );
    }
}
