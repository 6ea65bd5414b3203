//! The multi-scale generator of Texture Networks (Ulyanov et al. 2016, §3.2 and the
//! supplementary figure), with a hand-written backward pass for every parameter.
//!
//! K inputs `z₀ … z_{K−1}`, input k of size M/2^k (noise, plus the downsampled content
//! for stylisation). With B = `branch_channels`:
//!
//! ```text
//! branch k:  z_k ─► [3×3 conv ─ norm ─ act] ─► [3×3 ─ norm ─ act] ─► [1×1 ─ norm ─ act]   (B ch)
//!
//! a ← branch K−1 (coarsest)                                         B channels
//! for k = K−2 … 0:                                                   (coarse to fine)
//!     a ← upsample×2(a)                                             (K−1−k)·B channels
//!     a ← norm(concat(a, branch k))         ("batch norm before each join")
//!     a ← conv block(a)                                              (K−k)·B channels
//! x ← 1×1 conv(a) to 3 channels (RGB), no norm, no activation
//! ```
//!
//! so with B = 8 and K = 5 the joins have 16, 24, 32 and 40 channels ("from 8 to 40").
//! The 3×3 convolutions pad circularly by default (the output tiles seamlessly).
//!
//! **One norm per join, not two.** The authors' Torch code normalises the upsampled
//! coarse tensor and the fine tensor separately, then concatenates. Both norms act per
//! channel, so that is exactly one norm over the concatenated channels — same numbers,
//! same γ/β count — and the code here does the latter. (Batch statistics of the upsampled
//! tensor also equal those of the tensor before upsampling: every value is repeated 4
//! times, which changes neither mean nor variance.)
//!
//! **Parameters** live in one flat vector ([`super::layout`]); the backward pass
//! returns a gradient vector of the same layout, so an optimiser runs over one slice.

use super::config::{GeneratorConfig, NormKind};
use super::layout::{Block, ConvSlot, Join, Layout, NormSlot, TensorSlot, Unit};
use crate::bail;
use crate::error::Result;
use crate::layers::{
    batchnorm_backward, batchnorm_eval_affine, batchnorm_forward_eval, batchnorm_forward_train,
    batchnorm_update_running, concat_channels, concat_channels_backward, conv2d_backward,
    conv2d_flops, conv2d_forward, conv2d_forward_then, fold_batchnorm_into_conv,
    instancenorm_backward, instancenorm_forward, leaky, upsample2_backward, upsample2_forward,
    upsample2_plane, BatchNormCache, BatchStats, ConvGrads, ConvSpec, InstanceNormCache, NormGrads,
    ReluCache,
};
use crate::math::rng::Rng;
use crate::math::tensor::{Real, Tensor4};
use ndarray::{Array4, ArrayView1, ArrayView4, ArrayViewMut1, ArrayViewMut4, Axis, Zip};
use rayon::prelude::*;

/// Which statistics the normalisations use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Training: batch statistics, caches kept for [`Generator::backward`].
    Train,
    /// Generating: batch norm uses its running statistics, nothing is cached.
    Eval,
}

/// The Texture Networks generator: its configuration, parameters and running statistics.
#[derive(Clone, Debug)]
pub struct Generator<T> {
    config: GeneratorConfig,
    params: Vec<T>,
    running: Vec<T>,
    param_slots: Vec<TensorSlot>,
    running_slots: Vec<TensorSlot>,
    /// `branches[k]` processes input k (0 = finest).
    branches: Vec<Block>,
    /// `joins[k]` makes scale k from scale k+1 and branch k, for k = 0 … K−2.
    joins: Vec<Join>,
    out: ConvSlot,
}

/// What one unit's backward pass needs.
#[derive(Clone, Debug)]
struct UnitCache<T> {
    /// The convolution's input, for ∂L/∂W.
    conv_in: Tensor4<T>,
    norm: NormCache<T>,
    act: ReluCache,
}

#[derive(Clone, Debug)]
enum NormCache<T> {
    Batch(BatchNormCache<T>),
    Instance(InstanceNormCache<T>),
}

