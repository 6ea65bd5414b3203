//! Exercise 12: L-BFGS's two-loop recursion.
//!
//! Book: chapter 7, "L-BFGS" (book/src/ch07-style-transfer.md#l-bfgs).
//!
//! Grade: `cargo test --manifest-path book/exercises/Cargo.toml ex12`.
//! Compared with the dense BFGS inverse built by nst (`dense_bfgs_inverse`) and with nst's
//! own recursion, and checked for the secant condition `B·y = s` of the newest pair.

/// The search direction `−B·g`, where `B` is the L-BFGS inverse-Hessian approximation
/// built from `pairs` (`(s_i, y_i)`, oldest first, each with `y_iᵀs_i > 0`) on top of
/// `B⁰ = gamma·I`. O(m·n) operations: never form a matrix.
pub fn two_loop(pairs: &[(Vec<f64>, Vec<f64>)], gamma: f64, g: &[f64]) -> Vec<f64> {
    let _ = (pairs, gamma, g);
    todo!()
}
