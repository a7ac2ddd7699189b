"""The subgradient table in the docstring of ``autograd.value``, for ``Value`` and ``Tensor``:
values and derivatives at kinks, domain edges and outside a domain; the two engines agree
element by element on special inputs; and the saturating functions stay finite and accurate in
their tails."""
import math
import warnings

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value

INF, NAN = math.inf, math.nan


def value_engine(fn, *xs):
    """fn at xs with the scalar engine: the result and the gradient of each input."""
    leaves = [Value(x) for x in xs]
    y = fn(*leaves)
    y.backward()
    return y.data, [leaf.grad for leaf in leaves]


def tensor_engine(fn, *xs):
    """fn at xs with 0-d float64 tensors: the result and the gradient of each input."""
    leaves = [Tensor(np.array(x, dtype=np.float64), requires_grad=True) for x in xs]
    with np.errstate(all="ignore"):  # values are checked here; warnings have their own test
        y = fn(*leaves)
        y.backward()
    return float(y.data), [float(leaf.grad) for leaf in leaves]


ENGINES = [pytest.param(value_engine, id="Value"), pytest.param(tensor_engine, id="Tensor")]


def same(actual, expected):
    """Equal as IEEE values: nan matches nan, inf matches inf of the same sign."""
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == expected


# name, function, input, documented value, documented derivative
TABLE = [
    ("relu'(0) = 0", lambda x: x.relu(), 0.0, 0.0, 0.0),
    ("leaky_relu'(0) = negative_slope (default 0.01)", lambda x: x.leaky_relu(), 0.0, 0.0, 0.01),
    ("leaky_relu'(0) = negative_slope (0.2)", lambda x: x.leaky_relu(negative_slope=0.2), 0.0, 0.0, 0.2),
    ("abs'(0) = 0", lambda x: x.abs(), 0.0, 0.0, 0.0),
    ("sqrt(0) = 0, sqrt'(0) = inf", lambda x: x.sqrt(), 0.0, 0.0, INF),
    ("log(0) = -inf, log'(0) = inf", lambda x: x.log(), 0.0, -INF, INF),
    ("x**3 at 0: derivative 0", lambda x: x ** 3, 0.0, 0.0, 0.0),
    ("x**2 at 0: derivative 0", lambda x: x ** 2, 0.0, 0.0, 0.0),
    ("x**1.5 at 0: derivative 0", lambda x: x ** 1.5, 0.0, 0.0, 0.0),
    ("x**1 at 0: derivative 1", lambda x: x ** 1, 0.0, 0.0, 1.0),
    ("x**0.5 at 0: derivative inf", lambda x: x ** 0.5, 0.0, 0.0, INF),
    ("x**0.25 at 0: derivative inf", lambda x: x ** 0.25, 0.0, 0.0, INF),
    ("x**0 at 0: value 1, derivative 0", lambda x: x ** 0, 0.0, 1.0, 0.0),
    ("log(-1) = nan", lambda x: x.log(), -1.0, NAN, -1.0),
    ("sqrt(-8) = nan", lambda x: x.sqrt(), -8.0, NAN, NAN),
    ("(-8)**0.5 = nan", lambda x: x ** 0.5, -8.0, NAN, NAN),
]


def _check_row(engine, fn, x, value, derivative):
    result, (grad,) = engine(fn, x)
    assert same(result, value), f"value {result}, documented {value}"
    assert same(grad, derivative), f"derivative {grad}, documented {derivative}"


@pytest.mark.parametrize(("fn", "x", "value", "derivative"), [pytest.param(*row[1:], id=row[0]) for row in TABLE])
def test_value_follows_the_subgradient_table(fn, x, value, derivative):
    _check_row(value_engine, fn, x, value, derivative)


@pytest.mark.parametrize(("fn", "x", "value", "derivative"), [
    pytest.param(*row[1:], id=row[0]) for row in TABLE])
def test_tensor_follows_the_subgradient_table(fn, x, value, derivative):
    _check_row(tensor_engine, fn, x, value, derivative)


@pytest.mark.parametrize(("engine", "p"), [
    pytest.param(engine, p, id=f"{name}-{p}")
    for name, engine in [("Value", value_engine), ("Tensor", tensor_engine)]
    for p in [0.0, 0.5, 1.0, 2.0, 3.0]])
def test_exponent_derivative_at_zero_base_is_zero(engine, p):
    # d/dp x**p = x**p log(x) is 0 * -inf = nan at x = 0 by the formula; the table says 0 for p >= 0
    result, (dx, dp) = engine(lambda x, q: x ** q, 0.0, p)
    assert result == (1.0 if p == 0 else 0.0)
    assert dp == 0.0
    assert same(dx, {0.0: 0.0, 0.5: INF, 1.0: 1.0, 2.0: 0.0, 3.0: 0.0}[p])


@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_mixed_second_derivative_of_power_at_zero_exponent(kind):
    # d/dx x**p = p x**(p-1) is 0 at p = 0, but its derivative in p there is x**-1
    if kind == "Value":
        x, p = Value(2.0), Value(0.0)
    else:
        x, p = (Tensor(np.array([2.0]), requires_grad=True), Tensor(np.array([0.0]), requires_grad=True))
    y = x ** p
    dx = ag.gradients(y if kind == "Value" else y.sum(), x, create_graph=True)
    d_dx_dp = ag.gradients(dx if kind == "Value" else dx.sum(), p)
    assert float(np.asarray(getattr(d_dx_dp, "data", d_dx_dp)).ravel()[0]) == 0.5


