"""``nn.data.DataLoader``: PyTorch's loader over datasets and arrays, reproducible shuffling."""
import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.data import DataLoader, Dataset, TensorDataset, default_collate

X = np.arange(20, dtype=np.float32).reshape(10, 2)
Y = np.arange(10) % 3


def test_batches_in_order_with_a_short_last_one():
    loader = DataLoader(TensorDataset(X, Y), batch_size=4)
    batches = list(loader)
    assert len(loader) == len(batches) == 3
    assert [len(xb) for xb, _ in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([xb for xb, _ in batches]), X)
    np.testing.assert_array_equal(batches[2][1], Y[8:])
    assert batches[0][1].dtype == Y.dtype
    dropped = DataLoader(TensorDataset(X, Y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [len(xb) for xb, _ in dropped] == [4, 4]
    assert len(DataLoader(X)) == 10  # PyTorch's default batch_size is 1


def test_arrays_tuples_and_tensors_are_datasets():
    rows = list(DataLoader(X, batch_size=3))
    assert isinstance(rows[0], np.ndarray) and rows[0].shape == (3, 2)  # not a 1-tuple
    pairs = list(DataLoader((X, Y), batch_size=5))
    np.testing.assert_array_equal(pairs[1][1], Y[5:])
    np.testing.assert_array_equal(next(iter(DataLoader(Tensor(X), batch_size=2))), X[:2])
    with pytest.raises(ValueError, match=r"same length along the first axis; shapes: \(10, 2\), "
                                         r"\(9,\)"):
        TensorDataset(X, Y[:9])
    with pytest.raises(TypeError, match="expected a dataset"):
        DataLoader(5)


def test_shuffling_is_reproducible_with_a_seed_and_new_every_pass():
    def epoch(loader):
        return np.concatenate([yb for _, yb in loader])

    first = DataLoader((X, np.arange(10)), batch_size=3, shuffle=True, seed=7)
    second = DataLoader((X, np.arange(10)), batch_size=3, shuffle=True, seed=7)
    passes = [epoch(first) for _ in range(3)]
    for order, again in zip(passes, [epoch(second) for _ in range(3)]):
        np.testing.assert_array_equal(order, again)
        assert sorted(order) == list(range(10))  # every sample once per pass
    assert not np.array_equal(passes[0], passes[1])  # a new order each pass
    other_seed = epoch(DataLoader((X, np.arange(10)), batch_size=3, shuffle=True, seed=8))
    assert not np.array_equal(passes[0], other_seed)
    for xb, yb in first:  # rows stay together
        np.testing.assert_array_equal(xb, X[yb])


def test_generator_and_the_global_seed():
    orders = [np.concatenate(list(DataLoader(np.arange(10), 4, True,
                                             generator=np.random.default_rng(3))))
              for _ in range(2)]
    np.testing.assert_array_equal(*orders)
    nn.seed(5)
    one = np.concatenate(list(DataLoader(np.arange(10), 4, shuffle=True)))
    nn.seed(5)
    np.testing.assert_array_equal(one, np.concatenate(list(DataLoader(np.arange(10), 4, True))))
    with pytest.raises(ValueError, match="seed or generator, not both"):
        DataLoader(X, shuffle=True, seed=1, generator=np.random.default_rng(1))
    with pytest.raises(ValueError, match="pass shuffle=True"):
        DataLoader(X, seed=1)


class Squares(Dataset):
    """A map-style dataset computing its samples: (x, {'square': x * x, 'name': str(x)})."""

    def __len__(self):
        return 5

    def __getitem__(self, index):
        return np.float32(index), {"square": np.array([index * index]), "name": str(index)}


def test_a_dataset_is_collated_field_by_field():
    x, fields = next(iter(DataLoader(Squares(), batch_size=3)))
    np.testing.assert_array_equal(x, [0, 1, 2])
    np.testing.assert_array_equal(fields["square"], [[0], [1], [4]])
    assert fields["name"] == ["0", "1", "2"]
    samples = list(DataLoader(Squares(), batch_size=None))
    assert len(samples) == 5 and samples[3][1]["name"] == "3"  # one sample at a time
    assert default_collate([(1, 2.0), (3, 4.0)])[1].tolist() == [2.0, 4.0]
    assert len(list(DataLoader([(1, 2), (3, 4), (5, 6)], batch_size=2))) == 2  # a list of samples


def test_collate_fn_receives_the_samples():
    seen = []

    def collate(samples):
        seen.append(len(samples))
        xs, ys = zip(*samples)
        return np.stack(xs) * 10, list(ys)

    batches = list(DataLoader(TensorDataset(X, Y), batch_size=4, collate_fn=collate))
    assert seen == [4, 4, 2]
    np.testing.assert_array_equal(batches[0][0], X[:4] * 10)
    assert batches[2][1] == list(Y[8:])


def test_a_pytorch_style_loop_trains():
    nn.seed(0)
    x, labels = nn.data.make_blobs(200, centers=3, seed=0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    loader = DataLoader((x.astype(np.float32), labels), batch_size=32, shuffle=True, seed=0)
    for _ in range(15):
        for xb, yb in loader:
            loss = nn.functional.cross_entropy(model(Tensor(xb)), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    accuracy = np.mean(model(Tensor(x.astype(np.float32))).data.argmax(axis=1) == labels)
    assert accuracy > 0.9
