use super::*;
use crate::optim::testfns::{quadratic, rosenbrock};

fn wolfe() -> LbfgsOptions {
    LbfgsOptions {
        line_search: LineSearch::StrongWolfe,
        ..LbfgsOptions::default()
    }
}

/// Tolerances tight enough to reach x* to 1e-6 or better. Torch's defaults stop on
/// `|Δf| < 1e-9` or `gᵀd > −1e-9`; near a minimum `f − f* ≈ ½eᵀHe` for the error `e`, so
/// those stop at `‖e‖ ≈ 1e-5` — they bound the loss, not the distance to x*.
fn tight(options: LbfgsOptions) -> LbfgsOptions {
    LbfgsOptions {
        tolerance_grad: 1e-12,
        tolerance_change: 1e-20,
        ..options
    }
}

#[test]
fn strong_wolfe_solves_rosenbrock_within_100_iterations() {
    let mut x = vec![-1.2f64, 1.0];
    let mut opt = Lbfgs::new(tight(wolfe()));
    let r = opt.run(&mut x, rosenbrock, 100);
    let dist = ((x[0] - 1.0).powi(2) + (x[1] - 1.0).powi(2)).sqrt();
    assert!(
        dist < 1e-6,
        "x = {x:?} after {} iterations, {r:?}",
        opt.iterations()
    );
    assert!(r.stop.is_some(), "{r:?}");
    assert!(opt.iterations() <= 100);
}

#[test]
fn strong_wolfe_solves_the_quadratic() {
    // Exact line searches on an n-dimensional quadratic would finish in n steps; the
    // Wolfe steps are inexact, so allow 50 and ask for x* to 1e-8.
    let q = quadratic();
    let mut x = vec![0.0f64; q.n()];
    let mut opt = Lbfgs::new(tight(wolfe()));
    opt.run(&mut x, |x| q.eval(x), 50);
    assert!(q.distance(&x) < 1e-8, "‖x − x*‖ = {}", q.distance(&x));
}

#[test]
fn fixed_step_solves_the_quadratic() {
    // No line search, lr = 1: after the first (scaled-gradient) step, the quasi-Newton
    // steps of a quadratic with moderate condition number converge without safeguards.
    // Asserted: x* to 1e-8 within 100 iterations, one evaluation per call.
    let q = quadratic();
    let mut x = vec![0.0f64; q.n()];
    let mut opt = Lbfgs::new(tight(LbfgsOptions::default()));
    let mut calls = 0;
    for _ in 0..100 {
        let r = opt.step(&mut x, |x| q.eval(x));
        calls += 1;
        assert_eq!(r.evals, 1);
        if r.stop.is_some() {
            break;
        }
    }
    assert!(q.distance(&x) < 1e-8, "‖x − x*‖ = {}", q.distance(&x));
    assert_eq!(opt.func_evals(), calls);
}

