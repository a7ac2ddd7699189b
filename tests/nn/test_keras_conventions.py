"""Keras's conventions: automatic layer and model names, get/set_weights, count_params, and
compile checking every name it is given."""
import numpy as np
import pytest

import nn
from nn import optim
from nn.module import layer_from_config, layer_to_config
from nn.naming import to_snake_case
from autograd import Tensor


def recipe(hidden=8, inputs=4, classes=3, name=None):
    return nn.Sequential([nn.Dense(hidden, activation="relu", input_shape=(inputs,)),
                          nn.Dense(classes, activation="softmax")], name=name)


# ---------------------------------------------------------------------- names
def test_layers_and_models_get_keras_names():
    nn.clear_session()
    model = recipe()
    assert model.name == "sequential" and [layer.name for layer in model] == ["dense", "dense_1"]
    other = nn.Sequential([nn.Conv2D(2, 3, input_shape=(1, 5, 5)), nn.Flatten(), nn.Dense(2)])
    assert other.name == "sequential_1"
    assert [layer.name for layer in other] == ["conv2d", "flatten", "dense_2"]
    nn.clear_session()
    assert nn.Dense(1).name == "dense" and nn.Sequential().name == "sequential"


@pytest.mark.parametrize("class_name, prefix", [
    ("Dense", "dense"), ("Conv2D", "conv2d"), ("BatchNormalization", "batch_normalization"),
    ("LeakyReLU", "leaky_re_lu"), ("ReLU", "re_lu"), ("GELU", "gelu"), ("BatchNorm2d",
    "batch_norm2d"), ("GlobalAveragePooling", "global_average_pooling"), ("MyModel", "my_model"),
])
def test_class_names_become_keras_prefixes(class_name, prefix):
    assert to_snake_case(class_name) == prefix


def test_a_given_name_wins_and_must_be_unique_in_the_model():
    nn.clear_session()
    named = nn.Dense(4, name="hidden", input_shape=(3,))
    model = nn.Sequential([named, nn.Dense(2)], name="classifier")
    assert model.name == "classifier" and [layer.name for layer in model] == ["hidden", "dense"]
    with pytest.raises(ValueError, match="'hidden' is already the name of layer 0 "
                                         r"\(Dense\); pass another name="):
        model.add(nn.Dense(2, name="hidden"))
    assert len(model) == 2 and "2" not in dict(model.named_children())  # nothing was added
    model.add(named.__class__(2, name="out"))
    assert [layer.name for layer in model] == ["hidden", "dense", "out"]
    shared = nn.Linear(2, 2)
    assert len(nn.Sequential([shared, nn.ReLU(), shared])) == 3  # the same layer twice is fine
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        nn.Dense(3, name=5)


def test_names_survive_a_model_file(tmp_path):
    nn.clear_session()
    model = nn.Sequential([nn.Dense(6, input_shape=(4,), name="features"), nn.Linear(6, 5),
                           nn.ReLU(), nn.BatchNorm1d(5), nn.Dense(3)], name="mixed")
    names = [layer.name for layer in model]
    assert names == ["features", "linear", "re_lu", "batch_norm1d", "dense"]
    model.save(tmp_path / "model.npz")
    nn.clear_session()
    restored = nn.load_model(tmp_path / "model.npz")
    assert restored.name == "mixed" and [layer.name for layer in restored] == names
    lines = []
    restored.summary(print_fn=lines.append)
    assert 'Model: "mixed"' in lines[0] and "linear (Linear)" in lines[0]
    # the restored names are taken: layers made afterwards do not repeat them
    assert nn.Linear(1, 1).name == "linear_1" and nn.Dense(1).name == "dense_1"
    restored.add(nn.Dense(2))
    assert restored[-1].name == "dense_2"


def test_configs_without_names_get_automatic_ones():
    nn.clear_session()
    layer = layer_from_config({"class_name": "Linear", "config": {"in_features": 2,
                                                                  "out_features": 3}})
    assert layer.name == "linear"
    assert layer_to_config(layer)["name"] == "linear"
    assert layer_from_config(layer_to_config(layer)).name == "linear"


# ---------------------------------------------------------------------- weights
def model_with_batch_norm():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(5, input_shape=(3,)), nn.BatchNormalization(),
                           nn.Dense(2, use_bias=False)])
    model(Tensor(np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)))
    return model


