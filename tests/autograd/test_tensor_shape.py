"""Shape ops: forward against numpy, first and second derivatives against finite differences,
and errors that name the op and the shapes.

The ops are linear, so their second derivative is zero; the checks square the result, which makes
the first derivative ``2 op^T(op(x))`` depend on x through the op's own VJP, so the second-order
check really differentiates the VJP (run on Tensors under ``create_graph``).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import MAX_ELEMENTS, NONSCALAR_SHAPES, PROPERTY, SHAPES, small


def squared(op):
    """``x -> op(x) ** 2`` (see the module docstring)."""
    return lambda t: op(t) ** 2


def check_op(op, a, reference):
    """Forward equals numpy's ``reference(a)`` exactly; derivatives up to order 2 are right."""
    out = op(Tensor(a))
    expected = reference(a)
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    testing.check_gradients(squared(op), a, order=2)


@st.composite
def reshape_targets(draw, shape):
    """A shape with as many elements as ``shape``, sometimes with one side given as -1."""
    size = math.prod(shape)
    factors = [p for p in (2, 3, 5, 7, 11, 13, 17, 19, 23)
               for power in range(1, 6) if size % p ** power == 0]
    factors = draw(st.permutations(factors + [1] * draw(st.integers(0, 2))))
    cuts = sorted(draw(st.lists(st.integers(0, len(factors)), max_size=3)))
    groups = [factors[lo:hi] for lo, hi in zip([0] + cuts, cuts + [len(factors)])]
    target = [math.prod(g) for g in groups if g] or ([] if size == 1 and draw(st.booleans()) else [size])
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return tuple(target)


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_reshape(shape, data):
    target = data.draw(reshape_targets(shape))
    a = data.draw(testing.arrays(shape))
    check_op(lambda t: t.reshape(target), a, lambda x: x.reshape(target))
    if target:
        assert Tensor(a).reshape(*target).shape == a.reshape(target).shape


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_transpose_and_permute(shape, data):
    a = data.draw(testing.arrays(shape))
    axes = data.draw(st.permutations(range(a.ndim)))
    negative = tuple(ax - a.ndim if data.draw(st.booleans()) else ax for ax in axes)
    check_op(lambda t: t.permute(*negative) if negative else t.permute(), a,
             lambda x: np.transpose(x, axes))
    check_op(lambda t: ag.transpose(t, negative), a, lambda x: np.transpose(x, axes))
    np.testing.assert_array_equal(Tensor(a).T.data, a.T)
    np.testing.assert_array_equal(Tensor(a).transpose().data, a.T)
    testing.check_gradients(lambda t: t.T ** 2, a, order=2)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_swapaxes(shape, data):
    a = data.draw(testing.arrays(shape))
    an_axis = st.integers(-a.ndim, a.ndim - 1)
    axis1, axis2 = data.draw(st.tuples(an_axis, an_axis))
    check_op(lambda t: t.swapaxes(axis1, axis2), a, lambda x: np.swapaxes(x, axis1, axis2))


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_flatten(shape, data):
    a = data.draw(testing.arrays(shape))
    if a.ndim == 0:
        check_op(lambda t: t.flatten(), a, lambda x: x.reshape(1))
        return
    start = data.draw(st.integers(-a.ndim, a.ndim - 1))
    end = data.draw(st.integers(start % a.ndim, a.ndim - 1))
    lo, hi = start % a.ndim, end % a.ndim
    expected_shape = shape[:lo] + (math.prod(shape[lo:hi + 1]),) + shape[hi + 1:]
    check_op(lambda t: t.flatten(start, end), a, lambda x: x.reshape(expected_shape))
    assert Tensor(a).flatten().shape == (a.size,)


