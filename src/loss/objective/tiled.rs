//! The objective evaluated tile by tile, with the same result as the whole picture.
//!
//! A picture too large for VGG's activations can still be optimised, because every term
//! of the loss is a sum over positions:
//!
//! * the Gram matrix `G_l = Σ_q F_l(q) F_l(q)ᵀ` over the positions `q` of layer `l`, so
//!   `G_l = Σ_tiles F_tᵀ F_t`;
//! * the content term `½ Σ_q ‖F_l(q) − P_l(q)‖²`;
//! * the total variation, over neighbouring pixels (cheap: computed on the whole picture).
//!
//! Two passes make it exact.
//!
//! 1. **Gram pass** (forward only). For each tile, crop the picture to the tile's
//!    *core* plus a margin, run VGG to the style layers, and add `F_coreᵀ F_core` to each
//!    `G_l`, where `F_core` are the features at the core's positions. Every position of
//!    the picture lies in exactly one core, so it is counted once.
//! 2. **Gradient pass**. With the whole picture's `G_l`, the style gradient at a position
//!    is `∂E_l/∂F_l(q) = (D + Dᵀ) F_l(q)` with `D = ∂E_l/∂G_l` (from `G_l`, known now), and
//!    the content gradient is `F_l(q) − P_l(q)`: both local. For each tile, crop with a
//!    wider margin, run VGG forward and backward with those tap gradients, and keep
//!    `∂L/∂x` at the core's pixels.
//!
//! **Why the margins make it exact.** Position `q` of layer `l` sees a window of
//! `r_l` input pixels (its receptive field, [`crate::net::vgg::receptive_field_at`]) starting
//! `(r_l − s_l)/2` pixels before `q·s_l`, where `s_l` is the layer's stride
//! ([`crate::net::vgg::stride_at`]). A feature computed from a crop equals the whole
//! picture's when its window lies inside the crop, or is cut only by the picture's own
//! border (where the crop has the same zero padding as the picture). So:
//!
//! * the Gram pass needs every core position's window: a margin of `(r_l − s_l)/2`;
//! * the gradient at a core pixel `p` sums over every `q` whose window contains `p`, and
//!   each such `F_l(q)` (with every ReLU mask and pooling switch inside its window) must
//!   be exact: a margin of `r_l − 1`, the farthest a window that touches the core reaches
//!   beyond it. Features nearer the crop's edge come out wrong, and their gradients too,
//!   but their windows do not reach the core, so nothing flows from them to a kept pixel.
//!
//! **Alignment.** Every crop starts at a multiple of the deepest tap's stride (16 for
//! `relu5_1`): then each 2×2 pooling pairs the same pixels as in the whole picture, and
//! a crop's position `i` at layer `l` is the picture's position `i + origin/s_l`. Core
//! boundaries inside the picture are multiples of that stride too; a crop that reaches
//! the picture's right or bottom edge ends there, so its poolings drop the same last
//! odd row or column as the whole picture's.
//!
//! What is reused: the Gram pass's features are not kept for the gradient pass (that
//! would be the whole picture's activations again, the memory tiling is there to save);
//! the gradient pass recomputes them, with the wider margin.

use super::{Objective, Terms};
use crate::bail;
use crate::error::Result;
use crate::loss::{content_loss_of_part, gram, gram_backward, style_loss_at_gram, tv_loss};
use crate::math::im2col::Padding;
use crate::math::tensor::{Real, Tensor4};
use crate::net::vgg::{receptive_field_at, stride_at, Vgg};
use ndarray::{s, Array2, Array3, Array4, ArrayView3, Axis};

/// A tile's core: its rows `(top, bottom)` and columns `(left, right)`, ends excluded.
pub type Core = ((usize, usize), (usize, usize));

/// How a picture is cut for [`Objective::evaluate_tiled`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileGrid {
    /// The side of a tile's core, in pixels: a multiple of `align`.
    pub core: usize,
    /// Crops start at multiples of this (the deepest tap's stride).
    pub align: usize,
    /// The Gram pass's margin around a core (a multiple of `align`).
    pub gram_margin: usize,
    /// The gradient pass's margin around a core (a multiple of `align`).
    pub grad_margin: usize,
}

impl TileGrid {
    /// The cores along one side of length `n`: `[0, core)`, `[core, 2·core)`, …, the last
    /// one ending at `n`.
    pub fn cores(&self, n: usize) -> Vec<(usize, usize)> {
        (0..n)
            .step_by(self.core)
            .map(|a| (a, (a + self.core).min(n)))
            .collect()
    }

