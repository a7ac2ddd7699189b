"""Keras 3 weight files: built here with h5py in Keras 3's layout (``layers/<class>/vars/<i>``,
see ``nn.export.keras_weights``), loaded into lucidgrad models and checked against a numpy
forward pass written the way Keras computes it (channels last)."""
import io
import json
import zipfile

import numpy as np
import pytest

import nn
from nn.models import build_model

h5py = pytest.importorskip("h5py")

from nn.export import KerasWeightsError, load_keras_weights, read_keras_weights  # noqa: E402

EPSILON = 1e-3  # Keras's BatchNormalization default


def write_weights_h5(target, layers):
    """A Keras 3 weights file: ``layers`` is ``[(class name in snake case, [arrays]), ...]`` in
    model order; groups are numbered per class as Keras numbers them."""
    counts = {}
    with h5py.File(target, "w") as h5:
        h5.create_group("vars")  # the Sequential's own (empty) variables
        for kind, arrays in layers:
            number = counts.get(kind, 0)
            counts[kind] = number + 1
            group = h5.create_group(f"layers/{kind}" + (f"_{number}" if number else "")).create_group("vars")
            for i, array in enumerate(arrays):
                group[str(i)] = array


def write_keras_archive(path, layers, config_layers):
    """A ``.keras`` file: config.json, metadata.json and model.weights.h5."""
    weights = io.BytesIO()
    write_weights_h5(weights, layers)
    config = {"module": "keras", "class_name": "Sequential",
              "config": {"name": "sequential", "layers": config_layers}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("metadata.json", json.dumps({"keras_version": "3.6.0"}))
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", weights.getvalue())


def keras_cnn_weights(rng):
    """Conv2D(3, 3x3, relu), MaxPooling2D, BatchNormalization, Flatten, Dense(5, relu),
    Dropout, Dense(4, softmax) on 6x6x2 images, in Keras's layouts."""
    return [
        ("conv2d", [rng.normal(size=(3, 3, 2, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)]),
        ("max_pooling2d", []),
        ("batch_normalization", [rng.uniform(0.5, 1.5, 3), rng.normal(size=3), rng.normal(size=3) * 0.1,
                                 rng.uniform(0.5, 2.0, 3)]),
        ("flatten", []),
        ("dense", [rng.normal(size=(12, 5)).astype(np.float32), rng.normal(size=5).astype(np.float32)]),
        ("dropout", []),
        ("dense", [rng.normal(size=(5, 4)).astype(np.float32), rng.normal(size=4).astype(np.float32)]),
    ]


def keras_forward(weights, x_nhwc):
    """The Keras model of ``keras_cnn_weights`` in numpy, channels last, as Keras computes it."""
    (kernel, bias), _, (gamma, beta, mean, var), _, (k1, b1), _, (k2, b2) = [w for _, w in weights]
    windows = np.lib.stride_tricks.sliding_window_view(x_nhwc, (3, 3), axis=(1, 2))  # (N, 4, 4, C, 3, 3)
    y = np.maximum(np.einsum("nijcab,abco->nijo", windows, kernel) + bias, 0)
    n, h, w, c = y.shape
    y = y.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))
    y = (y - mean) / np.sqrt(var + EPSILON) * gamma + beta
    y = np.maximum(y.reshape(n, -1) @ k1 + b1, 0)  # flattened (H, W, C)
    logits = y @ k2 + b2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def keras_style_cnn():
    return nn.Sequential([nn.Conv2D(3, 3, activation="relu", input_shape=(2, 6, 6)), nn.MaxPool2D(2),
                          nn.BatchNormalization(), nn.Flatten(), nn.Dense(5, activation="relu"),
                          nn.Dropout(0.5), nn.Dense(4, activation="softmax")])


def torch_style_cnn():
    return nn.Sequential([nn.Conv2d(2, 3, 3), nn.ReLU(), nn.MaxPool2d(2), nn.BatchNorm2d(3, eps=EPSILON),
                          nn.Flatten(), nn.Linear(12, 5), nn.ReLU(), nn.Linear(5, 4), nn.Softmax()])


@pytest.mark.parametrize("build", [keras_style_cnn, torch_style_cnn])
def test_a_channels_last_keras_cnn_gives_keras_outputs(tmp_path, build):
    rng = np.random.default_rng(0)
    weights = keras_cnn_weights(rng)
    write_weights_h5(tmp_path / "cnn.weights.h5", weights)
    model = build()
    shape = None if build is keras_style_cnn else (2, 6, 6)  # the Keras-style model declares it
    if shape is not None:
        with pytest.raises(KerasWeightsError, match=r"pass input_shape=\(C, H, W\)"):
            load_keras_weights(model, tmp_path / "cnn.weights.h5")
    loaded = load_keras_weights(model, tmp_path / "cnn.weights.h5", input_shape=shape)
    assert sorted(loaded) == sorted(model.state_dict())
    x = rng.uniform(0, 1, (5, 6, 6, 2)).astype(np.float32)
    want = keras_forward(weights, x)
    got = model.predict(x.transpose(0, 3, 1, 2))  # our layers are channels first
    np.testing.assert_allclose(got, want, atol=1e-5 * np.abs(want).max())


