//! Gradient checks of every layer, written once and run from two places: the proptest
//! suites in `tests/` (over random shapes) and `nst gradcheck` (over a fixed table of
//! cases, printed for a learner to read).
//!
//! Each check builds a random input in `f64`, runs the layer's backward pass with a
//! random upstream gradient `R`, and compares the result with the central-difference
//! gradient of `f(x) = ⟨R, layer(x)⟩` (see [`crate::gradcheck`]).
//!
//! Tolerance: these layers are linear (convolution, pooling) or piecewise linear (ReLU,
//! max-pool) in the input being checked, so the central difference has no truncation
//! error away from kinks; what remains is round-off, about `ε·|f| / h` ≈ 1e-16·10/1e-5
//! = 1e-10 relative. [`LAYER_TOL`] = 1e-7 leaves a wide margin and still catches any
//! real mistake (a wrong index or a missing term gives errors of order 1).
//!
//! The normalisation layers are the exception: they are smooth but nonlinear (x ↦ x̂
//! divides by the group's standard deviation), so the central difference also carries a
//! truncation error `h²·f‴/6`. Its size depends on how small the standard deviation
//! is — `f‴` grows like `1/s³` — so their inputs are drawn with every group's spread
//! in [0.5, 1.5] ([`spread_groups`]), where `f‴ = O(10)` and the truncation error is
//! about 1e-10·10/6 ≈ 2e-10 relative. [`NORM_TOL`] = 1e-6 still leaves a factor of
//! thousands; a mistake in the mean or variance terms shows up at 1e-2 or more.

use crate::gradcheck::{adjoint_error, dot, numeric_gradient, GradCheck};
use crate::layers::{
    avgpool2_backward, avgpool2_forward, batchnorm_backward, batchnorm_forward_train,
    concat_channels, concat_channels_backward, conv2d_backward, conv2d_forward, conv2d_input_grad,
    instancenorm_backward, instancenorm_forward, leaky_relu_backward, leaky_relu_forward,
    maxpool2_backward, maxpool2_forward, relu_backward, relu_forward, upsample2_backward,
    upsample2_forward, winograd_forward, winograd_input_grad, ConvGrads, ConvSpec, NormGrads,
    WinogradKernel, WinogradTile, NORM_EPS,
};
use crate::math::im2col::Padding;
use crate::math::rng::Rng;
use ndarray::{Array1, Array4, ArrayView1, ArrayView4, ArrayViewMut3, ArrayViewMut4, Axis};

// ANCHOR: tolerances
/// Central-difference step.
pub const H: f64 = 1e-5;
/// Relative-error tolerance for the (piecewise) linear layers; see the module doc.
pub const LAYER_TOL: f64 = 1e-7;
/// Tolerance for adjoint (dot-product) tests: pure round-off.
pub const ADJOINT_TOL: f64 = 1e-12;
/// Relative-error tolerance for the smooth nonlinear layers (batch and instance norm);
/// see the module doc.
pub const NORM_TOL: f64 = 1e-6;
// ANCHOR_END: tolerances

/// A convolution to check: input (n, c, h, w), `o` filters of k×k.
#[derive(Clone, Copy, Debug)]
pub struct ConvCase {
    /// Batch size.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub o: usize,
    /// Kernel size.
    pub k: usize,
    /// Stride and padding.
    pub spec: ConvSpec,
}

impl ConvCase {
    /// Is the kernel able to fit the padded input?
    pub fn valid(&self) -> bool {
        self.spec
            .geom(self.c, self.h, self.w, self.k, self.k)
            .validate()
            .is_ok()
    }

    fn label(&self) -> String {
        let pad = match self.spec.padding {
            Padding::Zero => "zero",
            Padding::Circular => "circ",
        };
        format!(
            "{}x{}x{}x{} k{} s{} p{} {pad}",
            self.n, self.c, self.h, self.w, self.k, self.spec.stride, self.spec.pad
        )
    }
}

