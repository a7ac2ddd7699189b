"""Cost of one optimizer step on the seed MNIST recipe's parameters, against hand-written numpy.

The parameters are those of Dense(784->512) + Dense(512->10) in float32 (kernel and bias of
each, 407,050 numbers). For every optimizer, `nn.optim`'s `step()` is timed against a minimal
numpy loop that applies the published formula to the same arrays, parameter by parameter, with
preallocated state and `out=` ufuncs: what one would write by hand. For RMSprop a second
reference is the MNIST floor's update (`mnist_baselines.py`): all parameters packed in one flat
buffer, eight passes over memory, no per-parameter overhead at all.

Each number is the best of `--repeat` timed blocks of `--steps` steps, ours and the hand-written
one interleaved: the best block is the one least disturbed by other processes, which makes the
ratio stable on a busy machine (medians are printed too). Both sides see the same fixed
gradients. Before timing, the script checks that after ten steps
both sides hold the same weights (so the comparison is between equal work).

Run::

    python benchmarks/optim_step.py [--steps 10] [--repeat 41]
"""

from __future__ import annotations

import argparse
import statistics
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __package__:
    from .harness import format_seconds, median, print_header
else:
    from harness import format_seconds, median, print_header

from autograd import Tensor  # noqa: E402
from nn import optim  # noqa: E402

SHAPES = [(784, 512), (512,), (512, 10), (10,)]


def make_arrays(seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Initial weights and fixed gradients for the recipe's four parameters (float32)."""
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.05, 0.05, shape).astype(np.float32) for shape in SHAPES]
    grads = [(rng.standard_normal(shape) * 1e-2).astype(np.float32) for shape in SHAPES]
    return weights, grads


# --------------------------------------------------------------------------- hand-written updates
# Each factory returns step(), which updates `weights` in place from `grads`.


def hand_sgd(weights, grads, lr=0.01, momentum=0.0):
    scratch = [np.empty_like(w) for w in weights]
    velocity = [np.zeros_like(w) for w in weights]

    def step():
        for w, g, s, v in zip(weights, grads, scratch, velocity):
            if momentum:
                v *= momentum
                v += g
                np.multiply(v, lr, out=s)
            else:
                np.multiply(g, lr, out=s)
            w -= s
    return step


def hand_rmsprop(weights, grads, lr=1e-3, rho=0.9, eps=1e-7):
    """Keras's formula as written: v = rho v + (1-rho) g^2; w -= lr g / (sqrt(v) + eps)."""
    scratch = [np.empty_like(w) for w in weights]
    mean_square = [np.zeros_like(w) for w in weights]

    def step():
        for w, g, s, v in zip(weights, grads, scratch, mean_square):
            np.multiply(g, g, out=s)
            s *= 1.0 - rho
            v *= rho
            v += s
            np.sqrt(v, out=s)
            s += eps
            np.divide(g, s, out=s)
            s *= lr
            w -= s
    return step


def hand_rmsprop_flat(weights, grads, lr=1e-3, rho=0.9, eps=1e-7):
    """The MNIST floor's update: one flat buffer for everything, eight passes."""
    total = sum(w.size for w in weights)
    flat_w, flat_g = np.empty(total, np.float32), np.empty(total, np.float32)
    offset = 0
    for i, (w, g) in enumerate(zip(weights, grads)):
        flat_w[offset:offset + w.size] = w.ravel()
        flat_g[offset:offset + w.size] = g.ravel()
        weights[i] = flat_w[offset:offset + w.size].reshape(w.shape)  # same values, now views
        offset += w.size
    sums, scratch = np.zeros(total, np.float32), np.empty(total, np.float32)
    root = math.sqrt(1.0 - rho)

    def step():
        np.multiply(flat_g, flat_g, out=scratch)
        np.multiply(sums, rho, out=sums)
        np.add(sums, scratch, out=sums)
        np.sqrt(sums, out=scratch)
        np.add(scratch, eps / root, out=scratch)
        np.divide(flat_g, scratch, out=scratch)
        np.multiply(scratch, lr / root, out=scratch)
        np.subtract(flat_w, scratch, out=flat_w)
    return step


def hand_adam(weights, grads, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, decoupled_decay=0.0):
    """Algorithm 1 of Kingma and Ba, with the bias corrections folded into two scalars."""
    scratch = [np.empty_like(w) for w in weights]
    first = [np.zeros_like(w) for w in weights]
    second = [np.zeros_like(w) for w in weights]
    t = [0]

    def step():
        t[0] += 1
        correction1, correction2 = 1.0 - beta1 ** t[0], 1.0 - beta2 ** t[0]
        root2 = math.sqrt(correction2)
        for w, g, s, m, v in zip(weights, grads, scratch, first, second):
            if decoupled_decay:
                w *= 1.0 - lr * decoupled_decay
            np.multiply(g, 1.0 - beta1, out=s)
            m *= beta1
            m += s
            np.multiply(g, g, out=s)
            s *= 1.0 - beta2
            v *= beta2
            v += s
            np.sqrt(v, out=s)
            s += eps * root2
            np.divide(m, s, out=s)
            s *= lr * root2 / correction1
            w -= s
    return step