    /// The crop of a core `(a, b)` with `margin` on a side of length `n`: the core
    /// widened by `margin` on both ends, clipped at the picture's border.
    pub fn crop((a, b): (usize, usize), margin: usize, n: usize) -> (usize, usize) {
        (a.saturating_sub(margin), (b + margin).min(n))
    }

    /// The largest crop `(rows, columns)` of the gradient pass over an `h`×`w` picture:
    /// what sets the memory of a tile. A crop at the picture's border has a margin on
    /// one side only, and none is larger than the picture.
    pub fn largest_crop(&self, (h, w): (usize, usize)) -> (usize, usize) {
        let longest = |n: usize| {
            self.cores(n)
                .into_iter()
                .map(|c| {
                    let (a, b) = TileGrid::crop(c, self.grad_margin, n);
                    b - a
                })
                .max()
                .unwrap_or(0)
        };
        (longest(h), longest(w))
    }
}

/// One tile's place, along one axis, in layer `l`'s positions: the crop's origin (in
/// the picture's positions at that layer) and the core's range within the crop's
/// positions.
struct AxisPlace {
    origin: usize,
    core: (usize, usize),
}

/// Where core `(a, b)` of a crop starting at `o` lies among the crop's `len` positions at
/// a layer of stride `s`; `end` is the picture's side (a core ending there takes every
/// position up to the crop's end, as the whole picture's flooring pooling does).
fn place((a, b): (usize, usize), o: usize, s: usize, len: usize, end: usize) -> AxisPlace {
    let lo = (a - o) / s;
    let hi = if b == end { len } else { (b - o) / s };
    AxisPlace {
        origin: o / s,
        core: (lo.min(len), hi.min(len)),
    }
}

impl TileGrid {
    /// The grid for the layers `taps` of `vgg`, with cores of about `core` pixels:
    /// rounded up to a multiple of the deepest tap's stride, with the margins derived
    /// above. Fails for a network with circular padding (its crops would have to wrap
    /// around the picture).
    pub fn for_layers<T>(vgg: &Vgg<T>, taps: &[usize], core: usize) -> Result<TileGrid> {
        if vgg
            .convs
            .iter()
            .any(|c| c.spec.padding == Padding::Circular)
        {
            bail!("tiled evaluation needs zero padding (a circularly padded network wraps around the picture)");
        }
        let layers = &vgg.layers;
        let align = taps
            .iter()
            .map(|&l| stride_at(layers, l))
            .max()
            .unwrap_or(1);
        let round = |v: usize| v.div_ceil(align) * align;
        let (mut gram_margin, mut grad_margin) = (0, 0);
        for &l in taps {
            let (r, s) = (receptive_field_at(layers, l), stride_at(layers, l));
            gram_margin = gram_margin.max((r - s) / 2);
            grad_margin = grad_margin.max(r - 1);
        }
        Ok(TileGrid {
            core: round(core.max(1)),
            align,
            gram_margin: round(gram_margin),
            grad_margin: round(grad_margin),
        })
    }

    /// Every tile's core `(rows, columns)` of an `h`×`w` picture, row by row.
    pub fn tiles(&self, (h, w): (usize, usize)) -> Vec<Core> {
        let cols = self.cores(w);
        self.cores(h)
            .into_iter()
            .flat_map(|r| cols.iter().map(move |&c| (r, c)))
            .collect()
    }
}

/// The crop of `x` (1, C, H, W) around core `(r, c)` with `margin`, and its origin.
fn crop<T: Real>(
    x: &Tensor4<T>,
    (r, c): ((usize, usize), (usize, usize)),
    margin: usize,
) -> (Tensor4<T>, usize, usize) {
    let (h, w) = (x.dim().2, x.dim().3);
    let (y0, y1) = TileGrid::crop(r, margin, h);
    let (x0, x1) = TileGrid::crop(c, margin, w);
    (x.slice(s![.., .., y0..y1, x0..x1]).to_owned(), y0, x0)
}

