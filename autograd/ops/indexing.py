"""Indexing: ``x[index]`` and its adjoint, scatter-add.

The gradient of a gather is a scatter-add of ``g`` into zeros of the input's shape: repeated
integer indices accumulate. The gradient of the scatter-add is the gather again, so both are
differentiable any number of times.
"""
import numpy as np

from ..node import Node
from ..primitive import primitive

__all__ = ["getitem", "scatter_add", "normalize_index"]


def normalize_index(index):
    """Replace Tensors and lists inside an index by numpy arrays (hashable-free, numpy-ready)."""
    if isinstance(index, tuple):
        return tuple(normalize_index(i) for i in index)
    if isinstance(index, Node):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index):
    parts = index if isinstance(index, tuple) else (index,)
    return all(p is None or p is Ellipsis or isinstance(p, (slice, int, np.integer)) for p in parts)


def _has_repeats_possible(index):
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, np.ndarray) and p.dtype != np.bool_ for p in parts)


@primitive
def getitem(x, index):
    """``x[index]``: slices, integers, integer arrays, boolean masks, None and Ellipsis."""
    try:
        return x[normalize_index(index)]
    except IndexError as error:
        raise IndexError(f"getitem: {error} (tensor shape {np.shape(x)})") from None


getitem.defvjp(lambda g, ans, x, index: scatter_add(g, index, x.shape))


@primitive
def scatter_add(g, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    out = np.zeros(shape, dtype=np.result_type(g))
    index = normalize_index(index)  # lists too: a repeated position must accumulate
    if _has_repeats_possible(index):
        np.add.at(out, index, g)
    else:
        out[index] = g
    return out


scatter_add.defvjp(lambda g, ans, x, index, shape: getitem(g, index))
