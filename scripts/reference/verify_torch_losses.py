#!/usr/bin/env python3
"""Re-implement the losses (with hand-derived gradients) and the optimisers in
plain numpy from the MANIFEST's formulas and compare with the torch fixtures.

This checks the *description* in tests/fixtures/torch_losses/MANIFEST.txt:
if it passes, someone who implements Adam / SGD / L-BFGS (fixed step and
strong Wolfe) exactly as written there reproduces torch. It is also a readable
model for the Rust port (no torch needed, numpy only).

Usage:  python scripts/reference/verify_torch_losses.py [--dir tests/fixtures/torch_losses]
"""
import argparse
import os
import sys

import numpy as np


def rosenbrock(x):
    f = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    g = np.array([-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2),
                  200 * (x[1] - x[0] ** 2)])
    return f, g


def quadratic(q, b):
    return lambda x: (0.5 * x @ q @ x - b @ x, q @ x - b)


def adam(fg, x, steps, lr=0.01, b1=0.5, b2=0.999, eps=1e-8):
    m, v, out = np.zeros_like(x), np.zeros_like(x), []
    for t in range(1, steps + 1):
        _, g = fg(x)
        m = m + (1 - b1) * (g - m)
        v = b2 * v + (1 - b2) * g * g
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        x = x - (lr / bc1) * m / (np.sqrt(v) / np.sqrt(bc2) + eps)
        out.append((x, 1))
    return out


def sgd(fg, x, steps, lr=1e-3):
    out = []
    for _ in range(steps):
        x = x - lr * fg(x)[1]
        out.append((x, 1))
    return out


def cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2sq = d1**2 - g1 * g2
    if d2sq < 0:
        return (lo + hi) / 2
    d2 = np.sqrt(d2sq)
    if x1 <= x2:
        pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(pos, lo), hi)