/// Where the core `(r, c)` of a crop at `(oy, ox)` of an `h`×`w` picture lies in the
/// crop's features `f` (C, H_l, W_l) at `layer`.
fn places<T>(
    vgg: &Vgg<T>,
    f: ArrayView3<T>,
    layer: usize,
    (r, c): ((usize, usize), (usize, usize)),
    (oy, ox): (usize, usize),
    (h, w): (usize, usize),
) -> (AxisPlace, AxisPlace) {
    let st = stride_at(&vgg.layers, layer);
    (
        place(r, oy, st, f.dim().1, h),
        place(c, ox, st, f.dim().2, w),
    )
}

// ANCHOR: tiled_forward
/// The whole picture's Gram matrices at `gram_layers` and features at `feature_layers`,
/// from a forward pass per tile with the Gram margin: each tile adds its core's
/// `F_coreᵀ F_core` and writes its core's features into their place. `progress` is called
/// after each tile.
pub fn tiled_forward<T: Real>(
    vgg: &Vgg<T>,
    x: &Tensor4<T>,
    grid: &TileGrid,
    gram_layers: &[usize],
    feature_layers: &[usize],
    mut progress: impl FnMut(),
) -> (Vec<Array2<T>>, Vec<Array3<T>>) {
    let hw = (x.dim().2, x.dim().3);
    let mut taps: Vec<usize> = gram_layers.iter().chain(feature_layers).copied().collect();
    taps.sort_unstable();
    taps.dedup();
    let mut grams: Vec<Array2<T>> = gram_layers
        .iter()
        .map(|&l| {
            let c = vgg.layer_shape(l, hw).0;
            Array2::zeros((c, c))
        })
        .collect();
    let mut features: Vec<Array3<T>> = feature_layers
        .iter()
        .map(|&l| Array3::zeros(vgg.layer_shape(l, hw)))
        .collect();
    for tile in grid.tiles(hw) {
        if !taps.is_empty() {
            let (xt, oy, ox) = crop(x, tile, grid.gram_margin);
            let fwd = vgg.forward(xt.view(), &taps, false);
            let core = |l: usize| {
                let f = fwd.get(l).expect("tapped").index_axis(Axis(0), 0);
                let (py, px) = places(vgg, f, l, tile, (oy, ox), hw);
                let c = f.slice_move(s![.., py.core.0..py.core.1, px.core.0..px.core.1]);
                (c, py, px)
            };
            for (g, &l) in grams.iter_mut().zip(gram_layers) {
                *g += &gram(core(l).0);
            }
            for (whole, &l) in features.iter_mut().zip(feature_layers) {
                let (c, py, px) = core(l);
                let (y, x) = (py.origin + py.core.0, px.origin + px.core.0);
                let (ch, cw) = (c.dim().1, c.dim().2);
                whole.slice_mut(s![.., y..y + ch, x..x + cw]).assign(&c);
            }
        }
        progress();
    }
    (grams, features)
}
// ANCHOR_END: tiled_forward

