"""``nn.save`` / ``nn.load``: one call for a state dict, a module, an optimizer or a checkpoint."""
import zipfile

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn.serialization import ModelFileError


def trained_pair():
    nn.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    x = Tensor(np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32))
    for _ in range(2):
        loss = (model(x) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model, optimizer


def test_a_state_dict_round_trips(tmp_path):
    model, _ = trained_pair()
    nn.save(model.state_dict(), tmp_path / "weights.npz")
    loaded = nn.load(tmp_path / "weights.npz")
    assert sorted(loaded) == sorted(model.state_dict())
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].dtype == array.dtype
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    fresh.load_state_dict(nn.load(tmp_path / "weights.npz"))
    nn.save(model, tmp_path / "module.npz")  # a module saves its state dict
    assert sorted(nn.load(tmp_path / "module.npz")) == sorted(loaded)
    with zipfile.ZipFile(tmp_path / "weights.npz") as archive:  # plain arrays, no pickle
        assert all(name.endswith(".npy") for name in archive.namelist())
    np.load(tmp_path / "weights.npz", allow_pickle=False).close()


def test_a_training_checkpoint_resumes_exactly(tmp_path):
    model, optimizer = trained_pair()
    nn.save({"epoch": 2, "note": "after two steps", "losses": [0.5, 0.25], "best": None,
             "model": model.state_dict(), "optimizer": optimizer.state_dict()},
            tmp_path / "checkpoint.npz")
    checkpoint = nn.load(tmp_path / "checkpoint.npz")
    assert checkpoint["epoch"] == 2 and type(checkpoint["epoch"]) is int
    assert checkpoint["note"] == "after two steps" and checkpoint["losses"] == [0.5, 0.25]
    assert checkpoint["best"] is None
    clone = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    clone.load_state_dict(checkpoint["model"])
    clone_optimizer = nn.optim.Adam(clone.parameters())
    clone_optimizer.load_state_dict(checkpoint["optimizer"])
    assert clone_optimizer.lr == 0.01
    x = Tensor(np.ones((4, 3), np.float32))
    for net, opt in ((model, optimizer), (clone, clone_optimizer)):
        loss = (net(x) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    for a, b in zip(model.parameters(), clone.parameters()):
        np.testing.assert_array_equal(a.data, b.data)
    nn.save(optimizer, tmp_path / "optimizer.npz")  # an optimizer saves its state dict
    assert nn.load(tmp_path / "optimizer.npz")["iterations"] == 3


def test_model_files_and_plain_archives_load_as_dicts(tmp_path):
    model = nn.Sequential([nn.Dense(3, input_shape=(2,)), nn.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "model.npz")
    weights = nn.load(tmp_path / "model.npz")
    assert sorted(weights) == ["0.bias", "0.kernel", "1.bias", "1.kernel"]
    np.testing.assert_array_equal(weights["0.kernel"], model[0].kernel.data)
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    assert nn.load(tmp_path / "plain.npz")["a"].tolist() == [0, 1, 2]


def test_what_cannot_be_saved_without_pickle_is_refused(tmp_path):
    with pytest.raises(TypeError, match=r"'extra' holds a set"):
        nn.save({"extra": {1, 2}}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match=r"'pair' holds a tuple"):
        nn.save({"pair": (1, 2)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys must be non-empty strings without '/'"):
        nn.save({"a/b": np.zeros(2)}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="expected a state dict, a module or an optimizer"):
        nn.save([np.zeros(2)], tmp_path / "x.npz")
    assert not (tmp_path / "x.npz").exists()
    (tmp_path / "broken.npz").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not an .npz archive"):
        nn.load(tmp_path / "broken.npz")
