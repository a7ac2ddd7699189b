"""Tensor ops against the scalar ``Value`` engine, element by element.

The same expression is built twice: once with Tensor ops, once as numpy object arrays of
``Value``s, where numpy only routes elements (broadcasting, indexing) and every number is computed
and differentiated by the scalar engine. Forward values and gradients must agree to float64
round-off.
"""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, Value, testing
from op_cases import PAIR_SHAPES, PROPERTY, SHAPES, small

RTOL = 1e-12
ATOL = 1e-12


def values_of(a):
    """An object array of leaf ``Value``s with the elements of ``a``."""
    out = np.empty(np.shape(a), dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = Value(float(a[index]))
    return out


def each(method, *args):
    """Apply a ``Value`` method to every element of an object array."""
    return np.vectorize(lambda v: getattr(v, method)(*args), otypes=[object])


def data_of(values):
    return np.vectorize(lambda v: v.data, otypes=[float])(values)


def grads_of(values):
    """The ``.grad`` of each leaf (0 for a leaf the output does not reach)."""
    return np.vectorize(lambda v: 0.0 if v.grad is None else v.grad, otypes=[float])(values)


def total(values):
    """Sum of an object array as one ``Value``."""
    return Value.sum(np.ravel(values).tolist())


def assert_close(actual, expected):
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL)


UNARY = [
    ("exp", ag.exp, (-3, 3)), ("log", ag.log, (0.1, 5)), ("sqrt", ag.sqrt, (0.1, 5)),
    ("tanh", ag.tanh, (-3, 3)), ("sigmoid", ag.sigmoid, (-6, 6)), ("relu", ag.relu, (-3, 3)),
    ("abs", ag.abs, (-3, 3)), ("sin", ag.sin, (-3, 3)), ("cos", ag.cos, (-3, 3)),
    ("softplus", ag.softplus, (-6, 6)),
]


@pytest.mark.parametrize("name, op, domain", UNARY, ids=[u[0] for u in UNARY])
@PROPERTY
@given(data=st.data())
def test_elementwise_functions(name, op, domain, data):
    a = data.draw(testing.arrays(SHAPES, min_value=domain[0], max_value=domain[1]))
    seed = data.draw(testing.arrays(a.shape))
    x = Tensor(a, requires_grad=True)
    y = op(x)
    y.backward(seed)

    vs = values_of(a)
    out = each(name)(vs)
    total(out * seed).backward()
    assert_close(y.data, data_of(out))
    assert_close(x.grad, grads_of(vs))


@PROPERTY
@given(a=testing.arrays(SHAPES), slope=st.floats(0.0, 0.5))
def test_leaky_relu(a, slope):
    x = Tensor(a, requires_grad=True)
    y = ag.leaky_relu(x, negative_slope=slope)
    y.sum().backward()
    vs = values_of(a)
    out = each("leaky_relu", slope)(vs)
    total(out).backward()
    assert_close(y.data, data_of(out))
    assert_close(x.grad, grads_of(vs))


@PROPERTY
@given(shapes=PAIR_SHAPES, data=st.data())
def test_broadcast_composition_with_sum(shapes, data):
    a = data.draw(testing.arrays(shapes[0], min_value=-2, max_value=2))
    b = data.draw(testing.arrays(shapes[1], min_value=-2, max_value=2))

    def expression(x, y, tanh, exp):
        return tanh(x * y - x / (1 + y * y)) + exp(y) ** 2 - 3 * x

    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out_t = expression(x, y, ag.tanh, ag.exp).sum()
    out_t.backward()

    xs, ys = values_of(a), values_of(b)
    out_v = total(expression(xs, ys, each("tanh"), each("exp")))
    out_v.backward()
    assert_close(out_t.data, out_v.data)
    assert_close(x.grad, grads_of(xs))
    assert_close(y.grad, grads_of(ys))


@PROPERTY
@given(shape=small(testing.shapes(min_dims=1, max_dims=3, max_side=3)), data=st.data())
def test_mean_and_variance_along_an_axis(shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    x = Tensor(a, requires_grad=True)
    (x.mean(axis=axis) * 2 + x.var(axis=axis)).sum().backward()

    vs = values_of(a)
    mean = np.sum(vs, axis=axis, keepdims=True) * (1.0 / n)
    var = np.sum((vs - mean) ** 2, axis=axis, keepdims=True) * (1.0 / n)
    out = total(mean * 2 + var)
    out.backward()
    assert_close(x.grad, grads_of(vs))


@PROPERTY
@given(n=st.integers(1, 3), k=st.integers(1, 4), data=st.data())
def test_matrix_vector_product(n, k, data):
    w = data.draw(testing.arrays((n, k), min_value=-2, max_value=2))
    u = data.draw(testing.arrays((k,), min_value=-2, max_value=2))
    W, U = Tensor(w, requires_grad=True), Tensor(u, requires_grad=True)
    out_t = ag.sigmoid(W @ U).sum()
    out_t.backward()

    ws, us = values_of(w), values_of(u)
    rows = [Value.dot(ws[i].tolist(), us.tolist()).sigmoid() for i in range(n)]
    out_v = Value.sum(rows)
    out_v.backward()
    assert_close(out_t.data, out_v.data)
    assert_close(W.grad, grads_of(ws))
    assert_close(U.grad, grads_of(us))


@PROPERTY
@given(a=testing.arrays(small(testing.shapes(min_dims=1, max_dims=2, max_side=4))), data=st.data())
def test_log_softmax_against_scalar_formula(a, data):
    seed = data.draw(testing.arrays(a.shape))
    x = Tensor(a, requires_grad=True)
    y = x.log_softmax(axis=-1)
    y.backward(seed)

    vs = values_of(a)
    norm = np.vectorize(lambda v: v.log(), otypes=[object])(
        np.sum(each("exp")(vs), axis=-1, keepdims=True))
    out = vs - norm
    total(out * seed).backward()
    assert_close(y.data, data_of(out))
    assert_close(x.grad, grads_of(vs))


@PROPERTY
@given(a=testing.arrays(small(testing.shapes(min_dims=1, max_dims=1, max_side=4)), min_value=0.2,
                        max_value=2))
def test_second_derivatives_agree(a):
    # f(x) = sum(tanh(x) * x ** 3 + sqrt(x)) has a diagonal Hessian; compare it with the scalar
    # engine's second derivative of each term.
    def f(t):
        return (ag.tanh(t) * t ** 3 + ag.sqrt(t)).sum()

    hessian = ag.hessian(f)(a)

    def term(v):
        return v.tanh() * v ** 3 + v.sqrt()

    diagonal = [ag.grad(ag.grad(term))(float(v)) for v in a]
    np.testing.assert_allclose(hessian, np.diag(diagonal), rtol=1e-10, atol=1e-12)
