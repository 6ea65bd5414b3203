//! One grader per exercise. Each builds random inputs with nst's generators, runs the
//! learner's function through [`attempt`], and checks the result with nst's own
//! machinery: central differences ([`numeric_gradient`]) of nst's forward functions,
//! adjoint tests, and nst's implementations as references, at nst's tolerances.

// The candidates' types are the exercises' signatures, spelled out.
#![allow(clippy::type_complexity)]

use super::{adjoint, attempt, compare, plain, same, wrong, Grade};
use crate::AdamState;
use ndarray::{
    Array1, Array2, Array3, Array4, ArrayView1, ArrayView2, ArrayView3, ArrayView4, Zip,
};
use nst::gradcheck::layers::{away_from_zero, spread_groups, without_ties, H, LAYER_TOL, NORM_TOL};
use nst::gradcheck::{dot, numeric_gradient};
use nst::layers::winograd::WinogradTile;
use nst::layers::{
    batchnorm_forward_train, conv2d_forward, maxpool2_forward, relu_forward, ConvSpec, NORM_EPS,
};
use nst::loss::{content_loss, gram, style_loss, tv_loss, Normalization};
use nst::math::im2col::{col2im_naive, im2col_naive, ConvGeom, Padding};
use nst::math::rng::Rng;
use nst::optim::{Adam, FirstOrder};

/// The window geometries the im2col/col2im graders try: zero and circular padding,
/// strides 1 and 2, square and oblong kernels, a 1×1 kernel.
fn geometries() -> Vec<ConvGeom> {
    let g = |c, h, w, kh, kw, stride, pad, padding| ConvGeom {
        c,
        h,
        w,
        kh,
        kw,
        stride,
        pad,
        padding,
    };
    vec![
        g(1, 4, 4, 2, 2, 2, 0, Padding::Zero),
        g(2, 5, 6, 3, 3, 1, 1, Padding::Zero),
        g(1, 7, 5, 3, 3, 2, 0, Padding::Zero),
        g(3, 4, 5, 1, 1, 1, 0, Padding::Zero),
        g(1, 9, 8, 5, 5, 2, 2, Padding::Zero),
        g(2, 5, 6, 3, 3, 1, 1, Padding::Circular),
        g(2, 5, 4, 2, 3, 1, 2, Padding::Circular),
    ]
}

/// What row `r` and column `p` of a column matrix mean.
fn locate_cols(g: &ConvGeom) -> impl Fn(&[usize]) -> String + '_ {
    move |i: &[usize]| {
        let (r, p) = (i[0], i[1]);
        let (c, ki, kj) = (r / (g.kh * g.kw), r / g.kw % g.kh, r % g.kw);
        let (oy, ox) = (p / g.out_w(), p % g.out_w());
        format!(
            " (row = channel {c}, kernel offset ({ki}, {kj}); column = output pixel ({oy}, {ox}))"
        )
    }
}

fn geom_name(g: &ConvGeom) -> String {
    let pad = match g.padding {
        Padding::Zero => "zero",
        Padding::Circular => "circular",
    };
    format!(
        "{}×{}×{} input, {}×{} kernel, stride {}, {pad} padding {}",
        g.c, g.h, g.w, g.kh, g.kw, g.stride, g.pad
    )
}

pub fn ex01_im2col() -> Grade {
    grade_im2col(&crate::ex01_im2col::im2col)
}

/// The grader of [`ex01_im2col`], for any candidate `f`.
pub fn grade_im2col(candidate: &dyn Fn(ArrayView3<f64>, &ConvGeom) -> Array2<f64>) -> Grade {
    for (i, g) in geometries().iter().enumerate() {
        let x: Array3<f64> = Rng::new(i as u64).uniform_array((g.c, g.h, g.w), -1.0, 1.0);
        let got = attempt(|| candidate(x.view(), g))?;
        let expected = im2col_naive(x.view(), g);
        compare(
            &format!("column matrix for a {}", geom_name(g)),
            &got,
            &expected,
            1e-15,
            &locate_cols(g),
            "entry (row (c·KH + ki)·KW + kj, column oy·OW + ox) is X[c, oy·stride + ki − pad, \
             ox·stride + kj − pad]. Outside the image it is 0 under zero padding and the \
             pixel at (iy mod H, ix mod W) under circular padding. Subtract the padding after \
             the multiplication, in signed arithmetic.",
        )?;
    }
    Ok(())
}

/// The upstream gradient R and the central-difference gradient of `x ↦ ⟨R, f(x)⟩`.
fn layer_numeric<F>(
    x: &Array4<f64>,
    out: (usize, usize, usize, usize),
    seed: u64,
    f: F,
) -> (Array4<f64>, Array4<f64>)
where
    F: Fn(&Array4<f64>) -> Array4<f64>,
{
    let r: Array4<f64> = Rng::new(seed).uniform_array(out, -1.0, 1.0);
    let num = numeric_gradient(x, H, |x| dot(&f(x).view(), &r.view()));
    (r, num)
}

pub fn ex02_relu_backward() -> Grade {
    grade_relu_backward(&crate::ex02_relu_backward::relu_backward)
}

