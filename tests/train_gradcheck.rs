//! The whole training step's gradient — generator parameters ← loss through a frozen VGG —
//! against central finite differences, in f64, on a tiny random VGG16 (block widths
//! 2, 2, 3, 3, 3) and a tiny generator (K = 3 scales, 3 channels per branch, 16×16
//! outputs, batch of 2).
//!
//! `f(θ) = L(G_θ(z))` with the noise z fixed; the analytic side is
//! [`TrainLoss::evaluate`]'s ∂L/∂θ (VGG backward → preprocessing transpose → generator
//! backward), the numeric side `(f(θ + h·v) − f(θ − h·v)) / 2h` along random directions
//! v over all parameters, and per element on the final convolution.
//!
//! Tolerance 1e-5 relative. Everything between θ and L is smooth except the ReLUs (of the
//! generator and of VGG); the pooling is average pooling here, so there are no max-pool
//! ties. With h = 1e-6 a ReLU kink within reach of the perturbation has probability
//! ~1e-3 per direction, and the seeds are fixed. The central difference's own error is
//! O(h²·f''') + O(1e-16·|f|/h) ≈ 1e-9 relative; the loss is a quartic in the features
//! (Gram differences squared), whose higher derivatives are moderate at this scale.

use ndarray::Array4;
use nst::gradcheck::{check_directions, check_range};
use nst::math::rng::Rng;
use nst::net::vgg::{Arch, Pooling, Vgg};
use nst::net::weights::Convention;
use nst::texture_net::{noise_inputs, stylization_inputs, Generator, GeneratorConfig, TrainLoss};

const H: f64 = 1e-6;
const TOL: f64 = 1e-5;
const SIDE: usize = 16;

fn layers(names: &[&str]) -> Vec<(String, f64)> {
    let w = 1.0 / names.len() as f64;
    names.iter().map(|n| (n.to_string(), w)).collect()
}

