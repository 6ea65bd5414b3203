//! VGG16 and VGG19 (Simonyan & Zisserman 2014, configurations D and E): the frozen
//! network whose activations define content and style.
//!
//! Five blocks of 3×3 convolutions (stride 1, zero padding 1, so each keeps the size),
//! each convolution followed by a ReLU, each block closed by 2×2 pooling with stride 2
//! (which halves the size). Seed 000 walks through it for a 300×300×3 input: conv1_1
//! and conv1_2 give 300×300×64, pool1 halves to 150×150×64, and so on.
//!
//! | block | channels | VGG16 convs | VGG19 convs |
//! |-------|----------|-------------|-------------|
//! | 1     | 64       | 2           | 2           |
//! | 2     | 128      | 2           | 2           |
//! | 3     | 256      | 3           | 4           |
//! | 4     | 512      | 3           | 4           |
//! | 5     | 512      | 3           | 4           |
//!
//! Layers are named as in the papers: `convB_I`, `reluB_I`, `poolB`. A forward pass is
//! asked for the activations at a set of named layers ("taps") and stops after the
//! deepest one. The backward pass takes a gradient for each tap and walks back to the
//! input, adding each tap's gradient to the running gradient when it reaches that layer
//! (a tap in the middle of the network is a branch, and gradients of branches add).
//! Only the input gradient is computed: the network is frozen.

use crate::bail;
use crate::error::Result;
use crate::layers::{
    avgpool2_backward, avgpool2_forward, conv2d_input_grad, maxpool2_backward, maxpool2_forward,
    relu_backward_inplace, relu_forward, winograd_forward, winograd_input_grad, Conv2d, ConvAlgo,
    ConvSpec, MaxPoolCache, ReluCache, WinogradKernel, WinogradTile,
};
use crate::math::rng::Rng;
use crate::math::scratch::keep_scratch;
use crate::math::tensor::{Real, Tensor4};
use crate::net::weights::{Convention, WeightSet};
use ndarray::{Array4, ArrayView4};
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Which VGG.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    /// Configuration D: 13 convolutions.
    Vgg16,
    /// Configuration E: 16 convolutions.
    Vgg19,
}

impl Arch {
    /// Convolutions per block.
    pub fn convs_per_block(self) -> [usize; 5] {
        match self {
            Arch::Vgg16 => [2, 2, 3, 3, 3],
            Arch::Vgg19 => [2, 2, 4, 4, 4],
        }
    }

    /// `"vgg16"` or `"vgg19"`.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Vgg16 => "vgg16",
            Arch::Vgg19 => "vgg19",
        }
    }
}

impl std::str::FromStr for Arch {
    type Err = crate::Error;

    /// `vgg16` / `vgg19` (also `16`, `19`, and the paper's configuration letters `D`, `E`).
    fn from_str(s: &str) -> Result<Arch> {
        match s.to_ascii_lowercase().as_str() {
            "vgg16" | "16" | "d" => Ok(Arch::Vgg16),
            "vgg19" | "19" | "e" => Ok(Arch::Vgg19),
            _ => bail!("unknown architecture '{s}' (expected vgg16 or vgg19)"),
        }
    }
}

/// Output channels of each block in the published networks.
pub const WIDTHS: [usize; 5] = [64, 128, 256, 512, 512];

/// What the pooling layers compute. Gatys et al. found average pooling gives slightly
/// smoother results; the weights were trained with max pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pooling {
    /// 2×2 max (as trained).
    Max,
    /// 2×2 mean.
    Avg,
}

impl std::str::FromStr for Pooling {
    type Err = crate::Error;

    /// `max` / `avg` (or `average`).
    fn from_str(s: &str) -> Result<Pooling> {
        match s {
            "max" => Ok(Pooling::Max),
            "avg" | "average" => Ok(Pooling::Avg),
            _ => bail!("unknown pooling '{s}' (expected max or avg)"),
        }
    }
}

