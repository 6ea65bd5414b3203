//! Style transfer by image optimisation (Gatys, Ecker & Bethge, CVPR 2016).
//!
//! The network is frozen; the picture is the variable. With `x` the image in the
//! network's input space (see [`crate::weights::Convention`]):
//!
//! ```text
//! L(x) = α · Σ_l c_l · L_content(F_l(x), P_l)  +  β · Σ_l w_l · E_l(F_l(x), A_l)  +  λ_tv · TV(x)
//! ```
//!
//! * `P_l`: the content picture's features at the content layers (computed once).
//! * `A_l`: the style picture's Gram matrices at the style layers (computed once). With
//!   several style pictures, `A_l = Σ_s b_s · A_l^(s)` for blend weights `b_s` summing to 1.
//!   A Gram matrix is a sum over positions, so it grows with the picture's area; when the
//!   style picture has `M_s` positions at a layer and the output has `M`, its Gram is
//!   rescaled by `M / M_s`, so that pictures of different sizes describe the same style
//!   (for equal sizes this is the paper's `A_l` exactly).
//!
//! One evaluation is one forward pass to the deepest tap, the loss gradients at each
//! tap (`crate::losses`), and one backward pass ([`Vgg::backward`]) that adds them up on
//! the way to `∂L/∂x`.
//!
//! **Where the `F > 0` mask comes from.** Gatys' gradients carry "0 where `F ≤ 0`"
//! because their `F` are ReLU outputs. Taps named `reluB_I` make that literal: the loss
//! gradient at the tap is unmasked and the ReLU's backward pass multiplies it by
//! `[F > 0]` — once. Taps named `convB_I` (seed 002's PyTorch course taps the
//! convolution outputs) define the loss on the pre-activation `F`; there is no ReLU
//! between the tap and the loss, so no mask belongs there, and none is applied.

use crate::bail;
use crate::error::Result;
use crate::losses::{content_loss, gram, style_loss, style_loss_of_gram, tv_loss, Normalisation};
use crate::optim::handover::{stall_worth_a_search, OvershootWatch};
use crate::optim::{Adam, FirstOrder, Gd, Lbfgs, LbfgsOptions, LineSearch};
use crate::tensor::Tensor4;
use crate::vgg::Vgg;
use ndarray::{Array2, Array3, Array4, Axis};

/// The loss's definition: which layers, which weights, which normalisation.
#[derive(Clone, Debug)]
pub struct LossSpec {
    /// `(layer name, weight c_l)` for content.
    pub content_layers: Vec<(String, f64)>,
    /// `(layer name, weight w_l)` for style.
    pub style_layers: Vec<(String, f64)>,
    /// α.
    pub content_weight: f64,
    /// β.
    pub style_weight: f64,
    /// λ_tv (0 turns the term off).
    pub tv_weight: f64,
    /// Which constants the per-layer losses carry.
    pub norm: Normalisation,
}

// ANCHOR: loss_spec
impl LossSpec {
    /// Gatys' defaults: content at relu4_2, style at relu1_1 … relu5_1 with w_l = 1/5,
    /// α/β = 1e-3.
    pub fn gatys() -> Self {
        LossSpec {
            content_layers: vec![("relu4_2".into(), 1.0)],
            style_layers: ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]
                .iter()
                .map(|l| (l.to_string(), 0.2))
                .collect(),
            content_weight: 1.0,
            style_weight: 1e3,
            tv_weight: 0.0,
            norm: Normalisation::Gatys,
        }
    }

    /// Seed 002's course: five convolution outputs (conv1_1, conv2_1, …, conv5_1) used
    /// for both content and style, each with weight 1, content weight 1, style weight 100.
    pub fn seed002() -> Self {
        let layers: Vec<(String, f64)> = ["conv1_1", "conv2_1", "conv3_1", "conv4_1", "conv5_1"]
            .iter()
            .map(|l| (l.to_string(), 1.0))
            .collect();
        LossSpec {
            content_layers: layers.clone(),
            style_layers: layers,
            content_weight: 1.0,
            style_weight: 100.0,
            tv_weight: 0.0,
            norm: Normalisation::Seed002,
        }
    }
}
// ANCHOR_END: loss_spec

