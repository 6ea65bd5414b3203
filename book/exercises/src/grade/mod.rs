//! The machinery the graders share: running the learner's code so that a `todo!()`
//! reads as "not done yet" rather than as a crash, and comparing arrays with nst's own
//! [`GradCheck`] so that a failure says *where* and *by how much*, with a hint.
//!
//! The checks themselves are nst's: central differences ([`nst::gradcheck`]), adjoint
//! tests, the tolerances of [`nst::gradcheck::layers`], and the library's functions as references.

pub mod checks;

use ndarray::{Array, Dimension};
use nst::gradcheck::{adjoint_error, GradCheck};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Why an exercise did not pass.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The function still says `todo!()`.
    NotDone,
    /// It ran and is wrong (or panicked): the message says where, by how much, and what
    /// the usual mistake is.
    Wrong(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::NotDone => f.write_str("not done yet (the function still calls todo!())"),
            Failure::Wrong(m) => f.write_str(m),
        }
    }
}

/// What a grader returns.
pub type Grade = Result<(), Failure>;

/// A failure with a message.
pub fn wrong<T>(msg: impl Into<String>) -> Result<T, Failure> {
    Err(Failure::Wrong(msg.into()))
}

/// Run the learner's code. A `todo!()` becomes [`Failure::NotDone`]; any other panic
/// becomes [`Failure::Wrong`] quoting the panic's message.
pub fn attempt<R>(f: impl FnOnce() -> R) -> Result<R, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Ok(r),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(no message)".into());
            if msg.contains("not yet implemented") {
                Err(Failure::NotDone)
            } else {
                wrong(format!("your code panicked: {msg}"))
            }
        }
    }
}

/// The multi-index of the `i`-th element (row-major) of an array of `shape`.
fn unravel(mut i: usize, shape: &[usize]) -> Vec<usize> {
    let mut idx = vec![0; shape.len()];
    for (k, &n) in shape.iter().enumerate().rev() {
        idx[k] = i % n.max(1);
        i /= n.max(1);
    }
    idx
}

/// Compare the learner's `got` with `expected` (a finite-difference gradient or a
/// reference result) by nst's [`GradCheck`] at relative tolerance `tol`. On failure the
/// message names the worst entry (and, through `locate`, what that index means), how
/// many entries are off, whether the whole array is off by a constant factor, and `hint`.
pub fn compare<D: Dimension>(
    what: &str,
    got: &Array<f64, D>,
    expected: &Array<f64, D>,
    tol: f64,
    locate: &dyn Fn(&[usize]) -> String,
    hint: &str,
) -> Grade {
    if got.shape() != expected.shape() {
        return wrong(format!(
            "your {what} has shape {:?}, expected {:?}",
            got.shape(),
            expected.shape()
        ));
    }
    if let Some(i) = got.iter().position(|v| !v.is_finite()) {
        let idx = unravel(i, got.shape());
        return wrong(format!(
            "your {what} holds {} at {idx:?}{}",
            got.iter().nth(i).unwrap(),
            locate(&idx)
        ));
    }
    let check = GradCheck::compare(what, &got.view(), &expected.view(), tol);
    if check.passed() {
        return Ok(());
    }
    let scale = expected
        .iter()
        .fold(0.0f64, |m, v| m.max(v.abs()))
        .max(1e-300);
    let (mut worst, mut worst_diff, mut off) = (0, -1.0, 0);
    for (i, (g, e)) in got.iter().zip(expected.iter()).enumerate() {
        let d = (g - e).abs();
        if d > 1e-6 * scale {
            off += 1;
        }
        if d > worst_diff {
            (worst, worst_diff) = (i, d);
        }
    }
    let idx = unravel(worst, got.shape());
    let (g, e) = (
        got.iter().nth(worst).unwrap(),
        expected.iter().nth(worst).unwrap(),
    );
    let mut msg = format!(
        "your {what} differs at {idx:?}{}: expected {e:.6e}, got {g:.6e}\n  \
         ({off} of {} entries are off; relative error {:.1e}, tolerance {tol:.0e})",
        locate(&idx),
        got.len(),
        check.rel,
    );
    // Right pattern, wrong constant?
    let ee: f64 = expected.iter().map(|e| e * e).sum();
    let ge: f64 = got.iter().zip(expected.iter()).map(|(g, e)| g * e).sum();
    let gg: f64 = got.iter().map(|g| g * g).sum();
    if gg == 0.0 {
        msg += &format!("\n  your {what} is all zeros: is anything written into it?");
    } else if ee > 0.0 {
        let r = ge / ee;
        let resid: f64 = got
            .iter()
            .zip(expected.iter())
            .map(|(g, e)| (g - r * e).powi(2))
            .sum();
        if resid <= 1e-12 * gg {
            msg += &format!(
                "\n  your {what} is exactly {r:.6}× the expected one: the pattern is right, \
                 a constant factor is not"
            );
        }
    }
    msg += &format!("\n  hint: {hint}");
    wrong(msg)
}

/// No extra description of an index.
pub fn plain(_: &[usize]) -> String {
    String::new()
}

/// An adjoint (dot-product) test: `⟨A·x, y⟩` against `⟨x, Aᵀ·y⟩` at nst's
/// [`nst::gradcheck::layers::ADJOINT_TOL`].
pub fn adjoint(what: &str, ax_y: f64, x_aty: f64, hint: &str) -> Grade {
    let err = adjoint_error(ax_y, x_aty);
    if err <= nst::gradcheck::layers::ADJOINT_TOL && err.is_finite() {
        Ok(())
    } else {
        wrong(format!(
            "adjoint test of your {what} fails: ⟨A·x, y⟩ = {ax_y:.12e} but ⟨x, Aᵀ·y⟩ = \
             {x_aty:.12e} (relative difference {err:.1e}, tolerance {:.0e})\n  hint: {hint}",
            nst::gradcheck::layers::ADJOINT_TOL
        ))
    }
}

/// Does `got` equal what `f` computes, to round-off? For diagnosing a typical mistake:
/// "your answer is exactly the one you get if you forget X".
pub fn same<D: Dimension>(got: &Array<f64, D>, other: &Array<f64, D>) -> bool {
    got.shape() == other.shape()
        && GradCheck::compare("", &got.view(), &other.view(), 1e-9).passed()
}
