"""Higher-order derivatives: ``backward(create_graph=True)``, ``gradients``, ``grad``,
``value_and_grad``, ``jacobian``, ``hessian`` and ``hvp``, against closed forms."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

import autograd as ag
from autograd import Tensor, Value
from autograd.testing import arrays, scalars


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# --------------------------------------------------------------------------- create_graph


def test_create_graph_leaves_a_differentiable_value_grad():
    x = Value(0.7)
    x.tanh().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.requires_grad and not g.is_leaf
    assert close(g.data, 1 - math.tanh(0.7) ** 2)
    x.grad = None
    g.backward()
    t = math.tanh(0.7)
    assert close(x.grad, -2 * t * (1 - t * t))


def test_create_graph_on_tensors():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Tensor) and g.requires_grad
    np.testing.assert_allclose(g.data, 3 * x.data ** 2)
    x.grad = None
    (g * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_allclose(x.grad, 6 * x.data * [1.0, 2.0, 3.0])


# --------------------------------------------------------------------------- gradients


def test_gradients_returns_without_accumulating():
    a, b, unused = Value(2.0), Value(-3.0), Value(1.0)
    h = (a * b).retain_grad()
    ga, gb, gu = ag.gradients(h + a, [a, b, unused])
    assert (ga, gb, gu) == (-3.0 + 1.0, 2.0, None)
    assert a.grad is None and b.grad is None and h.grad is None and unused.grad is None
    single = ag.gradients(a * a, a)  # a single input gives a single gradient
    assert single == 4.0


def test_gradients_of_tensors_with_seed_and_unused_input():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    unused = Tensor(np.ones(3), requires_grad=True)
    y = x * x
    gx, gu = ag.gradients(y, [x, unused], grad_outputs=np.array([1.0, -1.0]))
    np.testing.assert_array_equal(gx, [2.0, -4.0])
    assert gu is None and x.grad is None


def test_gradients_of_several_outputs_add_up():
    x = Value(1.5)
    g = ag.gradients([x * x, x.exp()], [x], grad_outputs=[1.0, 2.0])
    assert close(g[0], 2 * 1.5 + 2 * math.exp(1.5))


def test_gradients_input_errors():
    with pytest.raises(ValueError, match="every input must be a Value or Tensor that requires grad"):
        ag.gradients(Value(1.0) * 2, [Value(1.0, requires_grad=False)])
    with pytest.raises(ValueError, match="2 outputs but 1 grad_outputs"):
        x = Value(1.0)
        ag.gradients([x * 2, x * 3], [x], grad_outputs=[1.0])


def test_gradients_with_respect_to_an_interior_value():
    x = Value(0.3)
    h = x.sin()
    y = h * h
    assert close(ag.gradients(y, h), 2 * math.sin(0.3))


# --------------------------------------------------------------------------- grad, value_and_grad


@given(x0=scalars(-2, 2))
def test_grad_and_nested_grad_against_closed_forms(x0):
    f = lambda x: x.sin() * x.exp()  # noqa: E731
    d1 = ag.grad(f)
    d2 = ag.grad(d1)
    d3 = ag.grad(d2)
    s, c, e = math.sin(x0), math.cos(x0), math.exp(x0)
    assert close(d1(x0), (s + c) * e)
    assert close(d2(x0), 2 * c * e)
    assert close(d3(x0), 2 * (c - s) * e)
    assert isinstance(d1(x0), float) and isinstance(d3(x0), float)


@given(x0=scalars(-3, 3))
def test_third_derivative_of_fourth_power(x0):
    assert close(ag.grad(ag.grad(ag.grad(lambda x: x ** 4)))(x0), 24 * x0, abs_=1e-9)


@given(x0=scalars(-3, 3))
def test_second_derivatives_in_closed_form(x0):
    t, s = math.tanh(x0), 1 / (1 + math.exp(-x0))
    assert close(ag.grad(ag.grad(lambda x: x.tanh()))(x0), -2 * t * (1 - t * t), abs_=1e-10)
    assert close(ag.grad(ag.grad(lambda x: x.sigmoid()))(x0), s * (1 - s) * (1 - 2 * s), abs_=1e-10)
    assert close(ag.grad(ag.grad(lambda x: x.sin()))(x0), -math.sin(x0), abs_=1e-10)
    assert close(ag.grad(ag.grad(lambda x: x ** 3))(x0), 6 * x0, abs_=1e-10)
    assert close(ag.grad(ag.grad(lambda x: x.log()))(abs(x0) + 0.1), -1 / (abs(x0) + 0.1) ** 2)


def test_value_and_grad_with_int_and_tuple_argnums():
    f = lambda a, b: a * b * b + a * a  # noqa: E731  (arguments not in argnums stay floats)
    value, g = ag.value_and_grad(f)(2.0, 0.5)
    assert close(value, 2 * 0.25 + 4) and close(g, 0.25 + 4)
    value, g = ag.value_and_grad(f, argnums=1)(2.0, 0.5)
    assert close(g, 2 * 2 * 0.5)
    value, (ga, gb) = ag.value_and_grad(f, argnums=(0, 1))(2.0, 0.5)
    assert close(ga, 0.25 + 4) and close(gb, 2.0)
    assert isinstance(value, float) and isinstance(ga, float)
    (gb_only,) = ag.grad(f, argnums=(1,))(2.0, 0.5)
    assert close(gb_only, 2.0)
    value, (ga, gb) = ag.value_and_grad(lambda a, b: a.sin() * b.exp(), argnums=(0, 1))(0.3, -0.4)
    assert close(ga, math.cos(0.3) * math.exp(-0.4)) and close(gb, math.sin(0.3) * math.exp(-0.4))


def test_grad_of_mixed_partial_derivatives():
    # the outer derivative is taken through an argument that the inner grad does not watch
    f = lambda a, b: a * a * b.exp()  # noqa: E731
    d_da_db = ag.grad(lambda a, b: ag.grad(f, argnums=0)(a, b), argnums=1)
    assert close(d_da_db(1.5, 0.2), 2 * 1.5 * math.exp(0.2))
    d_db_da = ag.grad(lambda a, b: ag.grad(f, argnums=1)(a, b), argnums=0)
    assert close(d_db_da(1.5, 0.2), 2 * 1.5 * math.exp(0.2))
    hess_ab = ag.jacobian(lambda a, b: ag.grad(lambda u, w: (u * w).sin().sum(), argnums=0)(a, b), argnum=1)
    a, b = np.array([0.3, -0.5]), np.array([1.1, 0.4])
    expected = np.diag(np.cos(a * b) - a * b * np.sin(a * b))
    np.testing.assert_allclose(hess_ab(a, b), expected, rtol=1e-10)


def test_grad_of_a_function_that_ignores_its_argument_is_zero():
    assert ag.grad(lambda x, y: x * 2, argnums=1)(1.0, 3.0) == 0.0
    assert ag.grad(lambda x: Value(3.0, requires_grad=False))(1.0) == 0.0
    assert ag.grad(ag.grad(lambda x: x * 2))(1.0) == 0.0
    np.testing.assert_array_equal(ag.grad(lambda x: Tensor(np.ones(1)).sum())(np.ones(2)), [0.0, 0.0])


def test_grad_works_inside_no_grad():
    with ag.no_grad():
        assert close(ag.grad(lambda x: x * x * x)(2.0), 12.0)


def test_grad_of_tensor_functions():
    x = np.array([0.5, -1.0, 2.0])
    g = ag.grad(lambda t: (t.tanh() * t).sum())(x)
    assert isinstance(g, np.ndarray) and g.shape == (3,)
    np.testing.assert_allclose(g, np.tanh(x) + x * (1 - np.tanh(x) ** 2))
    t = Tensor(x, requires_grad=True)
    assert isinstance(ag.grad(lambda u: (u * u).sum())(t), Tensor)  # graph objects in, out
    constant = ag.grad(lambda u: (u * 2).sum())(Tensor(x))  # a tensor that requires no grad
    assert isinstance(constant, Tensor)
    np.testing.assert_array_equal(constant.data, 2)


def test_grad_output_errors():
    with pytest.raises(ValueError, match=r"single element, got shape \(3,\); use jacobian"):
        ag.grad(lambda t: t * 2)(np.ones(3))
    with pytest.raises(TypeError, match="must return a Value, a Tensor or a number, got str"):
        ag.grad(lambda x: "x")(1.0)


# --------------------------------------------------------------------------- jacobian, hessian, hvp


@given(x=arrays(shape=(3,), min_value=-2, max_value=2))
def test_jacobian_against_closed_form(x):
    a = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]])
    jac = ag.jacobian(lambda t: (Tensor(a) @ t).tanh())(x)
    z = a @ x
    assert jac.shape == (2, 3)
    np.testing.assert_allclose(jac, (1 - np.tanh(z) ** 2)[:, None] * a, rtol=1e-10, atol=1e-12)


def test_jacobian_shape_for_matrix_input_and_output():
    x = np.arange(6.0).reshape(2, 3) / 10
    jac = ag.jacobian(lambda t: t.T * 2)(x)
    assert jac.shape == (3, 2, 2, 3)
    expected = np.zeros((3, 2, 2, 3))
    for i in range(2):
        for j in range(3):
            expected[j, i, i, j] = 2.0
    np.testing.assert_array_equal(jac, expected)


def _cubic_plus_cross(t):
    return (t ** 3).sum() + t[0] * t[1]


def _cubic_plus_cross_hessian(x):
    h = np.diag(6 * x)
    h[0, 1] += 1.0
    h[1, 0] += 1.0
    return h


@given(x=arrays(shape=(4,), min_value=-2, max_value=2))
def test_hessian_against_closed_form(x):
    np.testing.assert_allclose(ag.hessian(_cubic_plus_cross)(x), _cubic_plus_cross_hessian(x),
                               rtol=1e-10, atol=1e-12)


@given(x=arrays(shape=(4,), min_value=-2, max_value=2), v=arrays(shape=(4,), min_value=-2, max_value=2))
def test_hvp_equals_hessian_times_vector(x, v):
    hv = ag.hvp(_cubic_plus_cross)(x, v)
    np.testing.assert_allclose(hv, _cubic_plus_cross_hessian(x) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(hv, ag.hessian(_cubic_plus_cross)(x) @ v, rtol=1e-10, atol=1e-12)


def test_hessian_of_a_matrix_function_and_of_a_linear_one():
    a = np.array([[2.0, 1.0], [1.0, 3.0]])
    quadratic = lambda t: 0.5 * (t * (Tensor(a) @ t)).sum()  # noqa: E731
    np.testing.assert_allclose(ag.hessian(quadratic)(np.array([0.3, -0.7])), a)
    np.testing.assert_array_equal(ag.hessian(lambda t: (t * 2).sum())(np.ones(3)), np.zeros((3, 3)))


@given(data=st.data())
def test_jacobian_of_grad_is_hessian_for_a_scalar_value_function(data):
    x0 = data.draw(scalars(-2, 2))
    # jacobian accepts a scalar input as a 0-d tensor
    h = ag.hessian(lambda t: (t * t * t).sin())(x0)
    expected = math.cos(x0 ** 3) * 6 * x0 - math.sin(x0 ** 3) * 9 * x0 ** 4
    assert close(float(h), expected, rel=1e-8, abs_=1e-10)