/// The value of every term, for logs and tests.
#[derive(Clone, Debug, Default)]
pub struct Terms {
    /// `Σ c_l L_content` (before α).
    pub content: f64,
    /// `Σ w_l E_l` (before β).
    pub style: f64,
    /// TV (before λ_tv).
    pub tv: f64,
    /// `α·content + β·style + λ_tv·tv`: what is minimised.
    pub total: f64,
    /// `(name, value)` per content layer then per style layer (`content:relu4_2`, …),
    /// each before its layer weight.
    pub per_layer: Vec<(String, f64)>,
}

struct Target {
    layer: usize,
    weight: f64,
    kind: TargetKind,
}

enum TargetKind {
    Content(Array3<f32>),
    Style(Array2<f32>),
}

/// A loss ready to evaluate: the network, the spec and the precomputed targets.
pub struct Objective<'a> {
    vgg: &'a Vgg<f32>,
    spec: LossSpec,
    targets: Vec<Target>,
    taps: Vec<usize>,
    shape: (usize, usize),
}

impl<'a> Objective<'a> {
    /// Compute the targets. `content` is the content picture in network space
    /// (1, 3, H, W) and fixes the output size; `styles` are `(picture, blend weight)`,
    /// any sizes. Either may be empty (reconstructions, texture synthesis), in which
    /// case `out_hw` gives the output size.
    pub fn new(
        vgg: &'a Vgg<f32>,
        spec: LossSpec,
        content: Option<&Tensor4<f32>>,
        styles: &[(Tensor4<f32>, f64)],
        out_hw: (usize, usize),
    ) -> Result<Self> {
        let content_idx = vgg.layer_indices(
            &spec
                .content_layers
                .iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>(),
        )?;
        let style_idx =
            vgg.layer_indices(&spec.style_layers.iter().map(|(n, _)| n).collect::<Vec<_>>())?;
        let (h, w) = content.map(|c| (c.dim().2, c.dim().3)).unwrap_or(out_hw);
        let what = if content.is_some() {
            "the content picture"
        } else {
            "the output"
        };
        check_size(
            vgg,
            what,
            h,
            w,
            content_idx.iter().chain(&style_idx).copied().max(),
        )?;
        let mut targets = Vec::new();
        if spec.content_weight != 0.0 && !content_idx.is_empty() {
            let Some(c) = content else {
                bail!("content layers were given but no content picture")
            };
            let fwd = vgg.forward(c.view(), &content_idx, false);
            for (&layer, (_, weight)) in content_idx.iter().zip(&spec.content_layers) {
                let p = fwd
                    .get(layer)
                    .expect("tapped")
                    .index_axis(Axis(0), 0)
                    .to_owned();
                targets.push(Target {
                    layer,
                    weight: *weight,
                    kind: TargetKind::Content(p),
                });
            }
        }
        if spec.style_weight != 0.0 && !style_idx.is_empty() {
            if styles.is_empty() {
                bail!("style layers were given but no style picture");
            }
            // ANCHOR: style_targets
            let blend_sum: f64 = styles.iter().map(|(_, b)| b).sum();
            let mut grams: Vec<Array2<f32>> = Vec::new();
            for (k, (s, blend)) in styles.iter().enumerate() {
                let what = format!("style picture {}", k + 1);
                let deepest = style_idx.iter().copied().max();
                check_size(vgg, &what, s.dim().2, s.dim().3, deepest)?;
                let fwd = vgg.forward(s.view(), &style_idx, false);
                for (j, &layer) in style_idx.iter().enumerate() {
                    let f = fwd.get(layer).expect("tapped").index_axis(Axis(0), 0);
                    let m_style = (f.dim().1 * f.dim().2) as f64;
                    let m_out = positions_at(vgg, layer, h, w) as f64;
                    let a = gram(f) * ((blend / blend_sum) * m_out / m_style) as f32;
                    if k == 0 {
                        grams.push(a);
                    } else {
                        grams[j] += &a;
                    }
                }
            }
            // ANCHOR_END: style_targets
            for ((&layer, (_, weight)), a) in style_idx.iter().zip(&spec.style_layers).zip(grams) {
                targets.push(Target {
                    layer,
                    weight: *weight,
                    kind: TargetKind::Style(a),
                });
            }
        }
        let mut taps: Vec<usize> = targets.iter().map(|t| t.layer).collect();
        taps.sort_unstable();
        taps.dedup();
        Ok(Objective {
            vgg,
            spec,
            targets,
            taps,
            shape: (h, w),
        })
    }

