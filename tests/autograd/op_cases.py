"""The tensor ops declared once each: the op, the numpy computation it names, and the input
domain where its derivatives are smooth. The ``test_tensor_*`` modules generate their property
tests from these tables, so adding an op here adds its forward, gradient and second-derivative
tests.

Finite differences only estimate a derivative where the function is smooth within ``eps`` of the
point, so domains stay off kinks (0 for relu/abs), clip bounds, ties between compared values and
the edges of a function's domain (0 for log/sqrt).
"""
import math
import operator
from dataclasses import dataclass

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import autograd as ag
from autograd import testing

# The number of examples comes from the active hypothesis profile (see tests/conftest.py).
# Domains are filtered (kinks, ties), which the health checks would otherwise flag.
PROPERTY = settings(deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.data_too_large])
# Second-order checks are the expensive part of the suite: small arrays keep them fast, and the
# broadcasting and axis mistakes they look for show on small shapes too.
MAX_ELEMENTS = 24


def small(shape_strategy):
    """``shape_strategy`` limited to at most ``MAX_ELEMENTS`` elements (keeps gradchecks fast)."""
    return shape_strategy.filter(lambda s: math.prod(s) <= MAX_ELEMENTS)


SHAPES = small(testing.shapes(min_dims=0, max_dims=4, max_side=3))
NONSCALAR_SHAPES = small(testing.shapes(min_dims=1, max_dims=4, max_side=3))
PAIR_SHAPES = testing.broadcastable_shapes(2, min_dims=0, max_dims=4, max_side=3).filter(
    lambda shapes: math.prod(np.broadcast_shapes(*shapes)) <= MAX_ELEMENTS)


@st.composite
def distinct_arrays(draw, shapes, spacing=0.5):
    """float64 arrays of the given shapes whose elements are all different from each other by at
    least ``spacing`` * 0.8 (no ties anywhere, across all the arrays)."""
    sizes = [math.prod(s) for s in shapes]
    total = sum(sizes)
    order = np.array(draw(st.permutations(range(total))), dtype=np.float64)
    jitter = np.array(draw(st.lists(st.floats(0, 0.1 * spacing), min_size=total, max_size=total)))
    values = (order - total / 2) * spacing + jitter
    pieces = np.split(values, np.cumsum(sizes)[:-1])
    return [p.reshape(s) for p, s in zip(pieces, shapes)]


def erf_reference(a):
    """The error function, element by element from the standard library."""
    return np.vectorize(math.erf, otypes=[np.float64])(a)


# ----------------------------------------------------------------------------- elementwise
@dataclass(frozen=True)
class Unary:
    """An elementwise op, its numpy reference and the smooth part of its domain."""
    name: str
    op: object
    reference: object
    low: float = -3.0
    high: float = 3.0
    avoid: tuple = ()
    margin: float = 1e-3  # distance kept from the points in ``avoid``
    method: str = None  # Tensor method that must give the same result

    def arrays(self, shape):
        """Arrays of ``shape`` inside this op's smooth domain."""
        return testing.arrays(shape, min_value=self.low, max_value=self.high, avoid=self.avoid,
                              margin=self.margin)

    def __repr__(self):
        return self.name


UNARY = [
    Unary("negative", operator.neg, np.negative),
    Unary("exp", ag.exp, np.exp, method="exp"),
    Unary("log", ag.log, np.log, low=0.1, high=5.0, method="log"),
    Unary("log1p", ag.log1p, np.log1p, low=-0.9, method="log1p"),
    Unary("sqrt", ag.sqrt, np.sqrt, low=0.1, high=5.0, method="sqrt"),
    Unary("abs", ag.abs, np.abs, avoid=(0.0,), method="abs"),
    Unary("tanh", ag.tanh, np.tanh, method="tanh"),
    Unary("sigmoid", ag.sigmoid, lambda a: 1 / (1 + np.exp(-a)), low=-6, high=6, method="sigmoid"),
    Unary("relu", ag.relu, lambda a: np.where(a > 0, a, 0.0), avoid=(0.0,), method="relu"),
    Unary("leaky_relu", lambda t: ag.leaky_relu(t, negative_slope=0.2),
          lambda a: np.where(a > 0, a, 0.2 * a), avoid=(0.0,)),
    Unary("elu", lambda t: ag.elu(t, alpha=1.5), lambda a: np.where(a > 0, a, 1.5 * (np.exp(a) - 1)),
          avoid=(0.0,)),
    Unary("gelu", ag.gelu, lambda a: 0.5 * a * (1 + erf_reference(a / math.sqrt(2))), method="gelu"),
    Unary("gelu_tanh", lambda t: ag.gelu(t, approximate="tanh"),
          lambda a: 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))),
    Unary("softplus", ag.softplus, lambda a: np.log1p(np.exp(a)), method="softplus"),
    Unary("sin", ag.sin, np.sin, method="sin"),
    Unary("cos", ag.cos, np.cos, method="cos"),
    Unary("erf", ag.erf, erf_reference, method="erf"),
    Unary("clip", lambda t: ag.clip(t, -1.0, 2.0), lambda a: np.minimum(np.maximum(a, -1.0), 2.0),
          avoid=(-1.0, 2.0)),
    Unary("square", lambda t: t ** 2, lambda a: a * a),
    Unary("cube", lambda t: t ** 3, lambda a: a * a * a),
    Unary("reciprocal", lambda t: t ** -1, lambda a: 1 / a, avoid=(0.0,), margin=0.3),
    Unary("pow_half", lambda t: t ** 0.5, np.sqrt, low=0.1),
    Unary("pow_2.5", lambda t: t ** 2.5, lambda a: a * a * np.sqrt(a), low=0.1),
    Unary("pow_zero", lambda t: t ** 0, np.ones_like),
    Unary("astype", lambda t: t.astype(np.float64), lambda a: a),
]


