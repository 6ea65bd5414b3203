//! VGG on small random networks: the layer walk, the layer table, and the whole chain
//! tap gradients → image gradient against finite differences in f64.

use ndarray::Array4;
use nst::gradcheck::{directional_derivative, dot, numeric_gradient, GradCheck};
use nst::math::rng::Rng;
use nst::math::tensor::rel_error;
use nst::net::vgg::{layer_table, Arch, Pooling, Vgg};

const SMALL: [usize; 5] = [3, 4, 4, 5, 5];

/// f(x) = Σ_t ⟨R_t, a_t(x)⟩ over the taps, and its gradient by `Vgg::backward`.
fn chain_value_and_grad<'a>(
    vgg: &'a Vgg<f64>,
    x: &Array4<f64>,
    taps: &[usize],
    seed: u64,
) -> (f64, Array4<f64>, impl Fn(&Array4<f64>) -> f64 + 'a) {
    let fwd = vgg.forward(x.view(), taps, true);
    let mut rng = Rng::new(seed);
    let rs: Vec<(usize, Array4<f64>)> = fwd
        .taps
        .iter()
        .map(|(i, a)| (*i, rng.uniform_array(a.raw_dim(), -1.0, 1.0)))
        .collect();
    let value = rs
        .iter()
        .map(|(i, r)| dot(&fwd.get(*i).unwrap().view(), &r.view()))
        .sum();
    let grad = vgg.backward(&fwd, rs.clone());
    let taps = taps.to_vec();
    let f = move |x: &Array4<f64>| {
        let fwd = vgg.forward(x.view(), &taps, false);
        rs.iter()
            .map(|(i, r)| dot(&fwd.get(*i).unwrap().view(), &r.view()))
            .sum()
    };
    (value, grad, f)
}

#[test]
fn whole_network_gradient_matches_finite_differences() {
    for (arch, pooling, seed) in [
        (Arch::Vgg16, Pooling::Max, 1),
        (Arch::Vgg16, Pooling::Avg, 2),
        (Arch::Vgg19, Pooling::Max, 3),
    ] {
        let vgg = Vgg::<f64>::random(arch, pooling, SMALL, seed);
        let x: Array4<f64> = Rng::new(seed + 10).uniform_array((1, 3, 32, 34), -1.0, 1.0);
        let taps = vgg
            .layer_indices(&["relu1_1", "conv2_2", "relu3_1", "relu4_2", "pool5"])
            .unwrap();
        let (_, grad, f) = chain_value_and_grad(&vgg, &x, &taps, seed + 20);
        // Directional derivatives along random directions: two forward passes each.
        // Tolerance 1e-6: h = 1e-6 keeps the chance of stepping over a ReLU kink or a
        // pooling tie small, and f64 round-off is ~ε·|f|/h ≈ 1e-9 relative.
        let mut rng = Rng::new(seed + 30);
        for _ in 0..3 {
            let v: Array4<f64> = rng.uniform_array(x.raw_dim(), -1.0, 1.0);
            let numeric = directional_derivative(&x, &v, 1e-6, &f);
            let analytic = dot(&grad.view(), &v.view());
            let rel = (numeric - analytic).abs() / analytic.abs().max(numeric.abs());
            assert!(
                rel < 1e-6,
                "{arch:?} {pooling:?}: directional {numeric} vs analytic {analytic} (rel {rel})"
            );
        }
    }
}

#[test]
fn every_pixel_of_a_tiny_image_matches_finite_differences() {
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [2, 2, 3, 3, 3], 7);
    let x: Array4<f64> = Rng::new(8).uniform_array((1, 3, 8, 10), -1.0, 1.0);
    let taps = vgg.layer_indices(&["relu2_1", "relu3_3"]).unwrap();
    let (_, grad, f) = chain_value_and_grad(&vgg, &x, &taps, 9);
    let numeric = numeric_gradient(&x, 1e-6, &f);
    let c = GradCheck::compare("vgg dImage", &grad.view(), &numeric.view(), 1e-6);
    assert!(c.passed(), "{c:?}");
}