    // ANCHOR: set_network
    /// Evaluate through another network of the same shape from now on (the targets stay as
    /// computed). Tileable texture synthesis computes the sample's Gram matrices with zero
    /// padding and optimises through the circularly padded network.
    pub fn set_network(&mut self, vgg: &'a Vgg<f32>) {
        assert_eq!(
            vgg.layers, self.vgg.layers,
            "set_network: a different architecture"
        );
        self.vgg = vgg;
    }
    // ANCHOR_END: set_network

    /// The output size (H, W) this objective was built for.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// The loss spec.
    pub fn spec(&self) -> &LossSpec {
        &self.spec
    }

    // ANCHOR: evaluate
    /// Loss terms and `∂L/∂x` at `x` (1, 3, H, W).
    pub fn evaluate(&self, x: &Tensor4<f32>) -> (Terms, Tensor4<f32>) {
        let s = &self.spec;
        self.evaluate_with(x, (s.content_weight, s.style_weight, s.tv_weight))
    }

    /// [`Objective::evaluate`] with the weights `(α, β, λ_tv)` in place of the spec's.
    fn evaluate_with(
        &self,
        x: &Tensor4<f32>,
        (a, b, tv): (f64, f64, f64),
    ) -> (Terms, Tensor4<f32>) {
        let mut terms = Terms::default();
        let mut tap_grads = Vec::new();
        let mut dx = Array4::<f32>::zeros(x.raw_dim());
        if !self.taps.is_empty() {
            let fwd = self.vgg.forward(x.view(), &self.taps, true);
            for &layer in &self.taps {
                let f = fwd.get(layer).expect("tapped").index_axis(Axis(0), 0);
                let mut g = Array3::<f32>::zeros(f.raw_dim());
                let name = &self.vgg.layers[layer].name;
                for t in self.targets.iter().filter(|t| t.layer == layer) {
                    let (lg, scale) = match &t.kind {
                        TargetKind::Content(p) => {
                            let lg = content_loss(f, p.view(), self.spec.norm);
                            terms.content += t.weight * lg.value;
                            terms.per_layer.push((format!("content:{name}"), lg.value));
                            (lg, a * t.weight)
                        }
                        TargetKind::Style(gram_a) => {
                            let lg = style_loss(f, gram_a.view(), self.spec.norm);
                            terms.style += t.weight * lg.value;
                            terms.per_layer.push((format!("style:{name}"), lg.value));
                            (lg, b * t.weight)
                        }
                    };
                    g.scaled_add(scale as f32, &lg.grad);
                }
                tap_grads.push((layer, g.insert_axis(Axis(0))));
            }
            dx = self.vgg.backward(&fwd, &tap_grads);
        }
        if tv != 0.0 {
            let lg = tv_loss(x.index_axis(Axis(0), 0));
            terms.tv = lg.value;
            dx.index_axis_mut(Axis(0), 0)
                .scaled_add(tv as f32, &lg.grad);
        }
        terms.total = a * terms.content + b * terms.style + tv * terms.tv;
        (terms, dx)
    }
    // ANCHOR_END: evaluate

