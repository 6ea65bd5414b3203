//! Solution to exercise 12 (two-loop recursion). Try the exercise before reading this.

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn two_loop(pairs: &[(Vec<f64>, Vec<f64>)], gamma: f64, g: &[f64]) -> Vec<f64> {
    let rho: Vec<f64> = pairs.iter().map(|(s, y)| 1.0 / dot(y, s)).collect();
    let mut q: Vec<f64> = g.iter().map(|v| -v).collect();
    let mut alpha = vec![0.0; pairs.len()];
    for i in (0..pairs.len()).rev() {
        let (s, y) = &pairs[i];
        alpha[i] = rho[i] * dot(s, &q);
        for (qk, yk) in q.iter_mut().zip(y) {
            *qk -= alpha[i] * yk;
        }
    }
    let mut r: Vec<f64> = q.iter().map(|v| gamma * v).collect();
    for (i, (s, y)) in pairs.iter().enumerate() {
        let beta = rho[i] * dot(y, &r);
        for (rk, sk) in r.iter_mut().zip(s) {
            *rk += (alpha[i] - beta) * sk;
        }
    }
    r
}
