"""One-hot encoding and mini-batch iteration."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn.data import BatchIterator, batches, to_categorical

# --- to_categorical -------------------------------------------------------------------------


def test_one_hot_rows():
    encoded = to_categorical([0, 2, 1, 2])
    assert encoded.dtype == np.float32
    np.testing.assert_array_equal(encoded, [[1, 0, 0], [0, 0, 1], [0, 1, 0], [0, 0, 1]])


def test_num_classes_and_dtype():
    encoded = to_categorical(np.array([1, 0]), num_classes=4, dtype="int64")
    assert encoded.dtype == np.int64
    np.testing.assert_array_equal(encoded, [[0, 1, 0, 0], [1, 0, 0, 0]])


def test_keras_shape_rules():
    # A trailing axis of size 1 is dropped; other axes are kept.
    assert to_categorical(np.zeros((5, 1), int), num_classes=3).shape == (5, 3)
    assert to_categorical(np.zeros((2, 4), int), num_classes=3).shape == (2, 4, 3)
    assert to_categorical(np.zeros((1,), int), num_classes=3).shape == (1, 3)
    assert to_categorical(np.array(2), num_classes=3).tolist() == [0, 0, 1]


def test_integral_floats_are_accepted():
    np.testing.assert_array_equal(to_categorical(np.array([1.0, 0.0])), [[0, 1], [1, 0]])


@pytest.mark.parametrize(
    ("labels", "kwargs", "message"),
    [
        ([0, 3], {"num_classes": 3}, "label 3 is out of range for num_classes=3"),
        ([0, -1], {}, "label -1 is out of range"),
        ([0.5, 1.0], {}, "non-integral"),
        ([np.nan], {}, "non-integral"),
        (["a", "b"], {}, "dtype <U1"),
        ([], {}, "cannot infer num_classes"),
        ([0, 1], {"num_classes": 0}, "num_classes must be a positive integer"),
    ],
)
def test_invalid_labels(labels, kwargs, message):
    with pytest.raises(ValueError, match=message):
        to_categorical(labels, **kwargs)


# --- batches / BatchIterator ----------------------------------------------------------------


def test_in_order_batches_are_views_of_the_inputs():
    x = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    result = list(batches(x, y, batch_size=4))
    assert [len(b[0]) for b in result] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([b[1] for b in result]), y)
    assert all(np.shares_memory(xb, x) for xb, _ in result)


def test_single_array_still_yields_tuples():
    (first,) = next(iter(batches(np.arange(5), batch_size=2)))
    np.testing.assert_array_equal(first, [0, 1])


def test_drop_last_and_len():
    data = np.arange(10)
    assert len(batches(data, batch_size=4)) == 3
    assert len(batches(data, batch_size=4, drop_last=True)) == 2
    assert len(batches(data, batch_size=5, drop_last=True)) == 2
    assert [len(b) for (b,) in batches(data, batch_size=4, drop_last=True)] == [4, 4]
    assert list(batches(np.arange(3), batch_size=4, drop_last=True)) == []


def test_shuffled_pass_keeps_rows_together_and_covers_everything():
    x = np.arange(30).reshape(15, 2)
    y = np.arange(15)
    seen = []
    for xb, yb in batches(x, y, batch_size=4, shuffle=True, seed=0):
        np.testing.assert_array_equal(xb, x[yb])
        seen.extend(yb.tolist())
    assert sorted(seen) == list(range(15))
    assert seen != list(range(15))


def epoch_orders(iterator, epochs):
    return [np.concatenate([yb for (yb,) in iterator]).tolist() for _ in range(epochs)]


def test_each_pass_reshuffles_reproducibly():
    data = np.arange(50)
    first = epoch_orders(BatchIterator(data, batch_size=8, shuffle=True, seed=7), 3)
    again = epoch_orders(BatchIterator(data, batch_size=8, shuffle=True, seed=7), 3)
    other = epoch_orders(BatchIterator(data, batch_size=8, shuffle=True, seed=8), 3)
    assert first == again
    assert first[0] != first[1] != first[2]
    assert first != other


def test_without_shuffle_every_pass_is_identical():
    iterator = batches(np.arange(7), batch_size=3)
    assert epoch_orders(iterator, 2) == [list(range(7))] * 2


def test_lists_are_accepted():
    assert [b.tolist() for (b,) in batches([1, 2, 3], batch_size=2)] == [[1, 2], [3]]


def test_mismatched_first_dimensions_are_rejected():
    with pytest.raises(ValueError, match=r"same first dimension; shapes: \(10, 2\), \(9,\)"):
        batches(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize(
    ("arrays", "kwargs", "message"),
    [
        ((), {}, "at least one array"),
        ((np.zeros(3),), {"batch_size": 0}, "batch_size must be a positive integer"),
        ((np.zeros(3),), {"batch_size": 2.0}, "batch_size must be a positive integer"),
        ((np.float64(1.0),), {}, "0-dimensional"),
    ],
)
def test_invalid_arguments(arrays, kwargs, message):
    with pytest.raises(ValueError, match=message):
        BatchIterator(*arrays, **kwargs)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 40),
    batch_size=st.integers(1, 12),
    shuffle=st.booleans(),
    drop_last=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_sample_appears_at_most_once_per_pass(n, batch_size, shuffle, drop_last, seed):
    iterator = batches(
        np.arange(n), batch_size=batch_size, shuffle=shuffle, seed=seed, drop_last=drop_last
    )
    sizes = [len(b) for (b,) in iterator]
    seen = np.concatenate([b for (b,) in iterator] + [np.array([], int)])
    assert len(sizes) == len(iterator)
    assert all(size == batch_size for size in sizes[:-1])
    assert len(np.unique(seen)) == len(seen)
    expected = n - n % batch_size if drop_last else n
    assert len(seen) == expected
