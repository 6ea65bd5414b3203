//! Training a Texture Networks generator by hand-written backpropagation (seed 001, §3.2,
//! §3.3 and §4).
//!
//! One iteration ([`Trainer::step`]):
//!
//! ```text
//! z (noise pyramid [+ content pyramid]) ──Generator::forward (train mode)──► RGB (N, 3, M, M)
//!   ──preprocess──► x (VGG input) ──Vgg::forward (taps)──► F_l per item
//!   ──losses──► L = (1/N) Σ_n [ Σ_l c_l·½‖F_l − P_l‖² + α·Σ_l w_l·E_l(F_l, A_l) ]
//!   ──Vgg::backward──► ∂L/∂x ──preprocess backward──► ∂L/∂RGB
//!   ──Generator::backward──► ∂L/∂θ ──Adam (lr from the schedule)──► θ'
//! ```
//!
//! then batch norm's running statistics absorb the batch's. VGG is frozen: it is only ever
//! asked for ∂L/∂x.
//!
//! **Output space.** The generator's last layer is a 1×1 convolution with no squashing.
//! We read its three channels `o` as RGB in units of 8-bit grey levels around mid-grey,
//! **`rgb = 0.5 + o/255`** ([`output_to_rgb`]), unclamped; the training step then maps
//! RGB to VGG's input space with the weights' own [`Convention::preprocess_batch`] (for
//! the Caffe weights `x = 255·rgb[BGR] − mean`) and brings the gradient back with the
//! transposes of both maps. Pictures are clamped to [0, 1] only when saved.
//!
//! Why this scale: Adam moves every parameter by about the learning rate per step,
//! whatever the gradient's size, so the output's units decide how far one step moves
//! the picture. In these units a step of the seed's lr = 0.1 on the final 1×1
//! convolution shifts pixels by a few grey levels, as in the authors' Torch code (whose
//! generator writes VGG's 0–255 input space directly); reading the output as RGB in
//! [0, 1] instead made the same step 255 times larger, and training stalled at a loss
//! ~100× above optimisation's. The freshly initialised network's output, of order 1,
//! is a nearly uniform mid-grey, as the authors' is. Unlike their choice, the generator
//! file does not depend on a weight set's convention: `nst generate` needs no VGG.
//!
//! **Loss.** Per item it is exactly the loss `nst texture` and `nst stylize` minimise
//! ([`crate::gatys`], Gatys normalisation): style targets are the sample's Gram matrices
//! rescaled by `M_out / M_style` (so a sample of any size describes the same texture at
//! the training size), content targets are the item's own content picture's features. The
//! batch's loss is the mean over its items, so the loss of a trained generator's samples
//! can be compared directly with what optimisation reaches.
//!
//! **Schedule** ([`Schedule::seed001`]): Adam, learning rate 0.1 for 1000 iterations,
//! then multiplied by 0.7 every 200 iterations up to 2000, batches of 16.

use super::generator::{Forward, Generator, Mode};
use super::inputs::{noise_inputs, stylization_inputs};
use crate::bail;
use crate::error::Result;
use crate::gatys::Control;
use crate::loss::objective::{LossSpec, Objective, Terms};
use crate::loss::Normalization;
use crate::math::rng::Rng;
use crate::math::tensor::{Real, Tensor4};
use crate::net::vgg::{receptive_field_at, Vgg};
use crate::net::weights::Convention;
use crate::optim::{Adam, FirstOrder};
use ndarray::ArrayView4;

/// The learning-rate schedule: `lr` until iteration `decay_start`, then multiplied by
/// `decay_factor` every `decay_every` iterations.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    /// Initial learning rate.
    pub lr: f64,
    /// Total iterations.
    pub iterations: usize,
    /// The last iteration at the full rate.
    pub decay_start: usize,
    /// Iterations between decays (0: never decay).
    pub decay_every: usize,
    /// Factor applied at each decay.
    pub decay_factor: f64,
}

impl Schedule {
    /// Seed 001 §4: "Adam, 2000 iterations, initial learning rate 0.1, decayed by 0.7
    /// every 200 iterations after iteration 1000".
    pub fn seed001() -> Self {
        Schedule {
            lr: 0.1,
            iterations: 2000,
            decay_start: 1000,
            decay_every: 200,
            decay_factor: 0.7,
        }
    }