#[derive(Clone, Debug)]
struct JoinCache<T> {
    in_norm: NormCache<T>,
    block: Vec<UnitCache<T>>,
}

#[derive(Clone, Debug)]
struct Caches<T> {
    branches: Vec<Vec<UnitCache<T>>>,
    joins: Vec<JoinCache<T>>,
    /// Input of the final 1×1 convolution.
    out_in: Tensor4<T>,
}

/// The result of [`Generator::forward`].
#[derive(Clone, Debug)]
pub struct Forward<T> {
    /// The generated pictures, (N, 3, M, M).
    pub output: Tensor4<T>,
    caches: Option<Caches<T>>,
    /// `(offset into the running vector, batch statistics)` of each batch norm (train).
    stats: Vec<(usize, BatchStats<T>)>,
}

/// The result of [`Generator::backward`].
#[derive(Clone, Debug)]
pub struct Gradients<T> {
    /// ∂L/∂θ, laid out like [`Generator::params`].
    pub params: Vec<T>,
    /// ∂L/∂z_k for every input, if asked for (N, C_in, M/2^k, M/2^k each).
    pub inputs: Option<Vec<Tensor4<T>>>,
}

/// State threaded through a forward walk.
struct Pass<T> {
    mode: Mode,
    /// Fold each batch norm into the convolution before it (inference, batch norm only).
    fold: bool,
    stats: Vec<(usize, BatchStats<T>)>,
}

impl<T: Real> Generator<T> {
    /// Build the architecture of `config` with Xavier (Glorot uniform) weights from
    /// `seed`: `W ~ U(−a, a)`, `a = √(6 / (fan_in + fan_out))`, fan = channels · k²,
    /// which keeps the variance of activations and of gradients about constant through
    /// the layers. Biases and β start at 0, γ at 1, running mean 0, running variance 1.
    pub fn new(config: GeneratorConfig, seed: u64) -> Result<Self> {
        let mut g = Self::zeroed(config)?;
        let mut rng = Rng::new(seed);
        for slot in &g.param_slots {
            let dst = &mut g.params[slot.range()];
            if slot.name.ends_with(".weight") {
                let (o, c, k) = (slot.shape[0], slot.shape[1], slot.shape[2]);
                let a = (6.0 / ((c + o) * k * k) as f64).sqrt();
                dst.iter_mut().for_each(|p| *p = T::of(rng.range(-a, a)));
            } else if slot.name.ends_with(".gamma") {
                dst.fill(T::one());
            }
        }
        for slot in &g.running_slots {
            if slot.name.ends_with(".running_var") {
                g.running[slot.range()].fill(T::one());
            }
        }
        Ok(g)
    }

