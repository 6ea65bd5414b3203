//! Exercise 11: one step of Adam.
//!
//! Book: chapter 7, "Adam" (book/src/ch07-style-transfer.md#adam).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex11`.
//! Run for several steps next to nst's `optim::Adam` (which matches torch.optim.Adam);
//! the parameters and the state must agree at every step.

use crate::{AdamState, ADAM_BETA1, ADAM_BETA2, ADAM_EPS};

/// One Adam update of the parameters `x` from the gradient `g`, with learning rate `lr`,
/// `β₁ = ADAM_BETA1`, `β₂ = ADAM_BETA2`, `ε = ADAM_EPS`. `state` starts as
/// `AdamState::new(x.len())` (m = v = 0, t = 0); update it too.
pub fn adam_step(x: &mut [f64], g: &[f64], state: &mut AdamState, lr: f64) {
    let _ = (x, g, state, lr, ADAM_BETA1, ADAM_BETA2, ADAM_EPS);
    todo!()
}
