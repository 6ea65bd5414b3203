//! Style transfer by image optimisation (Gatys, Ecker & Bethge, CVPR 2016): the loop.
//!
//! The network is frozen; the picture is the variable. The loss is
//! [`crate::loss::objective::Objective`]'s for one picture; this module minimises it from a
//! starting picture with any [`Optimizer`], calls an observer after each iteration (the
//! binary's progress bar, snapshots, Ctrl-C), optionally keeps the pixels in the range a
//! saved picture has, and stops at the first non-finite loss it cannot recover from,
//! keeping the last good picture.

pub use crate::loss::objective::{check_picture_size, LossSpec, Objective, Terms};
use crate::math::tensor::Tensor4;
use crate::optim::Optimizer;
pub use crate::optim::OptimizerChoice;
use ndarray::{Array3, Array4};

/// What the observer sees after each iteration.
pub struct Iteration<'a> {
    /// 1-based iteration number.
    pub iter: usize,
    /// The loss terms at the image the iteration started from.
    pub terms: &'a Terms,
    /// The image after the iteration (network space).
    pub x: &'a Tensor4<f32>,
    /// Function evaluations so far.
    pub evals: usize,
}

/// The observer's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop now (Ctrl-C, a time limit).
    Stop,
}

/// Why a run ended.
#[derive(Clone, Debug, PartialEq)]
pub enum Ending {
    /// All iterations done.
    Finished,
    /// The optimiser found nothing more to do (a tolerance was met).
    Converged(String),
    /// The observer asked to stop.
    Stopped,
    /// The loss became NaN or infinite at the start of this iteration and the optimiser
    /// could not recover; the picture is the last one whose loss was finite.
    NonFinite(usize),
}

/// The result of [`optimize`].
pub struct Outcome {
    /// The final image (network space); for [`Ending::NonFinite`], the last one whose
    /// loss was finite.
    pub x: Tensor4<f32>,
    /// Terms at the last evaluated good image.
    pub terms: Terms,
    /// Iterations completed.
    pub iterations: usize,
    /// Function evaluations.
    pub evals: usize,
    /// Why it ended.
    pub ending: Ending,
    /// The iteration after which a fixed-step L-BFGS run that stalled or kept
    /// overshooting started again with the strong-Wolfe line search, if it did (see
    /// [`optimize_bounded`]).
    pub searched_from: Option<usize>,
    /// L-BFGS's curvature scale `γ = sᵀy / yᵀy` at the end, when it measured one: where
    /// a finer stage of the same picture can start from ([`optimize_warm`]).
    pub curvature_scale: Option<f64>,
}

/// The range of a picture in network space: per channel, the preprocessing of RGB 0
/// and 1 (for the Caffe weights `−mean` … `255 − mean`).
#[derive(Clone, Debug)]
pub struct PixelBounds {
    lo: [f32; 3],
    hi: [f32; 3],
}

impl PixelBounds {
    /// The bounds of pictures preprocessed with `conv`.
    pub fn of(conv: &crate::net::weights::Convention) -> Self {
        let black = conv.preprocess(Array3::<f32>::zeros((1, 1, 3)).view());
        let white = conv.preprocess(Array3::<f32>::ones((1, 1, 3)).view());
        let (mut lo, mut hi) = ([0.0; 3], [0.0; 3]);
        for c in 0..3 {
            let (a, b) = (black[[0, c, 0, 0]], white[[0, c, 0, 0]]);
            (lo[c], hi[c]) = (a.min(b), a.max(b));
        }
        PixelBounds { lo, hi }
    }

    /// The fraction of a flat (N, 3, H, W) picture's values outside the range; `plane`
    /// is H·W.
    pub fn outside(&self, x: &[f32], plane: usize) -> f64 {
        let n = x
            .chunks(plane.max(1))
            .enumerate()
            .map(|(i, chunk)| {
                let c = i % 3;
                chunk
                    .iter()
                    .filter(|&&v| v < self.lo[c] || v > self.hi[c])
                    .count()
            })
            .sum::<usize>();
        n as f64 / x.len().max(1) as f64
    }

    /// Clamp a flat (N, 3, H, W) picture into the range, channel by channel.
    pub fn clamp(&self, x: &mut [f32], plane: usize) {
        for (i, chunk) in x.chunks_mut(plane).enumerate() {
            let c = i % 3;
            chunk
                .iter_mut()
                .for_each(|v| *v = v.clamp(self.lo[c], self.hi[c]));
        }
    }
}

// ANCHOR: optimize
// ANCHOR: optimize_api
/// Minimise the objective from `x0` for up to `iterations` iterations, calling
/// `observer` after each one.
pub fn optimize(
    obj: &Objective,
    x0: Tensor4<f32>,
    choice: &OptimizerChoice,
    iterations: usize,
    observer: impl FnMut(&Iteration) -> Control,
) -> Outcome {
    optimize_bounded(obj, x0, choice, iterations, None, observer)
}
// ANCHOR_END: optimize_api

