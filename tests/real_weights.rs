//! Tests on the real ImageNet VGG16 weights (fetched by `bash weights/fetch.sh`, which
//! `.ci/run` runs first). Without the weights these tests fail with the fetch command,
//! unless NST_ALLOW_MISSING_WEIGHTS=1 is set (for quick local runs).

mod common;

use ndarray::Ix3;
use nst::math::tensor::rel_error;
use nst::net::vgg::{Pooling, Vgg};

use common::weights_dir;

/// Our f32 VGG16 against ONNX Runtime running the original model
/// (`scripts/reference/onnx_vgg16_fixtures.py`), on a 64×80 photo: relative error
/// ≤ 1e-4 at relu1_2, relu3_3, relu5_3 and pool5. This checks the weights' conversion,
/// the preprocessing convention (BGR, 0–255, mean subtraction) and the forward pass.
#[test]
fn vgg16_matches_onnx_runtime() {
    let Some(dir) = weights_dir() else { return };
    let (vgg, convention) = Vgg::<f32>::load(&dir, Pooling::Max).unwrap();
    let rgb = common::load("onnx_vgg16/input_rgb.npy")
        .into_dimensionality::<Ix3>()
        .unwrap()
        .mapv(|v| v as f32);
    let x = convention.preprocess(rgb.view());
    let names = ["relu1_2", "relu3_3", "relu5_3", "pool5"];
    let taps = vgg.layer_indices(&names).unwrap();
    let fwd = vgg.forward(x.view(), &taps, false);
    for (name, &tap) in names.iter().zip(&taps) {
        let ours = fwd
            .get(tap)
            .unwrap()
            .index_axis(ndarray::Axis(0), 0)
            .mapv(|v| v as f64);
        let theirs = common::load(&format!("onnx_vgg16/{name}.npy"))
            .into_dimensionality::<Ix3>()
            .unwrap();
        assert_eq!(ours.dim(), theirs.dim(), "{name} shape");
        let e = rel_error(&ours.view(), &theirs.view());
        eprintln!("{name}: relative error {e:.2e} against ONNX Runtime");
        assert!(e <= 1e-4, "{name}: relative error {e:e} > 1e-4");
    }
}

/// The same comparison for every `--conv` algorithm, at pool5 (the deepest layer, where
/// round-off has passed through all 13 convolutions): the default (`auto`) within 1e-5 of
/// ONNX Runtime, every algorithm within 1e-4. Prints each error, and im2col's for scale.
#[test]
fn vgg16_matches_onnx_runtime_by_every_conv_algorithm() {
    let Some(dir) = weights_dir() else { return };
    let (vgg, convention) = Vgg::<f32>::load(&dir, Pooling::Max).unwrap();
    let rgb = common::load("onnx_vgg16/input_rgb.npy")
        .into_dimensionality::<Ix3>()
        .unwrap()
        .mapv(|v| v as f32);
    let x = convention.preprocess(rgb.view());
    let tap = vgg.layer_indices(&["pool5"]).unwrap();
    let theirs = common::load("onnx_vgg16/pool5.npy")
        .into_dimensionality::<Ix3>()
        .unwrap();
    use nst::layers::ConvAlgo;
    assert_eq!(vgg.conv_algo(), ConvAlgo::Auto, "auto is the default");
    for algo in [
        ConvAlgo::Im2col,
        ConvAlgo::WinogradF2,
        ConvAlgo::WinogradF4,
        ConvAlgo::Auto,
    ] {
        let net = vgg.clone().with_conv(algo);
        let fwd = net.forward(x.view(), &tap, false);
        let ours = fwd.taps[0]
            .1
            .index_axis(ndarray::Axis(0), 0)
            .mapv(|v| v as f64);
        let e = rel_error(&ours.view(), &theirs.view());
        eprintln!(
            "pool5 by {}: relative error {e:.2e} against ONNX Runtime",
            algo.name()
        );
        let bound = if algo == ConvAlgo::Auto { 1e-5 } else { 1e-4 };
        assert!(
            e <= bound,
            "{}: relative error {e:e} > {bound:e}",
            algo.name()
        );
    }
}

