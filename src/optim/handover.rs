//! When fixed-step L-BFGS should hand over to the strong-Wolfe line search.
//!
//! The fixed step (torch's default, and neural-style's) trusts the curvature its last
//! steps measured. On the style loss, which is quartic in the pixels (a Gram matrix is
//! quadratic in the features), that trust fails in two ways, both seen at 256 px on
//! Gatys' Fig. 3 grid:
//!
//! * **A stall.** The first curvature pair is measured over the tiny first step, so the
//!   second step overshoots (the loss evaluated at iteration 3 jumps by a factor of
//!   10⁹–10²⁴). The pair that overshoot leaves says the curvature is enormous, every
//!   later step comes out negligible, and torch's step-tolerance test ends the run at
//!   the loss it started from.
//! * **A crawl.** The overshoots repeat (iterations 3, 6, 10, 20 …), each one resetting
//!   the scale, and in between the loss falls by 0.01 % per iteration.
//!
//! One overshoot at the start is normal: the README's own command has one at iteration 3
//! (1.6e12 → 4.2e30) and recovers at once, and so does `nst texture` from noise. So the
//! loop hands over at the first lack-of-progress stop or the *second* overshoot, once,
//! and runs that do neither follow torch's trajectory exactly. A line search cannot be
//! fooled either way: it lengthens a step that is too short and shortens one that
//! overshoots.
//!
//! **A step to a non-finite loss** (an overshoot far enough to overflow `f32`) hands over
//! at once, whichever overshoot it is: unlike a finite overshoot, the fixed step cannot
//! recover from it, since the NaN or infinite gradient there would enter the curvature
//! history. The line search starts again from where that step started, and treats
//! non-finite trial points as too far. Only a non-finite loss at the very first point, or
//! with the line search already on, ends the run.
//!
//! [`Handover`] wraps an [`Lbfgs`] with these rules; it is what
//! [`Optimizer`](super::Optimizer) runs for L-BFGS.

use super::{Lbfgs, LbfgsOptions, LineSearch, Step, Stop};
use crate::math::tensor::Real;

/// A step "overshot" when the loss at the point it reached is this many times the loss
/// at the point it left. The overshoots seen are 10⁹ and more; honest fixed steps that
/// raise the loss at all raise it by a few per cent.
pub const OVERSHOOT: f64 = 1e3;

// ANCHOR: handover
/// Should a fixed-step run that says `why` it would stop rather start afresh with the
/// line search? Yes for the lack-of-progress stops (a negligible step, a stalled loss,
/// no descent direction); a stationary gradient is believed at once.
pub fn stall_worth_a_search(why: Stop) -> bool {
    matches!(
        why,
        Stop::StepTolerance | Stop::LossChange | Stop::NoDescent
    )
}

/// Counts the fixed step's overshoots from the loss at the start of each iteration.
#[derive(Debug, Default, Clone)]
pub struct OvershootWatch {
    previous: Option<f64>,
    overshoots: usize,
}

impl OvershootWatch {
    /// Record the loss at the point iteration `k` starts from (where step `k − 1` went);
    /// true when that step was the second to overshoot.
    pub fn second_overshoot(&mut self, loss: f64) -> bool {
        // A NaN counts; after a non-finite loss there is no scale to compare with.
        let overshot = self
            .previous
            .is_some_and(|p| p.is_finite() && (loss.is_nan() || loss > OVERSHOOT * p));
        self.previous = Some(loss);
        self.overshoots += usize::from(overshot);
        overshot && self.overshoots == 2
    }
}
// ANCHOR_END: handover

// ANCHOR: handover_wrapper
/// L-BFGS with the handover: fixed steps while they work, then (once) the strong-Wolfe
/// line search. With the line search asked for from the start it is plain [`Lbfgs`].
#[derive(Debug, Clone)]
pub struct Handover<T> {
    lbfgs: Lbfgs<T>,
    /// Still on the fixed step?
    fixed: bool,
    watch: OvershootWatch,
    /// Where the previous iteration started (to go back to after an overshoot).
    previous_start: Option<Vec<T>>,
    iteration: usize,
    searched_from: Option<usize>,
}

impl<T: Real> Handover<T> {
    /// Start with `options` (the handover can act only when its line search is `None`).
    pub fn new(options: LbfgsOptions) -> Self {
        Handover {
            fixed: options.line_search == LineSearch::None,
            lbfgs: Lbfgs::new(options),
            watch: OvershootWatch::default(),
            previous_start: None,
            iteration: 0,
            searched_from: None,
        }
    }

    /// The iteration after which the line search took over, if it did.
    pub fn searched_from(&self) -> Option<usize> {
        self.searched_from
    }

