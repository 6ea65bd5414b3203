//! The whole Texture Networks generator's backward pass against central finite
//! differences, in f64, on small configurations (K = 3 scales, 4 channels per branch,
//! 8×8 output, a batch of 2):
//!
//! * directional derivatives along random directions in the space of **all** parameters
//!   at once: `(f(θ + h·v) − f(θ − h·v)) / 2h` against `⟨∂f/∂θ, v⟩`, for
//!   `f(θ) = ⟨R, G_θ(z)⟩` with a fixed random R;
//! * full per-element checks on a selection of tensors (first and last convolutions,
//!   norms before and inside joins, biases) and on two of the inputs.
//!
//! Tolerance 1e-6 relative: the network is a composition of smooth maps (convolutions,
//! normalisations) and ReLUs. Away from the ReLU kinks the central difference has
//! truncation error O(h²) ≈ 1e-10 times the third derivative, which the normalisations
//! keep O(1–100); round-off is ≈ 1e-16·|f|/h ≈ 1e-10. A kink crossed by the
//! perturbation would give an O(1) error on that element: with h = 1e-6 and ~10³
//! pre-activations of order 1, the chance that one lies within reach is ~1e-3 for a
//! given seed, and the seeds here are fixed.

use ndarray::Array4;
use nst::gradcheck::{check_directions, check_range, dot, numeric_gradient, GradCheck};
use nst::layers::Activation;
use nst::math::im2col::Padding;
use nst::math::rng::Rng;
use nst::texture_net::{Generator, GeneratorConfig, Mode, NormKind};

const H: f64 = 1e-6;
const TOL: f64 = 1e-6;

fn small_config() -> GeneratorConfig {
    GeneratorConfig {
        scales: 3,
        branch_channels: 4,
        ..GeneratorConfig::texture()
    }
}

/// A generator with every parameter random (γ in [0.5, 1.5], β and biases in
/// [−0.5, 0.5]), not at its initial γ = 1, β = b = 0, so that no term hides behind a
/// zero; its inputs; and the fixed R of `f = ⟨R, G(z)⟩`.
struct Case {
    gen: Generator<f64>,
    inputs: Vec<Array4<f64>>,
    r: Array4<f64>,
}

impl Case {
    fn new(config: GeneratorConfig, seed: u64) -> Case {
        let mut gen = Generator::<f64>::new(config, seed).unwrap();
        let mut rng = Rng::new(seed ^ 0xA5A5);
        let slots = gen.param_slots().to_vec();
        for slot in slots {
            let (lo, hi) = if slot.name.ends_with(".gamma") {
                (0.5, 1.5)
            } else {
                (-0.5, 0.5)
            };
            if !slot.name.ends_with(".weight") {
                for p in &mut gen.params_mut()[slot.range()] {
                    *p = rng.range(lo, hi);
                }
            }
        }
        let c = gen.config().clone();
        let cin = c.input_channels();
        let inputs = (0..c.scales)
            .map(|k| rng.uniform_array((2, cin, 8 >> k, 8 >> k), 0.0, 1.0))
            .collect();
        let r = rng.uniform_array((2, 3, 8, 8), -1.0, 1.0);
        Case { gen, inputs, r }
    }

    fn f_params(&self, p: &[f64]) -> f64 {
        let mut g = self.gen.clone();
        g.set_params(p).unwrap();
        self.f(&g, &self.inputs)
    }

    fn f(&self, g: &Generator<f64>, inputs: &[Array4<f64>]) -> f64 {
        let out = g.forward(inputs, Mode::Train).unwrap().output;
        dot(&out.view(), &self.r.view())
    }

    /// Analytic gradients (parameters, inputs).
    fn grads(&self) -> (Vec<f64>, Vec<Array4<f64>>) {
        let fwd = self.gen.forward(&self.inputs, Mode::Train).unwrap();
        let g = self.gen.backward(&fwd, self.r.view(), true);
        (g.params, g.inputs.unwrap())
    }

    /// Directional derivative along `dirs` random directions over all parameters.
    fn directional(&self, dirs: usize, seed: u64) -> Vec<GradCheck> {
        let (grad, _) = self.grads();
        check_directions(self.gen.params(), &grad, dirs, seed, (H, TOL), |t| {
            self.f_params(t)
        })
        .into_iter()
        .map(|(c, num)| {
            assert!(num.abs() > 1e-3, "degenerate direction: {num}");
            c
        })
        .collect()
    }

