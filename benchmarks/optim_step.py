"""Cost of one optimizer step: nn.optim's flat buffers against its per-parameter path, numpy by
hand and, when it is installed, torch.optim.

Two sets of float32 parameters, each with fixed gradients:

* the seed MNIST recipe, Dense(784->512) + Dense(512->10): four tensors, 407,050 numbers, the
  784x512 kernel large enough to be updated on its own (see ``nn.optim.layout``);
* 50 small tensors of 128 to 512 numbers (16,000 in all), like the biases and norm scales of a
  small transformer: where one update over a flat buffer replaces 50 per-parameter updates.

Implementations, for SGD (with and without momentum), RMSprop, Adam, AdamW and Adagrad:

* numpy by hand: the published formula, parameter by parameter, preallocated state and ``out=``
  ufuncs (what one would write by hand; the baseline of the ratios);
* numpy by hand, one flat buffer (RMSprop): the MNIST floor's update, gradients already flat;
* nn.optim, per parameter: every parameter updated on its own (``GATHER_LIMIT = 0``);
* nn.optim: the default layout (small parameters in flat buffers);
* nn.optim, all in the buffer: every parameter in the flat buffers, large gradients copied too;
* torch.optim, its default for-loop and ``foreach=True``.

Each number is the best (and median) of ``--repeat`` timed blocks of ``--steps`` steps, the
implementations interleaved block by block, so that a change in machine load hits all of them.
Before timing, every implementation must reach the same weights as the hand-written update after
ten steps. Thread settings (see ``harness.py``) change only BLAS; numpy's elementwise loops run on
one thread, so run the script once per setting to compare::

    OMP_NUM_THREADS=1 python benchmarks/optim_step.py
    OMP_NUM_THREADS=2 python benchmarks/optim_step.py --split --sweep

``--split`` times nn.optim's flat RMSprop and Adam updates over the seed recipe's 407,050
numbers on this thread against the same update split in halves over two threads
(numpy releases the GIL inside ufunc loops). ``--sweep`` times 20 tensors of n numbers each,
per parameter against gathered into the flat buffer, for several n: where ``GATHER_LIMIT``
comes from.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __package__:
    from .harness import (alternate, default_threads, format_seconds, median, optional_import,
                          print_header, set_threads)
else:
    from harness import (alternate, default_threads, format_seconds, median, optional_import,
                         print_header, set_threads)

from autograd import Tensor  # noqa: E402
from nn import optim  # noqa: E402
from nn.optim import layout  # noqa: E402

SEED_RECIPE = [(784, 512), (512,), (512, 10), (10,)]
SMALL_TENSORS = [(128 + 96 * (i % 5),) for i in range(50)]  # 128, 224, 320, 416, 512, ...
PARAMETER_SETS = {"seed-recipe parameters": SEED_RECIPE, "50 small tensors": SMALL_TENSORS}


def make_arrays(shapes, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Initial weights and fixed gradients (float32)."""
    rng = np.random.default_rng(seed)
    weights = [rng.uniform(-0.05, 0.05, shape).astype(np.float32) for shape in shapes]
    grads = [(rng.standard_normal(shape) * 1e-2).astype(np.float32) for shape in shapes]
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
    """The formula as written: v = rho v + (1-rho) g^2; w -= lr g / (sqrt(v) + eps)."""
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
    """The MNIST floor's update: one flat buffer for everything, gradients already in one."""
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


# label, nn.optim factory, hand-written factory, torch.optim factory (given torch)
CASES = [
    ("SGD", lambda p: optim.SGD(p, lr=0.01), lambda w, g: hand_sgd(w, g, 0.01),
     lambda torch: lambda p, **kw: torch.optim.SGD(p, lr=0.01, **kw)),
    ("SGD momentum=0.9", lambda p: optim.SGD(p, lr=0.01, momentum=0.9),
     lambda w, g: hand_sgd(w, g, 0.01, 0.9),
     lambda torch: lambda p, **kw: torch.optim.SGD(p, lr=0.01, momentum=0.9, **kw)),
    ("RMSprop", lambda p: optim.RMSprop(p), hand_rmsprop,
     lambda torch: lambda p, **kw: torch.optim.RMSprop(p, lr=1e-3, alpha=0.9, eps=1e-7, **kw)),
    ("Adam", lambda p: optim.Adam(p), hand_adam,
     lambda torch: lambda p, **kw: torch.optim.Adam(p, lr=1e-3, eps=1e-7, **kw)),
    ("AdamW", lambda p: optim.AdamW(p, weight_decay=0.01),
     lambda w, g: hand_adam(w, g, decoupled_decay=0.01),
     lambda torch: lambda p, **kw: torch.optim.AdamW(p, lr=1e-3, eps=1e-7, weight_decay=0.01,
                                                     **kw)),
    ("Adagrad", lambda p: optim.Adagrad(p), hand_adagrad,
     lambda torch: lambda p, **kw: torch.optim.Adagrad(p, lr=0.01, initial_accumulator_value=0.1,
                                                       eps=1e-7, **kw)),
]

