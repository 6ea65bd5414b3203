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

use crate::gradcheck::{adjoint_error, dot, numeric_gradient, GradCheck};
use crate::im2col::Padding;
use crate::layers::{
    avgpool2_backward, avgpool2_forward, conv2d_backward, conv2d_forward, maxpool2_backward,
    maxpool2_forward, relu_backward, relu_forward, ConvGrads, ConvSpec,
};
use crate::rng::Rng;
use ndarray::{Array1, Array4};

// ANCHOR: tolerances
/// Central-difference step.
pub const H: f64 = 1e-5;
/// Relative-error tolerance for the (piecewise) linear layers; see the module doc.
pub const LAYER_TOL: f64 = 1e-7;
/// Tolerance for adjoint (dot-product) tests: pure round-off.
pub const ADJOINT_TOL: f64 = 1e-12;
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
    let mut aty = Array4::zeros(x.raw_dim());
    let grads = ConvGrads {
        dx: Some(aty.view_mut()),
        dw: None,
        db: None,
    };
    conv2d_backward(
        None,
        w.view(),
        y.view(),
        &case.spec,
        (case.h, case.w),
        grads,
    );
    let err = adjoint_error(dot(&ax.view(), &y.view()), dot(&x.view(), &aty.view()));
    GradCheck {
        name: "conv2d adjoint".into(),
        shape: case.label(),
        max_abs: err,
        rel: err,
        tol: ADJOINT_TOL,
    }
}

fn with_shape(mut c: GradCheck, label: &str) -> GradCheck {
    c.shape = label.to_string();
    c
}

// ANCHOR: kink_free_inputs
/// Inputs for ReLU: magnitudes in [0.1, 1] with random signs, far from the kink at 0.
fn away_from_zero(rng: &mut Rng, shape: (usize, usize, usize, usize)) -> Array4<f64> {
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
fn without_ties(rng: &mut Rng, shape: (usize, usize, usize, usize)) -> Array4<f64> {
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
    vec![
        ("conv2d", conv),
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
    ]
}