fn style_layers() -> Vec<(String, f64)> {
    layers(&["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
}

fn vgg() -> Vgg<f64> {
    Vgg::random(Arch::Vgg16, Pooling::Avg, [2, 2, 3, 3, 3], 7)
}

/// A random RGB sample, 132×132 (the receptive field of relu5_1), preprocessed.
fn sample(seed: u64) -> Array4<f64> {
    let rgb: ndarray::Array3<f64> = Rng::new(seed).uniform_array((132, 132, 3), 0.0, 1.0);
    Convention::caffe().preprocess(rgb.view())
}

struct Case {
    gen: Generator<f64>,
    loss: TrainLoss<f64>,
    inputs: Vec<Array4<f64>>,
    content: Option<Array4<f64>>,
}

impl Case {
    fn f(&self, theta: &[f64]) -> f64 {
        let mut g = self.gen.clone();
        g.set_params(theta).unwrap();
        let content = self.content.as_ref().map(|c| c.view());
        self.loss
            .evaluate(&g, &self.inputs, content)
            .unwrap()
            .terms
            .total
    }

    fn grad(&self) -> Vec<f64> {
        let content = self.content.as_ref().map(|c| c.view());
        self.loss
            .evaluate(&self.gen, &self.inputs, content)
            .unwrap()
            .grad
    }

    fn check_directions(&self, dirs: usize, seed: u64) {
        let theta = self.gen.params();
        let f0 = self.f(theta).abs();
        for (c, num) in check_directions(theta, &self.grad(), dirs, seed, (H, TOL), |t| self.f(t)) {
            eprintln!("{:<14} numeric {num:.6e} rel {:.2e}", c.name, c.rel);
            assert!(num.abs() > 1e-8 * f0, "degenerate direction: {num}");
            assert!(c.passed(), "{c:?}");
        }
    }

    fn check_tensor(&self, name: &str) {
        let slot = self
            .gen
            .param_slots()
            .iter()
            .find(|s| s.name == name)
            .unwrap();
        let theta = self.gen.params();
        let c = check_range(name, theta, &self.grad(), slot.range(), (H, TOL), |p| {
            self.f(p)
        });
        eprintln!("{name:<20} rel {:.2e}", c.rel);
        assert!(c.passed(), "{c:?}");
    }
}

fn tiny(content_channels: usize) -> GeneratorConfig {
    GeneratorConfig {
        scales: 3,
        branch_channels: 3,
        content_channels,
        ..GeneratorConfig::texture()
    }
}

#[test]
fn texture_training_gradient_matches_finite_differences() {
    let gen = Generator::<f64>::new(tiny(0), 3).unwrap();
    let loss = TrainLoss::texture(
        vgg(),
        Convention::caffe(),
        &sample(1),
        &style_layers(),
        (SIDE, SIDE),
    )
    .unwrap();
    let inputs = noise_inputs(gen.config(), &mut Rng::new(5), 2, SIDE, SIDE).unwrap();
    let case = Case {
        gen,
        loss,
        inputs,
        content: None,
    };
    case.check_directions(3, 17);
    case.check_tensor("out.conv.weight");
    case.check_tensor("out.conv.bias");
}

#[test]
fn stylization_training_gradient_matches_finite_differences() {
    let gen = Generator::<f64>::new(tiny(3), 4).unwrap();
    let content: Array4<f64> = Rng::new(8).uniform_array((2, 3, SIDE, SIDE), 0.0, 1.0);
    let inputs = stylization_inputs(gen.config(), &mut Rng::new(9), content.view(), 1.0).unwrap();
    let make = |alpha: f64| {
        TrainLoss::stylization(
            vgg(),
            Convention::caffe(),
            &sample(2),
            &style_layers(),
            &layers(&["relu4_2"]),
            alpha,
            (SIDE, SIDE),
        )
        .unwrap()
    };
    // Choose α so that both terms weigh about equally in the checked loss.
    let probe = make(1.0)
        .evaluate(&gen, &inputs, Some(content.view()))
        .unwrap()
        .terms;
    assert!(probe.content > 0.0 && probe.style > 0.0);
    let case = Case {
        gen,
        loss: make(probe.content / probe.style),
        inputs,
        content: Some(content),
    };
    case.check_directions(3, 19);
    case.check_tensor("out.conv.weight");
}

/// The training loss of one picture is the loss `nst texture` / `nst stylize` minimise
/// (`gatys::Objective`, an independent assembly of the same terms), and a batch's loss is
/// the mean of its items' — so a generator's samples and optimisation results can be
/// compared number for number. f32; tolerance 1e-5 relative (summation order differs).
#[test]
fn training_loss_is_the_optimization_objective_averaged_over_the_batch() {
    use nst::gatys::{LossSpec, Objective};
    use nst::loss::Normalization;
    let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [4, 4, 6, 6, 6], 11);
    let conv = Convention::caffe();
    let rgb =
        |seed, h, w| -> ndarray::Array3<f32> { Rng::new(seed).uniform_array((h, w, 3), 0.0, 1.0) };
    let style = conv.preprocess(rgb(1, 140, 150).view());
    let (h, w) = (32, 48);
    let pics = [rgb(2, h, w), rgb(3, h, w)];
    let contents = [rgb(4, h, w), rgb(5, h, w)];
    let x = ndarray::stack(
        ndarray::Axis(0),
        &[
            conv.preprocess(pics[0].view())
                .index_axis(ndarray::Axis(0), 0),
            conv.preprocess(pics[1].view())
                .index_axis(ndarray::Axis(0), 0),
        ],
    )
    .unwrap();
    let c = ndarray::stack(
        ndarray::Axis(0),
        &[
            conv.preprocess(contents[0].view())
                .index_axis(ndarray::Axis(0), 0),
            conv.preprocess(contents[1].view())
                .index_axis(ndarray::Axis(0), 0),
        ],
    )
    .unwrap();
    let alpha = 1e3;
    let train = TrainLoss::stylization(
        vgg.clone(),
        conv,
        &style,
        &style_layers(),
        &layers(&["relu4_2"]),
        alpha,
        (h, w),
    )
    .unwrap();
    let (terms, dx) = train.loss_and_input_grad(&x, Some(&c)).unwrap();
    let spec = LossSpec {
        content_layers: layers(&["relu4_2"]),
        style_layers: style_layers(),
        content_weight: 1.0,
        style_weight: alpha,
        tv_weight: 0.0,
        norm: Normalization::Gatys,
    };
    let mut mean = 0.0;
    for i in 0..2 {
        let ci = c.slice(ndarray::s![i..i + 1, .., .., ..]).to_owned();
        let xi = x.slice(ndarray::s![i..i + 1, .., .., ..]).to_owned();
        let obj = Objective::new(
            &vgg,
            spec.clone(),
            Some(&ci),
            &[(style.clone(), 1.0)],
            (h, w),
        )
        .unwrap();
        let (t, g) = obj.evaluate(&xi);
        mean += t.total / 2.0;
        // ∂(mean)/∂x_i = ½ ∂L_i/∂x_i.
        let ours = dx
            .slice(ndarray::s![i..i + 1, .., .., ..])
            .mapv(|v| 2.0 * v);
        let e = nst::math::tensor::rel_error(&ours.view(), &g.view());
        assert!(e < 1e-5, "item {i}: gradient rel error {e:e}");
    }
    let e = (terms.total - mean).abs() / mean;
    assert!(e < 1e-5, "loss {} vs objective {mean}: {e:e}", terms.total);
}
