"""``__getitem__`` and its adjoint ``scatter_add``: basic indices (slices, integers, None,
Ellipsis), integer arrays with repeats, boolean masks and mixtures, forward against numpy and
derivatives up to second order; repeated positions accumulate."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import NONSCALAR_SHAPES, PROPERTY, SHAPES


def check_index(a, index):
    """``Tensor(a)[index]`` equals ``a[index]``; derivatives of ``x[index] ** 2`` up to order 2
    (squared so the second-order check differentiates scatter_add's own VJP)."""
    out = Tensor(a)[index]
    expected = a[index]
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out.data, expected)
    testing.check_gradients(lambda t: t[index] ** 2, a, order=2)


def counts(shape, index):
    """How often each element of an array of ``shape`` is picked by ``index`` (via numpy)."""
    total = np.zeros(shape)
    np.add.at(total, index, 1.0)
    return total


@PROPERTY
@given(shape=SHAPES, data=st.data())
def test_basic_indices(shape, data):
    a = data.draw(testing.arrays(shape))
    check_index(a, data.draw(testing.basic_indices(shape)))


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_integer_array_indices_accumulate_repeats(shape, data):
    a = data.draw(testing.arrays(shape))
    index = data.draw(testing.integer_array_indices(shape))
    check_index(a, index)
    x = Tensor(a, requires_grad=True)
    x[index].sum().backward()
    np.testing.assert_array_equal(x.grad, counts(shape, index))


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_boolean_masks(shape, data):
    a = data.draw(testing.arrays(shape))
    lead = data.draw(st.integers(1, len(shape)))
    mask = data.draw(testing.boolean_masks(shape[:lead]))
    check_index(a, mask)
    x = Tensor(a, requires_grad=True)
    x[mask].sum().backward()
    picked_rows = mask.reshape(mask.shape + (1,) * (a.ndim - lead))
    np.testing.assert_array_equal(x.grad, np.broadcast_to(picked_rows, shape))


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_integer_arrays_mixed_with_slices_none_and_ellipsis(shape, data):
    a = data.draw(testing.arrays(shape))
    last = data.draw(st.lists(st.integers(-shape[-1], shape[-1] - 1), min_size=1, max_size=4))
    picks = np.array(last)
    for index in [(Ellipsis, picks), (None, Ellipsis, picks)]:
        check_index(a, index)
    if a.ndim >= 2:
        check_index(a, (slice(None, None, -1), Ellipsis, picks))
        first = np.array(data.draw(st.lists(st.integers(0, shape[0] - 1), min_size=1, max_size=3)))
        check_index(a, (first, slice(1, None)))


def test_python_lists_and_tensors_work_as_indices():
    a = np.arange(12.0).reshape(3, 4)
    for index, numpy_index in [([0, 0, 2], [0, 0, 2]),
                               (Tensor(np.array([2, 0, 2])), np.array([2, 0, 2])),
                               ((slice(None), [3, 3]), (slice(None), [3, 3])),
                               ([True, False, True], np.array([True, False, True]))]:
        x = Tensor(a, requires_grad=True)
        out = x[index]
        np.testing.assert_array_equal(out.data, a[numpy_index])
        out.sum().backward()
        np.testing.assert_array_equal(x.grad, counts(a.shape, numpy_index))


# ----------------------------------------------------------------------------- repeated indices
def test_repeated_index_sends_twice_the_gradient():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    x[[0, 0, 1]].backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_array_equal(x.grad, [11.0, 100.0, 0.0])


def test_repeated_index_through_the_getitem_function():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    ag.getitem(x, [0, 0, 1]).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 1.0, 0.0])


def test_repeated_pairs_in_two_dimensional_fancy_indexing():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x[[0, 0, 1, 0], [1, 1, 2, 1]].sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 3.0, 0.0], [0.0, 0.0, 1.0]])


def test_repeated_rows():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    x[np.array([[0, 0], [1, 0]])].sum().backward()
    np.testing.assert_array_equal(x.grad, [[3.0] * 3, [1.0] * 3])


def test_second_order_through_repeated_indices():
    # f(x) = sum(x[idx] ** 3): d2f/dx_i2 = 6 x_i * (times index i is picked).
    idx = [0, 0, 2, 0]
    a = np.array([0.5, -1.0, 2.0])
    hessian = ag.hessian(lambda t: (t[idx] ** 3).sum())(a)
    np.testing.assert_allclose(hessian, np.diag(6 * a * np.array([3, 0, 1])))
    testing.check_gradients(lambda t: t[idx] ** 3, a, order=2)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_scatter_add_is_differentiable_in_its_values(shape, data):
    index = data.draw(testing.integer_array_indices(shape))
    values = data.draw(testing.arrays(np.zeros(shape)[index].shape))
    out = ag.scatter_add(Tensor(values), index, shape)
    expected = np.zeros(shape)
    np.add.at(expected, index, values)
    np.testing.assert_allclose(out.data, expected)
    testing.check_gradients(lambda g: ag.scatter_add(g, index, shape) ** 2, values, order=2)


# ----------------------------------------------------------------------------- contract
def test_iterating_gives_differentiable_rows():
    x = Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and all(r.shape == (2,) for r in rows)
    (rows[0] * 1 + rows[2] * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [0.0, 0.0], [3.0, 3.0]])


def test_out_of_range_index_names_getitem_and_the_shape():
    with pytest.raises(IndexError, match=r"getitem.*\(2, 3\)"):
        Tensor(np.ones((2, 3)))[2]


def test_setitem_into_a_graph_tensor_is_refused():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 5.0
    y = x * 2
    with pytest.raises(RuntimeError, match="in-place"):
        y[0] = 5.0


def test_setitem_on_a_plain_tensor():
    t = Tensor(np.zeros((2, 3)))
    t[[0, 1], 1] = Tensor(np.array([4.0, 5.0]))
    t[0, 0] = 1.0
    np.testing.assert_array_equal(t.data, [[1.0, 4.0, 0.0], [0.0, 5.0, 0.0]])