/// The committed manifest and the imported files agree (what `nst weights verify` does).
#[test]
fn imported_weights_verify() {
    let Some(dir) = weights_dir() else { return };
    nst::net::weights::WeightSet::open(&dir)
        .unwrap()
        .verify()
        .unwrap();
}

/// The real network's gradient: a directional derivative in f64 through VGG16 with
/// the real weights, on a small input, taps at relu1_1 … relu5_1 and relu4_2.
#[test]
fn vgg16_real_weights_gradient_matches_finite_differences() {
    let Some(dir) = weights_dir() else { return };
    let (vgg, convention) = Vgg::<f64>::load(&dir, Pooling::Max).unwrap();
    let rgb = common::load("onnx_vgg16/input_rgb.npy")
        .into_dimensionality::<Ix3>()
        .unwrap();
    let rgb = rgb.slice(ndarray::s![..32, ..32, ..]).to_owned();
    let x = convention.preprocess(rgb.view());
    let taps = vgg
        .layer_indices(&[
            "relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu4_2", "relu5_1",
        ])
        .unwrap();
    let fwd = vgg.forward(x.view(), &taps, true);
    let mut rng = nst::math::rng::Rng::new(3);
    let rs: Vec<_> = fwd
        .taps
        .iter()
        .map(|(i, a)| (*i, rng.uniform_array(a.raw_dim(), -1.0, 1.0)))
        .collect();
    let grad = vgg.backward(&fwd, rs.clone());
    let f = |x: &ndarray::Array4<f64>| {
        let fw = vgg.forward(x.view(), &taps, false);
        rs.iter()
            .map(|(i, r)| nst::gradcheck::dot(&fw.get(*i).unwrap().view(), &r.view()))
            .sum::<f64>()
    };
    let v: ndarray::Array4<f64> = rng.uniform_array(x.raw_dim(), -1.0, 1.0);
    let numeric = nst::gradcheck::directional_derivative(&x, &v, 1e-4, f);
    let analytic = nst::gradcheck::dot(&grad.view(), &v.view());
    let rel = (numeric - analytic).abs() / analytic.abs();
    // Inputs are 0–255 scale, so h = 1e-4 is tiny relative to them (kinks are rarely
    // crossed); f64 round-off ~1e-16·|f|/h. Tolerance 1e-5.
    assert!(
        rel < 1e-5,
        "directional {numeric} vs analytic {analytic}: rel {rel:e}"
    );
}

/// A cell of Gatys' α/β grid: Tübingen × The Starry Night at `side` px, style at relu1_1
/// and relu2_1 only with weight `beta`. The content picture, the style picture, the spec.
fn grid_cell(
    conv: &nst::net::weights::Convention,
    side: u32,
    beta: f64,
) -> (
    ndarray::Array4<f32>,
    ndarray::Array4<f32>,
    nst::gatys::LossSpec,
) {
    use nst::formats::image_io::{load_rgb, LoadOptions};
    let opts = LoadOptions {
        max_side: Some(side),
        ..Default::default()
    };
    let picture = |name: &str| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/samples");
        conv.preprocess(load_rgb(&dir.join(name), &opts).unwrap().view())
    };
    let spec = nst::gatys::LossSpec {
        style_layers: vec![("relu1_1".into(), 0.5), ("relu2_1".into(), 0.5)],
        style_weight: beta,
        ..nst::gatys::LossSpec::gatys()
    };
    (picture("tubingen.jpg"), picture("starry_night.jpg"), spec)
}

/// Fixed-step L-BFGS, as `nst stylize` runs it by default.
fn fixed_step() -> nst::gatys::OptimizerChoice {
    nst::gatys::OptimizerChoice::Lbfgs {
        history: 100,
        lr: 1.0,
        line_search: nst::optim::LineSearch::None,
    }
}