def strong_wolfe(fg, x, t, d, f, g, gtd, max_ls, c1=1e-4, c2=0.9, tol=1e-9):
    d_norm = np.abs(d).max()
    f_new, g_new = fg(x + t * d)
    evals, gtd_new = 1, g_new @ d
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done, ls_iter = False, 0
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            br = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            br, done = [[t, f_new, g_new, gtd_new]], True
            break
        if gtd_new >= 0:
            br = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        t_next = cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                   bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = fg(x + t * d)
        evals, gtd_new, ls_iter = evals + 1, g_new @ d, ls_iter + 1
    if ls_iter == max_ls:
        br = [[0.0, f, g, None], [t, f_new, g_new, None]]
    low, high = (0, 1) if br[0][1] <= br[-1][1] else (1, 0)
    insuf = False
    while not done and ls_iter < max_ls:
        if abs(br[1][0] - br[0][0]) * d_norm < tol:
            break
        # each bracket entry is [t, f, g, g.d]
        t = cubic_interpolate(br[0][0], br[0][1], br[0][3],
                              br[1][0], br[1][1], br[1][3])
        bmax, bmin = max(br[0][0], br[1][0]), min(br[0][0], br[1][0])
        eps = 0.1 * (bmax - bmin)
        if min(bmax - t, t - bmin) < eps:
            if insuf or t >= bmax or t <= bmin:
                t = bmax - eps if abs(t - bmax) < abs(t - bmin) else bmin + eps
                insuf = False
            else:
                insuf = True
        else:
            insuf = False
        f_new, g_new = fg(x + t * d)
        evals, gtd_new, ls_iter = evals + 1, g_new @ d, ls_iter + 1
        if f_new > f + c1 * t * gtd or f_new >= br[low][1]:
            br[high] = [t, f_new, g_new, gtd_new]
            low, high = (0, 1) if br[0][1] <= br[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (br[high][0] - br[low][0]) >= 0:
                br[high] = list(br[low])
            br[low] = [t, f_new, g_new, gtd_new]
    return br[low][0], evals


def lbfgs(fg, x, steps, wolfe=False, max_eval=1, lr=1.0, hist=10,
          tol_grad=1e-7, tol_change=1e-9):
    k, mem, h0, g_prev, d, t, out = 0, [], 1.0, None, None, None, []
    for _ in range(steps):
        f, g = fg(x)
        evals = 1
        if np.abs(g).max() <= tol_grad:
            out.append((x, evals))
            continue
        k += 1
        if k == 1:
            d, mem, h0 = -g, [], 1.0
        else:
            y, s = g - g_prev, t * d
            ys = y @ s
            if ys > 1e-10:
                if len(mem) == hist:
                    mem.pop(0)
                mem.append((s, y, 1.0 / ys))
                h0 = ys / (y @ y)
            q, al = -g, [0.0] * len(mem)
            for i in reversed(range(len(mem))):
                s_i, y_i, rho = mem[i]
                al[i] = rho * (s_i @ q)
                q = q - al[i] * y_i
            r = h0 * q
            for i, (s_i, y_i, rho) in enumerate(mem):
                r = r + (al[i] - rho * (y_i @ r)) * s_i
            d = r
        g_prev = g
        t = min(1.0, 1.0 / np.abs(g).sum()) * lr if k == 1 else lr
        gtd = g @ d
        if gtd > -tol_change:
            out.append((x, evals))
            continue
        if wolfe:
            t, ls = strong_wolfe(fg, x, t, d, f, g, gtd, max_ls=max_eval - 1)
            evals += ls
        x = x + t * d
        out.append((x, evals))
    return out


def check_losses(load):
    """Closed-form values and hand-derived gradients of the five losses."""
    f, p, a, x = load("F"), load("P"), load("A"), load("tv.x")
    c, h, w = f.shape[1:]
    m = f.reshape(c, h * w)
    g = m @ m.T
    # d/dF sum (G - A)^2 = 4 (G - A) F for symmetric G - A
    dstyle = (4 * (g - a) @ m).reshape(f.shape)
    dv, dh = np.diff(x, axis=2), np.diff(x, axis=3)
    dtv = np.zeros_like(x)
    dtv[:, :, 1:, :] += 2 * dv
    dtv[:, :, :-1, :] -= 2 * dv
    dtv[:, :, :, 1:] += 2 * dh
    dtv[:, :, :, :-1] -= 2 * dh
    n2m2 = c**2 * (h * w) ** 2
    expect = {
        "content_gatys": (0.5 * ((f - p) ** 2).sum(), f - p),
        "style_gatys": (((g - a) ** 2).sum() / (4 * n2m2), dstyle / (4 * n2m2)),
        "content_seed002": (((f - p) ** 2).mean(), 2 * (f - p) / f.size),
        "style_seed002": (((g - a) ** 2).mean() / (c * h * w),
                          dstyle / (c**2 * c * h * w)),
        "tv": ((dv**2).sum() + (dh**2).sum(), dtv),
    }
    worst = np.abs(g - load("G")).max() / np.abs(g).max()
    for name, (value, grad) in expect.items():
        ev = abs(value - load(name + ".value")[0]) / abs(value)
        eg = np.abs(grad - load(name + ".grad")).max() / np.abs(grad).max()
        print(f"{name}: value rel_error={ev:.2e} grad rel_error={eg:.2e}")
        worst = max(worst, ev, eg)
    return worst


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", default="tests/fixtures/torch_losses")
    args = ap.parse_args()
    load = lambda name: np.load(os.path.join(args.dir, name + ".npy"))
    problems = {
        "rosenbrock": (rosenbrock, load("rosenbrock.x0")),
        "quadratic": (quadratic(load("quadratic.Q"), load("quadratic.b")),
                      load("quadratic.x0")),
    }
    runs = {
        "adam": lambda fg, x: adam(fg, x, 50),
        "sgd": lambda fg, x: sgd(fg, x, 50),
        "lbfgs": lambda fg, x: lbfgs(fg, x, 30),
        "lbfgs_wolfe": lambda fg, x: lbfgs(fg, x, 30, wolfe=True, max_eval=25),
        "lbfgs_wolfe_maxeval1": lambda fg, x: lbfgs(fg, x, 30, wolfe=True, max_eval=1),
    }
    worst = check_losses(load)
    for pname, (fg, x0) in problems.items():
        for oname, run in runs.items():
            out = run(fg, x0.copy())
            xs = np.array([x for x, _ in out])
            ev = np.array([e for _, e in out])
            ref = load(f"{pname}_{oname}.iterates")
            err = np.abs(xs - ref).max() / np.abs(ref).max()
            same_evals = np.array_equal(ev, load(f"{pname}_{oname}.evals"))
            worst = max(worst, err)
            print(f"{pname}_{oname}: rel_error={err:.2e} evals_match={same_evals}")
            if not same_evals:
                worst = np.inf
    if worst > 1e-8:
        sys.exit(f"error: numpy re-implementation differs from torch ({worst:.2e})")
    print(f"ok: worst rel_error {worst:.2e}")


if __name__ == "__main__":
    main()
