"""Scalar-engine benchmarks: the classic teaching MLP step, and a million-op chain.

    python benchmarks/scalar_engine.py            # full run
    python benchmarks/scalar_engine.py --quick    # fewer steps, shorter chain

Workload 1: an MLP 2-16-16-1 (ReLU) on 100 two-moons points, max-margin loss plus 1e-4 L2,
full-batch SGD with lr = 1 - 0.9 k / 100, built from scalar ``Value``s. Prints milliseconds per
training step and the accuracy after the steps; when ``micrograd`` is installed the same network
and loss run side by side on the same data and the speed ratio is printed.
Workload 2: forward + backward of a chain of 1,000,000 scalar multiplications.
"""
import argparse
import gc
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import Table, optional_import, print_header  # noqa: E402
from autograd import Value  # noqa: E402
from nn.data import make_moons  # noqa: E402
from nn.scalar import MLP, max_margin_loss  # noqa: E402


def _moons():
    x, y = make_moons(100, noise=0.1, seed=1)
    return x.tolist(), (y * 2 - 1).tolist()


def _train(model, steps, loss_and_accuracy):
    """SGD with the demo's linearly decaying rate; returns (seconds per step, final accuracy)."""
    start = time.perf_counter()
    for k in range(steps):
        loss, accuracy = loss_and_accuracy(model)
        model.zero_grad()
        loss.backward()
        lr = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= lr * p.grad
    return (time.perf_counter() - start) / steps, accuracy


def train_ours(steps, xs, ys):
    """Train lucidgrad's scalar MLP; returns (seconds per step, final accuracy)."""
    return _train(MLP(2, [16, 16, 1], seed=1337), steps,
                  lambda model: max_margin_loss(model, xs, ys))


def train_micrograd(steps, xs, ys):
    """The same network, loss and schedule written with micrograd, as its demo does."""
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MMLP

    def loss_and_accuracy(model):
        inputs = [list(map(MValue, x)) for x in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -y * s).relu() for y, s in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        accuracy = sum((y > 0) == (s.data > 0) for y, s in zip(ys, scores)) / len(ys)
        return data_loss + reg_loss, accuracy

    random.seed(1337)
    return _train(MMLP(2, [16, 16, 1]), steps, loss_and_accuracy)


def chain(n):
    """Seconds for the forward and for the backward pass of an n-op multiplication chain."""
    start = time.perf_counter()
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * 1.0000001
    middle = time.perf_counter()
    y.backward()
    end = time.perf_counter()
    assert abs(x.grad - 1.0000001 ** n) < 1e-6 * x.grad
    return middle - start, end - middle


def collect(table, quick=False):
    """Run the workloads and add their rows to ``table``; returns a dict of extra facts."""
    steps = 20 if quick else 100
    xs, ys = _moons()
    facts = {}
    n = 100_000 if quick else 1_000_000
    gc.collect()
    forward, backward = chain(n)
    table.add(f"{n:,}-op scalar chain fwd+bwd", "lucidgrad Value", forward + backward)
    facts["chain_forward_s"], facts["chain_backward_s"] = forward, backward
    # micrograd's graphs are reference cycles that only the cycle collector frees: start each
    # workload from a collected heap so neither pays for the other's garbage.
    gc.collect()
    ours, accuracy = train_ours(steps, xs, ys)
    facts["ours_accuracy"] = accuracy
    workload = f"scalar MLP step ({steps} steps)"
    if optional_import("micrograd") is not None:
        gc.collect()
        theirs, their_accuracy = train_micrograd(steps, xs, ys)
        facts["micrograd_accuracy"] = their_accuracy
        table.add(workload, "micrograd 0.1.0", theirs, baseline=True)
    table.add(workload, "lucidgrad Value", ours)
    return facts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and a shorter chain")
    args = parser.parse_args(argv)
    print_header("scalar engine")
    table = Table()
    facts = collect(table, quick=args.quick)
    table.print()
    print(f"\naccuracy after training: lucidgrad {facts['ours_accuracy']:.0%}"
          + (f", micrograd {facts['micrograd_accuracy']:.0%}" if "micrograd_accuracy" in facts else ""))
    print(f"chain: forward {facts['chain_forward_s']:.2f} s, backward {facts['chain_backward_s']:.2f} s")
    rows = [r for r in table.rows if r[0].startswith("scalar MLP")]
    if len(rows) == 2:  # micrograd first, then ours
        print(f"speed-up over micrograd per step: {rows[0][2] / rows[1][2]:.1f}x")


if __name__ == "__main__":
    main()