/// One layer of the walk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// 3×3 convolution number `index` (into [`Vgg::convs`]), `in_ch → out_ch`.
    Conv {
        /// Position among the convolutions.
        index: usize,
        /// Input channels.
        in_ch: usize,
        /// Output channels.
        out_ch: usize,
    },
    /// ReLU after the convolution of the same name.
    Relu,
    /// 2×2 pooling with stride 2.
    Pool,
}

/// A named layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layer {
    /// `conv3_2`, `relu3_2`, `pool3`, …
    pub name: String,
    /// What it computes.
    pub kind: LayerKind,
}

// ANCHOR: layer_walk
/// The layer sequence of `arch` with the given block widths (the published [`WIDTHS`],
/// or small ones for test networks).
pub fn layers(arch: Arch, widths: [usize; 5]) -> Vec<Layer> {
    let mut out = Vec::new();
    let (mut in_ch, mut index) = (3, 0);
    for (b, (&n, &width)) in arch.convs_per_block().iter().zip(widths.iter()).enumerate() {
        for i in 1..=n {
            let kind = LayerKind::Conv {
                index,
                in_ch,
                out_ch: width,
            };
            out.push(Layer {
                name: format!("conv{}_{i}", b + 1),
                kind,
            });
            out.push(Layer {
                name: format!("relu{}_{i}", b + 1),
                kind: LayerKind::Relu,
            });
            in_ch = width;
            index += 1;
        }
        out.push(Layer {
            name: format!("pool{}", b + 1),
            kind: LayerKind::Pool,
        });
    }
    out
}
// ANCHOR_END: layer_walk

// ANCHOR: layer_shape
/// The shape `(C, H, W)` of layer `index`'s output for an `h`×`w` RGB input: a
/// convolution sets the channels (its 3×3 kernel with padding 1 keeps the size), a ReLU
/// keeps everything, and a 2×2 pooling with stride 2 halves each side, rounding down.
/// This is the one place that counts poolings; everything that needs a layer's size
/// (the Gram targets' rescaling, size checks, FLOPs, memory estimates, tiles) asks here.
pub fn shape_at(layers: &[Layer], index: usize, (h, w): (usize, usize)) -> (usize, usize, usize) {
    let (mut c, mut h, mut w) = (3, h, w);
    for layer in &layers[..=index] {
        match layer.kind {
            LayerKind::Conv { out_ch, .. } => c = out_ch,
            LayerKind::Relu => {}
            LayerKind::Pool => (h, w) = (h / 2, w / 2),
        }
    }
    (c, h, w)
}

/// Input pixels per position of layer `index` along each side: 2 to the number of
/// poolings up to and including it. An input smaller than this leaves the layer empty.
pub fn stride_at(layers: &[Layer], index: usize) -> usize {
    let pools = layers[..=index]
        .iter()
        .filter(|l| l.kind == LayerKind::Pool)
        .count();
    1 << pools
}
// ANCHOR_END: layer_shape

/// A VGG network with its weights.
#[derive(Clone, Debug)]
pub struct Vgg<T> {
    /// VGG16 or VGG19.
    pub arch: Arch,
    /// Max or average pooling.
    pub pooling: Pooling,
    /// The layer walk, `conv1_1 … pool5`.
    pub layers: Vec<Layer>,
    /// The convolutions in order, (O, C, 3, 3) each. Frozen: their Winograd transforms are
    /// computed once and shared by every clone, so a network with other weights is built
    /// anew ([`Vgg::from_convs`]), never by changing these.
    pub convs: Vec<Conv2d<T>>,
    /// How the convolutions are computed (see [`Vgg::with_conv`]).
    conv: ConvAlgo,
    /// Each convolution's Winograd kernel transforms `[F(2,3), F(4,3)]`, computed the
    /// first time a layer runs by that algorithm and kept (the weights are frozen). Clones
    /// share them: the circularly padded twin of a tileable texture ([`Vgg::with_padding`])
    /// holds the same weights, and the transforms do not depend on the padding, so one
    /// copy serves both (152 MB for VGG16's F(4,3) transforms through conv5_1).
    kernels: Arc<Vec<[OnceLock<WinogradKernel<T>>; 2]>>,
}