    /// Start warm, from the curvature scale `γ₀` of a coarser stage of the same picture
    /// ([`LbfgsOptions::initial_scale`]); call before the first step. A fixed-step run
    /// then searches its first step (strong Wolfe, from the step `γ₀·lr` instead of torch's
    /// `lr/‖g‖₁`), so that the first curvature pair is measured over a step of the right
    /// length, and takes fixed steps after it.
    pub fn start_warm(&mut self, scale: f64) {
        self.lbfgs.options.initial_scale = Some(scale);
    }

    /// The curvature scale of the last measured pair ([`Lbfgs::curvature_scale`]).
    pub fn curvature_scale(&self) -> Option<f64> {
        self.lbfgs.curvature_scale()
    }

    /// One iteration. When it hands over, `x` is where the line search starts from (the
    /// start of the overshooting step, or the stalled point), the report's `restarted` is
    /// set and its `stop` is `None`.
    pub fn step<F>(&mut self, x: &mut [T], f: F) -> Step
    where
        F: FnMut(&[T]) -> (f64, Vec<T>),
    {
        self.iteration += 1;
        if !self.fixed {
            let step = self.lbfgs.step(x, f);
            return Step {
                loss: step.loss,
                stop: step.stop,
                restarted: false,
            };
        }
        let start = x.to_vec();
        // A warm start's first step is searched: `γ₀` comes from another picture (a
        // coarser stage), so it may be off either way, and the first pair must be good.
        let warm_first = self.iteration == 1 && self.lbfgs.options.initial_scale.is_some();
        if warm_first {
            self.lbfgs.options.line_search = LineSearch::StrongWolfe;
        }
        let step = self.lbfgs.step(x, f);
        if warm_first {
            self.lbfgs.options.line_search = LineSearch::None;
        }
        let overshot = self.watch.second_overshoot(step.loss);
        let blew_up = !step.loss.is_finite() && self.previous_start.is_some();
        let stalled = step.loss.is_finite() && step.stop.is_some_and(stall_worth_a_search);
        if overshot || blew_up || stalled {
            if overshot || blew_up {
                let back = self
                    .previous_start
                    .take()
                    .expect("an overshoot has a step before it");
                x.copy_from_slice(&back);
            }
            let mut options = self.lbfgs.options;
            options.line_search = LineSearch::StrongWolfe;
            self.lbfgs = Lbfgs::new(options);
            self.fixed = false;
            self.searched_from = Some(self.iteration);
            return Step {
                loss: step.loss,
                stop: None,
                restarted: true,
            };
        }
        self.previous_start = Some(start);
        Step {
            loss: step.loss,
            stop: step.stop,
            restarted: false,
        }
    }
}
// ANCHOR_END: handover_wrapper

#[cfg(test)]
mod tests {
    use super::*;

    /// The loss at the start of each iteration, as logged: the β = 1e5 cell of the grid
    /// at 256 px (one overshoot, then a stall), the β = 1e3 cell (a crawl) and the
    /// README's own command (one overshoot, recovered).
    const STALL: [f64; 4] = [4.952e13, 4.952e13, 8.282e37, 4.947e13];
    const CRAWL: [f64; 10] = [
        4.952e11, 4.952e11, 8.284e27, 4.952e11, 4.952e11, 1.261e16, 4.901e11, 4.851e11, 4.800e11,
        6.031e20,
    ];
    const README: [f64; 7] = [
        1.623e12, 1.623e12, 4.240e30, 1.623e12, 1.623e12, 4.734e11, 2.461e11,
    ];

    fn first_handover(losses: &[f64]) -> Option<usize> {
        let mut watch = OvershootWatch::default();
        losses
            .iter()
            .position(|&l| watch.second_overshoot(l))
            .map(|i| i + 1)
    }

    #[test]
    fn the_second_overshoot_hands_over_and_the_first_does_not() {
        assert_eq!(first_handover(&CRAWL), Some(6));
        assert_eq!(first_handover(&README), None);
        assert_eq!(first_handover(&STALL), None);
        // A NaN or infinite loss counts as an overshoot.
        assert_eq!(
            first_handover(&[1.0, f64::NAN, 1.0, f64::INFINITY]),
            Some(4)
        );
        // Only the second: a third is not reported again.
        let mut watch = OvershootWatch::default();
        let seen: Vec<bool> = [1.0, 1e9, 1.0, 1e9, 1.0, 1e9]
            .iter()
            .map(|&l| watch.second_overshoot(l))
            .collect();
        assert_eq!(seen, [false, false, false, true, false, false]);
    }

    /// `f(x) = Σ x²`, but NaN where any `|x| > 10` (an overflow).
    fn bowl_with_a_cliff(x: &[f64]) -> (f64, Vec<f64>) {
        if x.iter().any(|v| v.abs() > 10.0) {
            return (f64::NAN, vec![f64::NAN; x.len()]);
        }
        (
            x.iter().map(|v| v * v).sum(),
            x.iter().map(|v| 2.0 * v).collect(),
        )
    }

