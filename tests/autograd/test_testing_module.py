"""``autograd.testing``: every strategy generates valid things, and ``check_gradients`` catches
wrong derivatives (so the documented example of testing one's own op is trustworthy)."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import PROPERTY


# ----------------------------------------------------------------------------- strategies
@PROPERTY
@given(value=testing.scalars(-2.0, 3.0, avoid=(0.0, 1.0), margin=0.1))
def test_scalars_stay_in_range_and_away_from_points(value):
    assert math.isfinite(value) and -2.0 <= value <= 3.0
    assert abs(value) > 0.1 and abs(value - 1.0) > 0.1


@PROPERTY
@given(shape=testing.shapes(min_dims=1, max_dims=3, min_side=2, max_side=4))
def test_shapes(shape):
    assert isinstance(shape, tuple) and 1 <= len(shape) <= 3
    assert all(isinstance(n, int) and 2 <= n <= 4 for n in shape)


@PROPERTY
@given(shapes=testing.broadcastable_shapes(3, min_dims=0, max_dims=3, max_side=4))
def test_broadcastable_shapes_broadcast(shapes):
    assert len(shapes) == 3
    result = np.broadcast_shapes(*shapes)
    assert len(result) <= 3 and all(n <= 4 for n in result)
    np.broadcast_arrays(*[np.zeros(s) for s in shapes])


@PROPERTY
@given(a=testing.arrays(testing.shapes(max_dims=3, max_side=3), min_value=-1.0, max_value=2.0,
                        avoid=(0.5,), margin=0.05))
def test_arrays_respect_bounds_and_avoid(a):
    assert a.dtype == np.float64
    assert np.all((a >= -1.0) & (a <= 2.0))
    assert np.all(np.abs(a - 0.5) > 0.05)


@PROPERTY
@given(a=testing.arrays((2, 3), dtype=np.float32))
def test_arrays_with_a_fixed_shape_and_dtype(a):
    assert a.shape == (2, 3) and a.dtype == np.float32


@PROPERTY
@given(t=testing.tensors(testing.shapes(max_dims=2), min_value=0.0, max_value=1.0))
def test_tensors(t):
    assert isinstance(t, Tensor) and t.requires_grad and t.is_leaf
    assert t.dtype == np.float64 and np.all((t.data >= 0) & (t.data <= 1))


@PROPERTY
@given(shape=testing.shapes(max_dims=4, max_side=3), data=st.data())
def test_axes_are_valid_for_numpy(shape, data):
    axis = data.draw(testing.axes(len(shape)))
    np.sum(np.zeros(shape), axis=axis)
    if isinstance(axis, tuple):
        assert len(set(a % len(shape) for a in axis)) == len(axis)
    only_int = data.draw(testing.axes(len(shape), allow_none=False, allow_tuple=False))
    assert isinstance(only_int, int) or (len(shape) == 0 and only_int is None)


@PROPERTY
@given(shape=testing.shapes(max_dims=4, max_side=3), data=st.data())
def test_basic_indices_are_accepted_by_numpy(shape, data):
    index = data.draw(testing.basic_indices(shape))
    np.zeros(shape)[index]


@PROPERTY
@given(shape=testing.shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_integer_array_indices_are_accepted_by_numpy(shape, data):
    index = data.draw(testing.integer_array_indices(shape))
    assert isinstance(index, tuple) and all(np.issubdtype(i.dtype, np.integer) for i in index)
    np.zeros(shape)[index]
    fixed = data.draw(testing.integer_array_indices(shape, result_shape=st.just((2, 2))))
    assert np.zeros(shape)[fixed].shape[:2] == (2, 2)


@PROPERTY
@given(shape=testing.shapes(min_dims=1, max_dims=3, max_side=3), data=st.data())
def test_boolean_masks(shape, data):
    mask = data.draw(testing.boolean_masks(shape))
    assert mask.dtype == np.bool_ and mask.shape == shape
    assert np.zeros(shape)[mask].shape == (int(mask.sum()),)


@PROPERTY
@given(a=testing.arrays(testing.shapes(max_dims=2, max_side=3), min_value=-1, max_value=1))
def test_away_from_discards_examples_near_the_points(a):
    assert testing.away_from(a, [0.0, 0.5], margin=0.2) is a
    assert np.all(np.abs(a) > 0.2) and np.all(np.abs(a - 0.5) > 0.2)


# ----------------------------------------------------------------------------- check_gradients
@ag.primitive
def wrong_square(x):
    return x * x


wrong_square.defvjp(lambda g, ans, x: g * x)  # the 2 is missing


@ag.primitive
def constant_slope_cube(x):
    return x * x * x


# Right at first order, but np.asarray turns x into a constant under create_graph, so the
# recorded first derivative does not depend on x: its second derivative is wrong.
constant_slope_cube.defvjp(lambda g, ans, x: g * 3 * np.asarray(x) ** 2)


def test_check_gradients_passes_a_correct_op():
    assert testing.check_gradients(lambda t: ag.tanh(t) * t, np.array([0.5, -1.0]), order=2)


def test_check_gradients_catches_a_wrong_vjp():
    with pytest.raises(ag.GradcheckError, match=r"input 0.*analytic.*numerical"):
        testing.check_gradients(wrong_square, np.array([0.5, 1.5]))


def test_check_gradients_catches_a_wrong_second_derivative():
    a = np.array([0.5, 1.5])
    assert testing.check_gradients(constant_slope_cube, a, order=1)
    with pytest.raises(ag.GradcheckError):
        testing.check_gradients(constant_slope_cube, a, order=2)


def test_check_gradients_catches_a_wrong_gradient_of_the_second_operand():
    @ag.primitive
    def mul(x, y):
        return x * y

    mul.defvjp(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * y)  # second should be g * x
    with pytest.raises(ag.GradcheckError, match="input 1"):
        testing.check_gradients(mul, np.array([1.0, 2.0]), np.array([3.0, 5.0]))


def test_check_gradients_order_must_be_one_or_two():
    with pytest.raises(ValueError, match="order"):
        testing.check_gradients(ag.exp, np.ones(2), order=3)


# ----------------------------------------------------------------------------- the documented example
@ag.primitive
def my_op(x):
    """A user's op: x * sin(x)."""
    return x * np.sin(x)