/// [`optimize`] with every picture it takes a step to projected into `bounds` (when
/// given): after each iteration the pixels are clamped back into the range a saved
/// picture has, so the loss it reports is the loss of a picture that saving does not
/// change (apart from 8-bit rounding). The optimiser's history still describes the
/// unprojected steps, so for L-BFGS this is a heuristic (as clamping after each step is
/// in PyTorch's tutorial), not L-BFGS-B.
///
/// Fixed-step L-BFGS (the default) follows torch's trajectory exactly until it would
/// stop for lack of progress or overshoots for the second time; then, once, it starts
/// again with the strong-Wolfe line search instead ([`crate::optim::handover`],
/// [`Outcome::searched_from`]).
pub fn optimize_bounded(
    obj: &Objective,
    x0: Tensor4<f32>,
    choice: &OptimizerChoice,
    iterations: usize,
    bounds: Option<&PixelBounds>,
    observer: impl FnMut(&Iteration) -> Control,
) -> Outcome {
    optimize_warm(obj, x0, choice, None, iterations, bounds, observer)
}

// ANCHOR: warm_scale
/// The curvature scale a stage of `pixels` pixels starts L-BFGS from, given the scale
/// `previous` that a coarser stage of `pixels_before` pixels ended with:
/// `γ₀ = γ·(pixels / pixels_before)²`.
///
/// The exponent is measured, not derived. On the four-stage run of chapter 12 (sides 144,
/// 272, 544 and 1024, 200/60/15/8 iterations), the 1024-pixel stage ended at a loss of
/// 2.6e12 starting cold (torch's first step), 2.1e12 with exponent 0, 8.8e11 with 1 and
/// 2.3e11 with 2, the last without a single overshoot (and 2.2e11 with 3, in two more
/// evaluations). The upsampled picture lacks the
/// fine strokes, whose gradient is large and whose curvature small, so the first step
/// wants to be long. The first step is searched anyway ([`crate::optim::Handover::start_warm`]),
/// which makes a scale that is off by a factor of a few cost an evaluation or two, not
/// the stage.
pub fn warm_scale(previous: f64, pixels_before: usize, pixels: usize) -> f64 {
    let ratio = pixels as f64 / pixels_before.max(1) as f64;
    previous * ratio * ratio
}
// ANCHOR_END: warm_scale

/// [`optimize_bounded`] starting L-BFGS warm when `warm` gives a curvature scale
/// ([`Optimizer::start_warm`]): the `Outcome::curvature_scale` of a coarser stage of the
/// same picture, scaled to this one (what `--scales` does).
pub fn optimize_warm(
    obj: &Objective,
    x0: Tensor4<f32>,
    choice: &OptimizerChoice,
    warm: Option<f64>,
    iterations: usize,
    bounds: Option<&PixelBounds>,
    observer: impl FnMut(&Iteration) -> Control,
) -> Outcome {
    let shape = x0.raw_dim();
    let eval = |xs: &[f32]| -> (Terms, Vec<f32>) {
        let xt = Array4::from_shape_vec(shape, xs.to_vec()).expect("same length");
        let (t, g) = obj.evaluate(&xt);
        (t, g.into_raw_vec_and_offset().0)
    };
    let mut optimizer = Optimizer::new(choice);
    if let Some(scale) = warm {
        optimizer.start_warm(scale);
    }
    minimize(&mut optimizer, x0, iterations, bounds, eval, observer)
}

