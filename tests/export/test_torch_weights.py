"""Weights with PyTorch: the name and layout mapping, safetensors files, and round trips
through torch itself (skipped without torch) that give the same outputs."""
import numpy as np
import pytest

import nn

pytest.importorskip("safetensors")

from nn.export import (SafetensorsError, from_torch_state_dict, load_safetensors,  # noqa: E402
                       load_torch_weights, save_safetensors, save_torch_weights, to_torch_state_dict)
from nn.export.torch_weights import TorchWeightsError  # noqa: E402


def _randomize(model, seed=0):
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data[...] = rng.normal(size=p.shape) * 0.5
    for name, array in model.named_buffers():
        array[...] = rng.uniform(0.5, 2.0, array.shape) if "var" in name else rng.normal(size=array.shape)
    return model


def keras_style():
    return _randomize(nn.Sequential([
        nn.Conv2D(4, 3, input_shape=(2, 8, 8), activation="relu"), nn.BatchNormalization(),
        nn.MaxPool2D(2), nn.Flatten(), nn.Dense(5, activation="tanh"), nn.Dropout(0.5),
        nn.Dense(3)]))


def torch_style():
    return _randomize(nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(4 * 4 * 4, 6), nn.BatchNorm1d(6),
        nn.ReLU(), nn.Linear(6, 3)), seed=1)


def test_the_mapping_of_names_and_layouts():
    model = keras_style()
    state = to_torch_state_dict(model)
    assert list(state) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                           "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias",
                           "6.weight", "6.bias"]
    np.testing.assert_array_equal(state["0.weight"], model[0].kernel.data)  # already (out, in, kh, kw)
    np.testing.assert_array_equal(state["4.weight"], model[4].kernel.data.T)  # (in, out) -> (out, in)
    np.testing.assert_array_equal(state["1.running_var"], model[1].moving_variance)
    assert state["1.num_batches_tracked"].dtype == np.int64 and state["1.num_batches_tracked"].shape == ()

    torch_model = torch_style()
    state = to_torch_state_dict(torch_model)
    ours = torch_model.state_dict()
    assert sorted(k for k in state if not k.endswith("num_batches_tracked")) == sorted(ours)
    for name, array in ours.items():
        np.testing.assert_array_equal(state[name], array)


@pytest.mark.parametrize("build", [keras_style, torch_style])
def test_a_safetensors_round_trip_gives_identical_outputs(tmp_path, build):
    model = build()
    save_torch_weights(model, tmp_path / "w.safetensors")
    fresh = _randomize(build(), seed=9)
    loaded = load_torch_weights(fresh, tmp_path / "w.safetensors")
    assert sorted(loaded) == sorted(model.state_dict())
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], array)
    x = np.random.default_rng(2).normal(size=(5, 2, 8, 8)).astype(np.float32)
    np.testing.assert_array_equal(fresh.predict(x), model.predict(x))


def test_mismatched_weights_are_listed_and_nothing_changes():
    model = torch_style()
    before = model.state_dict()
    state = to_torch_state_dict(keras_style())
    with pytest.raises(TorchWeightsError) as error:
        from_torch_state_dict(model, state)
    message = str(error.value)
    assert "'0.weight' has shape (4, 2, 3, 3)" not in message  # that one fits
    assert "'5.weight' has shape" not in message and "missing '5.weight'" in message
    assert "'4.weight' has shape (3, 4)" not in message
    assert "not in the model: 4.bias, 4.weight" in message
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])

    dense = nn.Sequential([nn.Dense(3, input_shape=(4,))])
    with pytest.raises(TorchWeightsError, match=r"'0.weight' has shape \(4, 3\), expected \(3, 4\) "
                                                r"\(the transpose of '0.kernel' \(4, 3\)\)"):
        from_torch_state_dict(dense, {"0.weight": np.zeros((4, 3)), "0.bias": np.zeros(3)})
    unbuilt = nn.Sequential([nn.Dense(3)])
    with pytest.raises(TorchWeightsError, match="the model is not built"):
        from_torch_state_dict(unbuilt, {"0.weight": np.zeros((3, 4))})
    assert from_torch_state_dict(dense, {"0.weight": np.ones((3, 4)), "0.bias": np.ones(3),
                                         "extra": np.ones(1)}, strict=False) == ["0.kernel", "0.bias"]