/// What one layer's backward pass needs, kept by [`Vgg::forward`] when asked.
#[derive(Clone, Debug)]
enum Cache {
    /// A convolution needs only its input size (its weights are the network's; the
    /// input itself would be needed only for ∂L/∂W, and VGG is frozen).
    Conv {
        in_hw: (usize, usize),
    },
    Relu(ReluCache),
    MaxPool {
        switches: MaxPoolCache,
        in_shape: (usize, usize, usize, usize),
    },
    AvgPool {
        in_shape: (usize, usize, usize, usize),
    },
}

/// The result of a forward pass: the tapped activations and, if kept, the caches.
#[derive(Clone, Debug)]
pub struct Forward<T> {
    /// `(layer index, activation)` for each tap, in network order. (N, C, H, W) each.
    pub taps: Vec<(usize, Tensor4<T>)>,
    caches: Vec<Cache>,
}

impl<T> Forward<T> {
    /// The activation at layer `index`, if it was tapped.
    pub fn get(&self, index: usize) -> Option<&Tensor4<T>> {
        self.taps.iter().find(|(i, _)| *i == index).map(|(_, a)| a)
    }

    /// Move the activation at layer `index` out, if it was tapped: once a tap's gradient
    /// is computed its activation is no longer needed, and [`Vgg::backward`] reads only
    /// the caches.
    pub fn take(&mut self, index: usize) -> Option<Tensor4<T>> {
        let at = self.taps.iter().position(|(i, _)| *i == index)?;
        Some(self.taps.remove(at).1)
    }

    /// Were backward caches kept?
    pub fn has_caches(&self) -> bool {
        !self.caches.is_empty()
    }
}

impl<T: Real> Vgg<T> {
    /// Build from convolutions in order; checks their shapes against the layer walk.
    pub fn from_convs(arch: Arch, pooling: Pooling, convs: Vec<Conv2d<T>>) -> Result<Self> {
        let n = arch.convs_per_block().iter().sum::<usize>();
        if convs.len() != n {
            bail!("{} has {n} convolutions, got {}", arch.name(), convs.len());
        }
        // Block widths are read off the convolutions themselves, so test networks
        // with narrow blocks use the same code path as the published ones.
        let mut bw = [0usize; 5];
        let mut k = 0;
        for (b, &count) in arch.convs_per_block().iter().enumerate() {
            bw[b] = convs[k].weight.dim().0;
            k += count;
        }
        let layers = layers(arch, bw);
        for layer in &layers {
            if let LayerKind::Conv {
                index,
                in_ch,
                out_ch,
            } = layer.kind
            {
                let (o, c, kh, kw) = convs[index].weight.dim();
                if (o, c, kh, kw) != (out_ch, in_ch, 3, 3) || convs[index].bias.len() != out_ch {
                    bail!(
                        "{}: weights are {o}×{c}×{kh}×{kw} (bias {}), expected {out_ch}×{in_ch}×3×3",
                        layer.name,
                        convs[index].bias.len()
                    );
                }
            }
        }
        Ok(Vgg {
            arch,
            pooling,
            layers,
            kernels: Arc::new(convs.iter().map(|_| Default::default()).collect()),
            convs,
            conv: ConvAlgo::default(),
        })
    }

