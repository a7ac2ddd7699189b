"""``matmul`` / ``@`` with numpy's rules (1-D operands on either side, batched stacks with
broadcast batch axes) against numpy and finite differences up to second order; shape errors;
Hessian-vector products against explicit Hessians."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import PROPERTY


@st.composite
def matmul_shapes(draw):
    """Operand shapes numpy's matmul accepts: vectors or stacks of matrices whose batch axes
    broadcast."""
    n, k, m = draw(st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)))
    x_batch, y_batch = draw(testing.broadcastable_shapes(2, max_dims=2, max_side=2))
    x_shape = (k,) if draw(st.booleans()) else x_batch + (n, k)
    y_shape = (k,) if draw(st.booleans()) else y_batch + (k, m)
    return x_shape, y_shape


@PROPERTY
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_matches_numpy(shapes, data):
    x = data.draw(testing.arrays(shapes[0]))
    y = data.draw(testing.arrays(shapes[1]))
    expected = np.matmul(x, y)
    for out in (ag.matmul(Tensor(x), Tensor(y)), Tensor(x) @ Tensor(y), Tensor(x) @ y, x @ Tensor(y)):
        assert isinstance(out, Tensor)
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(shapes=matmul_shapes(), data=st.data())
def test_matmul_first_and_second_derivatives(shapes, data):
    x = data.draw(testing.arrays(shapes[0], min_value=-2, max_value=2))
    y = data.draw(testing.arrays(shapes[1], min_value=-2, max_value=2))
    testing.check_gradients(lambda a, b: a @ b, x, y, order=2)
    # With a constant on one side (only the tensor side differentiates).
    testing.check_gradients(lambda a: (a @ y) ** 2, x, order=2)
    testing.check_gradients(lambda b: (x @ b) ** 2, y, order=2)


def test_matmul_gradients_explicit():
    a = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    b = np.array([[1.0, -1.0, 0.5, 2.0], [0.0, 1.0, -2.0, 1.0]])
    g = np.arange(12.0).reshape(3, 4)
    x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    (x @ y).backward(g)
    np.testing.assert_allclose(x.grad, g @ b.T)
    np.testing.assert_allclose(y.grad, a.T @ g)


def test_vector_times_batched_matrix_sums_over_the_batch():
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    stack = Tensor(np.arange(12.0).reshape(3, 2, 2), requires_grad=True)
    (v @ stack).sum().backward()
    np.testing.assert_allclose(v.grad, stack.data.sum(axis=(0, 2)))
    np.testing.assert_allclose(stack.grad, np.broadcast_to(v.data[:, None], (3, 2, 2)))


def test_dot_and_numpy_dispatch():
    u = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    w = np.array([4.0, 5.0, 6.0])
    for out in (ag.dot(u, w), u.dot(w), np.dot(u, w), np.matmul(w, u)):
        assert isinstance(out, Tensor) and out.shape == ()
        assert out.item() == 32.0


@pytest.mark.parametrize("x_shape, y_shape, pattern", [
    ((2, 3), (4, 2), r"matmul.*\(2, 3\).*\(4, 2\)"),
    ((3,), (2,), r"matmul.*\(3,\).*\(2,\)"),
    ((2, 3), (2,), r"matmul.*\(2, 3\).*\(2,\)"),
    ((), (2,), r"matmul.*\(\).*\(2,\)"),
    ((2, 2, 3), (3, 3, 2), r"matmul.*batch.*\(2, 2, 3\).*\(3, 3, 2\)"),
])
def test_matmul_shape_errors_name_the_op_and_shapes(x_shape, y_shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        Tensor(np.ones(x_shape), requires_grad=True) @ Tensor(np.ones(y_shape))


# ----------------------------------------------------------------------------- Hessian-vector
def test_hvp_against_an_explicit_hessian():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((4, 4))
    x0 = rng.standard_normal(4)
    v = rng.standard_normal(4)

    def f(x):
        return 0.5 * (x @ (Tensor(a) @ x)) + ag.sin(x).sum() + (x ** 4).sum() / 12

    explicit = 0.5 * (a + a.T) + np.diag(-np.sin(x0) + x0 ** 2)
    np.testing.assert_allclose(ag.hvp(f)(x0, v), explicit @ v, rtol=1e-10)
    np.testing.assert_allclose(ag.hessian(f)(x0), explicit, rtol=1e-10)


@PROPERTY
@given(data=st.data(), n=st.integers(1, 4))
def test_hvp_of_a_matrix_argument_matches_the_hessian(data, n):
    w = data.draw(testing.arrays((n, 2), min_value=-1, max_value=1))
    v = data.draw(testing.arrays((n, 2), min_value=-1, max_value=1))
    u = np.array([0.5, -1.5])

    def f(weights):
        return ag.tanh(weights @ u).sum() + (weights * weights).sum()

    hessian = ag.hessian(f)(w).reshape(w.size, w.size)
    # Explicit: d2/dW2 sum tanh(W u) = diag over rows of -2 tanh sech^2 * u u^T, plus 2 I.
    t = np.tanh(w @ u)
    explicit = np.kron(np.diag(-2 * t * (1 - t * t)), np.outer(u, u)) + 2 * np.eye(w.size)
    np.testing.assert_allclose(hessian, explicit, atol=1e-10)
    np.testing.assert_allclose(ag.hvp(f)(w, v), (explicit @ v.ravel()).reshape(w.shape), atol=1e-10)
