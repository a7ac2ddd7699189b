"""GRU and LSTM training steps with lucidgrad's recurrent layers, against PyTorch's ``nn.GRU`` and
``nn.LSTM`` in the same process, with the same weights, data and thread count.

Two workloads, each for the GRU and the LSTM:

* a small bidirectional sequence classifier: batch 100, 40 steps, 1 input feature, 6 hidden
  units per direction;
* sequential MNIST's shape: batch 64, 28 steps, 28 input features, 128 hidden units.

One training step is: the recurrent layer (PyTorch style, ``batch_first``), a ``Linear`` head on
the last step's output, cross-entropy against integer labels (the forward phase); ``backward()``
(the backward phase); and an SGD update of every parameter (the whole step counts it too). The
two implementations alternate in blocks of ``--steps`` steps, ``--rounds`` times; each phase's
time is the mean over a block, and the median over the blocks is reported, with its ratio to
PyTorch's. Before timing, both compute the same loss and gradients (checked).

Threads: numpy's BLAS reads its thread count when it is first imported, so every thread count
runs in a fresh process with ``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``MKL_NUM_THREADS`` set, and PyTorch is given the same count. By default both 1 and 2 threads::

    python benchmarks/recurrent_step.py                  # 1 and 2 threads
    python benchmarks/recurrent_step.py --threads 1      # one setting, in this process
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness

WORKLOADS = [  # (name, batch, steps, features, hidden, bidirectional)
    ("small bidirectional", 100, 40, 1, 6, True),
    ("sequential MNIST", 64, 28, 28, 128, False),
]
KINDS = ("GRU", "LSTM")
CLASSES = 10
LEARNING_RATE = 0.01
_ROWS_MARK = "ROWS "


def _data(batch, steps, features, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    return x, rng.integers(0, CLASSES, batch)


def lucidgrad_step(kind, batch, steps, features, hidden, bidirectional, state=None):
    """``(forward, backward_and_update, parameters)`` for one lucidgrad training step; the weights
    come from ``state`` (a PyTorch-named state dict of numpy arrays) when given."""
    import nn
    from autograd import Tensor

    layer = getattr(nn, kind)(features, hidden, batch_first=True, bidirectional=bidirectional)
    head = nn.Linear(hidden * (2 if bidirectional else 1), CLASSES)
    if state is not None:
        layer.load_state_dict({k[4:]: v for k, v in state.items() if k.startswith("rnn.")})
        head.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("head.")})
    parameters = layer.parameters() + head.parameters()
    optimizer = nn.optim.SGD(parameters, lr=LEARNING_RATE)
    x, labels = _data(batch, steps, features)
    inputs, loss_fn = Tensor(x), nn.losses.CrossEntropyLoss()

    def forward():
        optimizer.zero_grad()
        out, _ = layer(inputs)
        return loss_fn(head(out[:, -1]), labels)

    def backward(loss):
        loss.backward()
        optimizer.step()

    named = dict(("rnn." + n, p) for n, p in layer.named_parameters())
    named.update(("head." + n, p) for n, p in head.named_parameters())
    return forward, backward, named


def captured_step(kind, batch, steps, features, hidden, bidirectional):
    """The lucidgrad step (forward, backward and update) wrapped in ``autograd.capture``: a
    function of no arguments, recorded on its first call and replayed after."""
    from autograd import capture

    forward, backward, _ = lucidgrad_step(kind, batch, steps, features, hidden, bidirectional)

    def step():
        loss = forward()
        backward(loss)
        return loss

    return capture(step)


def torch_step(kind, batch, steps, features, hidden, bidirectional):
    """The same step in PyTorch: ``(forward, backward_and_update, module)``."""
    import torch

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(torch.nn, kind)(features, hidden, batch_first=True,
                                               bidirectional=bidirectional)
            self.head = torch.nn.Linear(hidden * (2 if bidirectional else 1), CLASSES)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    model = Classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    x, labels = _data(batch, steps, features)
    inputs, targets = torch.from_numpy(x), torch.from_numpy(labels)

    def forward():
        optimizer.zero_grad()
        return torch.nn.functional.cross_entropy(model(inputs), targets)

    def backward(loss):
        loss.backward()
        optimizer.step()

    return forward, backward, model


def check_same_computation(kind, workload):
    """Largest relative difference between the two implementations' loss and gradients."""
    import numpy as np

    t_forward, _, model = torch_step(kind, *workload)
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    forward, _, named = lucidgrad_step(kind, *workload, state=state)
    ours, theirs = forward(), t_forward()
    ours.backward()
    theirs.backward()
    worst = abs(float(ours.data) - theirs.item()) / abs(theirs.item())
    for name, p in model.named_parameters():
        reference = p.grad.numpy()
        worst = max(worst, float(np.abs(named[name].grad - reference).max()
                                 / max(np.abs(reference).max(), 1e-12)))
    return worst


