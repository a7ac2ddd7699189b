"""The seed MLP trained with a hand-written loop: lucidgrad eager, lucidgrad captured, PyTorch.

    python benchmarks/mlp_loop.py [--steps 200] [--rounds 3] [--threads N]

The seed recipe's network (Linear 784->512, ReLU, Linear 512->10, cross-entropy on integer
labels, RMSprop, batch 128, float32) written PyTorch's way in both libraries: ``zero_grad``,
forward, ``backward``, ``step``. The batches are random images drawn once, the same for every
implementation, and all three start from the same weights. lucidgrad runs the same step twice:
as written (eager) and wrapped in ``autograd.capture`` (recorded once, replayed after). The
implementations take turns in blocks of ``--steps`` steps; the table shows medians over the
rounds, as milliseconds per step, with PyTorch as the baseline.
"""
import argparse
import functools
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nn  # noqa: E402
from autograd import capture  # noqa: E402
from benchmarks import mnist_baselines as base  # noqa: E402
from benchmarks.harness import (Table, alternate, default_threads, median,  # noqa: E402
                                optional_import, print_header)

BATCHES = 16


def _batches(seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((BATCHES, base.BATCH_SIZE, base.INPUTS), dtype=np.float32)
    labels = rng.integers(0, base.CLASSES, (BATCHES, base.BATCH_SIZE))
    return images, labels


def lucidgrad_loop(params, captured):
    """A function running one training step on batch ``i`` (cycling), eager or captured."""
    model = nn.Sequential(nn.Linear(base.INPUTS, base.HIDDEN), nn.ReLU(),
                          nn.Linear(base.HIDDEN, base.CLASSES))
    model.load_state_dict({"0.weight": params["W1"].T.copy(), "0.bias": params["b1"],
                           "2.weight": params["W2"].T.copy(), "2.bias": params["b2"]})
    optimizer = nn.optim.RMSprop(model.parameters(), lr=base.LEARNING_RATE, rho=base.RHO,
                                 eps=base.EPSILON)
    images, labels = _batches()

    def train_step(x, y):
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    run = capture(train_step) if captured else train_step
    return lambda i: run(images[i % BATCHES], labels[i % BATCHES]).item()


def torch_loop(params):
    """The same loop in PyTorch eager."""
    torch = optional_import("torch")
    model = base.build_torch_model(params)
    optimizer = base.make_torch_optimizer(model)
    images, labels = _batches()
    images, labels = torch.from_numpy(images), torch.from_numpy(labels)

    def step(i):
        optimizer.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(images[i % BATCHES]), labels[i % BATCHES])
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def _block_ms(step, steps):
    start = time.perf_counter()
    for i in range(steps):
        step(i)
    return (time.perf_counter() - start) / steps * 1e3


def measure(steps=200, rounds=3, with_torch=True):
    """Median ms per step of each implementation, and the largest difference between their
    losses in the first three steps (all start from the same weights and batches)."""
    params = base.init_params(0)
    loops = {"lucidgrad eager": lucidgrad_loop(params, captured=False),
             "lucidgrad captured": lucidgrad_loop(params, captured=True)}
    if with_torch:
        loops["PyTorch eager"] = torch_loop(params)
    first = {name: [step(i) for i in range(3)] for name, step in loops.items()}  # warm-up, recording
    blocks = alternate({name: functools.partial(_block_ms, step, steps)
                        for name, step in loops.items()}, rounds)
    spread = max(np.ptp(losses) for losses in zip(*first.values()))
    return {name: median(ms) for name, ms in blocks.items()}, blocks, spread


def collect(table, quick=False):
    """Add the hand-written-loop rows to ``table``."""
    torch = optional_import("torch")
    threads = default_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    per_step, _, _ = measure(steps=20 if quick else 200, rounds=1 if quick else 3,
                             with_torch=torch is not None)
    workload = f"seed MLP, hand-written loop, RMSprop, {threads} thread(s)"
    for name, ms in per_step.items():
        table.add(workload, name, ms / 1e3, baseline=name == "PyTorch eager")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="steps per timed block")
    parser.add_argument("--rounds", type=int, default=3, help="blocks per implementation")
    parser.add_argument("--threads", type=int, default=default_threads(),
                        help="PyTorch intra-op threads (default: $OMP_NUM_THREADS, else all CPUs)")
    args = parser.parse_args(argv)
    torch = optional_import("torch")
    if torch is not None:
        torch.set_num_threads(args.threads)
    print_header("seed MLP, hand-written training loop")
    per_step, blocks, spread = measure(args.steps, args.rounds, with_torch=torch is not None)
    table = Table()
    for name, ms in per_step.items():
        table.add("ms per step (median of rounds)", name, ms / 1e3,
                  baseline=name == "PyTorch eager")
    table.print()
    for name, ms in blocks.items():
        print(f"{name}: rounds " + ", ".join(f"{m:.2f}" for m in ms) + " ms/step")
    print(f"losses of the first three steps differ by at most {spread:.2e}")


if __name__ == "__main__":
    main()
