"""Arithmetic with numpy broadcasting, for Tensors and Values alike. Each VJP is brought back to
its operand's shape by ``unbroadcast``; ``ans`` is the op's output.

    d(x + y) = g, g                    d(x * y) = g y, g x
    d(x - y) = g, -g                   d(x / y) = g / y, -g x / y^2
    d(x ** y) = g y x^(y-1), g x^y log x     (0 at x = 0 for y >= 0; 0 for y = 0 in the first)
    d(-x) = -g
"""
import operator

import numpy as np

from .. import scalar_math as sm
from ..primitive import primitive, raw
from .elementwise import log, where
from .shape import unbroadcast

__all__ = ["add", "subtract", "multiply", "divide", "power", "negative"]


def _broadcast_error(op, x, y):
    return ValueError(f"{op}: operands with shapes {np.shape(x)} and {np.shape(y)} cannot be "
                      "broadcast together")


@primitive(scalar=operator.add)
def add(x, y):
    """Elementwise x + y."""
    try:
        return x + y
    except ValueError:
        raise _broadcast_error("add", x, y) from None


@primitive(scalar=operator.sub)
def subtract(x, y):
    """Elementwise x - y."""
    try:
        return x - y
    except ValueError:
        raise _broadcast_error("subtract", x, y) from None


@primitive(scalar=operator.mul)
def multiply(x, y):
    """Elementwise x * y."""
    try:
        return x * y
    except ValueError:
        raise _broadcast_error("multiply", x, y) from None


@primitive(scalar=sm.fdiv)
def divide(x, y):
    """Elementwise x / y (IEEE: x / 0 is +-inf)."""
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            return x / y
    except ValueError:
        raise _broadcast_error("divide", x, y) from None


@primitive(scalar=sm.fpow)
def power(x, y):
    """Elementwise x ** y (tensor or constant exponent)."""
    try:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.power(x, y)
    except ValueError:
        raise _broadcast_error("power", x, y) from None


@primitive(scalar=operator.neg)
def negative(x):
    """Elementwise -x."""
    return -x


add.defvjp(lambda g, ans, x, y: unbroadcast(g, x),
           lambda g, ans, x, y: unbroadcast(g, y))
subtract.defvjp(lambda g, ans, x, y: unbroadcast(g, x),
                lambda g, ans, x, y: unbroadcast(-g, y))
multiply.defvjp(lambda g, ans, x, y: unbroadcast(g * y, x),
                lambda g, ans, x, y: unbroadcast(g * x, y))
divide.defvjp(lambda g, ans, x, y: unbroadcast(g / y, x),
              lambda g, ans, x, y: unbroadcast(-g * x / (y * y), y))
negative.defvjp(lambda g, ans, x: -g)


def _power_dbase(g, ans, x, y):
    # y x^(y-1) is 0 where y = 0, but evaluated as written it is 0 * inf (nan) at x = 0 and at
    # tiny x. There it is taken as y / x instead (0 near x = 0), which is 0 as well and has the
    # right derivative in y (1 / x). Each formula gets harmless operands where the other one
    # applies, so that second derivatives stay finite too.
    y_zero = raw(y) == 0
    if not np.any(y_zero):
        return unbroadcast(g * y * power(x, y - 1), x)
    general = g * y * power(where(y_zero, 1.0, x), y - 1)
    return unbroadcast(where(y_zero, g * y * _safe_reciprocal(x), general), x)


def _safe_reciprocal(x):
    """1 / x, and 0 where |x| is so small that 1 / x**2 (its derivative) would overflow."""
    x0 = np.asanyarray(raw(x))
    tiny = np.abs(x0) < _TINY[np.result_type(x0.dtype, np.float32).type]
    return where(tiny, 0.0, 1 / where(tiny, 1.0, x))


_TINY = {t: np.finfo(t).tiny ** 0.25 for t in (np.float16, np.float32, np.float64, np.longdouble)}


def _power_dexponent(g, ans, x, y):
    # x^y log x reads 0 * -inf at x = 0; its limit for y > 0 is 0, and 0 is used for y = 0 too.
    at_zero = (raw(y) >= 0) & (raw(x) == 0)
    if not np.any(at_zero):
        return unbroadcast(g * ans * log(x), y)
    safe_x = where(at_zero, 1.0, x)
    return unbroadcast(where(at_zero, 0 * g, g * power(safe_x, y) * log(safe_x)), y)


power.defvjp(_power_dbase, _power_dexponent)
