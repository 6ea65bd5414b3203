//! Optimisers: update rules over flat parameter slices.
//!
//! Style transfer optimises the pixels of one image; Texture Networks optimise a
//! generator's weights. Either way the optimiser sees one flat `&mut [T]` of parameters
//! and the gradient `&[T]` of the same length, and knows nothing of images or layers.
//!
//! * [`Gd`]: plain gradient descent, `x ← x − lr·g`.
//! * [`Adam`]: torch.optim.Adam's update, with exportable state for checkpoints.
//! * [`Lbfgs`]: torch.optim.LBFGS, one iteration per call, fixed step or strong-Wolfe
//!   line search. It needs to evaluate the loss itself, so it takes a closure.
//! * [`handover`]: when a fixed-step L-BFGS run should switch to the line search, and
//!   [`Handover`], L-BFGS wrapped with that rule.
//! * [`Optimizer`]: any of them behind one `step`, built from an [`OptimizerChoice`]:
//!   what the image-optimisation loop runs.
//!
//! Dot products and norms are accumulated in `f64` whatever `T` is: an image of 512²
//! pixels has 786 432 parameters, and an `f32` running sum of that many terms loses
//! about three digits.

pub mod adam;
pub mod gd;
pub mod handover;
pub mod lbfgs;

pub use adam::Adam;
pub use gd::Gd;
pub use handover::Handover;
pub use lbfgs::{Lbfgs, LbfgsOptions, LbfgsStep, LineSearch, Stop};

use crate::math::tensor::Real;
use rayon::prelude::*;

/// An update rule that needs only the gradient at the current point (not the loss, not
/// further evaluations): [`Gd`] and [`Adam`].
pub trait FirstOrder<T: Real> {
    /// Move `x` using the gradient `g` of the loss at `x` (same length as `x`).
    fn step(&mut self, x: &mut [T], g: &[T]);
}

/// Which optimiser and its settings.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimizerChoice {
    /// L-BFGS with a history size, step length and line search.
    Lbfgs {
        /// Curvature pairs kept.
        history: usize,
        /// Step length (1 = the quasi-Newton step).
        lr: f64,
        /// Fixed step (with the [`handover`]) or strong Wolfe.
        line_search: LineSearch,
    },
    /// Adam.
    Adam {
        /// Step size, in network-input units.
        lr: f64,
        /// β₁.
        beta1: f64,
        /// β₂.
        beta2: f64,
    },
    /// Plain gradient descent.
    Gd {
        /// Step size.
        lr: f64,
    },
}

impl OptimizerChoice {
    /// How many parameter-sized vectors the optimiser keeps: the iterate and its gradient,
    /// plus L-BFGS's curvature pairs, direction and previous gradient and its line
    /// search's trial point and kept evaluation (which a fixed-step run needs too once it
    /// hands over), or Adam's two moments.
    pub fn state_vectors(&self) -> usize {
        match self {
            OptimizerChoice::Lbfgs { history, .. } => 2 * history + 7,
            OptimizerChoice::Adam { .. } => 4,
            OptimizerChoice::Gd { .. } => 2,
        }
    }

    /// The same optimiser keeping `history` curvature pairs (L-BFGS; the others keep
    /// none and are returned as they are).
    pub fn with_history(&self, history: usize) -> OptimizerChoice {
        match self {
            OptimizerChoice::Lbfgs {
                lr, line_search, ..
            } => OptimizerChoice::Lbfgs {
                history,
                lr: *lr,
                line_search: *line_search,
            },
            other => other.clone(),
        }
    }
}

/// What one [`Optimizer::step`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// The loss at the point the iteration started from.
    pub loss: f64,
    /// `Some` when a tolerance was met (L-BFGS): the caller should stop.
    pub stop: Option<Stop>,
    /// L-BFGS handed over to the line search in this iteration ([`Handover`]): `x` is
    /// where it starts again from, and `loss` is the loss that made it hand over.
    pub restarted: bool,
}

