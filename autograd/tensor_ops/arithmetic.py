"""Arithmetic with numpy broadcasting. Each VJP is reduced back to its operand's shape by
``unbroadcast``; ``ans`` is the op's output.

    d(x + y) = g, g                    d(x * y) = g y, g x
    d(x - y) = g, -g                   d(x / y) = g / y, -g x / y^2
    d(x ** y) = g y x^(y-1), g x^y log x     (0 at x = 0 for y >= 0; 0 for y = 0 in the first)
"""
import numpy as np

from ..primitive import primitive
from .shape import unbroadcast


def _broadcast_error(op, x, y):
    return ValueError(f"{op}: operands with shapes {np.shape(x)} and {np.shape(y)} cannot be "
                      "broadcast together")


@primitive
def add(x, y):
    """Elementwise x + y."""
    try:
        return x + y
    except ValueError:
        raise _broadcast_error("add", x, y) from None


@primitive
def subtract(x, y):
    """Elementwise x - y."""
    try:
        return x - y
    except ValueError:
        raise _broadcast_error("subtract", x, y) from None


@primitive
def multiply(x, y):
    """Elementwise x * y."""
    try:
        return x * y
    except ValueError:
        raise _broadcast_error("multiply", x, y) from None


@primitive
def divide(x, y):
    """Elementwise x / y (IEEE: x / 0 is +-inf)."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return x / y
    except ValueError:
        raise _broadcast_error("divide", x, y) from None


@primitive
def power(x, y):
    """Elementwise x ** y (tensor or constant exponent)."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(x, y)
    except ValueError:
        raise _broadcast_error("power", x, y) from None


@primitive
def negative(x):
    """Elementwise -x."""
    return -x


add.defvjp(lambda g, ans, x, y: unbroadcast(g, x.shape),
           lambda g, ans, x, y: unbroadcast(g, y.shape))
subtract.defvjp(lambda g, ans, x, y: unbroadcast(g, x.shape),
                lambda g, ans, x, y: unbroadcast(-g, y.shape))
multiply.defvjp(lambda g, ans, x, y: unbroadcast(g * y, x.shape),
                lambda g, ans, x, y: unbroadcast(g * x, y.shape))
divide.defvjp(lambda g, ans, x, y: unbroadcast(g / y, x.shape),
              lambda g, ans, x, y: unbroadcast(-g * x / (y * y), y.shape))
negative.defvjp(lambda g, ans, x: -g)


def _power_dbase(g, ans, x, y):
    from .elementwise import logical_and, where
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = g * y * x ** (y - 1)
    if np.ndim(y) == 0 and not hasattr(y, "_op"):
        return 0 * g if y == 0 else unbroadcast(slope, x.shape)
    return unbroadcast(where(logical_and(y == 0, x == 0), 0 * g, slope), x.shape)


def _power_dexponent(g, ans, x, y):
    from .elementwise import log, logical_and, where
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = g * ans * log(x)
    return unbroadcast(where(logical_and(x == 0, y >= 0), 0 * g, slope), y.shape)


power.defvjp(_power_dbase, _power_dexponent)
