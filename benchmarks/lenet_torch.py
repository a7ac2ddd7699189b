"""PyTorch CPU reference for one LeNet-like training step (batch 128, 28x28 single-channel images).

The network and data are described in lenet_architecture.py. A step is zero-grad, forward, loss,
backward and one optimizer update, on random data.

Run ``python benchmarks/lenet_torch.py``; see harness.py about thread settings.
"""

from __future__ import annotations

import argparse

if __package__:
    from .harness import Table, default_threads, median, print_header, time_call
    from .lenet_architecture import (BATCH_SIZE, CLASSES, CONVOLUTIONS, DENSES, IMAGE_SIDE,
                                     KERNEL_SIDE, POOL_SIZE)
else:
    from harness import Table, default_threads, median, print_header, time_call
    from lenet_architecture import (BATCH_SIZE, CLASSES, CONVOLUTIONS, DENSES, IMAGE_SIDE,
                                    KERNEL_SIDE, POOL_SIZE)

import torch
from torch import nn


def build_lenet() -> nn.Sequential:
    """The LeNet-like network, with PyTorch's default initialisation."""
    layers = []
    for _, in_channels, out_channels in CONVOLUTIONS:
        layers += [nn.Conv2d(in_channels, out_channels, kernel_size=KERNEL_SIDE), nn.ReLU(),
                   nn.MaxPool2d(POOL_SIZE)]
    layers.append(nn.Flatten())
    for _, in_features, out_features in DENSES:
        layers += [nn.Linear(in_features, out_features), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the logits


def make_optimizer(model: nn.Module, name: str) -> torch.optim.Optimizer:
    """Plain SGD (lr 0.01), SGD with momentum 0.9, or Adam (lr 1e-3) over the model's
    parameters."""
    if name == "sgd":
        return torch.optim.SGD(model.parameters(), lr=0.01)
    if name == "sgd_momentum":
        return torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=1e-3)
    raise ValueError(f"unknown optimizer {name!r}; expected 'sgd', 'sgd_momentum' or 'adam'")


def torch_lenet_step_ms(threads: int, steps: int = 50, optimizer: str = "sgd_momentum",
                        batch_size: int = BATCH_SIZE, warmup: int = 10, seed: int = 0) -> float:
    """Median milliseconds of one LeNet training step on random data, using `threads` threads.

    `optimizer` is "sgd", "sgd_momentum" or "adam". PyTorch's previous thread count is restored
    afterwards.
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.random.fork_rng():  # seed the weights without touching the caller's RNG
            torch.manual_seed(seed)
            images = torch.randn(batch_size, 1, IMAGE_SIDE, IMAGE_SIDE)
            labels = torch.randint(0, CLASSES, (batch_size,))
            model = build_lenet()
        opt = make_optimizer(model, optimizer)

        def step() -> None:
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(images), labels)
            loss.backward()
            opt.step()

        return median(time_call(step, repeat=steps, warmup=warmup)) * 1e3
    finally:
        torch.set_num_threads(previous_threads)


def main(argv=None) -> None:
    """Print the median step time for each optimizer, with one thread and with the default count."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--threads", type=int, default=default_threads(),
                        help="PyTorch intra-op threads (default: $OMP_NUM_THREADS, else all CPUs)")
    args = parser.parse_args(argv)

    print_header(f"LeNet-like training step, batch {BATCH_SIZE}, PyTorch CPU eager")
    table = Table()
    for optimizer in ("sgd", "adam"):
        workload = f"lenet step ({optimizer})"
        for threads in sorted({args.threads, 1}, reverse=True):
            ms = torch_lenet_step_ms(threads, steps=args.steps, optimizer=optimizer)
            print(f"{workload}: {threads} thread(s) {ms:.2f} ms/step")
            table.add(workload, f"torch, {threads} thread(s)", ms / 1e3)
    print()
    table.print()


if __name__ == "__main__":
    main()