#[test]
fn default_tolerances_stop_rosenbrock_near_the_minimum() {
    let mut x = vec![-1.2f64, 1.0];
    let mut opt = Lbfgs::new(wolfe());
    let r = opt.run(&mut x, rosenbrock, 100);
    assert!(r.stop.is_some(), "{r:?}");
    assert!(
        (x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4,
        "x = {x:?}"
    );
}

#[test]
fn first_step_is_the_scaled_gradient() {
    // t = min(1, 1/‖g‖₁)·lr along −g.
    let q = quadratic();
    let x0 = vec![0.0f64; q.n()];
    let (_, g) = q.eval(&x0);
    let t = (1.0 / g.iter().map(|v| v.abs()).sum::<f64>()).min(1.0) * 0.5;
    let mut x = x0.clone();
    let mut opt = Lbfgs::new(LbfgsOptions {
        lr: 0.5,
        ..LbfgsOptions::default()
    });
    opt.step(&mut x, |x| q.eval(x));
    for i in 0..x.len() {
        assert_eq!(x[i], x0[i] + t * -g[i]);
    }
}

#[test]
fn history_is_capped() {
    let q = quadratic();
    let mut x = vec![0.0f64; q.n()];
    let mut opt = Lbfgs::new(LbfgsOptions {
        history_size: 2,
        ..tight(wolfe())
    });
    for _ in 0..5 {
        opt.step(&mut x, |x| q.eval(x));
        assert!(opt.history_len() <= 2);
    }
    assert_eq!(opt.history_len(), 2);
    // Still converges, more slowly.
    opt.run(&mut x, |x| q.eval(x), 200);
    assert!(q.distance(&x) < 1e-6, "‖x − x*‖ = {}", q.distance(&x));
}

#[test]
fn zero_history_is_scaled_steepest_descent() {
    let q = quadratic();
    let mut x = vec![0.0f64; q.n()];
    let mut opt = Lbfgs::new(LbfgsOptions {
        history_size: 0,
        ..wolfe()
    });
    let f0 = q.eval(&x).0;
    for _ in 0..20 {
        opt.step(&mut x, |x| q.eval(x));
        assert_eq!(opt.history_len(), 0);
    }
    assert!(q.eval(&x).0 - q.min_value() < 1e-3 * (f0 - q.min_value()));
}

#[test]
fn no_curvature_no_pair() {
    // A linear function has y = 0 for every step: yᵀs = 0 ≤ 1e-10, no pair is accepted and
    // the direction stays −g (γ stays 1).
    let c = [1.0f64, -2.0, 0.5];
    let linear = |x: &[f64]| (x.iter().zip(&c).map(|(a, b)| a * b).sum(), c.to_vec());
    let mut x = vec![0.0f64; 3];
    let mut opt = Lbfgs::new(LbfgsOptions::default());
    for _ in 0..4 {
        let before = x.clone();
        opt.step(&mut x, linear);
        assert_eq!(opt.history_len(), 0);
        if opt.iterations() > 1 {
            for i in 0..3 {
                assert_eq!(x[i], before[i] - c[i]);
            }
        }
    }
}

#[test]
fn stops_at_a_stationary_point_without_moving() {
    let q = quadratic();
    let mut x = q.x_star.to_vec();
    let start = x.clone();
    let mut opt = Lbfgs::new(LbfgsOptions::default());
    let r = opt.step(&mut x, |x| q.eval(x));
    assert_eq!(r.stop, Some(Stop::GradientTolerance));
    assert_eq!(x, start);
    assert_eq!(opt.iterations(), 0);
}

#[test]
fn wolfe_reuses_the_accepted_point_unless_x_changed() {
    let mut x = vec![-1.2f64, 1.0];
    let mut opt = Lbfgs::new(wolfe());
    let first = opt.step(&mut x, rosenbrock);
    assert!(first.evals >= 2, "{first:?}");
    let second = opt.step(&mut x, rosenbrock);
    // Only the line search's own evaluations: the start point was known.
    assert_eq!(second.loss, first.loss_after.unwrap());
    // A fresh call from the same (unchanged) point evaluates only line-search trials.
    let y_start = x.clone();
    let mut seen = Vec::new();
    let third = opt.step(&mut x, |p| {
        seen.push(p.to_vec());
        rosenbrock(p)
    });
    assert_eq!(third.evals, seen.len());
    assert!(!seen.contains(&y_start));
    // The caller moved the point: the cache must not be used.
    x[0] += 1e-3;
    let moved = x.clone();
    seen.clear();
    opt.step(&mut x, |p| {
        seen.push(p.to_vec());
        rosenbrock(p)
    });
    assert_eq!(seen[0], moved);
}

#[test]
fn runs_in_f32() {
    let q = quadratic();
    let eval32 = |x: &[f32]| {
        let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        let (f, g) = q.eval(&x64);
        (f, g.into_iter().map(|v| v as f32).collect::<Vec<f32>>())
    };
    let mut x = vec![0.0f32; q.n()];
    let mut opt = Lbfgs::new(wolfe());
    opt.run(&mut x, eval32, 50);
    let x64: Vec<f64> = x.iter().map(|&v| v as f64).collect();
    assert!(q.distance(&x64) < 1e-4, "‖x − x*‖ = {}", q.distance(&x64));
}

/// Pairs `(s, y)` from a small convex quadratic `½xᵀQx` (so `y = Q s` and every
/// `yᵀs > 0`), with random steps: what the two-loop recursion is fed in a run.
fn quadratic_pairs(n: usize, m: usize, seed: u64) -> Vec<(Vec<f64>, Vec<f64>)> {
    let mut rng = crate::math::rng::Rng::new(seed);
    let a: Vec<Vec<f64>> = (0..n)
        .map(|_| (0..n).map(|_| rng.range(-1.0, 1.0)).collect())
        .collect();
    // Q = AᵀA + I: symmetric positive definite.
    let q: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[k][i] * a[k][j]).sum::<f64>() + f64::from(i == j))
                .collect()
        })
        .collect();
    (0..m)
        .map(|_| {
            let s: Vec<f64> = (0..n).map(|_| rng.range(-1.0, 1.0)).collect();
            let y: Vec<f64> = q.iter().map(|row| dot(row, &s)).collect();
            (s, y)
        })
        .collect()
}