    /// Load pretrained weights from a weight folder (see `weights/README.md`): the
    /// architecture comes from its manifest, every tensor's shape is checked, and the
    /// folder's preprocessing convention is returned with the network — the one place
    /// that decides how pictures must be prepared for these weights.
    pub fn load(dir: &Path, pooling: Pooling) -> Result<(Vgg<T>, Convention)> {
        let ws = WeightSet::open(dir)?;
        let arch: Arch = ws.arch().parse()?;
        let mut convs = Vec::new();
        for layer in layers(arch, WIDTHS) {
            if let LayerKind::Conv { in_ch, out_ch, .. } = layer.kind {
                let (w, b) = ws.conv(&layer.name, out_ch, in_ch, 3)?;
                convs.push(Conv2d {
                    weight: w.mapv(|v| T::of(v as f64)),
                    bias: b.mapv(|v| T::of(v as f64)),
                    spec: ConvSpec::SAME3,
                });
            }
        }
        Ok((Vgg::from_convs(arch, pooling, convs)?, ws.convention()))
    }

    /// A network with random weights (He initialisation: std √(2 / fan-in), so the
    /// activations keep their scale through the ReLUs), for tests and experiments.
    pub fn random(arch: Arch, pooling: Pooling, widths: [usize; 5], seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let convs = layers(arch, widths)
            .iter()
            .filter_map(|l| match l.kind {
                LayerKind::Conv { in_ch, out_ch, .. } => Some(Conv2d {
                    weight: rng
                        .normal_array((out_ch, in_ch, 3, 3), (2.0 / (9 * in_ch) as f64).sqrt()),
                    bias: rng.normal_array(out_ch, 0.01),
                    spec: ConvSpec::SAME3,
                }),
                _ => None,
            })
            .collect();
        Vgg::from_convs(arch, pooling, convs).expect("shapes are built to match")
    }

    // ANCHOR: with_padding
    /// The same network with every convolution padded `padding`: circular padding makes
    /// the features of a picture those of its periodic tiling, so a texture synthesised
    /// through it tiles seamlessly.
    pub fn with_padding(&self, padding: crate::math::im2col::Padding) -> Self {
        let mut v = self.clone();
        for c in &mut v.convs {
            c.spec.padding = padding;
        }
        v
    }
    // ANCHOR_END: with_padding

    /// The same network computing its convolutions by `algo` (the default is
    /// [`ConvAlgo::Auto`]). The result is the same function of the input up to round-off
    /// (`tests/winograd.rs` bounds the difference).
    pub fn with_conv(mut self, algo: ConvAlgo) -> Self {
        self.conv = algo;
        self
    }

    /// How the convolutions are computed.
    pub fn conv_algo(&self) -> ConvAlgo {
        self.conv
    }

    /// The algorithm convolution `index` uses on an `h`×`w` input: `None` for im2col.
    pub fn conv_choice(&self, index: usize, (h, w): (usize, usize)) -> Option<WinogradTile> {
        let conv = &self.convs[index];
        let (o, c, kh, kw) = conv.weight.dim();
        let spec = (kh, kw, conv.spec.stride, conv.spec.pad);
        self.conv.choose(c, o, (h, w), spec)
    }

    /// Convolution `index`'s Winograd kernel for `tile`, transformed on first use.
    fn kernel(&self, index: usize, tile: WinogradTile) -> &WinogradKernel<T> {
        let slot = match tile {
            WinogradTile::F2 => &self.kernels[index][0],
            WinogradTile::F4 => &self.kernels[index][1],
        };
        slot.get_or_init(|| WinogradKernel::new(self.convs[index].weight.view(), tile))
    }

    // ANCHOR: conv_dispatch
    /// Convolution `index` on `x` (N, C, H, W), by the algorithm [`Vgg::conv_choice`]
    /// picks for this size.
    pub fn conv_forward(&self, index: usize, x: ArrayView4<T>) -> Tensor4<T> {
        let conv = &self.convs[index];
        let (_, _, h, w) = x.dim();
        match self.conv_choice(index, (h, w)) {
            Some(tile) => {
                let k = self.kernel(index, tile);
                winograd_forward(x, k, conv.bias.view(), conv.spec.padding)
            }
            None => conv.forward(x),
        }
    }