/// The loop of [`optimize_bounded`] over any function `eval` giving the loss terms and
/// gradient at a flat picture: what the tests drive with functions whose loss they
/// control.
///
/// Each iteration is one [`Optimizer::step`]. A non-finite loss ends the run with the
/// last good picture ([`Ending::NonFinite`]), except where the optimiser recovers from it
/// itself: fixed-step L-BFGS goes back and hands over to the line search
/// ([`crate::optim::handover`]), and the run goes on from there.
pub fn minimize(
    optimizer: &mut Optimizer<f32>,
    x0: Tensor4<f32>,
    iterations: usize,
    bounds: Option<&PixelBounds>,
    mut eval: impl FnMut(&[f32]) -> (Terms, Vec<f32>),
    mut observer: impl FnMut(&Iteration) -> Control,
) -> Outcome {
    let shape = x0.raw_dim();
    let plane = shape[2] * shape[3];
    let mut x = x0.into_raw_vec_and_offset().0;
    let mut last_good = x.clone();
    let mut terms = Terms::default();
    let mut evals = 0;
    let mut ending = Ending::Finished;
    let mut done = 0;
    if iterations == 0 {
        // No step: the loss reported is the starting picture's.
        terms = eval(&x).0;
        evals += 1;
    }
    // The last picture whose loss was evaluated and finite: what a run that meets a
    // non-finite loss returns. `start` holds this iteration's starting picture until its
    // loss is known.
    let mut start = x.clone();
    for iter in 1..=iterations {
        start.clone_from(&x);
        let step = optimizer.step(&mut x, |xs| {
            let (t, g) = eval(xs);
            evals += 1;
            let total = t.total;
            terms = t;
            (total, g)
        });
        if step.loss.is_finite() {
            std::mem::swap(&mut start, &mut last_good);
        } else if !step.restarted {
            x.clone_from(&last_good);
            ending = Ending::NonFinite(iter);
            break;
        }
        // `--clamp`: back into the range a saved picture has.
        if let Some(b) = bounds {
            b.clamp(&mut x, plane);
        }
        if x.iter().any(|v| !v.is_finite()) {
            x.clone_from(&last_good);
            ending = Ending::NonFinite(iter + 1);
            break;
        }
        done = iter;
        let xt = Array4::from_shape_vec(shape, x.clone()).expect("same length");
        let control = observer(&Iteration {
            iter,
            terms: &terms,
            x: &xt,
            evals,
        });
        if let Some(r) = step.stop {
            ending = Ending::Converged(format!("{r:?}"));
            break;
        }
        if control == Control::Stop {
            ending = Ending::Stopped;
            break;
        }
    }
    let x = Array4::from_shape_vec(shape, x).expect("same length");
    Outcome {
        x,
        terms,
        iterations: done,
        evals,
        ending,
        searched_from: optimizer.searched_from(),
        curvature_scale: optimizer.curvature_scale(),
    }
}
// ANCHOR_END: optimize

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optim::LineSearch;

    /// `Σ x²` over a 1×1×1×1 picture, but NaN where `|x| > 10` (an overflow): the loss
    /// terms and gradient as the loop sees them.
    fn bowl_with_a_cliff(x: &[f32]) -> (Terms, Vec<f32>) {
        let total = if x.iter().any(|v| v.abs() > 10.0) {
            f64::NAN
        } else {
            x.iter().map(|&v| f64::from(v * v)).sum()
        };
        let g = x
            .iter()
            .map(|&v| if total.is_nan() { f32::NAN } else { 2.0 * v });
        let terms = Terms {
            total,
            ..Terms::default()
        };
        (terms, g.collect())
    }

    fn run(choice: &OptimizerChoice, x0: f32, iterations: usize) -> (Outcome, Vec<f64>) {
        let mut seen = Vec::new();
        let x0 = Array4::from_elem((1, 1, 1, 1), x0);
        let mut opt = Optimizer::new(choice);
        let out = minimize(&mut opt, x0, iterations, None, bowl_with_a_cliff, |it| {
            seen.push(it.terms.total);
            Control::Continue
        });
        (out, seen)
    }

    #[test]
    fn a_fixed_step_to_a_nan_is_recovered_by_the_line_search() {
        // Step length 5: from 1 to −4, then to 16, where the loss is NaN. The loop goes
        // on (back at −4, with the line search) and converges to the minimum at 0.
        let lbfgs = OptimizerChoice::Lbfgs {
            history: 10,
            lr: 5.0,
            line_search: LineSearch::None,
        };
        let (out, seen) = run(&lbfgs, 1.0, 30);
        assert_eq!(out.searched_from, Some(3), "{seen:?}");
        assert!(
            seen[2].is_nan(),
            "the observer sees the NaN that made it hand over"
        );
        assert!(
            matches!(out.ending, Ending::Converged(_) | Ending::Finished),
            "{:?}",
            out.ending
        );
        assert!(out.x[[0, 0, 0, 0]].abs() < 1e-3, "{:?}", out.x);
        assert!(out.terms.total.is_finite());
    }

    #[test]
    fn a_nan_nothing_recovers_from_ends_the_run_with_the_last_good_picture() {
        // Gradient descent with a step that doubles |x| and flips its sign: 3 → −9 → 27,
        // where the loss is NaN at the start of iteration 3.
        let (out, seen) = run(&OptimizerChoice::Gd { lr: 2.0 }, 3.0, 10);
        assert_eq!(out.ending, Ending::NonFinite(3), "{seen:?}");
        assert_eq!(out.x[[0, 0, 0, 0]], -9.0);
        assert_eq!(out.iterations, 2);
        // A NaN at the very first point: nothing to go back to, for every optimiser.
        for choice in [
            OptimizerChoice::Gd { lr: 0.1 },
            OptimizerChoice::Adam {
                lr: 0.1,
                beta1: 0.9,
                beta2: 0.999,
            },
            OptimizerChoice::Lbfgs {
                history: 5,
                lr: 1.0,
                line_search: LineSearch::None,
            },
            OptimizerChoice::Lbfgs {
                history: 5,
                lr: 1.0,
                line_search: LineSearch::StrongWolfe,
            },
        ] {
            let (out, _) = run(&choice, 20.0, 5);
            assert_eq!(out.ending, Ending::NonFinite(1), "{choice:?}");
            assert_eq!(out.x[[0, 0, 0, 0]], 20.0, "{choice:?}");
        }
    }
}
