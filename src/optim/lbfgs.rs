//! L-BFGS, ported from torch.optim.LBFGS (itself after minFunc and torch7's `optim.lbfgs`)
//! so that a PyTorch reference run can be matched iterate by iterate.
//!
//! # The method
//!
//! Newton's method steps by `−H⁻¹g`; the Hessian of a loss over 786 432 pixels cannot be
//! formed, let alone inverted. BFGS builds an approximation of `H⁻¹` from what the
//! iterations reveal: each step `s = x_{k+1} − x_k` and gradient change `y = g_{k+1} − g_k`
//! say "along `s`, the curvature maps `s` to `y`". *Limited-memory* BFGS keeps only the last
//! `m` pairs (`history_size`, default 100) and never forms a matrix: the two-loop recursion
//! (`two_loop`) applies the implied `H⁻¹` to `g` in `O(m·n)` operations, starting from
//! the scaled identity `H₀ = γI`, `γ = sᵀy / yᵀy` (the curvature seen along the last step).
//!
//! Each iteration, as torch does it:
//!
//! 1. At the first iteration `d = −g`. Later, form `y = g − g_prev`, `s = t·d_prev`; keep
//!    the pair only if `yᵀs > 1e-10` (positive curvature, so `H⁻¹` stays positive
//!    definite), dropping the oldest pair beyond `history_size`, and set `γ = sᵀy / yᵀy`;
//!    then `d = −H⁻¹g` by the two-loop recursion.
//! 2. Step length: `t = min(1, 1/‖g‖₁)·lr` at the first iteration (the first direction is
//!    the raw gradient, of arbitrary scale), `t = lr` afterwards. A warm start
//!    ([`LbfgsOptions::initial_scale`], not in torch) knows a curvature scale `γ₀` from
//!    elsewhere and takes `t = γ₀·lr` at the first iteration instead.
//! 3. If `gᵀd > −tolerance_change`, `d` is not a descent direction: stop.
//! 4. Move: [`LineSearch::None`] takes `x ← x + t·d`; [`LineSearch::StrongWolfe`] first
//!    searches along `d` for a `t` satisfying the strong Wolfe conditions (sufficient
//!    decrease, `c1 = 1e-4`, and curvature, `c2 = 0.9`; at most `1 + max_ls` evaluations,
//!    `max_ls = 25` by default): a port of torch's `_strong_wolfe` and `_cubic_interpolate`.
//!
//! # Which variant is the default, and why
//!
//! [`LineSearch::None`], the fixed step, as in neural-style (torch7's `optim.lbfgs` without
//! a line search) and torch's own default. Each iteration then costs exactly one function
//! evaluation — one VGG forward and backward pass, which dominates everything else — so
//! the cost per iteration is predictable and progress can be reported at a steady pace.
//! Strong Wolfe is available by flag: it guarantees a decrease and a useful step, at the
//! price of a variable number (1 to 26) of evaluations per iteration. It is what the
//! convergence tests on Rosenbrock's function use.
//!
//! # One iteration per call
//!
//! [`Lbfgs::step`] performs one iteration, so the caller can report progress, save
//! intermediate images and stop on Ctrl-C between iterations. It computes exactly what
//! torch's `LBFGS(max_iter=1, max_eval=1+max_ls).step(closure)` computes; a run of `k`
//! calls therefore follows torch's trajectory (and, until a tolerance would have stopped
//! it, that of a single torch `step` with `max_iter = k`). Evaluations:
//!
//! * Fixed step: each call evaluates `f` once, at the point it starts from, and reports
//!   that loss (torch's `step` also returns the loss at its starting point). The point it
//!   leaves in `x` is evaluated by the next call.
//! * Strong Wolfe: the line search evaluates trial points. Torch evaluates the accepted
//!   point again at the start of the next call; here its loss and gradient are kept and
//!   reused if `x` is still the same (compared element by element), which saves one
//!   evaluation per iteration and changes nothing else ([`LbfgsStep::start_reused`]).
//!
//! Note torch's trap with `max_iter=1`: its default `max_eval = max_iter·5/4 = 1` leaves
//! the line search a budget of 0 further evaluations, so it can only accept `t₀` or
//! return `t = 0`. [`LbfgsOptions::max_ls`] defaults to 25, torch's `_strong_wolfe` default.
//!
//! # Stopping
//!
//! A call does not move `x` when `max|g| ≤ tolerance_grad` (a stationary point) or when
//! `gᵀd > −tolerance_change` (not a descent direction), as torch. It also reports, without
//! changing the iteration, the two lack-of-progress tests torch applies between the
//! iterations of a multi-iteration `step`: `max|t·d| ≤ tolerance_change` (negligible step)
//! and `|f(x_k) − f(x_{k−1})| < tolerance_change` (the loss stalled). Any of the four is
//! returned in [`LbfgsStep::stop`]; the caller should then stop.