/// Fixed-step L-BFGS (torch's, the default) on a heavily weighted style loss overshoots
/// at its second step (the loss evaluated at iteration 3 jumps from 5.0e13 to 7.6e42
/// here), and the curvature pair that step leaves makes every later step negligible: on
/// its own it stops at iteration 4, "converged" at the loss it started from.
/// `optimize_bounded` does not believe that stop: it starts again with the strong-Wolfe
/// line search, and the loss falls by orders of magnitude (to 8.5e10 after 40
/// iterations). (64 px, β = 1e5.)
#[test]
fn a_fixed_step_that_stalls_is_searched_again() {
    use nst::gatys::{optimize_bounded, Control, Objective};
    use nst::optim::{Lbfgs, LbfgsOptions};
    let Some(dir) = weights_dir() else { return };
    let (vgg, conv) = Vgg::<f32>::load(&dir, Pooling::Max).unwrap();
    let (content, style, spec) = grid_cell(&conv, 64, 1e5);
    let obj = Objective::new(&vgg, spec, Some(&content), &[(style, 1.0)], (0, 0)).unwrap();
    // The port alone, as torch would run it: it stops within a few iterations, having
    // gained nothing.
    let mut lbfgs = Lbfgs::new(LbfgsOptions::default());
    let mut x = content.clone().into_raw_vec_and_offset().0;
    let shape = content.raw_dim();
    let f = |xs: &[f32]| {
        let xt = ndarray::Array4::from_shape_vec(shape, xs.to_vec()).unwrap();
        let (t, g) = obj.evaluate(&xt);
        (t.total, g.into_raw_vec_and_offset().0)
    };
    let first = obj.evaluate(&content).0.total;
    let mut stopped = None;
    for i in 1..=40 {
        let step = lbfgs.step(&mut x, f);
        if step.stop.is_some() {
            stopped = Some((i, step.loss));
            break;
        }
    }
    let (at, loss) = stopped.expect("the fixed step should stall on this problem");
    assert!(
        at <= 10 && loss > 0.5 * first,
        "stopped at {at} with {loss:e} (start {first:e})"
    );
    // The same start through optimize_bounded: restarted with the line search, and far lower.
    let out = optimize_bounded(&obj, content.clone(), &fixed_step(), 40, None, |_| {
        Control::Continue
    });
    assert_eq!(out.searched_from, Some(at));
    assert_eq!(out.iterations, 40);
    assert!(
        out.terms.total < 0.01 * first,
        "{:e} vs {first:e}",
        out.terms.total
    );
}

/// The other way the fixed step fails on this loss: it overshoots again and again
/// (iterations 3 and 6 here, then 10 and 20), and the loss crawls down by 0.01 % per
/// iteration in between: 4.95e11 → 4.79e11 in 20 iterations. At the second overshoot
/// `optimize_bounded` goes back to where that step started and hands over to the line
/// search: 1.1e10 by iteration 12. (256 px, β = 1e3; about 10 s.)
///
/// Which iterations overshoot, and by how much, depends on the f32 rounding of the
/// gradient (the overshoots are 10⁹× jumps of a quartic loss), so this replays the run
/// with the im2col convolutions it was logged with; by Winograd F(4,3) the second jump
/// at iteration 6 is 18× rather than 10⁴×.
#[test]
fn a_fixed_step_that_keeps_overshooting_is_searched_again() {
    use nst::gatys::{optimize_bounded, Control, Objective};
    let Some(dir) = weights_dir() else { return };
    let (vgg, conv) = Vgg::<f32>::load(&dir, Pooling::Max).unwrap();
    let vgg = vgg.with_conv(nst::layers::ConvAlgo::Im2col);
    let (content, style, spec) = grid_cell(&conv, 256, 1e3);
    let obj = Objective::new(&vgg, spec, Some(&content), &[(style, 1.0)], (0, 0)).unwrap();
    let mut losses = Vec::new();
    let out = optimize_bounded(&obj, content.clone(), &fixed_step(), 12, None, |it| {
        losses.push(it.terms.total);
        Control::Continue
    });
    let jumps: Vec<usize> = (1..losses.len())
        .filter(|&i| losses[i] > 1e3 * losses[i - 1])
        .map(|i| i + 1)
        .collect();
    assert_eq!(jumps, [3, 6], "{losses:?}");
    assert_eq!(out.searched_from, Some(6));
    assert!(out.terms.total < 0.1 * losses[0], "{losses:?}");
}
