"""Elementwise functions, for Tensors and Values alike, each followed by its derivative (a VJP in
terms of ``g``, the output ``ans`` and the input ``x``). Kinks and domain edges follow one
subgradient table, for both engines:

    relu(0)' = 0            leaky_relu(0)' = negative_slope     abs(0)' = 0
    sqrt(0) = 0, sqrt'(0) = inf                                 log(0) = -inf, log'(0) = inf
    maximum/minimum: on ties each operand receives half the gradient
"""
import math

import numpy as np

from .. import scalar_math as sm
from . import _special
from ..primitive import nondifferentiable, primitive, raw
from .shape import unbroadcast

__all__ = ["exp", "log", "log1p", "sqrt", "absolute", "abs", "tanh", "sin", "cos", "softplus", "relu",
           "sigmoid", "sign", "erf", "leaky_relu", "elu", "gelu", "where", "clip", "maximum",
           "minimum", "greater", "greater_equal", "less", "less_equal", "equal", "not_equal",
           "logical_and", "logical_or", "logical_not", "isfinite", "isnan"]

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_CUBIC = 0.044715


def _unary(fn, name, doc, scalar=None, quiet=False):
    """A one-operand primitive; ``quiet`` silences numpy's warnings for results that are IEEE
    values by design (log 0 = -inf, sqrt(-1) = nan, exp overflow = inf)."""
    if quiet:
        def forward(x):
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                return fn(x)
    else:
        def forward(x):
            return fn(x)
    forward.__name__, forward.__qualname__, forward.__doc__ = name, name, doc
    return primitive(forward, scalar=scalar)


exp = _unary(np.exp, "exp", "e ** x.", sm.fexp, quiet=True)
log = _unary(np.log, "log", "Natural logarithm (log 0 = -inf).", sm.flog, quiet=True)
log1p = _unary(np.log1p, "log1p", "log(1 + x), accurate for small x.", quiet=True)
sqrt = _unary(np.sqrt, "sqrt", "Square root.", sm.fsqrt, quiet=True)
absolute = _unary(np.abs, "abs", "|x| (derivative 0 at 0).", abs)
tanh = _unary(np.tanh, "tanh", "Hyperbolic tangent.", math.tanh)
sin = _unary(np.sin, "sin", "Sine.", sm.fsin)
cos = _unary(np.cos, "cos", "Cosine.", sm.fcos)
softplus = _unary(lambda x: np.logaddexp(0, x), "softplus", "log(1 + exp(x)), stable for large |x|.",
                  sm.fsoftplus)
abs = absolute
_FILLED = {}


def _filled_like(x, value):
    """A shared, never-written array shaped like ``x`` holding ``value``: numpy's ``maximum`` and
    ``minimum`` run two to three times faster against an array than against a scalar."""
    key = (x.shape, x.dtype, x.strides, value)
    filled = _FILLED.get(key)
    if filled is None:
        if len(_FILLED) > 16:
            _FILLED.clear()
        # same memory order as x, so the result keeps x's layout (conv outputs are batch-innermost)
        filled = _FILLED[key] = np.full_like(x, value)
        filled.flags.writeable = False
    return filled


def _against_scalar(ufunc, x, y):
    """``ufunc(x, y)``, with a Python-number operand replaced by a cached filled array when the
    other is a large floating array (the result is the same array, dtype included)."""
    if type(y) in (int, float) and type(x) is np.ndarray and x.size >= 4096 and x.dtype.kind == "f":
        return ufunc(x, _filled_like(x, y))
    if type(x) in (int, float) and type(y) is np.ndarray and y.size >= 4096 and y.dtype.kind == "f":
        return ufunc(_filled_like(y, x), y)
    return ufunc(x, y)


def _relu(x):
    return _against_scalar(np.maximum, np.asanyarray(x), 0)


relu = _unary(_relu, "relu", "max(x, 0) (derivative 0 at 0).", lambda x: 0.0 if x <= 0 else x)


