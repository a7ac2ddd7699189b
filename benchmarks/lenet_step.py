"""One LeNet-like training step with lucidgrad tensors, against PyTorch CPU in the same process.

The network and data are lenet_torch.py's, both described in lenet_architecture.py (float32
here), with softmax cross-entropy through log_softmax and one update of SGD with momentum 0.9
(``nn.optim.SGD``; PyTorch's ``torch.optim.SGD``). Everything is autograd Tensors and the
conv/pool ops; the dense layers are ``x @ W + b``. The lucidgrad step runs twice over: eagerly,
and captured once with ``autograd.capture`` and replayed (the batch copied in each step).

Run ``python benchmarks/lenet_step.py``. It first checks that both libraries compute the same
loss and gradients, then alternates the two implementations a few times and prints the median
milliseconds per step and their ratio, twice: with glibc's default malloc, which hands freed
heap memory back to the OS so that every step pays page faults again (both libraries suffer),
and then with malloc told to keep it (``keep_freed_memory``). ``--breakdown`` also times every
op of the graph (forward and each VJP) on its own, ``--profile`` prints a cProfile.

Threads: numpy's BLAS reads its thread count when numpy is imported, so give both libraries
the same count from the environment, e.g. ``OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2``
(see harness.py). Nothing here is a test: the numbers depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import cProfile
import ctypes
import pstats
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root, for autograd
sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness, lenet_architecture, lenet_torch
from harness import (Table, default_threads, median, optional_import, print_header,  # noqa: E402
                     time_call)
from lenet_architecture import (BATCH_SIZE, CLASSES, CONVOLUTIONS, DENSES, IMAGE_SIDE,  # noqa: E402
                                KERNEL_SIDE, POOL_SIZE)

import nn  # noqa: E402
from autograd import Tensor, capture, log_softmax, relu  # noqa: E402
from autograd.ops.convolution import conv2d  # noqa: E402
from autograd.ops.pooling import max_pool  # noqa: E402

LEARNING_RATE = 0.01


def init_params(rng: np.random.Generator) -> dict[str, Tensor]:
    """Weights and biases, uniform in +-1/sqrt(fan_in) (PyTorch's default scale), float32."""
    layers = [(name, (c_out, c_in, KERNEL_SIDE, KERNEL_SIDE), c_in * KERNEL_SIDE ** 2, c_out)
              for name, c_in, c_out in CONVOLUTIONS]
    layers += [(name, (f_in, f_out), f_in, f_out) for name, f_in, f_out in DENSES]
    params = {}
    for name, w_shape, fan_in, b_size in layers:
        bound = 1.0 / np.sqrt(fan_in)
        params[name + ".w"] = Tensor(rng.uniform(-bound, bound, w_shape).astype(np.float32),
                                     requires_grad=True)
        params[name + ".b"] = Tensor(rng.uniform(-bound, bound, b_size).astype(np.float32),
                                     requires_grad=True)
    return params


def loss_fn(params: dict[str, Tensor], images: Tensor, targets: np.ndarray) -> Tensor:
    """Mean softmax cross-entropy of the network on a batch (``targets`` one-hot, float32)."""
    h = images
    for name, _, _ in CONVOLUTIONS:
        h = max_pool(relu(conv2d(h, params[name + ".w"], params[name + ".b"])), POOL_SIZE)
    h = h.reshape(h.shape[0], -1)
    for name, _, _ in DENSES[:-1]:
        h = relu(h @ params[name + ".w"] + params[name + ".b"])
    last = DENSES[-1][0]
    logits = h @ params[last + ".w"] + params[last + ".b"]
    return (log_softmax(logits) * targets).sum() * np.float32(-1.0 / len(targets))


def make_step(seed: int = 0, batch_size: int = BATCH_SIZE, captured: bool = False):
    """A closure running one training step on fixed random data; returns
    ``(step, params, (images, targets))``. With ``captured`` the step is recorded on its first
    call and replayed after (the images and targets are copied in every time)."""
    rng = np.random.default_rng(seed)
    images = Tensor(rng.standard_normal((batch_size, 1, IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32))
    labels = rng.integers(0, CLASSES, batch_size)
    targets = np.eye(CLASSES, dtype=np.float32)[labels]
    params = init_params(rng)
    optimizer = nn.optim.SGD(list(params.values()), lr=LEARNING_RATE, momentum=0.9)

    def train_step(batch, batch_targets):
        optimizer.zero_grad()
        loss = loss_fn(params, Tensor(batch), batch_targets)
        loss.backward()
        optimizer.step()
        return loss

    run = capture(train_step) if captured else train_step

    def step() -> float:
        return run(images.data, targets).item()

    return step, params, (images, targets)


def lenet_step_ms(steps: int = 50, warmup: int = 5, captured: bool = False) -> float:
    """Median milliseconds of one lucidgrad LeNet training step (eager, or captured)."""
    step, _, _ = make_step(captured=captured)
    return median(time_call(step, repeat=steps, warmup=warmup)) * 1e3


def _graph_nodes(root):
    """Every op node reachable from ``root``, each once."""
    seen, stack, nodes = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen or node.op is None:
            continue
        seen.add(id(node))
        nodes.append(node)
        stack.extend(x for x in node.inputs if isinstance(x, Tensor))
    return nodes


def _best_ms(fn, repeat: int) -> float:
    return min(time_call(fn, repeat)) * 1e3


def op_breakdown(repeat: int = 20) -> list[tuple[str, float, float]]:
    """(op, forward ms, backward ms) for every op of one step's graph, summed per op name,
    largest first: each node's forward and the VJPs the backward pass runs, timed alone."""
    _, params, (images, targets) = make_step()
    loss = loss_fn(params, images, targets)
    totals = defaultdict(lambda: [0.0, 0.0])
    for node in _graph_nodes(loss):
        op, args, needs, params_ = node.op, node._args, node._needs, node.params
        totals[op.name][0] += _best_ms(lambda: op.forward(*args, **params_), repeat)
        g = np.ones_like(node.data)
        totals[op.name][1] += _best_ms(lambda: op.backward(g, node.data, args, needs, params_), repeat)
    return sorted(((name, f, b) for name, (f, b) in totals.items()), key=lambda r: -(r[1] + r[2]))


def _torch_step_ms():
    from lenet_torch import torch_lenet_step_ms
    return torch_lenet_step_ms


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse instead of handing it back to the OS.

    By default glibc returns the top of the heap after a training step frees its activations,
    and the next step pays a page fault for every 4 KiB it touches again (numpy and PyTorch
    alike). This is what ``MALLOC_TRIM_THRESHOLD_``/``MALLOC_MMAP_THRESHOLD_`` do when set
    before start-up. Returns False where glibc is not available.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_trim_threshold, 1 << 30)) and bool(libc.mallopt(m_mmap_threshold, 32 << 20))


