"""Indexing: ``x[index]`` and its adjoint, scatter-add, and the sequence helpers built on them.

The gradient of a gather is a scatter-add of ``g`` into zeros of the input's shape: repeated
integer indices accumulate. The gradient of the scatter-add is the gather again, so both are
differentiable any number of times.

A gather's VJP hands back its gradient in pieces (``GradientPieces``) rather than as zeros of
the input's shape: the pieces of all the gathers from one tensor (the steps of a sequence read
one at a time, an embedding looked up twice) are scatter-added into a single buffer once they
have all arrived.
"""
import numpy as np

from ..engine import GradientPieces
from ..node import Node
from ..primitive import primitive, primitive_vjp_all, raw
from .elementwise import where

__all__ = ["getitem", "scatter_add", "take", "embedding_lookup", "unstack"]


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


getitem.defvjp(lambda g, ans, x, index: GradientPieces(x.shape, [(index, g)], _assemble))


def _scatter_forward(*values, shape, indices):
    out = np.zeros(shape, dtype=np.result_type(*values), like=np.asanyarray(values[0]))
    for index, value in zip(indices, values):
        index = normalize_index(index)  # lists too: a repeated position must accumulate
        if _has_repeats_possible(index):
            np.add.at(out, index, value)
        else:
            out[index] += value
    return out


def _scatter_vjp(g, ans, values, needs, shape, indices):
    return [getitem(g, indices[i]) for i in needs]


_scatter = primitive_vjp_all(_scatter_forward, _scatter_vjp, name="scatter_add")


def _assemble(shape, pieces):
    """One scatter-add of all the ``(index, values)`` pieces into zeros of ``shape``."""
    return _scatter(*(values for _, values in pieces), shape=shape,
                    indices=tuple(index for index, _ in pieces))


def scatter_add(g, index, shape):
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices accumulate)."""
    return _scatter(g, shape=tuple(shape), indices=(index,))


def take(x, indices, axis=0):
    """The entries of ``x`` at integer ``indices`` along ``axis`` (an embedding lookup for
    ``axis=0``); the result has shape ``x.shape[:axis] + indices.shape + x.shape[axis + 1:]``.
    Repeated indices receive the sum of their gradients."""
    indices = normalize_index(indices)
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"take: indices must be integers, got dtype {indices.dtype}")
    shape = np.shape(x.data if isinstance(x, Node) else x)
    if not shape:
        raise ValueError("take: cannot index a 0-d tensor")
    axis = _axis_in_range("take", axis, len(shape))
    size = shape[axis]
    if indices.size and (indices.min() < -size or indices.max() >= size):
        raise IndexError(f"take: indices must lie in [{-size}, {size}) for axis {axis} of shape "
                         f"{shape}, got values from {indices.min()} to {indices.max()}")
    return getitem(x, (slice(None),) * axis + (indices,))


def checked_token_ids(ids, rows, where):
    """The numpy array ``ids`` as int64, checked: whole numbers (floats holding them too, as a
    model's float input does) in [0, rows). Errors begin with ``where`` (the op or layer)."""
    if ids.dtype.kind == "f":
        if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)):
            raise TypeError(f"{where}: token ids must be whole numbers, got non-integral "
                            f"{ids.dtype} values (input shape {ids.shape})")
    elif ids.dtype.kind not in "iu":
        raise TypeError(f"{where}: token ids must be integers, got dtype {ids.dtype} "
                        f"(input shape {ids.shape})")
    ids = ids.astype(np.int64, copy=False)
    if ids.size:
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= rows:
            raise IndexError(f"{where}: token ids must lie in [0, {rows}), got values from {low} "
                             f"to {high} (input shape {ids.shape})")
    return ids


@primitive
def embedding_lookup(table, ids, padding_idx=None):
    """The rows of ``table`` (rows, dim) at the token ``ids`` (any shape; whole numbers, floats
    allowed): shape ``ids.shape + (dim,)``. Unlike ``take``, the ids are an operand of the op, so
    a recorded graph (an ONNX export) reads them from the model's input. The table's gradient is
    the scatter-add of ``g`` over the ids (repeated ids accumulate), except at the row
    ``padding_idx``, which gets none (PyTorch's padding row); the ids get a zero gradient."""
    return table[checked_token_ids(np.asarray(ids), np.shape(table)[0], "embedding_lookup")]


def _embedding_lookup_vjp(g, ans, table, ids, padding_idx=None):
    rows = np.shape(table)[0]
    # the forward pass checked the ids already
    grad = scatter_add(g, np.asarray(raw(ids)).astype(np.int64, copy=False), np.shape(table))
    if padding_idx is None:
        return grad
    trained = np.arange(rows)[:, None] != padding_idx % rows
    return where(trained, grad, 0 * grad)


embedding_lookup.defvjp(
    _embedding_lookup_vjp,
    lambda g, ans, table, ids, padding_idx=None: np.zeros(np.shape(ids), np.asarray(raw(g)).dtype))


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a list (the inverse of ``stack``). Their gradients
    are gathered into one buffer, so unstacking a sequence costs one array in the backward pass."""
    shape = x.shape
    axis = _axis_in_range("unstack", axis, len(shape))
    lead = (slice(None),) * axis
    return [getitem(x, lead + (i,)) for i in range(shape[axis])]


def _axis_in_range(op, axis, ndim):
    if not -ndim <= axis < ndim:
        raise ValueError(f"{op}: axis {axis} is out of range for a tensor with {ndim} dimensions")
    return axis % ndim