    // ANCHOR: check_start
    /// Evaluate the loss at the starting picture `x0` and refuse to start when the loss or
    /// its gradient is not finite there. The gradient is computed in `f32` as a weight
    /// times the unweighted term's gradient, so a weight `w` overflows when
    /// `w × max|∂E/∂x|` passes `f32::MAX` (3.4e38): the error names the weight and the
    /// range it must stay in, measured at `x0` (one more evaluation per weighted term,
    /// only when the check fails).
    pub fn check_start(&self, x0: &Tensor4<f32>) -> Result<Terms> {
        let (terms, g) = self.evaluate(x0);
        if terms.total.is_finite() && g.iter().all(|v| v.is_finite()) {
            return Ok(terms);
        }
        let s = &self.spec;
        let parts = [
            (
                "--content-weight",
                "content",
                s.content_weight,
                (1.0, 0.0, 0.0),
            ),
            ("--style-weight", "style", s.style_weight, (0.0, 1.0, 0.0)),
            (
                "--tv-weight",
                "total-variation",
                s.tv_weight,
                (0.0, 0.0, 1.0),
            ),
        ];
        for (flag, term, weight, unit) in parts {
            if weight == 0.0 {
                continue;
            }
            let (t, g) = self.evaluate_with(x0, unit);
            let peak = g.iter().fold(0.0f64, |m, v| m.max(f64::from(v.abs())));
            if t.total.is_finite() && peak.is_finite() && weight * peak >= f64::from(f32::MAX) {
                bail!(
                    "{flag} {weight:e} is too large: at the starting picture the {term} term's \
                     gradient reaches {peak:.2e} at weight 1, and the weight times that must \
                     stay below {:.1e} (the largest f32): use {flag} below {:.1e}, and well \
                     below, since the gradient grows while optimising",
                    f32::MAX,
                    f64::from(f32::MAX) / peak
                );
            }
        }
        bail!(
            "the loss or its gradient is not finite at the starting picture (loss {:e}): \
             lower --content-weight / --style-weight / --tv-weight, or check the pictures",
            terms.total
        )
    }
    // ANCHOR_END: check_start

    /// The Gram matrix of `x` (1, 3, H, W) at each style target, in the order of the
    /// spec's style layers: one forward pass, no backward.
    pub fn style_grams(&self, x: &Tensor4<f32>) -> Vec<Array2<f32>> {
        let fwd = self.vgg.forward(x.view(), &self.taps, false);
        self.style_targets()
            .map(|(t, _)| gram(fwd.get(t.layer).expect("tapped").index_axis(Axis(0), 0)))
            .collect()
    }

    /// Each style layer's term `β·w_l·‖G_l − C_l‖²/D_l` (what [`Objective::evaluate`]
    /// adds up) for a picture of this objective's size whose Gram matrices are `grams`
    /// (as [`Objective::style_grams`] returns them), measured from the targets, or from
    /// `centres` when given. The sum, with the targets, is the picture's style term;
    /// [`crate::texture_net::diversity::gram_split`] measures from the mean of several
    /// pictures' Gram matrices instead.
    pub fn style_layer_losses(
        &self,
        grams: &[Array2<f32>],
        centres: Option<&[Array2<f32>]>,
    ) -> Vec<f64> {
        let (h, w) = self.shape;
        self.style_targets()
            .enumerate()
            .zip(grams)
            .map(|((l, (t, a)), g)| {
                let c = centres.map_or(a, |c| &c[l]);
                let m = positions_at(self.vgg, t.layer, h, w);
                let e = style_loss_of_gram(g.view(), c.view(), m, self.spec.norm);
                self.spec.style_weight * t.weight * e
            })
            .collect()
    }

    fn style_targets(&self) -> impl Iterator<Item = (&Target, &Array2<f32>)> {
        self.targets.iter().filter_map(|t| match &t.kind {
            TargetKind::Style(a) => Some((t, a)),
            TargetKind::Content(_) => None,
        })
    }
}