def compare(table: Table, label: str, rounds: int, steps: int, threads: int, with_torch: bool) -> None:
    """Alternate lucidgrad (eager and captured) and PyTorch steps ``rounds`` times; add the
    medians to ``table``."""
    eager, captured, theirs = [], [], []
    for _ in range(rounds):
        eager.append(lenet_step_ms(steps))
        captured.append(lenet_step_ms(steps, captured=True))
        if with_torch:
            theirs.append(_torch_step_ms()(threads, steps=steps))
    workload = f"lenet step, {label}, {threads} thread(s)"
    if theirs:
        table.add(workload, "PyTorch eager", median(theirs) / 1e3, baseline=True)
    table.add(workload, "lucidgrad eager", median(eager) / 1e3)
    table.add(workload, "lucidgrad captured", median(captured) / 1e3)
    line = f"{label}: lucidgrad {median(eager):.2f} ms/step eager, {median(captured):.2f} captured"
    if theirs:
        line += (f"; torch {median(theirs):.2f} ms/step: ratios {median(eager) / median(theirs):.2f}x "
                 f"and {median(captured) / median(theirs):.2f}x (rounds: eager "
                 f"{', '.join(f'{m:.2f}' for m in eager)}; captured "
                 f"{', '.join(f'{m:.2f}' for m in captured)}; torch "
                 f"{', '.join(f'{m:.2f}' for m in theirs)})")
    print(line)