/// Check conv2d's ∂L/∂X, ∂L/∂W and ∂L/∂b against central differences.
pub fn check_conv2d(case: &ConvCase, seed: u64) -> Vec<GradCheck> {
    let mut rng = Rng::new(seed);
    let x: Array4<f64> = rng.uniform_array((case.n, case.c, case.h, case.w), -1.0, 1.0);
    let w: Array4<f64> = rng.uniform_array((case.o, case.c, case.k, case.k), -1.0, 1.0);
    let b: Array1<f64> = rng.uniform_array(case.o, -1.0, 1.0);
    let y = conv2d_forward(x.view(), w.view(), b.view(), &case.spec);
    let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);

    let (mut dx, mut dw, mut db) = (
        Array4::zeros(x.raw_dim()),
        Array4::zeros(w.raw_dim()),
        Array1::zeros(case.o),
    );
    let grads = ConvGrads {
        dx: Some(dx.view_mut()),
        dw: Some(dw.view_mut()),
        db: Some(db.view_mut()),
    };
    conv2d_backward(
        Some(x.view()),
        w.view(),
        r.view(),
        &case.spec,
        (case.h, case.w),
        grads,
    );

    let f = |x: &Array4<f64>, w: &Array4<f64>, b: &Array1<f64>| {
        dot(
            &conv2d_forward(x.view(), w.view(), b.view(), &case.spec).view(),
            &r.view(),
        )
    };
    let nx = numeric_gradient(&x, H, |x| f(x, &w, &b));
    let nw = numeric_gradient(&w, H, |w| f(&x, w, &b));
    let nb = numeric_gradient(&b, H, |b| f(&x, &w, b));
    let label = case.label();
    vec![
        with_shape(
            GradCheck::compare("conv2d dX", &dx.view(), &nx.view(), LAYER_TOL),
            &label,
        ),
        with_shape(
            GradCheck::compare("conv2d dW", &dw.view(), &nw.view(), LAYER_TOL),
            &label,
        ),
        with_shape(
            GradCheck::compare("conv2d db", &db.view(), &nb.view(), LAYER_TOL),
            &label,
        ),
    ]
}

/// Adjoint test of the convolution's input gradient: with the bias at zero, `X ↦ W ⊛ X`
/// is linear, and `⟨W ⊛ X, Y⟩ = ⟨X, dX(Y)⟩` must hold to round-off.
pub fn check_conv2d_adjoint(case: &ConvCase, seed: u64) -> GradCheck {
    let mut rng = Rng::new(seed);
    let x: Array4<f64> = rng.uniform_array((case.n, case.c, case.h, case.w), -1.0, 1.0);
    let w: Array4<f64> = rng.uniform_array((case.o, case.c, case.k, case.k), -1.0, 1.0);
    let zero = Array1::zeros(case.o);
    let ax = conv2d_forward(x.view(), w.view(), zero.view(), &case.spec);
    let y: Array4<f64> = rng.uniform_array(ax.raw_dim(), -1.0, 1.0);
    let aty = conv2d_input_grad(w.view(), y.view(), &case.spec, (case.h, case.w));
    let err = adjoint_error(dot(&ax.view(), &y.view()), dot(&x.view(), &aty.view()));
    GradCheck {
        name: "conv2d adjoint".into(),
        shape: case.label(),
        max_abs: err,
        rel: err,
        tol: ADJOINT_TOL,
    }
}