    // ANCHOR: schedule
    /// The learning rate of (1-based) iteration `iter`: iterations 1 … `decay_start` use
    /// `lr`; the next `decay_every` use `lr·f`, the next `lr·f²`, and so on. With the
    /// seed's numbers, iteration 2000 runs at `0.1·0.7⁵ ≈ 0.0168`.
    pub fn lr_at(&self, iter: usize) -> f64 {
        if iter <= self.decay_start || self.decay_every == 0 {
            return self.lr;
        }
        let decays = (iter - self.decay_start - 1) / self.decay_every + 1;
        self.lr * self.decay_factor.powi(decays as i32)
    }
    // ANCHOR_END: schedule

    /// Is every field usable? (Each message names the flag.)
    pub fn validate(&self) -> Result<()> {
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            bail!(
                "the learning rate must be a positive number, got {}",
                self.lr
            );
        }
        if self.iterations == 0 {
            bail!("iterations must be at least 1");
        }
        if !(self.decay_factor > 0.0 && self.decay_factor.is_finite()) {
            bail!(
                "the decay factor must be a positive number, got {}",
                self.decay_factor
            );
        }
        Ok(())
    }
}

/// The smallest side a texture sample may have for the layers `layers` of `vgg`: the
/// receptive field of the deepest one (132 pixels for relu5_1 of VGG16, 228 for VGG19).
///
/// Each Gram matrix averages a layer's features over positions; a feature of relu5_1
/// sees a 132×132 window, so from a smaller sample every one of its features sees mostly
/// zero padding, and the Gram matrix describes the padding more than the texture.
pub fn min_sample_side<T: Real>(vgg: &Vgg<T>, layers: &[usize]) -> usize {
    let Some(&deepest) = layers.iter().max() else {
        return 1;
    };
    receptive_field_at(&vgg.layers, deepest)
}

/// The training loss: the one [`Objective`], owning the frozen network, and the weights'
/// input convention that maps the generator's RGB into the network's space.
///
/// Texture: `L = Σ_l w_l·E_l` (`style_weight = 1`). Stylisation:
/// `L = Σ_l c_l·L_content,l + α·Σ_l w_l·E_l` with the content target of each item taken
/// from its own content picture. Both averaged over the batch, with the Gatys
/// normalisation.
#[derive(Clone, Debug)]
pub struct TrainLoss<T: Real> {
    objective: Objective<'static, T>,
    convention: Convention,
}

/// What one evaluation of the training loss gives.
#[derive(Clone, Debug)]
pub struct Evaluation<T> {
    /// The batch-mean loss terms.
    pub terms: Terms,
    /// ∂L/∂θ, laid out like [`Generator::params`].
    pub grad: Vec<T>,
    /// The generator's forward pass (its output and batch statistics).
    pub forward: Forward<T>,
}

impl<T: Real> TrainLoss<T> {
    /// A texture loss: Gram matrices of `sample` (1, 3, Hs, Ws), already preprocessed for
    /// `vgg`, at `style_layers` (name, weight); outputs of size `out_hw`.
    ///
    /// Fails, naming the minimum, when the sample is smaller than the deepest layer's
    /// receptive field ([`min_sample_side`]) or the output too small for that layer.
    pub fn texture(
        vgg: Vgg<T>,
        convention: Convention,
        sample: &Tensor4<T>,
        style_layers: &[(String, f64)],
        out_hw: (usize, usize),
    ) -> Result<Self> {
        Self::new(vgg, convention, sample, style_layers, &[], 1.0, out_hw)
    }

    /// A stylisation loss: style as for [`TrainLoss::texture`], plus content at
    /// `content_layers` (name, weight); `alpha` multiplies the style term.
    pub fn stylization(
        vgg: Vgg<T>,
        convention: Convention,
        style: &Tensor4<T>,
        style_layers: &[(String, f64)],
        content_layers: &[(String, f64)],
        alpha: f64,
        out_hw: (usize, usize),
    ) -> Result<Self> {
        if content_layers.is_empty() {
            bail!("stylisation needs at least one content layer");
        }
        Self::new(
            vgg,
            convention,
            style,
            style_layers,
            content_layers,
            alpha,
            out_hw,
        )
    }

