"""N-dimensional max and average pooling over the spatial axes of ``(N, C, *spatial)``.

Max pooling finds, for every window, its largest element and which tap holds it: ``winners``
is one small integer per output element, the row-major index of the winning tap inside its
window. The forward pass records the winners on its node (a ``_Winners`` parameter), so the
backward pass reuses them instead of searching again. With the winners fixed, max pooling is
a gather, and the gather and the scatter are each other's adjoints:

    max_pool(x) = gather(x, winners)    dx = scatter(g, winners)   (g added at the winners)
    gather(x, winners)                  dx = scatter(g, winners)
    scatter(g, winners)                 dg = gather(h, winners)
    avg_pool(x) = window sums / count   dx = avg_pool_transpose(g) (g / count spread back)
    avg_pool_transpose(g)               dg = avg_pool(h)

so every order of derivative is again a gather, a scatter or an average pool.

Tie rule: among equal maxima the first tap of the window in row-major order wins and receives
the whole gradient (as in PyTorch); where windows overlap, the gradients of every window an
element wins add up. NaN propagates: a window holding NaN outputs NaN (its first NaN wins).

Both ops work tap by tap: the slice that picks one kernel tap out of every window is a strided
view, so a 2x2 pool is four whole-array numpy operations; there is no loop over positions.
Without padding no copy of the input is made, and when the windows tile the input exactly (the
common ``stride == kernel`` case with divisible sizes) the backward writes each tap's slice of an
uninitialised array instead of accumulating into zeros. Results keep the memory order of the
input's axes (conv results are stored batch-innermost), and gradients that of the output, so
consecutive ops stream through memory.
"""
import numpy as np

from ..primitive import primitive, raw
from .windows import (Windows, as_tuple, check_rank, crop_index, empty_in_layout, in_layout,
                       pad_spatial)
from .reductions import max as _reduce_max, mean as _reduce_mean

__all__ = ["max_pool", "avg_pool", "global_avg_pool", "global_max_pool"]


def _pool_windows(op, x, kernel_size, stride, padding):
    shape = check_rank(op, x)
    n = len(shape) - 2
    kernel = as_tuple(kernel_size, n, "kernel_size", op)
    strides = kernel if stride is None else as_tuple(stride, n, "stride", op)
    pads = as_tuple(padding, n, "padding", op, minimum=0)
    if any(p > k // 2 for p, k in zip(pads, kernel)):
        raise ValueError(f"{op}: padding {pads} must be at most half the kernel size {kernel} "
                         f"(input shape {shape})")
    return Windows.build(op, shape, kernel, strides, 1, tuple((p, p) for p in pads))


def _data(x):
    return np.asanyarray(raw(x))


def _lowest(dtype):
    return -np.inf if np.issubdtype(dtype, np.inexact) else np.iinfo(dtype).min


def _spread_taps(pieces, like, windows, dtype):
    """Sum ``pieces(k)`` (one ``(N, C, *out)`` array per tap ``k``) into an input-shaped array,
    stored in the same axis order as ``like`` (an output-shaped array)."""
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(windows.spatial, windows.padding))
    grad = empty_in_layout(like.shape[:2] + padded, like, dtype)
    if not windows.tiles:
        grad.fill(0)  # some elements lie in no window, or in several
    for k, index in enumerate(windows.tap_slices()):
        if windows.overlapping:
            grad[index] += pieces(k)
        else:
            grad[index] = pieces(k)
    return grad[crop_index(windows.padding, lead=2)] if windows.padded else grad


# ---------------------------------------------------------------------------- max pooling

class _Winners:
    """Record of one max-pool node: ``index``, the winning tap of every window, filled in by
    the forward pass for the backward pass."""

    __slots__ = ("index",)

    def __init__(self):
        self.index = None


def _first_maxima(padded, windows):
    """Each window's maximum and the row-major index of its first maximal tap (first NaN, if
    the window holds one), both of shape ``(N, C, *out)``."""
    taps = [padded[index] for index in windows.tap_slices()]
    best = taps[0].copy(order="K")
    for piece in taps[1:]:
        np.maximum(best, piece, out=best)
    # first hit from the back: r_k = 0 if tap k is maximal else 1 + r_(k+1), and r_0 is the answer
    winners = np.zeros_like(best, dtype=np.min_scalar_type(len(taps) - 1))
    for k in range(len(taps) - 2, -1, -1):
        winners += 1
        winners *= taps[k] != best
    # np.maximum propagates NaN but NaN equals nothing: find those windows' first NaN. One sum
    # over the output tells cheaply whether there are any.
    if np.issubdtype(best.dtype, np.inexact) and np.isnan(np.sum(best)):
        for k in range(len(taps) - 1, -1, -1):
            np.copyto(winners, k, where=np.isnan(taps[k]))
    return best, winners