// ANCHOR: check_winograd
/// Check Winograd's input gradient three ways, for a 3×3 stride-1 padding-1 `case`:
/// against central differences of `⟨R, winograd(X)⟩`, by the adjoint identity
/// `⟨winograd(X), Y⟩ = ⟨X, winograd_input_grad(Y)⟩` (bias 0), and against the im2col
/// backward pass (the same gradient by another algorithm: f64 round-off only).
pub fn check_winograd(case: &ConvCase, tile: WinogradTile, seed: u64) -> Vec<GradCheck> {
    assert_eq!((case.k, case.spec.stride, case.spec.pad), (3, 1, 1));
    let mut rng = Rng::new(seed);
    let x: Array4<f64> = rng.uniform_array((case.n, case.c, case.h, case.w), -1.0, 1.0);
    let w: Array4<f64> = rng.uniform_array((case.o, case.c, 3, 3), -1.0, 1.0);
    let b: Array1<f64> = rng.uniform_array(case.o, -1.0, 1.0);
    let k = WinogradKernel::new(w.view(), tile);
    let pad = case.spec.padding;
    let y = winograd_forward(x.view(), &k, b.view(), pad);
    let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
    let dx = winograd_input_grad(r.view(), &k, pad);
    let f = |x: &Array4<f64>| {
        dot(
            &winograd_forward(x.view(), &k, b.view(), pad).view(),
            &r.view(),
        )
    };
    let nx = numeric_gradient(&x, H, f);
    let label = format!("{} {}", case.label(), tile.name());
    let zero = Array1::zeros(case.o);
    let ax = winograd_forward(x.view(), &k, zero.view(), pad);
    // Relative to the sum of the terms' sizes: the two sides may nearly cancel.
    let (lhs, rhs) = (dot(&ax.view(), &r.view()), dot(&x.view(), &dx.view()));
    let terms = dot(&ax.mapv(f64::abs).view(), &r.mapv(f64::abs).view());
    let err = adjoint_error(lhs, rhs) * lhs.abs().max(rhs.abs()) / terms.max(1e-300);
    let im2col = conv2d_input_grad(w.view(), r.view(), &case.spec, (case.h, case.w));
    vec![
        with_shape(
            GradCheck::compare("winograd dX", &dx.view(), &nx.view(), LAYER_TOL),
            &label,
        ),
        GradCheck {
            name: "winograd adjoint".into(),
            shape: label.clone(),
            max_abs: err,
            rel: err,
            tol: ADJOINT_TOL,
        },
        with_shape(
            GradCheck::compare(
                "winograd dX vs im2col",
                &dx.view(),
                &im2col.view(),
                ADJOINT_TOL,
            ),
            &label,
        ),
    ]
}
// ANCHOR_END: check_winograd

fn with_shape(mut c: GradCheck, label: &str) -> GradCheck {
    c.shape = label.to_string();
    c
}

// ANCHOR: kink_free_inputs
/// Inputs for ReLU: magnitudes in [0.1, 1] with random signs, far from the kink at 0.
pub fn away_from_zero(rng: &mut Rng, shape: (usize, usize, usize, usize)) -> Array4<f64> {
    Array4::from_shape_simple_fn(shape, || {
        let m = rng.range(0.1, 1.0);
        if rng.uniform() < 0.5 {
            -m
        } else {
            m
        }
    })
}

/// Inputs for max-pooling: distinct values at least 0.01 apart (a shuffled ramp), so no
/// window has a tie for its maximum within `h` of the perturbation.
pub fn without_ties(rng: &mut Rng, shape: (usize, usize, usize, usize)) -> Array4<f64> {
    let len = shape.0 * shape.1 * shape.2 * shape.3;
    let mut v: Vec<f64> = (0..len)
        .map(|i| i as f64 * 0.01 - 0.005 * len as f64)
        .collect();
    for i in (1..len).rev() {
        v.swap(i, rng.below(i + 1));
    }
    Array4::from_shape_vec(shape, v).expect("length matches")
}
// ANCHOR_END: kink_free_inputs

/// Check ReLU's backward pass.
pub fn check_relu(shape: (usize, usize, usize, usize), seed: u64) -> GradCheck {
    let mut rng = Rng::new(seed);
    let x = away_from_zero(&mut rng, shape);
    let (y, cache) = relu_forward(x.clone(), true);
    let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
    let mut dx = Array4::zeros(x.raw_dim());
    relu_backward(r.view(), &cache.expect("asked for"), dx.view_mut());
    let num = numeric_gradient(&x, H, |x| {
        dot(&relu_forward(x.clone(), false).0.view(), &r.view())
    });
    with_shape(
        GradCheck::compare("relu dX", &dx.view(), &num.view(), LAYER_TOL),
        &format!("{shape:?}"),
    )
}

