"""One Transformer training step in lucidgrad and in PyTorch eager, in the same process.

Two workloads, each with the same weights and data in both libraries (checked first: the losses
and every gradient agree):

* the tiny GPT of ``nn.models.GPT`` in the CPU configuration of a well-known tiny-GPT project: 4
  layers, 4 heads, 128-dimensional embeddings, a context of 64 tokens, batch 12, vocabulary 65,
  GELU (tanh form), AdamW (lr 1e-3, beta2 0.99, weight decay 0.1), next-token cross-entropy;
* one ``TransformerEncoderLayer`` (post-norm, ReLU, dropout 0): batch 32, sequence 64, width 128,
  4 heads, feed-forward 512 (four times the width), mean squared error to random targets, Adam.

A step is timed in three parts: forward (with the loss), backward, and the optimizer (zeroing
the gradients and the update). The implementations alternate in blocks of steps, and each part's
median over all blocks is reported, with the ratio to PyTorch. Peak memory is measured in fresh
processes, one per implementation: the growth of the resident set during three steps above what
the model, the optimizer state and the data already hold after a first step.

numpy reads its BLAS thread count at import, so every thread setting runs in its own process
(``--threads 1 2``, the default); PyTorch gets the same count. Run::

    python benchmarks/transformer_step.py [--threads 1 2] [--rounds 5] [--steps 10]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the project root
sys.path.insert(0, str(Path(__file__).resolve().parent))  # harness, transformer_torch
from harness import (Table, alternate, default_threads, median, optional_import,  # noqa: E402
                     print_header, set_threads, thread_environment)

import autograd  # noqa: E402
import nn  # noqa: E402
from autograd import Tensor  # noqa: E402
from nn.models.gpt import GPT  # noqa: E402
from nn.models.language import next_token_loss  # noqa: E402

PARTS = ("forward", "backward", "optimizer")
GPT_CONFIG = {"vocab_size": 65, "context_length": 64, "num_layers": 4, "num_heads": 4,
              "embed_dim": 128, "activation": "gelu_tanh"}
GPT_BATCH = 12
ADAMW = {"lr": 1e-3, "beta2": 0.99, "weight_decay": 0.1}
ENCODER = {"batch": 32, "length": 64, "width": 128, "heads": 4, "feedforward": 512}
WORKLOADS = ("tiny GPT", "encoder layer")


# --------------------------------------------------------------------------- the two workloads
def lucidgrad_gpt(seed=0):
    """(model, optimizer, inputs, targets, loss function) of the GPT workload in lucidgrad."""
    nn.seed(seed)
    model = GPT(**GPT_CONFIG)
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, GPT_CONFIG["vocab_size"], (GPT_BATCH, GPT_CONFIG["context_length"]))
    targets = np.roll(tokens, -1, axis=1)
    optimizer = nn.optim.AdamW(model.parameters(), eps=1e-8, **ADAMW)
    return model, optimizer, tokens, targets, lambda out: next_token_loss(targets, out)


def lucidgrad_encoder(seed=0):
    """(model, optimizer, inputs, targets, loss function) of the encoder-layer workload."""
    nn.seed(seed)
    model = nn.TransformerEncoderLayer(ENCODER["width"], ENCODER["heads"], ENCODER["feedforward"],
                                       dropout=0.0, batch_first=True)
    rng = np.random.default_rng(seed)
    shape = (ENCODER["batch"], ENCODER["length"], ENCODER["width"])
    x = Tensor(rng.standard_normal(shape, dtype=np.float32))
    targets = rng.standard_normal(shape, dtype=np.float32)
    optimizer = nn.optim.Adam(model.parameters(), eps=1e-8)
    return model, optimizer, x, targets, lambda out: nn.losses.mean_squared_error(targets, out)


def torch_twin(workload, ours):
    """The PyTorch model, optimizer and data of ``workload``, with the weights of ``ours``."""
    import torch

    from transformer_torch import TorchGPT, copy_weights

    model, _, inputs, targets, _ = ours
    if workload == "tiny GPT":
        theirs = TorchGPT(**GPT_CONFIG)
        optimizer = torch.optim.AdamW(theirs.parameters(), lr=ADAMW["lr"],
                                      betas=(0.9, ADAMW["beta2"]),
                                      weight_decay=ADAMW["weight_decay"])
        tokens, labels = torch.from_numpy(inputs), torch.from_numpy(targets)

        def loss_of(logits):
            return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                     labels.reshape(-1))
    else:
        theirs = torch.nn.TransformerEncoderLayer(
            ENCODER["width"], ENCODER["heads"], ENCODER["feedforward"], dropout=0.0,
            batch_first=True)
        optimizer = torch.optim.Adam(theirs.parameters())
        tokens, goal = torch.from_numpy(inputs.data), torch.from_numpy(targets)

        def loss_of(out):
            return torch.nn.functional.mse_loss(out, goal)
    copy_weights(model, theirs)
    return theirs, optimizer, tokens, loss_of


def _timed(forward, update):
    """Seconds of ``loss = forward()``, ``loss.backward()`` and ``update()``."""
    start = time.perf_counter()
    loss = forward()
    middle = time.perf_counter()
    loss.backward()
    backward = time.perf_counter()
    update()
    return middle - start, backward - middle, time.perf_counter() - backward


def lucidgrad_step(parts):
    """One timed step of lucidgrad (``parts`` is a workload's tuple); returns the three times."""
    model, optimizer, inputs, _, loss_of = parts

    def update():
        optimizer.step()
        optimizer.zero_grad()

    return _timed(lambda: loss_of(model(inputs)), update)


def torch_step(parts):
    """One timed step of PyTorch; returns the three times."""
    model, optimizer, inputs, loss_of = parts

    def update():
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return _timed(lambda: loss_of(model(inputs)), update)


def check_twins(workload):
    """Largest difference between the two libraries' losses and gradients (relative to the
    largest gradient of each parameter) for the same weights and batch."""
    ours = lucidgrad_workload(workload)
    theirs = torch_twin(workload, ours)
    model, _, inputs, _, loss_of = ours
    loss = loss_of(model(inputs))
    loss.backward()
    torch_model, _, torch_inputs, torch_loss_of = theirs
    torch_loss = torch_loss_of(torch_model(torch_inputs))
    torch_loss.backward()
    worst = abs(loss.item() - torch_loss.item()) / abs(torch_loss.item())
    from transformer_torch import torch_name

    grads = {torch_name(name): p.grad for name, p in model.named_parameters()}
    for name, p in torch_model.named_parameters():
        theirs_grad = p.grad.numpy()
        worst = max(worst, float(np.abs(grads[name] - theirs_grad).max()
                                 / np.abs(theirs_grad).max()))
    return worst


def lucidgrad_workload(workload):
    """The lucidgrad tuple of ``workload`` (see ``lucidgrad_gpt``)."""
    return lucidgrad_gpt() if workload == "tiny GPT" else lucidgrad_encoder()


# --------------------------------------------------------------------------- timing
def compare(workload, rounds, steps, with_torch):
    """Alternate blocks of ``steps`` steps of each implementation ``rounds`` times; returns
    {implementation: {part: median seconds}}."""
    ours = lucidgrad_workload(workload)
    runs = {"lucidgrad": (lucidgrad_step, ours)}
    if with_torch:
        runs["torch"] = (torch_step, torch_twin(workload, ours))
    for step, parts in runs.values():  # warm up: allocations, lazy initialisation
        for _ in range(3):
            step(parts)
    blocks = alternate({name: lambda run=run: [run[0](run[1]) for _ in range(steps)]
                        for name, run in runs.items()}, rounds)
    times = {name: [t for block in samples for t in block] for name, samples in blocks.items()}
    return {name: {part: median([t[i] for t in samples]) for i, part in enumerate(PARTS)}
            for name, samples in times.items()}


def _resident_kib():
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def peak_step_memory(workload, implementation):
    """KiB the resident set grows above its level after one step, during three more steps
    (run in a fresh process for each implementation; Linux only)."""
    ours = lucidgrad_workload(workload)
    if implementation == "torch":
        step, parts = torch_step, torch_twin(workload, ours)
    else:
        step, parts = lucidgrad_step, ours
    step(parts)
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")  # reset the peak (VmHWM) to the current resident set
    before, _ = _resident_kib()
    for _ in range(3):
        step(parts)
    _, peak = _resident_kib()
    return peak - before


# --------------------------------------------------------------------------- processes
def _child_command(*arguments):
    return [sys.executable, str(Path(__file__).resolve()), *arguments]


def run_threads(threads, rounds, steps, with_torch, memory):
    """Run every workload at ``threads`` threads in a fresh process; returns its JSON result:
    {workload: {"times": {impl: {part: s}}, "memory_kib": {impl: KiB}, "check": float}}."""
    arguments = ["--child", "--rounds", str(rounds), "--steps", str(steps)]
    if not with_torch:
        arguments.append("--no-torch")
    result = subprocess.run(_child_command(*arguments), env=thread_environment(threads),
                            capture_output=True, text=True, check=True)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    if memory:
        implementations = ["lucidgrad"] + (["torch"] if with_torch else [])
        for workload in WORKLOADS:
            found[workload]["memory_kib"] = {}
            for implementation in implementations:
                measured = subprocess.run(
                    _child_command("--memory", workload, implementation),
                    env=thread_environment(threads), capture_output=True, text=True, check=True)
                found[workload]["memory_kib"][implementation] = int(measured.stdout.split()[-1])
    return found


def child(rounds, steps, with_torch):
    """In this process: time every workload and print one JSON line."""
    if with_torch:
        set_threads(default_threads())  # the child's environment holds the count
    result = {}
    for workload in WORKLOADS:
        result[workload] = {"times": compare(workload, rounds, steps, with_torch),
                            "check": check_twins(workload) if with_torch else None}
    print(json.dumps(result))


def add_rows(table, threads, found):
    """One row per workload, part and implementation, ratios to PyTorch."""
    for workload in WORKLOADS:
        times = found[workload]["times"]
        for part in PARTS + ("step",):
            label = f"{workload}, {part}, {threads} thread{'s' if threads > 1 else ''}"
            for implementation, parts in times.items():
                seconds = sum(parts.values()) if part == "step" else parts[part]
                table.add(label, implementation, seconds, baseline=implementation == "torch")


def report(threads, found):
    for workload in WORKLOADS:
        entry = found[workload]
        line = f"{workload}, {threads} thread(s):"
        for implementation, parts in entry["times"].items():
            total = sum(parts.values()) * 1e3
            line += (f" {implementation} {total:.1f} ms/step ("
                     + ", ".join(f"{p} {parts[p] * 1e3:.1f}" for p in PARTS) + ");")
        if "memory_kib" in entry:
            line += " peak step memory " + ", ".join(
                f"{name} {kib / 1024:.1f} MiB" for name, kib in entry["memory_kib"].items()) + ";"
        if entry.get("check") is not None:
            line += f" agrees with PyTorch to a relative {entry['check']:.1e}"
        print(line)


def collect(table, quick=False) -> None:
    """Add the rows of both workloads at 1 and 2 threads to ``table``."""
    with_torch = optional_import("torch") is not None
    for threads in (1, 2):
        found = run_threads(threads, rounds=2 if quick else 5, steps=3 if quick else 10,
                            with_torch=with_torch, memory=not quick)
        report(threads, found)
        add_rows(table, threads, found)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=5, help="blocks per implementation")
    parser.add_argument("--steps", type=int, default=10, help="steps per block")
    parser.add_argument("--no-torch", action="store_true", help="time lucidgrad only")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory runs")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--memory", nargs=2, metavar=("WORKLOAD", "IMPL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    with_torch = not args.no_torch and optional_import("torch") is not None
    if args.memory:
        set_threads(default_threads())
        print(peak_step_memory(*args.memory))
        return
    if args.child:
        child(args.rounds, args.steps, with_torch)
        return
    print_header("Transformer training steps, lucidgrad vs PyTorch eager (same process)")
    table = Table()
    for threads in args.threads:
        found = run_threads(threads, args.rounds, args.steps, with_torch, not args.no_memory)
        report(threads, found)
        add_rows(table, threads, found)
    print()
    table.print()


if __name__ == "__main__":
    main()