use super::{axpy, dot, max_abs, sum_abs};
use crate::math::tensor::Real;
use std::collections::VecDeque;

mod wolfe;

/// How [`Lbfgs`] chooses the step length along the search direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineSearch {
    /// Fixed step `t = lr` (after the first iteration): one evaluation per iteration.
    #[default]
    None,
    /// Strong Wolfe line search (torch's `line_search_fn="strong_wolfe"`).
    StrongWolfe,
}

/// Settings of [`Lbfgs`]; the defaults are torch.optim.LBFGS's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsOptions {
    /// Step length (the initial trial step under [`LineSearch::StrongWolfe`]). Default 1.
    pub lr: f64,
    /// Curvature pairs kept. Default 100. With 0 the direction is `−γg`, steepest descent
    /// scaled by the last step's curvature (a Barzilai–Borwein step).
    pub history_size: usize,
    /// Fixed step or strong Wolfe. Default [`LineSearch::None`].
    pub line_search: LineSearch,
    /// Stop when `max |g| ≤ tolerance_grad`. Default 1e-7.
    pub tolerance_grad: f64,
    /// Stop when the loss, the step or the directional derivative changes by less.
    /// Default 1e-9.
    pub tolerance_change: f64,
    /// Strong Wolfe only: evaluations allowed after the first trial step (torch's
    /// `max_ls`; current torch passes `max_eval − 1` when `max_iter = 1`). Default 25.
    pub max_ls: usize,
    /// A warm start: the curvature scale `γ₀` to begin with, known from elsewhere (a
    /// coarser stage of the same picture). The first step is then `−γ₀·lr·g`, and `γ₀`
    /// stands in for `γ` until a pair is measured. Default `None`: torch's first step,
    /// `−min(1, 1/‖g‖₁)·lr·g`.
    pub initial_scale: Option<f64>,
}

impl Default for LbfgsOptions {
    fn default() -> Self {
        LbfgsOptions {
            lr: 1.0,
            history_size: 100,
            line_search: LineSearch::None,
            tolerance_grad: 1e-7,
            tolerance_change: 1e-9,
            max_ls: 25,
            initial_scale: None,
        }
    }
}

/// Why [`Lbfgs`] says the caller should stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// `max |g| ≤ tolerance_grad` at the current point: stationary. No step was taken.
    GradientTolerance,
    /// `|f(x_k) − f(x_{k−1})| < tolerance_change` between the start of this call and the
    /// start of the previous one: the loss stalled. The step was still taken.
    LossChange,
    /// `gᵀd > −tolerance_change`: not a descent direction. No step was taken.
    NoDescent,
    /// `max |t·d| ≤ tolerance_change`: the step just taken was negligible.
    StepTolerance,
}

/// What one [`Lbfgs::step`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LbfgsStep {
    /// The loss at the point the iteration started from.
    pub loss: f64,
    /// The loss at the new point, when known without another evaluation (strong Wolfe).
    pub loss_after: Option<f64>,
    /// Function evaluations made by this call.
    pub evals: usize,
    /// Whether the starting point's loss and gradient were reused from the previous
    /// call's line search rather than evaluated (torch would count one more evaluation).
    pub start_reused: bool,
    /// `Some` when a tolerance was met: the caller should stop.
    pub stop: Option<Stop>,
}

/// One curvature pair of the history: step `s`, gradient change `y`, `ρ = 1/(yᵀs)`.
#[derive(Debug, Clone)]
struct Pair<T> {
    s: Vec<T>,
    y: Vec<T>,
    rho: f64,
}