/// The grader of [`ex02_relu_backward`], for any candidate `f`.
pub fn grade_relu_backward(
    candidate: &dyn Fn(ArrayView4<f64>, ArrayView4<f64>) -> Array4<f64>,
) -> Grade {
    for (i, shape) in [(2, 3, 4, 5), (1, 1, 3, 7)].into_iter().enumerate() {
        let x = away_from_zero(&mut Rng::new(10 + i as u64), shape);
        let (r, num) = layer_numeric(&x, shape, 20 + i as u64, |x| {
            relu_forward(x.clone(), false).0
        });
        let got = attempt(|| candidate(x.view(), r.view()))?;
        let mut hint = "the gradient passes where the input x > 0 and is 0 elsewhere".to_string();
        if same(&got, &r) {
            hint = "your dx is dy unchanged: ReLU blocks the gradient where x ≤ 0".into();
        } else if same(&got, &r.mapv(|v| v.max(0.0))) {
            hint = "you masked by dy > 0; the mask is the forward input's x > 0".into();
        }
        compare("ReLU dx", &got, &num, LAYER_TOL, &plain, &hint)?;
    }
    Ok(())
}

pub fn ex03_maxpool_backward() -> Grade {
    grade_maxpool2_backward(&crate::ex03_maxpool_backward::maxpool2_backward)
}

/// The grader of [`ex03_maxpool_backward`], for any candidate `f`.
pub fn grade_maxpool2_backward(
    candidate: &dyn Fn(ArrayView4<f64>, ArrayView4<f64>) -> Array4<f64>,
) -> Grade {
    for (i, shape) in [(2, 3, 6, 8), (1, 2, 5, 7)].into_iter().enumerate() {
        let x = without_ties(&mut Rng::new(30 + i as u64), shape);
        let out = (shape.0, shape.1, shape.2 / 2, shape.3 / 2);
        let (r, num) = layer_numeric(&x, out, 40 + i as u64, |x| {
            maxpool2_forward(x.view(), false).0
        });
        let got = attempt(|| candidate(x.view(), r.view()))?;
        let mut hint = "only the window's maximum influenced the output, so all of dy goes to \
                        it (dx[winner] += dy) and the other three get 0; with odd sizes the \
                        last row/column gets nothing"
            .to_string();
        let avg = {
            let mut a = Array4::zeros(x.raw_dim());
            nst::layers::avgpool2_backward(r.view(), a.view_mut());
            a
        };
        if same(&got, &avg) {
            hint = "that is average pooling's gradient (dy/4 to each of the four): max \
                    pooling routes dy to the winner only"
                .into();
        }
        compare(
            &format!("max-pool dx for a {shape:?} input"),
            &got,
            &num,
            LAYER_TOL,
            &plain,
            &hint,
        )?;
    }
    Ok(())
}

pub fn ex04_col2im() -> Grade {
    grade_col2im(&crate::ex04_col2im::col2im)
}

/// The grader of [`ex04_col2im`], for any candidate `f`.
pub fn grade_col2im(candidate: &dyn Fn(ArrayView2<f64>, &ConvGeom) -> Array3<f64>) -> Grade {
    for (i, g) in geometries().iter().enumerate() {
        let mut rng = Rng::new(50 + i as u64);
        let x: Array3<f64> = rng.uniform_array((g.c, g.h, g.w), -1.0, 1.0);
        let y: Array2<f64> = rng.uniform_array((g.rows(), g.cols()), -1.0, 1.0);
        let got = attempt(|| candidate(y.view(), g))?;
        let expected = col2im_naive(y.view(), g);
        let loc = |idx: &[usize]| format!(" (channel {}, pixel ({}, {}))", idx[0], idx[1], idx[2]);
        compare(
            &format!("col2im for a {}", geom_name(g)),
            &got,
            &expected,
            1e-12,
            &loc,
            "did you add each window's contribution (+=) or overwrite it (=)? A pixel covered \
             by several windows receives the sum. Entries that came from zero padding are \
             dropped; under circular padding they go back to the pixel they wrapped from.",
        )?;
        let ax = im2col_naive(x.view(), g);
        adjoint(
            "col2im",
            dot(&ax.view(), &y.view()),
            dot(&x.view(), &got.view()),
            "col2im must be exactly im2col's transpose",
        )?;
    }
    Ok(())
}

/// A convolution to grade on: input (n, c, h, w), o filters of k×k, stride, pad, padding.
type ConvCase = (
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    usize,
    Padding,
);

/// The five geometries of `nst gradcheck conv2d`.
const CONV_CASES: [ConvCase; 5] = [
    (1, 3, 6, 7, 4, 3, 1, 1, Padding::Zero),
    (2, 2, 7, 5, 3, 3, 2, 0, Padding::Zero),
    (1, 4, 5, 5, 2, 1, 1, 0, Padding::Zero),
    (1, 2, 9, 8, 3, 5, 2, 2, Padding::Zero),
    (1, 2, 5, 6, 3, 3, 1, 1, Padding::Circular),
];

