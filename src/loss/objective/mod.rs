//! The objective: what style transfer, reconstructions, texture synthesis and Texture
//! Networks training all minimise, written once.
//!
//! With `x` a batch of `N` pictures in the network's input space (see
//! [`crate::net::weights::Convention`]) and `F_l(x_n)` item `n`'s features at layer `l`:
//!
//! ```text
//! L(x) = (1/N) Σ_n [ α · Σ_l c_l · L_content(F_l(x_n), P_l,n)
//!                  + β · Σ_l w_l · E_l(F_l(x_n), A_l)
//!                  + λ_tv · TV(x_n) ]
//! ```
//!
//! * `P_l,n`: the content features. Either fixed, from one content picture given when
//!   the objective is built (style transfer: [`Objective::new`]), or each item's own,
//!   from content pictures given with every batch (training a stylisation generator:
//!   [`Objective::with_content_per_item`]).
//! * `A_l`: the style pictures' Gram matrices (computed once). With several style
//!   pictures, `A_l = Σ_s b_s · A_l^(s)` for blend weights `b_s` summing to 1. A Gram
//!   matrix is a sum over positions, so it grows with the picture's area; when a style
//!   picture has `M_s` positions at a layer and the output has `M`, its Gram is rescaled
//!   by `M / M_s`, so that pictures of different sizes describe the same style (for equal
//!   sizes this is the paper's `A_l` exactly).
//! * The per-layer losses and their normalisation are [`crate::loss`]'.
//!
//! For one picture (`N = 1`) this is Gatys, Ecker & Bethge's loss; for a batch it is the
//! mean Texture Networks train on, so a trained generator's loss reads on the same scale
//! as what optimisation reaches.
//!
//! One evaluation is one forward pass to the deepest tap, the loss gradients at each tap,
//! and one backward pass ([`Vgg::backward`]) that adds them up on the way to `∂L/∂x`.
//!
//! **Where the `F > 0` mask comes from.** Gatys' gradients carry "0 where `F ≤ 0`"
//! because their `F` are ReLU outputs. Taps named `reluB_I` make that literal: the loss
//! gradient at the tap is unmasked and the ReLU's backward pass multiplies it by
//! `[F > 0]` — once. Taps named `convB_I` (seed 002's PyTorch course taps the
//! convolution outputs) define the loss on the pre-activation `F`; there is no ReLU
//! between the tap and the loss, so no mask belongs there, and none is applied.

use crate::bail;
use crate::error::Result;
use crate::loss::{content_loss, gram, style_loss, style_loss_of_gram, tv_loss, Normalization};
use crate::math::tensor::{Real, Tensor4};
use crate::net::vgg::{Forward, Vgg};
use ndarray::{Array2, Array3, Array4, Axis, Zip};
use std::borrow::Cow;

pub mod tiled;
pub use tiled::{tiled_forward, Core, TileGrid};

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
    pub norm: Normalization,
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
            norm: Normalization::Gatys,
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
            norm: Normalization::Seed002,
        }
    }
}
// ANCHOR_END: loss_spec

// ANCHOR: balance_of
impl LossSpec {
    /// This loss for a picture of `pixels` pixels, weighing its terms against each other
    /// as it does at `reference` pixels: the weight of every term that grows with the
    /// picture is multiplied by `reference / pixels`.
    ///
    /// Which terms grow depends on the normalisation. Gatys' content term `½ Σ (F − P)²`
    /// is a sum over positions, so it grows with the pixels; the style term divides by
    /// `M²`, and the Gram matrix is itself a sum over the `M` positions, so it does not.
    /// Seed 002's content term is a mean and does not grow; its style term divides the
    /// squared Gram difference (`∝ M²`) by `N³M` only, so it grows. The total variation is
    /// a sum over pixels under both. Coarse to fine, each stage keeps the first stage's
    /// balance this way: with the weights unchanged, Gatys' loss at 3840×2160 weighs
    /// content 56 times as heavily against style as at 512×288.
    pub fn balanced_as_at(&self, reference: usize, pixels: usize) -> LossSpec {
        let r = reference as f64 / pixels.max(1) as f64;
        let mut spec = self.clone();
        match self.norm {
            Normalization::Gatys => spec.content_weight *= r,
            Normalization::Seed002 => spec.style_weight *= r,
        }
        spec.tv_weight *= r;
        spec
    }
}
// ANCHOR_END: balance_of