# the layouts of nn.optim, as GATHER_LIMIT values (None: the default)
ALL_GATHERED = 10 ** 12  # a GATHER_LIMIT above any parameter's size
LAYOUTS = {"nn.optim, per parameter": 0, "nn.optim": None,
           "nn.optim, all in the buffer": ALL_GATHERED}


@contextlib.contextmanager
def gather_limit(limit):
    """Optimizers built inside use ``limit`` as ``layout.GATHER_LIMIT`` (None: the default)."""
    default = layout.GATHER_LIMIT
    layout.GATHER_LIMIT = default if limit is None else limit
    try:
        yield
    finally:
        layout.GATHER_LIMIT = default


def build_ours(factory, shapes, limit):
    """An nn.optim optimizer over fresh parameters with their gradients set; step and weights."""
    weights, grads = make_arrays(shapes)
    params = [Tensor(w, requires_grad=True) for w in weights]
    for param, grad in zip(params, grads):
        param.grad = grad
    with gather_limit(limit):
        optimizer = factory(params)
    return optimizer.step, lambda: [p.data for p in params]


def build_hand(factory, shapes):
    weights, grads = make_arrays(shapes)
    return factory(weights, grads), lambda: weights


def build_torch(torch, factory, shapes, **options):
    weights, grads = make_arrays(shapes)
    params = [torch.tensor(w, requires_grad=True) for w in weights]
    for param, grad in zip(params, grads):
        param.grad = torch.tensor(grad)
    optimizer = factory(params, **options)

    def step():
        with torch.no_grad():
            optimizer.step()
    return step, lambda: [p.detach().numpy() for p in params]


def implementations(label, ours, hand, torch_factory, shapes, torch):
    """``[(name, step, weights)]`` for one optimizer and parameter set, the baseline first."""
    result = [("numpy by hand", *build_hand(hand, shapes))]
    if label == "RMSprop":
        result.append(("numpy by hand, one flat buffer", *build_hand(hand_rmsprop_flat, shapes)))
    for name, limit in LAYOUTS.items():
        result.append((name, *build_ours(ours, shapes, limit)))
    if torch is not None:
        factory = torch_factory(torch)
        result.append(("torch.optim", *build_torch(torch, factory, shapes, foreach=False)))
        result.append(("torch.optim, foreach", *build_torch(torch, factory, shapes, foreach=True)))
    return result


def check_agreement(label, impls, steps: int = 10) -> None:
    """Every implementation must reach the hand-written update's weights (float32 rounding
    aside) after a few steps, so that the timings compare equal work."""
    for _ in range(steps):
        for _, step, _ in impls:
            step()
    expected = impls[0][2]()
    for name, _, weights in impls[1:]:
        worst = max(float(np.max(np.abs(a - b))) for a, b in zip(weights(), expected))
        if worst > 1e-6:
            raise SystemExit(f"{label}: {name} and the hand-written update disagree by {worst}")


def timed_block(step, steps: int) -> float:
    """Seconds per call of `step`, averaged over `steps` calls."""
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - start) / steps


def interleaved(steps_by_name, repeat: int, steps: int) -> dict[str, list[float]]:
    """Seconds per step of each function, ``repeat`` blocks each, taking turns block by block."""
    return alternate({name: functools.partial(timed_block, step, steps)
                      for name, step in steps_by_name.items()}, repeat)


def collect(table, quick=False) -> None:
    """Add RMSprop and Adam step times (hand-written per parameter, nn.optim per parameter and
    nn.optim) for both parameter sets to ``table``."""
    repeat, steps = (5, 5) if quick else (21, 10)
    for label, ours, hand, _ in CASES:
        if label not in ("RMSprop", "Adam"):
            continue
        for set_name, shapes in PARAMETER_SETS.items():
            impls = [impl for impl in implementations(label, ours, hand, None, shapes, None)
                     if impl[0] in ("numpy by hand", "nn.optim, per parameter", "nn.optim")]
            times = interleaved({name: step for name, step, _ in impls}, repeat, steps)
            workload = f"{label} step, {set_name}"
            for name, seconds in times.items():
                table.add(workload, name, median(seconds),
                          baseline=name == "numpy by hand")