def test_a_keras_archive_says_its_data_format(tmp_path):
    rng = np.random.default_rng(1)
    weights = keras_cnn_weights(rng)
    config_layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None, 2, 6, 6]}}] + [
        {"class_name": name, "config": {"data_format": "channels_first"}} for name in
        ("Conv2D", "MaxPooling2D", "BatchNormalization", "Flatten", "Dense", "Dropout", "Dense")]
    write_keras_archive(tmp_path / "cnn.keras", weights, config_layers)
    groups, config = read_keras_weights(tmp_path / "cnn.keras")
    assert config["class_name"] == "Sequential"
    assert sorted(groups) == ["layers/batch_normalization", "layers/conv2d", "layers/dense",
                              "layers/dense_1", "layers/dropout", "layers/flatten",
                              "layers/max_pooling2d"]
    model = keras_style_cnn()
    load_keras_weights(model, tmp_path / "cnn.keras")
    # channels first in Keras too: the Dense rows are taken in the file's order, unchanged
    np.testing.assert_array_equal(model[4].kernel.data, weights[4][1][0])
    np.testing.assert_array_equal(model[0].kernel.data, weights[0][1][0].transpose(3, 2, 0, 1))


def test_the_seed_recipe_mlp_from_both_file_kinds(tmp_path):
    rng = np.random.default_rng(2)
    weights = [("dense", [rng.normal(size=(784, 512)).astype(np.float32) * 0.05, rng.normal(size=512).astype(np.float32)]),
               ("dense", [rng.normal(size=(512, 10)).astype(np.float32) * 0.05, rng.normal(size=10).astype(np.float32)])]
    write_weights_h5(tmp_path / "mlp.weights.h5", weights)
    write_keras_archive(tmp_path / "mlp.keras", weights, [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 784]}},
        {"class_name": "Dense", "config": {"units": 512, "activation": "relu"}},
        {"class_name": "Dense", "config": {"units": 10, "activation": "softmax"}}])
    x = rng.random((3, 784), dtype=np.float32)
    hidden = np.maximum(x @ weights[0][1][0] + weights[0][1][1], 0)
    logits = hidden @ weights[1][1][0] + weights[1][1][1]
    want = np.exp(logits - logits.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    for name in ("mlp.weights.h5", "mlp.keras"):
        model = build_model("mlp", (784,), 10)
        load_keras_weights(model, tmp_path / name)
        np.testing.assert_allclose(model.predict(x), want, atol=1e-6)


def test_weights_that_do_not_fit_change_nothing(tmp_path):
    rng = np.random.default_rng(3)
    write_weights_h5(tmp_path / "cnn.weights.h5", keras_cnn_weights(rng))
    model = nn.Sequential([nn.Conv2D(3, 3, input_shape=(2, 6, 6)), nn.MaxPool2D(2),
                           nn.BatchNormalization(center=False), nn.Flatten(), nn.Dense(6),
                           nn.Dense(4), nn.Dense(2)])
    before = model.state_dict()
    with pytest.raises(KerasWeightsError) as error:
        load_keras_weights(model, tmp_path / "cnn.weights.h5")
    message = str(error.value)
    assert "layer 2 (BatchNormalization) from 'layers/batch_normalization': expected 3 variables" in message
    assert "layer 4 (Dense) from 'layers/dense': kernel (in, units) has shape (12, 5), the layer expects (12, 6)" in message
    assert "layer 5 (Dense) from 'layers/dense_1': kernel (in, units) has shape (5, 4), the layer expects (6, 4)" in message
    assert "layer 6 (Dense): the file has no 'layers/dense_2'" in message
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])

    small = nn.Sequential([nn.Dense(5, input_shape=(12,))])
    write_weights_h5(tmp_path / "two.weights.h5", [("dense", [np.zeros((12, 5)), np.zeros(5)]),
                                                   ("dense", [np.zeros((5, 4)), np.zeros(4)])])
    with pytest.raises(KerasWeightsError, match="weights in the file that no layer takes: layers/dense_1"):
        load_keras_weights(small, tmp_path / "two.weights.h5")
    with pytest.raises(KerasWeightsError, match="is not built"):
        load_keras_weights(nn.Sequential([nn.Dense(5)]), tmp_path / "two.weights.h5")


def test_files_of_the_wrong_kind(tmp_path):
    (tmp_path / "junk.weights.h5").write_bytes(b"\x00 not hdf5 at all")
    with pytest.raises(KerasWeightsError, match="neither a Keras .weights.h5 .HDF5. file nor a .keras archive"):
        read_keras_weights(tmp_path / "junk.weights.h5")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as archive:
        archive.writestr("config.json", "{}")
    with pytest.raises(KerasWeightsError, match="zip archive without model.weights.h5"):
        read_keras_weights(tmp_path / "empty.keras")
    with h5py.File(tmp_path / "keras2.h5", "w") as h5:
        h5.create_group("model_weights")
    with pytest.raises(KerasWeightsError, match="no 'layers' group .this looks like a Keras 2"):
        read_keras_weights(tmp_path / "keras2.h5")
    with pytest.raises(FileNotFoundError):
        read_keras_weights(tmp_path / "missing.keras")