    /// ∂L/∂x of convolution `index` from `dy`, for an input of size `in_hw`: the
    /// transpose of the same algorithm [`Vgg::conv_forward`] used.
    pub fn conv_input_grad(
        &self,
        index: usize,
        dy: ArrayView4<T>,
        in_hw: (usize, usize),
    ) -> Tensor4<T> {
        let conv = &self.convs[index];
        match self.conv_choice(index, in_hw) {
            Some(tile) => winograd_input_grad(dy, self.kernel(index, tile), conv.spec.padding),
            None => conv2d_input_grad(conv.weight.view(), dy.view(), &conv.spec, in_hw),
        }
    }
    // ANCHOR_END: conv_dispatch

    /// Convert the weights to another scalar type (f32 ↔ f64).
    pub fn cast<U: Real>(&self) -> Vgg<U> {
        let convs = self
            .convs
            .iter()
            .map(|c| Conv2d {
                weight: c.weight.mapv(|v| U::of(v.f64())),
                bias: c.bias.mapv(|v| U::of(v.f64())),
                spec: c.spec,
            })
            .collect();
        Vgg {
            arch: self.arch,
            pooling: self.pooling,
            layers: self.layers.clone(),
            kernels: Arc::new(self.kernels.iter().map(|_| Default::default()).collect()),
            convs,
            conv: self.conv,
        }
    }

    /// The shape `(C, H, W)` of layer `index`'s output for an `h`×`w` input ([`shape_at`]).
    pub fn layer_shape(&self, index: usize, hw: (usize, usize)) -> (usize, usize, usize) {
        shape_at(&self.layers, index, hw)
    }

    /// Positions (`H·W`) of layer `index` for an `h`×`w` input.
    pub fn positions_at(&self, index: usize, hw: (usize, usize)) -> usize {
        let (_, h, w) = self.layer_shape(index, hw);
        h * w
    }

    /// Fail unless an `h`×`w` picture leaves at least one position at the deepest of
    /// `layers`. The error reads "`what` is W×H pixels, too small for layer …, which needs
    /// at least N×N", for the caller to name the picture.
    pub fn check_input_size(
        &self,
        what: &str,
        (h, w): (usize, usize),
        layers: &[usize],
    ) -> Result<()> {
        let Some(&d) = layers.iter().max() else {
            return Ok(());
        };
        if self.positions_at(d, (h, w)) == 0 {
            let m = stride_at(&self.layers, d);
            bail!(
                "{what} is {w}×{h} pixels, too small for layer {}, which needs at least {m}×{m}",
                self.layers[d].name
            );
        }
        Ok(())
    }

    /// Index of the layer called `name`; the error lists the valid names.
    pub fn layer_index(&self, name: &str) -> Result<usize> {
        match self.layers.iter().position(|l| l.name == name) {
            Some(i) => Ok(i),
            None => {
                let names: Vec<&str> = self.layers.iter().map(|l| l.name.as_str()).collect();
                bail!(
                    "unknown layer '{name}' for {} (valid: {})",
                    self.arch.name(),
                    names.join(", ")
                )
            }
        }
    }

    /// Indices of several layer names, in the order given.
    pub fn layer_indices(&self, names: &[impl AsRef<str>]) -> Result<Vec<usize>> {
        names.iter().map(|n| self.layer_index(n.as_ref())).collect()
    }