@PROPERTY
@given(shape=small(testing.shapes(min_dims=0, max_dims=4, max_side=2)), data=st.data())
def test_squeeze(shape, data):
    a = data.draw(testing.arrays(shape))
    ones = [i for i, n in enumerate(shape) if n == 1]
    axis = data.draw(st.one_of(
        st.none(),
        st.sampled_from(ones or [None]),
        st.lists(st.sampled_from(ones), unique=True).map(tuple) if ones else st.none()))
    check_op(lambda t: t.squeeze(axis), a, lambda x: np.squeeze(x, axis))


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_expand_dims(shape, data):
    a = data.draw(testing.arrays(shape))
    count = data.draw(st.integers(1, 2))
    out_ndim = a.ndim + count
    positions = data.draw(st.lists(st.integers(0, out_ndim - 1), min_size=count, max_size=count,
                                   unique=True))
    axis = tuple(p - out_ndim if data.draw(st.booleans()) else p for p in positions)
    if count == 1 and data.draw(st.booleans()):
        axis = axis[0]
    check_op(lambda t: t.expand_dims(axis), a, lambda x: np.expand_dims(x, axis))


@st.composite
def broadcast_targets(draw, shape):
    """A shape that ``shape`` broadcasts to: new leading axes and stretched size-1 axes."""
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    body = [draw(st.integers(1, 3)) if n == 1 else n for n in shape]
    return tuple(lead + body)


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_broadcast_to(shape, data):
    target = data.draw(broadcast_targets(shape).filter(lambda s: math.prod(s) <= MAX_ELEMENTS))
    a = data.draw(testing.arrays(shape))
    check_op(lambda t: t.broadcast_to(target), a, lambda x: np.broadcast_to(x, target))


@st.composite
def concat_inputs(draw, count_min=1, count_max=3):
    """Shapes that agree except along a (possibly negative) axis, the axis, and arrays of them."""
    shape = draw(small(testing.shapes(min_dims=1, max_dims=3, max_side=3)))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(count_min, count_max))
    shapes = []
    for _ in range(count):
        s = list(shape)
        s[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(s))
    arrays = [draw(testing.arrays(s)) for s in shapes]
    return arrays, axis


@PROPERTY
@given(inputs=concat_inputs())
def test_concatenate(inputs):
    arrays, axis = inputs
    out = ag.concatenate([Tensor(a) for a in arrays], axis=axis)
    np.testing.assert_array_equal(out.data, np.concatenate(arrays, axis=axis))
    testing.check_gradients(lambda *ts: ag.concatenate(ts, axis=axis) ** 2, *arrays, order=2)


@PROPERTY
@given(shape=small(testing.shapes(min_dims=0, max_dims=3, max_side=3)), count=st.integers(1, 3),
       data=st.data())
def test_stack(shape, count, data):
    arrays = [data.draw(testing.arrays(shape)) for _ in range(count)]
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    out = ag.stack([Tensor(a) for a in arrays], axis=axis)
    np.testing.assert_array_equal(out.data, np.stack(arrays, axis=axis))
    testing.check_gradients(lambda *ts: ag.stack(ts, axis=axis) ** 2, *arrays, order=2)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_split(shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    length = shape[axis]
    sections = data.draw(st.one_of(
        st.sampled_from([n for n in range(1, length + 1) if length % n == 0]),
        st.lists(st.integers(0, length), max_size=3).map(sorted)))
    pieces = ag.split(Tensor(a), sections, axis=axis)
    expected = np.split(a, sections, axis=axis)
    assert len(pieces) == len(expected)
    for piece, e in zip(pieces, expected):
        np.testing.assert_array_equal(piece.data, e)
    # Pieces recombined with different weights: each piece's gradient lands in its own slot.
    testing.check_gradients(
        lambda t: ag.concatenate([(i + 1.0) * p ** 2
                                  for i, p in enumerate(ag.split(t, sections, axis=axis))], axis=axis),
        a, order=2)


@st.composite
def pad_widths(draw, ndim):
    """numpy's pad_width forms: int, one (before, after) pair, or a pair per axis."""
    pair = st.tuples(st.integers(0, 2), st.integers(0, 2))
    return draw(st.one_of(st.integers(0, 2), pair, st.tuples(*[pair] * ndim)))


@PROPERTY
@given(shape=small(testing.shapes(min_dims=0, max_dims=3, max_side=3)), data=st.data())
def test_pad(shape, data):
    a = data.draw(testing.arrays(shape))
    widths = data.draw(pad_widths(len(shape)))
    value = data.draw(st.sampled_from([0.0, 1.5]))
    # A 0-d array has no axis to pad (numpy rejects the empty per-axis form there).
    check_op(lambda t: t.pad(widths, constant_values=value), a,
             lambda x: np.pad(x, widths, mode="constant", constant_values=value) if x.ndim else x)


def test_numpy_functions_dispatch_to_tensor_shape_ops():
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    results = [np.reshape(t, (3, 2)), np.transpose(t), np.swapaxes(t, 0, 1), np.expand_dims(t, 0),
               np.squeeze(np.expand_dims(t, 0)), np.broadcast_to(t, (2, 2, 3)),
               np.concatenate([t, t]), np.stack([t, t]), np.pad(t, 1)]
    assert all(isinstance(r, Tensor) and r.requires_grad for r in results)
    assert all(isinstance(piece, Tensor) for piece in np.split(t, 3, axis=1))


# ----------------------------------------------------------------------------- astype
def test_astype_gradient_comes_back_in_the_input_dtype():
    x = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x.astype(np.float64)
    assert y.dtype == np.float64 and y.op.name == "astype"
    (y * y).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad, [2.0, 4.0])