def _sigmoid(x):
    x = np.asanyarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(np.result_type(x, np.float16), copy=False)


sigmoid = _unary(_sigmoid, "sigmoid", "Logistic function 1 / (1 + exp(-x)), stable for large |x|.",
                 sm.fsigmoid)

sign = nondifferentiable(np.sign, "sign")


@primitive(scalar=math.erf)
def erf(x):
    """The error function (to a few units in the last place, vectorized: see ``_special``)."""
    return _special.erf(x)


exp.defvjp(lambda g, ans, x: g * ans)
log.defvjp(lambda g, ans, x: g / x)
log1p.defvjp(lambda g, ans, x: g / (1 + x))
sqrt.defvjp(lambda g, ans, x: g / (2 * ans))
absolute.defvjp(lambda g, ans, x: g * sign(x))
tanh.defvjp(lambda g, ans, x: g * (1 - ans * ans))
sigmoid.defvjp(lambda g, ans, x: g * ans * (1 - ans))
sin.defvjp(lambda g, ans, x: g * cos(x))
cos.defvjp(lambda g, ans, x: -g * sin(x))
softplus.defvjp(lambda g, ans, x: g * sigmoid(x))
relu.defvjp(lambda g, ans, x: g * (x > 0))
erf.defvjp(lambda g, ans, x: g * (2 / math.sqrt(math.pi)) * exp(-x * x))


def _leaky_relu_scalar(x, negative_slope=0.01):
    return x if x > 0 else negative_slope * x


