"""softmax and log_softmax over an axis (against the textbook formulas and finite differences up
to second order; stability at huge logits) and one_hot."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import NONSCALAR_SHAPES, PROPERTY


def softmax_reference(a, axis):
    """exp(a) / sum(exp(a)), without the max shift (the inputs here are small)."""
    e = np.exp(a)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_reference(a, axis):
    return a - np.log(np.exp(a).sum(axis=axis, keepdims=True))


CASES = [(ag.softmax, softmax_reference), (ag.log_softmax, log_softmax_reference)]


@pytest.mark.parametrize("op, reference", CASES, ids=["softmax", "log_softmax"])
@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_forward_matches_the_formula(op, reference, shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(testing.axes(len(shape)))
    out = op(Tensor(a), axis=axis)
    assert out.shape == a.shape
    np.testing.assert_allclose(out.data, reference(a, axis), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("op", [ag.softmax, ag.log_softmax], ids=["softmax", "log_softmax"])
@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_first_and_second_derivatives(op, shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(testing.axes(len(shape)))
    testing.check_gradients(lambda t: op(t, axis=axis), a, order=2)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_softmax_rows_sum_to_one_and_ignore_shifts(shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    shift = data.draw(st.floats(-100, 100))
    s = Tensor(a).softmax(axis=axis).data
    np.testing.assert_allclose(s.sum(axis=axis), 1.0)
    np.testing.assert_allclose(Tensor(a + shift).softmax(axis=axis).data, s, atol=1e-12)
    np.testing.assert_allclose(np.exp(Tensor(a).log_softmax(axis=axis).data), s, atol=1e-12)


def test_default_axis_is_the_last():
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ag.softmax(Tensor(a)).data, softmax_reference(a, -1))
    np.testing.assert_allclose(Tensor(a).log_softmax().data, log_softmax_reference(a, -1))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_stable_at_huge_logits(dtype):
    a = np.array([[1e4, 1e4 - 1.0, -1e4], [-1e4, -1e4, -1e4]], dtype=dtype)
    x = Tensor(a, requires_grad=True)
    s = x.softmax(axis=1)
    ls = x.log_softmax(axis=1)
    p = 1 / (1 + np.exp(-1.0))
    np.testing.assert_allclose(s.data, [[p, 1 - p, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-6)
    np.testing.assert_allclose(ls.data[0, :2], np.log([p, 1 - p]), rtol=1e-5)
    np.testing.assert_allclose(ls.data[0, 2], -2e4 - np.log1p(np.exp(-1.0)), rtol=1e-6)
    np.testing.assert_allclose(ls.data[1], np.log([1 / 3] * 3), rtol=1e-6)
    assert s.dtype == ls.dtype == dtype
    (s[:, 0] + ls[:, 1]).sum().backward()
    assert np.all(np.isfinite(x.grad))
    # d log_softmax_1 / dx = onehot(1) - softmax; d softmax_0 / dx = s_0 (onehot(0) - s).
    row = s.data[0].astype(np.float64)
    expected = row[0] * (np.eye(3)[0] - row) + (np.eye(3)[1] - row)
    np.testing.assert_allclose(x.grad[0], expected, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- one_hot
def test_one_hot():
    out = ag.one_hot(Tensor([2, 0, 1, 2]), 3)
    assert isinstance(out, Tensor) and not out.requires_grad
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.data, np.eye(3)[[2, 0, 1, 2]])
    grid = ag.one_hot(np.array([[0, 3], [1, 1]]), 4)
    assert grid.shape == (2, 2, 4)
    np.testing.assert_array_equal(grid, np.eye(4)[[[0, 3], [1, 1]]])


def test_one_hot_bad_labels():
    with pytest.raises(ValueError, match=r"one_hot.*\[0, 3\)"):
        ag.one_hot(Tensor([0, 3]), 3)
    with pytest.raises(ValueError, match="one_hot"):
        ag.one_hot(Tensor([-1, 0]), 3)
    with pytest.raises(TypeError, match="one_hot.*integers"):
        ag.one_hot(Tensor([0.0, 1.0]), 3)