fn conv_name(case: &ConvCase) -> String {
    let (n, c, h, w, o, k, stride, pad, padding) = *case;
    let padding = match padding {
        Padding::Zero => "zero",
        Padding::Circular => "circular",
    };
    format!(
        "{n}×{c}×{h}×{w} input, {o} filters of {k}×{k}, stride {stride}, {padding} padding {pad}"
    )
}

pub fn ex05_conv_input_grad() -> Grade {
    grade_conv2d_input_grad(&crate::ex05_conv_input_grad::conv2d_input_grad)
}

/// The grader of [`ex05_conv_input_grad`], for any candidate `f`.
pub fn grade_conv2d_input_grad(
    candidate: &dyn Fn(ArrayView4<f64>, ArrayView4<f64>, &ConvSpec, (usize, usize)) -> Array4<f64>,
) -> Grade {
    for (i, case) in CONV_CASES.iter().enumerate() {
        let &(n, c, h, w, o, k, stride, pad, padding) = case;
        let spec = ConvSpec {
            stride,
            pad,
            padding,
        };
        let mut rng = Rng::new(60 + i as u64);
        let x: Array4<f64> = rng.uniform_array((n, c, h, w), -1.0, 1.0);
        let wt: Array4<f64> = rng.uniform_array((o, c, k, k), -1.0, 1.0);
        let b: Array1<f64> = Array1::zeros(o);
        let y = conv2d_forward(x.view(), wt.view(), b.view(), &spec);
        let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
        let num = numeric_gradient(&x, H, |x| {
            dot(
                &conv2d_forward(x.view(), wt.view(), b.view(), &spec).view(),
                &r.view(),
            )
        });
        let got = attempt(|| candidate(wt.view(), r.view(), &spec, (h, w)))?;
        compare(
            &format!("dX for a {}", conv_name(case)),
            &got,
            &num,
            LAYER_TOL,
            &|i| {
                format!(
                    " (item {}, channel {}, pixel ({}, {}))",
                    i[0], i[1], i[2], i[3]
                )
            },
            "did you add the kernel's contributions or overwrite them? Each output pixel sends \
             W[o,c,ki,kj]·dY[n,o,oy,ox] to input pixel (oy·s + ki − p, ox·s + kj − p), summed \
             over o, ki, kj and all windows; nothing goes to zero padding. Errors only at the \
             borders point to the padding, errors everywhere to the flip or the channel order.",
        )?;
        adjoint(
            "dX",
            dot(&y.view(), &r.view()),
            dot(&x.view(), &got.view()),
            "X ↦ W ⊛ X is linear, and dX(Y) must be its transpose",
        )?;
    }
    Ok(())
}

pub fn ex06_conv_weight_grad() -> Grade {
    grade_conv2d_weight_grad(&crate::ex06_conv_weight_grad::conv2d_weight_grad)
}

/// The grader of [`ex06_conv_weight_grad`], for any candidate `f`.
pub fn grade_conv2d_weight_grad(
    candidate: &dyn Fn(ArrayView4<f64>, ArrayView4<f64>, &ConvSpec, (usize, usize)) -> Array4<f64>,
) -> Grade {
    for (i, case) in CONV_CASES.iter().enumerate() {
        let &(n, c, h, w, o, k, stride, pad, padding) = case;
        let spec = ConvSpec {
            stride,
            pad,
            padding,
        };
        let mut rng = Rng::new(70 + i as u64);
        let x: Array4<f64> = rng.uniform_array((n, c, h, w), -1.0, 1.0);
        let wt: Array4<f64> = rng.uniform_array((o, c, k, k), -1.0, 1.0);
        let b: Array1<f64> = rng.uniform_array(o, -1.0, 1.0);
        let y = conv2d_forward(x.view(), wt.view(), b.view(), &spec);
        let r: Array4<f64> = rng.uniform_array(y.raw_dim(), -1.0, 1.0);
        let num = numeric_gradient(&wt, H, |wt| {
            dot(
                &conv2d_forward(x.view(), wt.view(), b.view(), &spec).view(),
                &r.view(),
            )
        });
        let got = attempt(|| candidate(x.view(), r.view(), &spec, (k, k)))?;
        compare(
            &format!("dW for a {}", conv_name(case)),
            &got,
            &num,
            LAYER_TOL,
            &|i| {
                format!(
                    " (filter {}, channel {}, offset ({}, {}))",
                    i[0], i[1], i[2], i[3]
                )
            },
            "W̄[o,c,ki,kj] = Σ over the batch and every output pixel of dY[n,o,oy,ox] times the \
             input value that weight multiplied, X[n, c, oy·s + ki − p, ox·s + kj − p] (0 on \
             zero padding): dY₂·A(X)ᵀ per item. Did you sum over the batch?",
        )?;
    }
    Ok(())
}

pub fn ex07_content_grad() -> Grade {
    grade_content_grad_through_relu(&crate::ex07_content_grad::content_grad_through_relu)
}