    fn new(
        vgg: Vgg<T>,
        convention: Convention,
        sample: &Tensor4<T>,
        style_layers: &[(String, f64)],
        content_layers: &[(String, f64)],
        style_weight: f64,
        out_hw: (usize, usize),
    ) -> Result<Self> {
        if style_layers.is_empty() {
            bail!("at least one texture (style) layer is needed");
        }
        let style_idx =
            vgg.layer_indices(&style_layers.iter().map(|l| &l.0).collect::<Vec<_>>())?;
        let (_, _, hs, ws) = sample.dim();
        let need = min_sample_side(&vgg, &style_idx);
        let deepest = *style_idx.iter().max().expect("non-empty");
        if hs.min(ws) < need {
            let what = if content_layers.is_empty() {
                "texture sample"
            } else {
                "style picture"
            };
            bail!(
                "the {what} is {ws}×{hs} pixels, but {} of {} sees a {need}×{need} window \
                 (its receptive field): the {what}'s shorter side must be at least {need} pixels \
                 (use a larger picture, scale it up, or use shallower layers)",
                vgg.layers[deepest].name,
                vgg.arch.name()
            );
        }
        let spec = LossSpec {
            content_layers: content_layers.to_vec(),
            style_layers: style_layers.to_vec(),
            content_weight: 1.0,
            style_weight,
            tv_weight: 0.0,
            norm: Normalization::Gatys,
        };
        let objective =
            Objective::with_content_per_item(vgg, spec, &[(sample.clone(), 1.0)], out_hw)?;
        Ok(TrainLoss {
            objective,
            convention,
        })
    }

    /// The output size (H, W) the targets were made for.
    pub fn out_hw(&self) -> (usize, usize) {
        self.objective.shape()
    }

    /// Does this loss need content pictures?
    pub fn needs_content(&self) -> bool {
        self.objective.needs_content_pictures()
    }

    /// The objective itself.
    pub fn objective(&self) -> &Objective<'static, T> {
        &self.objective
    }

    /// The weights' preprocessing convention.
    pub fn convention(&self) -> &Convention {
        &self.convention
    }

    /// Pictures (N, 3, H, W), RGB in [0, 1] → VGG input (N, 3, H, W).
    pub fn rgb_to_network(&self, rgb: ArrayView4<T>) -> Tensor4<T> {
        self.convention
            .preprocess_batch(rgb.permuted_axes([0, 2, 3, 1]))
    }

    // ANCHOR: train_loss
    /// The loss of the pictures `x` (N, 3, H, W, VGG input space) and ∂L/∂x. `content`:
    /// the items' content pictures in the same space, when the loss has content layers.
    pub fn loss_and_input_grad(
        &self,
        x: &Tensor4<T>,
        content: Option<&Tensor4<T>>,
    ) -> Result<(Terms, Tensor4<T>)> {
        self.objective.evaluate_batch(x, content)
    }
    // ANCHOR_END: train_loss

    /// The loss alone (no backward pass), e.g. of generated samples.
    pub fn loss(&self, x: &Tensor4<T>, content: Option<&Tensor4<T>>) -> Result<Terms> {
        self.objective.loss_batch(x, content)
    }

    // ANCHOR: evaluate_generator
    /// The training loss of generator `gen` on `inputs` (its noise/content pyramid) and
    /// ∂L/∂θ. `content_rgb` (N, 3, H, W, RGB in [0, 1]) gives the content targets for a
    /// stylisation loss. Runs the generator in train mode (batch statistics).
    pub fn evaluate(
        &self,
        gen: &Generator<T>,
        inputs: &[Tensor4<T>],
        content_rgb: Option<ArrayView4<T>>,
    ) -> Result<Evaluation<T>> {
        let forward = gen.forward(inputs, Mode::Train)?;
        let rgb = output_to_rgb(&forward.output);
        let x = self.rgb_to_network(rgb.view());
        let content = content_rgb.map(|c| self.rgb_to_network(c));
        let (terms, dx) = self.loss_and_input_grad(&x, content.as_ref())?;
        // ∂L/∂RGB: the transpose of the affine preprocessing, back to NCHW; then
        // ∂L/∂o = ∂L/∂RGB / 255.
        let drgb = self.convention.preprocess_backward_batch(dx.view());
        let dout = drgb
            .permuted_axes([0, 3, 1, 2])
            .mapv(|v| v * T::of(OUTPUT_SCALE))
            .as_standard_layout()
            .into_owned();
        let grads = gen.backward(&forward, dout.view(), false);
        Ok(Evaluation {
            terms,
            grad: grads.params,
            forward,
        })
    }
    // ANCHOR_END: evaluate_generator
}

