#!/usr/bin/env python3
"""Loss and optimiser fixtures from PyTorch autograd and torch.optim (float64).

Part 1, losses: values and autograd gradients of the Gatys content / style
losses, the seed-002 variants and the total-variation loss on small random
tensors.

Part 2, optimisers: trajectories of torch.optim.Adam, SGD and LBFGS (fixed
step and strong-Wolfe line search) on the 2-D Rosenbrock function and a 10-D
convex quadratic. The point is to pin down torch's exact update rules (bias
correction and eps placement in Adam, the first-step scaling, memory update
and line search of LBFGS) so a hand-written Rust optimiser can match them.

Everything lands in tests/fixtures/torch_losses/ with a MANIFEST.txt that
spells out every formula, hyperparameter and file layout.

Usage:  python scripts/reference/torch_loss_fixtures.py [--out DIR]
"""
import argparse
import hashlib
import os

import numpy as np
import torch

SEED = 20240602
C, H, W = 5, 6, 7  # feature map for content / style losses
TV_SHAPE = (1, 3, 8, 9)  # image for the total-variation loss
QUAD_DIM = 10
DT = torch.float64


# ---------------------------------------------------------------- losses ---

def gram(f):
    """G = F F^T with F reshaped to C x (H*W); no normalisation."""
    m = f.reshape(f.shape[1], -1)
    return m @ m.T


def content_gatys(f, p):
    return 0.5 * ((f - p) ** 2).sum()


def style_gatys(f, a):
    n, m = f.shape[1], f.shape[2] * f.shape[3]
    return ((gram(f) - a) ** 2).sum() / (4.0 * n**2 * m**2)


def content_seed002(f, p):
    return ((f - p) ** 2).mean()


def style_seed002(f, a):
    c, h, w = f.shape[1:]
    return ((gram(f) - a) ** 2).mean() / (c * h * w)


def tv_loss(x):
    dv = x[:, :, 1:, :] - x[:, :, :-1, :]
    dh = x[:, :, :, 1:] - x[:, :, :, :-1]
    return (dv**2).sum() + (dh**2).sum()


def value_and_grad(fn, leaf, *rest):
    leaf = leaf.detach().clone().requires_grad_(True)
    value = fn(leaf, *rest)
    (grad,) = torch.autograd.grad(value, (leaf,))
    return value.detach().reshape(1), grad


def loss_fixtures(gen):
    relu_map = lambda: torch.relu(torch.randn(1, C, H, W, generator=gen, dtype=DT))
    f, p, f2 = relu_map(), relu_map(), relu_map()
    a = gram(f2)
    x = torch.randn(*TV_SHAPE, generator=gen, dtype=DT)
    out = {"F": f, "P": p, "F2": f2, "A": a, "G": gram(f), "tv.x": x}
    cases = [
        ("content_gatys", content_gatys, f, p),
        ("style_gatys", style_gatys, f, a),
        ("content_seed002", content_seed002, f, p),
        ("style_seed002", style_seed002, f, a),
        ("tv", tv_loss, x),
    ]
    for name, fn, leaf, *rest in cases:
        out[f"{name}.value"], out[f"{name}.grad"] = value_and_grad(fn, leaf, *rest)
    return out


# ------------------------------------------------------------ optimisers ---

def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def make_quadratic(gen):
    m = torch.randn(QUAD_DIM, QUAD_DIM, generator=gen, dtype=DT)
    q = m @ m.T / QUAD_DIM + 0.5 * torch.eye(QUAD_DIM, dtype=DT)  # SPD
    q = 0.5 * (q + q.T)  # exactly symmetric
    b = torch.randn(QUAD_DIM, generator=gen, dtype=DT)
    x0 = torch.randn(QUAD_DIM, generator=gen, dtype=DT)
    return q, b, x0