    // ANCHOR: vgg_forward
    /// Run the network on `x` (N, 3, H, W), already preprocessed for the weights'
    /// convention, and return the activations at layers `taps` (indices into
    /// [`Vgg::layers`]). Stops after the deepest tap. With `keep`, also keeps what
    /// [`Vgg::backward`] needs.
    pub fn forward(&self, x: ArrayView4<T>, taps: &[usize], keep: bool) -> Forward<T> {
        let _scratch = keep_scratch();
        let last = taps.iter().copied().max().unwrap_or(0);
        let mut out = Forward {
            taps: Vec::new(),
            caches: Vec::new(),
        };
        let mut a = x.to_owned();
        // Was the previous layer tapped? Its activation is then moved into the taps once
        // this layer has read it, rather than copied (a ReLU, which works in place, gets
        // a copy).
        let mut tapped = false;
        for (i, layer) in self.layers.iter().enumerate().take(last + 1) {
            let (n, c, h, w) = a.dim();
            if tapped && layer.kind == LayerKind::Relu {
                out.taps.push((i - 1, a.clone()));
            }
            let (next, cache, read) = match layer.kind {
                LayerKind::Conv { index, .. } => (
                    self.conv_forward(index, a.view()),
                    Some(Cache::Conv { in_hw: (h, w) }),
                    Some(a),
                ),
                LayerKind::Relu => {
                    let (y, mask) = relu_forward(a, keep);
                    (y, mask.map(Cache::Relu), None)
                }
                LayerKind::Pool if self.pooling == Pooling::Max => {
                    let (y, sw) = maxpool2_forward(a.view(), keep);
                    let cache = sw.map(|switches| Cache::MaxPool {
                        switches,
                        in_shape: (n, c, h, w),
                    });
                    (y, cache, Some(a))
                }
                LayerKind::Pool => (
                    avgpool2_forward(a.view()),
                    Some(Cache::AvgPool {
                        in_shape: (n, c, h, w),
                    }),
                    Some(a),
                ),
            };
            if keep {
                out.caches
                    .push(cache.expect("every layer makes a cache when asked"));
            }
            if let (true, Some(read)) = (tapped, read) {
                out.taps.push((i - 1, read));
            }
            a = next;
            tapped = taps.contains(&i);
        }
        if tapped {
            out.taps.push((last, a));
        }
        out
    }
    // ANCHOR_END: vgg_forward

    // ANCHOR: vgg_backward
    /// ∂L/∂x from the gradients at the taps: `tap_grads[k] = (layer index, ∂L/∂a)`,
    /// shaped like that layer's activation. `fwd` must come from
    /// [`Vgg::forward`] with `keep = true` and reach the deepest tap.
    ///
    /// Walks from the deepest tap back to the input. At each layer, first add the
    /// gradients of any taps there (they are branches leaving the chain at this point),
    /// then apply the layer's backward pass. Each tap's gradient is dropped once added:
    /// the deep ones are gone before the walk reaches the wide early layers.
    pub fn backward(
        &self,
        fwd: &Forward<T>,
        mut tap_grads: Vec<(usize, Tensor4<T>)>,
    ) -> Tensor4<T> {
        assert!(
            fwd.has_caches(),
            "Vgg::backward needs a forward pass run with keep = true"
        );
        let last = tap_grads
            .iter()
            .map(|(i, _)| *i)
            .max()
            .expect("at least one tap gradient");
        assert!(
            last < fwd.caches.len(),
            "the forward pass stopped before layer {last}"
        );
        let mut g: Option<Tensor4<T>> = None;
        for i in (0..=last).rev() {
            while let Some(at) = tap_grads.iter().position(|(t, _)| *t == i) {
                let (_, tg) = tap_grads.remove(at);
                match g.as_mut() {
                    Some(g) => *g += &tg,
                    None => g = Some(tg),
                }
            }
            let Some(dy) = g.take() else { continue };
            g = Some(self.layer_backward(i, &fwd.caches[i], dy));
        }
        g.expect("walked back to the input")
    }
    // ANCHOR_END: vgg_backward

