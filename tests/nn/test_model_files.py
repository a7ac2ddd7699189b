"""Hostile and malformed model files: a header cannot make ``load_model`` build more than the file
holds, every malformed field is a ``ModelFileError`` naming the file and the field, and no error
ever advises loading with ``allow_pickle``."""
import io
import json
import zipfile

import numpy as np
import pytest

import nn
from memory_limited import LimitedReader
from nn.module import layer_from_config, layer_to_config, register_layer, weight_shapes_from_config
from nn.serialization import HEADER, ModelFileError, load_model, load_weights, save_state

BASE = {"format": "lucidgrad", "kind": "model", "version": 1}


def dense_model_file(path, units=4, input_dim=3, stored=(3, 4), **header):
    """A model file whose header declares ``Dense(units, input_dim)`` next to stored arrays."""
    config = {"units": units, "input_dim": input_dim}
    architecture = {"class_name": "Sequential",
                    "config": {"layers": [{"class_name": "Dense", "config": config}]}}
    save_state(path, {
        HEADER: np.array(json.dumps({**BASE, "weights": ["0.kernel", "0.bias"],
                                     "architecture": architecture, **header})),
        "weights/0.kernel": np.zeros(stored, np.float32),
        "weights/0.bias": np.zeros(stored[-1], np.float32),
    })
    return path


@pytest.fixture(scope="module")
def reader():
    child = LimitedReader()
    yield child
    child.close()


# ---------------------------------------------------------------------- bounded allocation
HOSTILE_LAYERS = {
    "Dense units": {"class_name": "Dense", "config": {"units": 10**9, "input_dim": 3}},
    "Dense input_dim": {"class_name": "Dense", "config": {"units": 4, "input_dim": 10**9}},
    "Dense input_shape": {"class_name": "Dense", "config": {"units": 4, "input_shape": [10**9]}},
    "Linear": {"class_name": "Linear", "config": {"in_features": 10**5, "out_features": 10**5}},
    "Conv2D filters": {"class_name": "Conv2D", "config": {"filters": 10**6, "kernel_size": 300,
                                                          "input_channels": 1}},
    "Conv2d": {"class_name": "Conv2d", "config": {"in_channels": 10**4, "out_channels": 10**4,
                                                  "kernel_size": 30}},
    "BatchNormalization": {"class_name": "BatchNormalization", "config": {"num_features": 10**10}},
    "BatchNorm1d": {"class_name": "BatchNorm1d", "config": {"num_features": 10**10}},
}


@pytest.mark.parametrize("layer", list(HOSTILE_LAYERS.values()), ids=list(HOSTILE_LAYERS))
def test_a_header_cannot_make_the_loader_allocate_what_the_file_does_not_hold(reader, layer, tmp_path):
    # the example: Dense(units=10**9) next to a (3, 4) kernel used to allocate 22 GiB
    path = tmp_path / "hostile.npz"
    save_state(path, {
        HEADER: np.array(json.dumps({**BASE, "weights": ["0.kernel", "0.bias"], "architecture": {
            "class_name": "Sequential", "config": {"layers": [layer]}}})),
        "weights/0.kernel": np.zeros((3, 4), np.float32), "weights/0.bias": np.zeros(4, np.float32)})
    content = path.read_bytes()
    answer = reader.run("load_model", content)
    assert answer["outcome"] == "error" and answer["error_class"] == "ModelFileError", answer
    assert answer["peak"] < 1 << 20, answer  # checked before anything was built
    assert "do not fit the architecture" in answer["message"]


def test_the_mismatch_is_reported_before_building_with_both_shapes(tmp_path):
    path = dense_model_file(tmp_path / "m.npz", units=10**9)
    with pytest.raises(ModelFileError) as error:
        load_model(path)
    message = str(error.value)
    assert str(path) in message
    assert "0.kernel: the model expects shape (3, 1000000000), the file has (3, 4)" in message