def print_rows(rows, baseline_name="numpy by hand") -> None:
    """Rows of (workload, implementation, times) as a table, with ratios to each workload's
    baseline row."""
    cells = [("workload", "implementation", "best", "median", "ratio (best)", "ratio (median)")]
    for label, impl, times in rows:
        baseline = next(t for name, kind, t in rows if name == label and kind == baseline_name)
        cells.append((label, impl, format_seconds(min(times)), format_seconds(median(times)),
                      f"{min(times) / min(baseline):.3f}x",
                      f"{median(times) / median(baseline):.3f}x"))
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
    for index, row in enumerate(cells):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("-+-".join("-" * width for width in widths))
    print()


# --------------------------------------------------------------------------- two threads
def split_update(optimizer, pool):
    """nn.optim's flat update of ``optimizer``'s one group, on this thread or in two halves (the
    second on ``pool``); its arrays as (values, gradients, state, scratch, cells)."""
    group = optimizer._groups[0]
    optimizer._advance(((group.cells, group.steps, 0),))
    arrays = (group.params, group.grads, group.state, group.scratch)
    half = group.params.size // 2
    halves = [tuple({k: v[part] for k, v in a.items()} if isinstance(a, dict) else a[part]
                    for a in arrays) for part in (slice(0, half), slice(half, None))]

    def whole():
        optimizer._update(*arrays, group.cells)

    def two_threads():
        second = pool.submit(optimizer._update, *halves[1], group.cells)
        optimizer._update(*halves[0], group.cells)
        second.result()
    return whole, two_threads


def split_experiment(repeat: int, steps: int) -> None:
    """The flat update of the seed recipe's parameters on one thread, then in two halves."""
    print(f"flat update of {sum(math.prod(s) for s in SEED_RECIPE):,} float32 numbers: one thread, "
          f"or two halves on two threads ({repeat} blocks of {steps} steps, alternating)")
    rows = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        for label, factory in (("RMSprop", optim.RMSprop), ("Adam", optim.Adam)):
            weights, grads = make_arrays(SEED_RECIPE)
            params = [Tensor(w, requires_grad=True) for w in weights]
            with gather_limit(ALL_GATHERED):
                optimizer = factory(params)
            group = optimizer._groups[0]
            for slot, grad in zip(group.slots, grads):
                np.copyto(slot.grad_buffer, grad)
            group.steps[...] = 1
            whole, two = split_update(optimizer, pool)
            times = interleaved({"one thread": whole, "two threads, halves": two}, repeat, steps)
            rows += [(f"{label} flat update", name, t) for name, t in times.items()]
    print_rows(rows, baseline_name="one thread")


# --------------------------------------------------------------------------- the gather limit
def sweep(repeat: int, steps: int) -> None:
    """RMSprop over 20 tensors of n numbers: per parameter against all in the flat buffer."""
    print(f"RMSprop step over 20 tensors of n float32 numbers: per parameter, or gathered into "
          f"the flat buffer ({repeat} blocks of {steps} steps, alternating)")
    rows = []
    for n in (256, 1024, 4096, 8192, 16384, 65536):
        shapes = [(n,)] * 20
        impls = {name: build_ours(optim.RMSprop, shapes, limit)[0]
                 for name, limit in (("per parameter", 0), ("gathered", ALL_GATHERED))}
        times = interleaved(impls, repeat, steps)
        rows += [(f"n = {n}", name, t) for name, t in times.items()]
    print_rows(rows, baseline_name="per parameter")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=10, help="steps per timed block")
    parser.add_argument("--repeat", type=int, default=31, help="timed blocks per implementation")
    parser.add_argument("--only", nargs="*", help="optimizer labels to time (default: all)")
    parser.add_argument("--split", action="store_true", help="also time the two-thread split")
    parser.add_argument("--sweep", action="store_true", help="also time the gather-limit sweep")
    args = parser.parse_args()

    print_header("optimizer step, float32")
    torch = optional_import("torch")
    if torch is not None:
        set_threads(default_threads())
    rows = []
    for label, ours, hand, torch_factory in CASES:
        if args.only and label not in args.only:
            continue
        for set_name, shapes in PARAMETER_SETS.items():
            impls = implementations(label, ours, hand, torch_factory, shapes, torch)
            check_agreement(f"{label}, {set_name}", impls)
            times = interleaved({name: step for name, step, _ in impls}, args.repeat, args.steps)
            rows += [(f"{label}, {set_name}", name, t) for name, t in times.items()]
    print(f"time per step over {args.repeat} blocks of {args.steps} steps; ratios against the "
          f"per-parameter hand-written loop")
    print_rows(rows)
    if args.split:
        split_experiment(args.repeat, args.steps)
    if args.sweep:
        sweep(args.repeat, args.steps)


if __name__ == "__main__":
    main()
