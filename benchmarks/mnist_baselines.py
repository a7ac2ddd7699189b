"""Reference trainers for the seed MNIST recipe, to compare lucidgrad's own training against.

The recipe: Dense(784->512, relu), Dense(512->10, softmax), categorical cross-entropy, RMSprop
(lr=1e-3, rho=0.9, eps=1e-7, eps outside the square root as in torch.optim.RMSprop and
nn.optim.RMSprop; `lucidgrad train` compiles Keras's, eps inside, see the PyTorch section),
Glorot-uniform kernels, zero biases, batch 128, float32, a fresh shuffle every epoch. Two
implementations of exactly that math:

* `numpy_floor_epoch`: hand-written numpy, as fast as numpy allows ("the floor"),
* `torch_epoch`: PyTorch CPU eager with nn.Linear and torch.optim.RMSprop.

Both consume the same initial weights (`init_params`) and, given generators with the same seed, the
same batch order. `matmul_only_epoch_seconds` times the matrix products alone: the floor's floor.

Run::

    python benchmarks/mnist_baselines.py --data-dir DATA --epochs 3

with the same OMP_NUM_THREADS / OPENBLAS_NUM_THREADS for every implementation (see harness.py).
"""

from __future__ import annotations

import argparse
import gzip
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

if __package__:
    from .harness import Table, default_threads, median, optional_import, print_header, set_threads
else:
    from harness import Table, default_threads, median, optional_import, print_header, set_threads

INPUTS, HIDDEN, CLASSES = 784, 512, 10
BATCH_SIZE = 128
LEARNING_RATE, RHO, EPSILON = 1e-3, 0.9, 1e-7
PARAM_SHAPES = {"W1": (INPUTS, HIDDEN), "b1": (HIDDEN,), "W2": (HIDDEN, CLASSES), "b2": (CLASSES,)}

# --------------------------------------------------------------------------- data


def read_idx(path: Path, header_bytes: int) -> np.ndarray:
    """Read a gzip-compressed IDX file as a flat uint8 array, skipping its header."""
    with gzip.open(path, "rb") as handle:
        return np.frombuffer(handle.read(), dtype=np.uint8, offset=header_bytes)


def load_mnist(data_dir: str | os.PathLike, dataset: str = "mnist") -> tuple[np.ndarray, ...]:
    """Return (train_images, train_labels, test_images, test_labels) as uint8 arrays.

    Images come back as (n, 784) rows; the files are read from `<data_dir>/<dataset>/`
    (``mnist`` or ``fashion-mnist``: both are 28x28 images in ten classes, in the same format).
    """
    folder = Path(data_dir) / dataset
    images = {split: read_idx(folder / f"{split}-images-idx3-ubyte.gz", 16).reshape(-1, INPUTS)
              for split in ("train", "t10k")}
    labels = {split: read_idx(folder / f"{split}-labels-idx1-ubyte.gz", 8)
              for split in ("train", "t10k")}
    return images["train"], labels["train"], images["t10k"], labels["t10k"]


