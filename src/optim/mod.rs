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
//! * [`handover`]: when a fixed-step L-BFGS run should switch to the line search.
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
pub use lbfgs::{Lbfgs, LbfgsOptions, LbfgsStep, LineSearch, Stop};

use crate::tensor::Real;

/// An update rule that needs only the gradient at the current point (not the loss, not
/// further evaluations): [`Gd`] and [`Adam`].
pub trait FirstOrder<T: Real> {
    /// Move `x` using the gradient `g` of the loss at `x` (same length as `x`).
    fn step(&mut self, x: &mut [T], g: &[T]);
}

/// `Σ a[i]·b[i]`, accumulated in `f64`.
pub fn dot<T: Real>(a: &[T], b: &[T]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot: lengths differ");
    a.iter().zip(b).map(|(x, y)| x.f64() * y.f64()).sum()
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