/// The value of every term, for logs and tests: each the mean over the batch.
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
    /// `(name, value)` per target in network order, content before style at a layer
    /// they share (`style:relu1_1`, …, `content:relu4_2`, `style:relu4_2`, …), each
    /// before its layer weight.
    pub per_layer: Vec<(String, f64)>,
}

/// One content layer: where, how much, and the features to match when they are fixed.
#[derive(Clone, Debug)]
struct ContentTarget<T> {
    layer: usize,
    weight: f64,
    /// The content picture's features `P_l` (C, H, W), or `None` when every item of a
    /// batch brings its own content picture.
    fixed: Option<Array3<T>>,
}

/// One style layer: where, how much, and the blended, rescaled Gram target `A_l`.
#[derive(Clone, Debug)]
struct StyleTarget<T> {
    layer: usize,
    weight: f64,
    gram: Array2<T>,
}

/// A loss ready to evaluate: the frozen network, the spec and the precomputed targets.
///
/// The network is borrowed (style transfer: the binary keeps one and may swap in its
/// circularly padded twin with [`Objective::set_network`]) or owned (a trainer keeps its
/// objective for the whole run).
#[derive(Clone, Debug)]
pub struct Objective<'a, T: Real = f32> {
    vgg: Cow<'a, Vgg<T>>,
    spec: LossSpec,
    content: Vec<ContentTarget<T>>,
    style: Vec<StyleTarget<T>>,
    taps: Vec<usize>,
    shape: (usize, usize),
    /// Evaluate tile by tile on this grid ([`Objective::new_tiled`]).
    tiles: Option<TileGrid>,
}

impl<'a, T: Real> Objective<'a, T> {
    /// Compute the targets. `content` is the content picture in network space
    /// (1, 3, H, W) and fixes the output size; `styles` are `(picture, blend weight)`,
    /// any sizes. Either may be empty (reconstructions, texture synthesis), in which
    /// case `out_hw` gives the output size.
    pub fn new(
        vgg: &'a Vgg<T>,
        spec: LossSpec,
        content: Option<&Tensor4<T>>,
        styles: &[(Tensor4<T>, f64)],
        out_hw: (usize, usize),
    ) -> Result<Self> {
        Self::build(
            Cow::Borrowed(vgg),
            spec,
            Some(content),
            styles,
            out_hw,
            None,
        )
    }

    /// [`Objective::new`] for pictures too large for VGG's activations at once: the
    /// targets are computed, and every evaluation of one picture runs, tile by tile on
    /// cores of about `core` pixels ([`tiled`]), with the same results up to
    /// round-off.
    pub fn new_tiled(
        vgg: &'a Vgg<T>,
        spec: LossSpec,
        content: Option<&Tensor4<T>>,
        styles: &[(Tensor4<T>, f64)],
        out_hw: (usize, usize),
        core: usize,
    ) -> Result<Self> {
        Self::build(
            Cow::Borrowed(vgg),
            spec,
            Some(content),
            styles,
            out_hw,
            Some(core),
        )
    }

