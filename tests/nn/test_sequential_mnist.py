"""The ``lstm`` model of ``lucidgrad train``: registered for sequences, and on real sequential
MNIST (each image read as 28 rows of 28 pixels) above 90% test accuracy after one epoch over the
60,000 training images (slow; needs the files under ``$LUCIDGRAD_DATA/mnist/``)."""
import os
import time

import numpy as np
import pytest

import nn
from nn.commands.train import _inputs
from nn.data import to_categorical
from nn.layers.keras_recurrent import LSTM
from nn.models import MODELS, build_model


def test_lstm_is_registered_for_image_rows():
    entry = MODELS["lstm"]
    assert entry.input_layout == "sequence" and entry.training["batch_size"] == 64
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    x = _inputs(images, True, "sequence")
    assert x.shape == (2, 28, 28) and x.dtype == np.float32
    np.testing.assert_allclose(x[1, 3], images[1, 3] / 255)  # time step 3 is image row 3
    model = build_model("lstm", (28, 28), 10)
    assert isinstance(model[0], LSTM) and model[0].units == 128
    assert model.build((None, 28, 28)) == (None, 10)


@pytest.mark.slow
def test_lstm_reaches_90_percent_after_one_epoch_of_sequential_mnist():
    if not os.environ.get("LUCIDGRAD_DATA"):
        pytest.skip("set LUCIDGRAD_DATA to a folder with mnist/*.gz to run the MNIST tests")
    (x_train, y_train), (x_test, y_test) = nn.data.load_mnist(download=False)
    x_train, x_test = _inputs(x_train, True, "sequence"), _inputs(x_test, True, "sequence")
    nn.seed(0)
    model = build_model("lstm", (28, 28), 10)
    model.compile(optimizer=nn.optim.get("adam", lr=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train, to_categorical(y_train, 10), epochs=1, batch_size=64, verbose=0, seed=0)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, to_categorical(y_test, 10), batch_size=500, verbose=0)
    print(f"\nLSTM(128), 1 epoch of sequential MNIST: {seconds:.1f} s, test accuracy {accuracy:.4f}")
    assert accuracy >= 0.90