/// A loss and gradient known at a point (kept after a line search).
#[derive(Debug, Clone)]
struct Evaluated<T> {
    x: Vec<T>,
    loss: f64,
    grad: Vec<T>,
}

/// L-BFGS over a flat parameter slice; see the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Lbfgs<T> {
    /// The settings (may be changed between calls).
    pub options: LbfgsOptions,
    history: VecDeque<Pair<T>>,
    h_diag: f64,
    /// Whether `h_diag` was measured (a pair was accepted), not assumed.
    measured: bool,
    d: Vec<T>,
    t: f64,
    prev_grad: Vec<T>,
    prev_loss: Option<f64>,
    n_iter: u64,
    func_evals: u64,
    cached: Option<Evaluated<T>>,
}

impl<T: Real> Lbfgs<T> {
    /// A fresh optimiser (empty history).
    pub fn new(options: LbfgsOptions) -> Self {
        Lbfgs {
            options,
            history: VecDeque::new(),
            h_diag: 1.0,
            measured: false,
            d: Vec::new(),
            t: 0.0,
            prev_grad: Vec::new(),
            prev_loss: None,
            n_iter: 0,
            func_evals: 0,
            cached: None,
        }
    }

    /// Iterations taken (directions computed) so far.
    pub fn iterations(&self) -> u64 {
        self.n_iter
    }

    /// Function evaluations made so far.
    pub fn func_evals(&self) -> u64 {
        self.func_evals
    }

    /// Curvature pairs currently held (at most `history_size`).
    pub fn history_len(&self) -> usize {
        self.history.len()
    }

    /// The curvature scale `γ = sᵀy / yᵀy` of the last accepted pair, once one has been
    /// measured: what a finer stage of the same picture can start from
    /// ([`LbfgsOptions::initial_scale`]).
    pub fn curvature_scale(&self) -> Option<f64> {
        self.measured.then_some(self.h_diag)
    }

    /// One L-BFGS iteration from `x`, updating `x` in place.
    ///
    /// `f` returns the loss and its gradient (same length as `x`) at the given point.
    pub fn step<F>(&mut self, x: &mut [T], mut f: F) -> LbfgsStep
    where
        F: FnMut(&[T]) -> (f64, Vec<T>),
    {
        let opts = self.options;
        let (loss, g, start_reused) = match self.cached.take() {
            Some(c) if c.x == x => (c.loss, c.grad, true),
            _ => {
                let (loss, g) = evaluate(&mut f, x);
                (loss, g, false)
            }
        };
        let evals = usize::from(!start_reused);
        let mut report = LbfgsStep {
            loss,
            loss_after: None,
            evals,
            start_reused,
            stop: None,
        };
        if max_abs(&g) <= opts.tolerance_grad {
            return self.stay(x, g, Stop::GradientTolerance, report);
        }
        let stalled = self
            .prev_loss
            .is_some_and(|p| (loss - p).abs() < opts.tolerance_change);

        self.n_iter += 1;
        self.direction(&g);
        self.prev_loss = Some(loss);
        self.t = if self.n_iter == 1 {
            match opts.initial_scale {
                Some(scale) => scale * opts.lr,
                None => py_min(1.0, 1.0 / sum_abs(&g)) * opts.lr,
            }
        } else {
            opts.lr
        };
        let gtd = dot(&g, &self.d);
        if gtd > -opts.tolerance_change {
            self.prev_grad = g.clone();
            return self.stay(x, g, Stop::NoDescent, report);
        }

        if opts.line_search == LineSearch::StrongWolfe {
            let mut trial = x.to_vec();
            let d = &self.d;
            let mut along = |t: f64| {
                add_scaled(&mut trial, x, t, d);
                evaluate(&mut f, &trial)
            };
            let ls = wolfe::strong_wolfe(
                &mut along,
                d,
                self.t,
                loss,
                &g,
                gtd,
                opts.tolerance_change,
                opts.max_ls,
            );
            self.t = ls.t;
            axpy(x, ls.t, &self.d);
            report.evals += ls.evals;
            report.loss_after = Some(ls.f);
            self.cached = Some(Evaluated {
                x: x.to_vec(),
                loss: ls.f,
                grad: ls.g,
            });
        } else {
            axpy(x, self.t, &self.d);
        }
        self.prev_grad = g;
        self.func_evals += report.evals as u64;
        if self
            .d
            .iter()
            .all(|di| (di.f64() * self.t).abs() <= opts.tolerance_change)
        {
            report.stop = Some(Stop::StepTolerance);
        } else if stalled {
            report.stop = Some(Stop::LossChange);
        }
        report
    }

