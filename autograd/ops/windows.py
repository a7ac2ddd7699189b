"""Sliding-window bookkeeping shared by convolution and pooling.

Both ops look at an input of shape ``(N, C, *spatial)`` through windows: window ``o`` along a
spatial axis starts at ``o * stride - pad_before`` and its ``k``-th tap sits ``k * dilation``
further. Everything here is geometry (argument checking, padding, output sizes) and numpy views
of the windows; nothing is copied except by ``pad_spatial`` and ``in_layout``.

Two views of the same windows are used:

* ``Windows.window_view``: all windows at once, shape ``(..., *kernel, *out, ...)``, built with
  ``as_strided`` (a reshape of it is the classic im2col matrix);
* ``Windows.tap_slices``: for each kernel tap, the basic index that picks that tap out of every
  window, a strided view of the output's shape. Looping over the taps (25 for a 5x5 kernel) and
  never over output positions keeps every numpy call large.

The spatial axes may be followed by other axes (``trailing``), for arrays stored batch-last.
"""
import itertools
import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["Windows", "as_tuple", "padding_pairs", "same_padding", "output_size", "pad_spatial",
           "empty_in_layout", "in_layout", "crop_index", "check_rank"]


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def as_tuple(value, n, name, op, minimum=1, count_error=None):
    """``value`` (an int or a sequence of ``n`` ints) as a tuple of ``n`` ints >= ``minimum``.

    Floats and booleans are refused rather than truncated. ``count_error`` is what the message
    says when ``value`` has the wrong number of entries (by default, that the input has ``n``
    spatial dimensions)."""
    if _is_int(value):
        values = (int(value),) * n
    else:
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__") or not all(
                _is_int(v) for v in value):
            raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        values = tuple(int(v) for v in value)
        if len(values) != n:
            count_error = count_error or (f"has {len(values)} entries but the input has {n} "
                                          f"spatial dimension{'s' * (n != 1)}")
            raise ValueError(f"{op}: {name} {value!r} {count_error}")
    if any(v < minimum for v in values):
        raise ValueError(f"{op}: every entry of {name} must be >= {minimum}, got {value!r}")
    return values


def padding_pairs(padding, n, op):
    """Explicit padding as ``n`` ``(before, after)`` pairs: from an int, a tuple of ``n`` ints
    (the same on both sides) or a tuple of ``n`` pairs."""
    if isinstance(padding, (int, np.integer)) or all(isinstance(p, (int, np.integer)) for p in padding):
        return tuple((p, p) for p in as_tuple(padding, n, "padding", op, minimum=0))
    pairs = tuple(tuple(int(v) for v in p) for p in padding)
    if len(pairs) != n or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise ValueError(f"{op}: padding {padding!r} must be an int, {n} ints, or {n} "
                         "non-negative (before, after) pairs")
    return pairs


