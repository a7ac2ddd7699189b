"""One-hot encoding of labels and mini-batch iteration over numpy arrays."""

from __future__ import annotations

from typing import Iterator

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from autograd import one_hot

__all__ = ["to_categorical", "batches", "BatchIterator"]


def to_categorical(
    y: ArrayLike, num_classes: int | None = None, dtype: DTypeLike = "float32"
) -> np.ndarray:
    """One-hot encode integer class labels, like ``keras.utils.to_categorical``.

    The result has shape ``y.shape + (num_classes,)``, except that a trailing axis of size 1 in
    a label array of two or more dimensions is dropped first: (n, 1) labels give (n, num_classes).
    ``num_classes`` defaults to ``max(y) + 1``. Raises ValueError for labels that are not integers
    (integral floats are accepted) or that fall outside ``[0, num_classes)``.
    """
    labels = np.asarray(y)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or np.any(labels != np.round(labels)):
            raise ValueError("to_categorical needs integer class labels, got non-integral values")
        labels = labels.astype(np.int64)
    elif labels.dtype.kind not in "iub":
        raise ValueError(f"to_categorical needs integer class labels, got dtype {labels.dtype}")

    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    flat = labels.reshape(-1).astype(np.int64)

    if num_classes is None:
        if flat.size == 0:
            raise ValueError("cannot infer num_classes from an empty label array; pass num_classes")
        num_classes = int(flat.max()) + 1
    elif not _is_positive_int(num_classes):
        raise ValueError(f"num_classes must be a positive integer, got {num_classes!r}")

    try:
        return one_hot(flat, int(num_classes), dtype=dtype).reshape(shape + (num_classes,))
    except ValueError as error:
        raise ValueError(f"to_categorical: {error}") from None


class BatchIterator:
    """Mini-batches over arrays that share their first dimension; iterable any number of times.

    Each pass yields tuples ``(a[i], b[i], ...)`` of corresponding slices, in order, or in a new
    random order per pass when ``shuffle`` is true. Given a ``seed``, the sequence of orders is
    reproducible: pass *k* always uses the *k*-th random stream spawned from the seed. With
    ``drop_last`` a final batch smaller than ``batch_size`` is skipped.
    """

    def __init__(
        self,
        *arrays: ArrayLike,
        batch_size: int = 32,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
    ) -> None:
        if not arrays:
            raise ValueError("BatchIterator needs at least one array")
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.arrays = tuple(np.asarray(a) for a in arrays)
        if any(a.ndim == 0 for a in self.arrays):
            raise ValueError(f"cannot batch 0-dimensional arrays; shapes: {self._shapes()}")
        if len({len(a) for a in self.arrays}) > 1:
            raise ValueError(
                f"all arrays must have the same first dimension; shapes: {self._shapes()}"
            )
        for name, value in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(value, (bool, np.bool_)):
                raise TypeError(f"BatchIterator: {name} must be True or False, got {value!r}")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self._seeds = np.random.SeedSequence(seed)

    @property
    def num_samples(self) -> int:
        """Number of samples (length of the first dimension) of the arrays."""
        return len(self.arrays[0])

    def __len__(self) -> int:
        """Number of batches in one pass."""
        full, rest = divmod(self.num_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        """Start a new pass; when shuffling, its order is drawn now, not on the first batch."""
        order = None
        if self.shuffle:
            rng = np.random.default_rng(self._seeds.spawn(1)[0])
            order = rng.permutation(self.num_samples)
        return self._generate(order)

    def _generate(self, order: np.ndarray | None) -> Iterator[tuple[np.ndarray, ...]]:
        """Yield the batches of one pass; without an ``order``, batches are views (no copies)."""
        for index in range(len(self)):
            start = index * self.batch_size
            stop = start + self.batch_size
            if order is None:
                yield tuple(a[start:stop] for a in self.arrays)
            else:
                rows = order[start:stop]
                yield tuple(a[rows] for a in self.arrays)

    def _shapes(self) -> str:
        """The arrays' shapes, for error messages."""
        return ", ".join(str(a.shape) for a in self.arrays)


def batches(
    *arrays: ArrayLike,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    drop_last: bool = False,
) -> BatchIterator:
    """Return a ``BatchIterator`` over ``arrays``; see that class for the details.

    Typical use: ``for x_batch, y_batch in batches(x, y, batch_size=64, shuffle=True, seed=0): ...``
    """
    return BatchIterator(
        *arrays, batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last
    )


def _is_positive_int(value: object) -> bool:
    """True for a positive Python or numpy integer (booleans excluded)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1