/// Check 2×2 max-pooling's backward pass.
pub fn check_maxpool(shape: (usize, usize, usize, usize), seed: u64) -> GradCheck {
    let mut rng = Rng::new(seed);
    let x = without_ties(&mut rng, shape);
    let (y, cache) = maxpool2_forward(x.view(), true);
    let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
    let mut dx = Array4::zeros(x.raw_dim());
    maxpool2_backward(r.view(), &cache.expect("asked for"), dx.view_mut());
    let num = numeric_gradient(&x, H, |x| {
        dot(&maxpool2_forward(x.view(), false).0.view(), &r.view())
    });
    with_shape(
        GradCheck::compare("maxpool dX", &dx.view(), &num.view(), LAYER_TOL),
        &format!("{shape:?}"),
    )
}

/// Check 2×2 average-pooling's backward pass.
pub fn check_avgpool(shape: (usize, usize, usize, usize), seed: u64) -> GradCheck {
    let mut rng = Rng::new(seed);
    let x: Array4<f64> = rng.uniform_array(shape, -1.0, 1.0);
    let y = avgpool2_forward(x.view());
    let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
    let mut dx = Array4::zeros(x.raw_dim());
    avgpool2_backward(r.view(), dx.view_mut());
    let num = numeric_gradient(&x, H, |x| {
        dot(&avgpool2_forward(x.view()).view(), &r.view())
    });
    with_shape(
        GradCheck::compare("avgpool dX", &dx.view(), &num.view(), LAYER_TOL),
        &format!("{shape:?}"),
    )
}

/// Inputs for the normalisation layers: each group (every channel if `per_channel`, as
/// batch norm groups them; else every (item, channel) plane, as instance norm does) is
/// drawn uniform, then shifted and scaled to a random mean in [−1, 1] and a random
/// standard deviation in [0.5, 1.5]. A group whose values happen to be close together
/// would have a tiny variance, a huge third derivative and a meaningless check.
pub fn spread_groups(
    rng: &mut Rng,
    shape: (usize, usize, usize, usize),
    per_channel: bool,
) -> Array4<f64> {
    let mut x: Array4<f64> = rng.uniform_array(shape, -1.0, 1.0);
    let mut rescale = |mut g: ArrayViewMut3<f64>| {
        let m = g.len() as f64;
        let mean = g.sum() / m;
        let sd = (g.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / m).sqrt();
        let (mu, s) = (rng.range(-1.0, 1.0), rng.range(0.5, 1.5));
        // A group of one value has no spread to rescale; it just moves.
        let k = if sd > 1e-12 { s / sd } else { 1.0 };
        g.mapv_inplace(|v| mu + (v - mean) * k);
    };
    if per_channel {
        x.axis_iter_mut(Axis(1)).for_each(&mut rescale);
    } else {
        for mut xn in x.outer_iter_mut() {
            xn.outer_iter_mut()
                .for_each(|p| rescale(p.insert_axis(Axis(0))));
        }
    }
    x
}

/// Check train-mode batch norm's ∂L/∂x, ∂L/∂γ and ∂L/∂β. Use groups of N·H·W ≥ 3
/// values: two values normalise to ±1 whatever they are, ∂L/∂x is O(ε), and a relative
/// error against it measures only round-off.
pub fn check_batchnorm(shape: (usize, usize, usize, usize), seed: u64) -> Vec<GradCheck> {
    let mut rng = Rng::new(seed);
    let x = spread_groups(&mut rng, shape, true);
    let forward = |x: &Array4<f64>, g: &Array1<f64>, b: &Array1<f64>| {
        batchnorm_forward_train(x.view(), g.view(), b.view(), NORM_EPS, false).0
    };
    let backward = |p: NormParams, grads: NormGrads<f64>| {
        let (_, _, cache) = batchnorm_forward_train(p.x, p.gamma, p.beta, NORM_EPS, true);
        batchnorm_backward(p.dy, p.gamma, &cache.expect("asked for"), grads);
    };
    check_norm("batchnorm", x, &mut rng, forward, backward)
}