# name -> (constructor, steps); hyperparameters are spelled out in full so
# the manifest can print them and nothing hides behind a torch default.
OPTIMISERS = {
    "adam": (lambda p: torch.optim.Adam(
        p, lr=0.01, betas=(0.5, 0.999), eps=1e-8, weight_decay=0.0,
        amsgrad=False, foreach=False), 50),
    "sgd": (lambda p: torch.optim.SGD(
        p, lr=1e-3, momentum=0.0, dampening=0.0, nesterov=False,
        weight_decay=0.0, foreach=False), 50),
    "lbfgs": (lambda p: torch.optim.LBFGS(
        p, lr=1.0, max_iter=1, max_eval=None, tolerance_grad=1e-7,
        tolerance_change=1e-9, history_size=10, line_search_fn=None), 30),
    "lbfgs_wolfe": (lambda p: torch.optim.LBFGS(
        p, lr=1.0, max_iter=1, max_eval=25, tolerance_grad=1e-7,
        tolerance_change=1e-9, history_size=10, line_search_fn="strong_wolfe"), 30),
    "lbfgs_wolfe_maxeval1": (lambda p: torch.optim.LBFGS(
        p, lr=1.0, max_iter=1, max_eval=None, tolerance_grad=1e-7,
        tolerance_change=1e-9, history_size=10, line_search_fn="strong_wolfe"), 30),
}


def trajectory(objective, x0, make_opt, steps):
    """Iterates after every .step() call, f at each, closure calls per step."""
    x = x0.detach().clone().requires_grad_(True)
    opt = make_opt([x])
    calls = [0]

    def closure():
        calls[0] += 1
        opt.zero_grad()
        loss = objective(x)
        loss.backward()
        return loss

    iterates, losses, evals = [], [], []
    for _ in range(steps):
        calls[0] = 0
        opt.step(closure)
        iterates.append(x.detach().clone())
        with torch.no_grad():
            losses.append(objective(x).item())
        evals.append(calls[0])
    return (torch.stack(iterates), torch.tensor(losses, dtype=DT),
            np.array(evals, dtype=np.int64))


def optimiser_fixtures(gen):
    q, b, qx0 = make_quadratic(gen)
    problems = {
        "rosenbrock": (rosenbrock, torch.tensor([-1.2, 1.0], dtype=DT)),
        "quadratic": (lambda x: 0.5 * x @ q @ x - b @ x, qx0),
    }
    out = {"quadratic.Q": q, "quadratic.b": b, "quadratic.x0": qx0,
           "quadratic.xstar": torch.linalg.solve(q, b),
           "rosenbrock.x0": problems["rosenbrock"][1]}
    for pname, (objective, x0) in problems.items():
        out[f"{pname}.f0"] = objective(x0).detach().reshape(1)
        for oname, (make_opt, steps) in OPTIMISERS.items():
            it, fl, ev = trajectory(objective, x0, make_opt, steps)
            out[f"{pname}_{oname}.iterates"] = it
            out[f"{pname}_{oname}.losses"] = fl
            out[f"{pname}_{oname}.evals"] = ev
    return out


# ---------------------------------------------------------------- output ---

def save_all(out_dir, arrays):
    lines = []
    for name, arr in arrays.items():
        arr = arr.detach().numpy() if torch.is_tensor(arr) else arr
        arr = np.ascontiguousarray(arr)
        path = os.path.join(out_dir, f"{name}.npy")
        np.save(path, arr)
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        lines.append(f"  {name}.npy  {arr.dtype}  shape={list(arr.shape)}  sha256={sha}")
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/torch_losses")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.use_deterministic_algorithms(True)
    gen = torch.Generator().manual_seed(SEED)
    arrays = loss_fixtures(gen)
    arrays.update(optimiser_fixtures(gen))
    lines = save_all(args.out, arrays)
    template = open(os.path.join(os.path.dirname(__file__), "torch_loss_manifest.txt")).read()
    text = (template.replace("@SEED@", str(SEED)).replace("@TORCH@", torch.__version__)
            .replace("@NUMPY@", np.__version__))
    text += "\n".join(lines) + "\n"
    with open(os.path.join(args.out, "MANIFEST.txt"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