/// The grader of [`ex07_content_grad`], for any candidate `f`.
pub fn grade_content_grad_through_relu(
    candidate: &dyn Fn(ArrayView3<f64>, ArrayView3<f64>) -> Array3<f64>,
) -> Grade {
    for (i, (c, h, w)) in [(3, 4, 5), (2, 1, 6)].into_iter().enumerate() {
        let x = away_from_zero(&mut Rng::new(80 + i as u64), (1, c, h, w))
            .index_axis_move(ndarray::Axis(0), 0);
        let p: Array3<f64> = Rng::new(90 + i as u64).uniform_array((c, h, w), 0.0, 1.0);
        let loss = |x: &Array3<f64>| {
            let f = x.mapv(|v| v.max(0.0)); // relu(x)
            content_loss(f.view(), p.view(), Normalization::Gatys).value
        };
        let num = numeric_gradient(&x, H, loss);
        let got = attempt(|| candidate(x.view(), p.view()))?;
        let unmasked = &x.mapv(|v| v.max(0.0)) - &p;
        let mut hint = "∂L/∂F = F − P, then the ReLU's derivative: 0 where x ≤ 0".to_string();
        if same(&got, &unmasked) {
            hint = "you forgot the mask: where x < 0 the ReLU's output does not move, so the \
                    gradient there is 0"
                .into();
        } else if same(&got, &(&x - &p)) {
            hint = "F is relu(x), not x; and the mask [x > 0] still applies".into();
        }
        let mut bad_mask = unmasked.clone();
        Zip::from(&mut bad_mask).and(&p).for_each(|d, &pi| {
            if pi <= 0.0 {
                *d = 0.0
            }
        });
        if same(&got, &bad_mask) && !same(&got, &num) {
            hint = "mask by the input x > 0, not by the target".into();
        }
        compare("content dx", &got, &num, LAYER_TOL, &plain, &hint)?;
    }
    Ok(())
}

pub fn ex08_gram() -> Grade {
    grade_gram(&crate::ex08_gram::gram)
}

/// The grader of [`ex08_gram`], for any candidate `f`.
pub fn grade_gram(candidate: &dyn Fn(ArrayView3<f64>) -> Array2<f64>) -> Grade {
    for (i, (c, h, w)) in [(3, 4, 5), (5, 2, 3), (1, 1, 7)].into_iter().enumerate() {
        let f: Array3<f64> = Rng::new(100 + i as u64).uniform_array((c, h, w), -1.0, 1.0);
        let got = attempt(|| candidate(f.view()))?;
        compare(
            &format!("Gram matrix of a {c}×{h}×{w} activation"),
            &got,
            &gram(f.view()),
            1e-12,
            &|i| format!(" (channels {} and {})", i[0], i[1]),
            "G[i][j] = Σ_k F[i,k]·F[j,k] over all H·W positions k; the paper's G has no \
             normalisation (the 1/(4N²M²) is in the loss). It is C×C: one row per channel.",
        )?;
    }
    Ok(())
}

pub fn ex09_style_grad() -> Grade {
    grade_style_loss_grad(&crate::ex09_style_grad::style_loss_grad)
}

/// The grader of [`ex09_style_grad`], for any candidate `f`.
pub fn grade_style_loss_grad(
    candidate: &dyn Fn(ArrayView3<f64>, ArrayView2<f64>) -> Array3<f64>,
) -> Grade {
    for (i, (c, h, w)) in [(3, 4, 5), (4, 2, 3)].into_iter().enumerate() {
        let mut rng = Rng::new(110 + i as u64);
        let f: Array3<f64> = rng.uniform_array((c, h, w), -1.0, 1.0);
        let other: Array3<f64> = rng.uniform_array((c, h, w), -1.0, 1.0);
        let a = gram(other.view());
        let num = numeric_gradient(&f, H, |f| {
            style_loss(f.view(), a.view(), Normalization::Gatys).value
        });
        let got = attempt(|| candidate(f.view(), a.view()))?;
        compare(
            "style dF",
            &got,
            &num,
            // Quartic in F: the central difference carries an h² truncation term too.
            NORM_TOL,
            &plain,
            "∂E/∂G = 2(G − A)/(4N²M²), and G's backward pass is ∂E/∂F = (D + Dᵀ)·F for \
             D = ∂E/∂G: together (G − A)·F/(N²M²). A factor of 2 or 4 off means a forgotten \
             square's 2 or a forgotten transpose term; N = channels, M = H·W.",
        )?;
    }
    Ok(())
}

pub fn ex10_tv_grad() -> Grade {
    grade_tv_grad(&crate::ex10_tv_grad::tv_grad)
}

