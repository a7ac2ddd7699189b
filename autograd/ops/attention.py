"""Scaled dot-product attention:

    weights = softmax(q k^T * scale + mask)        out = weights v

over the last two axes: ``q`` is (..., L, E), ``k`` (..., S, E), ``v`` (..., S, Ev); the leading
axes broadcast (batch, heads). A boolean mask keeps the positions where it is True (as in
PyTorch's ``scaled_dot_product_attention``); a floating mask is added to the scores. ``causal``
lets query ``i`` see keys ``j <= i`` only (the mask is aligned to the top-left corner).
With ``dropout`` p > 0 (training), each weight is zeroed with probability p and the survivors are
scaled by 1 / (1 - p) before they multiply ``v``, as in PyTorch's ``dropout_p``.

The weights are one op, ``attention_weights`` (product, scale, mask and softmax in one buffer),
whose derivative is that of the softmax carried back through the product; with ``s`` the
scores, ``w`` the weights and ``g`` the incoming gradient:

    ds = w (g - sum_j(g w))          dq = scale ds k          dk = scale ds^T q

Masked positions have ``w = 0``, so they send nothing back. The VJPs are written with ops, so
they are differentiable again; ``out = weights v`` is an ordinary ``matmul``.
"""
import math

import numpy as np

from ..node import Node
from ..primitive import primitive_vjp_all
from ..randomness import dropout_mask
from .linalg import matmul
from .shape import swapaxes, unbroadcast

__all__ = ["scaled_dot_product_attention", "attention_weights", "causal_mask"]

_HIDDEN_BY_CAUSALITY = {}  # (L, S) -> the read-only boolean mask of the keys a query may not see


def causal_mask(length, source_length=None):
    """The boolean (L, S) mask that lets query i attend to keys 0..i only."""
    source_length = length if source_length is None else source_length
    return np.tril(np.ones((length, source_length), dtype=bool))


def _shape(x):
    return np.shape(x.data if isinstance(x, Node) else x)


def _shape_dtype(x):
    return np.asarray(x.data if isinstance(x, Node) else x).dtype


def _result_dtype(q, k):
    return np.result_type(_shape_dtype(q), _shape_dtype(k))


def _check(op, q, k, v, mask):
    qs, ks = _shape(q), _shape(k)
    vs = ks if v is None else _shape(v)
    if min(len(qs), len(ks), len(vs)) < 2:
        raise ValueError(f"{op}: query, key and value need at least two axes (..., length, "
                         f"features), got shapes {qs}, {ks}" + ("" if v is None else f" and {vs}"))
    if qs[-1] != ks[-1]:
        raise ValueError(f"{op}: query and key must have the same feature size, got shapes {qs} "
                         f"and {ks}")
    if ks[-2] != vs[-2]:
        raise ValueError(f"{op}: key and value must have the same length, got shapes {ks} and "
                         f"{vs}")
    if mask is None:
        return None
    mask = np.asanyarray(mask.data if isinstance(mask, Node) else mask)
    if mask.dtype != np.bool_ and not np.issubdtype(mask.dtype, np.floating):
        raise TypeError(f"{op}: the mask must be boolean or floating, got dtype {mask.dtype}")
    scores = np.broadcast_shapes(qs[:-2], ks[:-2]) + (qs[-2], ks[-2])
    try:
        fits = np.broadcast_shapes(mask.shape, scores) == scores
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: a mask of shape {mask.shape} does not broadcast to the "
                         f"attention scores' shape {scores}")
    return mask


def _hidden_by_causality(length, source_length):
    key = (length, source_length)
    hidden = _HIDDEN_BY_CAUSALITY.get(key)
    if hidden is None:
        hidden = ~causal_mask(length, source_length)
        hidden.setflags(write=False)
        _HIDDEN_BY_CAUSALITY[key] = hidden
    return hidden


def _weights_forward(q, k, *, scale, mask=None, causal=False):
    scores = np.matmul(q, np.swapaxes(k, -1, -2))
    scores *= scale
    if causal:
        np.copyto(scores, -np.inf, where=_hidden_by_causality(*scores.shape[-2:]))
    if mask is not None:
        if mask.dtype == np.bool_:
            np.copyto(scores, -np.inf, where=~mask)
        else:
            scores += mask
    with np.errstate(invalid="ignore"):  # a query that sees no key at all gets NaN weights
        scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    return scores


def _weights_vjp(g, ans, args, needs, *, scale, mask=None, causal=False):
    q, k = args
    ds = ans * (g - (g * ans).sum(axis=-1, keepdims=True))
    grads = []
    for i in needs:
        if i == 0:
            grads.append(unbroadcast(matmul(ds, k) * scale, q))
        else:
            grads.append(unbroadcast(matmul(swapaxes(ds, -1, -2), q) * scale, k))
    return grads


_attention_weights = primitive_vjp_all(_weights_forward, _weights_vjp, name="attention_weights")


def attention_weights(q, k, mask=None, causal=False, scale=None):
    """``softmax(q k^T * scale + mask)`` over the keys, as one op: the attention weights
    (..., L, S) of queries ``q`` (..., L, E) over keys ``k`` (..., S, E). ``mask`` and
    ``causal`` are those of ``scaled_dot_product_attention``; ``scale`` defaults to
    ``1 / sqrt(E)``."""
    return _checked_weights(q, k, _check("attention_weights", q, k, None, mask), causal, scale)


def _checked_weights(q, k, mask, causal, scale):
    """``attention_weights`` for a ``mask`` that ``_check`` has already turned into an array."""
    scale = 1.0 / math.sqrt(_shape(q)[-1]) if scale is None else float(scale)
    if mask is not None and mask.dtype != np.bool_:
        mask = mask.astype(_result_dtype(q, k), copy=False)
    return _attention_weights(q, k, scale=scale, mask=mask, causal=bool(causal))


def scaled_dot_product_attention(q, k, v, mask=None, causal=False, scale=None,
                                 return_weights=False, dropout=0.0, rng=None):
    """Attention of the queries ``q`` over the keys ``k`` and values ``v`` (see the module
    docstring). ``scale`` defaults to ``1 / sqrt(E)``. ``dropout`` masks come from ``rng``
    (default: ``autograd.generator()``). Returns the output, or ``(output, weights)`` with
    ``return_weights`` (the softmax weights, before dropout)."""
    mask = _check("scaled_dot_product_attention", q, k, v, mask)
    weights = _checked_weights(q, k, mask, causal, scale)
    kept = weights
    if dropout:
        kept = weights * dropout_mask(_shape(weights), dropout, _shape_dtype(weights), rng)
    out = matmul(kept, v)
    return (out, weights) if return_weights else out