// ANCHOR: positions_at
/// Positions (H·W) at layer `layer` for an `h`×`w` input: halved by every pool before it.
fn positions_at(vgg: &Vgg<f32>, layer: usize, h: usize, w: usize) -> usize {
    let pools = vgg.layers[..=layer]
        .iter()
        .filter(|l| l.kind == crate::vgg::LayerKind::Pool)
        .count();
    (h >> pools) * (w >> pools)
}
// ANCHOR_END: positions_at

/// Every tapped layer must have at least one pixel. The error reads "`what` is W×H
/// pixels, too small for layer …", for the caller to name the picture.
fn check_size(
    vgg: &Vgg<f32>,
    what: &str,
    h: usize,
    w: usize,
    deepest: Option<usize>,
) -> Result<()> {
    let Some(d) = deepest else { return Ok(()) };
    if positions_at(vgg, d, h, w) == 0 {
        let pools = vgg.layers[..=d]
            .iter()
            .filter(|l| l.kind == crate::vgg::LayerKind::Pool)
            .count();
        bail!(
            "{what} is {w}×{h} pixels, too small for layer {}, which needs at least {}×{}",
            vgg.layers[d].name,
            1 << pools,
            1 << pools
        );
    }
    Ok(())
}

/// Is an `h`×`w` picture large enough for the deepest of `layers` (every 2×2 pooling
/// before it halves the picture, and at least one pixel must remain)? The error reads
/// "is W×H pixels, too small for layer …, which needs at least N×N", for the caller to
/// put the picture's name in front.
pub fn check_picture_size(vgg: &Vgg<f32>, layers: &[String], h: usize, w: usize) -> Result<()> {
    let idx = vgg.layer_indices(layers)?;
    check_size(vgg, "", h, w, idx.into_iter().max())
        .map_err(|e| crate::Error(e.0.trim_start().to_string()))
}

/// Which optimiser and its settings.
#[derive(Clone, Debug)]
pub enum OptimizerChoice {
    /// L-BFGS with a history size, step length and line search.
    Lbfgs {
        /// Curvature pairs kept.
        history: usize,
        /// Step length (1 = the quasi-Newton step).
        lr: f64,
        /// Fixed step or strong Wolfe.
        line_search: LineSearch,
    },
    /// Adam.
    Adam {
        /// Step size, in network-input units.
        lr: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
    },
    /// Plain gradient descent.
    Gd {
        /// Step size.
        lr: f64,
    },
}

impl OptimizerChoice {
    /// How many picture-sized vectors the optimiser keeps: the iterate and its gradient,
    /// plus L-BFGS's curvature pairs, direction and previous gradient and its line
    /// search's trial point and kept evaluation (which a fixed-step run needs too once it
    /// stalls, see [`optimize_bounded`]), or Adam's two moments.
    pub fn state_vectors(&self) -> usize {
        match self {
            OptimizerChoice::Lbfgs { history, .. } => 2 * history + 7,
            OptimizerChoice::Adam { .. } => 4,
            OptimizerChoice::Gd { .. } => 2,
        }
    }
}

/// What the observer sees after each iteration.
pub struct Iteration<'a> {
    /// 1-based iteration number.
    pub iter: usize,
    /// The loss terms at the image the iteration started from.
    pub terms: &'a Terms,
    /// The image after the iteration (network space).
    pub x: &'a Tensor4<f32>,
    /// Function evaluations so far.
    pub evals: usize,
}

/// The observer's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop now (Ctrl-C, a time limit).
    Stop,
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// All iterations done.
    Finished,
    /// The optimiser found nothing more to do (a tolerance was met).
    Converged(String),
    /// The observer asked to stop.
    Stopped,
    /// The loss became NaN or infinite at this iteration; the image is the last good one.
    NonFinite(usize),
}