/// Check instance norm's ∂L/∂x, ∂L/∂γ and ∂L/∂β (use planes of H·W ≥ 3 pixels; see
/// [`check_batchnorm`]).
pub fn check_instancenorm(shape: (usize, usize, usize, usize), seed: u64) -> Vec<GradCheck> {
    let mut rng = Rng::new(seed);
    let x = spread_groups(&mut rng, shape, false);
    let forward = |x: &Array4<f64>, g: &Array1<f64>, b: &Array1<f64>| {
        instancenorm_forward(x.view(), g.view(), b.view(), NORM_EPS, false).0
    };
    let backward = |p: NormParams, grads: NormGrads<f64>| {
        let (_, cache) = instancenorm_forward(p.x, p.gamma, p.beta, NORM_EPS, true);
        instancenorm_backward(p.dy, p.gamma, &cache.expect("asked for"), grads);
    };
    check_norm("instancenorm", x, &mut rng, forward, backward)
}

/// The arguments a norm layer's backward pass is run with in [`check_norm`].
struct NormParams<'a> {
    x: ArrayView4<'a, f64>,
    gamma: ArrayView1<'a, f64>,
    beta: ArrayView1<'a, f64>,
    dy: ArrayView4<'a, f64>,
}

/// The part of the two norm checks that does not depend on the grouping: draw γ, β and
/// the upstream gradient R, run `backward`, compare with central differences of
/// `⟨R, forward(x, γ, β)⟩` in each of x, γ, β.
fn check_norm(
    name: &str,
    x: Array4<f64>,
    rng: &mut Rng,
    forward: impl Fn(&Array4<f64>, &Array1<f64>, &Array1<f64>) -> Array4<f64>,
    backward: impl FnOnce(NormParams, NormGrads<f64>),
) -> Vec<GradCheck> {
    let c = x.dim().1;
    let gamma: Array1<f64> = rng.uniform_array(c, 0.5, 1.5);
    let beta: Array1<f64> = rng.uniform_array(c, -1.0, 1.0);
    let r: Array4<f64> = rng.uniform_array(x.raw_dim(), -1.0, 1.0);
    let (mut dx, mut dg, mut db) = (
        Array4::zeros(x.raw_dim()),
        Array1::zeros(c),
        Array1::zeros(c),
    );
    let params = NormParams {
        x: x.view(),
        gamma: gamma.view(),
        beta: beta.view(),
        dy: r.view(),
    };
    let grads = NormGrads {
        dx: Some(dx.view_mut()),
        dgamma: Some(dg.view_mut()),
        dbeta: Some(db.view_mut()),
    };
    backward(params, grads);
    let f = |x: &Array4<f64>, g: &Array1<f64>, b: &Array1<f64>| {
        dot(&forward(x, g, b).view(), &r.view())
    };
    let nx = numeric_gradient(&x, H, |x| f(x, &gamma, &beta));
    let ng = numeric_gradient(&gamma, H, |g| f(&x, g, &beta));
    let nb = numeric_gradient(&beta, H, |b| f(&x, &gamma, b));
    let label = format!("{:?}", x.dim());
    let row = |what: &str, a: &Array1<f64>, n: &Array1<f64>| {
        with_shape(
            GradCheck::compare(format!("{name} {what}"), &a.view(), &n.view(), NORM_TOL),
            &label,
        )
    };
    vec![
        with_shape(
            GradCheck::compare(format!("{name} dX"), &dx.view(), &nx.view(), NORM_TOL),
            &label,
        ),
        row("dγ", &dg, &ng),
        row("dβ", &db, &nb),
    ]
}