    /// One layer's input gradient from its output gradient.
    fn layer_backward(&self, i: usize, cache: &Cache, dy: Tensor4<T>) -> Tensor4<T> {
        match (&self.layers[i].kind, cache) {
            (LayerKind::Conv { index, .. }, Cache::Conv { in_hw }) => {
                self.conv_input_grad(*index, dy.view(), *in_hw)
            }
            (LayerKind::Relu, Cache::Relu(mask)) => {
                let mut dx = dy;
                relu_backward_inplace(dx.view_mut(), mask);
                dx
            }
            (LayerKind::Pool, Cache::MaxPool { switches, in_shape }) => {
                let mut dx = Array4::zeros(*in_shape);
                maxpool2_backward(dy.view(), switches, dx.view_mut());
                dx
            }
            (LayerKind::Pool, Cache::AvgPool { in_shape }) => {
                let mut dx = Array4::zeros(*in_shape);
                avgpool2_backward(dy.view(), dx.view_mut());
                dx
            }
            _ => unreachable!("cache kind matches layer kind by construction"),
        }
    }

    /// Total number of weights and biases.
    pub fn parameter_count(&self) -> usize {
        self.convs
            .iter()
            .map(|c| c.weight.len() + c.bias.len())
            .sum()
    }
}

/// One row of the layer table (`nst layers`, seed 000's walk-through).
#[derive(Clone, Debug)]
pub struct LayerRow {
    /// Layer name.
    pub name: String,
    /// `"3×3"`, `"2×2"` or `"—"`.
    pub kernel: String,
    /// Stride (0 for ReLU).
    pub stride: usize,
    /// Padding.
    pub pad: usize,
    /// Output (H, W, C).
    pub out: (usize, usize, usize),
    /// Weights and biases.
    pub params: usize,
    /// Forward FLOPs (a multiply-add counts 2; ReLU 1 per element; 2×2 max 3
    /// comparisons and average 4 operations per output).
    pub flops: f64,
    /// Receptive field: the side of the input window one output pixel sees.
    pub receptive_field: usize,
}

/// The whole network needs an input of at least 32×32: its five 2×2 poolings halve it
/// five times, and a smaller one would leave the last blocks nothing.
pub fn check_whole_input(h: usize, w: usize) -> Result<()> {
    if h < 32 || w < 32 {
        bail!("VGG needs an input of at least 32×32 (five 2×2 poolings halve it five times), got {w}×{h}");
    }
    Ok(())
}

// ANCHOR: layer_table
/// The layer table for an `h`×`w` RGB input.
pub fn layer_table(arch: Arch, pooling: Pooling, h: usize, w: usize) -> Vec<LayerRow> {
    let walk = layers(arch, WIDTHS);
    let mut rows = Vec::new();
    for (i, layer) in walk.iter().enumerate() {
        let (c, oh, ow) = shape_at(&walk, i, (h, w));
        let row = match layer.kind {
            LayerKind::Conv { in_ch, out_ch, .. } => {
                let flops = crate::layers::conv::conv2d_flops(out_ch, in_ch, 3, oh, ow);
                (
                    String::from("3×3"),
                    1,
                    1,
                    out_ch * in_ch * 9 + out_ch,
                    flops,
                )
            }
            LayerKind::Relu => (String::from("—"), 0, 0, 0, (oh * ow * c) as f64),
            LayerKind::Pool => {
                let per = if pooling == Pooling::Max { 3.0 } else { 4.0 };
                (String::from("2×2"), 2, 0, 0, per * (oh * ow * c) as f64)
            }
        };
        rows.push(LayerRow {
            name: layer.name.clone(),
            kernel: row.0,
            stride: row.1,
            pad: row.2,
            out: (oh, ow, c),
            params: row.3,
            flops: row.4,
            receptive_field: receptive_field_at(&walk, i),
        });
    }
    rows
}
// ANCHOR_END: layer_table