my_op.defvjp(lambda g, ans, x: g * (ag.sin(x) + x * ag.cos(x)))


@PROPERTY
@given(testing.arrays(shape=testing.shapes(max_dims=3), min_value=-3, max_value=3))
def test_my_op(x):
    testing.check_gradients(my_op, x, order=2)


@PROPERTY
@given(shapes=testing.broadcastable_shapes(2, max_dims=3, max_side=3), data=st.data())
def test_my_op_composed_with_broadcasting_and_axes(shapes, data):
    x = data.draw(testing.arrays(shapes[0], min_value=-3, max_value=3))
    y = data.draw(testing.arrays(shapes[1], min_value=-3, max_value=3))
    ndim = len(np.broadcast_shapes(*shapes))
    axis = data.draw(testing.axes(ndim))
    testing.check_gradients(lambda a, b: my_op(a * b).sum(axis=axis), x, y, order=2)


def test_the_documented_example_fails_for_a_wrong_op():
    @ag.primitive
    def my_wrong_op(x):
        return x * np.sin(x)

    my_wrong_op.defvjp(lambda g, ans, x: g * ag.sin(x))  # forgot the product rule

    @PROPERTY
    @given(testing.arrays(shape=testing.shapes(max_dims=3), min_value=-3, max_value=3))
    def test_my_wrong_op(x):
        testing.check_gradients(my_wrong_op, x, order=2)

    with pytest.raises(ag.GradcheckError):
        test_my_wrong_op()
