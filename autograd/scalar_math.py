"""Float arithmetic with IEEE results instead of Python exceptions, for the scalar engine.

Python raises on ``1.0 / 0.0``, ``0.0 ** -1`` and ``math.log(0.0)``; numpy and PyTorch return
``inf``/``nan``. The scalar ``Value`` follows the tensor convention so that both engines agree
element by element. Each helper also accepts ``Value`` operands (dispatching to its methods), so
derivative formulas written with them work in ordinary and in ``create_graph`` backward passes.
"""
import math

from .node import Node

INF = math.inf
NAN = math.nan


def is_graph(x):
    """True for a graph object (a ``Value``), False for a plain number."""
    return isinstance(x, Node)


def data(x):
    """The plain number behind ``x``."""
    return x.data if isinstance(x, Node) else x


def fdiv(a, b):
    """``a / b`` with IEEE semantics for plain floats (x/0 is +-inf, 0/0 is nan)."""
    if isinstance(a, Node) or isinstance(b, Node):
        return a / b
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


def sign(x):
    """-1, 0 or 1 as a float (sign(0) = 0, sign(nan) = nan as in numpy)."""
    x = data(x)
    if x > 0:
        return 1.0
    if x < 0:
        return -1.0
    return 0.0 if x == 0 else NAN


def step(x):
    """1.0 where x > 0, else 0.0: the derivative of relu, with relu'(0) = 0."""
    return 1.0 if data(x) > 0 else 0.0


# Helpers that accept either a float or a Value (for derivative formulas).

def log(x):
    return x.log() if isinstance(x, Node) else flog(x)


def exp(x):
    return x.exp() if isinstance(x, Node) else fexp(x)


def sin(x):
    return x.sin() if isinstance(x, Node) else fsin(x)


def cos(x):
    return x.cos() if isinstance(x, Node) else fcos(x)


def sigmoid(x):
    return x.sigmoid() if isinstance(x, Node) else fsigmoid(x)


def power(a, b):
    if isinstance(a, Node) or isinstance(b, Node):
        return a ** b
    return fpow(a, b)