/// RGB per unit of generator output: one 8-bit grey level.
pub const OUTPUT_SCALE: f64 = 1.0 / 255.0;
/// RGB of a zero generator output: mid-grey.
pub const OUTPUT_OFFSET: f64 = 0.5;

// ANCHOR: output_to_rgb
/// The generator's output (N, 3, H, W) as RGB: `rgb = 0.5 + o/255` (module
/// documentation). Unclamped.
pub fn output_to_rgb<T: Real>(out: &Tensor4<T>) -> Tensor4<T> {
    let (a, b) = (T::of(OUTPUT_SCALE), T::of(OUTPUT_OFFSET));
    out.mapv(|v| a * v + b)
}
// ANCHOR_END: output_to_rgb

/// Everything about a run that is not the network: sizes, batch, schedule, seed.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// Training pictures' (H, W): multiples of 2^(K−1).
    pub size: (usize, usize),
    /// Items per batch.
    pub batch: usize,
    /// Learning rate and iterations.
    pub schedule: Schedule,
    /// Seed of the noise (the initial weights have their own, in the generator).
    pub seed: u64,
    /// Amplitude of the noise for stylisation (U[0, s)); textures always use U[0, 1).
    pub noise_scale: f64,
}

/// The trainer's mutable state, for checkpoints: where the run is and what Adam knows.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainState<T> {
    /// Iterations completed.
    pub iteration: usize,
    /// The noise generator's state.
    pub rng_state: u64,
    /// Adam's first moments (empty before the first step).
    pub adam_m: Vec<T>,
    /// Adam's second moments.
    pub adam_v: Vec<T>,
    /// Adam's step count.
    pub adam_t: u64,
}

/// What one training iteration reports.
#[derive(Clone, Debug)]
pub struct StepReport {
    /// The iteration just completed (1-based).
    pub iteration: usize,
    /// Its learning rate.
    pub lr: f64,
    /// The batch's loss terms, before the update.
    pub terms: Terms,
}

/// Owns a generator, its loss, Adam and the schedule, and trains one batch at a time.
pub struct Trainer<T: Real> {
    generator: Generator<T>,
    loss: TrainLoss<T>,
    options: TrainOptions,
    adam: Adam<T>,
    iteration: usize,
    rng: Rng,
}

impl<T: Real> Trainer<T> {
    /// A fresh run: iteration 0, Adam with no history, noise from `options.seed`.
    pub fn new(generator: Generator<T>, loss: TrainLoss<T>, options: TrainOptions) -> Result<Self> {
        let state = TrainState {
            iteration: 0,
            rng_state: options.seed,
            adam_m: Vec::new(),
            adam_v: Vec::new(),
            adam_t: 0,
        };
        Self::resume(generator, loss, options, state)
    }

    /// Continue a run from a checkpointed state.
    pub fn resume(
        generator: Generator<T>,
        loss: TrainLoss<T>,
        options: TrainOptions,
        state: TrainState<T>,
    ) -> Result<Self> {
        options.schedule.validate()?;
        if options.batch == 0 {
            bail!("the batch size must be at least 1");
        }
        let (h, w) = options.size;
        generator.config().check_size(h, w)?;
        if loss.out_hw() != (h, w) {
            bail!(
                "the loss was built for {:?} pictures, the options say {:?}",
                loss.out_hw(),
                (h, w)
            );
        }
        let stylize = generator.config().content_channels > 0;
        if stylize != loss.needs_content() {
            bail!(
                "a {} generator needs a {} loss",
                if stylize { "stylisation" } else { "texture" },
                if stylize {
                    "content + style"
                } else {
                    "texture"
                }
            );
        }
        let adam = Adam::new(options.schedule.lr).with_state(
            generator.parameter_count(),
            state.adam_m,
            state.adam_v,
            state.adam_t,
        )?;
        Ok(Trainer {
            generator,
            loss,
            options,
            adam,
            iteration: state.iteration,
            rng: Rng::new(state.rng_state),
        })
    }

    /// The generator being trained.
    pub fn generator(&self) -> &Generator<T> {
        &self.generator
    }

    /// The loss.
    pub fn loss(&self) -> &TrainLoss<T> {
        &self.loss
    }

    /// The options.
    pub fn options(&self) -> &TrainOptions {
        &self.options
    }

    /// Iterations completed.
    pub fn iteration(&self) -> usize {
        self.iteration
    }

    /// Has the schedule run out?
    pub fn finished(&self) -> bool {
        self.iteration >= self.options.schedule.iterations
    }