/// Check the leaky ReLU's backward pass (slope 0.2, so the negative side is visible).
pub fn check_leaky_relu(shape: (usize, usize, usize, usize), seed: u64) -> GradCheck {
    const SLOPE: f64 = 0.2;
    let mut rng = Rng::new(seed);
    let x = away_from_zero(&mut rng, shape);
    let (y, cache) = leaky_relu_forward(x.clone(), SLOPE, true);
    let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
    let mut dx = Array4::zeros(x.raw_dim());
    leaky_relu_backward(r.view(), &cache.expect("asked for"), SLOPE, dx.view_mut());
    let num = numeric_gradient(&x, H, |x| {
        dot(
            &leaky_relu_forward(x.clone(), SLOPE, false).0.view(),
            &r.view(),
        )
    });
    with_shape(
        GradCheck::compare("leaky_relu dX", &dx.view(), &num.view(), LAYER_TOL),
        &format!("{shape:?}"),
    )
}

/// Check nearest-neighbour ×2 upsampling's backward pass; `shape` is the input's.
pub fn check_upsample(shape: (usize, usize, usize, usize), seed: u64) -> GradCheck {
    let mut rng = Rng::new(seed);
    let x: Array4<f64> = rng.uniform_array(shape, -1.0, 1.0);
    let r: Array4<f64> = rng.uniform_array(upsample2_forward(x.view()).raw_dim(), -1.0, 1.0);
    let mut dx = Array4::zeros(shape);
    upsample2_backward(r.view(), dx.view_mut());
    let num = numeric_gradient(&x, H, |x| {
        dot(&upsample2_forward(x.view()).view(), &r.view())
    });
    with_shape(
        GradCheck::compare("upsample dX", &dx.view(), &num.view(), LAYER_TOL),
        &format!("{shape:?}"),
    )
}

/// Adjoint test of upsampling: `⟨U·x, y⟩ = ⟨x, Uᵀ·y⟩` with `Uᵀ` the backward pass (2×2
/// sum pooling). `x` and `y` are positive, so neither dot product can cancel to near
/// zero and the relative difference measures round-off alone (≈ n·1e-16).
pub fn check_upsample_adjoint(shape: (usize, usize, usize, usize), seed: u64) -> GradCheck {
    let mut rng = Rng::new(seed);
    let x: Array4<f64> = rng.uniform_array(shape, 0.5, 1.0);
    let ux = upsample2_forward(x.view());
    let y: Array4<f64> = rng.uniform_array(ux.raw_dim(), 0.5, 1.0);
    let mut uty = Array4::zeros(shape);
    upsample2_backward(y.view(), uty.view_mut());
    let err = adjoint_error(dot(&ux.view(), &y.view()), dot(&x.view(), &uty.view()));
    GradCheck {
        name: "upsample adjoint".into(),
        shape: format!("{shape:?}"),
        max_abs: err,
        rel: err,
        tol: ADJOINT_TOL,
    }
}

/// Check channel concatenation's backward pass (the split) for inputs of `channels[k]`
/// channels each, all (n, ·, h, w): one row per input.
pub fn check_concat(n: usize, channels: &[usize], h: usize, w: usize, seed: u64) -> Vec<GradCheck> {
    let mut rng = Rng::new(seed);
    let xs: Vec<Array4<f64>> = channels
        .iter()
        .map(|&c| rng.uniform_array((n, c, h, w), -1.0, 1.0))
        .collect();
    let total: usize = channels.iter().sum();
    let r: Array4<f64> = rng.uniform_array((n, total, h, w), -1.0, 1.0);
    let mut dxs: Vec<Array4<f64>> = xs.iter().map(|x| Array4::zeros(x.raw_dim())).collect();
    let mut views: Vec<ArrayViewMut4<f64>> = dxs.iter_mut().map(|d| d.view_mut()).collect();
    concat_channels_backward(r.view(), &mut views);
    let label = format!("{n}x{channels:?}x{h}x{w}");
    (0..xs.len())
        .map(|k| {
            let num = numeric_gradient(&xs[k], H, |xk| {
                let mut views: Vec<ArrayView4<f64>> = xs.iter().map(|x| x.view()).collect();
                views[k] = xk.view();
                dot(&concat_channels(&views).view(), &r.view())
            });
            let c = GradCheck::compare(
                format!("concat dX{k}"),
                &dxs[k].view(),
                &num.view(),
                LAYER_TOL,
            );
            with_shape(c, &label)
        })
        .collect()
}

