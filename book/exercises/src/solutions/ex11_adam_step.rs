//! Solution to exercise 11 (Adam). Try the exercise before reading this.

use crate::{AdamState, ADAM_BETA1, ADAM_BETA2, ADAM_EPS};

pub fn adam_step(x: &mut [f64], g: &[f64], state: &mut AdamState, lr: f64) {
    state.t += 1;
    let t = state.t as i32;
    for i in 0..x.len() {
        state.m[i] = ADAM_BETA1 * state.m[i] + (1.0 - ADAM_BETA1) * g[i];
        state.v[i] = ADAM_BETA2 * state.v[i] + (1.0 - ADAM_BETA2) * g[i] * g[i];
        let m_hat = state.m[i] / (1.0 - ADAM_BETA1.powi(t));
        let v_hat = state.v[i] / (1.0 - ADAM_BETA2.powi(t));
        x[i] -= lr * m_hat / (v_hat.sqrt() + ADAM_EPS);
    }
}