@primitive(scalar=_leaky_relu_scalar)
def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, negative_slope * x otherwise."""
    return np.where(x > 0, x, x * negative_slope)


leaky_relu.defvjp(lambda g, ans, x, negative_slope=0.01: where(x > 0, g, g * negative_slope))


@primitive
def elu(x, alpha=1.0):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


elu.defvjp(lambda g, ans, x, alpha=1.0: where(x > 0, g, g * (ans + alpha)))


def _tanh_inner(x, square):
    """tanh(sqrt(2 / pi) (x + c x^3)) from ``square`` = x * x, in a new array."""
    t = square * _GELU_CUBIC
    t += 1
    t *= x
    t *= _SQRT_2_OVER_PI
    return np.tanh(t, out=t)


@primitive
def gelu(x, approximate="none"):
    """Gaussian error linear unit x * Phi(x); ``approximate='tanh'`` for the tanh formula
    0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3)."""
    if approximate == "tanh":  # in place on one buffer: these arrays are large
        if np.ndim(x) == 0:
            return gelu(np.reshape(x, 1), approximate)[0]
        out = _tanh_inner(x, x * x)
        out += 1
        out *= x
        out *= 0.5
        return out
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


@primitive
def _gelu_derivative(x, approximate="none"):
    """d gelu / dx, as one op (so the backward pass of gelu costs a few passes over memory):

        exact:  Phi(x) + x phi(x)
        tanh:   0.5 (1 + t) + 0.5 x (1 - t^2) u',   t = tanh(u),  u' = sqrt(2 / pi) (1 + 3 c x^2)
    """
    if approximate == "tanh":
        if np.ndim(x) == 0:
            return _gelu_derivative(np.reshape(x, 1), approximate)[0]
        out = x * x
        t = _tanh_inner(x, out)
        out *= 3 * _GELU_CUBIC * _SQRT_2_OVER_PI
        out += _SQRT_2_OVER_PI
        out *= x
        out *= 0.5
        one_minus = np.multiply(t, t)
        np.subtract(1, one_minus, out=one_minus)
        out *= one_minus
        t += 1
        t *= 0.5
        out += t
        return out
    cdf = erf(x / math.sqrt(2))
    cdf += 1
    cdf *= 0.5
    return cdf + x * np.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))


def _gelu_second_derivative(g, ans, x, approximate="none"):
    """d^2 gelu / dx^2:  exact  phi(x) (2 - x^2);
    tanh  (1 - t^2) (u' + 0.5 x (u'' - 2 t u'^2)),  u'' = 6 c sqrt(2 / pi) x."""
    if approximate == "tanh":
        square = x * x
        t = tanh(_SQRT_2_OVER_PI * x * (1 + _GELU_CUBIC * square))
        du = _SQRT_2_OVER_PI * (1 + 3 * _GELU_CUBIC * square)
        ddu = 6 * _GELU_CUBIC * _SQRT_2_OVER_PI * x
        return g * (1 - t * t) * (du + 0.5 * x * (ddu - 2 * t * du * du))
    return g * exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi)) * (2 - x * x)


gelu.defvjp(lambda g, ans, x, approximate="none": g * _gelu_derivative(x, approximate))
_gelu_derivative.defvjp(_gelu_second_derivative)


@primitive(scalar=lambda condition, x, y: float(x if condition else y))
def where(condition, x, y):
    """Elementwise choice: x where ``condition`` holds, else y (condition gets no gradient)."""
    return np.where(condition, x, y)


where.defvjp(None,
             lambda g, ans, c, x, y: unbroadcast(where(c, g, 0 * g), x),
             lambda g, ans, c, x, y: unbroadcast(where(c, 0 * g, g), y))


@primitive
def clip(x, a_min=None, a_max=None):
    """Limit values to [a_min, a_max]; the gradient passes where a_min <= x <= a_max."""
    return np.clip(x, a_min, a_max)


def _clip_vjp(g, ans, x, a_min=None, a_max=None):
    inside = g
    if a_min is not None:
        inside = where(x >= a_min, inside, 0 * g)
    if a_max is not None:
        inside = where(x <= a_max, inside, 0 * g)
    return inside


clip.defvjp(_clip_vjp)


def _tie_share(x, y, g):
    """1 where x wins, 0.5 on ties, 0 where y wins: a constant in the precision of ``g``."""
    x, y = raw(x), raw(y)
    share = np.asanyarray((x > y) + 0.5 * (x == y))
    return share.astype(getattr(raw(g), "dtype", np.float64), copy=False)


@primitive
def maximum(x, y):
    """Elementwise larger of x and y; on ties each receives half the gradient."""
    try:
        return _against_scalar(np.maximum, x, y)
    except ValueError:
        raise ValueError(f"maximum: operands with shapes {np.shape(x)} and {np.shape(y)} cannot "
                         "be broadcast together") from None


@primitive
def minimum(x, y):
    """Elementwise smaller of x and y; on ties each receives half the gradient."""
    try:
        return _against_scalar(np.minimum, x, y)
    except ValueError:
        raise ValueError(f"minimum: operands with shapes {np.shape(x)} and {np.shape(y)} cannot "
                         "be broadcast together") from None


maximum.defvjp(lambda g, ans, x, y: unbroadcast(g * _tie_share(x, y, g), x),
               lambda g, ans, x, y: unbroadcast(g * _tie_share(y, x, g), y))
minimum.defvjp(lambda g, ans, x, y: unbroadcast(g * _tie_share(y, x, g), x),
               lambda g, ans, x, y: unbroadcast(g * _tie_share(x, y, g), y))

# Comparisons and logic: results carry no gradient.
greater = nondifferentiable(np.greater, "greater")
greater_equal = nondifferentiable(np.greater_equal, "greater_equal")
less = nondifferentiable(np.less, "less")
less_equal = nondifferentiable(np.less_equal, "less_equal")
equal = nondifferentiable(np.equal, "equal")
not_equal = nondifferentiable(np.not_equal, "not_equal")
logical_and = nondifferentiable(np.logical_and, "logical_and")
logical_or = nondifferentiable(np.logical_or, "logical_or")
logical_not = nondifferentiable(np.logical_not, "logical_not")
isfinite = nondifferentiable(np.isfinite, "isfinite")
isnan = nondifferentiable(np.isnan, "isnan")