/// The grader of [`ex10_tv_grad`], for any candidate `f`.
pub fn grade_tv_grad(candidate: &dyn Fn(ArrayView3<f64>) -> Array3<f64>) -> Grade {
    for (i, (c, h, w)) in [(3, 4, 5), (1, 1, 6), (2, 5, 1)].into_iter().enumerate() {
        let x: Array3<f64> = Rng::new(120 + i as u64).uniform_array((c, h, w), -1.0, 1.0);
        let num = numeric_gradient(&x, H, |x| tv_loss(x.view()).value);
        let got = attempt(|| candidate(x.view()))?;
        compare(
            &format!("TV gradient of a {c}×{h}×{w} picture"),
            &got,
            &num,
            LAYER_TOL,
            &|i| format!(" (channel {}, pixel ({}, {}))", i[0], i[1], i[2]),
            "each difference d = x[b] − x[a] adds d², so +2d at x[b] and −2d at x[a]: every \
             pixel collects from up to four neighbours. Errors only in the last row or \
             column point to the edges; a factor 2 to the square's derivative.",
        )?;
    }
    Ok(())
}

pub fn ex11_adam_step() -> Grade {
    grade_adam_step(&crate::ex11_adam_step::adam_step)
}

/// The grader of [`ex11_adam_step`], for any candidate `f`.
pub fn grade_adam_step(candidate: &dyn Fn(&mut [f64], &[f64], &mut AdamState, f64)) -> Grade {
    let n = 6;
    let lr = 0.05;
    let mut rng = Rng::new(130);
    let mut x: Vec<f64> = (0..n).map(|_| rng.range(-1.0, 1.0)).collect();
    let mut state = AdamState::new(n);
    let mut reference = Adam::<f64>::new(lr);
    let mut x_ref = x.clone();
    for step in 1..=5u64 {
        // The gradient of Σ (x_i − i)² · (1 + i), so the coordinates have different scales.
        let grad = |x: &[f64]| -> Vec<f64> {
            x.iter()
                .enumerate()
                .map(|(i, v)| 2.0 * (v - i as f64) * (1.0 + 10.0 * i as f64))
                .collect()
        };
        let g = grad(&x_ref);
        let before = x.clone();
        attempt(|| candidate(&mut x, &g, &mut state, lr))?;
        reference.step(&mut x_ref, &g);
        if state.t != step {
            return wrong(format!(
                "after step {step} your state.t is {}: count the steps (t = 1 at the first \
                 update, which the bias corrections need)",
                state.t
            ));
        }
        let (m_ref, v_ref, _) = reference.state();
        for (what, got, exp) in [("m", &state.m, m_ref), ("v", &state.v, v_ref)] {
            compare(
                &format!("{what} after step {step}"),
                &Array1::from(got.clone()),
                &Array1::from(exp.to_vec()),
                1e-12,
                &plain,
                "m ← β₁m + (1 − β₁)g and v ← β₂v + (1 − β₂)g², with g² elementwise",
            )?;
        }
        let hint = if step == 1 {
            let moved: Vec<f64> = before.iter().zip(&x).map(|(a, b)| (a - b).abs()).collect();
            if moved
                .iter()
                .all(|d| (d / lr - (1.0 - 0.9) / (0.001f64).sqrt()).abs() < 1e-3)
            {
                "your first step is lr·(1 − β₁)/√(1 − β₂) ≈ 3.16·lr: the bias corrections \
                 m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) are missing"
            } else {
                "x ← x − lr·m̂/(√v̂ + ε), m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ); the first step moves \
                 every coordinate by about lr"
            }
        } else {
            "ε goes after the square root: √v̂ + ε; t is the step count after this step"
        };
        compare(
            &format!("x after step {step}"),
            &Array1::from(x.clone()),
            &Array1::from(x_ref.clone()),
            1e-12,
            &plain,
            hint,
        )?;
    }
    Ok(())
}

/// Pairs (s, y) with y = Q·s for a symmetric positive definite Q (so yᵀs > 0).
fn quadratic_pairs(n: usize, m: usize, seed: u64) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut rng = Rng::new(seed);
    let a: Array2<f64> = rng.uniform_array((n, n), -1.0, 1.0);
    let q = a.t().dot(&a) + Array2::<f64>::eye(n);
    (0..m)
        .map(|_| {
            let s: Array1<f64> = rng.uniform_array(n, -1.0, 1.0);
            let y = q.dot(&s);
            (s.to_vec(), y.to_vec())
        })
        .collect()
}

pub fn ex12_two_loop() -> Grade {
    grade_two_loop(&crate::ex12_two_loop::two_loop)
}