/// The result of [`optimize`].
pub struct Outcome {
    /// The final image (network space); for [`Ending::NonFinite`], the last good one.
    pub x: Tensor4<f32>,
    /// Terms at the last evaluated good image.
    pub terms: Terms,
    /// Iterations completed.
    pub iterations: usize,
    /// Function evaluations.
    pub evals: usize,
    /// Why it ended.
    pub ending: Ending,
    /// The iteration after which a fixed-step L-BFGS run that stalled or kept
    /// overshooting started again with the strong-Wolfe line search, if it did (see
    /// [`optimize_bounded`]).
    pub searched_from: Option<usize>,
}

/// The range of a picture in network space: per channel, the preprocessing of RGB 0
/// and 1 (for the Caffe weights `−mean` … `255 − mean`).
#[derive(Clone, Debug)]
pub struct PixelBounds {
    lo: [f32; 3],
    hi: [f32; 3],
}

impl PixelBounds {
    /// The bounds of pictures preprocessed with `conv`.
    pub fn of(conv: &crate::weights::Convention) -> Self {
        let black = conv.preprocess(Array3::<f32>::zeros((1, 1, 3)).view());
        let white = conv.preprocess(Array3::<f32>::ones((1, 1, 3)).view());
        let (mut lo, mut hi) = ([0.0; 3], [0.0; 3]);
        for c in 0..3 {
            let (a, b) = (black[[0, c, 0, 0]], white[[0, c, 0, 0]]);
            (lo[c], hi[c]) = (a.min(b), a.max(b));
        }
        PixelBounds { lo, hi }
    }

    /// The fraction of a flat (N, 3, H, W) picture's values outside the range; `plane`
    /// is H·W.
    pub fn outside(&self, x: &[f32], plane: usize) -> f64 {
        let n = x
            .chunks(plane.max(1))
            .enumerate()
            .map(|(i, chunk)| {
                let c = i % 3;
                chunk
                    .iter()
                    .filter(|&&v| v < self.lo[c] || v > self.hi[c])
                    .count()
            })
            .sum::<usize>();
        n as f64 / x.len().max(1) as f64
    }

    /// Clamp a flat (N, 3, H, W) picture into the range, channel by channel.
    pub fn clamp(&self, x: &mut [f32], plane: usize) {
        for (i, chunk) in x.chunks_mut(plane).enumerate() {
            let c = i % 3;
            chunk
                .iter_mut()
                .for_each(|v| *v = v.clamp(self.lo[c], self.hi[c]));
        }
    }
}

// ANCHOR: optimize
// ANCHOR: optimize_api
/// Minimise the objective from `x0` for up to `iterations` iterations, calling
/// `observer` after each one.
pub fn optimize(
    obj: &Objective,
    x0: Tensor4<f32>,
    choice: &OptimizerChoice,
    iterations: usize,
    observer: impl FnMut(&Iteration) -> Control,
) -> Outcome {
    optimize_bounded(obj, x0, choice, iterations, None, observer)
}
// ANCHOR_END: optimize_api