@primitive(name="max_pool")
def _max_pool(x, windows, winners):
    """Largest element of each window; records the arg-max in ``winners`` (a ``_Winners``)."""
    best, winners.index = _first_maxima(pad_spatial(x, windows.padding, _lowest(x.dtype)), windows)
    return best


@primitive(name="max_pool_gather")
def _gather_windows(x, windows, winners):
    """Each window's element at tap ``winners`` (an index array of shape ``(N, C, *out)``)."""
    padded = pad_spatial(x, windows.padding)
    out = None
    for k, index in enumerate(windows.tap_slices()):
        piece = padded[index]
        out = piece.copy(order="K") if out is None else np.where(winners == k, piece, out)
    return out


@primitive(name="max_pool_scatter")
def _scatter_windows(g, windows, winners):
    """Zeros of the input's shape with ``g`` added at each window's tap ``winners``."""
    g = in_layout(g, winners)
    return _spread_taps(lambda k: g * (winners == k), winners, windows, g.dtype)


_max_pool.defvjp(lambda g, ans, x, windows, winners:
                 _scatter_windows(g, windows=windows, winners=winners.index))
_gather_windows.defvjp(lambda g, ans, x, windows, winners:
                       _scatter_windows(g, windows=windows, winners=winners))
_scatter_windows.defvjp(lambda h, ans, g, windows, winners:
                        _gather_windows(h, windows=windows, winners=winners))


def max_pool(x, kernel_size, stride=None, padding=0):
    """Largest element of each window over the spatial axes of ``x`` ``(N, C, *spatial)``.

    ``kernel_size``, ``stride`` (default: the kernel size) and ``padding`` (at most half the
    kernel; padded elements never win) are an int or one int per spatial axis. The gradient goes
    to the first maximal element of each window in row-major order (see the module notes).
    """
    windows = _pool_windows("max_pool", x, kernel_size, stride, padding)
    return _max_pool(x, windows=windows, winners=_Winners())


# ---------------------------------------------------------------------------- average pooling

@primitive(name="avg_pool")
def _avg_pool(x, windows, divisor):
    """Sum of each window divided by ``divisor`` (a number or an array of the output's
    spatial shape)."""
    padded = pad_spatial(x, windows.padding)
    total = None
    for index in windows.tap_slices():
        piece = padded[index]
        if total is None:
            total = piece.astype(_float_type(x.dtype), order="K")
        else:
            total += piece
    total /= divisor
    return total


@primitive(name="avg_pool_spread")
def _avg_pool_transpose(g, windows, divisor):
    """``g / divisor`` spread back over every element of its window (input-shaped)."""
    scaled = g / divisor
    return _spread_taps(lambda k: scaled, g, windows, scaled.dtype)


_avg_pool.defvjp(lambda g, ans, x, windows, divisor:
                 _avg_pool_transpose(g, windows=windows, divisor=divisor))
_avg_pool_transpose.defvjp(lambda h, ans, g, windows, divisor:
                           _avg_pool(h, windows=windows, divisor=divisor))


def _float_type(dtype):
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def avg_pool(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean of each window over the spatial axes of ``x`` ``(N, C, *spatial)``.

    Arguments as for ``max_pool``; padding adds zeros. With ``count_include_pad=False`` a window
    that overlaps the padding is divided by the number of real elements it covers instead of
    the kernel size.
    """
    windows = _pool_windows("avg_pool", x, kernel_size, stride, padding)
    dtype = _float_type(_data(x).dtype)
    if count_include_pad or not windows.padded:
        divisor = np.asarray(windows.taps, dtype=dtype)
    else:
        divisor = windows.real_counts(dtype)
    return _avg_pool(x, windows=windows, divisor=divisor)


# ---------------------------------------------------------------------------- global pooling

def global_avg_pool(x, keepdims=False):
    """Mean over all spatial axes of ``x`` ``(N, C, *spatial)``: ``(N, C)`` (or
    ``(N, C, 1, ...)`` with ``keepdims``)."""
    shape = check_rank("global_avg_pool", x)
    return _reduce_mean(x, axis=tuple(range(2, len(shape))), keepdims=keepdims)


def global_max_pool(x, keepdims=False):
    """Maximum over all spatial axes of ``x`` ``(N, C, *spatial)``: ``(N, C)`` (or
    ``(N, C, 1, ...)`` with ``keepdims``). Tied maxima share the gradient equally (the rule of
    the ``max`` reduction)."""
    shape = check_rank("global_max_pool", x)
    return _reduce_max(x, axis=tuple(range(2, len(shape))), keepdims=keepdims)