#[test]
fn two_loop_equals_the_dense_bfgs_inverse() {
    let (n, m) = (6, 4);
    let pairs = quadratic_pairs(n, m, 5);
    let (s, y) = pairs.last().unwrap();
    let h_diag = dot(s, y) / dot(y, y);
    let b = dense_bfgs_inverse(&pairs, h_diag, n);
    let mut rng = crate::math::rng::Rng::new(9);
    for _ in 0..3 {
        let g: Vec<f64> = (0..n).map(|_| rng.range(-1.0, 1.0)).collect();
        let d = two_loop_direction(&pairs, h_diag, &g);
        for i in 0..n {
            let dense = -dot(&b[i], &g);
            assert!(
                (d[i] - dense).abs() <= 1e-12 * (1.0 + dense.abs()),
                "entry {i}: two-loop {} against dense {dense}",
                d[i]
            );
        }
    }
    // The dense matrix is symmetric, as the update promises.
    for (i, row) in b.iter().enumerate() {
        for (j, v) in row.iter().enumerate() {
            assert!((v - b[j][i]).abs() <= 1e-12 * (1.0 + v.abs()), "({i}, {j})");
        }
    }
}

#[test]
fn two_loop_satisfies_the_secant_condition() {
    // H⁻¹y = s for the newest pair: two_loop(y) = −H⁻¹y must be −s.
    for (n, m, seed) in [(5, 1, 1), (6, 3, 2), (8, 5, 3)] {
        let pairs = quadratic_pairs(n, m, seed);
        let (s, y) = pairs.last().unwrap();
        for h_diag in [dot(s, y) / dot(y, y), 0.3, 2.0] {
            let d = two_loop_direction(&pairs, h_diag, y);
            for i in 0..n {
                assert!(
                    (d[i] + s[i]).abs() <= 1e-12 * (1.0 + s[i].abs()),
                    "n {n}, m {m}, γ {h_diag}: entry {i} is {} but −s is {}",
                    d[i],
                    -s[i]
                );
            }
        }
    }
    // An older pair's secant condition does not hold in general: the check can fail.
    let pairs = quadratic_pairs(6, 3, 2);
    let (s0, y0) = &pairs[0];
    let d = two_loop_direction(&pairs, 0.3, y0);
    let miss: f64 = d.iter().zip(s0).map(|(a, b)| (a + b).abs()).sum();
    assert!(miss > 1e-3, "{miss}");
}

#[test]
fn a_warm_start_takes_its_first_step_with_the_scale_it_is_given() {
    // f = Σ aᵢxᵢ²/2 with aᵢ = 4: the gradient at x is 4x, so a first step of −γ₀·g with
    // γ₀ = 1/4 lands on the minimum, where torch's first step min(1, 1/‖g‖₁)·g does not.
    let f = |x: &[f64]| {
        let loss = x.iter().map(|v| 2.0 * v * v).sum();
        (loss, x.iter().map(|v| 4.0 * v).collect())
    };
    let start = vec![1.0f64, -2.0, 3.0];
    let mut cold = Lbfgs::new(LbfgsOptions::default());
    let mut x = start.clone();
    cold.step(&mut x, f);
    // ‖g‖₁ = 24, so the cold step is g/24: x·(1 − 4/24).
    for (xi, si) in x.iter().zip(&start) {
        assert!((xi - si * (1.0 - 4.0 / 24.0)).abs() < 1e-15, "{x:?}");
    }
    assert_eq!(cold.curvature_scale(), None, "no pair measured yet");
    cold.step(&mut x, f);
    // The pair of a quadratic with Hessian 4I says γ = sᵀy/yᵀy = 1/4 exactly.
    assert!((cold.curvature_scale().unwrap() - 0.25).abs() < 1e-15);

    let mut warm = Lbfgs::new(LbfgsOptions {
        initial_scale: Some(0.25),
        ..LbfgsOptions::default()
    });
    let mut x = start.clone();
    let r = warm.step(&mut x, f);
    assert_eq!((r.loss, r.evals), (28.0, 1));
    assert!(x.iter().all(|v| v.abs() < 1e-15), "{x:?}");
}

#[test]
fn a_warm_start_without_a_measured_pair_keeps_its_scale() {
    // A linear function has no curvature: yᵀs = 0, no pair is ever accepted, and the
    // direction stays −γ₀g (torch's fallback would be −g).
    let f = |x: &[f64]| (x.iter().sum::<f64>(), vec![1.0; x.len()]);
    let mut warm = Lbfgs::new(LbfgsOptions {
        initial_scale: Some(0.5),
        ..LbfgsOptions::default()
    });
    let mut x = vec![0.0f64; 2];
    warm.step(&mut x, f);
    warm.step(&mut x, f);
    assert_eq!(x, vec![-1.0, -1.0], "two steps of −0.5·g");
    assert_eq!(warm.curvature_scale(), None);
}