def check_against_torch() -> float:
    """Largest relative difference between lucidgrad's and PyTorch's loss and gradients for the
    same weights and batch (a sanity check that both time the same computation)."""
    import torch

    from lenet_torch import build_lenet

    _, params, (images, targets) = make_step()
    loss = loss_fn(params, images, targets)
    loss.backward()
    model = build_lenet()
    weighted = [layer for layer in model if isinstance(layer, (torch.nn.Conv2d, torch.nn.Linear))]
    layers = dict(zip((name for name, _, _ in CONVOLUTIONS + DENSES), weighted))
    with torch.no_grad():
        for name, layer in layers.items():
            weight = params[name + ".w"].data
            layer.weight.copy_(torch.from_numpy(weight if name.startswith("conv") else weight.T.copy()))
            layer.bias.copy_(torch.from_numpy(params[name + ".b"].data))
    torch_loss = torch.nn.functional.cross_entropy(
        model(torch.from_numpy(images.data)), torch.from_numpy(targets.argmax(axis=1)))
    torch_loss.backward()
    worst = abs(loss.item() - torch_loss.item()) / abs(torch_loss.item())
    for name, layer in layers.items():
        for suffix, theirs in (("w", layer.weight.grad), ("b", layer.bias.grad)):
            theirs = theirs.numpy() if name.startswith("conv") or suffix == "b" else theirs.numpy().T
            ours = params[f"{name}.{suffix}"].grad
            worst = max(worst, float(np.abs(ours - theirs).max() / np.abs(theirs).max()))
    return worst


def collect(table, quick=False) -> None:
    """Add the LeNet step rows (lucidgrad and, when installed, PyTorch) to ``table``."""
    torch = optional_import("torch")
    threads = default_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    compare(table, "batch 128", rounds=1 if quick else 3, steps=10 if quick else 50,
            threads=threads, with_torch=torch is not None)


def main(argv=None) -> None:
    """Print lucidgrad's and PyTorch's median step times and their ratio, with glibc's default
    malloc behaviour and then with freed memory kept for reuse."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternate the two implementations this many times (noisy machines)")
    parser.add_argument("--threads", type=int, default=default_threads(),
                        help="PyTorch intra-op threads (default: $OMP_NUM_THREADS, else all CPUs)")
    parser.add_argument("--no-torch", action="store_true", help="time lucidgrad only")
    parser.add_argument("--breakdown", action="store_true", help="time every op on its own")
    parser.add_argument("--profile", action="store_true", help="cProfile 20 lucidgrad steps")
    args = parser.parse_args(argv)

    with_torch = not args.no_torch and optional_import("torch") is not None
    if with_torch:
        optional_import("torch").set_num_threads(args.threads)
    print_header(f"LeNet-like training step (SGD, momentum 0.9), batch {BATCH_SIZE}, lucidgrad vs "
                 "PyTorch CPU")
    if with_torch:
        print(f"same weights and batch: loss and gradients agree with PyTorch to a relative "
              f"{check_against_torch():.1e}\n")

    table = Table()
    compare(table, "default malloc", args.rounds, args.steps, args.threads, with_torch)
    if keep_freed_memory():
        compare(table, "malloc keeps freed memory", args.rounds, args.steps, args.threads, with_torch)
    print()
    table.print()

    if args.breakdown:
        print("\nper op (best of 20, summed over the op's nodes):")
        rows = op_breakdown()
        print(f"{'op':<22}{'forward ms':>12}{'backward ms':>13}")
        for name, f, b in rows:
            print(f"{name:<22}{f:>12.3f}{b:>13.3f}")
        print(f"{'total':<22}{sum(r[1] for r in rows):>12.3f}{sum(r[2] for r in rows):>13.3f}")

    if args.profile:
        step, _, _ = make_step()
        step()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            step()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
