"""Shape ops and the shared broadcasting helpers.

Derivatives: a reshape is undone by reshaping back, a transpose by the inverse permutation, a
broadcast by summing over the broadcast axes (``unbroadcast``, used by every broadcasting op).
"""
import numpy as np

from ..primitive import nondifferentiable, primitive, primitive_vjp_all

__all__ = ["reshape", "broadcast_to", "transpose", "swapaxes", "squeeze", "expand_dims", "flatten",
           "flip", "concatenate", "stack", "split", "pad", "astype"]


def unbroadcast(g, target):
    """Sum ``g`` over the axes that broadcasting added or stretched, so that it has the shape of
    ``target`` (an operand: array, number, Tensor or Value; or a shape tuple)."""
    if type(target) is float:  # a scalar-engine operand: nothing was broadcast
        return g
    shape = target if type(target) is tuple else getattr(target, "shape", ())
    if getattr(g, "shape", ()) == shape:
        return g
    lead = g.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    axes = tuple(range(lead)) + stretched
    if axes:
        g = g.sum(axis=axes)
    return g.reshape(shape)


def normalize_axes(axis, ndim, op):
    """``axis`` (None, int or tuple, negatives allowed) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (bool, np.bool_)) or not (
            isinstance(axis, (int, np.integer)) or (isinstance(axis, (tuple, list)) and all(
                isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axis))):
        raise TypeError(f"{op}: axis must be None, an int or a tuple of ints, got {axis!r}")
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    result = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimensions")
        result.append(int(a) % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(result))


def kept_shape(shape, axis):
    """``shape`` with the reduced ``axis`` kept as size 1 (what ``keepdims=True`` gives)."""
    axes = normalize_axes(axis, len(shape), "reduce")
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def expand_reduced(g, shape, axis, keepdims):
    """Broadcast the gradient of a reduction back over the reduced axes of ``shape``."""
    if not keepdims:
        g = g.reshape(kept_shape(shape, axis))
    return broadcast_to(g, shape)


@primitive
def reshape(x, shape):
    """``x`` with a new shape holding the same elements (one entry may be -1)."""
    try:
        return np.reshape(x, shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {np.shape(x)} "
                         f"({np.size(x)} elements) into shape {shape}") from None


reshape.defvjp(lambda g, ans, x, shape: reshape(g, x.shape))


@primitive
def broadcast_to(x, shape):
    """``x`` repeated along new or size-1 axes to ``shape`` (numpy broadcasting rules)."""
    try:
        return np.broadcast_to(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: cannot broadcast shape {np.shape(x)} to {tuple(shape)}") from None


broadcast_to.defvjp(lambda g, ans, x, shape: unbroadcast(g, x))


@primitive
def transpose(x, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    if axes is not None:
        ndim = np.ndim(x)
        normalized = sorted(a % ndim if -ndim <= a < ndim else a for a in axes)
        if len(axes) != ndim or normalized != list(range(ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the {ndim} "
                             f"axes of shape {np.shape(x)}")
    return np.transpose(x, axes)


def _transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return transpose(g)
    return transpose(g, tuple(np.argsort([a % x.ndim for a in axes])))


transpose.defvjp(_transpose_vjp)


@primitive
def swapaxes(x, axis1, axis2):
    """Exchange two axes."""
    normalize_axes(axis1, np.ndim(x), "swapaxes")
    normalize_axes(axis2, np.ndim(x), "swapaxes")
    return np.swapaxes(x, axis1, axis2)


swapaxes.defvjp(lambda g, ans, x, axis1, axis2: swapaxes(g, axis1, axis2))


@primitive
def squeeze(x, axis=None):
    """Remove axes of length one (all of them, or those named by ``axis``)."""
    try:
        return np.squeeze(x, axis)
    except ValueError:
        raise ValueError(f"squeeze: axis {axis} of shape {np.shape(x)} does not have length 1") from None


squeeze.defvjp(lambda g, ans, x, axis=None: reshape(g, x.shape))


@primitive
def expand_dims(x, axis):
    """Insert axes of length one at ``axis`` (int or tuple)."""
    new_count = 1 if isinstance(axis, (int, np.integer)) else len(axis)
    normalize_axes(axis, np.ndim(x) + new_count, "expand_dims")
    return np.expand_dims(x, axis)


expand_dims.defvjp(lambda g, ans, x, axis: reshape(g, x.shape))


@primitive
def flip(x, axis=None):
    """Reverse the order of the elements along ``axis`` (an int, a tuple, or None for all axes)."""
    normalize_axes(axis, np.ndim(x), "flip")
    return np.flip(x, axis)


flip.defvjp(lambda g, ans, x, axis=None: flip(g, axis))


def flatten(x, start_axis=0, end_axis=-1):
    """Merge the axes ``start_axis..end_axis`` (all, by default) into one."""
    shape = x.shape
    ndim = len(shape)
    if ndim == 0:
        return reshape(x, (1,))
    start, end = start_axis % ndim, end_axis % ndim
    if start > end:
        raise ValueError(f"flatten: start_axis {start_axis} comes after end_axis {end_axis} for shape {shape}")
    merged = int(np.prod(shape[start:end + 1]))
    return reshape(x, shape[:start] + (merged,) + shape[end + 1:])


def _concatenate_forward(*xs, axis=0):
    _check_concatenable(xs, axis, "concatenate")
    return np.concatenate(xs, axis=axis)


def _check_concatenable(xs, axis, op):
    if not xs:
        raise ValueError(f"{op}: needs at least one tensor")
    shapes = [np.shape(x) for x in xs]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ValueError(f"{op}: zero-dimensional tensors cannot be concatenated")
    a = normalize_axes(axis, ndim, op)[0]
    for s in shapes[1:]:
        if len(s) != ndim or any(s[i] != shapes[0][i] for i in range(ndim) if i != a):
            raise ValueError(f"{op}: shapes {shapes[0]} and {s} differ outside axis {axis}")


def _concatenate_vjp(g, ans, args, needs, axis=0):
    a = axis % ans.ndim
    bounds = np.cumsum([0] + [np.shape(x)[a] for x in args])
    lead = (slice(None),) * a
    return [g[lead + (slice(bounds[i], bounds[i + 1]),)] for i in needs]


_concatenate = primitive_vjp_all(_concatenate_forward, _concatenate_vjp, name="concatenate")


def concatenate(tensors, axis=0):
    """Join a sequence of tensors along an existing axis."""
    return _concatenate(*tensors, axis=axis)


def _stack_forward(*xs, axis=0):
    if not xs:
        raise ValueError("stack: needs at least one tensor")
    shapes = {np.shape(x) for x in xs}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors must have the same shape, got {sorted(shapes)}")
    return np.stack(xs, axis=axis)


def _stack_vjp(g, ans, args, needs, axis=0):
    lead = (slice(None),) * (axis % ans.ndim)
    return [g[lead + (i,)] for i in needs]


_stack = primitive_vjp_all(_stack_forward, _stack_vjp, name="stack")


def stack(tensors, axis=0):
    """Join a sequence of same-shaped tensors along a new axis."""
    return _stack(*tensors, axis=axis)


def split(x, indices_or_sections, axis=0):
    """Split into a list of tensors (numpy semantics); each piece is a differentiable slice."""
    length = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if length % indices_or_sections:
            raise ValueError(f"split: axis {axis} of length {length} does not divide into "
                             f"{indices_or_sections} equal sections")
        step = length // indices_or_sections
        bounds = list(range(0, length + 1, step))
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [length]
    lead = (slice(None),) * (axis % x.ndim)
    return [x[lead + (slice(lo, hi),)] for lo, hi in zip(bounds[:-1], bounds[1:])]


def _pad_width(pad_width, ndim):
    """numpy's ``pad_width`` forms as an (ndim, 2) array of (before, after) counts."""
    widths = np.asarray(pad_width, dtype=int)
    try:
        widths = np.broadcast_to(widths.reshape(-1, 2) if widths.ndim else np.full((1, 2), widths),
                                 (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: pad_width {pad_width!r} does not fit a tensor with {ndim} "
                         "dimensions (use an int, (before, after), or one pair per axis)") from None
    if np.any(widths < 0):
        raise ValueError(f"pad: pad_width {pad_width!r} has negative entries")
    return widths


@primitive
def pad(x, pad_width, constant_values=0):
    """Pad with a constant (numpy's ``pad_width`` forms: int, (before, after), per-axis pairs)."""
    widths = _pad_width(pad_width, np.ndim(x))
    if np.ndim(x) == 0:  # no axis to pad (numpy's pad rejects the empty width table)
        return np.asanyarray(x).copy()
    return np.pad(x, widths, mode="constant", constant_values=constant_values)


def _pad_vjp(g, ans, x, pad_width, constant_values=0):
    widths = _pad_width(pad_width, x.ndim)
    return g[tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))]


pad.defvjp(_pad_vjp)


@primitive(name="astype")
def _astype_float(x, dtype):
    return np.asanyarray(x).astype(dtype)


_astype_float.defvjp(lambda g, ans, x, dtype: astype(g, x.dtype))


_astype_exact = nondifferentiable(lambda x, dtype: np.asanyarray(x).astype(dtype), "astype")


def _check_numeric(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind not in "biufc":
        raise TypeError(f"astype: a tensor holds numbers or booleans, not dtype {dtype}")
    return dtype


def astype(x, dtype):
    """``x`` converted to ``dtype``; the gradient is converted back. Converting to an integer or
    bool dtype ends the graph: such tensors cannot require grad."""
    if np.issubdtype(_check_numeric(dtype), np.inexact):
        return _astype_float(x, dtype)
    return _astype_exact(x, dtype)
