"""Seed-recipe epoch time: lucidgrad's ``fit`` against the numpy floor and PyTorch, one process.

    python benchmarks/mnist_epoch.py [--epochs 3] [--data-dir DIR] [--dataset fashion-mnist]

The recipe (Dense 784->512 relu, Dense 512->10 softmax, categorical cross-entropy, RMSprop,
batch 128, float32) on the 60,000 MNIST training images, four ways: the numpy floor (preallocated
flat buffers), numpy allocating fresh arrays as the engine does (the floor's math, written the
engine's way), lucidgrad's ``fit`` and PyTorch. All of them start from the same weights and
see the same shuffled batches; the implementations take turns epoch by epoch, so a change in
machine load affects them alike. Reports the median seconds per epoch (first epoch left out),
the ratios, the test accuracy of each, and lucidgrad's peak traced memory in three further
epochs (it must not grow from one epoch to the next).
"""
import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nn  # noqa: E402
from benchmarks import mnist_baselines as base  # noqa: E402
from benchmarks.harness import Table, median, optional_import, print_header  # noqa: E402


def build_ours(params):
    """The seed recipe with ``nn``, holding copies of the shared initial weights."""
    model = nn.Sequential([nn.Dense(512, activation="relu", input_shape=(784,)),
                           nn.Dense(10, activation="softmax")])
    # nn.optim.RMSprop (eps outside the root) is the floor's and torch.optim.RMSprop's update, so
    # all four do the same work and their accuracies compare; compile(optimizer="rmsprop") would
    # be Keras's update (eps inside the root), which costs the same.
    model.compile(optimizer=nn.optim.RMSprop(), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    model.load_state_dict({"0.kernel": params["W1"], "0.bias": params["b1"],
                           "1.kernel": params["W2"], "1.bias": params["b2"]})
    return model


def _data(data_dir, limit, dataset="mnist"):
    images, labels, test_images, test_labels = base.load_mnist(data_dir, dataset)
    x, y = base.preprocess(images[:limit], labels[:limit])
    x_test, _ = base.preprocess(test_images, test_labels)
    return x, y, labels[:limit], x_test, test_labels


def measure(data_dir, epochs=3, limit=None, track_memory=True, dataset="mnist"):
    """Seconds per epoch for each implementation, their accuracies and our peak memory."""
    x, y, train_labels, x_test, test_labels = _data(data_dir, limit, dataset)
    seed = 0
    params = base.init_params(seed)
    ours = build_ours(params)
    floor_params = base.init_params(seed)
    floor_state = base.make_floor_state(floor_params)
    allocating_params = base.init_params(seed)
    allocating_state = base.make_allocating_state(allocating_params)
    torch = optional_import("torch")
    runners = {
        "numpy floor": lambda rng: base.numpy_floor_epoch(x, y, floor_params, floor_state, rng),
        "numpy, allocating": lambda rng: base.numpy_allocating_epoch(x, y, allocating_params,
                                                                     allocating_state, rng),
        "lucidgrad fit": lambda rng: ours.fit(x, y, epochs=1, batch_size=128, verbose=0,
                                               seed=int(rng.integers(2**31))),
    }
    if torch is not None:
        torch_model = base.build_torch_model(base.init_params(seed))
        torch_optimizer = base.make_torch_optimizer(torch_model)
        x_t = torch.from_numpy(x)
        labels_t = torch.from_numpy(train_labels.astype(np.int64))
        runners["PyTorch eager"] = lambda rng: base.torch_epoch(x_t, labels_t, torch_model,
                                                                 torch_optimizer, rng)
    rngs = {name: np.random.default_rng(seed) for name in runners}
    seconds = {name: [] for name in runners}
    for epoch in range(epochs):
        for name, run in runners.items():
            start = time.perf_counter()
            run(rngs[name])
            seconds[name].append(time.perf_counter() - start)
    peaks = []
    if track_memory:  # separate, untimed epochs: tracing slows every allocation down
        for _ in range(3):
            tracemalloc.start()
            runners["lucidgrad fit"](rngs["lucidgrad fit"])
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
    accuracy = {
        "numpy floor": base.numpy_accuracy(floor_params, x_test, test_labels),
        "numpy, allocating": base.numpy_accuracy(allocating_params, x_test, test_labels),
        "lucidgrad fit": float(np.mean(ours.predict(x_test, batch_size=1000).argmax(1) == test_labels)),
    }
    if torch is not None:
        accuracy["PyTorch eager"] = base.torch_accuracy(
            torch_model, torch.from_numpy(x_test), torch.from_numpy(test_labels.astype(np.int64)))
    per_epoch = {name: median(s[1:] if len(s) > 1 else s) for name, s in seconds.items()}
    return per_epoch, accuracy, peaks


def collect(table, quick=False):
    """Add the epoch-time rows to ``table`` (needs MNIST through LUCIDGRAD_DATA)."""
    data_dir = os.environ.get("LUCIDGRAD_DATA")
    if not data_dir:
        raise RuntimeError("set LUCIDGRAD_DATA to the folder holding mnist/")
    for dataset, title in (("mnist", "MNIST"), ("fashion-mnist", "Fashion-MNIST")):
        if quick and dataset != "mnist":
            continue
        per_epoch, _, _ = measure(data_dir, epochs=2 if quick else 6, dataset=dataset,
                                  limit=12_800 if quick else None, track_memory=False)
        label = f"{title} seed-recipe epoch" + (" (12,800 images)" if quick else "")
        for name, s in per_epoch.items():
            table.add(label, name, s, baseline=name == "numpy floor")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("LUCIDGRAD_DATA"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images")
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("pass --data-dir or set LUCIDGRAD_DATA")
    print_header(f"{args.dataset} seed-recipe epoch")
    per_epoch, accuracy, peaks = measure(args.data_dir, args.epochs, args.limit,
                                         dataset=args.dataset)
    table = Table()
    for name, s in per_epoch.items():
        table.add("epoch (median, first left out)", name, s, baseline=name == "numpy floor")
    table.print()
    ours = per_epoch["lucidgrad fit"]
    print(f"\nlucidgrad / numpy allocating (the engine's own cost): "
          f"{ours / per_epoch['numpy, allocating']:.2f}x")
    if "PyTorch eager" in per_epoch:
        print(f"lucidgrad / PyTorch: {ours / per_epoch['PyTorch eager']:.2f}x")
    print("test accuracy after training: " + ", ".join(f"{k} {v:.4f}" for k, v in accuracy.items()))
    print("lucidgrad peak traced memory in three more epochs (MB): " + ", ".join(f"{p / 2**20:.1f}" for p in peaks))


if __name__ == "__main__":
    main()