    /// End a call without moving `x`: keep the evaluation for the next call, report `why`.
    fn stay(&mut self, x: &[T], grad: Vec<T>, why: Stop, mut report: LbfgsStep) -> LbfgsStep {
        self.func_evals += report.evals as u64;
        self.cached = Some(Evaluated {
            x: x.to_vec(),
            loss: report.loss,
            grad,
        });
        report.stop = Some(why);
        report
    }

    /// Iterate until a tolerance stops it or `max_iter` iterations have run; returns the
    /// last call's report (its `loss` is the loss at the last starting point).
    pub fn run<F>(&mut self, x: &mut [T], mut f: F, max_iter: usize) -> LbfgsStep
    where
        F: FnMut(&[T]) -> (f64, Vec<T>),
    {
        let mut last = LbfgsStep {
            loss: f64::NAN,
            loss_after: None,
            evals: 0,
            start_reused: false,
            stop: None,
        };
        for _ in 0..max_iter {
            last = self.step(x, &mut f);
            if last.stop.is_some() {
                break;
            }
        }
        last
    }

    // ANCHOR: lbfgs_direction
    /// The search direction at gradient `g`, written into `self.d`: `−g` at the first
    /// iteration, otherwise the history is updated with the last step and `−H⁻¹g`.
    ///
    /// Nothing picture-sized is allocated once the history is full: `yᵀs` and `yᵀy` are
    /// summed without storing `y` or `s`, an accepted pair reuses the oldest pair's
    /// vectors, and the two-loop recursion runs in `self.d`'s. On a poster, where each
    /// vector is 100 MB, vectors allocated afresh between evaluations land among the
    /// freed activations and split them, and the next evaluation's activations no
    /// longer fit in the gaps.
    fn direction(&mut self, g: &[T]) {
        if self.n_iter == 1 {
            self.history.clear();
            self.h_diag = self.options.initial_scale.unwrap_or(1.0);
            self.d.clear();
            self.d.extend(g.iter().map(|&gi| -gi));
            return;
        }
        let t = T::of(self.t);
        let prev = &self.prev_grad;
        let d = &self.d;
        let y = |i: usize| g[i] - prev[i];
        let s = |i: usize| d[i] * t;
        let n = g.len();
        let ys: f64 = (0..n)
            .map(|i| {
                let (y, s) = (y(i), s(i));
                y.f64() * s.f64()
            })
            .sum();
        if ys > 1e-10 {
            let yy: f64 = (0..n)
                .map(|i| {
                    let y = y(i).f64();
                    y * y
                })
                .sum();
            let mut pair = if self.history.len() >= self.options.history_size {
                self.history.pop_front()
            } else {
                None
            }
            .unwrap_or_else(|| Pair {
                s: Vec::with_capacity(n),
                y: Vec::with_capacity(n),
                rho: 0.0,
            });
            pair.y.clear();
            pair.y.extend((0..n).map(y));
            pair.s.clear();
            pair.s.extend((0..n).map(s));
            pair.rho = 1.0 / ys;
            self.h_diag = ys / yy;
            self.measured = true;
            if self.options.history_size > 0 {
                self.history.push_back(pair);
            }
        }
        two_loop(&self.history, self.h_diag, g, &mut self.d);
    }
    // ANCHOR_END: lbfgs_direction
}