@pytest.mark.parametrize("first", [
    {"class_name": "Flatten", "config": {"input_shape": [10**5, 10**5]}},
    {"class_name": "Conv2D", "config": {"filters": 2, "kernel_size": 3,
                                        "input_shape": [1, 10**5, 10**5]}},
])
def test_lazily_built_layers_are_not_built_from_a_declared_input_shape(reader, tmp_path, first):
    # a lazy Dense after a layer that declares a huge input shape would need a forward pass of
    # one enormous sample to be built: the loader never builds it
    path = tmp_path / "lazy.npz"
    layers = [first, {"class_name": "Dense", "config": {"units": 10**6}}]
    save_state(path, {HEADER: np.array(json.dumps({
        **BASE, "weights": [], "input_shape": [10**5, 10**5],
        "architecture": {"class_name": "Sequential", "config": {"layers": layers}}}))})
    answer = reader.run("load_model", path.read_bytes())
    assert answer["peak"] < 1 << 20, answer


def test_weights_cannot_be_stored_for_a_layer_whose_config_gives_no_size(tmp_path):
    path = dense_model_file(tmp_path / "m.npz", input_dim=None, input_shape=[3])
    with pytest.raises(ModelFileError, match="config gives no input size.*0.kernel"):
        load_model(path)


def test_an_unbuilt_model_round_trips_unbuilt(tmp_path):
    model = nn.Sequential([nn.Dense(4), nn.Dense(2)])
    model.save(tmp_path / "m.npz")
    restored = load_model(tmp_path / "m.npz")
    assert not any(layer.built for layer in restored)
    assert restored.predict(np.ones((2, 3), np.float32)).shape == (2, 2)


