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
//! **Pictures that wrap around.** A network with circular padding computes the features of
//! the picture's periodic tiling (a seamless texture). Its picture has no border: every
//! crop takes its margin on all four sides, wrapping around the picture's edges (row `−1`
//! is row `H − 1`), and is then a window of that periodic tiling, so the argument above
//! holds unchanged, with no border case. The crop's own edges are never the picture's, so
//! the padding the network applies at them only reaches features in the margin. Sides
//! must be multiples of the alignment, so that the poolings pair the same pixels in every
//! period; a crop larger than the picture (a margin wider than a side) is still exact.
//!
//! What is reused: the Gram pass's features are not kept for the gradient pass (that
//! would be the whole picture's activations again, the memory tiling is there to save);
//! the gradient pass recomputes them, with the wider margin.

use super::{Objective, TapGrad, Terms};
use crate::bail;
use crate::error::Result;
use crate::loss::{content_loss_of_part, gram, gram_backward, style_loss_at_gram, tv_loss};
use crate::math::im2col::Padding;
use crate::math::tensor::{Real, Tensor4};
use crate::net::vgg::{receptive_field_at, stride_at, Forward, Vgg};
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
    /// The picture wraps around (a circularly padded network): crops take their margins
    /// on every side, across the picture's edges.
    pub wrap: bool,
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

    /// The pixels (indices into a side of length `n`) of core `(a, b)`'s crop with
    /// `margin`, and where the core starts in it: clipped at the picture's border, or,
    /// for a grid that wraps, `margin` on both ends taken modulo `n`.
    fn crop_indices(&self, (a, b): (usize, usize), margin: usize, n: usize) -> (Vec<usize>, usize) {
        if self.wrap {
            let start = a + n * margin.div_ceil(n) - margin;
            let idx = (0..b - a + 2 * margin).map(|i| (start + i) % n).collect();
            (idx, margin)
        } else {
            let (lo, hi) = TileGrid::crop((a, b), margin, n);
            ((lo..hi).collect(), a - lo)
        }
    }

    /// The largest crop `(rows, columns)` of the gradient pass over an `h`×`w` picture:
    /// what sets the memory of a tile. Without wrapping, a crop at the picture's border
    /// has a margin on one side only, and none is larger than the picture; a grid that
    /// wraps gives every crop both margins.
    pub fn largest_crop(&self, (h, w): (usize, usize)) -> (usize, usize) {
        let longest = |n: usize| {
            self.cores(n)
                .into_iter()
                .map(|c| self.crop_indices(c, self.grad_margin, n).0.len())
                .max()
                .unwrap_or(0)
        };
        (longest(h), longest(w))
    }

    // ANCHOR: work
    /// The work of one tiled evaluation of an `h`×`w` picture, as a multiple of one
    /// evaluation of the whole picture: VGG's forward pass over every Gram crop and its
    /// forward and backward passes over every gradient crop, against one forward and one
    /// backward pass over the picture, a backward pass counted as costly as a forward
    /// one (VGG16 at 512²: 0.51 s forward, 0.99 s both). At least 1.5, for the Gram pass;
    /// the 3840×2160 poster in 4 × 2 tiles of 1088 is 2.0, in 8 × 5 tiles of 480 is 3.1.
    /// The crops' areas are sums of products of rows and columns, so the sum over tiles
    /// is the product of the sums along each side.
    pub fn work(&self, (h, w): (usize, usize)) -> f64 {
        let side = |n: usize, margin: usize| -> f64 {
            self.cores(n)
                .into_iter()
                .map(|c| self.crop_indices(c, margin, n).0.len() as f64)
                .sum()
        };
        let area = |margin: usize| side(h, margin) * side(w, margin);
        (area(self.gram_margin) + 2.0 * area(self.grad_margin)) / (2.0 * (h * w).max(1) as f64)
    }
    // ANCHOR_END: work
}

/// One tile's place, along one axis, in layer `l`'s positions: the picture's position of
/// each of the crop's positions, and the core's range within the crop's positions.
struct AxisPlace {
    positions: Vec<usize>,
    core: (usize, usize),
}

impl AxisPlace {
    /// The picture's position of the core's first position.
    fn start(&self) -> usize {
        self.positions.get(self.core.0).copied().unwrap_or(0)
    }
}

