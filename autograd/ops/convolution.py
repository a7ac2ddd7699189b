"""N-dimensional convolution (cross-correlation, channels first), as in PyTorch and Keras.

For an input ``x`` of shape ``(N, C_in, *spatial)``, a weight ``w`` of shape
``(C_out, C_in // groups, *kernel)`` and output position ``p`` (a tuple of spatial indices)::

    y[n, o, p] = b[o] + sum_{c in group(o), k} w[o, c, k] x_pad[n, c, p * stride + k * dilation]

Derivatives. The three maps below are bilinear and adjoint to one another, so each one's VJPs
are the other two; that closes the triangle and makes every order of derivative a convolution:

    conv(x, w) = y              dx = conv_transpose(g, w)       dw = weight_grad(x, g)
    conv_transpose(g, w)        dg = conv(h, w)                 dw = weight_grad(h, g)
    weight_grad(x, g)           dx = conv_transpose(g, h)       dg = conv(x, h)
    bias                        db = g summed over the batch and spatial axes

(``h`` is the incoming gradient of each map's output.) ``conv_transpose`` is
``_conv_input_grad`` below and ``weight_grad`` is ``_conv_weight_grad``.

How the numpy work is laid out (float32 stays float32; no loop over positions anywhere):

* Memory order. Internally every array is batch-innermost, ``(C, *spatial, N)``: a conv result
  is returned as an ``(N, C, *spatial)`` view of such an array, elementwise ops and pooling keep
  that order, and the next conv then reads its input without a copy (``_batch_last``). With the
  batch innermost, a window shifted by one tap is a long contiguous stretch of memory, so the
  im2col copies and the scatter-adds below run at memory speed. Ops placed between convs keep
  this for free when they build new arrays with numpy's defaults (``order='K'``, ``*_like``);
  any other layout is still correct, it only costs the next conv a transposing copy.
* Forward: for each block of output rows (first spatial axis; about ``_CHUNK_BYTES`` of im2col
  matrix, so it stays in cache) the windows are copied into ``(rows, G, C_in/G * taps, L)``
  with ``L`` = rest of the row times the batch, and one batched ``matmul`` with the weight
  writes those rows of the output in place. Products of a few thousand columns are the fast
  regime of BLAS for these skinny shapes.
* Weight gradient: the same blocks are rebuilt (cheap, and nothing large is kept alive between
  forward and backward) and contracted with ``g`` row by row.
* Input gradient: for each kernel tap (25 for 5x5) one ``matmul`` maps ``g`` to that tap's
  contribution, which is added into the padded batch-innermost result through a strided slice.
"""
import numpy as np

from ..primitive import primitive
from .windows import Windows, as_tuple, check_rank, crop_index, pad_spatial, padding_pairs

__all__ = ["conv", "conv1d", "conv2d", "conv3d", "conv_transpose"]

_CHUNK_BYTES = 1 << 18  # the im2col matrix is built about this many bytes at a time (cache-sized)


def _batch_last(x):
    """``x`` ``(N, C, *S)`` as a C-ordered ``(C, *S, N)`` array: free when ``x`` is already
    stored batch-innermost (as conv results are), a copy otherwise."""
    moved = x.transpose(tuple(range(1, x.ndim)) + (0,))
    return moved if moved.flags.c_contiguous else moved.copy(order="C")


def _batch_first(x_last):
    """The ``(N, C, *S)`` view of a ``(C, *S, N)`` array."""
    return x_last.transpose((x_last.ndim - 1,) + tuple(range(x_last.ndim - 1)))


