"""Checked arguments for layers and models: each function returns the value converted, or raises
an error naming the layer or method (``where``), the argument and what it got.

Nothing is silently truncated or coerced: 2.5 is not a size, ``'no'`` is not a boolean, NaN is
not a slope. Layer configs read back from model files pass through the same checks.
"""
import inspect
import math

import numpy as np

from autograd.ops.windows import as_tuple

__all__ = ["positive_int", "int_tuple", "flag", "real_number", "float_dtype", "sample_shape",
           "axis_index", "seed_value", "spatial_axes_names", "constructor_arguments", "short_repr"]


def spatial_axes_names(rank):
    """``'H, W'`` for rank 2 (``'L'``, ``'D, H, W'``; ``'S1, ..., Sn'`` beyond 3)."""
    names = {1: ["L"], 2: ["H", "W"], 3: ["D", "H", "W"]}.get(rank)
    return ", ".join(names or [f"S{i + 1}" for i in range(rank)])


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def positive_int(value, what, where):
    """``value`` as an int >= 1 (booleans and floats refused)."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{where}: {what} must be a positive integer, got {value!r}")
    return int(value)


def int_tuple(value, rank, what, where, minimum=1):
    """``value`` (an int or ``rank`` ints) as a tuple of ``rank`` ints >= ``minimum`` (the ops'
    own check, with a message that speaks of the layer's spatial axes)."""
    return as_tuple(value, rank, what, where, minimum, count_error=(
        f"must have {rank} entries, one per spatial axis ({spatial_axes_names(rank)})"))


def flag(value, what, where):
    """``value`` as a bool; only True and False (also numpy's) are accepted."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{where}: {what} must be True or False, got {value!r}")
    return bool(value)


def real_number(value, what, where, low=-math.inf, high=math.inf, low_open=False,
                high_open=False):
    """``value`` as a finite float in the interval from ``low`` to ``high`` (each end closed
    unless ``*_open``); booleans, strings and NaN refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise ValueError(f"{where}: {what} must be a number, got {value!r}")
    number = float(value)
    inside = (math.isfinite(number) and (number > low if low_open else number >= low)
              and (number < high if high_open else number <= high))
    if not inside and (low, high) == (-math.inf, math.inf):
        raise ValueError(f"{where}: {what} must be a finite number, got {value!r}")
    if not inside:
        interval = ("(" if low_open else "[") + f"{low:g}, {high:g}" + (")" if high_open else "]")
        interval = interval.replace("[-inf", "(-inf").replace("inf]", "inf)")
        raise ValueError(f"{where}: {what} must be a finite number in {interval}, got {value!r}")
    return number


def float_dtype(dtype, where):
    """``dtype`` as a floating-point ``np.dtype``."""
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be a floating-point numpy dtype, got {dtype!r}") from None
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{where}: dtype must be floating point, got {dtype}")
    return dtype


def sample_shape(value, what, where, allow_unknown=False, batch_axis=False):
    """One sample's shape (no batch axis) as a tuple of positive ints (also ``None`` entries,
    for sizes not known yet, with ``allow_unknown``); with ``batch_axis``, a batch's shape
    (at least one entry, the batch axis first)."""
    if _is_int(value) and not batch_axis:
        value = (value,)
    valid = not isinstance(value, (str, bytes, dict)) and hasattr(value, "__iter__")
    if valid:
        value = tuple(value)
        valid = all((n is None and allow_unknown) or (_is_int(n) and n >= 1) for n in value)
        valid = valid and (len(value) > 0 or not batch_axis)
    if not valid:
        kind = "positive ints or None" if allow_unknown else "positive ints"
        meaning = ("the batch axis first, e.g. (None, 784)" if batch_axis
                   else "one sample's shape, without the batch axis")
        raise ValueError(f"{where}: {what} must be a tuple of {kind} ({meaning}), got {value!r}")
    return tuple(None if n is None else int(n) for n in value)


def axis_index(value, where):
    """``value`` as an int axis (negative counts from the end)."""
    if not _is_int(value):
        raise TypeError(f"{where}: axis must be an int, got {value!r}")
    return int(value)


def seed_value(value, where):
    """None, or ``value`` as an int >= 0 (a random seed)."""
    if value is None:
        return None
    if not _is_int(value) or value < 0:
        raise ValueError(f"{where}: seed must be None or an integer >= 0, got {value!r}")
    return int(value)


def constructor_arguments(cls, config):
    """Every argument ``cls(**config)`` would receive, defaults filled in, without calling it;
    a TypeError names the class for arguments it does not take or lacks."""
    try:
        bound = inspect.signature(cls.__init__).bind(None, **config)
    except TypeError as error:
        raise TypeError(f"{cls.__name__}: {error}") from None
    bound.apply_defaults()
    return dict(list(bound.arguments.items())[1:])


def short_repr(value, limit=80):
    """``repr(value)`` cut to ``limit`` characters, for messages about values read from files."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."