/// The grader of [`ex12_two_loop`], for any candidate `f`.
pub fn grade_two_loop(
    candidate: &dyn Fn(&[(Vec<f64>, Vec<f64>)], f64, &[f64]) -> Vec<f64>,
) -> Grade {
    use nst::optim::lbfgs::dense_bfgs_inverse;
    for (n, m, seed) in [(5, 0, 1u64), (5, 1, 2), (7, 3, 3), (8, 5, 4)] {
        let pairs = quadratic_pairs(n, m, seed);
        let gamma = pairs
            .last()
            .map_or(0.7, |(s, y)| nst::optim::dot(s, y) / nst::optim::dot(y, y));
        let g: Vec<f64> = Rng::new(140 + seed).uniform_array(n, -1.0, 1.0).to_vec();
        let got = attempt(|| candidate(&pairs, gamma, &g))?;
        let b = dense_bfgs_inverse(&pairs, gamma, n);
        let dense: Vec<f64> = b.iter().map(|row| -nst::optim::dot(row, &g)).collect();
        compare(
            &format!("direction with {m} pairs in {n} dimensions"),
            &Array1::from(got.clone()),
            &Array1::from(dense),
            1e-10,
            &plain,
            "return −B·g (the descent direction, not B·g), starting from q = −g. First loop \
             newest → oldest: aᵢ = ρᵢ sᵢᵀq, q ← q − aᵢyᵢ; then r = γq; second loop oldest → \
             newest: b = ρᵢ yᵢᵀr, r ← r + (aᵢ − b)sᵢ. Check the loops' directions and that \
             each aᵢ is kept for the second loop.",
        )?;
        if let Some((s, y)) = pairs.last() {
            let d = attempt(|| candidate(&pairs, gamma, y))?;
            compare(
                "−B·y for the newest pair (the secant condition says −s)",
                &Array1::from(d),
                &Array1::from(s.iter().map(|v| -v).collect::<Vec<_>>()),
                1e-10,
                &plain,
                "the newest pair must be applied last in the second loop (and first in the \
                 first), so that B·yₖ = sₖ",
            )?;
        }
    }
    Ok(())
}

pub fn ex13_batchnorm_backward() -> Grade {
    grade_batchnorm_backward(&crate::ex13_batchnorm_backward::batchnorm_backward)
}

/// The grader of [`ex13_batchnorm_backward`], for any candidate `f`.
pub fn grade_batchnorm_backward(
    candidate: &dyn Fn(
        ArrayView4<f64>,
        ArrayView1<f64>,
        ArrayView4<f64>,
    ) -> (Array4<f64>, Array1<f64>, Array1<f64>),
) -> Grade {
    for (i, shape) in [(2, 3, 4, 5), (4, 2, 1, 1)].into_iter().enumerate() {
        let mut rng = Rng::new(150 + i as u64);
        let x = spread_groups(&mut rng, shape, true);
        let c = shape.1;
        let gamma: Array1<f64> = rng.uniform_array(c, 0.5, 1.5);
        let beta: Array1<f64> = rng.uniform_array(c, -1.0, 1.0);
        let r: Array4<f64> = rng.uniform_array(shape, -1.0, 1.0);
        let f = |x: &Array4<f64>, g: &Array1<f64>, b: &Array1<f64>| {
            let y = batchnorm_forward_train(x.view(), g.view(), b.view(), NORM_EPS, false).0;
            dot(&y.view(), &r.view())
        };
        let nx = numeric_gradient(&x, H, |x| f(x, &gamma, &beta));
        let ng = numeric_gradient(&gamma, H, |g| f(&x, g, &beta));
        let nb = numeric_gradient(&beta, H, |b| f(&x, &gamma, b));
        let (dx, dg, db) = attempt(|| candidate(x.view(), gamma.view(), r.view()))?;
        compare(
            "batch-norm dβ",
            &db,
            &nb,
            NORM_TOL,
            &plain,
            "β is added to every value of its channel: dβ[c] = Σ dy over (n, y, x)",
        )?;
        compare(
            "batch-norm dγ",
            &dg,
            &ng,
            NORM_TOL,
            &plain,
            "dγ[c] = Σ dy·x̂ over (n, y, x), with x̂ = (x − μ)/√(σ² + ε)",
        )?;
        // The usual mistake: treating μ and σ as constants.
        let mut naive = Array4::zeros(x.raw_dim());
        for ch in 0..c {
            let xc = x.index_axis(ndarray::Axis(1), ch);
            let m = xc.len() as f64;
            let mean = xc.sum() / m;
            let var = xc.mapv(|v| (v - mean).powi(2)).sum() / m;
            let scale = gamma[ch] / (var + NORM_EPS).sqrt();
            naive
                .index_axis_mut(ndarray::Axis(1), ch)
                .assign(&r.index_axis(ndarray::Axis(1), ch).mapv(|v| v * scale));
        }
        let hint = if same(&dx, &naive) {
            "your dx is (γ/s)·dy: that treats μ and σ as constants, but every x̂ depends on \
             every x of its channel through them. Subtract mean(dy) and x̂·mean(dy·x̂)."
        } else {
            "dx = (γ/s)·(dy − mean(dy) − x̂·mean(dy·x̂)), the means over (n, y, x) of one \
             channel; σ² is the biased variance (divide by m)"
        };
        compare(
            &format!("batch-norm dx for a {shape:?} input"),
            &dx,
            &nx,
            NORM_TOL,
            &|i| {
                format!(
                    " (item {}, channel {}, pixel ({}, {}))",
                    i[0], i[1], i[2], i[3]
                )
            },
            hint,
        )?;
    }
    Ok(())
}

pub fn ex14_crc_mask() -> Grade {
    grade_crc_mask(&crate::ex14_crc_mask::mask, &crate::ex14_crc_mask::unmask)
}