/// The rows of the Texture Networks layers in the `nst gradcheck` table.
fn texture_layer_checks(seed: u64) -> Vec<(&'static str, Vec<GradCheck>)> {
    let mut bn = check_batchnorm((2, 3, 4, 5), seed);
    bn.extend(check_batchnorm((4, 2, 1, 1), seed + 1));
    let mut inorm = check_instancenorm((2, 3, 4, 5), seed);
    inorm.extend(check_instancenorm((1, 2, 3, 1), seed + 1));
    let up = vec![
        check_upsample((2, 3, 3, 4), seed),
        check_upsample_adjoint((2, 3, 3, 4), seed + 100),
    ];
    vec![
        ("batchnorm", bn),
        ("instancenorm", inorm),
        ("leaky_relu", vec![check_leaky_relu((2, 3, 4, 5), seed)]),
        ("upsample", up),
        ("concat", check_concat(2, &[3, 1, 2], 3, 4, seed)),
    ]
}

/// The fixed table `nst gradcheck` runs: `(layer name, checks)`.
pub fn standard_checks(seed: u64) -> Vec<(&'static str, Vec<GradCheck>)> {
    let zero = |stride, pad| ConvSpec {
        stride,
        pad,
        padding: Padding::Zero,
    };
    let circ = |pad| ConvSpec {
        stride: 1,
        pad,
        padding: Padding::Circular,
    };
    let conv_cases = [
        ConvCase {
            n: 1,
            c: 3,
            h: 6,
            w: 7,
            o: 4,
            k: 3,
            spec: zero(1, 1),
        },
        ConvCase {
            n: 2,
            c: 2,
            h: 7,
            w: 5,
            o: 3,
            k: 3,
            spec: zero(2, 0),
        },
        ConvCase {
            n: 1,
            c: 4,
            h: 5,
            w: 5,
            o: 2,
            k: 1,
            spec: zero(1, 0),
        },
        ConvCase {
            n: 1,
            c: 2,
            h: 9,
            w: 8,
            o: 3,
            k: 5,
            spec: zero(2, 2),
        },
        ConvCase {
            n: 1,
            c: 2,
            h: 5,
            w: 6,
            o: 3,
            k: 3,
            spec: circ(1),
        },
    ];
    let mut conv = Vec::new();
    for (i, case) in conv_cases.iter().enumerate() {
        conv.extend(check_conv2d(case, seed + i as u64));
        conv.push(check_conv2d_adjoint(case, seed + 100 + i as u64));
    }
    let mut wino = Vec::new();
    for (i, tile) in [WinogradTile::F2, WinogradTile::F4].into_iter().enumerate() {
        for (j, padding) in [Padding::Zero, Padding::Circular].into_iter().enumerate() {
            // sides that are not multiples of either tile
            let case = ConvCase {
                n: 2,
                c: 3,
                h: 7,
                w: 5,
                o: 2,
                k: 3,
                spec: ConvSpec {
                    stride: 1,
                    pad: 1,
                    padding,
                },
            };
            wino.extend(check_winograd(&case, tile, seed + 200 + (2 * i + j) as u64));
        }
    }
    let mut table = vec![
        ("conv2d", conv),
        ("winograd", wino),
        ("relu", vec![check_relu((2, 3, 4, 5), seed)]),
        (
            "maxpool",
            vec![
                check_maxpool((2, 3, 6, 8), seed),
                check_maxpool((1, 2, 5, 7), seed + 1),
            ],
        ),
        (
            "avgpool",
            vec![
                check_avgpool((2, 3, 6, 8), seed),
                check_avgpool((1, 2, 5, 7), seed + 1),
            ],
        ),
    ];
    table.extend(texture_layer_checks(seed));
    table
}