// ANCHOR: optimizer
/// Any optimiser behind one `step`: one iteration from `x`, updating it in place, with
/// `f` giving the loss and gradient at a point. Adam and gradient descent evaluate `f`
/// once, at `x`, and move only when the loss there is finite; L-BFGS may evaluate it
/// several times (its line search).
#[derive(Debug, Clone)]
pub enum Optimizer<T> {
    /// L-BFGS, with the fixed step's handover to the line search.
    Lbfgs(Box<Handover<T>>),
    /// Adam.
    Adam(Adam<T>),
    /// Gradient descent.
    Gd(Gd),
}

impl<T: Real> Optimizer<T> {
    /// A fresh optimiser (no history, no moments).
    pub fn new(choice: &OptimizerChoice) -> Self {
        match *choice {
            OptimizerChoice::Lbfgs {
                history,
                lr,
                line_search,
            } => Optimizer::Lbfgs(Box::new(Handover::new(LbfgsOptions {
                lr,
                history_size: history,
                line_search,
                ..Default::default()
            }))),
            OptimizerChoice::Adam { lr, beta1, beta2 } => {
                Optimizer::Adam(Adam::new(lr).with_betas(beta1, beta2))
            }
            OptimizerChoice::Gd { lr } => Optimizer::Gd(Gd::new(lr)),
        }
    }

    /// One iteration.
    pub fn step<F>(&mut self, x: &mut [T], mut f: F) -> Step
    where
        F: FnMut(&[T]) -> (f64, Vec<T>),
    {
        let mut first_order = |rule: &mut dyn FirstOrder<T>, x: &mut [T]| {
            let (loss, g) = f(x);
            if loss.is_finite() {
                rule.step(x, &g);
            }
            Step {
                loss,
                stop: None,
                restarted: false,
            }
        };
        match self {
            Optimizer::Lbfgs(h) => h.step(x, f),
            Optimizer::Adam(a) => first_order(a, x),
            Optimizer::Gd(g) => first_order(g, x),
        }
    }

    /// Start L-BFGS warm, from a coarser stage's curvature scale
    /// ([`Handover::start_warm`]); the other optimisers have no such scale and ignore it.
    pub fn start_warm(&mut self, scale: f64) {
        if let Optimizer::Lbfgs(h) = self {
            h.start_warm(scale);
        }
    }

    /// L-BFGS's curvature scale `γ` of the last measured pair, once there is one
    /// ([`Lbfgs::curvature_scale`]).
    pub fn curvature_scale(&self) -> Option<f64> {
        match self {
            Optimizer::Lbfgs(h) => h.curvature_scale(),
            _ => None,
        }
    }

    /// The iteration after which a fixed-step L-BFGS run handed over to the line search.
    pub fn searched_from(&self) -> Option<usize> {
        match self {
            Optimizer::Lbfgs(h) => h.searched_from(),
            _ => None,
        }
    }
}
// ANCHOR_END: optimizer

/// Values per block of [`dot`] and [`axpy`]: 16 K, 64 KB of `f32` per vector.
pub const BLOCK: usize = 1 << 14;

/// `Σ a[i]·b[i]`, accumulated in `f64`.
///
/// The blocks of [`BLOCK`] values are summed in parallel, each into eight running sums
/// (value `i` of a block goes to sum `i % 8`, so the additions vectorise), and the block
/// sums are added in order: the result depends on the length alone, not on the number of
/// threads. A single running sum over a 512×384 picture's 590 K values was a chain of
/// dependent additions, and L-BFGS's two-loop recursion runs two such products per pair
/// it keeps (100 by default).
pub fn dot<T: Real>(a: &[T], b: &[T]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: lengths differ");
    if a.len() <= BLOCK {
        return dot_block(a, b);
    }
    let sums: Vec<f64> = a
        .par_chunks(BLOCK)
        .zip(b.par_chunks(BLOCK))
        .map(|(a, b)| dot_block(a, b))
        .collect();
    sums.iter().sum()
}