def _column_chunks(x_last, windows, groups):
    """im2col, by blocks of output rows (first spatial axis): yields ``(rows, columns)`` with
    ``columns`` of shape ``(rows, G, C/G * taps, row_length)``, where a row holds the rest of the
    output positions times the batch, batch innermost (so the copy runs over long stretches and
    each row is one moderate matrix product)."""
    channels, n, d = x_last.shape[0], x_last.shape[-1], windows.ndim
    view = windows.window_view(pad_spatial(x_last, windows.padding, trailing=1), trailing=1)
    view = np.moveaxis(view, 1 + d, 0)  # (out0, C, *kernel, *out[1:], N)
    row_length = windows.positions // windows.out[0] * n
    row_bytes = channels * windows.taps * row_length * x_last.itemsize
    step = max(1, _CHUNK_BYTES // row_bytes)
    per_group = channels // groups * windows.taps
    # one block of memory for every chunk: it stays in cache from one chunk to the next
    block = np.empty((min(step, windows.out[0]), groups, per_group, row_length),
                     dtype=x_last.dtype, like=x_last)
    for lo in range(0, windows.out[0], step):
        hi = min(lo + step, windows.out[0])
        columns = block[:hi - lo]
        np.copyto(columns.reshape(view[lo:hi].shape), view[lo:hi])
        yield (lo, hi), columns


def _rows(array_last, groups, rows):
    """Output rows ``rows`` of ``array_last`` ``(C, *out, N)`` as a ``(rows, G, C/G, row_length)``
    view, matching ``_column_chunks``."""
    part = array_last[:, rows[0]:rows[1]]
    return part.reshape(groups, part.shape[0] // groups, rows[1] - rows[0], -1).transpose(2, 0, 1, 3)


# ---------------------------------------------------------------------------- the three maps

@primitive(name="conv")
def _conv(x, w, b, windows, groups):
    """Convolution forward on arrays (``b`` may be None); see ``conv``."""
    n, c_out = x.shape[0], w.shape[0]
    w_rows = w.reshape(groups, c_out // groups, -1)
    out = np.empty((c_out,) + windows.out + (n,), dtype=np.result_type(x, w), like=x)
    for rows, columns in _column_chunks(_batch_last(x), windows, groups):
        np.matmul(w_rows, columns, out=_rows(out, groups, rows))
    if b is not None:
        out += b.reshape((c_out,) + (1,) * (windows.ndim + 1))
    return _batch_first(out)


@primitive(name="conv_transpose")
def _conv_input_grad(g, w, windows, groups):
    """Transposed convolution: the gradient of ``conv`` with respect to its input, for output
    gradient ``g`` ``(N, C_out, *out)`` and weight ``w``; returns ``(N, C_in, *spatial)``."""
    n, c_out = g.shape[:2]
    per_group_in, per_group_out = w.shape[1], c_out // groups
    g_last = _batch_last(g).reshape(groups, per_group_out, -1)
    # one (G, C_in/G, C_out/G) matrix per kernel tap
    taps = w.reshape(groups, per_group_out, per_group_in, windows.taps).transpose(3, 0, 2, 1).copy()
    padded = tuple(s + lo + hi for s, (lo, hi) in zip(windows.spatial, windows.padding))
    grad = np.zeros((groups * per_group_in,) + padded + (n,), dtype=np.result_type(g, w), like=g)
    tap_shape = (groups * per_group_in,) + windows.out + (n,)
    contribution = np.empty((groups, per_group_in, g_last.shape[-1]), dtype=grad.dtype, like=g)
    for k, index in enumerate(windows.tap_slices(trailing=1)):  # one buffer for every tap
        np.matmul(taps[k], g_last, out=contribution)
        grad[index] += contribution.reshape(tap_shape)
    return _batch_first(grad[crop_index(windows.padding, lead=1, trailing=1)])


@primitive(name="conv_weight_grad")
def _conv_weight_grad(x, g, windows, groups):
    """The gradient of ``conv`` with respect to its weight, for input ``x`` and output gradient
    ``g``; returns ``(C_out, C_in / groups, *kernel)``."""
    c_out = g.shape[1]
    g_last = _batch_last(g)
    grad = None
    for rows, columns in _column_chunks(_batch_last(x), windows, groups):
        g_rows = _rows(g_last, groups, rows)
        if columns.shape[2] < 8 * g_rows.shape[2]:  # short windows: g @ columns^T as it is
            part = np.matmul(g_rows, columns.swapaxes(-1, -2)).sum(axis=0)
        else:  # a tall im2col matrix: contract against a transposed copy of g (faster in BLAS)
            g_columns = g_rows.swapaxes(-1, -2).copy()
            part = np.matmul(columns, g_columns).sum(axis=0).swapaxes(-1, -2)
        if grad is None:
            grad = part  # a fresh array of this call: the next chunks add into it
        else:
            grad += part
    return grad.reshape((c_out, x.shape[1] // groups) + windows.kernel)


def _conv_dx(g, ans, x, w, b, windows, groups):
    return _conv_input_grad(g, w, windows=windows, groups=groups)


def _conv_dw(g, ans, x, w, b, windows, groups):
    return _conv_weight_grad(x, g, windows=windows, groups=groups)


def _conv_db(g, ans, x, w, b, windows, groups):
    return g.sum(axis=(0,) + tuple(range(2, g.ndim)))


_conv.defvjp(_conv_dx, _conv_dw, _conv_db)
_conv_input_grad.defvjp(
    lambda h, ans, g, w, windows, groups: _conv(h, w, None, windows=windows, groups=groups),
    lambda h, ans, g, w, windows, groups: _conv_weight_grad(h, g, windows=windows, groups=groups))
_conv_weight_grad.defvjp(
    lambda h, ans, x, g, windows, groups: _conv_input_grad(g, h, windows=windows, groups=groups),
    lambda h, ans, x, g, windows, groups: _conv(x, h, None, windows=windows, groups=groups))


# ---------------------------------------------------------------------------- public functions

def _check_groups(op, groups, c_in, c_out, x_shape, w_shape):
    if not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{op}: groups must be a positive int, got {groups!r}")
    if c_in % groups or c_out % groups:
        raise ValueError(f"{op}: groups={groups} must divide both the input channels ({c_in}) and "
                         f"the output channels ({c_out}); input shape {x_shape}, weight shape {w_shape}")


def _check_bias(op, bias, channels, w_shape):
    if bias is not None and tuple(np.shape(bias)) != (channels,):
        raise ValueError(f"{op}: bias must have shape ({channels},) to match the weight shape "
                         f"{w_shape}, got {tuple(np.shape(bias))}")


def conv(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """N-dimensional convolution (cross-correlation) of ``x`` ``(N, C_in, *spatial)`` with
    ``weight`` ``(C_out, C_in // groups, *kernel)``, plus ``bias`` ``(C_out,)``.

    ``stride`` and ``dilation``: an int or one int per spatial axis. ``padding``: an int, one int
    per axis (both sides), one ``(before, after)`` pair per axis, ``'valid'`` (none) or ``'same'``
    (output size ``ceil(size / stride)``, as in TensorFlow/Keras; an odd total padding puts the
    extra element after, i.e. right/bottom). ``groups`` splits the channels into independent
    convolutions. Returns ``(N, C_out, *out)``, stored batch-innermost (see the module notes).
    """
    x_shape = check_rank("conv", x)
    w_shape = tuple(np.shape(weight))
    if len(w_shape) != len(x_shape):
        raise ValueError(f"conv: weight must have shape (C_out, C_in // groups, *kernel) with "
                         f"{len(x_shape) - 2} kernel axes for input shape {x_shape}, got {w_shape}")
    c_in, c_out = x_shape[1], w_shape[0]
    _check_groups("conv", groups, c_in, c_out, x_shape, w_shape)
    if w_shape[1] * groups != c_in:
        raise ValueError(f"conv: input has {c_in} channels but weight shape {w_shape} with "
                         f"groups={groups} expects {w_shape[1] * groups} (input shape {x_shape})")
    _check_bias("conv", bias, c_out, w_shape)
    windows = Windows.build("conv", x_shape, w_shape[2:], stride, dilation, padding)
    return _conv(x, weight, bias, windows=windows, groups=groups)


def _conv_of_rank(rank):
    def conv_nd(x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        shape = np.shape(x)
        if len(shape) != rank + 2:
            raise ValueError(f"conv{rank}d: input must have shape (N, C_in, {_axes_names(rank)}), "
                             f"got shape {tuple(shape)}")
        return conv(x, weight, bias, stride, padding, dilation, groups)
    conv_nd.__name__ = conv_nd.__qualname__ = f"conv{rank}d"
    conv_nd.__doc__ = f"``conv`` for inputs with exactly {rank} spatial axes ({_axes_names(rank)})."
    return conv_nd


def _axes_names(rank):
    return ", ".join({1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}[rank])


conv1d = _conv_of_rank(1)
conv2d = _conv_of_rank(2)
conv3d = _conv_of_rank(3)


def conv_transpose(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Transposed convolution (the adjoint of ``conv`` in its input; "deconvolution").

    ``x``: ``(N, C_in, *spatial)``; ``weight``: ``(C_in, C_out // groups, *kernel)`` (PyTorch's
    layout); ``bias``: ``(C_out,)``. Along each axis the output has size
    ``(size - 1) * stride - pad_before - pad_after + dilation * (kernel - 1) + output_padding + 1``.
    ``padding`` is an int, one int per axis or one pair per axis; ``output_padding`` (each entry
    smaller than the stride or the dilation) adds elements after, to pick among the input sizes
    a strided ``conv`` maps to the same output size.
    """
    x_shape = check_rank("conv_transpose", x)
    w_shape = tuple(np.shape(weight))
    if len(w_shape) != len(x_shape):
        raise ValueError(f"conv_transpose: weight must have shape (C_in, C_out // groups, *kernel) "
                         f"with {len(x_shape) - 2} kernel axes for input shape {x_shape}, got {w_shape}")
    c_in, c_out = x_shape[1], w_shape[1] * groups
    _check_groups("conv_transpose", groups, c_in, c_out, x_shape, w_shape)
    if w_shape[0] != c_in:
        raise ValueError(f"conv_transpose: input has {c_in} channels but weight shape {w_shape} "
                         f"expects {w_shape[0]} (input shape {x_shape})")
    _check_bias("conv_transpose", bias, c_out, w_shape)
    if isinstance(padding, str):
        raise ValueError(f"conv_transpose: padding must be an int or a tuple, got {padding!r}")
    # The output is the input of the conv whose transpose this is: build that conv's windows.
    n = len(x_shape) - 2
    kernel = w_shape[2:]
    strides = as_tuple(stride, n, "stride", "conv_transpose")
    dilations = as_tuple(dilation, n, "dilation", "conv_transpose")
    pads = padding_pairs(padding, n, "conv_transpose")
    extra = as_tuple(output_padding, n, "output_padding", "conv_transpose", minimum=0)
    if any(e >= max(s, d) for e, s, d in zip(extra, strides, dilations)):
        raise ValueError(f"conv_transpose: output_padding {extra} must be smaller than the stride "
                         f"{strides} or the dilation {dilations}")
    sizes = tuple((size - 1) * s - lo - hi + d * (k - 1) + e + 1
                  for size, s, (lo, hi), d, k, e in zip(x_shape[2:], strides, pads, dilations, kernel, extra))
    if any(size < 1 for size in sizes):
        raise ValueError(f"conv_transpose: padding {pads} leaves no output for input shape "
                         f"{x_shape} and weight shape {w_shape}")
    windows = Windows(sizes, tuple(kernel), strides, dilations, pads, tuple(x_shape[2:]))
    out = _conv_input_grad(x, weight, windows=windows, groups=groups)
    if bias is not None:
        out = out + bias.reshape((c_out,) + (1,) * n)
    return out