    /// What a checkpoint needs to continue exactly from here.
    pub fn state(&self) -> TrainState<T> {
        let (m, v, t) = self.adam.state();
        TrainState {
            iteration: self.iteration,
            rng_state: self.rng.state(),
            adam_m: m.to_vec(),
            adam_v: v.to_vec(),
            adam_t: t,
        }
    }

    /// This iteration's generator inputs: noise, and for stylisation the content pyramid.
    fn inputs(&mut self, content_rgb: Option<ArrayView4<T>>) -> Result<Vec<Tensor4<T>>> {
        let (h, w) = self.options.size;
        let cfg = self.generator.config();
        match content_rgb {
            Some(_) if cfg.content_channels == 0 => {
                bail!("a texture generator takes no content pictures")
            }
            None => noise_inputs(cfg, &mut self.rng, self.options.batch, h, w),
            Some(c) => {
                let (n, _, ch, cw) = c.dim();
                if (n, ch, cw) != (self.options.batch, h, w) {
                    bail!(
                        "content batch is {n}×{ch}×{cw}, expected {}×{h}×{w}",
                        self.options.batch
                    );
                }
                stylization_inputs(cfg, &mut self.rng, c, self.options.noise_scale)
            }
        }
    }

    // ANCHOR: train_step
    /// One iteration: draw inputs, evaluate loss and ∂L/∂θ, take an Adam step at the
    /// schedule's rate, update the running statistics. `content_rgb`: the batch's
    /// content pictures (N, 3, H, W, RGB in [0, 1]) for stylisation, `None` for textures.
    ///
    /// A non-finite loss or gradient leaves the generator untouched and is an error.
    pub fn step(&mut self, content_rgb: Option<ArrayView4<T>>) -> Result<StepReport> {
        let inputs = self.inputs(content_rgb)?;
        let ev = self.loss.evaluate(&self.generator, &inputs, content_rgb)?;
        let iteration = self.iteration + 1;
        if !ev.terms.total.is_finite() || ev.grad.iter().any(|g| !g.f64().is_finite()) {
            bail!(
                "the loss or its gradient became NaN or infinite at iteration {iteration} \
                 (try a smaller --lr); the generator was left as it was"
            );
        }
        let lr = self.options.schedule.lr_at(iteration);
        self.adam.lr = lr;
        self.adam.step(self.generator.params_mut(), &ev.grad);
        self.generator.update_running_stats(&ev.forward);
        self.iteration = iteration;
        Ok(StepReport {
            iteration,
            lr,
            terms: ev.terms,
        })
    }
    // ANCHOR_END: train_step

    /// Run until the schedule ends or `observer` says stop. `content` supplies each
    /// batch's content pictures (stylisation) and is not called for textures. The
    /// observer sees every report and the trainer (to checkpoint, preview, log).
    pub fn run(
        &mut self,
        mut content: impl FnMut() -> Result<Tensor4<T>>,
        mut observer: impl FnMut(&StepReport, &Trainer<T>) -> Result<Control>,
    ) -> Result<bool> {
        while !self.finished() {
            let batch = if self.loss.needs_content() {
                Some(content()?)
            } else {
                None
            };
            let report = self.step(batch.as_ref().map(|b| b.view()))?;
            if observer(&report, self)? == Control::Stop {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed001_schedule() {
        let s = Schedule::seed001();
        assert_eq!(s.lr_at(1), 0.1);
        assert_eq!(s.lr_at(1000), 0.1);
        assert!((s.lr_at(1001) - 0.07).abs() < 1e-15);
        assert!((s.lr_at(1200) - 0.07).abs() < 1e-15);
        assert!((s.lr_at(1201) - 0.049).abs() < 1e-15);
        assert!((s.lr_at(2000) - 0.1 * 0.7f64.powi(5)).abs() < 1e-15);
        let never = Schedule {
            decay_every: 0,
            ..s
        };
        assert_eq!(never.lr_at(5000), 0.1);
    }

    #[test]
    fn bad_schedules_are_named() {
        let s = Schedule::seed001();
        let e = Schedule {
            lr: -1.0,
            ..s.clone()
        }
        .validate()
        .unwrap_err();
        assert!(e.0.contains("learning rate"), "{e}");
        let e = Schedule { iterations: 0, ..s }.validate().unwrap_err();
        assert!(e.0.contains("iterations"), "{e}");
    }
}