/// Where core `(a, b)` lies among a crop's `len` positions at a layer of stride `s`, the
/// crop's pixels being `pixels` (indices into the picture's side `end`) with the core
/// starting at pixel `off` of the crop. A core that ends at the picture's side in a crop
/// that ends there too takes every position up to the crop's end, as the whole
/// picture's flooring pooling does.
fn place(
    (a, b): (usize, usize),
    pixels: &[usize],
    off: usize,
    s: usize,
    len: usize,
    end: usize,
) -> AxisPlace {
    let lo = off / s;
    let clipped = b == end && pixels.len() == off + b - a;
    let hi = if clipped { len } else { (off + b - a) / s };
    // The crop starts at a multiple of `s` (module documentation), so its position `i` is
    // the picture's `(pixels[0] / s + i)`, modulo the layer's side when the grid wraps.
    let n = end / s;
    let first = pixels[0] / s;
    let positions = (0..len).map(|i| (first + i) % n.max(1)).collect();
    AxisPlace {
        positions,
        core: (lo.min(len), hi.min(len)),
    }
}

/// Does `vgg` wrap around the picture (its first convolution is padded circularly)?
pub fn wraps<T>(vgg: &Vgg<T>) -> bool {
    vgg.convs
        .first()
        .is_some_and(|c| c.spec.padding == Padding::Circular)
}

