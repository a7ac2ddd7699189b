"""PyTorch-style data loading: ``Dataset``, ``TensorDataset`` and ``DataLoader``, on numpy arrays.

    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    for xb, yb in loader:          # numpy arrays: (64, ...) and (64,)
        ...
    len(loader)                    # batches per pass

A loader is iterable any number of times (one pass over the data each time). Samples come from
``dataset[i]``; the default ``collate_fn`` stacks them into arrays, keeping tuples and dicts as
tuples and dicts of arrays. Over arrays with the default collation, a batch is taken with one
fancy index per array, not sample by sample.

Shuffling: each pass draws a new order. With ``seed`` the sequence of orders is reproducible
(pass k uses the k-th random stream spawned from the seed, as ``BatchIterator``); a numpy
``generator`` is drawn from directly; with neither, orders come from numpy's global generator,
which ``nn.seed`` seeds (PyTorch's default uses its global generator the same way).
"""

from __future__ import annotations

from typing import Callable, Iterator, Mapping

import numpy as np

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


class Dataset:
    """Base class of map-style datasets: define ``__len__`` and ``__getitem__(index)``."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")


class TensorDataset(Dataset):
    """Arrays sharing their first axis; sample ``i`` is the tuple ``(a[i], b[i], ...)``.

    Arrays and lists are taken as numpy arrays, ``Tensor``s as their ``.data``.
    """

    def __init__(self, *tensors) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one array")
        self.tensors = tuple(np.asarray(getattr(t, "data", t)) for t in tensors)
        shapes = ", ".join(str(t.shape) for t in self.tensors)
        if any(t.ndim == 0 for t in self.tensors):
            raise ValueError(f"TensorDataset: arrays need a first axis to index; shapes: {shapes}")
        if len({len(t) for t in self.tensors}) > 1:
            raise ValueError(f"TensorDataset: all arrays must have the same length along the "
                             f"first axis; shapes: {shapes}")

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])


def default_collate(samples: list):
    """Stack a list of samples into a batch: numbers and arrays into one array (batch axis
    first), tuples/lists and dicts field by field; strings stay a list."""
    first = samples[0]
    if isinstance(first, Mapping):
        return {key: default_collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, (tuple, list)):
        if any(len(sample) != len(first) for sample in samples):
            raise ValueError("default_collate: every sample must have the same number of fields")
        return type(first)(default_collate(list(field)) for field in zip(*samples))
    if isinstance(first, (str, bytes)):
        return list(samples)
    return np.stack([np.asarray(getattr(sample, "data", sample)) for sample in samples])


class DataLoader:
    """Mini-batches from a dataset, in order or shuffled: PyTorch's ``DataLoader``.

    ``dataset``: an object with ``__len__`` and ``__getitem__`` (a ``Dataset``, a list of
    samples), a numpy array or ``Tensor`` (a dataset of its rows: batches are arrays) or a tuple
    of them (a ``TensorDataset``: batches are tuples of arrays).
    ``batch_size`` (PyTorch's default 1; None yields single samples, uncollated), ``shuffle``,
    ``drop_last`` (skip a final short batch), ``collate_fn(list of samples) -> batch``, and for
    reproducible shuffling ``seed`` (an int) or ``generator`` (a ``numpy.random.Generator``).
    """

    def __init__(self, dataset, batch_size: int | None = 1, shuffle: bool = False, *,
                 seed: int | None = None, generator: np.random.Generator | None = None,
                 drop_last: bool = False, collate_fn: Callable | None = None) -> None:
        self.dataset = _as_dataset(dataset)
        if batch_size is not None and (isinstance(batch_size, bool) or
                                       not isinstance(batch_size, (int, np.integer)) or
                                       batch_size < 1):
            raise ValueError(f"DataLoader: batch_size must be a positive integer or None, got "
                             f"{batch_size!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: give seed or generator, not both")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(f"DataLoader: generator must be a numpy.random.Generator, got "
                            f"{type(generator).__name__}")
        for name, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"DataLoader: {name} must be True or False, got {value!r}")
        if (seed is not None or generator is not None) and not shuffle:
            raise ValueError("DataLoader: seed and generator set the shuffling order; pass "
                             "shuffle=True too")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        if batch_size is None and drop_last:
            raise ValueError("DataLoader: drop_last needs a batch_size")
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.collate_fn = collate_fn
        self.generator = generator
        self._seeds = None if seed is None else np.random.SeedSequence(seed)

    def __len__(self) -> int:
        """The number of batches in one pass."""
        count = len(self.dataset)
        if self.batch_size is None:
            return count
        full, rest = divmod(count, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator:
        """Start a pass; its order (when shuffling) is drawn now."""
        return self._batches(self._order())

    def _order(self) -> np.ndarray:
        count = len(self.dataset)
        if not self.shuffle:
            return np.arange(count)
        if self._seeds is not None:
            return np.random.default_rng(self._seeds.spawn(1)[0]).permutation(count)
        if self.generator is not None:
            return self.generator.permutation(count)
        return np.random.permutation(count)

    def _batches(self, order: np.ndarray) -> Iterator:
        dataset = self.dataset
        if self.batch_size is None:
            for index in order:
                yield dataset[int(index)]
            return
        # over arrays, default collation is one fancy index per array instead of one per sample
        take = None
        if self.collate_fn is None and isinstance(dataset, np.ndarray):
            take = dataset.__getitem__
        elif self.collate_fn is None and type(dataset) is TensorDataset:
            def take(indices):
                return tuple(a[indices] for a in dataset.tensors)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            indices = order[start:start + self.batch_size]
            if take is not None:
                yield take(indices)
            else:
                yield (self.collate_fn or default_collate)([dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (f"DataLoader({len(self.dataset)} samples, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


def _as_dataset(data):
    """A dataset from ``data``: an array (a dataset of its rows), a tuple of arrays (a
    ``TensorDataset``), or a dataset as it is."""
    if isinstance(data, tuple) and data and all(_is_array(a) for a in data):
        return TensorDataset(*data)
    if _is_array(data):
        array = np.asarray(getattr(data, "data", data))
        if array.ndim == 0:
            raise ValueError("DataLoader: a 0-dimensional array has no samples to batch")
        return array
    if not (hasattr(data, "__len__") and hasattr(data, "__getitem__")):
        raise TypeError(f"DataLoader: expected a dataset (with __len__ and __getitem__), an "
                        f"array or a tuple of arrays, got {type(data).__name__}")
    return data


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) or isinstance(getattr(value, "data", None), np.ndarray)
