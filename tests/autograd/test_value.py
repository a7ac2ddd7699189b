"""The scalar ``Value`` engine: every op against central finite differences (first and second
order) and against closed-form derivatives, algebraic identities and shared nodes, IEEE results
instead of Python exceptions, and the error messages of bad input."""
import math
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd as ag
from autograd import Value
from autograd.testing import scalars


def first_and_second(f, x0):
    """f(x0), f'(x0), f''(x0) computed by the engine (a double backward pass)."""
    x = Value(x0)
    y = f(x)
    dydx = ag.gradients(y, x, create_graph=True)
    second = ag.gradients(dydx, x) if isinstance(dydx, Value) and dydx.requires_grad else 0.0
    return y.data, float(dydx.data if isinstance(dydx, Value) else dydx), float(second)


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def _sign(x):
    return 1.0 if x > 0 else -1.0


# name, function, domain (kept away from kinks and poles), forward, first and second derivative
Unary = namedtuple("Unary", "name fn domain f d1 d2")

UNARY = [
    Unary("neg", lambda x: -x, scalars(-5, 5), lambda x: -x, lambda x: -1.0, lambda x: 0.0),
    Unary("pos", lambda x: +x, scalars(-5, 5), lambda x: x, lambda x: 1.0, lambda x: 0.0),
    Unary("exp", lambda x: x.exp(), scalars(-5, 5), math.exp, math.exp, math.exp),
    Unary("log", lambda x: x.log(), scalars(0.05, 10), math.log, lambda x: 1 / x, lambda x: -1 / x ** 2),
    Unary("sqrt", lambda x: x.sqrt(), scalars(0.05, 10), math.sqrt,
          lambda x: 0.5 / math.sqrt(x), lambda x: -0.25 * x ** -1.5),
    Unary("tanh", lambda x: x.tanh(), scalars(-4, 4), math.tanh,
          lambda x: 1 - math.tanh(x) ** 2, lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2)),
    Unary("sigmoid", lambda x: x.sigmoid(), scalars(-8, 8), _sigmoid,
          lambda x: _sigmoid(x) * (1 - _sigmoid(x)),
          lambda x: _sigmoid(x) * (1 - _sigmoid(x)) * (1 - 2 * _sigmoid(x))),
    Unary("relu", lambda x: x.relu(), scalars(-5, 5, avoid=[0]), lambda x: max(x, 0.0),
          lambda x: 1.0 if x > 0 else 0.0, lambda x: 0.0),
    Unary("leaky_relu", lambda x: x.leaky_relu(), scalars(-5, 5, avoid=[0]),
          lambda x: x if x > 0 else 0.01 * x, lambda x: 1.0 if x > 0 else 0.01, lambda x: 0.0),
    Unary("leaky_relu_0.2", lambda x: x.leaky_relu(negative_slope=0.2), scalars(-5, 5, avoid=[0]),
          lambda x: x if x > 0 else 0.2 * x, lambda x: 1.0 if x > 0 else 0.2, lambda x: 0.0),
    Unary("abs", lambda x: x.abs(), scalars(-5, 5, avoid=[0]), abs, _sign, lambda x: 0.0),
    Unary("builtin_abs", lambda x: abs(x), scalars(-5, 5, avoid=[0]), abs, _sign, lambda x: 0.0),
    Unary("sin", lambda x: x.sin(), scalars(-6, 6), math.sin, math.cos, lambda x: -math.sin(x)),
    Unary("cos", lambda x: x.cos(), scalars(-6, 6), math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    Unary("softplus", lambda x: x.softplus(), scalars(-8, 8), lambda x: math.log1p(math.exp(x)),
          _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    # powers with a constant exponent
    Unary("square", lambda x: x ** 2, scalars(-5, 5), lambda x: x * x, lambda x: 2 * x, lambda x: 2.0),
    Unary("cube", lambda x: x ** 3, scalars(-5, 5), lambda x: x ** 3, lambda x: 3 * x * x, lambda x: 6 * x),
    Unary("pow_2.5", lambda x: x ** 2.5, scalars(0.05, 5), lambda x: x ** 2.5,
          lambda x: 2.5 * x ** 1.5, lambda x: 3.75 * x ** 0.5),
    Unary("pow_-2", lambda x: x ** -2, scalars(-5, 5, avoid=[0], margin=0.2), lambda x: x ** -2,
          lambda x: -2 * x ** -3, lambda x: 6 * x ** -4),
    Unary("pow_0", lambda x: x ** 0, scalars(-5, 5), lambda x: 1.0, lambda x: 0.0, lambda x: 0.0),
    # the other operand a Python number, on either side
    Unary("add_const", lambda x: x + 2.5, scalars(-5, 5), lambda x: x + 2.5, lambda x: 1.0, lambda x: 0.0),
    Unary("radd", lambda x: 2.5 + x, scalars(-5, 5), lambda x: 2.5 + x, lambda x: 1.0, lambda x: 0.0),
    Unary("sub_const", lambda x: x - 2.5, scalars(-5, 5), lambda x: x - 2.5, lambda x: 1.0, lambda x: 0.0),
    Unary("rsub", lambda x: 2.5 - x, scalars(-5, 5), lambda x: 2.5 - x, lambda x: -1.0, lambda x: 0.0),
    Unary("mul_const", lambda x: x * 3, scalars(-5, 5), lambda x: 3 * x, lambda x: 3.0, lambda x: 0.0),
    Unary("rmul", lambda x: 3 * x, scalars(-5, 5), lambda x: 3 * x, lambda x: 3.0, lambda x: 0.0),
    Unary("div_const", lambda x: x / 4, scalars(-5, 5), lambda x: x / 4, lambda x: 0.25, lambda x: 0.0),
    Unary("rtruediv", lambda x: 3 / x, scalars(-5, 5, avoid=[0], margin=0.2), lambda x: 3 / x,
          lambda x: -3 / x ** 2, lambda x: 6 / x ** 3),
    Unary("rpow", lambda x: 2 ** x, scalars(-4, 4), lambda x: 2.0 ** x,
          lambda x: 2.0 ** x * math.log(2), lambda x: 2.0 ** x * math.log(2) ** 2),
    Unary("rpow_numpy_scalar", lambda x: np.float64(2.0) ** x, scalars(-4, 4), lambda x: 2.0 ** x,
          lambda x: 2.0 ** x * math.log(2), lambda x: 2.0 ** x * math.log(2) ** 2),
]


@pytest.mark.parametrize("op", UNARY, ids=[op.name for op in UNARY])
@given(data=st.data())
def test_unary_op_matches_finite_differences_to_second_order(op, data):
    x0 = data.draw(op.domain, label="x")
    assert ag.gradcheck(op.fn, [x0])
    assert ag.gradgradcheck(op.fn, [x0])


@pytest.mark.parametrize("op", UNARY, ids=[op.name for op in UNARY])
@given(data=st.data())
def test_unary_op_matches_closed_form_derivatives(op, data):
    x0 = data.draw(op.domain, label="x")
    value, d1, d2 = first_and_second(op.fn, x0)
    assert close(value, op.f(x0)), (value, op.f(x0))
    assert close(d1, op.d1(x0)), (d1, op.d1(x0))
    assert close(d2, op.d2(x0), rel=1e-8, abs_=1e-10), (d2, op.d2(x0))


# name, function of (a, b), domain of a, domain of b, closed-form (df/da, df/db)
Binary = namedtuple("Binary", "name fn a b grads")

BINARY = [
    Binary("add", lambda a, b: a + b, scalars(-5, 5), scalars(-5, 5), lambda a, b: (1.0, 1.0)),
    Binary("sub", lambda a, b: a - b, scalars(-5, 5), scalars(-5, 5), lambda a, b: (1.0, -1.0)),
    Binary("mul", lambda a, b: a * b, scalars(-5, 5), scalars(-5, 5), lambda a, b: (b, a)),
    Binary("div", lambda a, b: a / b, scalars(-5, 5), scalars(-5, 5, avoid=[0], margin=0.3),
           lambda a, b: (1 / b, -a / b ** 2)),
    Binary("pow", lambda a, b: a ** b, scalars(0.1, 4), scalars(-3, 3),
           lambda a, b: (b * a ** (b - 1), a ** b * math.log(a))),
    Binary("mixed", lambda a, b: (a * b).tanh() + a.exp() / (1 + b * b), scalars(-2, 2), scalars(-2, 2),
           lambda a, b: (b * (1 - math.tanh(a * b) ** 2) + math.exp(a) / (1 + b * b),
                         a * (1 - math.tanh(a * b) ** 2) - 2 * b * math.exp(a) / (1 + b * b) ** 2)),
]


@pytest.mark.parametrize("op", BINARY, ids=[op.name for op in BINARY])
@given(data=st.data())
def test_binary_op_matches_finite_differences_and_closed_form(op, data):
    a0, b0 = data.draw(op.a, label="a"), data.draw(op.b, label="b")
    assert ag.gradcheck(op.fn, [a0, b0])
    assert ag.gradgradcheck(op.fn, [a0, b0])
    a, b = Value(a0), Value(b0)
    op.fn(a, b).backward()
    expected_a, expected_b = op.grads(a0, b0)
    assert close(a.grad, expected_a) and close(b.grad, expected_b), ((a.grad, b.grad), (expected_a, expected_b))


@given(a0=scalars(0.2, 3), b0=scalars(-2, 2))
def test_pow_with_value_exponent_second_derivatives(a0, b0):
    # d2/da2 a**b = b (b-1) a**(b-2); d2/db2 = a**b log(a)**2; d2/dadb = a**(b-1) (1 + b log a)
    a, b = Value(a0), Value(b0)
    y = a ** b
    ga, gb = ag.gradients(y, [a, b], create_graph=True)
    gaa, gab = ag.gradients(ga, [a, b], retain_graph=True)
    gba, gbb = ag.gradients(gb, [a, b])
    assert close(gaa, b0 * (b0 - 1) * a0 ** (b0 - 2))
    assert close(gbb, a0 ** b0 * math.log(a0) ** 2)
    mixed = a0 ** (b0 - 1) * (1 + b0 * math.log(a0))
    assert close(gab, mixed) and close(gba, mixed)


@given(xs=st.lists(scalars(-3, 3), min_size=1, max_size=6), constant=scalars(-3, 3))
def test_value_sum_of_values_and_numbers(xs, constant):
    def total(*vs):
        return Value.sum(list(vs) + [constant, 2])

    assert ag.gradcheck(total, xs)
    assert ag.gradgradcheck(lambda *vs: Value.sum([v * v for v in vs] + [constant]), xs)
    leaves = [Value(x) for x in xs]
    out = total(*leaves)
    assert close(out.data, math.fsum(xs + [constant, 2]))
    out.backward()
    assert [v.grad for v in leaves] == [1.0] * len(xs)
    assert out.op.name == "sum"


@given(pairs=st.lists(st.tuples(scalars(-3, 3), scalars(-3, 3)), min_size=1, max_size=5))
def test_value_dot_matches_closed_form_and_finite_differences(pairs):
    n = len(pairs)
    ws, xs = [p[0] for p in pairs], [p[1] for p in pairs]

    def dot(*vs):
        return Value.dot(vs[:n], vs[n:])

    assert ag.gradcheck(dot, ws + xs)
    assert ag.gradgradcheck(dot, ws + xs)
    weights, inputs = [Value(w) for w in ws], [Value(x) for x in xs]
    out = Value.dot(weights, inputs)
    assert close(out.data, math.fsum(w * x for w, x in pairs))
    out.backward()
    assert [w.grad for w in weights] == xs
    assert [x.grad for x in inputs] == ws


def test_value_dot_with_constant_weights_and_shared_operands():
    x = Value(1.5)
    y = Value(-2.0)
    out = Value.dot([2.0, x, y], [x, x, 3])  # 2x + x*x + 3y
    out.backward()
    assert out.data == 2 * 1.5 + 1.5 * 1.5 + 3 * -2.0
    assert x.grad == 2 + 2 * 1.5
    assert y.grad == 3.0


# --------------------------------------------------------------------------- algebraic identities


@given(a0=scalars(-4, 4), b0=scalars(-4, 4, avoid=[0], margin=0.3))
def test_gradient_of_product_plus_quotient(a0, b0):
    a, b = Value(a0), Value(b0)
    (a * b + a / b).backward()
    assert close(a.grad, b0 + 1 / b0)
    assert close(b.grad, a0 - a0 / b0 ** 2)


@given(a0=scalars(-4, 4), b0=scalars(-4, 4))
def test_binomial_square_expansions_have_equal_gradients(a0, b0):
    a1, b1 = Value(a0), Value(b0)
    ((a1 + b1) ** 2).backward()
    a2, b2 = Value(a0), Value(b0)
    (a2 * a2 + 2 * a2 * b2 + b2 * b2).backward()
    expected = 2 * (a0 + b0)
    for g in (a1.grad, b1.grad, a2.grad, b2.grad):
        assert close(g, expected)


@given(x0=scalars(-4, 4))
def test_reused_node(x0):
    a = Value(x0)
    b = a + a
    c = b * b
    c.backward()
    assert close(a.grad, 8 * x0)


@given(x0=scalars(-3, 3))
def test_diamond_graph(x0):
    #      a
    #    /   \
    #  2a    exp(a)
    #    \   /
    #     mul
    a = Value(x0)
    left, right = a * 2, a.exp()
    (left * right).backward()
    assert close(a.grad, 2 * math.exp(x0) + 2 * x0 * math.exp(x0))


@given(x0=scalars(-2, 2))
def test_value_used_at_many_depths(x0):
    a = Value(x0)
    y = (a * a) * a + a  # a reaches the output through four edges of different depth
    y.backward()
    assert close(a.grad, 3 * x0 ** 2 + 1)


def test_value_used_in_many_places():
    a = Value(0.5)
    terms = [a * k for k in range(1, 1001)]
    Value.sum(terms + [sum(terms[:10])]).backward()  # builtin sum chains through __radd__
    assert a.grad == sum(range(1, 1001)) + sum(range(1, 11))


@pytest.mark.parametrize(("expression", "gradient"), [
    (lambda x: x + x, lambda x: 2.0),
    (lambda x: x - x, lambda x: 0.0),
    (lambda x: x * x, lambda x: 2 * x),
    (lambda x: x / x, lambda x: 0.0),
    (lambda x: x ** x, lambda x: x ** x * (math.log(x) + 1)),
], ids=["add", "sub", "mul", "div", "pow"])
def test_one_value_as_both_operands(expression, gradient):
    x = Value(1.7)
    expression(x).backward()
    assert close(x.grad, gradient(1.7))


def test_numpy_scalars_mix_with_values():
    x = Value(2.0)
    for y, slope in [(np.float64(3.0) * x, 3.0), (x * np.float32(3.0), 3.0), (np.int64(5) - x, -1.0)]:
        assert isinstance(y, Value)
        x.zero_grad()
        y.backward()
        assert x.grad == slope


# --------------------------------------------------------------------------- the Value object


def test_operations_record_their_op_and_operands():
    a, b = Value(2.0, name="a"), Value(3.0)
    c = a * b
    assert c.op.name == "multiply" and c.inputs == (a, b) and not c.is_leaf
    assert a.is_leaf and a.op is None and a.inputs == ()
    d = 2 - a  # reflected: operands in the order written
    assert d.op.name == "subtract" and d.inputs[1] is a and d.data == 0.0
    assert c.requires_grad and d.requires_grad
    assert a.name == "a" and "name='a'" in repr(a)


def test_result_requires_grad_only_when_an_operand_does():
    a, b = Value(2.0, requires_grad=False), Value(3.0, requires_grad=False)
    c = a * b + 1
    assert not c.requires_grad and c.op is None
    assert (a * Value(1.0)).requires_grad


def test_comparisons_and_conversions_give_plain_results():
    a, b = Value(2.0), Value(3.0)
    assert (a < b) is True and (a >= b) is False and (a > 1) is True and (a <= 2.0) is True
    assert float(a) == 2.0 and isinstance(float(a), float)
    assert Value(np.float32(1.5)).data == 1.5 and type(Value(np.float32(1.5)).data) is float
    assert Value(3).data == 3.0 and type(Value(3).data) is float


def test_detach_is_a_leaf_without_gradient():
    x = Value(3.0)
    d = x.detach()
    assert d.data == 3.0 and not d.requires_grad and d.is_leaf
    (x * d).backward()  # d is a constant: the gradient is d, not 2x
    assert x.grad == 3.0 and d.grad is None


def test_zero_grad_forgets_the_gradient():
    x = Value(2.0)
    (x * x).backward()
    x.zero_grad()
    assert x.grad is None
    (x * 5).backward()
    assert x.grad == 5.0


def test_backward_seed_scales_the_gradient():
    x = Value(2.0)
    (x * x).backward(grad=0.5)
    assert x.grad == 2.0


# --------------------------------------------------------------------------- IEEE results


_EDGE_CASES = {
    "1/0": (lambda: 1 / Value(0.0), math.inf),
    "-1/0": (lambda: -1 / Value(0.0), -math.inf),
    "0/0": (lambda: Value(0.0) / Value(0.0), math.nan),
    "0**-1": (lambda: Value(0.0) ** -1, math.inf),
    "(-0)**-1": (lambda: Value(-0.0) ** -1, -math.inf),
    "0**-2": (lambda: Value(0.0) ** -2, math.inf),
    "10**400": (lambda: Value(10.0) ** 400, math.inf),
    "(-10)**401": (lambda: Value(-10.0) ** 401, -math.inf),
    "(-1e300)**1.5": (lambda: Value(-1e300) ** 1.5, math.nan),
    "(-8)**(1/3)": (lambda: Value(-8.0) ** (1 / 3), math.nan),
    "log(0)": (lambda: Value(0.0).log(), -math.inf),
    "log(-1)": (lambda: Value(-1.0).log(), math.nan),
    "sqrt(-1)": (lambda: Value(-1.0).sqrt(), math.nan),
    "exp(1000)": (lambda: Value(1000.0).exp(), math.inf),
    "sin(inf)": (lambda: Value(math.inf).sin(), math.nan),
    "cos(-inf)": (lambda: Value(-math.inf).cos(), math.nan),
    "relu(nan)": (lambda: Value(math.nan).relu(), math.nan),
    "tanh(inf)": (lambda: Value(math.inf).tanh(), 1.0),
}


@pytest.mark.parametrize(("expression", "expected"), list(_EDGE_CASES.values()), ids=list(_EDGE_CASES))
def test_float_edge_cases_follow_ieee_like_numpy(expression, expected):
    result = expression().data
    assert result == expected or (math.isnan(result) and math.isnan(expected)), result


def test_gradients_at_ieee_edges_do_not_raise():
    x = Value(math.inf)
    x.cos().backward()  # the derivative formula evaluates sin(inf)
    assert math.isnan(x.grad)
    y = Value(math.nan)
    y.abs().backward()  # sign(nan) is nan, as in numpy: no silent zero for a nan input
    assert math.isnan(y.grad)


# --------------------------------------------------------------------------- error messages


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], np.array([1.0, 2.0]), 1 + 2j])
def test_value_of_non_number_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Value.*real number.*got " + type(bad).__name__):
        Value(bad)


def test_arithmetic_with_non_numbers_is_a_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"
    with pytest.raises(TypeError):
        [1.0] * Value(2.0)


def test_dot_length_mismatch():
    with pytest.raises(ValueError, match=r"Value\.dot: 2 weights but 3 inputs"):
        Value.dot([Value(1.0), Value(2.0)], [Value(1.0), 2.0, 3.0])


@pytest.mark.parametrize("where", ["sum", "dot"])
def test_sum_and_dot_reject_non_numbers(where):
    with pytest.raises(TypeError, match=rf"Value\.{where}: operands must be Values or real numbers, got str"):
        if where == "sum":
            Value.sum([Value(1.0), "x"])
        else:
            Value.dot([Value(1.0)], ["x"])


def test_truth_value_of_a_value_is_ambiguous():
    with pytest.raises(TypeError, match="truth value of a Value is ambiguous"):
        bool(Value(1.0))
    with pytest.raises(TypeError):
        if Value(0.0):
            pass


def test_backward_seed_must_be_a_number():
    with pytest.raises(TypeError, match="grad must be a number, got str"):
        (Value(1.0) * 2).backward(grad="one")
