"""Scaled dot-product attention, composed from ops (so every derivative order comes for free):

    weights = softmax(q k^T * scale + mask)        out = weights v

over the last two axes: ``q`` is (..., L, E), ``k`` (..., S, E), ``v`` (..., S, Ev); the leading
axes broadcast (batch, heads). A boolean mask keeps the positions where it is True (as in
PyTorch's ``scaled_dot_product_attention``); a floating mask is added to the scores. ``causal``
lets query ``i`` see keys ``j <= i`` only (the mask is aligned to the top-left corner).
With ``dropout`` p > 0 (training), each weight is zeroed with probability p and the survivors are
scaled by 1 / (1 - p) before they multiply ``v``, as in PyTorch's ``dropout_p``.
"""
import math

import numpy as np

from ..node import Node
from ..randomness import dropout_mask
from .elementwise import where
from .linalg import matmul
from .probability import softmax
from .shape import swapaxes

__all__ = ["scaled_dot_product_attention", "causal_mask"]


def causal_mask(length, source_length=None):
    """The boolean (L, S) mask that lets query i attend to keys 0..i only."""
    source_length = length if source_length is None else source_length
    return np.tril(np.ones((length, source_length), dtype=bool))


def _shape(x):
    return np.shape(x.data if isinstance(x, Node) else x)


def _shape_dtype(x):
    return np.asarray(x.data if isinstance(x, Node) else x).dtype


def _check(q, k, v, mask):
    qs, ks, vs = _shape(q), _shape(k), _shape(v)
    if min(len(qs), len(ks), len(vs)) < 2:
        raise ValueError(f"scaled_dot_product_attention: query, key and value need at least two "
                         f"axes (..., length, features), got shapes {qs}, {ks} and {vs}")
    if qs[-1] != ks[-1]:
        raise ValueError(f"scaled_dot_product_attention: query and key must have the same feature "
                         f"size, got shapes {qs} and {ks}")
    if ks[-2] != vs[-2]:
        raise ValueError(f"scaled_dot_product_attention: key and value must have the same length, "
                         f"got shapes {ks} and {vs}")
    if mask is None:
        return None
    mask = np.asarray(mask.data if isinstance(mask, Node) else mask)
    if mask.dtype != np.bool_ and not np.issubdtype(mask.dtype, np.floating):
        raise TypeError(f"scaled_dot_product_attention: the mask must be boolean or floating, got "
                        f"dtype {mask.dtype}")
    scores = np.broadcast_shapes(qs[:-2], ks[:-2]) + (qs[-2], ks[-2])
    try:
        fits = np.broadcast_shapes(mask.shape, scores) == scores
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"scaled_dot_product_attention: a mask of shape {mask.shape} does not "
                         f"broadcast to the attention scores' shape {scores}")
    return mask


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None,
                                 return_weights=False, dropout=0.0, rng=None):
    """Attention of the queries ``q`` over the keys ``k`` and values ``v`` (see the module
    docstring). ``scale`` defaults to ``1 / sqrt(E)``. ``dropout`` masks come from ``rng``
    (default: ``autograd.generator()``). Returns the output, or ``(output, weights)`` with
    ``return_weights`` (the softmax weights, before dropout)."""
    mask = _check(q, k, v, mask)
    length, source_length, features = _shape(q)[-2], _shape(k)[-2], _shape(q)[-1]
    scale = 1.0 / math.sqrt(features) if scale is None else float(scale)
    scores = matmul(q, swapaxes(k, -1, -2)) * scale
    if causal:
        scores = where(causal_mask(length, source_length), scores, -np.inf)
    if mask is not None:
        if mask.dtype == np.bool_:
            scores = where(mask, scores, -np.inf)
        else:
            scores = scores + mask.astype(_shape_dtype(scores), copy=False)
    weights = softmax(scores, axis=-1)
    kept = weights
    if dropout:
        kept = weights * dropout_mask(_shape(weights), dropout, _shape_dtype(weights), rng)
    out = matmul(kept, v)
    return (out, weights) if return_weights else out