/// The receptive field of layer `index`: the side of the input window one of its
/// positions sees. A 3×3 convolution widens it by one position of its input on each
/// side (`2·jump` input pixels, where `jump` is [`stride_at`] of the layer before); a
/// 2×2 pooling by one position (`jump`), and doubles `jump`.
pub fn receptive_field_at(layers: &[Layer], index: usize) -> usize {
    let (mut rf, mut jump) = (1usize, 1usize);
    for layer in &layers[..=index] {
        match layer.kind {
            LayerKind::Conv { .. } => rf += 2 * jump,
            LayerKind::Relu => {}
            LayerKind::Pool => {
                rf += jump;
                jump *= 2;
            }
        }
    }
    rf
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::im2col::Padding;

    /// The circularly padded twin shares the Winograd transforms (they depend on the
    /// weights, not the padding) and still computes its own padding's convolution.
    #[test]
    fn the_circular_twin_shares_the_winograd_kernels() {
        let vgg = Vgg::<f64>::random(Arch::Vgg16, Pooling::Max, [16, 16, 16, 16, 16], 1)
            .with_conv(ConvAlgo::WinogradF4);
        let mut rng = Rng::new(2);
        let x: Tensor4<f64> = rng.uniform_array((1, 16, 12, 12), -1.0, 1.0);
        let i = 1; // conv1_2: 16 → 16 channels
        let zero = vgg.conv_forward(i, x.view());
        let twin = vgg.with_padding(Padding::Circular);
        let circ = twin.conv_forward(i, x.view());
        assert!(std::ptr::eq(
            vgg.kernel(i, WinogradTile::F4),
            twin.kernel(i, WinogradTile::F4)
        ));
        // Against the direct convolutions with each padding.
        let direct = |net: &Vgg<f64>| net.convs[i].forward(x.view());
        let close = |a: &Tensor4<f64>, b: &Tensor4<f64>| {
            a.iter()
                .zip(b)
                .all(|(p, q)| (p - q).abs() <= 1e-9 * (1.0 + q.abs()))
        };
        assert!(close(&zero, &direct(&vgg)));
        assert!(close(&circ, &direct(&twin)));
        assert!(!close(&zero, &circ), "the paddings differ at the border");
    }

    /// Taps moved into the result once the next layer has read them, or copied before a
    /// ReLU (which works in place), give the layer-by-layer walk's activations: a tap
    /// before a ReLU (conv1_2), after one (relu1_2), at a pooling (pool1) and the
    /// deepest (relu2_1), with and without the backward caches.
    #[test]
    fn moved_and_copied_taps_are_the_activations() {
        let vgg = Vgg::<f32>::random(Arch::Vgg16, Pooling::Max, [8, 8, 8, 8, 8], 5);
        let mut rng = Rng::new(3);
        let x: Tensor4<f32> = rng.uniform_array((1, 3, 12, 10), -1.0, 1.0);
        let names = ["relu2_1", "conv1_2", "pool1", "relu1_2"];
        let taps = vgg.layer_indices(&names).unwrap();
        for keep in [false, true] {
            let fwd = vgg.forward(x.view(), &taps, keep);
            let mut a = x.clone();
            let mut want = Vec::new();
            for (i, layer) in vgg.layers.iter().enumerate().take(taps[0] + 1) {
                a = match layer.kind {
                    LayerKind::Conv { index, .. } => vgg.conv_forward(index, a.view()),
                    LayerKind::Relu => relu_forward(a, false).0,
                    LayerKind::Pool => maxpool2_forward(a.view(), false).0,
                };
                if taps.contains(&i) {
                    want.push((i, a.clone()));
                }
            }
            assert_eq!(fwd.taps, want, "keep = {keep}");
            // Taken once: moved out, then gone.
            let mut fwd = fwd;
            assert_eq!(fwd.take(taps[1]).as_ref(), Some(&want[0].1));
            assert!(fwd.take(taps[1]).is_none() && fwd.get(taps[1]).is_none());
            assert_eq!(fwd.taps.len(), want.len() - 1);
        }
    }
}