    /// The architecture with every parameter and running statistic at zero (for
    /// loading).
    pub fn zeroed(config: GeneratorConfig) -> Result<Self> {
        config.validate()?;
        let (k_scales, b) = (config.scales, config.branch_channels);
        let running = config.norm == NormKind::Batch;
        let mut lay = Layout::default();
        let branches: Vec<Block> = (0..k_scales)
            .map(|k| lay.block(&format!("branch{k}"), config.input_channels(), b, running))
            .collect();
        // joins[k] merges (K−1−k)·B upsampled channels with B fine ones.
        let joins: Vec<Join> = (0..k_scales - 1)
            .map(|k| {
                let ch = (k_scales - k) * b;
                Join {
                    in_norm: lay.norm(&format!("join{k}.in_norm"), ch, running),
                    block: lay.block(&format!("join{k}"), ch, ch, running),
                }
            })
            .collect();
        let out = lay.conv("out.conv", k_scales * b, 3, 1);
        Ok(Generator {
            config,
            params: vec![T::zero(); lay.n_params],
            running: vec![T::zero(); lay.n_running],
            param_slots: lay.params,
            running_slots: lay.running,
            branches,
            joins,
            out,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &GeneratorConfig {
        &self.config
    }

    /// Number of trainable numbers (weights, biases, γ, β).
    pub fn parameter_count(&self) -> usize {
        self.params.len()
    }

    /// All trainable parameters, one flat slice (see [`Generator::param_slots`]).
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// All trainable parameters, mutably (for an optimiser step).
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    /// Replace all parameters; `p` must have [`Generator::parameter_count`] elements.
    pub fn set_params(&mut self, p: &[T]) -> Result<()> {
        if p.len() != self.params.len() {
            bail!(
                "the generator has {} parameters, got {}",
                self.params.len(),
                p.len()
            );
        }
        self.params.copy_from_slice(p);
        Ok(())
    }

    /// Batch norm's running means and variances, one flat slice.
    pub fn running(&self) -> &[T] {
        &self.running
    }

    /// Running statistics, mutably (for loading).
    pub fn running_mut(&mut self) -> &mut [T] {
        &mut self.running
    }

    /// Name, offset and shape of every parameter tensor, in flat order.
    pub fn param_slots(&self) -> &[TensorSlot] {
        &self.param_slots
    }

    /// Name, offset and shape of every running-statistics tensor.
    pub fn running_slots(&self) -> &[TensorSlot] {
        &self.running_slots
    }

    fn spec(&self, c: &ConvSlot) -> ConvSpec {
        ConvSpec {
            stride: 1,
            pad: c.k / 2,
            padding: self.config.padding,
        }
    }

    fn weight(&self, c: &ConvSlot) -> ArrayView4<'_, T> {
        let w = &self.params[c.w..c.w + c.w_len()];
        ArrayView4::from_shape((c.o, c.c, c.k, c.k), w).expect("slot sized at build")
    }

    fn bias(&self, c: &ConvSlot) -> ArrayView1<'_, T> {
        let b0 = c.w + c.w_len();
        ArrayView1::from(&self.params[b0..b0 + c.o])
    }

    fn gamma_beta(&self, n: &NormSlot) -> (ArrayView1<'_, T>, ArrayView1<'_, T>) {
        let gb = &self.params[n.g..n.g + 2 * n.ch];
        let (g, b) = gb.split_at(n.ch);
        (ArrayView1::from(g), ArrayView1::from(b))
    }

    /// Check the inputs' count and shapes: K tensors, input k of (N, C_in, H/2^k, W/2^k).
    pub fn check_inputs(&self, inputs: &[Tensor4<T>]) -> Result<()> {
        let (k_scales, cin) = (self.config.scales, self.config.input_channels());
        if inputs.len() != k_scales {
            bail!(
                "the generator has {k_scales} scales, got {} input tensors",
                inputs.len()
            );
        }
        let (n, c, h, w) = inputs[0].dim();
        if n == 0 {
            bail!("the batch is empty");
        }
        if c != cin {
            bail!("input 0 has {c} channels, the generator expects {cin}");
        }
        self.config.check_size(h, w)?;
        for (k, z) in inputs.iter().enumerate() {
            let want = (n, cin, h >> k, w >> k);
            if z.dim() != want {
                bail!("input {k} has shape {:?}, expected {want:?}", z.dim());
            }
        }
        Ok(())
    }

    // ANCHOR: generator_forward
    /// Run the generator on one input per scale (finest first; see
    /// [`super::inputs`]). `Mode::Train` normalises with batch statistics and keeps what
    /// [`Generator::backward`] needs; `Mode::Eval` uses the running statistics.
    ///
    /// * `inputs[k]`: (N, C_in, M/2^k, M/2^k)
    /// * returns the pictures (N, 3, M, M) in [`Forward::output`]
    pub fn forward(&self, inputs: &[Tensor4<T>], mode: Mode) -> Result<Forward<T>> {
        self.forward_pass(inputs, mode, false)
    }

    /// [`Generator::forward`], optionally folding batch norms into convolutions
    /// ([`Generator::generate`]).
    fn forward_pass(&self, inputs: &[Tensor4<T>], mode: Mode, fold: bool) -> Result<Forward<T>> {
        self.check_inputs(inputs)?;
        let keep = mode == Mode::Train;
        let mut pass = Pass {
            mode,
            fold,
            stats: Vec::new(),
        };
        let last = self.config.scales - 1;
        let mut branch_caches: Vec<Vec<UnitCache<T>>> = vec![Vec::new(); last + 1];
        let mut join_caches = Vec::new();
        // The coarsest branch starts the walk …
        let (mut a, c) = self.block_forward(&self.branches[last], inputs[last].clone(), &mut pass);
        branch_caches[last] = c;
        // … and each join doubles its size and merges the next finer branch.
        for k in (0..last).rev() {
            let (fine, c) = self.block_forward(&self.branches[k], inputs[k].clone(), &mut pass);
            branch_caches[k] = c;
            let (normed, in_norm) = if pass.fold {
                (
                    self.join_folded(&self.joins[k].in_norm, a.view(), fine.view()),
                    None,
                )
            } else {
                let up = upsample2_forward(a.view());
                let merged = concat_channels(&[up.view(), fine.view()]);
                self.norm_forward(&self.joins[k].in_norm, merged, &mut pass)
            };
            let (next, block) = self.block_forward(&self.joins[k].block, normed, &mut pass);
            if let Some(in_norm) = in_norm {
                join_caches.push(JoinCache { in_norm, block });
            }
            a = next;
        }
        // Finally a 1×1 convolution to RGB.
        let output = conv2d_forward(
            a.view(),
            self.weight(&self.out),
            self.bias(&self.out),
            &self.spec(&self.out),
        );
        join_caches.reverse(); // built coarse to fine; index by k (fine first)
        let caches = keep.then(|| Caches {
            branches: branch_caches,
            joins: join_caches,
            out_in: a,
        });
        Ok(Forward {
            output,
            caches,
            stats: pass.stats,
        })
    }
    // ANCHOR_END: generator_forward

    // ANCHOR: generate
    /// Generate pictures with the running statistics (inference mode, no caches).
    ///
    /// * `inputs[k]`: (N, C_in, M/2^k, M/2^k); returns (N, 3, M, M)
    ///
    /// The same numbers as `forward(inputs, Mode::Eval)` up to rounding, faster: with
    /// batch norm, each normalisation inside a conv block is folded into the convolution
    /// before it ([`fold_batchnorm_into_conv`]) and the activation is applied to each
    /// output tile as it is computed ([`conv2d_forward_then`]); a join's upsampling,
    /// concatenation and norm are one pass (`join_folded`).
    pub fn generate(&self, inputs: &[Tensor4<T>]) -> Result<Tensor4<T>> {
        let fold = self.config.norm == NormKind::Batch;
        Ok(self.forward_pass(inputs, Mode::Eval, fold)?.output)
    }
    // ANCHOR_END: generate

    /// Fold a training forward pass's batch statistics into the running averages
    /// (`running ← (1 − momentum)·running + momentum·batch`).
    pub fn update_running_stats(&mut self, fwd: &Forward<T>) {
        let momentum = self.config.momentum;
        for (off, stats) in &fwd.stats {
            let ch = stats.mean.len();
            let (mean, var) = self.running[*off..off + 2 * ch].split_at_mut(ch);
            batchnorm_update_running(
                ArrayViewMut1::from(mean),
                ArrayViewMut1::from(var),
                stats,
                momentum,
            );
        }
    }

    /// A conv block's forward pass; the caches are empty in eval mode.
    fn block_forward(
        &self,
        block: &[Unit],
        mut x: Tensor4<T>,
        pass: &mut Pass<T>,
    ) -> (Tensor4<T>, Vec<UnitCache<T>>) {
        let keep = pass.mode == Mode::Train;
        let mut caches = Vec::new();
        for u in block {
            if pass.fold {
                let (w, b) = self.folded(u);
                let act = leaky(self.config.activation.slope());
                x = conv2d_forward_then(
                    x.view(),
                    w.view(),
                    b.view(),
                    &self.spec(&u.conv),
                    Some(act),
                );
                continue;
            }
            let y = conv2d_forward(
                x.view(),
                self.weight(&u.conv),
                self.bias(&u.conv),
                &self.spec(&u.conv),
            );
            let (y, norm) = self.norm_forward(&u.norm, y, pass);
            let (y, act) = self.config.activation.forward(y, keep);
            if let (Some(norm), Some(act)) = (norm, act) {
                caches.push(UnitCache {
                    conv_in: x,
                    norm,
                    act,
                });
            }
            x = y;
        }
        (x, caches)
    }

    /// A unit's convolution with its batch norm (running statistics) folded in.
    fn folded(&self, u: &Unit) -> (Array4<T>, ndarray::Array1<T>) {
        fold_batchnorm_into_conv(
            self.weight(&u.conv),
            self.bias(&u.conv),
            self.gamma_beta(&u.norm),
            self.running_stats(&u.norm),
            self.config.eps,
        )
    }

    /// A batch norm's running mean and variance.
    fn running_stats(&self, n: &NormSlot) -> (ArrayView1<'_, T>, ArrayView1<'_, T>) {
        let r = n.run.expect("batch norm has running stats");
        let (mean, var) = self.running[r..r + 2 * n.ch].split_at(n.ch);
        (ArrayView1::from(mean), ArrayView1::from(var))
    }

    // ANCHOR: join_folded
    /// A join at inference with its batch norm folded in: `norm(concat(upsample2(coarse),
    /// fine))` in one pass that writes every value once, where upsampling, concatenating
    /// and normalising one after the other would allocate and write three tensors.
    /// Inference batch norm is the per-channel map `s·v + t`
    /// ([`batchnorm_eval_affine`]), applied as each value is copied into place.
    ///
    /// * `coarse`: (N, Cc, H/2, W/2), `fine`: (N, Cf, H, W); returns (N, Cc + Cf, H, W)
    fn join_folded(&self, n: &NormSlot, coarse: ArrayView4<T>, fine: ArrayView4<T>) -> Tensor4<T> {
        let (g, b) = self.gamma_beta(n);
        let (mean, var) = self.running_stats(n);
        let (scale, shift) = batchnorm_eval_affine(g, b, mean, var, self.config.eps);
        let (items, cc, h, w) = coarse.dim();
        let cf = fine.dim().1;
        let mut y = Array4::zeros((items, cc + cf, 2 * h, 2 * w));
        for ((mut yn, cn), fi) in y
            .outer_iter_mut()
            .zip(coarse.outer_iter())
            .zip(fine.outer_iter())
        {
            yn.outer_iter_mut()
                .into_par_iter()
                .enumerate()
                .for_each(|(c, mut yc)| {
                    let (s, t) = (scale[c], shift[c]);
                    if c < cc {
                        upsample2_plane(cn.index_axis(Axis(0), c), yc, |v| s * v + t);
                    } else {
                        let src = fi.index_axis(Axis(0), c - cc);
                        Zip::from(&mut yc)
                            .and(&src)
                            .for_each(|y, &v| *y = s * v + t);
                    }
                });
        }
        y
    }
    // ANCHOR_END: join_folded

    /// Normalise `x` according to the configuration and the pass's mode.
    fn norm_forward(
        &self,
        n: &NormSlot,
        x: Tensor4<T>,
        pass: &mut Pass<T>,
    ) -> (Tensor4<T>, Option<NormCache<T>>) {
        let (g, b) = self.gamma_beta(n);
        let eps = self.config.eps;
        match (self.config.norm, pass.mode) {
            (NormKind::Batch, Mode::Train) => {
                let (y, stats, cache) = batchnorm_forward_train(x.view(), g, b, eps, true);
                pass.stats
                    .push((n.run.expect("batch norm has running stats"), stats));
                (y, cache.map(NormCache::Batch))
            }
            (NormKind::Batch, Mode::Eval) => {
                let (mean, var) = self.running_stats(n);
                (batchnorm_forward_eval(x.view(), g, b, mean, var, eps), None)
            }
            (NormKind::Instance, mode) => {
                let (y, cache) = instancenorm_forward(x.view(), g, b, eps, mode == Mode::Train);
                (y, cache.map(NormCache::Instance))
            }
        }
    }

    // ANCHOR: generator_backward
    /// ∂L/∂θ for every parameter (and ∂L/∂z_k for every input if `input_grads`) from
    /// `dout = ∂L/∂output`, (N, 3, M, M). `fwd` must come from a `Mode::Train` forward.
    ///
    /// Walks the forward pass backwards: the final convolution, then each join from the
    /// finest to the coarsest — its block, its norm, the split of the concatenation into
    /// the upsampled coarse part (which continues the walk, after the backward of the
    /// upsampling) and the fine part (which goes back through its own branch).
    pub fn backward(
        &self,
        fwd: &Forward<T>,
        dout: ArrayView4<T>,
        input_grads: bool,
    ) -> Gradients<T> {
        let caches = fwd
            .caches
            .as_ref()
            .expect("Generator::backward needs a Mode::Train forward pass");
        assert_eq!(dout.dim(), fwd.output.dim(), "dout must match the output");
        let mut grads = vec![T::zero(); self.params.len()];
        let mut g = self
            .conv_backward(&self.out, &caches.out_in, dout, &mut grads, true)
            .expect("asked for dx");
        let last = self.config.scales - 1;
        let mut dinputs: Vec<Option<Tensor4<T>>> = vec![None; last + 1];
        for (k, (join, jc)) in self.joins.iter().zip(&caches.joins).enumerate() {
            let d_normed = self
                .block_backward(&join.block, &jc.block, g, &mut grads, true)
                .expect("asked for dx");
            let d_merged = self.norm_backward(&join.in_norm, &jc.in_norm, d_normed, &mut grads);
            let (n, ch, h, w) = d_merged.dim();
            let fine_ch = self.config.branch_channels;
            let mut d_up = Array4::zeros((n, ch - fine_ch, h, w));
            let mut d_fine = Array4::zeros((n, fine_ch, h, w));
            concat_channels_backward(d_merged.view(), &mut [d_up.view_mut(), d_fine.view_mut()]);
            let (branch, bc) = (&self.branches[k], &caches.branches[k]);
            dinputs[k] = self.block_backward(branch, bc, d_fine, &mut grads, input_grads);
            let mut d_coarse = Array4::zeros((n, ch - fine_ch, h / 2, w / 2));
            upsample2_backward(d_up.view(), d_coarse.view_mut());
            g = d_coarse;
        }
        let (branch, bc) = (&self.branches[last], &caches.branches[last]);
        dinputs[last] = self.block_backward(branch, bc, g, &mut grads, input_grads);
        Gradients {
            params: grads,
            inputs: input_grads.then(|| dinputs.into_iter().map(|d| d.expect("asked")).collect()),
        }
    }
    // ANCHOR_END: generator_backward

    /// A conv block's backward pass; returns ∂L/∂(block input) if `want_dx`.
    fn block_backward(
        &self,
        block: &[Unit],
        caches: &[UnitCache<T>],
        mut dy: Tensor4<T>,
        grads: &mut [T],
        want_dx: bool,
    ) -> Option<Tensor4<T>> {
        for (j, (u, c)) in block.iter().zip(caches).enumerate().rev() {
            let mut d_normed = Array4::zeros(dy.raw_dim());
            self.config
                .activation
                .backward(dy.view(), &c.act, d_normed.view_mut());
            let d_conv = self.norm_backward(&u.norm, &c.norm, d_normed, grads);
            match self.conv_backward(&u.conv, &c.conv_in, d_conv.view(), grads, want_dx || j > 0) {
                Some(dx) => dy = dx,
                None => return None,
            }
        }
        Some(dy)
    }

    /// A normalisation's backward pass: adds dγ, dβ into `grads`, returns ∂L/∂x.
    fn norm_backward(
        &self,
        n: &NormSlot,
        cache: &NormCache<T>,
        dy: Tensor4<T>,
        grads: &mut [T],
    ) -> Tensor4<T> {
        let (g, _) = self.gamma_beta(n);
        let (dg, db) = grads[n.g..n.g + 2 * n.ch].split_at_mut(n.ch);
        let mut dx = Array4::zeros(dy.raw_dim());
        let ng = NormGrads {
            dx: Some(dx.view_mut()),
            dgamma: Some(ArrayViewMut1::from(dg)),
            dbeta: Some(ArrayViewMut1::from(db)),
        };
        match cache {
            NormCache::Batch(c) => batchnorm_backward(dy.view(), g, c, ng),
            NormCache::Instance(c) => instancenorm_backward(dy.view(), g, c, ng),
        }
        dx
    }

    /// A convolution's backward pass: adds dW, db into `grads`, returns ∂L/∂x if `want_dx`.
    fn conv_backward(
        &self,
        c: &ConvSlot,
        x: &Tensor4<T>,
        dy: ArrayView4<T>,
        grads: &mut [T],
        want_dx: bool,
    ) -> Option<Tensor4<T>> {
        let (gw, gb) = grads[c.w..c.w + c.w_len() + c.o].split_at_mut(c.w_len());
        let dw = ArrayViewMut4::from_shape((c.o, c.c, c.k, c.k), gw).expect("slot sized at build");
        let mut dx = want_dx.then(|| Array4::zeros(x.raw_dim()));
        let cg = ConvGrads {
            dx: dx.as_mut().map(|d| d.view_mut()),
            dw: Some(dw),
            db: Some(ArrayViewMut1::from(gb)),
        };
        let (_, _, h, w) = x.dim();
        conv2d_backward(
            Some(x.view()),
            self.weight(c),
            dy,
            &self.spec(c),
            (h, w),
            cg,
        );
        dx
    }

    // ANCHOR: receptive_radius
    /// How far an output pixel's value reaches into the inputs, in output pixels: the
    /// radius of its receptive field (an upper bound).
    ///
    /// Input k enters through branch k and then the joins k−1 … 0. A block of
    /// convolutions widens the field by Σ kernel/2 of its own pixels, which are 2^j output
    /// pixels at scale j; each upsampling from scale j+1 to j can add one more pixel of
    /// scale j, as nearest-neighbour rounding picks the coarse pixel. So input k reaches
    /// `Σ_{j<k} (r(join j) + 1)·2^j + (r(join k) + r(branch k))·2^k`, without the
    /// `join k` term for the coarsest input, which has no join of its own.
    pub fn receptive_radius(&self) -> usize {
        let r = |b: &Block| b.iter().map(|u| u.conv.k / 2).sum::<usize>();
        let last = self.config.scales - 1;
        let mut via_joins = 0; // Σ_{j<k} (r(join j) + 1)·2^j
        let mut widest = 0;
        for k in 0..=last {
            let join = if k < last { r(&self.joins[k].block) } else { 0 };
            widest = widest.max(via_joins + (join + r(&self.branches[k])) * (1 << k));
            via_joins += (join + 1) * (1 << k);
        }
        widest + self.out.k / 2
    }
    // ANCHOR_END: receptive_radius

    /// Forward FLOPs of the convolutions for an `h`×`w` output (2 per multiply-add;
    /// norms, activations, upsampling and copies not counted).
    pub fn conv_flops(&self, h: usize, w: usize) -> f64 {
        let unit = |c: &ConvSlot, k: usize| conv2d_flops(c.o, c.c, c.k, h >> k, w >> k);
        let block = |b: &Block, k: usize| b.iter().map(|u| unit(&u.conv, k)).sum::<f64>();
        let branches: f64 = self
            .branches
            .iter()
            .enumerate()
            .map(|(k, b)| block(b, k))
            .sum();
        let joins: f64 = self
            .joins
            .iter()
            .enumerate()
            .map(|(k, j)| block(&j.block, k))
            .sum();
        branches + joins + unit(&self.out, 0)
    }

    /// A table of the architecture: one line per tensor with its shape and size, and
    /// the total.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        for slot in &self.param_slots {
            let shape: Vec<String> = slot.shape.iter().map(|d| d.to_string()).collect();
            s += &format!(
                "{:<24} {:>12} {:>7}\n",
                slot.name,
                shape.join("×"),
                slot.len()
            );
        }
        s += &format!("{:<24} {:>12} {:>7}\n", "total", "", self.parameter_count());
        s
    }
}