def test_astype_second_order():
    testing.check_gradients(lambda t: t.astype(np.float64) ** 3, np.array([0.5, -1.5]), order=2)


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool])
def test_astype_to_integer_ends_the_graph(dtype):
    x = Tensor(np.array([1.5, -2.5]), requires_grad=True)
    y = x.astype(dtype)
    assert y.dtype == dtype and not y.requires_grad and y.op is None
    np.testing.assert_array_equal(y.data, np.array([1.5, -2.5]).astype(dtype))


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize("call, pattern", [
    (lambda t: t.reshape(4, 2), r"reshape.*\(2, 3\).*\(4, 2\)"),
    (lambda t: t.reshape(-1, 4), r"reshape.*\(2, 3\)"),
    (lambda t: t.broadcast_to((3, 3)), r"broadcast_to.*\(2, 3\).*\(3, 3\)"),
    (lambda t: t.squeeze(0), r"squeeze.*\(2, 3\)"),
    (lambda t: t.transpose(0, 0), r"transpose.*\(2, 3\)"),
    (lambda t: t.swapaxes(0, 2), r"swapaxes.*axis 2"),
    (lambda t: t.expand_dims(4), r"expand_dims.*axis 4"),
    (lambda t: t.flatten(1, 0), r"flatten.*\(2, 3\)"),
    (lambda t: ag.split(t, 2, axis=1), r"split.*length 3"),
    (lambda t: t.pad(((1, 1), (1, 1), (1, 1))), r"pad"),
    (lambda t: ag.concatenate([t, Tensor(np.ones((3, 3)))], axis=1), r"concatenate.*\(2, 3\).*\(3, 3\)"),
    (lambda t: ag.concatenate([t, Tensor(np.ones(3))]), r"concatenate.*\(2, 3\).*\(3,\)"),
    (lambda t: ag.concatenate([t, t], axis=2), r"concatenate.*axis 2"),
    (lambda t: ag.concatenate([]), r"concatenate"),
    (lambda t: ag.stack([t, Tensor(np.ones((3, 2)))]), r"stack.*\(2, 3\).*\(3, 2\)"),
], ids=["reshape", "reshape_-1", "broadcast_to", "squeeze", "transpose", "swapaxes", "expand_dims",
        "flatten", "split", "pad", "concatenate", "concatenate_ndim", "concatenate_axis",
        "concatenate_empty", "stack"])
def test_bad_shapes_raise_value_errors_naming_the_op(call, pattern):
    with pytest.raises(ValueError, match=pattern):
        call(Tensor(np.ones((2, 3)), requires_grad=True))