def test_get_weights_lists_copies_in_keras_order():
    model = model_with_batch_norm()
    weights = model.get_weights()
    expected = [model[0].kernel, model[0].bias, model[1].gamma, model[1].beta]
    assert [w.shape for w in weights] == [(3, 5), (5,), (5,), (5,), (5,), (5,), (5, 2)]
    for got, param in zip(weights, expected):
        np.testing.assert_array_equal(got, param.data)
    np.testing.assert_array_equal(weights[4], model[1].moving_mean)
    np.testing.assert_array_equal(weights[5], model[1].moving_variance)
    np.testing.assert_array_equal(weights[6], model[2].kernel.data)
    weights[0][...] = 7.0  # copies: the model is untouched
    assert not np.any(model[0].kernel.data == 7.0)
    assert [w.shape for w in model[1].get_weights()] == [(5,)] * 4  # a layer has them too


def test_set_weights_round_trips_and_checks_everything_first():
    model, source = model_with_batch_norm(), model_with_batch_norm()
    rng = np.random.default_rng(1)
    new = [rng.normal(size=w.shape) for w in source.get_weights()]  # float64 is converted
    kernel = model[0].kernel
    model.set_weights(new)
    assert model[0].kernel is kernel and kernel.dtype == np.float32  # in place
    for got, given in zip(model.get_weights(), new):
        np.testing.assert_allclose(got, given, rtol=1e-6)
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"expected 7 arrays \(0\.kernel, 0\.bias, 1\.gamma.*got 6"):
        model.set_weights(new[:6])
    wrong = [w * 0 for w in new]
    wrong[3] = np.zeros(4)
    with pytest.raises(ValueError, match=r"1\.beta has shape \(5,\), the array given for it has "
                                         r"shape \(4,\)"):
        model.set_weights(wrong)
    for got, kept in zip(model.get_weights(), before):  # the first arrays were not written
        np.testing.assert_array_equal(got, kept)
    with pytest.raises(TypeError, match="expected a list of arrays"):
        model.set_weights({"0.kernel": new[0]})


def test_count_params_counts_every_weight():
    model = model_with_batch_norm()
    assert model.count_params() == 15 + 5 + 4 * 5 + 10 == sum(w.size for w in model.get_weights())
    assert model[1].count_params() == 20
    lines = []
    model.summary(print_fn=lines.append)
    assert f"Total params: {model.count_params():,}" in lines[0]
    with pytest.raises(ValueError, match="not built yet"):
        nn.Dense(3).count_params()


# ---------------------------------------------------------------------- compile
@pytest.mark.parametrize("arguments, message", [
    ({"metrics": ["acuracy"]}, r"compile: metrics='acuracy': unknown metric 'acuracy'; did you "
                               r"mean 'accuracy'.*known metrics: \['acc', 'accuracy'"),
    ({"metrics": "categorical_acc"}, r"did you mean 'categorical_accuracy'"),
    ({"loss": "categorical_crossentropi"}, r"compile: loss='categorical_crossentropi': .*known: "
                                           r"\[.*'categorical_crossentropy'"),
    ({"optimizer": "rmsprob"}, r"compile: optimizer='rmsprob': .*\['adagrad', 'adam'"),
])
def test_a_misspelled_name_fails_at_compile(arguments, message):
    model = recipe()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    settings = {"optimizer": "rmsprop", "loss": "categorical_crossentropy",
                "metrics": ["accuracy"], **arguments}
    with pytest.raises(ValueError, match=message):
        model.compile(**settings)
    assert model.metrics_names == ["loss", "mae"]  # the earlier compile still stands
    assert isinstance(model.optimizer, optim.SGD)


def test_keras_accuracy_names():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 40)
    model = recipe()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy", "accuracy"])
    results = model.evaluate(x, labels, verbose=0, return_dict=True)
    predicted = model.predict(x).argmax(axis=1)
    assert results["sparse_categorical_accuracy"] == results["accuracy"] == pytest.approx(
        np.mean(predicted == labels))
    model.compile(optimizer="adam", loss="categorical_crossentropy",
                  metrics=["categorical_accuracy", "binary_accuracy"])
    one_hot = np.eye(3, dtype=np.float32)[labels]
    results = model.evaluate(x, one_hot, verbose=0, return_dict=True)
    probabilities = model.predict(x)
    assert results["categorical_accuracy"] == pytest.approx(np.mean(predicted == labels))
    assert results["binary_accuracy"] == pytest.approx(np.mean((probabilities > 0.5) == one_hot))
