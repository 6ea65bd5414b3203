//! The strong Wolfe line search of torch.optim.LBFGS (`_strong_wolfe`, itself ported from
//! torch7's `lswolfe.lua`), with its cubic interpolation (`_cubic_interpolate`, from
//! `polyinterp.lua`).
//!
//! Along the direction `d` from `x`, with `φ(t) = f(x + t·d)` and `φ'(t) = ∇f(x + t·d)ᵀd`,
//! find `t` satisfying the strong Wolfe conditions
//!
//! * sufficient decrease (Armijo): `φ(t) ≤ φ(0) + c1·t·φ'(0)`, `c1 = 1e-4`;
//! * curvature: `|φ'(t)| ≤ c2·|φ'(0)|`, `c2 = 0.9` (the slope has flattened enough).
//!
//! If it finds none within its budget it returns the best point seen, which may be
//! `t = 0` (no move).
//!
//! Phase 1 (bracketing) grows `t` (cubic extrapolation, within `[t + 0.01(t − t_prev),
//! 10t]`) until an interval is known to contain such a point, or finds one. Phase 2 (zoom)
//! shrinks the bracket by cubic interpolation, nudging trial points 10% away from the
//! bracket's ends when progress stalls. A trial point whose loss or slope is not finite
//! counts as too far (see `Probe::height`). At most `1 + max_ls` evaluations in all (the
//! first trial step, then at most `max_ls` more over both phases): 26 with the default
//! `max_ls = 25`. The branch structure below follows torch's line by line, so that the
//! same trial points are evaluated.

use super::{py_max, py_min};
use crate::math::tensor::Real;
use crate::optim::{dot, max_abs};

const C1: f64 = 1e-4;
const C2: f64 = 0.9;

/// One evaluated trial step: `t`, `φ(t)`, the gradient there and `φ'(t)`.
#[derive(Debug, Clone)]
struct Probe<T> {
    t: f64,
    f: f64,
    g: Vec<T>,
    gtd: f64,
}

impl<T> Probe<T> {
    /// `φ(t)` for comparisons: `+∞` where the loss or the slope is not finite, so that
    /// such a point is "too far" (it ends the bracketing phase as its high end and is
    /// never the low end of the bracket). Torch compares the NaN itself, every comparison
    /// comes out false, and its search extrapolates further into the overflow; for finite
    /// values this is `f` and the search is torch's.
    fn height(&self) -> f64 {
        if self.f.is_finite() && self.gtd.is_finite() {
            self.f
        } else {
            f64::INFINITY
        }
    }
}

/// The accepted step: `t`, the loss and gradient at `x + t·d`, and the evaluations used.
#[derive(Debug, Clone)]
pub(super) struct Found<T> {
    pub t: f64,
    pub f: f64,
    pub g: Vec<T>,
    pub evals: usize,
}

