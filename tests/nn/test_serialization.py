"""Model and weight files: round trips (weights, whole models, optimizer state so that training
continues identically), atomic writes, and clear errors for files that are not ours or do not fit."""
import json
import os
import zipfile

import numpy as np
import pytest

import nn
from nn.data import make_moons, to_categorical
from nn.serialization import (HEADER, ModelFileError, load_model, load_state, load_weights,
                              save_state)

# every test here trains: once with fit's steps captured and replayed, once eagerly
pytestmark = pytest.mark.usefixtures("fit_modes")


def mlp(seed=0, hidden=8, regularized=False):
    nn.seed(seed)
    extra = {"kernel_regularizer": nn.regularizers.L2(1e-3)} if regularized else {}
    return nn.Sequential([nn.Dense(hidden, activation="relu", input_shape=(2,), **extra),
                          nn.Dropout(0.1),
                          nn.Dense(2, activation="softmax")])


def data(n=64):
    x, y = make_moons(n, noise=0.1, seed=0)
    return x.astype(np.float32), to_categorical(y)


def weights_of(model):
    return {name: p.data.copy() for name, p in model.named_parameters()}


def assert_same_weights(a, b):
    wa, wb = weights_of(a), weights_of(b)
    assert list(wa) == list(wb)
    for name in wa:
        np.testing.assert_array_equal(wa[name], wb[name], err_msg=name)


# ---------------------------------------------------------------------- round trips
def test_weights_round_trip(tmp_path):
    source, target = mlp(seed=0), mlp(seed=1)
    path = tmp_path / "weights.npz"
    source.save_weights(path)
    target.load_weights(path)
    assert_same_weights(source, target)


def test_batch_norm_buffers_are_saved(tmp_path):
    nn.seed(0)
    model = nn.Sequential([nn.Dense(4, input_shape=(3,)), nn.BatchNormalization()])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(3.0, 2.0, (32, 3)).astype(np.float32)
    model.fit(x, np.zeros((32, 4), np.float32), epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "bn.npz"
    model.save(path)
    restored = load_model(path)
    for (name, a), (_, b) in zip(model.named_buffers(), restored.named_buffers()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    np.testing.assert_allclose(restored.predict(x), model.predict(x), rtol=1e-6)


def test_whole_model_round_trip(tmp_path):
    x, y = data()
    model = mlp(regularized=True)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    restored = load_model(path)
    assert type(restored) is nn.Sequential
    assert [type(layer) for layer in restored] == [nn.Dense, nn.Dropout, nn.Dense]
    assert_same_weights(model, restored)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))
    assert restored.metrics_names == ["loss", "accuracy"]
    assert restored.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    assert isinstance(restored.optimizer, nn.optim.Adam)


def test_training_continues_identically_after_loading(tmp_path):
    x, y = data()
    model = mlp()
    model.compile(optimizer=nn.optim.RMSprop(lr=0.01, momentum=0.5), loss="categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=1)
    path = tmp_path / "model.npz"
    model.save(path, include_optimizer=True)
    restored = load_model(path)
    assert restored.optimizer.iterations == model.optimizer.iterations == 8
    assert restored.optimizer.momentum == 0.5
    nn.seed(7)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=2)
    nn.seed(7)  # same dropout masks
    restored.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=2)
    assert_same_weights(model, restored)


def test_without_the_optimizer_state_training_restarts_the_optimizer(tmp_path):
    x, y = data()
    model = mlp()
    model.compile(optimizer=nn.optim.RMSprop(lr=0.01), loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path, include_optimizer=False)
    restored = load_model(path)
    assert isinstance(restored.optimizer, nn.optim.RMSprop) and restored.optimizer.lr == 0.01
    assert restored.optimizer.iterations == 0
    with np.load(path, allow_pickle=False) as archive:
        assert not [name for name in archive.files if name.startswith("optimizer/")]


def test_uncompiled_model_and_compile_false(tmp_path):
    path = tmp_path / "model.npz"
    mlp().save(path)
    assert load_model(path).optimizer is None
    model = mlp()
    model.compile(optimizer="sgd", loss=nn.losses.CategoricalCrossentropy(from_logits=False))
    model.save(path)
    assert load_model(path, compile=False).optimizer is None
    restored = load_model(path)
    assert isinstance(restored.loss, nn.losses.CategoricalCrossentropy)