impl<T: Real> Objective<'_, T> {
    /// The tile grid of this objective's layers for cores of about `core` pixels
    /// ([`TileGrid::for_layers`]).
    pub fn tile_grid(&self, core: usize) -> Result<TileGrid> {
        TileGrid::for_layers(self.network(), &self.taps, core)
    }

    // ANCHOR: evaluate_tiled
    /// [`Objective::evaluate`] of one picture `x` (1, 3, H, W), computed tile by tile on
    /// `grid` (module documentation): the same loss and gradient up to round-off, with
    /// VGG's activations only ever held for one crop. `progress(done, total)` is called
    /// after each tile of both passes.
    pub fn evaluate_tiled(
        &self,
        x: &Tensor4<T>,
        grid: &TileGrid,
        progress: impl FnMut(usize, usize),
    ) -> Result<(Terms, Tensor4<T>)> {
        let s = &self.spec;
        let weights = (s.content_weight, s.style_weight, s.tv_weight);
        self.evaluate_tiled_with(x, grid, weights, progress)
    }

    /// [`Objective::evaluate_tiled`] with the weights `(α, β, λ_tv)`.
    pub(super) fn evaluate_tiled_with(
        &self,
        x: &Tensor4<T>,
        grid: &TileGrid,
        (a, b, tv): (f64, f64, f64),
        mut progress: impl FnMut(usize, usize),
    ) -> Result<(Terms, Tensor4<T>)> {
        if self.needs_content_pictures() || x.dim().0 != 1 {
            bail!("tiled evaluation takes one picture with fixed content targets");
        }
        let (h, w) = (x.dim().2, x.dim().3);
        let vgg = self.network();
        let tiles = grid.tiles((h, w));
        let total_steps = 2 * tiles.len();

        // Pass 1: the whole picture's Gram matrices, a core at a time.
        let style_taps: Vec<usize> = self.style.iter().map(|t| t.layer).collect();
        let mut done = 0;
        let (grams, _) = tiled_forward(vgg, x, grid, &style_taps, &[], || {
            done += 1;
            progress(done, total_steps);
        });

        // The style terms and ∂E/∂G, from the whole picture's Gram matrices.
        let mut terms = Terms::default();
        let mut style_values = Vec::new();
        let mut dgrams = Vec::new();
        for (t, g) in self.style.iter().zip(grams) {
            let m = vgg.positions_at(t.layer, (h, w));
            let (value, dgram) = style_loss_at_gram(g, t.gram.view(), m, self.spec.norm);
            style_values.push(value);
            dgrams.push(dgram.mapv(|v| v * T::of(b * t.weight)));
        }
        let mut content_values = vec![0.0; self.content.len()];

        // Pass 2: forward and backward per crop; keep the core's gradient.
        let mut dx = Array4::<T>::zeros(x.raw_dim());
        for &(r, c) in &tiles {
            let (xt, oy, ox) = crop(x, (r, c), grid.grad_margin);
            if !self.taps.is_empty() {
                let fwd = vgg.forward(xt.view(), &self.taps, true);
                let mut tap_grads = Vec::new();
                for &layer in &self.taps {
                    let f = fwd.get(layer).expect("tapped").index_axis(Axis(0), 0);
                    let (py, px) = places(vgg, f, layer, (r, c), (oy, ox), (h, w));
                    let mut g = Tensor4::<T>::zeros((1, f.dim().0, f.dim().1, f.dim().2));
                    let mut g0 = g.index_axis_mut(Axis(0), 0);
                    for (k, t) in self.content.iter().enumerate() {
                        if t.layer != layer {
                            continue;
                        }
                        let p_all = t.fixed.as_ref().expect("fixed content targets");
                        let (fh, fw) = (f.dim().1, f.dim().2);
                        let p = p_all.slice(s![
                            ..,
                            py.origin..py.origin + fh,
                            px.origin..px.origin + fw
                        ]);
                        let lg = content_loss_of_part(f, p, p_all.len(), self.spec.norm);
                        g0.scaled_add(T::of(a * t.weight), &lg.grad);
                        // The value counts the core's positions only.
                        let (cy, cx) = (py.core, px.core);
                        let core = content_loss_of_part(
                            f.slice(s![.., cy.0..cy.1, cx.0..cx.1]),
                            p.slice(s![.., cy.0..cy.1, cx.0..cx.1]),
                            p_all.len(),
                            self.spec.norm,
                        );
                        content_values[k] += core.value;
                    }
                    for (t, d) in self.style.iter().zip(&dgrams) {
                        if t.layer == layer {
                            g0 += &gram_backward(f, d.view());
                        }
                    }
                    tap_grads.push((layer, g));
                }
                let dxt = vgg.backward(&fwd, &tap_grads);
                let (cy, cx) = (r.0 - oy..r.1 - oy, c.0 - ox..c.1 - ox);
                dx.slice_mut(s![.., .., r.0..r.1, c.0..c.1])
                    .assign(&dxt.slice(s![.., .., cy, cx]));
            }
            done += 1;
            progress(done, total_steps);
        }

        // The terms in the order `evaluate` lists them: by layer, content first.
        for &layer in &self.taps {
            let name = &vgg.layers[layer].name;
            for (t, v) in self.content.iter().zip(&content_values) {
                if t.layer == layer {
                    terms.content += t.weight * v;
                    terms.per_layer.push((format!("content:{name}"), *v));
                }
            }
            for (t, v) in self.style.iter().zip(&style_values) {
                if t.layer == layer {
                    terms.style += t.weight * v;
                    terms.per_layer.push((format!("style:{name}"), *v));
                }
            }
        }
        if tv != 0.0 {
            let lg = tv_loss(x.index_axis(Axis(0), 0));
            terms.tv = lg.value;
            dx.index_axis_mut(Axis(0), 0)
                .scaled_add(T::of(tv), &lg.grad);
        }
        terms.total = a * terms.content + b * terms.style + tv * terms.tv;
        Ok((terms, dx))
    }
    // ANCHOR_END: evaluate_tiled
}