/// Minimiser of the cubic through `(x1, f1)` and `(x2, f2)` with slopes `g1`, `g2`,
/// clamped to `bounds` (default: the interval between the two points); the interval's
/// midpoint when the cubic has no real minimiser.
fn cubic_interpolate(
    x1: f64,
    f1: f64,
    g1: f64,
    x2: f64,
    f2: f64,
    g2: f64,
    bounds: Option<(f64, f64)>,
) -> f64 {
    let (lo, hi) = bounds.unwrap_or(if x1 <= x2 { (x1, x2) } else { (x2, x1) });
    let d1 = g1 + g2 - 3.0 * (f1 - f2) / (x1 - x2);
    let d2_square = d1 * d1 - g1 * g2;
    if d2_square >= 0.0 {
        let d2 = d2_square.sqrt();
        let min_pos = if x1 <= x2 {
            x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2.0 * d2))
        } else {
            x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2.0 * d2))
        };
        py_min(py_max(min_pos, lo), hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// Search along `d` from the current point, where the loss is `f`, the gradient `g` and
/// the slope `gtd = gᵀd < 0`, starting with step `t`. `along(t)` evaluates the loss and
/// gradient at `x + t·d`; it is called at most `1 + max_ls` times.
#[allow(clippy::too_many_arguments)] // torch's signature, kept for side-by-side reading
pub(super) fn strong_wolfe<T: Real>(
    along: &mut dyn FnMut(f64) -> (f64, Vec<T>),
    d: &[T],
    t: f64,
    f: f64,
    g: &[T],
    gtd: f64,
    tolerance_change: f64,
    max_ls: usize,
) -> Found<T> {
    let d_norm = max_abs(d);
    let probe = |along: &mut dyn FnMut(f64) -> (f64, Vec<T>), t: f64| {
        let (f, g) = along(t);
        let gtd = dot(&g, d);
        Probe { t, f, g, gtd }
    };
    let start = Probe {
        t: 0.0,
        f,
        g: g.to_vec(),
        gtd,
    };
    let mut new = probe(along, t);
    let mut evals = 1;

    // Phase 1: bracket an interval containing a point satisfying the Wolfe criteria.
    let mut prev = start.clone();
    let mut ls_iter = 0;
    let mut done = false;
    let mut bracket = loop {
        if ls_iter >= max_ls {
            break vec![start, new];
        }
        if new.height() > f + C1 * new.t * gtd || (ls_iter > 1 && new.height() >= prev.f) {
            break vec![prev, new];
        }
        if new.gtd.abs() <= -C2 * gtd {
            done = true;
            break vec![new];
        }
        if new.gtd >= 0.0 {
            break vec![prev, new];
        }
        // Extrapolate: the cubic's minimiser, at least 1% beyond t and at most 10·t.
        let min_step = new.t + 0.01 * (new.t - prev.t);
        let max_step = new.t * 10.0;
        let t_next = cubic_interpolate(
            prev.t,
            prev.f,
            prev.gtd,
            new.t,
            new.f,
            new.gtd,
            Some((min_step, max_step)),
        );
        prev = new;
        new = probe(along, t_next);
        evals += 1;
        ls_iter += 1;
    };

    // Phase 2 (zoom): refine the bracket until a point satisfies the criteria.
    let order = |b: &[Probe<T>]| {
        if b[0].height() <= b[b.len() - 1].height() {
            (0, 1)
        } else {
            (1, 0)
        }
    };
    let (mut low, mut high) = order(&bracket);
    let mut insuf_progress = false;
    while !done && ls_iter < max_ls {
        if (bracket[1].t - bracket[0].t).abs() * d_norm < tolerance_change {
            break;
        }
        let (b0, b1) = (&bracket[0], &bracket[1]);
        // A cubic through a non-finite end means nothing: bisect instead.
        let mut t = if b0.height().is_finite() && b1.height().is_finite() {
            cubic_interpolate(b0.t, b0.f, b0.gtd, b1.t, b1.f, b1.gtd, None)
        } else {
            0.5 * (b0.t + b1.t)
        };
        // Too close to an end of the bracket: if that happened last time too, or t is
        // outside, move it 10% of the bracket's length inside.
        let (bmax, bmin) = (py_max(b0.t, b1.t), py_min(b0.t, b1.t));
        let eps = 0.1 * (bmax - bmin);
        if py_min(bmax - t, t - bmin) < eps {
            if insuf_progress || t >= bmax || t <= bmin {
                t = if (t - bmax).abs() < (t - bmin).abs() {
                    bmax - eps
                } else {
                    bmin + eps
                };
                insuf_progress = false;
            } else {
                insuf_progress = true;
            }
        } else {
            insuf_progress = false;
        }

        let new = probe(along, t);
        evals += 1;
        ls_iter += 1;
        if new.height() > f + C1 * t * gtd || new.height() >= bracket[low].height() {
            // Armijo fails or no lower than the lowest point: new high end.
            bracket[high] = new;
            (low, high) = order(&bracket);
        } else {
            if new.gtd.abs() <= -C2 * gtd {
                done = true;
            } else if new.gtd * (bracket[high].t - bracket[low].t) >= 0.0 {
                // The old high end becomes the low end.
                bracket[high] = bracket[low].clone();
            }
            bracket[low] = new;
        }
    }

    let best = bracket.swap_remove(low);
    Found {
        t: best.t,
        f: best.f,
        g: best.g,
        evals,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cubic_interpolation_is_exact_for_a_cubic() {
        // φ(t) = t³ − 3t has its local minimum at t = 1; φ' = 3t² − 3.
        let (phi, dphi) = (|t: f64| t * t * t - 3.0 * t, |t: f64| 3.0 * t * t - 3.0);
        let t = cubic_interpolate(0.0, phi(0.0), dphi(0.0), 2.0, phi(2.0), dphi(2.0), None);
        assert!((t - 1.0).abs() < 1e-14, "{t}");
        let t = cubic_interpolate(2.0, phi(2.0), dphi(2.0), 0.0, phi(0.0), dphi(0.0), None);
        assert!((t - 1.0).abs() < 1e-14, "{t}");
    }

    #[test]
    fn accepted_step_satisfies_strong_wolfe() {
        // φ(t) = (t − 3)² along d = 1 from x = 0: φ'(0) = −6; exact minimiser t = 3.
        let mut along = |t: f64| ((t - 3.0) * (t - 3.0), vec![2.0 * (t - 3.0)]);
        let found = strong_wolfe(&mut along, &[1.0f64], 1.0, 9.0, &[-6.0], -6.0, 1e-9, 25);
        let slope = 2.0 * (found.t - 3.0);
        assert!(found.f <= 9.0 + C1 * found.t * -6.0, "{found:?}");
        assert!(slope.abs() <= C2 * 6.0, "{found:?}");
        assert_eq!(found.f, (found.t - 3.0).powi(2));
    }

    #[test]
    fn a_non_finite_trial_point_is_too_far() {
        // φ(t) = (t − 3)², but NaN beyond t = 5 (an overflow): from a first trial at
        // t = 8 the search must come back below 5 and still satisfy strong Wolfe there.
        let mut along = |t: f64| {
            if t > 5.0 {
                (f64::NAN, vec![f64::NAN])
            } else {
                ((t - 3.0) * (t - 3.0), vec![2.0 * (t - 3.0)])
            }
        };
        let found = strong_wolfe(&mut along, &[1.0f64], 8.0, 9.0, &[-6.0], -6.0, 1e-9, 25);
        assert!(found.f.is_finite() && found.t <= 5.0, "{found:?}");
        assert!(found.f <= 9.0 + C1 * found.t * -6.0, "{found:?}");
        assert!((2.0 * (found.t - 3.0)).abs() <= C2 * 6.0, "{found:?}");
    }
}
