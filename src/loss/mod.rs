//! The style-transfer losses: pure functions from a tapped activation to a loss value and
//! the loss's gradient with respect to that activation.
//!
//! * [`content`]: how far the features `F` of the image being optimised are from the
//!   content picture's features `P` at one layer.
//! * [`style`]: the Gram matrix `G = F·Fᵀ` (which channels fire together, wherever they
//!   fire) and how far it is from the style picture's Gram matrix `A`.
//! * [`tv`]: total variation of the image itself, a smoothness prior.
//!
//! Every function takes a single item `C×H×W` (callers loop over the batch), returns a
//! [`LossGrad`], and is generic over [`Real`](crate::math::tensor::Real) so the finite-difference
//! tests can run it in `f64`.
//!
//! # The F > 0 mask
//!
//! The paper's gradients carry a case split, "`(F − P)_ij` if `F_ij > 0`, 0 if
//! `F_ij < 0`". That mask is not part of the loss: it is the ReLU's derivative, which the
//! paper folds in because its `F` is a ReLU output. Here the mask is applied exactly once,
//! by the ReLU backward pass, when the tap is a `relu` output; the functions in this module
//! return the unmasked `∂L/∂F`. [`content::content_grad_paper`] and
//! [`style::style_grad_paper`] implement the paper's masked formulas literally, for the test
//! proving `paper form == ReLU-backward ∘ unmasked gradient`.
//!
//! # Two normalisations
//!
//! The constants in front of the sums differ between sources, and they change which
//! content/style weights give a good picture. [`Normalization`] names the two this project
//! reproduces, so one flag switches a whole run.

pub mod content;
pub mod objective;
pub mod style;
pub mod tv;

pub use content::{content_grad_paper, content_loss, content_loss_of_part};
pub use style::{
    gram, gram_backward, style_denominator, style_grad_paper, style_loss, style_loss_at_gram,
    style_loss_of_gram,
};
pub use tv::tv_loss;

use crate::error::Error;
use ndarray::Array3;
use std::fmt;
use std::str::FromStr;

/// A loss term's value and its gradient with respect to the activation it was computed
/// from (same shape, `C×H×W`).
#[derive(Debug, Clone)]
pub struct LossGrad<T> {
    /// The loss, accumulated in `f64` whatever `T` is.
    pub value: f64,
    /// `∂loss/∂F`, unmasked (see the module documentation).
    pub grad: Array3<T>,
}

// ANCHOR: normalisation
/// Which constants multiply the per-layer content and style sums.
///
/// With `F, P` the `C×H×W` features viewed as `N×M` matrices (`N = C` channels,
/// `M = H·W` positions), `G = F·Fᵀ` and `A` the style target's Gram matrix:
///
/// | | content `L` | `∂L/∂F` | style `E` | `∂E/∂F` |
/// |---|---|---|---|---|
/// | `Gatys` | `½ Σ (F − P)²` | `F − P` | `Σ (G − A)² / (4N²M²)` | `(G − A)·F / (N²M²)` |
/// | `Seed002` | `Σ (F − P)² / (NM)` | `2(F − P) / (NM)` | `Σ (G − A)² / (N³M)` | `4(G − A)·F / (N³M)` |
///
/// The style gradients assume `A` symmetric (it is a Gram matrix); the code uses
/// [`gram_backward`], which does not need that assumption.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Normalization {
    /// Gatys, Ecker & Bethge (CVPR 2016), eqs. 1 and 4–6:
    /// content `½ Σ (F − P)²`, style `Σ (G − A)² / (4N²M²)` per layer.
    #[default]
    Gatys,
    /// The PyTorch course of seed 002 (yunjey's pytorch-tutorial):
    /// content `mean((F − P)²)` per layer (the course sums this over all its tapped layers),
    /// style `mean((G − A)²) / (C·H·W)` per layer, i.e. `Σ (G − A)² / (N²·N·M)`.
    Seed002,
}
// ANCHOR_END: normalisation

impl Normalization {
    /// Both variants, in the order of the book's table.
    pub const ALL: [Normalization; 2] = [Normalization::Gatys, Normalization::Seed002];

    /// The name used on the command line and in the book: `gatys` or `seed002`.
    pub fn name(self) -> &'static str {
        match self {
            Normalization::Gatys => "gatys",
            Normalization::Seed002 => "seed002",
        }
    }
}

impl fmt::Display for Normalization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Normalization {
    type Err = Error;

    /// Parse `gatys` or `seed002` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Error> {
        Normalization::ALL
            .into_iter()
            .find(|n| n.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error(format!(
                    "unknown loss normalisation '{s}' (expected 'gatys' or 'seed002')"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_names_round_trip() {
        for n in Normalization::ALL {
            assert_eq!(n.name().parse::<Normalization>(), Ok(n));
            assert_eq!(n.to_string(), n.name());
        }
        assert_eq!("GATYS".parse::<Normalization>(), Ok(Normalization::Gatys));
        let e = "mse".parse::<Normalization>().unwrap_err();
        assert!(e.0.contains("'mse'"), "{e}");
    }
}