def test_load_weights_builds_a_lazy_model_only_for_a_sample_the_file_can_pay_for(tmp_path):
    source = nn.Sequential([nn.Dense(4, input_shape=(3,)), nn.Dense(2)])
    source.save_weights(tmp_path / "w.npz")
    target = nn.Sequential([nn.Dense(4), nn.Dense(2)])
    target.load_weights(tmp_path / "w.npz")  # built for the file's (3,) input, then loaded
    np.testing.assert_array_equal(target[0].kernel.data, source[0].kernel.data)

    with np.load(tmp_path / "w.npz", allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    header = json.loads(str(entries[HEADER]))
    header["input_shape"] = [10**5, 10**5]
    entries[HEADER] = np.array(json.dumps(header))
    save_state(tmp_path / "huge.npz", entries)
    lazy = nn.Sequential([nn.Dense(4), nn.Dense(2)])
    with pytest.raises(ModelFileError, match=r"one sample of shape \(100000, 100000\).*build the model"):
        lazy.load_weights(tmp_path / "huge.npz")
    assert not lazy[0].built


# ---------------------------------------------------------------------- archives
def test_members_declaring_more_than_they_hold_are_refused_before_reading(tmp_path):
    path = tmp_path / "m.npz"
    dense_model_file(path)
    raw = bytearray(path.read_bytes())
    marker = b"'shape': (3, 4)"
    start = raw.find(marker)
    raw[start:start + len(marker)] = b"'shape': (9**9,"[:len(marker)].ljust(len(marker), b" ")
    path.write_bytes(bytes(raw))
    with pytest.raises(ModelFileError, match="0.kernel"):
        load_model(path)


def test_a_deflate_bomb_is_refused(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        buffer = io.BytesIO()
        np.save(buffer, np.zeros(2**22, np.uint8))  # 4 MiB of zeros: a few KiB compressed
        archive.writestr("weights/0.kernel.npy", buffer.getvalue())
    with pytest.raises(ModelFileError, match="more than 8 times the file's"):
        load_model(path)


def test_compressed_archives_within_bounds_load(tmp_path):
    model = nn.Sequential([nn.Dense(4, input_shape=(3,))])
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    entries["weights/0.kernel"] = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    np.savez_compressed(tmp_path / "c.npz", **entries)
    restored = load_model(tmp_path / "c.npz")
    np.testing.assert_array_equal(restored[0].kernel.data, entries["weights/0.kernel"])


def test_fortran_ordered_arrays_are_read_in_their_order(tmp_path):
    model = nn.Sequential([nn.Dense(4, input_shape=(3,))])
    model.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz", allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    kernel = np.asfortranarray(np.arange(12, dtype=np.float32).reshape(3, 4))
    entries["weights/0.kernel"] = kernel
    np.savez(tmp_path / "f.npz", **entries)
    np.testing.assert_array_equal(load_model(tmp_path / "f.npz")[0].kernel.data, kernel)


@pytest.mark.parametrize("content,expected", [
    (b"hello, I am a text file\n", "not an .npz archive.*looks like a text file"),
    (b"", "not an .npz archive"),
    (bytes(range(256)) * 4, "not an .npz archive"),
    (b"\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00]\x94.", "not an .npz archive"),  # a pickle
])
def test_non_archives_never_get_advice_to_unpickle(tmp_path, content, expected):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    for load in (load_model, lambda p: load_weights(nn.Sequential([nn.Dense(2)]), p)):
        with pytest.raises(ModelFileError, match=expected) as error:
            load(path)
        assert "allow_pickle" not in str(error.value) and "pickle.load" not in str(error.value)


def test_a_directory_is_not_a_model_file(tmp_path):
    with pytest.raises(ModelFileError, match="is a directory"):
        load_model(tmp_path)


def test_pickled_members_are_refused_without_advice(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, **{HEADER: np.array("{}"), "payload": np.array([object()], dtype=object)})
    with pytest.raises(ModelFileError, match="payload.*pickled") as error:
        load_model(path)
    assert "allow_pickle" not in str(error.value)


# ---------------------------------------------------------------------- malformed headers
def model_file_with(path, **changes):
    """A valid model file whose header fields are replaced (None: removed) by ``changes``."""
    nn.seed(0)
    model = nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)), nn.Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32), verbose=0)
    model.save(path)
    with np.load(path, allow_pickle=False) as archive:
        entries = {name: archive[name] for name in archive.files}
    header = json.loads(str(entries[HEADER]))
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        section = header
        for key in parents:
            section = section[key]
        if value is None:
            del section[last]
        else:
            section[last] = value
    entries[HEADER] = np.array(json.dumps(header))
    save_state(path, entries)
    return path