// ANCHOR: two_loop
/// The two-loop recursion: `r = −H⁻¹g` for the L-BFGS inverse-Hessian approximation built
/// from the `history` pairs (oldest first) on top of `H₀ = h_diag·I`.
///
/// The first loop peels the pairs off newest to oldest, `αᵢ = ρᵢ sᵢᵀq`, `q ← q − αᵢyᵢ`;
/// then `r = H₀q`; the second loop puts them back oldest to newest, `βᵢ = ρᵢ yᵢᵀr`,
/// `r ← r + (αᵢ − βᵢ)sᵢ`. Starting from `q = −g` gives the descent direction directly.
fn two_loop<T: Real>(history: &VecDeque<Pair<T>>, h_diag: f64, g: &[T], r: &mut Vec<T>) {
    // q and then r share one vector: r = H₀q is taken in place.
    r.clear();
    r.extend(g.iter().map(|&gi| -gi));
    let mut alpha = vec![0.0; history.len()];
    for (i, p) in history.iter().enumerate().rev() {
        alpha[i] = dot(&p.s, r) * p.rho;
        axpy(r, -alpha[i], &p.y);
    }
    let h = T::of(h_diag);
    for ri in r.iter_mut() {
        *ri *= h;
    }
    for (i, p) in history.iter().enumerate() {
        let beta = dot(&p.y, r) * p.rho;
        axpy(r, alpha[i] - beta, &p.s);
    }
}
// ANCHOR_END: two_loop

/// `out ← x + t·d`.
fn add_scaled<T: Real>(out: &mut [T], x: &[T], t: f64, d: &[T]) {
    let t = T::of(t);
    for ((o, &xi), &di) in out.iter_mut().zip(x).zip(d) {
        *o = xi + t * di;
    }
}

/// Call `f` and check that the gradient it returns fits.
fn evaluate<T: Real, F: FnMut(&[T]) -> (f64, Vec<T>)>(f: &mut F, x: &[T]) -> (f64, Vec<T>) {
    let (loss, grad) = f(x);
    assert_eq!(
        grad.len(),
        x.len(),
        "L-BFGS: the closure returned a gradient of the wrong length"
    );
    (loss, grad)
}

/// Python's `min(a, b)`: `a` unless `b < a` (so a NaN in `a` survives, as in torch).
pub(crate) fn py_min(a: f64, b: f64) -> f64 {
    if b < a {
        b
    } else {
        a
    }
}

/// Python's `max(a, b)`: `a` unless `b > a`.
pub(crate) fn py_max(a: f64, b: f64) -> f64 {
    if b > a {
        b
    } else {
        a
    }
}

/// The two-loop recursion on pairs given as plain `(s, y)` vectors, oldest first
/// (`ρ = 1/yᵀs` is computed here): `−H⁻¹g` for the L-BFGS approximation on top of
/// `h_diag·I`. For the tests and the exercises, which have no [`Lbfgs`] to take the pairs
/// from.
pub fn two_loop_direction(pairs: &[(Vec<f64>, Vec<f64>)], h_diag: f64, g: &[f64]) -> Vec<f64> {
    let history: VecDeque<Pair<f64>> = pairs
        .iter()
        .map(|(s, y)| Pair {
            s: s.clone(),
            y: y.clone(),
            rho: 1.0 / dot(y, s),
        })
        .collect();
    let mut r = Vec::new();
    two_loop(&history, h_diag, g, &mut r);
    r
}

/// The same approximation as a dense `n×n` matrix, by the BFGS update written out:
/// `B ← Vᵀ B V + ρ s sᵀ` with `V = I − ρ y sᵀ`, from `B = h_diag·I`, oldest pair first.
/// `O(n²)` memory: only for checking [`two_loop_direction`] on small problems.
pub fn dense_bfgs_inverse(pairs: &[(Vec<f64>, Vec<f64>)], h_diag: f64, n: usize) -> Vec<Vec<f64>> {
    let mut b: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { h_diag } else { 0.0 }).collect())
        .collect();
    for (s, y) in pairs {
        let rho = 1.0 / dot(y, s);
        // V = I − ρ y sᵀ, so B V = B − ρ (B y) sᵀ and Vᵀ (B V) = B V − ρ s (yᵀ B V).
        let by: Vec<f64> = b.iter().map(|row| dot(row, y)).collect();
        let bv: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| b[i][j] - rho * by[i] * s[j]).collect())
            .collect();
        let ytbv: Vec<f64> = (0..n)
            .map(|j| (0..n).map(|i| y[i] * bv[i][j]).sum())
            .collect();
        b = (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| bv[i][j] - rho * s[i] * ytbv[j] + rho * s[i] * s[j])
                    .collect()
            })
            .collect();
    }
    b
}

#[cfg(test)]
mod tests;