@pytest.mark.parametrize("engine", ENGINES)
def test_exponent_derivative_outside_the_domain_is_nan(engine):
    result, (dx, dp) = engine(lambda x, q: x ** q, -8.0, 0.5)
    assert math.isnan(result) and math.isnan(dx) and math.isnan(dp)


def test_tensor_backward_at_documented_edges_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for fn in (lambda x: x.sqrt(), lambda x: x.log(), lambda x: x ** 0.5):
            x = Tensor(np.array([0.0, 1.0]), requires_grad=True)
            fn(x).sum().backward()
            assert x.grad[0] == INF


# --------------------------------------------------------------------------- Value == Tensor

SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 30.0, -30.0, 1000.0, -1000.0, 1e300, -1e300, INF, -INF, NAN]

UNARY = {
    "exp": lambda x: x.exp(), "log": lambda x: x.log(), "sqrt": lambda x: x.sqrt(),
    "tanh": lambda x: x.tanh(), "sigmoid": lambda x: x.sigmoid(), "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(negative_slope=0.1), "abs": lambda x: x.abs(),
    "sin": lambda x: x.sin(), "cos": lambda x: x.cos(), "softplus": lambda x: x.softplus(),
    "neg": lambda x: -x, "square": lambda x: x ** 2, "cube": lambda x: x ** 3,
    # not x ** 0.5 or 1.5: numpy computes x ** 0.5 as sqrt, so (-inf) ** 0.5 is nan there, not C's +inf
    "pow_2.5": lambda x: x ** 2.5, "pow_-1": lambda x: x ** -1, "rpow": lambda x: 2 ** x,
    "reciprocal": lambda x: 1 / x, "rsub": lambda x: 3 - x,
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_value_and_tensor_agree_on_special_inputs(name):
    fn = UNARY[name]
    values, grads = zip(*[value_engine(fn, x) for x in SPECIAL])
    x = Tensor(np.array(SPECIAL), requires_grad=True)
    with np.errstate(all="ignore"):
        y = fn(x)
        y.backward(np.ones_like(y.data))
    np.testing.assert_allclose(np.array(values), y.data, rtol=1e-12, atol=0, equal_nan=True,
                               err_msg=f"{name}: forward, inputs {SPECIAL}")
    np.testing.assert_allclose(np.array([g[0] for g in grads]), x.grad, rtol=1e-12, atol=0,
                               equal_nan=True, err_msg=f"{name}: derivative, inputs {SPECIAL}")


# --------------------------------------------------------------------------- saturating tails

# x, sigmoid, sigmoid', tanh, tanh', softplus, softplus' (the tails in closed form)
TAILS = [
    (1000.0, 1.0, 0.0, 1.0, 0.0, 1000.0, 1.0),
    (-1000.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0),
    (-30.0, math.exp(-30) / (1 + math.exp(-30)), math.exp(-30) / (1 + math.exp(-30)) ** 2,
     -math.tanh(30.0), 4 / (math.exp(30) + math.exp(-30)) ** 2, math.log1p(math.exp(-30)),
     math.exp(-30) / (1 + math.exp(-30))),
    (40.0, 1 / (1 + math.exp(-40)), math.exp(-40) / (1 + math.exp(-40)) ** 2, math.tanh(40.0),
     4 / (math.exp(40) + math.exp(-40)) ** 2, 40 + math.log1p(math.exp(-40)), 1 / (1 + math.exp(-40))),
]


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("row", TAILS, ids=[str(r[0]) for r in TAILS])
def test_saturating_functions_are_finite_and_accurate_in_the_tails(engine, row):
    x, *expected = row
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow on the way
        got = []
        for name in ("sigmoid", "tanh", "softplus"):
            value, (grad,) = engine(lambda v: getattr(v, name)(), x)
            got += [value, grad]
    names = ["sigmoid", "sigmoid'", "tanh", "tanh'", "softplus", "softplus'"]
    for name, g, e in zip(names, got, expected):
        assert math.isfinite(g), f"{name}({x}) = {g}"
        # Values keep relative accuracy even when tiny (sigmoid(-30) ~ 1e-13: an absolute check
        # would accept 0). Derivatives written as ans * (1 - ans) can only be accurate relative
        # to 1 where ans rounds to 1, exactly as in other frameworks.
        abs_tol = 1e-300 if "'" not in name else 1e-15
        assert math.isclose(g, e, rel_tol=1e-9, abs_tol=abs_tol), f"{name}({x}) = {g}, expected {e}"


def test_float32_tensor_tails_stay_finite():
    x = Tensor(np.array([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=np.float32), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for fn in (ag.sigmoid, ag.tanh, ag.softplus):
            x.zero_grad()
            y = fn(x)
            y.sum().backward()
            assert y.dtype == np.float32 and x.grad.dtype == np.float32
            assert np.all(np.isfinite(y.data)) and np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(ag.sigmoid(x).data, [0.0, 9.357623e-14, 0.5, 1.0, 1.0], rtol=1e-6)
