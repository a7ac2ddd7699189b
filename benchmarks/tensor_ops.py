"""Tensor-layer benchmarks: per-op overhead on tiny tensors, and large-array ops against numpy.

    python benchmarks/tensor_ops.py [--quick]

Workload 1: a chain of 1,000 small elementwise ops (multiply, add, tanh, sin in turn) on a (10,)
float32 tensor, forward and backward; microseconds per op, PyTorch CPU eager side by side when
installed. This measures the engine's own overhead, since the arithmetic itself is negligible.
Workload 2: forward + backward of large-array ops against the same computation written with numpy
alone (forward and the hand-derived gradient), float32.
"""
import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import autograd  # noqa: E402
from benchmarks.harness import Table, median, optional_import, print_header, time_call  # noqa: E402

CHAIN = 1000


def op_chain(x):
    """Run the chain of ``CHAIN`` small elementwise ops on the leaf ``x`` (a lucidgrad or PyTorch
    tensor that requires a gradient), forward and backward; returns ``x.grad``."""
    y = x
    for _ in range(CHAIN // 4):
        y = y * 0.999
        y = y + 0.01
        y = y.tanh()
        y = y.sin()
    y.sum().backward()
    return x.grad


def lucidgrad_leaf():
    """The chain's input, (10,) float32, as a lucidgrad tensor that requires a gradient."""
    return autograd.Tensor(np.linspace(-1, 1, 10, dtype=np.float32), requires_grad=True)


def torch_leaf(torch):
    """The chain's input, (10,) float32, as a PyTorch tensor that requires a gradient."""
    return torch.linspace(-1, 1, 10, dtype=torch.float32, requires_grad=True)


def _large_cases(n):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    row = rng.standard_normal((n,), dtype=np.float32)
    ones = np.ones((n, n), dtype=np.float32)

    def ours(fn, *arrays):
        def run():
            ts = [autograd.Tensor(x, requires_grad=True) for x in arrays]
            out = fn(*ts)
            out.backward(ones[: out.shape[0]] if out.ndim == 2 else np.ones(out.shape, np.float32))
        return run

    def softmax_numpy():
        e = np.exp(a - a.max(axis=1, keepdims=True))
        s = e / e.sum(axis=1, keepdims=True)
        g = ones
        return s * (g - (g * s).sum(axis=1, keepdims=True))

    return {
        "exp": (ours(lambda x: x.exp(), a), lambda: (lambda e: ones * e)(np.exp(a))),
        "tanh": (ours(lambda x: x.tanh(), a), lambda: (lambda t: ones * (1 - t * t))(np.tanh(a))),
        "add broadcast row": (ours(lambda x, r: x + r, a, row),
                              lambda: (a + row, ones, ones.sum(axis=0))),
        "multiply": (ours(lambda x, y: x * y, a, b), lambda: (a * b, ones * b, ones * a)),
        "relu": (ours(lambda x: x.relu(), a), lambda: (np.maximum(a, 0), ones * (a > 0))),
        "sum(axis=1)": (ours(lambda x: x.sum(axis=1), a),
                        lambda: (a.sum(axis=1), np.broadcast_to(ones[:, :1], a.shape).copy())),
        "matmul": (ours(lambda x, y: x @ y, a, b), lambda: (a @ b, ones @ b.T, a.T @ ones)),
        "softmax(axis=1)": (ours(lambda x: x.softmax(axis=1), a), softmax_numpy),
    }


def collect(table, quick=False):
    """Add the rows of both workloads to ``table``."""
    repeat = 5 if quick else 15
    torch = optional_import("torch")
    workload = f"{CHAIN}-op chain on (10,), per op"
    if torch is not None:
        table.add(workload, "PyTorch eager",
                  median(time_call(lambda: op_chain(torch_leaf(torch)), repeat)) / CHAIN, baseline=True)
    table.add(workload, "lucidgrad",
              median(time_call(lambda: op_chain(lucidgrad_leaf()), repeat)) / CHAIN)
    n = 512 if quick else 1024
    for name, (ours, numpy_only) in _large_cases(n).items():
        label = f"{name} {n}x{n} fwd+bwd"
        table.add(label, "numpy alone", median(time_call(numpy_only, repeat)), baseline=True)
        table.add(label, "lucidgrad", median(time_call(ours, repeat)))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print_header("tensor ops")
    table = Table()
    collect(table, quick=args.quick)
    table.print()


if __name__ == "__main__":
    main()
