"""Masks: keep the upper or lower triangle of the last two axes, or overwrite where a mask holds.

All three are linear in ``x``, so their derivatives are the same masks applied to ``g``:

    d triu(x, k) = triu(g, k)        d tril(x, k) = tril(g, k)
    d masked_fill(x, mask, value) = g where the mask is False, 0 where it is True
"""
import numpy as np

from ..node import Node
from ..primitive import primitive
from .elementwise import where

__all__ = ["triu", "tril", "masked_fill"]


def _check_matrix(op, x):
    if np.ndim(x) < 2:
        raise ValueError(f"{op}: needs at least two axes (the last two form the matrices), got "
                         f"shape {np.shape(x)}")


@primitive
def triu(x, k=0):
    """``x`` with the elements below the ``k``-th diagonal of its last two axes set to 0."""
    _check_matrix("triu", x)
    return np.triu(x, k)


@primitive
def tril(x, k=0):
    """``x`` with the elements above the ``k``-th diagonal of its last two axes set to 0."""
    _check_matrix("tril", x)
    return np.tril(x, k)


triu.defvjp(lambda g, ans, x, k=0: triu(g, k))
tril.defvjp(lambda g, ans, x, k=0: tril(g, k))


def masked_fill(x, mask, value):
    """``x`` with ``value`` wherever the boolean ``mask`` (broadcast to ``x``'s shape) is True."""
    mask_data = np.asanyarray(mask.data if isinstance(mask, Node) else mask)
    shape = np.shape(x.data if isinstance(x, Node) else x)
    if mask_data.dtype != np.bool_:
        raise TypeError(f"masked_fill: the mask must be boolean, got dtype {mask_data.dtype}")
    try:
        broadcast = np.broadcast_shapes(mask_data.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != shape:
        raise ValueError(f"masked_fill: a mask of shape {mask_data.shape} does not broadcast to "
                         f"the tensor's shape {shape}")
    return where(mask_data, value, x)