    /// An objective that owns its network and takes each item's content picture with
    /// every batch ([`Objective::evaluate_batch`]): what a stylisation generator trains
    /// on. Without content layers (a texture generator) no content pictures are needed.
    pub fn with_content_per_item(
        vgg: Vgg<T>,
        spec: LossSpec,
        styles: &[(Tensor4<T>, f64)],
        out_hw: (usize, usize),
    ) -> Result<Objective<'static, T>> {
        Objective::build(Cow::Owned(vgg), spec, None, styles, out_hw, None)
    }

    /// `content`: `Some(picture or none)` for fixed content targets, `None` for content
    /// given per item.
    fn build(
        vgg: Cow<'a, Vgg<T>>,
        spec: LossSpec,
        content: Option<Option<&Tensor4<T>>>,
        styles: &[(Tensor4<T>, f64)],
        out_hw: (usize, usize),
        core: Option<usize>,
    ) -> Result<Self> {
        let names = |l: &[(String, f64)]| l.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        let content_idx = vgg.layer_indices(&names(&spec.content_layers))?;
        let style_idx = vgg.layer_indices(&names(&spec.style_layers))?;
        let fixed_picture = content.flatten();
        let (h, w) = fixed_picture.map_or(out_hw, |c| (c.dim().2, c.dim().3));
        let what = if fixed_picture.is_some() {
            "the content picture"
        } else {
            "the output"
        };
        let all: Vec<usize> = content_idx.iter().chain(&style_idx).copied().collect();
        vgg.check_input_size(what, (h, w), &all)?;
        let tiles = core
            .map(|core| TileGrid::for_layers(&vgg, &all, core))
            .transpose()?;
        // A forward pass of a whole picture, or tile by tile: Gram matrices at
        // `gram_layers`, features at `feature_layers`.
        let forward = |x: &Tensor4<T>, gram_layers: &[usize], feature_layers: &[usize]| {
            if let Some(grid) = &tiles {
                return tiled::tiled_forward(&vgg, x, grid, gram_layers, feature_layers, || {});
            }
            let mut taps: Vec<usize> = gram_layers.iter().chain(feature_layers).copied().collect();
            taps.sort_unstable();
            taps.dedup();
            let fwd = vgg.forward(x.view(), &taps, false);
            let at = |l: usize| fwd.get(l).expect("tapped").index_axis(Axis(0), 0);
            let grams = gram_layers.iter().map(|&l| gram(at(l))).collect();
            let features = feature_layers.iter().map(|&l| at(l).to_owned()).collect();
            (grams, features)
        };

        let mut content_targets = Vec::new();
        if spec.content_weight != 0.0 && !content_idx.is_empty() {
            let mut features = match content {
                None => None,
                Some(None) => bail!("content layers were given but no content picture"),
                Some(Some(c)) => Some(forward(c, &[], &content_idx).1.into_iter()),
            };
            for (&layer, (_, weight)) in content_idx.iter().zip(&spec.content_layers) {
                let fixed = features.as_mut().and_then(|f| f.next());
                content_targets.push(ContentTarget {
                    layer,
                    weight: *weight,
                    fixed,
                });
            }
        }

        let mut style_targets = Vec::new();
        if spec.style_weight != 0.0 && !style_idx.is_empty() {
            if styles.is_empty() {
                bail!("style layers were given but no style picture");
            }
            // ANCHOR: style_targets
            let blend_sum: f64 = styles.iter().map(|(_, b)| b).sum();
            let mut grams: Vec<Array2<T>> = Vec::new();
            for (k, (s, blend)) in styles.iter().enumerate() {
                let what = format!("style picture {}", k + 1);
                vgg.check_input_size(&what, (s.dim().2, s.dim().3), &style_idx)?;
                let (style_grams, _) = forward(s, &style_idx, &[]);
                for (j, (&layer, g)) in style_idx.iter().zip(style_grams).enumerate() {
                    let m_style = vgg.positions_at(layer, (s.dim().2, s.dim().3)) as f64;
                    let m_out = vgg.positions_at(layer, (h, w)) as f64;
                    let a = g * T::of((blend / blend_sum) * m_out / m_style);
                    if k == 0 {
                        grams.push(a);
                    } else {
                        grams[j] += &a;
                    }
                }
            }
            // ANCHOR_END: style_targets
            for ((&layer, (_, weight)), gram) in style_idx.iter().zip(&spec.style_layers).zip(grams)
            {
                style_targets.push(StyleTarget {
                    layer,
                    weight: *weight,
                    gram,
                });
            }
        }

        let mut taps: Vec<usize> = content_targets
            .iter()
            .map(|t| t.layer)
            .chain(style_targets.iter().map(|t| t.layer))
            .collect();
        taps.sort_unstable();
        taps.dedup();
        Ok(Objective {
            vgg,
            spec,
            content: content_targets,
            style: style_targets,
            taps,
            shape: (h, w),
            tiles,
        })
    }

    // ANCHOR: set_network
    /// Evaluate through another network of the same shape from now on (the targets stay as
    /// computed). Tileable texture synthesis computes the sample's Gram matrices with zero
    /// padding and optimises through the circularly padded network; a tile grid then wraps
    /// around the picture as that network does.
    pub fn set_network(&mut self, vgg: &'a Vgg<T>) {
        assert_eq!(
            vgg.layers, self.vgg.layers,
            "set_network: a different architecture"
        );
        self.vgg = Cow::Borrowed(vgg);
        if let Some(grid) = &mut self.tiles {
            grid.wrap = tiled::wraps(vgg);
        }
    }
    // ANCHOR_END: set_network

    /// The network the objective evaluates through.
    pub fn network(&self) -> &Vgg<T> {
        &self.vgg
    }

    /// The tile grid every evaluation of one picture runs on, if any.
    pub fn tiles(&self) -> Option<&TileGrid> {
        self.tiles.as_ref()
    }

    /// The output size (H, W) this objective was built for.
    pub fn shape(&self) -> (usize, usize) {
        self.shape
    }

    /// The loss spec.
    pub fn spec(&self) -> &LossSpec {
        &self.spec
    }

    /// Does each batch need its items' content pictures ([`Objective::evaluate_batch`])?
    pub fn needs_content_pictures(&self) -> bool {
        self.content.iter().any(|t| t.fixed.is_none())
    }

    // ANCHOR: evaluate
    /// Loss terms and `∂L/∂x` at `x` (N, 3, H, W), for an objective whose content targets
    /// were fixed when it was built ([`Objective::new`]).
    ///
    /// # Panics
    /// For an objective that takes each item's content picture
    /// ([`Objective::with_content_per_item`] with content layers): those are evaluated by
    /// [`Objective::evaluate_batch`].
    pub fn evaluate(&self, x: &Tensor4<T>) -> (Terms, Tensor4<T>) {
        assert!(
            !self.needs_content_pictures(),
            "Objective::evaluate: this objective takes content per item (evaluate_batch)"
        );
        let s = &self.spec;
        let weights = (s.content_weight, s.style_weight, s.tv_weight);
        let (terms, dx) = self
            .evaluate_with(x, None, weights, true)
            .expect("fixed content targets: nothing to check");
        (terms, dx.expect("asked for the gradient"))
    }

    /// Loss terms and `∂L/∂x` at `x` (N, 3, H, W). `content` (N, 3, H, W, network space):
    /// each item's content picture, for an objective built with
    /// [`Objective::with_content_per_item`] that has content layers.
    pub fn evaluate_batch(
        &self,
        x: &Tensor4<T>,
        content: Option<&Tensor4<T>>,
    ) -> Result<(Terms, Tensor4<T>)> {
        let s = &self.spec;
        let weights = (s.content_weight, s.style_weight, s.tv_weight);
        let (terms, dx) = self.evaluate_with(x, content, weights, true)?;
        Ok((terms, dx.expect("asked for the gradient")))
    }

    /// The loss alone: one forward pass, no backward (e.g. of generated samples).
    pub fn loss_batch(&self, x: &Tensor4<T>, content: Option<&Tensor4<T>>) -> Result<Terms> {
        let s = &self.spec;
        let weights = (s.content_weight, s.style_weight, s.tv_weight);
        Ok(self.evaluate_with(x, content, weights, false)?.0)
    }

    /// The loss with the weights `(α, β, λ_tv)` in place of the spec's, and `∂L/∂x` when
    /// `grad`.
    fn evaluate_with(
        &self,
        x: &Tensor4<T>,
        content: Option<&Tensor4<T>>,
        (a, b, tv): (f64, f64, f64),
        grad: bool,
    ) -> Result<(Terms, Option<Tensor4<T>>)> {
        if let Some(grid) = &self.tiles {
            if x.dim().0 == 1 && content.is_none() {
                let (terms, dx) = self.evaluate_tiled_with(x, grid, (a, b, tv), |_, _| {})?;
                return Ok((terms, Some(dx)));
            }
        }
        let content_fwd = self.content_features(x, content)?;
        let n = x.dim().0;
        let inv_n = 1.0 / n as f64;
        let mut terms = Terms::default();
        let mut dx = grad.then(|| Array4::<T>::zeros(x.raw_dim()));
        if !self.taps.is_empty() {
            let mut fwd = self.vgg.forward(x.view(), &self.taps, grad);
            let mut tap_grads = Vec::new();
            for &layer in &self.taps {
                // Moved out and dropped at the end of this step: from here on only its
                // gradient is needed.
                let f = fwd.take(layer).expect("tapped");
                let mut g = TapGrad::new(f.raw_dim());
                let name = &self.vgg.layers[layer].name;
                for t in self.content.iter().filter(|t| t.layer == layer) {
                    let mut sum = 0.0;
                    for i in 0..n {
                        let p = match &t.fixed {
                            Some(p) => p.view(),
                            None => content_fwd
                                .as_ref()
                                .and_then(|cf| cf.get(layer))
                                .expect("content_features ran the content pictures")
                                .index_axis(Axis(0), i),
                        };
                        let lg = content_loss(f.index_axis(Axis(0), i), p, self.spec.norm);
                        sum += lg.value * inv_n;
                        g.add(i, T::of(a * t.weight * inv_n), lg.grad);
                    }
                    terms.content += t.weight * sum;
                    terms.per_layer.push((format!("content:{name}"), sum));
                }
                for t in self.style.iter().filter(|t| t.layer == layer) {
                    let mut sum = 0.0;
                    for i in 0..n {
                        let lg =
                            style_loss(f.index_axis(Axis(0), i), t.gram.view(), self.spec.norm);
                        sum += lg.value * inv_n;
                        g.add(i, T::of(b * t.weight * inv_n), lg.grad);
                    }
                    terms.style += t.weight * sum;
                    terms.per_layer.push((format!("style:{name}"), sum));
                }
                tap_grads.push((layer, g.finish()));
            }
            if grad {
                dx = Some(self.vgg.backward(&fwd, tap_grads));
            }
        }
        if tv != 0.0 {
            for i in 0..n {
                let lg = tv_loss(x.index_axis(Axis(0), i));
                terms.tv += lg.value * inv_n;
                if let Some(dx) = dx.as_mut() {
                    dx.index_axis_mut(Axis(0), i)
                        .scaled_add(T::of(tv * inv_n), &lg.grad);
                }
            }
        }
        terms.total = a * terms.content + b * terms.style + tv * terms.tv;
        Ok((terms, dx))
    }
    // ANCHOR_END: evaluate

    /// The content pictures' forward pass to the content layers, when the content targets
    /// are per item; checks that they were given and match `x`.
    fn content_features(
        &self,
        x: &Tensor4<T>,
        content: Option<&Tensor4<T>>,
    ) -> Result<Option<Forward<T>>> {
        if !self.needs_content_pictures() {
            return Ok(None);
        }
        let Some(c) = content else {
            bail!("this loss needs the content pictures of the batch");
        };
        if c.dim() != x.dim() {
            bail!(
                "content pictures are {:?}, the generated ones {:?}",
                c.dim(),
                x.dim()
            );
        }
        let layers: Vec<usize> = self.content.iter().map(|t| t.layer).collect();
        Ok(Some(self.vgg.forward(c.view(), &layers, false)))
    }

    // ANCHOR: check_start
    /// Evaluate the loss at the starting picture `x0` and refuse to start when the loss or
    /// its gradient is not finite there. The gradient is computed as a weight times the
    /// unweighted term's gradient, so in `f32` a weight `w` overflows when
    /// `w × max|∂E/∂x|` passes `f32::MAX` (3.4e38): the error names the weight and the
    /// range it must stay in, measured at `x0` (one more evaluation per weighted term,
    /// only when the check fails).
    pub fn check_start(&self, x0: &Tensor4<T>) -> Result<Terms> {
        let (terms, g) = self.evaluate(x0);
        if terms.total.is_finite() && g.iter().all(|v| v.f64().is_finite()) {
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
            let (t, g) = self.evaluate_with(x0, None, unit, true)?;
            let g = g.expect("asked for the gradient");
            let peak = g.iter().fold(0.0f64, |m, v| m.max(v.f64().abs()));
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
    pub fn style_grams(&self, x: &Tensor4<T>) -> Vec<Array2<T>> {
        let fwd = self.vgg.forward(x.view(), &self.taps, false);
        self.style
            .iter()
            .map(|t| gram(fwd.get(t.layer).expect("tapped").index_axis(Axis(0), 0)))
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
        grams: &[Array2<T>],
        centres: Option<&[Array2<T>]>,
    ) -> Vec<f64> {
        self.style
            .iter()
            .enumerate()
            .zip(grams)
            .map(|((l, t), g)| {
                let c = centres.map_or(&t.gram, |c| &c[l]);
                let m = self.vgg.positions_at(t.layer, self.shape);
                let e = style_loss_of_gram(g.view(), c.view(), m, self.spec.norm);
                self.spec.style_weight * t.weight * e
            })
            .collect()
    }
}

/// Is an `h`×`w` picture large enough for the deepest of `layers` (every 2×2 pooling
/// before it halves the picture, and at least one pixel must remain)? The error reads
/// "is W×H pixels, too small for layer …, which needs at least N×N", for the caller to
/// put the picture's name in front.
pub fn check_picture_size<T: Real>(
    vgg: &Vgg<T>,
    layers: &[String],
    h: usize,
    w: usize,
) -> Result<()> {
    let idx = vgg.layer_indices(layers)?;
    vgg.check_input_size("", (h, w), &idx)
        .map_err(|e| crate::Error(e.0.trim_start().to_string()))
}

/// `∂L/∂F` at one tap, `Σ weight·∂E/∂F` over the terms there (N, C, H, W), built term by
/// term, for the whole picture and for each crop of a tiled one. The first term of a
/// one-item batch becomes the sum itself, scaled in place (unless its scale is 1); later
/// terms are added. Both in parallel: a zeroed buffer and a serial `scaled_add` were two
/// passes over 50 MB at relu1_1 for a 512×384 picture, with one core working.
struct TapGrad<T> {
    dim: ndarray::Ix4,
    sum: Option<Tensor4<T>>,
}

impl<T: Real> TapGrad<T> {
    fn new(dim: ndarray::Ix4) -> Self {
        TapGrad { dim, sum: None }
    }

    /// Add `scale · grad` to item `i`'s gradient.
    fn add(&mut self, i: usize, scale: T, grad: Array3<T>) {
        match &mut self.sum {
            None if self.dim[0] == 1 => {
                let mut grad = grad;
                if scale != T::of(1.0) {
                    grad.par_mapv_inplace(|v| scale * v);
                }
                self.sum = Some(grad.insert_axis(Axis(0)));
            }
            sum => {
                let sum = sum.get_or_insert_with(|| Tensor4::zeros(self.dim));
                Zip::from(sum.index_axis_mut(Axis(0), i))
                    .and(&grad)
                    .par_for_each(|s, &d| *s += scale * d);
            }
        }
    }

    /// The sum (zeros if no term was added).
    fn finish(self) -> Tensor4<T> {
        self.sum.unwrap_or_else(|| Tensor4::zeros(self.dim))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::rng::Rng;
    use ndarray::{concatenate, Array3};

    /// Which terms grow with the picture, exactly: a feature map whose positions are
    /// repeated k times (the picture laid k times side by side, borders aside) has k
    /// times Gatys' content loss and seed 002's style loss, and the same Gatys style loss;
    /// `balanced_as_at` divides the growing terms' weights by k and nothing else.
    #[test]
    fn the_balance_holds_the_terms_that_grow_with_the_picture() {
        let mut rng = Rng::new(7);
        let f: Array3<f64> = rng.normal_array((5, 3, 4), 1.0);
        let p: Array3<f64> = rng.normal_array((5, 3, 4), 1.0);
        let a = gram(rng.normal_array::<f64, _>((5, 3, 4), 1.0).view());
        let k = 3;
        let repeat = |x: &Array3<f64>| {
            let views: Vec<_> = (0..k).map(|_| x.view()).collect();
            concatenate(Axis(2), &views).unwrap()
        };
        let (fk, pk) = (repeat(&f), repeat(&p));
        let ak = a.mapv(|v| v * k as f64);
        let ratio = |norm| {
            let content = content_loss(fk.view(), pk.view(), norm).value
                / content_loss(f.view(), p.view(), norm).value;
            let style = style_loss(fk.view(), ak.view(), norm).value
                / style_loss(f.view(), a.view(), norm).value;
            (content, style)
        };
        let close = |x: f64, y: f64| (x - y).abs() < 1e-12 * y.abs().max(1.0);
        let (c, s) = ratio(Normalization::Gatys);
        assert!(close(c, k as f64) && close(s, 1.0), "Gatys: {c}, {s}");
        let (c, s) = ratio(Normalization::Seed002);
        assert!(close(c, 1.0) && close(s, k as f64), "seed 002: {c}, {s}");

        let spec = LossSpec {
            tv_weight: 2.0,
            ..LossSpec::gatys()
        };
        let b = spec.balanced_as_at(100, 100 * k);
        let weights = |s: &LossSpec| (s.content_weight, s.style_weight, s.tv_weight);
        let same = |(a, b, c): (f64, f64, f64), (x, y, z): (f64, f64, f64)| {
            close(a, x) && close(b, y) && close(c, z)
        };
        assert!(same(weights(&b), (1.0 / 3.0, 1e3, 2.0 / 3.0)), "{b:?}");
        let b = LossSpec::seed002().balanced_as_at(100, 100 * k);
        assert!(same(weights(&b), (1.0, 100.0 / 3.0, 0.0)), "{b:?}");
        // At the reference's own size nothing changes.
        assert_eq!(weights(&spec.balanced_as_at(640, 640)), weights(&spec));
    }
}
