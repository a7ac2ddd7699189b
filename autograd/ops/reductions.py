"""Reductions over ``axis`` (None, int or tuple) with ``keepdims``, numpy semantics.

Each VJP brings ``g`` back over the reduced axes with ``expand_reduced``:

    sum: g                      mean: g / n                 var: g 2 (x - mean) / (n - ddof)
    std: g (x - mean) / ((n - ddof) std)                    logsumexp: g exp(x - ans)
    max / min: g shared equally among the elements equal to the extremum (tie rule)
    prod: g * (product of the other elements in the group), with zeros handled exactly
"""
import builtins

import numpy as np

from ..primitive import nondifferentiable, primitive
from .elementwise import where
from .shape import expand_dims, expand_reduced, kept_shape, normalize_axes, reshape, transpose

__all__ = ["sum", "mean", "max", "min", "var", "std", "logsumexp", "prod", "argmax", "argmin",
           "any", "all"]


def _count(shape, axis):
    axes = normalize_axes(axis, len(shape), "reduce")
    return int(np.prod([shape[a] for a in axes])) if axes else 1


def _checked(op, x, axis):
    normalize_axes(axis, np.ndim(x), op)
    return axis


@primitive
def sum(x, axis=None, keepdims=False):
    """Sum of elements over ``axis``."""
    return np.sum(x, axis=_checked("sum", x, axis), keepdims=keepdims)


sum.defvjp(lambda g, ans, x, axis=None, keepdims=False: expand_reduced(g, x.shape, axis, keepdims))


@primitive
def mean(x, axis=None, keepdims=False):
    """Arithmetic mean over ``axis``."""
    return np.mean(x, axis=_checked("mean", x, axis), keepdims=keepdims)


mean.defvjp(lambda g, ans, x, axis=None, keepdims=False:
            expand_reduced(g, x.shape, axis, keepdims) / _count(x.shape, axis))


def _extremum_vjp(g, ans, x, axis=None, keepdims=False):
    shape = kept_shape(x.shape, axis)
    winners = (x == ans.reshape(shape)).astype(g.dtype)
    return g.reshape(shape) * winners / winners.sum(axis=axis, keepdims=True)


def _checked_nonempty(op, x, axis):
    """``axis``, after checking that no reduced axis is empty: max and min have no identity
    element to return for an empty group (an empty result, as for shape (0, 3) over axis 1, is
    fine)."""
    shape = np.shape(x)
    axes = normalize_axes(axis, len(shape), op)
    if builtins.any(shape[a] == 0 for a in axes):
        raise ValueError(f"{op}: reduction over an empty axis has no identity (shape {shape}, "
                         f"axis {axis})")
    return axis


@primitive
def max(x, axis=None, keepdims=False):
    """Largest element over ``axis``; tied maxima share the gradient equally."""
    return np.max(x, axis=_checked_nonempty("max", x, axis), keepdims=keepdims)


@primitive
def min(x, axis=None, keepdims=False):
    """Smallest element over ``axis``; tied minima share the gradient equally."""
    return np.min(x, axis=_checked_nonempty("min", x, axis), keepdims=keepdims)


max.defvjp(_extremum_vjp)
min.defvjp(_extremum_vjp)


@primitive
def var(x, axis=None, ddof=0, keepdims=False):
    """Variance over ``axis`` (``ddof`` as in numpy: divide by n - ddof)."""
    return np.var(x, axis=_checked("var", x, axis), ddof=ddof, keepdims=keepdims)


def _var_vjp(g, ans, x, axis=None, ddof=0, keepdims=False):
    centered = x - x.mean(axis=axis, keepdims=True)
    return expand_reduced(g, x.shape, axis, keepdims) * centered * (2.0 / (_count(x.shape, axis) - ddof))


var.defvjp(_var_vjp)


@primitive
def std(x, axis=None, ddof=0, keepdims=False):
    """Standard deviation over ``axis`` (gradient is nan where the deviation is 0)."""
    return np.std(x, axis=_checked("std", x, axis), ddof=ddof, keepdims=keepdims)


def _std_vjp(g, ans, x, axis=None, ddof=0, keepdims=False):
    centered = x - x.mean(axis=axis, keepdims=True)
    scale = ans.reshape(kept_shape(x.shape, axis)) * (_count(x.shape, axis) - ddof)
    return expand_reduced(g, x.shape, axis, keepdims) * centered / scale


std.defvjp(_std_vjp)


@primitive
def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over ``axis``, stable for large inputs."""
    axis = _checked("logsumexp", x, axis)
    if np.size(x) == 0:  # the sum of no terms is 0, and its log -inf (as numpy's logaddexp.reduce)
        out = np.full(kept_shape(np.shape(x), axis), -np.inf, np.result_type(x, np.float32))
        return out if keepdims else np.squeeze(out, axis=axis)
    peak = np.max(x, axis=axis, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    return out if keepdims else np.squeeze(out, axis=axis)


def _logsumexp_vjp(g, ans, x, axis=None, keepdims=False):
    from .elementwise import exp
    shape = kept_shape(x.shape, axis)
    return g.reshape(shape) * exp(x - ans.reshape(shape))


logsumexp.defvjp(_logsumexp_vjp)


@primitive
def prod(x, axis=None, keepdims=False):
    """Product of elements over ``axis``."""
    return np.prod(x, axis=_checked("prod", x, axis), keepdims=keepdims)


@primitive(name="prod_others")
def _product_of_others(x):
    """For each element along the last axis, the product of the other elements, computed from
    running products from both ends, so that zeros need no division."""
    ones = np.ones_like(x[..., :1])
    before = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return before * after


def _product_of_others_vjp(g, ans, x):
    # d/dx_j of prod_{k != i} x_k is the product over k not in {i, j} (0 for j = i). Row j of
    # ``rows`` is x with x_j replaced by 1, so its products of others are those pair products.
    eye = np.eye(x.shape[-1], dtype=bool)
    rows = where(eye, 1, expand_dims(x, -2))
    pairs = _product_of_others(rows)
    return (expand_dims(g, -2) * where(eye, 0, pairs)).sum(axis=-1)


_product_of_others.defvjp(_product_of_others_vjp)


def _prod_vjp(g, ans, x, axis=None, keepdims=False):
    # Group the reduced axes last, take the product of the others in each group, ungroup.
    axes = normalize_axes(axis, x.ndim, "prod")
    order = [a for a in range(x.ndim) if a not in axes] + list(axes)
    moved = transpose(x, order)
    grouped = reshape(moved, moved.shape[:x.ndim - len(axes)] + (-1,))
    others = transpose(reshape(_product_of_others(grouped), moved.shape), tuple(np.argsort(order)))
    return g.reshape(kept_shape(x.shape, axis)) * others


prod.defvjp(_prod_vjp)

argmax = nondifferentiable(np.argmax, "argmax")
argmin = nondifferentiable(np.argmin, "argmin")
any = nondifferentiable(np.any, "any")
all = nondifferentiable(np.all, "all")
