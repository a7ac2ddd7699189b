"""Convolutional networks in ``fit``: a model with every conv/pool layer kind learns a small
synthetic image task, and the registered ``cnn`` model learns MNIST (slow; needs the files under
``$LUCIDGRAD_DATA/mnist/``)."""
import os
import time

import numpy as np
import pytest

import nn
from nn.data import to_categorical
from nn.layers import (AvgPool2D, BatchNormalization, Conv2D, Conv2d, Dense, Dropout, Flatten,
                       GlobalAveragePooling, GlobalMaxPooling, MaxPool2D, MaxPool2d, ReLU)
from nn.models import MODELS, build_model

# every test here trains: once with fit's steps captured and replayed, once eagerly
pytestmark = pytest.mark.usefixtures("fit_modes")

SIDE = 12


def bars(count, seed):
    """Noisy ``(count, 1, SIDE, SIDE)`` images, each with one horizontal (label 0) or vertical
    (label 1) bar of length 5 to 8 at a random place."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.2, size=(count, 1, SIDE, SIDE)).astype(np.float32)
    labels = rng.integers(0, 2, count)
    for image, label in zip(x, labels):
        length = rng.integers(5, 9)
        along, across = rng.integers(0, SIDE - length + 1), rng.integers(0, SIDE)
        if label == 0:
            image[0, across, along:along + length] += 1.0
        else:
            image[0, along:along + length, across] += 1.0
    return x, labels


def test_every_layer_kind_learns_bars_in_fit():
    nn.seed(0)
    model = nn.Sequential([
        Conv2D(8, 3, padding="same", activation="relu", input_shape=(1, SIDE, SIDE)),
        BatchNormalization(),
        MaxPool2D(2),                       # (8, 6, 6)
        Conv2d(8, 12, 3, padding=1),
        ReLU(),
        AvgPool2D(2),                       # (12, 3, 3)
        Dropout(0.1),
        Conv2D(16, 1, activation="relu"),
        MaxPool2d(3, stride=1, padding=1),  # (16, 3, 3)
        GlobalMaxPooling(keepdims=True),    # (16, 1, 1)
        Flatten(),
        Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=nn.optim.get("adam", lr=0.01), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x, labels = bars(512, seed=1)
    x_test, labels_test = bars(256, seed=2)
    start = time.perf_counter()
    history = model.fit(x, to_categorical(labels, 2), epochs=8, batch_size=32, verbose=0, seed=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, to_categorical(labels_test, 2), verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert accuracy >= 0.95, f"test accuracy {accuracy:.3f} after {seconds:.1f} s"


def test_global_average_pooling_head_learns_bars():
    nn.seed(1)
    model = nn.Sequential([
        Conv2D(8, (1, 5), padding="same", activation="relu", input_shape=(1, SIDE, SIDE)),
        Conv2D(8, (5, 1), padding="same", activation="relu"),
        GlobalAveragePooling(),
        Dense(2, activation="softmax"),
    ])
    model.compile(optimizer=nn.optim.get("adam", lr=0.02), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    x, labels = bars(512, seed=3)
    model.fit(x, to_categorical(labels, 2), epochs=10, batch_size=32, verbose=0, seed=0)
    x_test, labels_test = bars(256, seed=4)
    assert model.evaluate(x_test, to_categorical(labels_test, 2), verbose=0)[1] >= 0.9


def test_cnn_is_registered_for_images():
    spec = MODELS["cnn"]
    assert spec.input_layout == "images"
    model = build_model("cnn", (1, 28, 28), 10, hidden_units=(16,))  # unknown options are ignored
    assert model.build((None, 1, 28, 28)) == (None, 10)
    assert any(isinstance(layer, Conv2D) for layer in model)


# ---------------------------------------------------------------------- real MNIST (slow)
@pytest.fixture(scope="module")
def mnist():
    if not os.environ.get("LUCIDGRAD_DATA"):
        pytest.skip("set LUCIDGRAD_DATA to a folder with mnist/*.gz to run the MNIST tests")
    (x_train, y_train), (x_test, y_test) = nn.data.load_mnist(download=False)

    def prepare(images, labels):
        x = images.reshape(len(images), 1, 28, 28).astype(np.float32) / np.float32(255)
        return x, to_categorical(labels, 10)

    return prepare(x_train, y_train), prepare(x_test, y_test)


@pytest.mark.slow
def test_cnn_reaches_95_percent_after_one_epoch_on_10000_images(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    nn.seed(0)
    model = build_model("cnn", (1, 28, 28), 10)
    model.compile(optimizer=nn.optim.get("adam", lr=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train[:10_000], y_train[:10_000], epochs=1, batch_size=64, verbose=0, seed=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test, batch_size=500, verbose=0)
    print(f"\ncnn, 1 epoch on 10,000 MNIST images: {seconds:.1f} s, test accuracy {accuracy:.4f}")
    assert accuracy >= 0.95