def hand_adagrad(weights, grads, lr=0.01, initial=0.1, eps=1e-7):
    scratch = [np.empty_like(w) for w in weights]
    sums = [np.full_like(w, initial) for w in weights]

    def step():
        for w, g, s, a in zip(weights, grads, scratch, sums):
            np.multiply(g, g, out=s)
            a += s
            np.sqrt(a, out=s)
            s += eps
            np.divide(g, s, out=s)
            s *= lr
            w -= s
    return step


CASES = [
    # (label, our optimizer factory, hand-written factory)
    ("SGD", lambda p: optim.SGD(p, lr=0.01), lambda w, g: hand_sgd(w, g, 0.01)),
    ("SGD momentum=0.9", lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
     lambda w, g: hand_sgd(w, g, 0.01, 0.9)),
    ("RMSprop", lambda p: optim.RMSprop(p), hand_rmsprop),
    ("RMSprop", None, hand_rmsprop_flat),
    ("Adam", lambda p: optim.Adam(p), hand_adam),
    ("AdamW", lambda p: optim.AdamW(p, weight_decay=0.01),
     lambda w, g: hand_adam(w, g, decoupled_decay=0.01)),
    ("Adagrad", lambda p: optim.Adagrad(p), hand_adagrad),
]


def build(ours_factory, hand_factory):
    """Our optimizer and the hand-written update over two copies of the same weights."""
    weights, grads = make_arrays()
    hand_weights = [w.copy() for w in weights]
    hand_step = hand_factory(hand_weights, grads)
    params = [Tensor(w.copy(), requires_grad=True) for w in weights]
    for param, grad in zip(params, grads):
        param.grad = grad
    return ours_factory(params), params, hand_step, hand_weights


def check_agreement(label, ours_factory, hand_factory, steps: int = 10) -> None:
    """Both sides must reach the same weights (float32 rounding aside) after a few steps."""
    optimizer, params, hand_step, hand_weights = build(ours_factory, hand_factory)
    for _ in range(steps):
        optimizer.step()
        hand_step()
    worst = max(float(np.max(np.abs(p.data - w))) for p, w in zip(params, hand_weights))
    if worst > 1e-6:
        raise SystemExit(f"{label}: nn.optim and the hand-written update disagree by {worst}")


def timed_block(step, steps: int) -> float:
    """Seconds per call of `step`, averaged over `steps` calls."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def collect(table, quick=False) -> None:
    """Add RMSprop and Adam step times (ours against the hand-written loop) to ``table``."""
    repeat, steps = (5, 5) if quick else (21, 10)
    for label, ours_factory, hand_factory in CASES:
        if ours_factory is None or label not in ("RMSprop", "Adam"):
            continue
        optimizer, _, hand_step, _ = build(ours_factory, hand_factory)
        ours_times, hand_times = [], []
        for _ in range(repeat):
            ours_times.append(timed_block(optimizer.step, steps))
            hand_times.append(timed_block(hand_step, steps))
        workload = f"{label} step, seed-recipe parameters"
        table.add(workload, "numpy by hand", statistics.median(hand_times), baseline=True)
        table.add(workload, "nn.optim", statistics.median(ours_times))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="steps per timed block")
    parser.add_argument("--repeat", type=int, default=41, help="timed blocks per implementation")
    args = parser.parse_args()

    print_header("optimizer step, Dense(784->512) + Dense(512->10) parameters, float32")
    rows = []  # (workload, implementation, seconds per step of each block)
    for label, ours_factory, hand_factory in CASES:
        if ours_factory is None:  # an extra reference row for the previous workload
            weights, grads = make_arrays()
            hand_step = hand_factory(weights, grads)
            times = [timed_block(hand_step, args.steps) for _ in range(args.repeat)]
            rows.append((label, "numpy by hand, one flat buffer", times))
            continue
        check_agreement(label, ours_factory, hand_factory)
        optimizer, _, hand_step, _ = build(ours_factory, hand_factory)
        ours_times, hand_times = [], []
        for _ in range(args.repeat):  # interleaved, so drifts in machine speed hit both sides
            ours_times.append(timed_block(optimizer.step, args.steps))
            hand_times.append(timed_block(hand_step, args.steps))
        rows.append((label, "numpy by hand", hand_times))
        rows.append((label, "nn.optim step()", ours_times))

    print(f"time per step over {args.repeat} blocks of {args.steps} steps; "
          f"ratios against the per-parameter hand-written loop")
    cells = [("workload", "implementation", "best", "median", "ratio (best)", "ratio (median)")]
    for label, impl, times in rows:
        baseline = next(t for name, kind, t in rows if name == label and kind == "numpy by hand")
        cells.append((label, impl, format_seconds(min(times)), format_seconds(median(times)),
                      f"{min(times) / min(baseline):.3f}x",
                      f"{median(times) / median(baseline):.3f}x"))
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for index, row in enumerate(cells):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("-+-".join("-" * width for width in widths))


if __name__ == "__main__":
    main()