def preprocess(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale pixels to float32 in [0, 1] and one-hot encode the labels as float32."""
    x = images.astype(np.float32) / np.float32(255.0)
    y_onehot = np.zeros((len(labels), CLASSES), dtype=np.float32)
    y_onehot[np.arange(len(labels)), labels] = 1.0
    return x, y_onehot


# --------------------------------------------------------------------------- parameters


def glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """A (fan_in, fan_out) float32 kernel from U(-l, l), l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def init_params(seed: int = 0) -> dict[str, np.ndarray]:
    """Initial weights of the recipe: Glorot-uniform kernels (inputs x outputs), zero biases."""
    rng = np.random.default_rng(seed)
    return {
        "W1": glorot_uniform(rng, INPUTS, HIDDEN),
        "b1": np.zeros(HIDDEN, dtype=np.float32),
        "W2": glorot_uniform(rng, HIDDEN, CLASSES),
        "b2": np.zeros(CLASSES, dtype=np.float32),
    }


# --------------------------------------------------------------------------- numpy floor


def _flat_views(flat: np.ndarray) -> dict[str, np.ndarray]:
    """Views of a flat buffer shaped like the parameters, laid out in PARAM_SHAPES order."""
    views, start = {}, 0
    for name, shape in PARAM_SHAPES.items():
        size = int(np.prod(shape))
        views[name] = flat[start:start + size].reshape(shape)
        start += size
    return views


@dataclass
class FloorState:
    """The floor's RMSprop accumulator and every work buffer, allocated once.

    Parameters, gradients and the accumulator each live in one flat float32 buffer, so the
    optimizer touches all four parameters with a single ufunc call per pass over memory.
    """

    batch_size: int
    flat_params: np.ndarray
    flat_grads: np.ndarray
    square_avg: np.ndarray  # Keras's s divided by (1 - rho); see _rmsprop_update
    scratch: np.ndarray
    grads: dict[str, np.ndarray]
    hidden: np.ndarray
    relu_zeros: np.ndarray
    relu_mask: np.ndarray
    logits: np.ndarray
    d_hidden: np.ndarray
    row_stat: np.ndarray
    ones: np.ndarray
    w2_transposed: np.ndarray


def make_floor_state(params: dict[str, np.ndarray], batch_size: int = BATCH_SIZE) -> FloorState:
    """Allocate the floor's buffers and pack `params` into one flat buffer.

    The arrays in `params` are replaced in place by views of that buffer (same values), so the
    dict keeps showing the current weights while `numpy_floor_epoch` trains them.
    """
    total = sum(int(np.prod(shape)) for shape in PARAM_SHAPES.values())
    flat_params = np.empty(total, dtype=np.float32)
    for name, view in _flat_views(flat_params).items():
        view[...] = params[name]
        params[name] = view
    flat_grads = np.zeros(total, dtype=np.float32)

    def activations(width: int) -> np.ndarray:
        return np.zeros((batch_size, width), dtype=np.float32)

    return FloorState(
        batch_size=batch_size,
        flat_params=flat_params,
        flat_grads=flat_grads,
        square_avg=np.zeros(total, dtype=np.float32),
        scratch=np.empty(total, dtype=np.float32),
        grads=_flat_views(flat_grads),
        hidden=activations(HIDDEN),
        relu_zeros=activations(HIDDEN),
        relu_mask=activations(HIDDEN),
        logits=activations(CLASSES),
        d_hidden=activations(HIDDEN),
        row_stat=activations(1),
        ones=np.ones(batch_size, dtype=np.float32),
        w2_transposed=np.empty((CLASSES, HIDDEN), dtype=np.float32),
    )


# RMSprop with as few passes over memory as numpy allows. Keras's update is
#     s = rho*s + (1-rho)*g^2;   w -= lr * g / (sqrt(s) + eps).
# Storing a = s / (1 - rho) turns the first line into a = rho*a + g^2, one pass shorter; since
# sqrt(s) = sqrt(1-rho) * sqrt(a), the second line becomes w -= lr' * g / (sqrt(a) + eps') with
# lr' = lr / sqrt(1-rho) and eps' = eps / sqrt(1-rho): the same math, eight passes in all.
_SCALED_LR = np.float32(LEARNING_RATE / np.sqrt(1.0 - RHO))
_SCALED_EPSILON = np.float32(EPSILON / np.sqrt(1.0 - RHO))
_RHO = np.float32(RHO)


def _rmsprop_update(params: np.ndarray, grads: np.ndarray, square_avg: np.ndarray,
                    scratch: np.ndarray) -> None:
    """One RMSprop step over float32 buffers (the floor passes flat ones), in place, in eight
    elementwise passes."""
    np.multiply(grads, grads, out=scratch)
    np.multiply(square_avg, _RHO, out=square_avg)
    np.add(square_avg, scratch, out=square_avg)
    np.sqrt(square_avg, out=scratch)
    np.add(scratch, _SCALED_EPSILON, out=scratch)
    np.divide(grads, scratch, out=scratch)
    np.multiply(scratch, _SCALED_LR, out=scratch)
    np.subtract(params, scratch, out=params)


def _floor_step(x_batch: np.ndarray, y_batch: np.ndarray, params: dict[str, np.ndarray],
                state: FloorState) -> float:
    """Forward, backward and RMSprop update on one batch; returns the batch's summed loss."""
    rows = len(x_batch)
    grads = state.grads
    hidden, logits, d_hidden = state.hidden[:rows], state.logits[:rows], state.d_hidden[:rows]
    row_stat, mask = state.row_stat[:rows], state.relu_mask[:rows]

    # Forward. maximum() against a zero array is several times faster than against the scalar 0.
    np.matmul(x_batch, params["W1"], out=hidden)
    np.add(hidden, params["b1"], out=hidden)
    np.maximum(hidden, state.relu_zeros[:rows], out=hidden)
    np.matmul(hidden, params["W2"], out=logits)
    np.add(logits, params["b2"], out=logits)

    # Softmax and cross-entropy from shifted logits: loss_i = log(sum_j exp z_ij) - z_i,label.
    np.max(logits, axis=1, keepdims=True, out=row_stat)
    np.subtract(logits, row_stat, out=logits)
    true_class_logits = float(np.vdot(y_batch, logits))
    np.exp(logits, out=logits)
    np.sum(logits, axis=1, keepdims=True, out=row_stat)
    loss_sum = float(np.log(row_stat).sum()) - true_class_logits

    # Fused softmax + cross-entropy gradient, (p - y) / rows, written over the logits buffer.
    np.divide(logits, row_stat, out=logits)
    np.subtract(logits, y_batch, out=logits)
    np.multiply(logits, np.float32(1.0 / rows), out=logits)
    d_logits = logits

    # Backward; bias gradients are column sums, done as matrix-vector products with ones.
    ones = state.ones[:rows]
    np.matmul(hidden.T, d_logits, out=grads["W2"])
    np.matmul(ones, d_logits, out=grads["b2"])
    np.copyto(state.w2_transposed, params["W2"].T)  # a contiguous copy makes the product 2x faster
    np.matmul(d_logits, state.w2_transposed, out=d_hidden)
    np.greater(hidden, 0, out=mask, casting="unsafe")
    np.multiply(d_hidden, mask, out=d_hidden)
    np.matmul(x_batch.T, d_hidden, out=grads["W1"])
    np.matmul(ones, d_hidden, out=grads["b1"])

    _rmsprop_update(state.flat_params, state.flat_grads, state.square_avg, state.scratch)
    return loss_sum


def numpy_floor_epoch(x: np.ndarray, y_onehot: np.ndarray, params: dict[str, np.ndarray],
                      state: FloorState, rng: np.random.Generator) -> float:
    """Train one shuffled epoch with hand-written numpy; returns the epoch's mean training loss.

    `params` must be the dict passed to `make_floor_state` (its arrays are updated in place);
    `x` is (n, 784) float32, `y_onehot` (n, 10) float32. The batch order is `rng.permutation(n)`.
    """
    n = len(x)
    order = rng.permutation(n)
    total_loss = 0.0
    for start in range(0, n, state.batch_size):
        batch = order[start:start + state.batch_size]
        total_loss += _floor_step(x[batch], y_onehot[batch], params, state)
    return total_loss / n


# --------------------------------------------------------------------------- numpy, allocating
#
# The same step written the way the engine executes it: every forward result, every gradient and
# every temporary is a fresh array, and RMSprop updates each parameter on its own, in place with a
# scratch array per parameter (as nn.optim does). Timing it beside the floor and lucidgrad splits
# lucidgrad's gap to the floor into what this way of computing costs (this versus the floor) and
# what the engine's bookkeeping costs (lucidgrad versus this).


def make_allocating_state(params: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per parameter: its RMSprop accumulator (a discounted sum of squared gradients, as the
    floor's) and a scratch array."""
    return {name: (np.zeros_like(value), np.empty_like(value)) for name, value in params.items()}


def _allocating_step(x_batch, y_batch, params, optimizer_state) -> float:
    """Forward, backward and per-parameter RMSprop on fresh arrays; returns the summed loss."""
    rows = len(x_batch)
    hidden = x_batch @ params["W1"]
    hidden += params["b1"]
    active = np.maximum(hidden, np.zeros_like(hidden))
    logits = active @ params["W2"]
    logits += params["b2"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    totals = exp.sum(axis=1, keepdims=True)
    loss_sum = float((np.log(totals) - (y_batch * shifted).sum(axis=1, keepdims=True)).sum())
    d_logits = (exp / totals - y_batch) * np.float32(1.0 / rows)
    ones = np.ones(rows, dtype=np.float32)
    grads = {"W2": active.T @ d_logits, "b2": ones @ d_logits}
    d_hidden = (d_logits @ params["W2"].T) * (hidden > 0)
    grads["W1"] = x_batch.T @ d_hidden
    grads["b1"] = ones @ d_hidden
    for name, grad in grads.items():
        _rmsprop_update(params[name], grad, *optimizer_state[name])
    return loss_sum


def numpy_allocating_epoch(x: np.ndarray, y_onehot: np.ndarray, params: dict[str, np.ndarray],
                           optimizer_state: dict, rng: np.random.Generator) -> float:
    """One shuffled epoch of `_allocating_step` (batch order `rng.permutation(n)`, as the floor);
    returns the epoch's mean training loss. `params` are updated in place."""
    n = len(x)
    order = rng.permutation(n)
    total_loss = 0.0
    for start in range(0, n, BATCH_SIZE):
        batch = order[start:start + BATCH_SIZE]
        total_loss += _allocating_step(x[batch], y_onehot[batch], params, optimizer_state)
    return total_loss / n


def numpy_accuracy(params: dict[str, np.ndarray], x: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows of `x` whose predicted class equals `labels`."""
    hidden = np.maximum(x @ params["W1"] + params["b1"], 0)
    logits = hidden @ params["W2"] + params["b2"]
    return float(np.mean(logits.argmax(axis=1) == labels))


def matmul_only_epoch_seconds(n: int, batch_size: int = BATCH_SIZE, repeat: int = 3) -> float:
    """Median seconds of one epoch's matrix products alone, on preallocated arrays.

    Each batch runs the floor's five products back to back (two forward, three backward) on
    arrays of the same shapes, including the smaller last batch; nothing else is timed.
    """
    rng = np.random.default_rng(0)

    def random(*shape: int) -> np.ndarray:
        return rng.standard_normal(shape, dtype=np.float32)

    x, logits = random(batch_size, INPUTS), random(batch_size, CLASSES)
    hidden, d_hidden = random(batch_size, HIDDEN), random(batch_size, HIDDEN)
    w1, w2, w2_t = random(INPUTS, HIDDEN), random(HIDDEN, CLASSES), random(CLASSES, HIDDEN)
    g1, g2 = random(INPUTS, HIDDEN), random(HIDDEN, CLASSES)
    sizes = [min(batch_size, n - start) for start in range(0, n, batch_size)]

    def epoch() -> None:
        for rows in sizes:
            np.matmul(x[:rows], w1, out=hidden[:rows])
            np.matmul(hidden[:rows], w2, out=logits[:rows])
            np.matmul(hidden[:rows].T, logits[:rows], out=g2)
            np.matmul(logits[:rows], w2_t, out=d_hidden[:rows])
            np.matmul(x[:rows].T, d_hidden[:rows], out=g1)

    epoch()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - start)
    return median(times)


# --------------------------------------------------------------------------- PyTorch
#
# RMSprop epsilon placement: torch.optim.RMSprop computes w -= lr * g / (sqrt(v) + eps), eps
# outside the square root, which is exactly the floor's update (and tf.keras 2.x's without
# momentum, and nn.optim.RMSprop's), so the implementations agree to float32 rounding. Keras 3
# (and lucidgrad's optimizer='rmsprop', as the seed recipe compiles it) instead divides by
# sqrt(v + eps), eps inside the root: its denominator never drops below sqrt(1e-7) ~ 3e-4, so it
# takes noticeably smaller steps wherever v is below about 1e-6. torch calls rho "alpha".


def build_torch_model(params: dict[str, np.ndarray]):
    """nn.Sequential(Linear, ReLU, Linear) holding copies of `params` (torch keeps W transposed)."""
    torch = optional_import("torch")
    model = torch.nn.Sequential(
        torch.nn.Linear(INPUTS, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, CLASSES))
    with torch.no_grad():
        for layer, (weight, bias) in ((model[0], ("W1", "b1")), (model[2], ("W2", "b2"))):
            layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(params[weight].T)))
            layer.bias.copy_(torch.from_numpy(params[bias]))
    return model


def make_torch_optimizer(model):
    """torch.optim.RMSprop configured like the recipe's Keras RMSprop."""
    torch = optional_import("torch")
    return torch.optim.RMSprop(model.parameters(), lr=LEARNING_RATE, alpha=RHO, eps=EPSILON)


def torch_epoch(x, labels, model, optimizer, rng: np.random.Generator,
                batch_size: int = BATCH_SIZE) -> float:
    """Train one shuffled epoch in PyTorch eager; returns the epoch's mean training loss.

    `x` is a float32 tensor (n, 784), `labels` an int64 tensor (n,); the batch order is
    `rng.permutation(n)`, so a generator seeded like the floor's gives the floor's batches.
    """
    torch = optional_import("torch")
    cross_entropy = torch.nn.functional.cross_entropy
    n = len(x)
    order = torch.from_numpy(rng.permutation(n))
    total_loss = 0.0
    for start in range(0, n, batch_size):
        batch = order[start:start + batch_size]
        loss = cross_entropy(model(x[batch]), labels[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(batch)
    return total_loss / n


def torch_accuracy(model, x, labels) -> float:
    """Fraction of rows of tensor `x` whose predicted class equals tensor `labels`."""
    torch = optional_import("torch")
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == labels).float().mean())


# --------------------------------------------------------------------------- command line


@dataclass
class RunResult:
    """What one implementation's training run produced."""

    epoch_seconds: list[float]
    final_loss: float
    test_accuracy: float

    @property
    def seconds_per_epoch(self) -> float:
        """Median epoch time, leaving out the first epoch when there are at least two."""
        timed = self.epoch_seconds[1:] if len(self.epoch_seconds) >= 2 else self.epoch_seconds
        return median(timed)


def run_epochs(train_one_epoch, epochs: int) -> tuple[list[float], float]:
    """Call `train_one_epoch()` `epochs` times; return the seconds of each and the last loss."""
    seconds, loss = [], float("nan")
    for _ in range(epochs):
        start = time.perf_counter()
        loss = train_one_epoch()
        seconds.append(time.perf_counter() - start)
    return seconds, loss


def run_numpy_floor(data, epochs: int, seed: int) -> RunResult:
    """Train the numpy floor on `data` = (x, y_onehot, x_test, test_labels)."""
    x, y_onehot, x_test, test_labels = data
    params = init_params(seed)
    state = make_floor_state(params)
    rng = np.random.default_rng(seed)
    seconds, loss = run_epochs(lambda: numpy_floor_epoch(x, y_onehot, params, state, rng), epochs)
    return RunResult(seconds, loss, numpy_accuracy(params, x_test, test_labels))


def run_torch(data, train_labels: np.ndarray, epochs: int, seed: int) -> RunResult:
    """Train the PyTorch reference on the same data, initial weights and batch order."""
    torch = optional_import("torch")
    x, _, x_test, test_labels = data
    model = build_torch_model(init_params(seed))
    optimizer = make_torch_optimizer(model)
    x_t, labels_t = torch.from_numpy(x), torch.from_numpy(train_labels.astype(np.int64))
    rng = np.random.default_rng(seed)
    seconds, loss = run_epochs(lambda: torch_epoch(x_t, labels_t, model, optimizer, rng), epochs)
    test_labels_t = torch.from_numpy(test_labels.astype(np.int64))
    return RunResult(seconds, loss, torch_accuracy(model, torch.from_numpy(x_test), test_labels_t))


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options of the MNIST baseline benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default=os.environ.get("LUCIDGRAD_DATA"),
                        help="folder holding mnist/*.gz (default: $LUCIDGRAD_DATA)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--threads", type=int, default=default_threads(),
                        help="PyTorch intra-op threads (default: $OMP_NUM_THREADS, else all CPUs)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not args.data_dir:
        parser.error("pass --data-dir or set LUCIDGRAD_DATA")
    return args


def print_result(name: str, result: RunResult) -> None:
    """One line per implementation: epoch times, loss and accuracy."""
    epochs = ", ".join(f"{s:.3f}" for s in result.epoch_seconds)
    print(f"{name:<12} {result.seconds_per_epoch:.3f} s/epoch  (epochs: {epochs})  "
          f"final train loss {result.final_loss:.4f}  test accuracy {result.test_accuracy:.4f}")


def main(argv=None) -> None:
    """Load MNIST, train each implementation, and print timings, losses and accuracies."""
    args = parse_args(argv)
    set_threads(args.threads)
    print_header("MNIST MLP baselines (784-512-10, RMSprop, batch 128)")
    train_images, train_labels, test_images, test_labels = load_mnist(args.data_dir)
    if args.limit:
        train_images, train_labels = train_images[:args.limit], train_labels[:args.limit]
    x, y_onehot = preprocess(train_images, train_labels)
    x_test, _ = preprocess(test_images, test_labels)
    data = (x, y_onehot, x_test, test_labels)
    epochs = f"{args.epochs} epoch" + "s" * (args.epochs != 1)
    print(f"train {len(x)} images, test {len(x_test)}, {epochs}\n")

    table = Table()
    workload = f"mnist epoch ({len(x)} images)"
    floor = run_numpy_floor(data, args.epochs, args.seed)
    print_result("numpy floor", floor)
    table.add(workload, "numpy floor", floor.seconds_per_epoch, baseline=True)
    reference = None
    if optional_import("torch") is not None:
        reference = run_torch(data, train_labels, args.epochs, args.seed)
        print_result("torch", reference)
        table.add(workload, "torch eager", reference.seconds_per_epoch)
    else:
        print("torch        not installed, skipped")
    table.add(workload, "matmuls only", matmul_only_epoch_seconds(len(x)))
    print()
    table.print()
    if reference is not None:
        ratio = reference.seconds_per_epoch / floor.seconds_per_epoch
        print(f"\ntorch / numpy floor: {ratio:.2f}")


if __name__ == "__main__":
    main()
