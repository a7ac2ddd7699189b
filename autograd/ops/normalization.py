"""Layer normalization over the trailing axes, as one op.

With ``n`` the number of normalized elements, ``mu`` and ``var`` their mean and (biased)
variance, ``r = 1 / sqrt(var + eps)`` and ``xhat = (x - mu) r``:

    y = xhat * weight + bias
    dx      = r (gx - mean(gx) - xhat mean(gx xhat)),   gx = g * weight   (means over the axes)
    dweight = sum of g xhat over the leading axes
    dbias   = sum of g over the leading axes

The variance is computed from the centred values (two passes), which keeps float32 accurate
when the mean is large against the spread. The VJPs are written with ops, so they are
differentiable again; an ordinary backward pass (numpy operands, no graph to record) runs the
same formulas in place instead, with two arrays of the input's size rather than ten.
"""
import math

import numpy as np

from ..node import Node
from ..primitive import primitive_vjp_all
from .elementwise import sqrt
from .shape import unbroadcast

__all__ = ["layer_norm"]


def _check(x, weight, bias, normalized_ndim):
    shape = np.shape(x)
    if not 1 <= normalized_ndim <= len(shape):
        raise ValueError(f"layer_norm: cannot normalize the last {normalized_ndim} axes of a "
                         f"tensor of shape {shape}")
    normalized = shape[len(shape) - normalized_ndim:]
    for name, param in (("weight", weight), ("bias", bias)):
        if param is not None and np.shape(param) != normalized:
            raise ValueError(f"layer_norm: {name} must have the normalized shape {normalized}, "
                             f"got {np.shape(param)} (input shape {shape})")
    return tuple(range(-normalized_ndim, 0))


def _layer_norm_forward(x, weight=None, bias=None, *, normalized_ndim=1, eps=1e-5):
    axes = _check(x, weight, bias, normalized_ndim)
    x = np.asanyarray(x)
    out = x - x.mean(axis=axes, keepdims=True)
    out *= _inverse_std(out, axes, eps)
    if weight is not None:
        out *= weight
    if bias is not None:
        out += bias
    return out


def _inverse_std(centred, axes, eps):
    """1 / sqrt(var + eps) from the centred values (numpy, without a squared copy)."""
    lead = centred.ndim - len(axes)
    rows = centred.reshape(centred.shape[:lead] + (math.prod(centred.shape[lead:]),))
    variance = np.einsum("...i,...i->...", rows, rows) / rows.shape[-1]
    return (1.0 / np.sqrt(variance + eps)).reshape(rows.shape[:-1] + (1,) * len(axes))


def _layer_norm_vjp_numpy(g, x, weight, needs, axes, eps):
    """The VJPs below on numpy arrays, in place (see the module docstring)."""
    lead = x.ndim - len(axes)
    xhat = x - x.mean(axis=axes, keepdims=True)
    inverse_std = _inverse_std(xhat, axes, eps)
    xhat *= inverse_std
    size = math.prod(x.shape[lead:])
    rows_g, rows_xhat = g.reshape(-1, size), xhat.reshape(-1, size)
    grads = {}
    if 1 in needs:
        grads[1] = np.einsum("ni,ni->i", rows_g, rows_xhat).reshape(weight.shape)
    if 2 in needs:
        grads[2] = rows_g.sum(axis=0).reshape(x.shape[lead:])
    if 0 in needs:
        gx = g * weight if weight is not None else g.copy()
        rows_gx = gx.reshape(-1, size)
        mean_gx = rows_gx.mean(axis=1).reshape(inverse_std.shape)
        mean_gx_xhat = (np.einsum("ni,ni->n", rows_gx, rows_xhat) / size).reshape(
            inverse_std.shape)
        gx -= mean_gx
        xhat *= mean_gx_xhat
        gx -= xhat
        gx *= inverse_std
        grads[0] = gx
    return [grads[i] for i in needs]


def _normalized(x, axes, eps):
    """(xhat, 1 / std) of ``x`` over ``axes``, computed with ops (differentiable)."""
    centred = x - x.mean(axis=axes, keepdims=True)
    inverse_std = 1 / sqrt((centred * centred).mean(axis=axes, keepdims=True) + eps)
    return centred * inverse_std, inverse_std


def _layer_norm_vjp(g, ans, args, needs, normalized_ndim=1, eps=1e-5):
    x, weight, bias = args
    axes = tuple(range(-normalized_ndim, 0))
    if not any(isinstance(a, Node) for a in (g, x, weight)):
        return _layer_norm_vjp_numpy(g, x, weight, needs, axes, eps)
    grads = []
    if 0 in needs or 1 in needs:
        xhat, inverse_std = _normalized(x, axes, eps)
    for i in needs:
        if i == 0:
            gx = g if weight is None else g * weight
            grads.append(inverse_std * (gx - gx.mean(axis=axes, keepdims=True)
                                        - xhat * (gx * xhat).mean(axis=axes, keepdims=True)))
        elif i == 1:
            grads.append(unbroadcast(g * xhat, weight))
        else:
            grads.append(unbroadcast(g, bias))
    return grads


_layer_norm = primitive_vjp_all(_layer_norm_forward, _layer_norm_vjp, name="layer_norm")


def layer_norm(x, weight=None, bias=None, normalized_ndim=1, eps=1e-5):
    """Normalize ``x`` to zero mean and unit variance over its last ``normalized_ndim`` axes,
    then scale by ``weight`` and shift by ``bias`` (each None or of the normalized shape)."""
    if not eps > 0:
        raise ValueError(f"layer_norm: eps must be > 0, got {eps!r}")
    return _layer_norm(x, weight, bias, normalized_ndim=int(normalized_ndim), eps=float(eps))