/// The grader of [`ex14_crc_mask`], for any candidate `mask` and `unmask`.
pub fn grade_crc_mask(mask: &dyn Fn(u32) -> u32, unmask: &dyn Fn(u32) -> u32) -> Grade {
    let mut values = vec![
        0u32,
        1,
        0x7fff,
        0x8000,
        0xffff_ffff,
        0x8000_0000,
        nst::formats::crc32c::crc32c(b"123456789"),
    ];
    let mut rng = Rng::new(160);
    values.extend((0..50).map(|_| rng.next_u64() as u32));
    for &v in &values {
        let got = attempt(|| mask(v))?;
        let exp = nst::formats::crc32c::mask(v);
        if got != exp {
            let hint = if got == (v >> 15).wrapping_add(nst::formats::crc32c::MASK_DELTA) {
                "a right shift drops the low 15 bits; a rotation brings them round to the top"
            } else if got == v.rotate_right(15) | nst::formats::crc32c::MASK_DELTA
                || got == v.rotate_right(15) ^ nst::formats::crc32c::MASK_DELTA
            {
                "add the constant (wrapping_add), don't OR or XOR it"
            } else {
                "rotate right by 15 (v.rotate_right(15)), then add 0xa282ead8 modulo 2³²"
            };
            return wrong(format!(
                "mask({v:#010x}): expected {exp:#010x}, got {got:#010x}\n  hint: {hint}"
            ));
        }
        let back = attempt(|| unmask(exp))?;
        if back != v {
            return wrong(format!(
                "unmask({exp:#010x}): expected {v:#010x}, got {back:#010x}\n  hint: undo the \
                 steps in reverse order: subtract the constant (wrapping_sub), then rotate left \
                 by 15"
            ));
        }
    }
    Ok(())
}

pub fn ex15_winograd() -> Grade {
    grade_winograd_f23(
        &crate::ex15_winograd::winograd_f23_tile,
        &crate::ex15_winograd::winograd_f23_tile_input_grad,
    )
}

/// A small dense matrix product, for the Winograd grader's "what you probably did".
fn mat(l: &[Vec<f64>], r: &[Vec<f64>]) -> Vec<Vec<f64>> {
    l.iter()
        .map(|row| {
            (0..r[0].len())
                .map(|j| row.iter().zip(r).map(|(a, rr)| a * rr[j]).sum())
                .collect()
        })
        .collect()
}

fn tr(m: &[Vec<f64>]) -> Vec<Vec<f64>> {
    (0..m[0].len())
        .map(|j| m.iter().map(|row| row[j]).collect())
        .collect()
}

fn rows_of<const R: usize, const C: usize>(a: &[[f64; C]; R]) -> Vec<Vec<f64>> {
    a.iter().map(|r| r.to_vec()).collect()
}

fn arr2_of(m: &[Vec<f64>]) -> Array2<f64> {
    Array2::from_shape_fn((m.len(), m[0].len()), |(i, j)| m[i][j])
}

fn hadamard(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    a.iter()
        .zip(b)
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| p * q).collect())
        .collect()
}

/// The typical wrong versions of one F(2×2, 3×3) tile, each with what it tells.
fn winograd_mistakes(d: &[Vec<f64>], g: &[Vec<f64>]) -> Vec<(Array2<f64>, &'static str)> {
    let (bt, gm, at) = WinogradTile::F2.matrices();
    let (b, a) = (tr(&bt), tr(&at));
    let u = mat(&mat(&gm, g), &tr(&gm));
    let v = mat(&mat(&bt, d), &b);
    let out = |m: &[Vec<f64>]| arr2_of(&mat(&mat(&at, m), &a));
    let mut g_no_half = gm.clone();
    for row in &mut g_no_half[1..3] {
        for x in row.iter_mut() {
            *x *= 2.0;
        }
    }
    let gt = tr(g);
    let flipped: Vec<Vec<f64>> = g
        .iter()
        .rev()
        .map(|r| r.iter().rev().copied().collect())
        .collect();
    vec![
        (
            out(&hadamard(&u, &mat(&mat(&b, d), &bt))),
            "this is what B d Bᵀ gives in place of Bᵀ d B: the input transform is Bᵀ on the \
             left and B = (Bᵀ)ᵀ on the right (rows of Bᵀ combine rows of d, then its columns)",
        ),
        (
            out(&mat(&u, &v)),
            "this is what the matrix product U·V gives: the middle step is element-wise, \
             (U ⊙ V)[i][j] = U[i][j]·V[i][j], 16 multiplications",
        ),
        (
            out(&hadamard(&mat(&mat(&gm, &gt), &tr(&gm)), &v)),
            "this is the correlation with the transposed kernel: the kernel transform is G g Gᵀ \
             with g[k][l] (k the row), not G gᵀ Gᵀ",
        ),
        (
            out(&hadamard(&mat(&mat(&gm, &flipped), &tr(&gm)), &v)),
            "this is a true convolution (kernel rotated by 180°); the network's layers, and \
             this tile, correlate: Y[i][j] = Σ d[i+k][j+l]·g[k][l]",
        ),
        (
            out(&hadamard(&mat(&mat(&g_no_half, g), &tr(&g_no_half)), &v)),
            "G's middle rows carry a factor ½ ((g₀ ± g₁ + g₂)/2): without it those products \
             come out doubled",
        ),
    ]
}