    #[test]
    fn a_step_to_a_nan_goes_back_and_hands_over_at_once() {
        // Fixed step of length 5 (five quasi-Newton steps): from 1 the first step reaches
        // −4, the second (the curvature measured exactly, 0.5) goes 20 further, to 16,
        // where the loss is NaN. The first overshoot, but not a recoverable one.
        let mut opt = Handover::new(LbfgsOptions {
            lr: 5.0,
            line_search: LineSearch::None,
            ..Default::default()
        });
        let mut x = vec![1.0f64];
        let s1 = opt.step(&mut x, bowl_with_a_cliff);
        assert_eq!((s1.loss, x[0], s1.restarted), (1.0, -4.0, false));
        let s2 = opt.step(&mut x, bowl_with_a_cliff);
        assert_eq!((s2.loss, s2.restarted), (16.0, false));
        assert!((x[0] - 16.0).abs() < 1e-9, "{x:?}");
        let s3 = opt.step(&mut x, bowl_with_a_cliff);
        assert!(
            s3.loss.is_nan() && s3.restarted && s3.stop.is_none(),
            "{s3:?}"
        );
        assert_eq!(x[0], -4.0, "back to where the step to the NaN started");
        assert_eq!(opt.searched_from(), Some(3));
        // The line search then converges without leaving the finite region.
        for _ in 0..20 {
            let s = opt.step(&mut x, bowl_with_a_cliff);
            assert!(s.loss.is_finite(), "{s:?}");
            if s.stop.is_some() {
                break;
            }
        }
        assert!(x[0].abs() < 1e-6, "{x:?}");
    }

    #[test]
    fn a_nan_at_the_start_or_under_the_line_search_is_reported() {
        for line_search in [LineSearch::None, LineSearch::StrongWolfe] {
            let mut opt = Handover::new(LbfgsOptions {
                line_search,
                ..Default::default()
            });
            let mut x = vec![20.0f64];
            let s = opt.step(&mut x, bowl_with_a_cliff);
            assert!(s.loss.is_nan() && !s.restarted, "{line_search:?}: {s:?}");
            assert_eq!(opt.searched_from(), None);
        }
    }

    #[test]
    fn a_warm_start_searches_its_first_step_and_no_other() {
        // x₀² + 10x₁² has curvatures 2 and 20. Given γ₀ = 1/1000, far too short a scale,
        // the first iteration's line search lengthens the step; the iterations after it
        // take fixed steps, one evaluation each (none at the second, which starts where
        // the search ended).
        let evals = std::cell::Cell::new(0);
        let bowl = |x: &[f64]| {
            evals.set(evals.get() + 1);
            (
                x[0] * x[0] + 10.0 * x[1] * x[1],
                vec![2.0 * x[0], 20.0 * x[1]],
            )
        };
        let mut opt = Handover::new(LbfgsOptions::default());
        opt.start_warm(1e-3);
        let mut x = vec![1.0f64, -2.0];
        let mut per_call = vec![];
        let mut losses = vec![];
        for _ in 0..4 {
            evals.set(0);
            losses.push(opt.step(&mut x, bowl).loss);
            per_call.push(evals.get());
        }
        assert!(per_call[0] >= 2, "{per_call:?}");
        assert_eq!(per_call[1..], [0, 1, 1], "{per_call:?}");
        // γ₀·g alone would lower 41 by about 1.3 %; the searched step lowers it by more
        // than a third, and the fixed steps after it keep going down.
        assert!(losses[1] < 0.7 * losses[0], "{losses:?}");
        assert!(losses.windows(2).all(|w| w[1] < w[0]), "{losses:?}");
        assert_eq!(
            opt.searched_from(),
            None,
            "the warm search is not a handover"
        );

        // Cold, the first call evaluates once and takes torch's short first step, g/‖g‖₁
        // with g = (2, −40).
        let mut cold = Handover::new(LbfgsOptions::default());
        let mut x = vec![1.0f64, -2.0];
        evals.set(0);
        cold.step(&mut x, bowl);
        assert_eq!(evals.get(), 1);
        assert!((x[0] - (1.0 - 2.0 / 42.0)).abs() < 1e-15, "{x:?}");
    }

    #[test]
    fn only_lack_of_progress_is_worth_a_search() {
        for why in [Stop::StepTolerance, Stop::LossChange, Stop::NoDescent] {
            assert!(stall_worth_a_search(why), "{why:?}");
        }
        assert!(!stall_worth_a_search(Stop::GradientTolerance));
    }
}
