"""The ops sequence models lean on: ``take`` and ``embedding_lookup``, ``unstack``, ``flip``, ``triu``,
``tril`` and ``masked_fill`` (forward against numpy, derivatives to second order), and the
one-buffer backward of many gathers from one tensor."""
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import NONSCALAR_SHAPES, PROPERTY


@PROPERTY
@given(rows=st.integers(1, 5), dim=st.integers(1, 3), data=st.data())
def test_embedding_lookup_matches_numpy_with_its_ids_as_an_operand(rows, dim, data):
    """Ids of any shape (ints, or whole-number floats in a Tensor, as a traced input holds them)
    pick rows; the table's gradient accumulates repeats, to second order."""
    table = data.draw(testing.arrays((rows, dim)))
    id_shape = data.draw(st.lists(st.integers(1, 3), min_size=0, max_size=2).map(tuple))
    ids = np.array(data.draw(st.lists(st.integers(0, rows - 1), min_size=int(np.prod(id_shape)),
                                      max_size=int(np.prod(id_shape))))).reshape(id_shape)
    out = ag.embedding_lookup(Tensor(table, requires_grad=True), Tensor(ids.astype(np.float32)))
    assert out.op.name == "embedding_lookup" and isinstance(out.inputs[1], Tensor)
    np.testing.assert_array_equal(out.data, table[ids])
    testing.check_gradients(lambda t: ag.embedding_lookup(t, ids) ** 2, table, order=2)
    x = Tensor(table, requires_grad=True)
    ag.embedding_lookup(x, ids).sum().backward()
    counts = np.bincount(ids.ravel(), minlength=rows).astype(float)
    np.testing.assert_array_equal(x.grad, np.broadcast_to(counts[:, None], table.shape))


def test_embedding_lookup_leaves_the_padding_row_untrained_and_the_ids_without_gradient():
    table = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    ids = Tensor(np.array([[1.0, 3.0], [2.0, 1.0]]), requires_grad=True)
    out = ag.embedding_lookup(table, ids, padding_idx=-3)
    np.testing.assert_array_equal(out.data[0, 0], [3.0, 4.0, 5.0])  # the row itself is looked up
    (out * out).sum().backward()
    np.testing.assert_array_equal(table.grad[1], [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(table.grad[3], 2 * table.data[3])
    np.testing.assert_array_equal(ids.grad, np.zeros((2, 2)))


@pytest.mark.parametrize("ids, error", [
    (np.array([4]), IndexError), (np.array([-1]), IndexError), (np.array([0.5]), TypeError),
    (np.array(["a"]), TypeError)])
def test_embedding_lookup_rejects_bad_ids(ids, error):
    with pytest.raises(error, match="embedding_lookup"):
        ag.embedding_lookup(Tensor(np.ones((4, 2))), ids)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_take_matches_numpy_and_accumulates_repeats(shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    size = shape[axis]
    indices = np.array(data.draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=5)))
    out = ag.take(Tensor(a), indices, axis=axis)
    np.testing.assert_array_equal(out.data, np.take(a, indices, axis=axis))
    testing.check_gradients(lambda t: ag.take(t, indices, axis=axis) ** 2, a, order=2)
    x = Tensor(a, requires_grad=True)
    ag.take(x, indices, axis=axis).sum().backward()
    counts = np.bincount(indices % size, minlength=size).astype(float)
    expected = np.moveaxis(np.broadcast_to(counts, np.moveaxis(a, axis, -1).shape), -1, axis)
    np.testing.assert_array_equal(x.grad, expected)


def test_take_is_an_embedding_lookup_with_a_batch_of_ids():
    table = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    ids = np.array([[1, 3], [1, 1]])
    out = table.take(ids)
    assert out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[0, 1], [9.0, 10.0, 11.0])
    out.sum().backward()
    np.testing.assert_array_equal(table.grad[:, 0], [0.0, 3.0, 0.0, 1.0])


@pytest.mark.parametrize("indices, error", [
    (np.array([4]), IndexError), (np.array([-5]), IndexError), (np.array([0.5]), TypeError)])
def test_take_rejects_bad_indices(indices, error):
    with pytest.raises(error, match="take"):
        ag.take(Tensor(np.ones((4, 2))), indices)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_unstack_inverts_stack(shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    parts = ag.unstack(Tensor(a), axis=axis)
    assert len(parts) == shape[axis]
    np.testing.assert_array_equal(ag.stack(parts, axis=axis).data, a)
    weights = np.arange(1.0, shape[axis] + 1)
    testing.check_gradients(
        lambda t: sum(w * p ** 2 for w, p in zip(weights, ag.unstack(t, axis=axis))), a, order=2)


def test_gradients_of_many_slices_share_one_buffer():
    steps, size = 200, (16, 64)
    x = Tensor(np.ones((size[0], steps, size[1]), dtype=np.float32), requires_grad=True)
    total = x[:, 0]
    for t in range(1, steps):
        total = total + x[:, t] * float(t)
    tracemalloc.start()
    total.sum().backward()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # one gradient buffer (plus the slices' own small gradients), not one zero-filled copy per slice
    assert peak < 3 * x.data.nbytes
    np.testing.assert_array_equal(x.grad[0, :, 0], np.maximum(np.arange(steps), 1))


def test_gradient_pieces_meet_a_dense_gradient_in_either_order():
    for create_graph in (False, True):
        x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        y = x[0] * 2 + (x * x).sum(axis=0) + x[1]
        (g,) = ag.gradients(y.sum(), [x], create_graph=create_graph)
        expected = 2 * x.data + np.array([[2.0], [1.0]])
        np.testing.assert_allclose(ag.Tensor(g).data if not create_graph else g.data, expected)


@PROPERTY
@given(shape=NONSCALAR_SHAPES, data=st.data())
def test_flip_matches_numpy(shape, data):
    a = data.draw(testing.arrays(shape))
    axis = data.draw(st.none() | testing.axes(len(shape)))
    np.testing.assert_array_equal(ag.flip(Tensor(a), axis).data, np.flip(a, axis))
    weights = np.arange(a.size, dtype=float).reshape(shape)
    testing.check_gradients(lambda t: ag.flip(t, axis) * weights * t, a, order=2)


@pytest.mark.parametrize("op", [ag.triu, ag.tril])
@pytest.mark.parametrize("k", [-1, 0, 2])
def test_triangles_match_numpy(op, k):
    a = np.random.default_rng(0).normal(size=(2, 3, 4))
    reference = np.triu if op is ag.triu else np.tril
    np.testing.assert_array_equal(op(Tensor(a), k).data, reference(a, k))
    testing.check_gradients(lambda t: op(t, k) * t, a, order=2)


def test_triangles_need_matrices():
    with pytest.raises(ValueError, match="triu: needs at least two axes"):
        ag.triu(Tensor(np.ones(3)))


def test_masked_fill_overwrites_and_blocks_the_gradient():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    mask = np.array([True, False, True])
    out = x.masked_fill(mask, -1.0)
    np.testing.assert_array_equal(out.data, [[-1, 1, -1], [-1, 4, -1]])
    (out * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [[-1, 2, -1], [-1, 8, -1]])
    testing.check_gradients(lambda t: t.masked_fill(mask, 0.5) ** 2, x.data, order=2)


def test_masked_fill_checks_its_mask():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(TypeError, match="masked_fill: the mask must be boolean, got dtype int64"):
        x.masked_fill(np.array([1, 0, 1]), 0.0)
    with pytest.raises(ValueError, match=r"masked_fill: a mask of shape \(2,\) does not broadcast"):
        x.masked_fill(np.array([True, False]), 0.0)