def same_padding(size, kernel, stride, dilation):
    """The ``(before, after)`` padding that makes ``out = ceil(size / stride)`` ('same').

    The total is ``max((out - 1) * stride + span - size, 0)`` with ``span = dilation * (kernel - 1)
    + 1``; an odd total puts the extra element after (right/bottom), as TensorFlow and PyTorch do.
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


def output_size(size, kernel, stride, dilation, pads):
    """Number of windows along an axis of ``size`` elements padded by ``pads``."""
    return (size + pads[0] + pads[1] - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class Windows:
    """Where the windows of an op lie: input spatial shape, kernel, stride, dilation, padding
    pairs, and the resulting output spatial shape."""

    spatial: tuple
    kernel: tuple
    stride: tuple
    dilation: tuple
    padding: tuple
    out: tuple

    @classmethod
    def build(cls, op, input_shape, kernel, stride, dilation, padding):
        """Check the arguments against ``input_shape`` ``(N, C, *spatial)`` and lay out the windows.

        ``padding`` is an int, a tuple of ints, a tuple of pairs, ``'valid'`` or ``'same'``.
        """
        spatial = tuple(input_shape[2:])
        n = len(spatial)
        kernel = as_tuple(kernel, n, "kernel size", op)
        stride = as_tuple(stride, n, "stride", op)
        dilation = as_tuple(dilation, n, "dilation", op)
        if isinstance(padding, str):
            mode = padding.lower()
            if mode == "valid":
                pads = ((0, 0),) * n
            elif mode == "same":
                pads = tuple(same_padding(*a) for a in zip(spatial, kernel, stride, dilation))
            else:
                raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        else:
            pads = padding_pairs(padding, n, op)
        out = tuple(output_size(*a) for a in zip(spatial, kernel, stride, dilation, pads))
        if any(o < 1 for o in out):
            spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
            padded = tuple(s + lo + hi for s, (lo, hi) in zip(spatial, pads))
            raise ValueError(f"{op}: kernel {kernel} (dilation {dilation}, so spanning {spans}) is "
                             f"larger than the padded input {padded} (input shape "
                             f"{tuple(input_shape)}, padding {pads})")
        return cls(spatial, kernel, stride, dilation, pads, out)

    @property
    def ndim(self):
        """Number of spatial dimensions."""
        return len(self.spatial)

    @cached_property
    def taps(self):
        """Number of kernel taps (elements of one window)."""
        return math.prod(self.kernel)

    @cached_property
    def positions(self):
        """Number of output positions per channel."""
        return math.prod(self.out)

    @cached_property
    def padded(self):
        """True when some padding is applied."""
        return any(lo or hi for lo, hi in self.padding)

    @cached_property
    def overlapping(self):
        """True when two windows can share an input element."""
        return any(s < d * (k - 1) + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))

    @cached_property
    def tiles(self):
        """True when the windows cover the padded input exactly once (they neither overlap
        nor leave gaps)."""
        return all(s == k and d == 1 and o * s == n + lo + hi
                   for n, k, s, d, (lo, hi), o in zip(self.spatial, self.kernel, self.stride,
                                                    self.dilation, self.padding, self.out))

    def real_counts(self, dtype=np.float64):
        """How many non-padding elements each window covers (undilated windows), shape ``out``:
        the divisor of an average pool that leaves the padding out."""
        counts = np.ones((), dtype=dtype)
        for size, k, s, (lo, _), out in zip(self.spatial, self.kernel, self.stride, self.padding,
                                            self.out):
            starts = np.arange(out) * s - lo
            per_axis = np.minimum(starts + k, size) - np.maximum(starts, 0)
            counts = np.multiply.outer(counts, per_axis.astype(dtype))
        return counts

    def tap_slices(self, trailing=0):
        """For each kernel tap in row-major order, the basic index that picks that tap out of
        every window of a padded array whose spatial axes are followed by ``trailing`` other
        axes (0 for ``(N, C, *S)``); the picked views have the output's spatial shape."""
        cache = self.__dict__.setdefault("_tap_slices", {})
        if trailing not in cache:
            cache[trailing] = [
                (Ellipsis,) + tuple(slice(t * d, t * d + s * (o - 1) + 1, s)
                                    for t, d, s, o in zip(tap, self.dilation, self.stride, self.out))
                + (slice(None),) * trailing
                for tap in itertools.product(*(range(k) for k in self.kernel))]
        return cache[trailing]

    def window_view(self, padded, trailing=0):
        """Read-only view ``(*lead, *kernel, *out, *trail)`` of every window of a padded array
        whose spatial axes are followed by ``trailing`` other axes."""
        d = self.ndim
        first = padded.ndim - trailing - d
        shape, strides = padded.shape, padded.strides
        spatial_strides = strides[first:first + d]
        return as_strided(  # subok: a traced array stays traced (see autograd.capture)
            padded,
            shape[:first] + self.kernel + self.out + shape[first + d:],
            strides[:first] + tuple(s * t for s, t in zip(spatial_strides, self.dilation))
            + tuple(s * t for s, t in zip(spatial_strides, self.stride)) + strides[first + d:],
            subok=True, writeable=False)


def pad_spatial(x, padding, value=0, trailing=0):
    """``x`` with its spatial axes (the ``len(padding)`` axes before ``trailing`` other axes)
    padded by ``padding`` pairs; ``x`` itself when there is no padding."""
    if not any(lo or hi for lo, hi in padding):
        return x
    lead = x.ndim - trailing - len(padding)
    shape = list(x.shape)
    for i, (lo, hi) in enumerate(padding):
        shape[lead + i] += lo + hi
    out = empty_in_layout(shape, x, x.dtype)
    out.fill(value)
    out[crop_index(padding, lead, trailing)] = x
    return out


def _axis_order(x):
    """The axes of ``x`` from the slowest-varying in memory to the fastest."""
    return sorted(range(x.ndim), key=lambda axis: -abs(x.strides[axis]))


def empty_in_layout(shape, like, dtype):
    """An uninitialised array of ``shape`` whose axes are laid out in memory in the same order
    as those of ``like`` (same number of axes), so elementwise work between them streams."""
    order = _axis_order(like)
    return np.empty([shape[axis] for axis in order], dtype=dtype, like=like).transpose(np.argsort(order))


def in_layout(x, like):
    """``x`` itself if its axes are stored in the same order as ``like``'s, else a copy that is."""
    if _axis_order(x) == _axis_order(like):
        return x
    out = empty_in_layout(x.shape, like, x.dtype)
    out[...] = x
    return out


def crop_index(padding, lead=0, trailing=0):
    """The basic index that removes ``padding`` from the spatial axes (``lead`` axes before
    them, ``trailing`` after)."""
    return ((slice(None),) * lead + tuple(slice(lo, -hi if hi else None) for lo, hi in padding)
            + (slice(None),) * trailing)


def check_rank(op, x, minimum=3):
    """Raise a ValueError unless ``x`` is ``(N, C, *spatial)`` with a spatial axis."""
    shape = np.shape(x)
    if len(shape) < minimum:
        raise ValueError(f"{op}: input must have shape (N, C, *spatial) with at least one spatial "
                         f"axis, got shape {shape}")
    return shape