MALFORMED = [
    ({"weights": 5}, "'weights'"),
    ({"weights": ["0.kernel", 3]}, r"'weights\[1\]'"),
    ({"weights": None}, "'weights' is missing"),
    ({"architecture": None}, "'architecture' is missing"),
    ({"architecture": 5}, "'architecture'"),
    ({"architecture__class_name": ["x"]}, "'architecture'.*class_name"),
    ({"architecture__config": [1]}, "'architecture'.*config of a Sequential"),
    ({"architecture__config__layers": 5}, "'architecture'.*layers must be a list"),
    ({"architecture__config__layers": [{"class_name": "Dense", "config": {"units": "4"}}]},
     r"layers\[0\]: Dense: units"),
    ({"architecture__config__layers": [{"class_name": "Dense", "config": {"units": 4, "foo": 1}}]},
     "foo"),
    ({"architecture__config__layers": [{"class_name": "NoSuchLayer"}]}, "NoSuchLayer"),
    ({"input_shape": 5}, "'input_shape'"),
    ({"input_shape": [-3]}, "'input_shape'"),
    ({"input_shape": [1.5]}, "'input_shape'"),
    ({"version": "1"}, "version '1' is not supported"),
    ({"version": True}, "version True is not supported"),
    ({"kind": ["model"]}, r"\['model'\] file"),
    ({"compile": 5}, "'compile'"),
    ({"compile__loss": 5}, "'compile.loss'"),
    ({"compile__loss": {"name": 3}}, "'compile.loss'"),
    ({"compile__loss": {"name": "no-such-loss"}}, "'compile' is refused.*no-such-loss"),
    ({"compile__metrics": "mae"}, "'compile.metrics'"),
    ({"compile__metrics": [3]}, r"'compile.metrics\[0\]'"),
    ({"optimizer": 5}, "'optimizer'"),
    ({"optimizer__config": 5}, "'optimizer.config'"),
    ({"optimizer__config__name": None}, "'optimizer.config.name' is missing"),
    ({"optimizer__config__lr": -1.0}, "'optimizer.config' is refused.*lr"),
    ({"optimizer__config__lr": "fast"}, "'optimizer.config' is refused"),
    ({"optimizer__params": 5}, "'optimizer.params'"),
    ({"optimizer__params": ["0.kernel", "0.kernel"]}, "'optimizer.params'"),
    ({"optimizer__scalars": 5}, "'optimizer.scalars'"),
    ({"optimizer__scalars": {"lr": [1]}}, "'optimizer.scalars'"),
    ({"optimizer__arrays": None}, "'optimizer.arrays' is missing"),
    ({"optimizer__scalars__lr": -1.0}, "optimizer state does not fit.*lr"),
    ({"optimizer__scalars__iterations": 2.5}, "optimizer state does not fit.*iterations"),
    ({"optimizer__params": ["0.kernel", "0.bias", "1.kernel", "9.w"]}, r"unknown parameters \['9.w'\]"),
]


@pytest.mark.parametrize("changes,expected", MALFORMED, ids=[str(c) for c, _ in MALFORMED])
def test_malformed_header_fields_are_model_file_errors_naming_the_file_and_field(tmp_path, changes, expected):
    path = model_file_with(tmp_path / "m.npz", **changes)
    with pytest.raises(ModelFileError, match=expected) as error:
        load_model(path)
    assert str(path) in str(error.value)


def test_nesting_beyond_reason_is_refused(tmp_path):
    layer = {"class_name": "ReLU", "config": {}}
    for _ in range(100):
        layer = {"class_name": "Sequential", "config": {"layers": [layer]}}
    path = tmp_path / "deep.npz"
    save_state(path, {HEADER: np.array(json.dumps({**BASE, "weights": [], "architecture": layer}))})
    with pytest.raises(ModelFileError, match="nests more than 64 levels"):
        load_model(path)
    save_state(path, {HEADER: np.array("[" * 100_000 + "]" * 100_000)})
    with pytest.raises(ModelFileError, match="not valid JSON.*nests too deeply"):
        load_model(path)


def test_the_header_must_be_one_string(tmp_path):
    path = tmp_path / "m.npz"
    save_state(path, {HEADER: np.array([json.dumps(BASE)] * 2)})
    with pytest.raises(ModelFileError, match="not valid JSON.*not one string"):
        load_model(path)


# ---------------------------------------------------------------------- shapes from configs
ZOO = [  # (model, the input shape to build it with when a layer is lazy)
    (lambda: nn.Sequential([nn.Dense(5, activation="relu", input_shape=(3,)), nn.Dropout(0.2),
                            nn.Dense(2, use_bias=False), nn.Softmax()]), None),
    (lambda: nn.Sequential([nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2, bias=False)]), None),
    (lambda: nn.Sequential([nn.Conv2D(4, 3, input_shape=(2, 8, 8), groups=2),
                            nn.BatchNormalization(), nn.MaxPool2D(),
                            nn.Conv2D(6, (1, 2), use_bias=False), nn.Flatten(), nn.Dense(3)]), None),
    (lambda: nn.Sequential([nn.Conv1d(2, 4, 3, groups=2), nn.BatchNorm1d(4), nn.AvgPool1d(2),
                            nn.Conv1d(4, 2, 1, bias=False), nn.BatchNorm1d(2, affine=False),
                            nn.GlobalAveragePooling(), nn.LeakyReLU(0.2)]), None),
    (lambda: nn.Sequential([nn.Conv3D(2, 2, input_shape=(1, 4, 4, 4)), nn.GlobalMaxPooling(),
                            nn.BatchNormalization(scale=False, center=False), nn.ELU(),
                            nn.GELU()]), None),
    (lambda: nn.Sequential([nn.Sequential([nn.Dense(3, input_dim=2), nn.Tanh()]), nn.Dense(1)]),
     (None, 2)),
    (lambda: nn.Sequential([nn.Conv2D(3, 2), nn.BatchNormalization(), nn.Flatten(),
                            nn.Dense(2)]), (None, 1, 5, 5)),
]