#[test]
fn tap_gradients_add_like_branches() {
    let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, SMALL, 4);
    let x: Array4<f64> = Rng::new(5).uniform_array((2, 3, 16, 16), -1.0, 1.0);
    let taps = vgg.layer_indices(&["relu1_2", "relu3_2"]).unwrap();
    let fwd = vgg.forward(x.view(), &taps, true);
    let mut rng = Rng::new(6);
    let g1 = (
        taps[0],
        rng.uniform_array(fwd.get(taps[0]).unwrap().raw_dim(), -1.0, 1.0),
    );
    let g2 = (
        taps[1],
        rng.uniform_array(fwd.get(taps[1]).unwrap().raw_dim(), -1.0, 1.0),
    );
    let both = vgg.backward(&fwd, vec![g1.clone(), g2.clone()]);
    let sum = vgg.backward(&fwd, vec![g1]) + vgg.backward(&fwd, vec![g2]);
    assert!(rel_error(&both.view(), &sum.view()) < 1e-13);
}

#[test]
fn forward_stops_at_the_deepest_tap_and_taps_come_in_network_order() {
    let vgg = Vgg::<f32>::random(Arch::Vgg19, Pooling::Avg, SMALL, 1);
    let x: Array4<f32> = Rng::new(2).uniform_array((1, 3, 32, 32), -1.0, 1.0);
    let taps = vgg.layer_indices(&["relu3_4", "relu1_1"]).unwrap();
    let fwd = vgg.forward(x.view(), &taps, false);
    let order: Vec<&str> = fwd
        .taps
        .iter()
        .map(|(i, _)| vgg.layers[*i].name.as_str())
        .collect();
    assert_eq!(order, ["relu1_1", "relu3_4"]);
    assert_eq!(fwd.get(taps[0]).unwrap().dim(), (1, 4, 8, 8)); // block 3 of SMALL is 4 wide
    assert!(vgg.layer_index("relu5_4").is_ok() && vgg.layer_index("conv3_5").is_err());
    let err = vgg.layer_index("relu9_9").unwrap_err().to_string();
    assert!(
        err.contains("unknown layer 'relu9_9'") && err.contains("relu1_1"),
        "{err}"
    );
}

/// The walk-through of seed 000 for a 300×300×3 input, and the published parameter
/// counts of the convolutional parts (VGG16: 14 714 688; VGG19: 20 024 384).
#[test]
fn layer_table_matches_the_published_networks() {
    let t = layer_table(Arch::Vgg16, Pooling::Max, 300, 300);
    let row = |n: &str| t.iter().find(|r| r.name == n).unwrap().clone();
    assert_eq!(row("relu1_2").out, (300, 300, 64));
    assert_eq!(row("pool1").out, (150, 150, 64));
    assert_eq!(row("pool2").out, (75, 75, 128));
    assert_eq!(row("pool3").out, (37, 37, 256));
    assert_eq!(row("pool5").out, (9, 9, 512));
    assert_eq!(row("conv1_1").params, 64 * 3 * 9 + 64);
    assert_eq!(t.iter().map(|r| r.params).sum::<usize>(), 14_714_688);
    let t19 = layer_table(Arch::Vgg19, Pooling::Max, 224, 224);
    assert_eq!(t19.iter().map(|r| r.params).sum::<usize>(), 20_024_384);
    // Receptive fields: conv1_1 sees 3×3, conv1_2 5×5, pool1 6×6, conv2_1 10×10.
    assert_eq!(row("conv1_1").receptive_field, 3);
    assert_eq!(row("conv1_2").receptive_field, 5);
    assert_eq!(row("pool1").receptive_field, 6);
    assert_eq!(row("conv2_1").receptive_field, 10);
    // VGG16 at 224×224: ~15.5 G multiply-adds in the convolutions (the usual figure).
    let t224 = layer_table(Arch::Vgg16, Pooling::Max, 224, 224);
    let conv_flops: f64 = t224
        .iter()
        .filter(|r| r.name.starts_with("conv"))
        .map(|r| r.flops)
        .sum();
    assert!(
        (conv_flops / 2e9 - 15.35).abs() < 0.1,
        "{}",
        conv_flops / 2e9
    );
    assert_eq!(
        Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, nst::net::vgg::WIDTHS, 0).parameter_count(),
        14_714_688
    );
}