/// [`dot`] of one block, over eight running sums added at the end (in AVX2 registers
/// where the CPU has them: [`crate::math::simd::wide`]).
fn dot_block<T: Real>(a: &[T], b: &[T]) -> f64 {
    crate::math::simd::wide(
        #[inline(always)]
        move || {
            let mut lanes = [0.0f64; 8];
            let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
            let (ra, rb) = (a8.remainder(), b8.remainder());
            for (x, y) in a8.zip(b8) {
                for l in 0..8 {
                    lanes[l] += x[l].f64() * y[l].f64();
                }
            }
            for (l, (x, y)) in ra.iter().zip(rb).enumerate() {
                lanes[l] += x.f64() * y.f64();
            }
            lanes.iter().sum()
        },
    )
}

/// `v ← v + a·w`, in parallel over blocks of [`BLOCK`] values (each value on its own, so
/// the result does not depend on the number of threads).
pub fn axpy<T: Real>(v: &mut [T], a: f64, w: &[T]) {
    assert_eq!(v.len(), w.len(), "axpy: lengths differ");
    let a = T::of(a);
    v.par_chunks_mut(BLOCK)
        .zip(w.par_chunks(BLOCK))
        .for_each(|(v, w)| {
            crate::math::simd::wide(
                #[inline(always)]
                move || {
                    for (vi, &wi) in v.iter_mut().zip(w) {
                        *vi += a * wi;
                    }
                },
            )
        });
}

/// `max |a[i]|` (0 for an empty slice): the ∞-norm, used by the stopping tests.
pub fn max_abs<T: Real>(a: &[T]) -> f64 {
    a.iter().map(|x| x.f64().abs()).fold(0.0, f64::max)
}

/// `Σ |a[i]|`, accumulated in `f64`: the 1-norm.
pub fn sum_abs<T: Real>(a: &[T]) -> f64 {
    a.iter().map(|x| x.f64().abs()).sum()
}

#[cfg(test)]
pub(crate) mod testfns;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::rng::Rng;

    /// Lengths below one block, at one block, and over several blocks with a remainder
    /// that is not a multiple of the eight running sums.
    const LENGTHS: [usize; 6] = [0, 7, 8, BLOCK, BLOCK + 13, 3 * BLOCK + 5];

    /// `n` values uniform in [−1, 1).
    fn uniform(rng: &mut Rng, n: usize) -> Vec<f32> {
        (0..n).map(|_| rng.range(-1.0, 1.0) as f32).collect()
    }

    #[test]
    fn blocked_dot_is_the_sum_of_products_on_any_number_of_threads() {
        let mut rng = Rng::new(17);
        for n in LENGTHS {
            let (a, b) = (uniform(&mut rng, n), uniform(&mut rng, n));
            // The single running sum `dot` used to be, against the blocked one.
            let serial: f64 = a.iter().zip(&b).map(|(x, y)| x.f64() * y.f64()).sum();
            let scale: f64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| (x.f64() * y.f64()).abs())
                .sum();
            let d = dot(&a, &b);
            // Each order of summation is within n·ε·Σ|aᵢbᵢ| of the exact sum (the products
            // of two f32 values are exact in f64), so the two are within twice that.
            let bound = 2.0 * n as f64 * f64::EPSILON * scale;
            assert!((d - serial).abs() <= bound, "n = {n}: {d} vs {serial}");
            if n < 8 {
                // Below eight values the sums are the same additions (up to the sign of 0).
                assert_eq!(d, serial, "n = {n}: one running sum");
            }
            let one = rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .build()
                .unwrap();
            let three = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .unwrap();
            for pool in [one, three] {
                let again = pool.install(|| dot(&a, &b));
                assert_eq!(again.to_bits(), d.to_bits(), "n = {n}: thread count");
            }
        }
    }

    #[test]
    fn parallel_axpy_is_the_serial_update() {
        let mut rng = Rng::new(19);
        for n in LENGTHS {
            let (v, w) = (uniform(&mut rng, n), uniform(&mut rng, n));
            let a = -0.375;
            let want: Vec<f32> = v.iter().zip(&w).map(|(&x, &y)| x + a as f32 * y).collect();
            let mut got = v.clone();
            axpy(&mut got, a, &w);
            assert_eq!(got, want, "n = {n}");
        }
    }
}