    /// Per-element check of the parameter tensor called `name`.
    fn tensor(&self, name: &str, grad: &[f64]) -> GradCheck {
        let slot = self
            .gen
            .param_slots()
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no tensor {name}"));
        check_range(name, self.gen.params(), grad, slot.range(), (H, TOL), |p| {
            self.f_params(p)
        })
    }
}

fn assert_all(checks: &[GradCheck]) {
    for c in checks {
        eprintln!("{:<24} rel {:.2e}", c.name, c.rel);
        assert!(c.passed(), "{c:?}");
    }
}

#[test]
fn generator_parameter_gradients_batch_norm() {
    let case = Case::new(small_config(), 1);
    assert_all(&case.directional(3, 11));
    let (grad, _) = case.grads();
    let names = [
        "branch0.conv0.weight",
        "branch2.conv1.weight",
        "branch1.norm2.gamma",
        "branch2.norm0.beta",
        "join0.in_norm.gamma",
        "join1.conv0.weight",
        "join0.norm2.gamma",
        "out.conv.weight",
        "out.conv.bias",
    ];
    let checks: Vec<GradCheck> = names.iter().map(|n| case.tensor(n, &grad)).collect();
    assert_all(&checks);
}

#[test]
fn generator_input_gradients() {
    let case = Case::new(small_config(), 2);
    let (_, dz) = case.grads();
    for k in [0, 2] {
        let num = numeric_gradient(&case.inputs[k], H, |z| {
            let mut inputs = case.inputs.clone();
            inputs[k] = z.clone();
            case.f(&case.gen, &inputs)
        });
        assert_all(&[GradCheck::compare(
            format!("dz{k}"),
            &dz[k].view(),
            &num.view(),
            TOL,
        )]);
    }
}

/// A join's input norm feeds its convolution directly, with no nonlinearity between.
/// With zero padding its β is a real parameter (near the borders the padding's zeros
/// and the shifted values differ), so check it element by element there.
#[test]
fn join_norm_beta_with_zero_padding() {
    let case = Case::new(
        GeneratorConfig {
            padding: Padding::Zero,
            ..small_config()
        },
        4,
    );
    let (grad, _) = case.grads();
    assert_all(&[
        case.tensor("join0.in_norm.beta", &grad),
        case.tensor("join1.in_norm.beta", &grad),
    ]);
}

/// A convolution followed by a normalisation in train mode: adding a constant to a
/// channel (its bias) shifts that channel's mean by the same constant, which the norm
/// subtracts again. So ∂L/∂b is exactly zero for every such convolution — a property
/// of the architecture the backward pass must reproduce (to round-off), while the final
/// convolution's bias, which no norm follows, has a real gradient.
///
/// The same holds for β of a join's input norm under circular padding: β adds a
/// constant to each input channel of the next convolution, and with circular padding
/// every output pixel sees a full window of it, so the output channels shift by
/// constants too — a bias in disguise, removed by the norm after that convolution.
#[test]
fn biases_before_a_norm_get_no_gradient() {
    for norm in [NormKind::Batch, NormKind::Instance] {
        let case = Case::new(
            GeneratorConfig {
                norm,
                ..small_config()
            },
            3,
        );
        let (grad, _) = case.grads();
        let scale = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        for slot in case.gen.param_slots() {
            let big = grad[slot.range()]
                .iter()
                .fold(0.0f64, |m, g| m.max(g.abs()));
            let in_norm_beta = slot.name.ends_with("in_norm.beta");
            if (slot.name.ends_with(".bias") && slot.name != "out.conv.bias") || in_norm_beta {
                assert!(big <= 1e-12 * scale, "{}: {big:e}", slot.name);
            } else if slot.name == "out.conv.bias" {
                assert!(big > 1e-3 * scale);
            }
        }
    }
}

/// Every other architectural choice, along random directions.
#[test]
fn generator_variants_directional() {
    let variants = [
        GeneratorConfig {
            norm: NormKind::Instance,
            ..small_config()
        },
        GeneratorConfig {
            activation: Activation::LeakyRelu(0.2),
            padding: Padding::Zero,
            ..small_config()
        },
        GeneratorConfig {
            scales: 3,
            branch_channels: 4,
            ..GeneratorConfig::stylization()
        },
        GeneratorConfig {
            scales: 1,
            ..small_config()
        },
    ];
    for (i, config) in variants.into_iter().enumerate() {
        eprintln!("{config:?}");
        let case = Case::new(config, 10 + i as u64);
        assert_all(&case.directional(2, 20 + i as u64));
    }
}