/// The grader of [`ex15_winograd`], for any candidate tile and input gradient.
pub fn grade_winograd_f23(
    tile: &dyn Fn([[f64; 4]; 4], [[f64; 3]; 3]) -> [[f64; 2]; 2],
    input_grad: &dyn Fn([[f64; 3]; 3], [[f64; 2]; 2]) -> [[f64; 4]; 4],
) -> Grade {
    let spec = ConvSpec {
        stride: 1,
        pad: 0,
        padding: Padding::Zero,
    };
    let zero_b = Array1::<f64>::zeros(1);
    // nst's direct convolution of one 4×4 patch with one 3×3 kernel: the reference.
    let direct =
        |d: &Array4<f64>, g: &Array4<f64>| conv2d_forward(d.view(), g.view(), zero_b.view(), &spec);
    let locate_y = |i: &[usize]| format!(" (output Y[{}][{}])", i[0], i[1]);
    let locate_d = |i: &[usize]| format!(" (patch entry d[{}][{}])", i[0], i[1]);
    for case in 0..6u64 {
        let mut rng = Rng::new(170 + case);
        let d4: Array4<f64> = rng.uniform_array((1, 1, 4, 4), -1.0, 1.0);
        let g4: Array4<f64> = rng.uniform_array((1, 1, 3, 3), -1.0, 1.0);
        let d: [[f64; 4]; 4] = std::array::from_fn(|i| std::array::from_fn(|j| d4[[0, 0, i, j]]));
        let g: [[f64; 3]; 3] = std::array::from_fn(|i| std::array::from_fn(|j| g4[[0, 0, i, j]]));

        // Forward: against the direct convolution; first the classic mistakes.
        let got_y = attempt(|| tile(d, g))?;
        let got_y = arr2_of(&rows_of(&got_y));
        let expected_y: Array2<f64> = direct(&d4, &g4)
            .index_axis_move(ndarray::Axis(0), 0)
            .index_axis_move(ndarray::Axis(0), 0);
        if !same(&got_y, &expected_y) {
            for (m, tell) in winograd_mistakes(&rows_of(&d), &rows_of(&g)) {
                if same(&got_y, &m) {
                    return wrong(format!(
                        "your tile differs from the direct 3×3 correlation of the 4×4 patch: \
                         expected {expected_y:?}, got {got_y:?}\n  hint: {tell}"
                    ));
                }
            }
        }
        compare(
            "Winograd tile Y",
            &got_y,
            &expected_y,
            1e-12,
            &locate_y,
            "Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A with the matrices of F(2, 3); in one dimension \
             y₀ = m₀ + m₁ + m₂ and y₁ = m₁ − m₂ − m₃. Check each matrix against the book row \
             by row, and check U = G g Gᵀ alone: its corner U[0][0] must be g[0][0].",
        )?;

        // Backward: central differences of ⟨dY, conv(d)⟩ and the adjoint identity.
        let dy4: Array4<f64> = rng.uniform_array((1, 1, 2, 2), -1.0, 1.0);
        let dy: [[f64; 2]; 2] = std::array::from_fn(|i| std::array::from_fn(|j| dy4[[0, 0, i, j]]));
        let num = numeric_gradient(&d4, H, |x| dot(&direct(x, &g4).view(), &dy4.view()))
            .index_axis_move(ndarray::Axis(0), 0)
            .index_axis_move(ndarray::Axis(0), 0);
        let got_dd = attempt(|| input_grad(g, dy))?;
        let got_dd = arr2_of(&rows_of(&got_dd));
        let (bt, _, _) = WinogradTile::F2.matrices();
        // The forward transforms where their transposes belong: Bᵀ dV B instead of B dV Bᵀ.
        let u = {
            let (_, gm, _) = WinogradTile::F2.matrices();
            mat(&mat(&gm, &rows_of(&g)), &tr(&gm))
        };
        let (_, _, at) = WinogradTile::F2.matrices();
        let dm = mat(&mat(&tr(&at), &rows_of(&dy)), &at);
        let dv = hadamard(&u, &dm);
        let forward_again = arr2_of(&mat(&mat(&bt, &dv), &tr(&bt)));
        let hint = if same(&got_dd, &forward_again) {
            "this is Bᵀ dV B, the forward transform applied again: the adjoint of V = Bᵀ d B \
             is dd = B dV Bᵀ (transpose each factor and reverse their order)"
        } else {
            "read the forward pass right to left and transpose each step: dM = A dY Aᵀ (A is \
             4×2), dV = U ⊙ dM (element-wise products are their own transposes), dd = B dV Bᵀ"
        };
        compare(
            "Winograd tile's dd",
            &got_dd,
            &num,
            LAYER_TOL,
            &locate_d,
            hint,
        )?;
        adjoint(
            "Winograd tile's dd",
            dot(&got_y.view(), &arr2_of(&rows_of(&dy)).view()),
            dot(&arr2_of(&rows_of(&d)).view(), &got_dd.view()),
            "d ↦ Y is linear, and your dd(dY) must be its transpose",
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
