"""Float arithmetic with IEEE results instead of Python exceptions: the scalar forwards of the ops.

Python raises on ``1.0 / 0.0``, ``0.0 ** -1`` and ``math.log(0.0)``; numpy and PyTorch return
``inf``/``nan``. The scalar ``Value`` follows the tensor convention so that both engines agree
element by element. The ops in ``autograd.ops`` use these as their forwards on Python floats.
"""
import math

__all__ = ["fdiv", "fpow", "flog", "fsqrt", "fexp", "fsin", "fcos", "fsigmoid", "fsoftplus"]

INF = math.inf
NAN = math.nan


def fdiv(a, b):
    """``a / b`` with IEEE semantics for plain floats (x/0 is +-inf, 0/0 is nan)."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def fpow(a, b):
    """``a ** b`` for floats with IEEE results: 0**-1 is inf, (-8)**0.5 is nan, overflow is inf."""
    try:
        result = a ** b
    except ZeroDivisionError:
        odd_integer = float(b).is_integer() and int(b) % 2 == 1
        return math.copysign(INF, a) if odd_integer else INF
    except OverflowError:
        if a < 0 and not float(b).is_integer():
            return NAN  # the complex result overflowed; a real power does not exist anyway
        odd_integer = float(b).is_integer() and int(b) % 2 == 1
        return -INF if (a < 0 and odd_integer) else INF
    if isinstance(result, complex):
        return NAN
    return float(result)


def flog(x):
    """Natural log: log(0) = -inf, log(x<0) = nan."""
    if x > 0:
        return math.log(x)
    return -INF if x == 0 else NAN


def fsqrt(x):
    """Square root: sqrt(x<0) = nan."""
    return math.sqrt(x) if x >= 0 else NAN


def fexp(x):
    """exp that overflows to inf instead of raising."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def fsin(x):
    """Sine: sin(+-inf) = nan (``math.sin`` raises)."""
    return math.sin(x) if math.isfinite(x) else NAN


def fcos(x):
    """Cosine: cos(+-inf) = nan (``math.cos`` raises)."""
    return math.cos(x) if math.isfinite(x) else NAN


def fsigmoid(x):
    """Logistic function, exact in both tails (no overflow at +-1000)."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def fsoftplus(x):
    """log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|))."""
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