def test_safetensors_files(tmp_path):
    arrays = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array(3, dtype=np.int64),
              "c": np.array([True, False])}
    save_safetensors(arrays, tmp_path / "x.safetensors", metadata={"format": "pt"})
    loaded = load_safetensors(tmp_path / "x.safetensors")
    assert sorted(loaded) == ["a", "b", "c"]
    for name, array in arrays.items():
        assert loaded[name].dtype == array.dtype
        np.testing.assert_array_equal(loaded[name], array)
    for content in (b"", b"\x08\x00\x00\x00\x00\x00\x00\x00{bad json", b"PK\x03\x04 a zip"):
        (tmp_path / "bad.safetensors").write_bytes(content)
        with pytest.raises(SafetensorsError, match="is not a readable .safetensors file"):
            load_safetensors(tmp_path / "bad.safetensors")
    with pytest.raises(FileNotFoundError):
        load_safetensors(tmp_path / "missing.safetensors")
    with pytest.raises(SafetensorsError, match="only numeric and boolean arrays"):
        save_safetensors({"s": np.array(["text"])}, tmp_path / "s.safetensors")
    assert not (tmp_path / "s.safetensors").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.safetensors", "x.safetensors"]


# ---------------------------------------------------------------------------- through torch

def _torch_twin(model):
    """The same architecture in torch (eval mode), its modules named as ours are ("0", "1", ...;
    an activation that is a layer option here is a module of its own there, "<i>_activation")."""
    torch = pytest.importorskip("torch")
    from collections import OrderedDict

    layers = OrderedDict()
    for index, layer in enumerate(model.layers):
        name, key = type(layer).__name__, str(index)
        if name in ("Conv2D", "Conv2d"):
            weight = layer.kernel if name == "Conv2D" else layer.weight
            layers[key] = torch.nn.Conv2d(weight.shape[1], weight.shape[0], layer.kernel_size,
                                          padding=layer.padding if name == "Conv2d" else 0)
        elif name == "BatchNormalization":
            layers[key] = torch.nn.BatchNorm2d(layer.num_features, eps=layer.epsilon)
        elif name in ("BatchNorm2d", "BatchNorm1d"):
            layers[key] = getattr(torch.nn, name)(layer.num_features, eps=layer.eps)
        elif name in ("MaxPool2D", "MaxPool2d"):
            layers[key] = torch.nn.MaxPool2d(2)
        elif name == "Flatten":
            layers[key] = torch.nn.Flatten()
        elif name == "Dense":
            layers[key] = torch.nn.Linear(*layer.kernel.shape)
        elif name == "Linear":
            layers[key] = torch.nn.Linear(layer.in_features, layer.out_features)
        elif name == "ReLU":
            layers[key] = torch.nn.ReLU()
        elif name == "Dropout":
            layers[key] = torch.nn.Dropout(layer.rate)
        else:
            raise AssertionError(name)
        activation = getattr(layer, "activation", None)
        if activation is not None:
            layers[key + "_activation"] = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[activation.__name__]()
    return torch.nn.Sequential(layers).eval()


@pytest.mark.parametrize("build", [keras_style, torch_style])
def test_round_trip_through_pytorch(tmp_path, build):
    torch = pytest.importorskip("torch")
    from safetensors.torch import load_file, save_file

    model = build()
    twin = _torch_twin(model)
    save_torch_weights(model, tmp_path / "ours.safetensors")
    twin.load_state_dict(load_file(tmp_path / "ours.safetensors"), strict=True)
    x = np.random.default_rng(3).normal(size=(6, 2, 8, 8)).astype(np.float32)
    want = model.predict(x)
    with torch.no_grad():
        got = twin(torch.from_numpy(x)).numpy()
    assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))

    # back: torch's state dict, saved by torch's safetensors, loads to the very same weights
    save_file(twin.state_dict(), str(tmp_path / "theirs.safetensors"))
    fresh = _randomize(build(), seed=5)
    load_torch_weights(fresh, tmp_path / "theirs.safetensors")
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], array)
    np.testing.assert_array_equal(fresh.predict(x), want)


def test_a_torch_state_dict_loads_directly():
    pytest.importorskip("torch")
    model = torch_style()
    twin = _torch_twin(model)
    fresh = _randomize(torch_style(), seed=7)
    from_torch_state_dict(fresh, twin.state_dict())  # torch tensors, torch's own initial values
    for name, value in twin.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            np.testing.assert_array_equal(fresh.state_dict()[name], value.numpy())