# ----------------------------------------------------------------------------- binary
@dataclass(frozen=True)
class Binary:
    """A broadcasting two-operand op and its numpy reference. ``distinct`` keeps every element of
    both operands apart (for maximum/minimum, which have a kink at x == y)."""
    name: str
    op: object
    reference: object
    x_range: tuple = (-3.0, 3.0)
    y_range: tuple = (-3.0, 3.0)
    y_avoid: tuple = ()
    distinct: bool = False

    def __repr__(self):
        return self.name


BINARY = [
    Binary("add", operator.add, np.add),
    Binary("subtract", operator.sub, np.subtract),
    Binary("multiply", operator.mul, np.multiply),
    Binary("divide", operator.truediv, np.true_divide, y_avoid=(0.0,)),
    Binary("power", operator.pow, np.power, x_range=(0.2, 3.0), y_range=(-2.0, 2.0)),
    Binary("maximum", ag.maximum, np.maximum, distinct=True),
    Binary("minimum", ag.minimum, np.minimum, distinct=True),
]

DIVISOR_MARGIN = 0.3  # keeps 1 / y and its derivatives small enough for finite differences


# ----------------------------------------------------------------------------- reductions
@dataclass(frozen=True)
class Reduction:
    """A reduction over ``axis`` with ``keepdims`` (and extra keyword arguments such as ddof).
    ``values``: 'any', 'distinct' (no ties, for max/min/std) or 'with_zeros' (exact zeros
    among the values, where a quotient formula for prod's derivatives would divide by zero)."""
    name: str
    op: object
    reference: object
    values: str = "any"
    kwargs: tuple = ()
    min_count: int = 1  # fewest elements per reduced group for a smooth function

    def __repr__(self):
        extra = "".join(f"_{k}{v}" for k, v in self.kwargs)
        return self.name + extra

    def apply(self, x, axis, keepdims):
        """The op on a Tensor, called as a method (``x.sum(axis=..., keepdims=...)``)."""
        return getattr(x, self.op)(axis=axis, keepdims=keepdims, **dict(self.kwargs))

    def expected(self, a, axis, keepdims):
        """numpy's answer."""
        return self.reference(a, axis=axis, keepdims=keepdims, **dict(self.kwargs))


def _logsumexp_reference(a, axis=None, keepdims=False):
    return np.log(np.sum(np.exp(a), axis=axis, keepdims=keepdims))


REDUCTIONS = [
    Reduction("sum", "sum", np.sum),
    Reduction("mean", "mean", np.mean),
    Reduction("max", "max", np.max, values="distinct"),
    Reduction("min", "min", np.min, values="distinct"),
    Reduction("var", "var", np.var),
    Reduction("var", "var", np.var, kwargs=(("ddof", 1),), min_count=2),
    Reduction("std", "std", np.std, values="distinct", min_count=2),
    Reduction("std", "std", np.std, values="distinct", kwargs=(("ddof", 1),), min_count=2),
    Reduction("prod", "prod", np.prod, values="with_zeros"),
    Reduction("logsumexp", "logsumexp", _logsumexp_reference),
]


def reduced_count(shape, axis):
    """How many elements each group of a reduction over ``axis`` holds."""
    if axis is None:
        return math.prod(shape)
    axes = (axis,) if isinstance(axis, int) else axis
    return math.prod(shape[a] for a in axes)