@pytest.mark.parametrize("make,build_shape", ZOO)
def test_weight_shapes_from_config_match_the_built_model(make, build_shape):
    model = make()
    if build_shape is not None:
        model.build(build_shape)
    assert all(m.built for m in model.modules())
    expected = weight_shapes_from_config(layer_to_config(model))
    assert expected == {name: array.shape for name, array in model.state_dict().items()}
    rebuilt = layer_from_config(json.loads(json.dumps(layer_to_config(model))))
    assert {name: array.shape for name, array in rebuilt.state_dict().items()} == expected


def test_weight_shapes_of_lazy_layers_leave_the_unknown_sizes_open():
    config = layer_to_config(nn.Sequential([nn.Dense(4), nn.Conv2D(3, 2), nn.BatchNormalization()]))
    assert weight_shapes_from_config(config) == {
        "0.kernel": (None, 4), "0.bias": (4,), "1.kernel": (3, None, 2, 2), "1.bias": (3,),
        "2.gamma": (None,), "2.beta": (None,), "2.moving_mean": (None,), "2.moving_variance": (None,)}


def test_a_custom_layer_class_that_cannot_tell_its_shapes_is_built_then_checked(tmp_path):
    @register_layer
    class Scaled(nn.Module):
        def __init__(self, size=2):
            super().__init__()
            self.size = size
            self.scale = nn.Parameter(np.ones(size, np.float32))

        def forward(self, x):
            return x * self.scale

        def get_config(self):
            return {"size": self.size}

    model = nn.Sequential([Scaled(3)])
    model.save(tmp_path / "m.npz")
    assert weight_shapes_from_config(layer_to_config(model)) is None
    np.testing.assert_array_equal(load_model(tmp_path / "m.npz")[0].scale.data, np.ones(3))


def test_sequential_from_config_does_not_build():
    config = layer_to_config(nn.Sequential([nn.Flatten(input_shape=(2, 3)), nn.Dense(4)]))
    config["config"]["layers"][1]["config"]["input_dim"] = None  # as if saved before building
    rebuilt = layer_from_config(config)
    assert not rebuilt[1].built
    assert rebuilt.predict(np.zeros((1, 2, 3), np.float32)).shape == (1, 4)


def test_the_error_class_is_importable_where_the_readme_says():
    from nn.serialization import ModelFileError as from_serialization

    assert nn.ModelFileError is from_serialization and issubclass(nn.ModelFileError, ValueError)
    assert "ModelFileError" in nn.__all__


@pytest.mark.parametrize("header,expected", [
    ({"values": [1, 2]}, "'values' must be an object"),
    ({"arrays": "a"}, "'arrays' must be a list"),
    ({"values": {"a": 1, "a/b": 2}}, "'a/b' runs through a value that is not a dict"),
    ({"values": {"a//b": 1}}, "empty part"),
    ({"arrays": ["w"]}, r"arrays that are missing: \['w'\]"),
])
def test_nn_load_refuses_malformed_state_headers(tmp_path, header, expected):
    path = tmp_path / "state.npz"
    save_state(path, {HEADER: np.array(json.dumps({**BASE, "kind": "state", **header}))})
    with pytest.raises(ModelFileError, match=expected):
        nn.load(path)