def test_lazily_built_model_round_trip(tmp_path):
    x, y = data()
    nn.seed(0)
    model = nn.Sequential([nn.Dense(4, activation="relu"), nn.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    path = tmp_path / "lazy.npz"
    model.save(path)
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


def test_files_are_plain_npz_without_pickle(tmp_path):
    path = tmp_path / "model.npz"
    model = mlp()
    model.compile(optimizer="adam", loss="mse")
    model.fit(*data(16), epochs=1, batch_size=8, verbose=0)
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        names = archive.files
        arrays = {name: archive[name] for name in names}  # would raise on any pickled entry
    assert all(a.dtype != object for a in arrays.values())
    header = json.loads(str(arrays[HEADER]))
    assert header["format"] == "lucidgrad" and header["kind"] == "model"
    assert header["weights"] == ["0.kernel", "0.bias", "2.kernel", "2.bias"]
    assert "weights/0.kernel" in names


def test_save_state_round_trip_and_object_refusal(tmp_path):
    path = tmp_path / "state.npz"
    save_state(path, {"a": np.arange(3), "b": 2.5, "name": "adam", "flag": True})
    state = load_state(path)
    np.testing.assert_array_equal(state["a"], np.arange(3))
    assert state["b"] == 2.5 and str(state["name"]) == "adam" and bool(state["flag"])
    with pytest.raises(TypeError, match="'bad'.*objects"):
        save_state(path, {"bad": np.array([{"x": 1}], dtype=object)})
    assert load_state(path).keys() == state.keys()  # the refused write left the file alone


# ---------------------------------------------------------------------- atomic writes
def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    model = mlp()
    model.save_weights(path)
    before = path.read_bytes()

    def broken_savez(file, **entries):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        mlp(seed=3).save_weights(path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_written_files_get_ordinary_permissions(tmp_path):
    path = tmp_path / "w.npz"
    mlp().save_weights(path)
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask


# ---------------------------------------------------------------------- bad files
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "nothing.npz")


def test_random_bytes_are_rejected(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(ModelFileError, match="not an .npz archive"):
        load_model(path)


def test_truncated_file_is_rejected(tmp_path):
    path = tmp_path / "model.npz"
    mlp(hidden=64).save(path)
    data_bytes = path.read_bytes()
    for cut in (len(data_bytes) // 2, len(data_bytes) - 10):
        path.write_bytes(data_bytes[:cut])
        with pytest.raises(ModelFileError, match="truncated|corrupt"):
            load_model(path)


def test_corrupted_entry_is_rejected(tmp_path):
    path = tmp_path / "model.npz"
    mlp(hidden=64).save(path)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("weights/0.kernel.npy")
    middle = info.header_offset + 200  # inside the stored kernel values
    raw[middle] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="0.kernel.*corrupt"):
        load_model(path)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{HEADER: np.array("{}"), "payload": np.array([object()], dtype=object)})
    with pytest.raises(ModelFileError, match="payload.*pickled"):
        load_model(path)


def test_foreign_npz_is_rejected(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, w=np.zeros(3))
    with pytest.raises(ModelFileError, match="not a lucidgrad file.*no '__lucidgrad__'"):
        load_model(path)
    np.savez(path, **{HEADER: np.array(json.dumps({"format": "keras"}))})
    with pytest.raises(ModelFileError, match="not a lucidgrad file"):
        load_model(path)
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ModelFileError, match="single .npy array"):
        load_model(tmp_path / "single.npy")


def test_weights_file_is_not_a_model(tmp_path):
    path = tmp_path / "w.npz"
    mlp().save_weights(path)
    with pytest.raises(ModelFileError, match="'weights' file, expected 'model'"):
        load_model(path)


def test_wrong_shapes_name_the_entry_and_both_shapes(tmp_path):
    path = tmp_path / "w.npz"
    mlp(hidden=8).save_weights(path)
    target = mlp(hidden=5)
    before = weights_of(target)
    with pytest.raises(ModelFileError) as error:
        target.load_weights(path)
    message = str(error.value)
    assert "0.kernel: the model expects shape (2, 5), the file has (2, 8)" in message
    assert "2.kernel: the model expects shape (5, 2), the file has (8, 2)" in message
    for name, value in weights_of(target).items():  # nothing was changed
        np.testing.assert_array_equal(value, before[name])


def test_wrong_names_are_listed(tmp_path):
    path = tmp_path / "w.npz"
    save_state(path, {HEADER: np.array(json.dumps({
        "format": "lucidgrad", "kind": "weights", "version": 1, "weights": ["0.kernel", "9.w"]})),
        "weights/0.kernel": np.zeros((2, 8), np.float32), "weights/9.w": np.zeros(1)})
    with pytest.raises(ModelFileError) as error:
        load_weights(mlp(), path)
    message = str(error.value)
    assert "missing in the file: 0.bias, 2.kernel, 2.bias" in message
    assert "not in the model: 9.w" in message


def test_unsupported_version(tmp_path):
    path = tmp_path / "w.npz"
    save_state(path, {HEADER: np.array(json.dumps({
        "format": "lucidgrad", "kind": "weights", "version": 99}))})
    with pytest.raises(ModelFileError, match="version 99"):
        load_weights(mlp(), path)


def test_unregistered_model_class_cannot_be_saved(tmp_path):
    class Custom(nn.Model):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match="register_layer"):
        Custom().save(tmp_path / "custom.npz")
    assert not (tmp_path / "custom.npz").exists()


def test_load_model_is_exported_from_nn():
    assert nn.load_model is load_model


def test_custom_loss_function_leaves_the_loaded_model_uncompiled(tmp_path):
    def my_loss(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean()

    model = mlp()
    model.compile(optimizer="sgd", loss=my_loss)
    path = tmp_path / "m.npz"
    model.save(path)
    restored = load_model(path)
    assert restored.optimizer is None
    assert_same_weights(model, restored)


def test_loss_given_as_function_or_config_is_restored(tmp_path):
    path = tmp_path / "m.npz"
    model = mlp()
    model.compile(optimizer="sgd", loss=nn.losses.mean_squared_error)
    model.save(path)
    assert isinstance(load_model(path).loss, nn.losses.MeanSquaredError)
    model.compile(optimizer="sgd",
                  loss={"class_name": "Huber", "config": {"delta": 0.5}})
    model.save(path)
    restored = load_model(path).loss
    assert isinstance(restored, nn.losses.Huber) and restored.get_config()["delta"] == 0.5