impl TileGrid {
    /// The grid for the layers `taps` of `vgg`, with cores of about `core` pixels:
    /// rounded up to a multiple of the deepest tap's stride, with the margins derived
    /// above. A network with circular padding gets a grid that wraps around the picture.
    pub fn for_layers<T>(vgg: &Vgg<T>, taps: &[usize], core: usize) -> Result<TileGrid> {
        let wrap = wraps(vgg);
        if vgg
            .convs
            .iter()
            .any(|c| (c.spec.padding == Padding::Circular) != wrap)
        {
            bail!(
                "tiled evaluation needs every convolution padded the same way (zero or circular)"
            );
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
            wrap,
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

/// The crop of `x` (1, C, H, W) around a core with `margin` on `grid`.
struct Crop<T> {
    /// The crop's pixels, (1, C, rows, columns).
    x: Tensor4<T>,
    /// The picture's row and column of each of the crop's rows and columns.
    rows: Vec<usize>,
    cols: Vec<usize>,
    /// Where the core starts in the crop: `(row, column)`.
    off: (usize, usize),
}

fn crop<T: Real>(x: &Tensor4<T>, grid: &TileGrid, (r, c): Core, margin: usize) -> Crop<T> {
    let (h, w) = (x.dim().2, x.dim().3);
    let (rows, oy) = grid.crop_indices(r, margin, h);
    let (cols, ox) = grid.crop_indices(c, margin, w);
    let xt = if grid.wrap {
        // `select` along an inner axis may return another memory order; VGG's layers
        // read standard-layout rows.
        let xt = x.select(Axis(2), &rows).select(Axis(3), &cols);
        xt.as_standard_layout().into_owned()
    } else {
        let (y0, x0) = (rows[0], cols[0]);
        x.slice(s![.., .., y0..y0 + rows.len(), x0..x0 + cols.len()])
            .to_owned()
    };
    Crop {
        x: xt,
        rows,
        cols,
        off: (oy, ox),
    }
}

/// Where the core `(r, c)` of `crop` from an `h`×`w` picture lies in the crop's features
/// `f` (C, H_l, W_l) at `layer`.
fn places<T, U>(
    vgg: &Vgg<T>,
    f: ArrayView3<U>,
    layer: usize,
    (r, c): Core,
    crop: &Crop<U>,
    (h, w): (usize, usize),
) -> (AxisPlace, AxisPlace) {
    let st = stride_at(&vgg.layers, layer);
    (
        place(r, &crop.rows, crop.off.0, st, f.dim().1, h),
        place(c, &crop.cols, crop.off.1, st, f.dim().2, w),
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
    progress: impl FnMut(),
) -> (Vec<Array2<T>>, Vec<Array3<T>>) {
    let tiles = grid.tiles((x.dim().2, x.dim().3));
    tiled_forward_over(vgg, x, grid, &tiles, gram_layers, feature_layers, progress)
}

/// [`tiled_forward`] over the tiles `tiles` only.
fn tiled_forward_over<T: Real>(
    vgg: &Vgg<T>,
    x: &Tensor4<T>,
    grid: &TileGrid,
    tiles: &[Core],
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
    for &tile in tiles {
        if !taps.is_empty() {
            let ct = crop(x, grid, tile, grid.gram_margin);
            let fwd = vgg.forward(ct.x.view(), &taps, false);
            add_core_grams(vgg, &fwd, tile, &ct, hw, gram_layers, &mut grams);
            for (whole, &l) in features.iter_mut().zip(feature_layers) {
                let (c, py, px) = core_of(vgg, &fwd, l, tile, &ct, hw);
                let (y, x) = (py.start(), px.start());
                let (ch, cw) = (c.dim().1, c.dim().2);
                whole.slice_mut(s![.., y..y + ch, x..x + cw]).assign(&c);
            }
        }
        progress();
    }
    (grams, features)
}

/// Tile `tile`'s core features at `layer`, from a forward pass `fwd` over its crop `ct`,
/// and where they lie.
fn core_of<'f, T: Real>(
    vgg: &Vgg<T>,
    fwd: &'f Forward<T>,
    layer: usize,
    tile: Core,
    ct: &Crop<T>,
    hw: (usize, usize),
) -> (ArrayView3<'f, T>, AxisPlace, AxisPlace) {
    let f = fwd.get(layer).expect("tapped").index_axis(Axis(0), 0);
    let (py, px) = places(vgg, f, layer, tile, ct, hw);
    let c = f.slice_move(s![.., py.core.0..py.core.1, px.core.0..px.core.1]);
    (c, py, px)
}

/// Add tile `tile`'s `F_coreᵀ F_core` at each of `gram_layers` to `grams`, from a forward
/// pass `fwd` over its crop `ct` (any crop with at least the Gram margin).
fn add_core_grams<T: Real>(
    vgg: &Vgg<T>,
    fwd: &Forward<T>,
    tile: Core,
    ct: &Crop<T>,
    hw: (usize, usize),
    gram_layers: &[usize],
    grams: &mut [Array2<T>],
) {
    for (g, &l) in grams.iter_mut().zip(gram_layers) {
        *g += &gram(core_of(vgg, fwd, l, tile, ct, hw).0);
    }
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
        if grid.wrap != wraps(vgg) {
            bail!("the tile grid and the network disagree on whether the picture wraps around");
        }
        if grid.wrap && (h % grid.align != 0 || w % grid.align != 0) {
            bail!(
                "a picture that wraps around is tiled only when its sides are multiples of {}, got {w}×{h}",
                grid.align
            );
        }
        let tiles = grid.tiles((h, w));
        let total_steps = 2 * tiles.len();

        // Pass 1: the whole picture's Gram matrices, a core at a time. The last tile's
        // forward pass runs on its gradient crop, keeping what a backward pass needs:
        // pass 2 starts with that tile and does not run it again. Its core's features are
        // the same functions of the picture in either crop (both hold their receptive
        // fields), and it holds no more memory than pass 2 does anyway.
        let style_taps: Vec<usize> = self.style.iter().map(|t| t.layer).collect();
        let (&last, rest) = tiles.split_last().expect("a picture has at least one tile");
        let mut done = 0;
        let (mut grams, _) = tiled_forward_over(vgg, x, grid, rest, &style_taps, &[], || {
            done += 1;
            progress(done, total_steps);
        });
        let last_crop = crop(x, grid, last, grid.grad_margin);
        let mut kept = (!self.taps.is_empty()).then(|| {
            let fwd = vgg.forward(last_crop.x.view(), &self.taps, true);
            add_core_grams(vgg, &fwd, last, &last_crop, (h, w), &style_taps, &mut grams);
            fwd
        });
        done += 1;
        progress(done, total_steps);

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

        // Pass 2: forward and backward per crop, the last tile's forward pass kept from
        // pass 1; keep the core's gradient.
        let mut dx = Array4::<T>::zeros(x.raw_dim());
        let mut last_crop = Some(last_crop);
        for &(r, c) in std::iter::once(&last).chain(rest) {
            let ct = match last_crop.take() {
                Some(ct) => ct,
                None => crop(x, grid, (r, c), grid.grad_margin),
            };
            if !self.taps.is_empty() {
                let mut fwd = match kept.take() {
                    Some(fwd) => fwd,
                    None => vgg.forward(ct.x.view(), &self.taps, true),
                };
                let mut tap_grads = Vec::new();
                for &layer in &self.taps {
                    let tapped = fwd.take(layer).expect("tapped");
                    let mut g = TapGrad::new(tapped.raw_dim());
                    let f = tapped.index_axis(Axis(0), 0);
                    let (py, px) = places(vgg, f, layer, (r, c), &ct, (h, w));
                    for (k, t) in self.content.iter().enumerate() {
                        if t.layer != layer {
                            continue;
                        }
                        let p_all = t.fixed.as_ref().expect("fixed content targets");
                        let p = p_all
                            .select(Axis(1), &py.positions)
                            .select(Axis(2), &px.positions);
                        let lg = content_loss_of_part(f, p.view(), p_all.len(), self.spec.norm);
                        g.add(0, T::of(a * t.weight), lg.grad);
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
                            // `d` carries β·w_l already.
                            g.add(0, T::of(1.0), gram_backward(f, d.view()));
                        }
                    }
                    tap_grads.push((layer, g.finish()));
                }
                let dxt = vgg.backward(&fwd, tap_grads);
                let (oy, ox) = ct.off;
                let (cy, cx) = (oy..oy + r.1 - r.0, ox..ox + c.1 - c.0);
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
