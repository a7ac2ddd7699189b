"""PyTorch's functional convolutions, pooling and padding, channels first ``(N, C, *spatial)``.

Each calls one autograd op (``conv``, ``conv_transpose``, ``max_pool``, ``avg_pool``, ``pad``
or indexing), with PyTorch's argument names, order and defaults. As in PyTorch, an input without
the batch axis, ``(C, *spatial)``, is accepted and gives an output without it. Options PyTorch
has and these ops do not (pooling ``dilation``, ``ceil_mode``, ``return_indices``) raise
``NotImplementedError`` instead of being ignored.
"""
import numpy as np

import autograd
from autograd import Tensor

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "pad"]

_AXES = {1: "L", 2: "H, W", 3: "D, H, W"}
_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _batched(op, input, rank, run):
    """``run(x)`` on ``input`` of shape ``(N, C, *spatial)``; an unbatched ``(C, *spatial)``
    input gets a batch axis of 1 for the call, removed from the result."""
    ndim = np.ndim(input.data if isinstance(input, Tensor) else input)
    if ndim == rank + 2:
        return run(input)
    if ndim == rank + 1:
        x = input.reshape((1,) + tuple(input.shape)) if isinstance(input, Tensor) else \
            np.asarray(input)[None]
        out = run(x)
        return out.reshape(tuple(out.shape)[1:])
    raise ValueError(f"{op}: expected input of shape (N, C, {_AXES[rank]}) or (C, {_AXES[rank]}), "
                     f"got shape {tuple(np.shape(input.data if isinstance(input, Tensor) else input))}")


def _convolution(rank):
    op = f"conv{rank}d"

    def convolution(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{op}: padding must be 'valid', 'same', an int or a tuple, "
                                 f"got {padding!r}")
            if padding == "same" and np.any(np.asarray(stride) != 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride}), as in PyTorch")
        return _batched(op, input, rank, lambda x: autograd.conv(
            x, weight, bias, stride=stride, padding=padding, dilation=dilation, groups=groups))

    convolution.__name__ = convolution.__qualname__ = op
    convolution.__doc__ = (
        f"PyTorch's ``F.{op}``: input ``(N, C_in, {_AXES[rank]})``, weight ``(C_out, C_in // "
        f"groups, *kernel)``, bias ``(C_out,)``. ``padding``: an int, one per axis, 'valid' or "
        "'same' (stride 1 only; an odd total puts the extra element after).")
    return convolution


def _transposed(rank):
    op = f"conv_transpose{rank}d"

    def transposed(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1):
        return _batched(op, input, rank, lambda x: autograd.conv_transpose(
            x, weight, bias, stride=stride, padding=padding, output_padding=output_padding,
            dilation=dilation, groups=groups))

    transposed.__name__ = transposed.__qualname__ = op
    transposed.__doc__ = (
        f"PyTorch's ``F.{op}`` (note its order: ``groups`` before ``dilation``): input ``(N, "
        f"C_in, {_AXES[rank]})``, weight ``(C_in, C_out // groups, *kernel)``, bias ``(C_out,)``.")
    return transposed


def _stride(stride):
    """PyTorch's default stride (None or an empty list) is the kernel size."""
    return None if stride is None or (not np.isscalar(stride) and len(stride) == 0) else stride


def _max_pooling(rank):
    op = f"max_pool{rank}d"

    def max_pooling(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                    return_indices=False):
        _unsupported(op, dilation=(dilation, 1), ceil_mode=(ceil_mode, False),
                     return_indices=(return_indices, False))
        return _batched(op, input, rank, lambda x: autograd.max_pool(
            x, kernel_size, _stride(stride), padding))

    max_pooling.__name__ = max_pooling.__qualname__ = op
    max_pooling.__doc__ = (
        f"PyTorch's ``F.{op}`` over ``(N, C, {_AXES[rank]})``: the largest element of each window "
        "(``stride`` defaults to ``kernel_size``; padding, at most half the kernel, never wins).")
    return max_pooling


def _avg_pooling(rank):
    op = f"avg_pool{rank}d"

    def avg_pooling(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                    count_include_pad=True, divisor_override=None):
        _unsupported(op, ceil_mode=(ceil_mode, False))
        if divisor_override is not None and (rank == 1 or not divisor_override > 0):
            raise ValueError(f"{op}: divisor_override must be a positive number"
                             if rank > 1 else f"{op}: divisor_override is not an argument of "
                             "avg_pool1d (as in PyTorch)")

        def run(x):
            means = autograd.avg_pool(x, kernel_size, _stride(stride), padding,
                                      count_include_pad=count_include_pad or bool(divisor_override))
            if divisor_override is None:
                return means
            taps = int(np.prod(np.broadcast_to(kernel_size, (rank,))))
            return means * (taps / divisor_override)  # the window sums over the override

        return _batched(op, input, rank, run)

    avg_pooling.__name__ = avg_pooling.__qualname__ = op
    avg_pooling.__doc__ = (
        f"PyTorch's ``F.{op}`` over ``(N, C, {_AXES[rank]})``: the mean of each window (zero "
        "padding counted unless ``count_include_pad=False``; ``divisor_override`` divides the "
        "window sums by that number instead).")
    return avg_pooling


def _unsupported(op, **options):
    for name, (value, default) in options.items():
        if value != default:
            raise NotImplementedError(f"{op}: {name}={value!r} is not supported (only "
                                      f"{name}={default!r})")


conv1d, conv2d, conv3d = (_convolution(rank) for rank in (1, 2, 3))
conv_transpose1d, conv_transpose2d, conv_transpose3d = (_transposed(rank) for rank in (1, 2, 3))
max_pool1d, max_pool2d, max_pool3d = (_max_pooling(rank) for rank in (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = (_avg_pooling(rank) for rank in (1, 2, 3))


def pad(input, pad, mode="constant", value=None):
    """PyTorch's ``F.pad``: ``pad`` lists (before, after) pairs starting from the LAST axis,
    ``(left, right, top, bottom, ...)``. ``mode``: 'constant' (with ``value``, default 0;
    negative widths crop), 'reflect', 'replicate' or 'circular'."""
    x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
    widths = [int(w) for w in pad]
    if len(widths) % 2 or len(widths) // 2 > x.ndim:
        raise ValueError(f"pad: pad needs an even number of entries, at most 2 per axis (the "
                         f"input has {x.ndim}), got {tuple(pad)}")
    pairs = [(0, 0)] * x.ndim
    for i in range(len(widths) // 2):
        pairs[x.ndim - 1 - i] = (widths[2 * i], widths[2 * i + 1])
    if mode == "constant":
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in zip(pairs, x.shape))
        if any(s.start or s.stop != n for s, n in zip(crop, x.shape)):
            x = x[crop]
        grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pairs)
        return autograd.pad(x, grow, constant_values=0 if value is None else value)
    if mode not in _NUMPY_MODES:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value not in (None, 0):
        raise ValueError(f"pad: value applies to mode='constant' only (got mode={mode!r})")
    for axis, (lo, hi) in enumerate(pairs):
        if lo < 0 or hi < 0:
            raise ValueError(f"pad: negative widths crop only in mode='constant', got {tuple(pad)}")
        if lo or hi:
            if mode == "reflect" and max(lo, hi) >= x.shape[axis]:
                raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the "
                                 f"size {x.shape[axis]} of axis {axis}")
            # the source position of every output position along this axis, as numpy pads
            source = np.pad(np.arange(x.shape[axis]), (lo, hi), mode=_NUMPY_MODES[mode])
            x = x[(slice(None),) * axis + (source,)]
    return x