/// [`optimize`] with every picture it takes a step to projected into `bounds` (when
/// given): after each iteration the pixels are clamped back into the range a saved
/// picture has, so the loss it reports is the loss of a picture that saving does not
/// change (apart from 8-bit rounding). The optimiser's history still describes the
/// unprojected steps, so for L-BFGS this is a heuristic (as clamping after each step is
/// in PyTorch's tutorial), not L-BFGS-B.
///
/// Fixed-step L-BFGS (the default) follows torch's trajectory exactly until it would
/// stop for lack of progress or overshoots for the second time; then, once, it starts
/// again with the strong-Wolfe line search instead ([`crate::optim::handover`],
/// [`Outcome::searched_from`]).
pub fn optimize_bounded(
    obj: &Objective,
    x0: Tensor4<f32>,
    choice: &OptimizerChoice,
    iterations: usize,
    bounds: Option<&PixelBounds>,
    mut observer: impl FnMut(&Iteration) -> Control,
) -> Outcome {
    let shape = x0.raw_dim();
    let plane = shape[2] * shape[3];
    let mut x = x0.into_raw_vec_and_offset().0;
    let mut last_good = x.clone();
    let mut terms = Terms::default();
    let mut evals = 0;
    let eval = |xs: &[f32], terms: &mut Terms, evals: &mut usize| -> (f64, Vec<f32>) {
        let xt = Array4::from_shape_vec(shape, xs.to_vec()).expect("same length");
        let (t, g) = obj.evaluate(&xt);
        *evals += 1;
        let total = t.total;
        *terms = t;
        (total, g.into_raw_vec_and_offset().0)
    };
    let mut lbfgs = None;
    let mut lbfgs_options = LbfgsOptions::default();
    let mut searched_from = None;
    let mut watch = OvershootWatch::default();
    let mut previous_start: Option<Vec<f32>> = None;
    let mut adam = None;
    match choice {
        OptimizerChoice::Lbfgs {
            history,
            lr,
            line_search,
        } => {
            lbfgs_options = LbfgsOptions {
                lr: *lr,
                history_size: *history,
                line_search: *line_search,
                ..Default::default()
            };
            lbfgs = Some(Lbfgs::new(lbfgs_options));
        }
        OptimizerChoice::Adam { lr, beta1, beta2 } => {
            adam = Some(Adam::new(*lr).with_betas(*beta1, *beta2))
        }
        OptimizerChoice::Gd { .. } => {}
    }
    let mut ending = Ending::Finished;
    let mut done = 0;
    if iterations == 0 {
        // No step: the loss reported is the starting picture's.
        eval(&x, &mut terms, &mut evals);
    }
    for iter in 1..=iterations {
        let mut stop_reason = None;
        if let Some(opt) = lbfgs.as_mut() {
            // Only the fixed step can hand over (optim::handover), and only once: the
            // handover switches to the line search.
            let fixed = lbfgs_options.line_search == LineSearch::None;
            let start = fixed.then(|| x.clone());
            let step = opt.step(&mut x, |xs| eval(xs, &mut terms, &mut evals));
            let overshot = fixed && watch.second_overshoot(step.loss);
            let stalled = fixed && step.stop.is_some_and(stall_worth_a_search);
            if overshot || stalled {
                // From where the overshooting step started, or from where the stall is.
                if overshot {
                    x = previous_start
                        .take()
                        .expect("a second overshoot has a step before it");
                }
                lbfgs_options.line_search = LineSearch::StrongWolfe;
                lbfgs = Some(Lbfgs::new(lbfgs_options));
                searched_from = Some(iter);
            } else {
                stop_reason = step.stop.map(|s| format!("{s:?}"));
            }
            previous_start = start;
        } else {
            let (_, g) = eval(&x, &mut terms, &mut evals);
            if terms.total.is_finite() {
                match (choice, adam.as_mut()) {
                    (_, Some(adam)) => adam.step(&mut x, &g),
                    (OptimizerChoice::Gd { lr }, _) => Gd::new(*lr).step(&mut x, &g),
                    _ => unreachable!("every choice has a step"),
                }
            }
        }
        if !terms.total.is_finite() {
            x.clone_from(&last_good);
            ending = Ending::NonFinite(iter);
            break;
        }
        // `--clamp`: back into the range a saved picture has.
        if let Some(b) = bounds {
            b.clamp(&mut x, plane);
        }
        if x.iter().any(|v| !v.is_finite()) {
            x.clone_from(&last_good);
            ending = Ending::NonFinite(iter + 1);
            break;
        }
        last_good.clone_from(&x);
        done = iter;
        let xt = Array4::from_shape_vec(shape, x.clone()).expect("same length");
        let control = observer(&Iteration {
            iter,
            terms: &terms,
            x: &xt,
            evals,
        });
        if let Some(r) = stop_reason {
            ending = Ending::Converged(r);
            break;
        }
        if control == Control::Stop {
            ending = Ending::Stopped;
            break;
        }
    }
    let x = Array4::from_shape_vec(shape, x).expect("same length");
    Outcome {
        x,
        terms,
        iterations: done,
        evals,
        ending,
        searched_from,
    }
}
// ANCHOR_END: optimize
