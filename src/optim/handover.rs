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

use super::Stop;

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
#[derive(Debug, Default)]
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

    #[test]
    fn only_lack_of_progress_is_worth_a_search() {
        for why in [Stop::StepTolerance, Stop::LossChange, Stop::NoDescent] {
            assert!(stall_worth_a_search(why), "{why:?}");
        }
        assert!(!stall_worth_a_search(Stop::GradientTolerance));
    }
}
