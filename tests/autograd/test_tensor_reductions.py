"""Reductions over axes (int, negative, tuple, None; keepdims): forward against numpy, first and
second derivatives against finite differences (from ``op_cases.REDUCTIONS``), the tie rule of
max/min, zeros in prod, and bad axes."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import PROPERTY, REDUCTIONS, SHAPES, distinct_arrays, reduced_count


def draw_reduction_input(case, data):
    """An array, an axis and keepdims for ``case``, inside its smooth domain."""
    shape = data.draw(SHAPES)
    axis = data.draw(testing.axes(len(shape)))
    keepdims = data.draw(st.booleans())
    assume(reduced_count(shape, axis) >= case.min_count)
    if case.values == "distinct":
        # max/min have a kink where two candidates tie, std where all of a group are equal.
        (a,) = data.draw(distinct_arrays([shape], spacing=0.4))
    elif case.values == "with_zeros":
        # prod's derivatives where some elements are exactly zero (one or several per group).
        a = data.draw(testing.arrays(shape, min_value=-2, max_value=2))
        zeros = np.array(data.draw(st.lists(st.booleans(), min_size=a.size, max_size=a.size)),
                         dtype=bool).reshape(shape)
        a = np.where(zeros, 0.0, a)
    else:
        a = data.draw(testing.arrays(shape, min_value=-3, max_value=3))
    return a, axis, keepdims


@pytest.mark.parametrize("case", REDUCTIONS, ids=repr)
@PROPERTY
@given(data=st.data())
def test_forward_matches_numpy(case, data):
    a, axis, keepdims = draw_reduction_input(case, data)
    out = case.apply(Tensor(a), axis, keepdims)
    expected = np.asarray(case.expected(a, axis, keepdims))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", REDUCTIONS, ids=repr)
@PROPERTY
@given(data=st.data())
def test_first_and_second_derivatives(case, data):
    a, axis, keepdims = draw_reduction_input(case, data)
    testing.check_gradients(lambda t: case.apply(t, axis, keepdims), a, order=2)


@pytest.mark.parametrize("name, reference", [("sum", np.sum), ("mean", np.mean), ("max", np.max),
                                             ("min", np.min), ("var", np.var), ("std", np.std),
                                             ("prod", np.prod)])
def test_function_method_and_numpy_dispatch_agree(name, reference):
    a = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -0.75]])
    t = Tensor(a)
    for out in (getattr(ag, name)(t, axis=1), getattr(t, name)(axis=1), reference(t, axis=1)):
        assert isinstance(out, Tensor)
        np.testing.assert_allclose(out.data, reference(a, axis=1))


def test_empty_axis_tuple_reduces_nothing():
    a = np.arange(6.0).reshape(2, 3)
    x = Tensor(a, requires_grad=True)
    out = x.sum(axis=())
    np.testing.assert_array_equal(out.data, np.sum(a, axis=()))
    out.backward(np.full((2, 3), 2.0))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 2.0))


def test_var_std_ddof_explicit():
    a = np.array([1.0, 2.0, 4.0, 7.0])
    x = Tensor(a, requires_grad=True)
    x.var(ddof=1).backward()
    np.testing.assert_allclose(x.grad, 2 * (a - a.mean()) / 3)
    x.zero_grad()
    x.std(ddof=1).backward()
    np.testing.assert_allclose(x.grad, (a - a.mean()) / (3 * np.std(a, ddof=1)))


def test_logsumexp_is_stable_for_huge_inputs():
    a = np.array([[1e4, 1e4 - 1.0], [-1e4, -1e4]])
    x = Tensor(a, requires_grad=True)
    out = x.logsumexp(axis=1)
    np.testing.assert_allclose(out.data, [1e4 + np.log1p(np.exp(-1.0)), -1e4 + np.log(2.0)])
    out.sum().backward()
    np.testing.assert_allclose(x.grad.sum(axis=1), [1.0, 1.0])
    np.testing.assert_allclose(x.grad[1], [0.5, 0.5])


# ----------------------------------------------------------------------------- ties
# Documented rule: tied extrema share the gradient equally.
@pytest.mark.parametrize("op", ["max", "min"])
def test_tied_extrema_share_the_gradient_equally(op):
    sign = 1.0 if op == "max" else -1.0
    a = sign * np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    x = Tensor(a, requires_grad=True)
    getattr(x, op)().backward(np.array(6.0))
    np.testing.assert_allclose(x.grad, [0.0, 2.0, 2.0, 0.0, 2.0])


@pytest.mark.parametrize("keepdims", [False, True])
def test_tied_maxima_along_an_axis(keepdims):
    a = np.array([[5.0, 5.0, 1.0],
                  [0.0, 2.0, 1.0],
                  [4.0, 4.0, 4.0]])
    x = Tensor(a, requires_grad=True)
    out = x.max(axis=-1, keepdims=keepdims)
    np.testing.assert_array_equal(out.data, a.max(axis=-1, keepdims=keepdims))
    seed = np.array([2.0, 3.0, 6.0]).reshape(out.shape)
    out.backward(seed)
    np.testing.assert_allclose(x.grad, [[1.0, 1.0, 0.0], [0.0, 3.0, 0.0], [2.0, 2.0, 2.0]])


def test_tied_minima_over_a_tuple_of_axes():
    a = np.zeros((2, 2, 3))
    a[0, :, 0] = -1.0   # two minima in the first group (axis 0 index 0, over axes 1 and 2)
    a[1, 1, 2] = -5.0   # one minimum in the second
    x = Tensor(a, requires_grad=True)
    x.min(axis=(1, 2)).sum().backward()
    expected = np.zeros_like(a)
    expected[0, :, 0] = 0.5
    expected[1, 1, 2] = 1.0
    np.testing.assert_allclose(x.grad, expected)


def test_tie_rule_holds_under_create_graph():
    x = Tensor(np.array([2.0, 2.0, 1.0]), requires_grad=True)
    (g,) = [ag.gradients(x.max() * x.max(), x, create_graph=True)]
    np.testing.assert_allclose(g.data, [2.0, 2.0, 0.0])  # 2 * max * (1/2, 1/2, 0)


# ----------------------------------------------------------------------------- prod with zeros
@pytest.mark.parametrize("a, expected", [
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0]),
    ([0.0, 0.0, 3.0], [0.0, 0.0, 0.0]),
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
])
def test_prod_gradient_with_zeros(a, expected):
    x = Tensor(np.array(a), requires_grad=True)
    x.prod().backward()
    np.testing.assert_allclose(x.grad, expected)


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_prod_first_derivative_holds_at_zeros(shape, data):
    a = data.draw(testing.arrays(shape, min_value=-2, max_value=2))
    a = np.where(np.abs(a) < 0.5, 0.0, a)  # plenty of exact zeros
    axis = data.draw(testing.axes(len(shape)))
    testing.check_gradients(lambda t: t.prod(axis=axis), a, order=1)


@pytest.mark.parametrize("a, first, hessian", [
    ([0.0, 2.0, 3.0], [6.0, 0.0, 0.0], [[0, 3, 2], [3, 0, 0], [2, 0, 0]]),
    ([0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [[0, 3, 0], [3, 0, 0], [0, 0, 0]]),
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0], [[0, 4, 3], [4, 0, 2], [3, 2, 0]]),
])
def test_prod_derivatives_with_zeros_are_the_same_under_create_graph(a, first, hessian):
    x = Tensor(np.array(a), requires_grad=True)
    (g,) = ag.gradients(x.prod(), [x], create_graph=True)
    np.testing.assert_allclose(g.data, first)
    np.testing.assert_allclose(ag.hessian(lambda t: t.prod())(np.array(a)), hessian)


# ----------------------------------------------------------------------------- bad axes
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "var", "std", "prod", "logsumexp"])
@pytest.mark.parametrize("axis", [2, -3, (0, 0), (0, 5)])
def test_bad_axis_names_the_op(op, axis):
    with pytest.raises(ValueError, match=op):
        getattr(Tensor(np.ones((2, 3))), op)(axis=axis)


@pytest.mark.parametrize("op", ["max", "min"])
def test_extremum_of_empty_tensor(op):
    with pytest.raises(ValueError, match=f"{op}.*empty"):
        getattr(Tensor(np.ones((0, 3))), op)()
    with pytest.raises(ValueError, match=f"{op}.*empty"):
        getattr(Tensor(np.ones((0, 3))), op)(axis=0)


@pytest.mark.parametrize("op", ["max", "min"])
def test_extremum_over_a_nonempty_axis_of_an_empty_tensor_is_empty(op):
    x = Tensor(np.ones((0, 3)), requires_grad=True)
    out = getattr(x, op)(axis=1)
    assert out.shape == getattr(np, op)(x.data, axis=1).shape == (0,)
    out.sum().backward()
    assert x.grad.shape == (0, 3)