def time_block(forward, backward, steps):
    """Mean seconds of the forward phase, of backward + update, and of the whole step, over
    ``steps`` consecutive steps."""
    totals = [0.0, 0.0]
    for _ in range(steps):
        start = time.perf_counter()
        loss = forward()
        middle = time.perf_counter()
        backward(loss)
        totals[0] += middle - start
        totals[1] += time.perf_counter() - middle
    forward_s, backward_s = totals[0] / steps, totals[1] / steps
    return forward_s, backward_s, forward_s + backward_s


def compare(kind, workload, rounds, steps):
    """Median (forward, backward, step) seconds of lucidgrad and PyTorch, alternating blocks."""
    import statistics

    from harness import alternate

    ours = lucidgrad_step(kind, *workload)
    theirs = torch_step(kind, *workload)
    captured = (captured_step(kind, *workload), lambda loss: None)  # one phase: the whole step
    implementations = {"lucidgrad": ours, "torch": theirs, "lucidgrad captured": captured}
    for implementation in implementations.values():  # warm up (and record the captured step)
        time_block(implementation[0], implementation[1], 3)
    blocks = alternate({name: lambda i=implementation: time_block(i[0], i[1], steps)
                        for name, implementation in implementations.items()}, rounds)
    return {name: [statistics.median(b[i] for b in times) for i in range(3)]
            for name, times in blocks.items()}


def rows_for_threads(threads, rounds, steps, check=True, quick=False):
    """Every workload at ``threads`` threads (set for PyTorch here; numpy's must already be set
    in the environment): ``[(workload, impl, seconds, is_baseline)]``."""
    import torch

    torch.set_num_threads(threads)
    rows = []
    workloads = WORKLOADS[:1] if quick else WORKLOADS
    for kind in KINDS:
        for name, *workload in workloads:
            title = f"{kind} {name} ({workload[0]}x{workload[1]}x{workload[2]}, h{workload[3]}" \
                    f"{', bidir' if workload[4] else ''}), {threads} thread{'s' * (threads > 1)}"
            if check:
                difference = check_same_computation(kind, workload)
                if difference > 1e-3:
                    raise RuntimeError(f"{title}: lucidgrad and PyTorch differ by {difference:.1e}")
            result = compare(kind, workload, rounds, steps)
            for phase, index in (("forward", 0), ("backward+update", 1), ("step", 2)):
                rows.append((f"{title}: {phase}", "torch", result["torch"][index], True))
                rows.append((f"{title}: {phase}", "lucidgrad", result["lucidgrad"][index], False))
            rows.append((f"{title}: step", "lucidgrad captured", result["lucidgrad captured"][2],
                         False))
    return rows


def _run_threads_in_child(threads, rounds, steps, quick):
    """Run one thread count in a fresh process (numpy's BLAS must see the setting at import)."""
    from harness import thread_environment

    env = thread_environment(threads)
    command = [sys.executable, __file__, "--threads", str(threads), "--rounds", str(rounds),
               "--steps", str(steps), "--rows"] + (["--quick"] if quick else [])
    result = subprocess.run(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    lines = result.stdout.splitlines()
    found = [json.loads(line[len(_ROWS_MARK):]) for line in lines if line.startswith(_ROWS_MARK)]
    if result.returncode != 0 or not found:
        raise RuntimeError(f"{threads} thread(s): " + (lines[-1] if lines else "no output"))
    return [tuple(row) for row in found[0]]


def collect(table, quick=False) -> None:
    """Add the rows of both thread counts (1 and 2) to ``table`` (for ``run_all.py``)."""
    from harness import optional_import

    if optional_import("torch") is None:
        raise RuntimeError("PyTorch is not installed (pip install torch): nothing to compare to")
    for threads in (1, 2):
        for row in _run_threads_in_child(threads, 3 if quick else 7, 5 if quick else 20, quick):
            table.add(*row)


def main(argv=None) -> None:
    from harness import Table, optional_import, print_header

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="one thread count, run in this process (default: 1 and 2, each "
                             "in a fresh process)")
    parser.add_argument("--rounds", type=int, default=7, help="alternating blocks (default 7)")
    parser.add_argument("--steps", type=int, default=20, help="steps per block (default 20)")
    parser.add_argument("--quick", action="store_true", help="the small workload only")
    parser.add_argument("--rows", action="store_true", help=argparse.SUPPRESS)  # child output
    args = parser.parse_args(argv)
    if optional_import("torch") is None:
        sys.exit("recurrent_step: PyTorch is not installed (pip install torch)")
    if args.rows:
        rows = rows_for_threads(args.threads, args.rounds, args.steps, quick=args.quick)
        print(_ROWS_MARK + json.dumps(rows), flush=True)
        return
    print_header("GRU and LSTM training steps, lucidgrad vs PyTorch CPU")
    table = Table()
    for threads in ([args.threads] if args.threads else [1, 2]):
        for row in _run_threads_in_child(threads, args.rounds, args.steps, args.quick):
            table.add(*row)
    table.print()


if __name__ == "__main__":
    main()
