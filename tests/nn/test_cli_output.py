"""What a command-line user reads: one line per epoch when the output is a file or a pipe, "1
epoch" in the singular, and a learning curve with labelled axes and the test result marked."""
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import cli
from nn.data import make_moons, to_categorical
from nn.plotting import learning_curve_figure
from nn.training.callbacks import EarlyStopping
from nn.training.progress import plural, redraws_in_place

PROJECT_ROOT = Path(nn.__file__).resolve().parents[1]


class Terminal(io.StringIO):
    def isatty(self):
        if self.closed:
            raise ValueError("I/O operation on closed file")
        return True


def small_model():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(8, activation="relu", input_shape=(2,)),
                           nn.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def moons():
    x, y = make_moons(200, noise=0.2, seed=0)
    return x.astype(np.float32), to_categorical(y)


def test_a_progress_bar_only_where_it_can_redraw_itself(capsys, monkeypatch):
    x, y = moons()
    small_model().fit(x, y, epochs=3, batch_size=4, verbose=1)  # captured: not a terminal
    out = capsys.readouterr().out
    assert "\r" not in out
    assert [line.split(" - ")[0] for line in out.splitlines()] == ["Epoch 1/3", "Epoch 2/3",
                                                                   "Epoch 3/3"]
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    monkeypatch.setattr("nn.training.progress.REFRESH_SECONDS", 0.0)
    small_model().fit(x, y, epochs=1, batch_size=4, verbose=1)
    assert "\r" in terminal.getvalue() and "batch" in terminal.getvalue()  # tqdm's frames


def test_which_streams_redraw():
    assert redraws_in_place(Terminal()) and not redraws_in_place(io.StringIO())
    closed = Terminal()
    closed.close()
    assert not redraws_in_place(closed)
    kernel_stream = type("OutStream", (io.StringIO,), {"__module__": "ipykernel.iostream"})
    assert redraws_in_place(kernel_stream())  # Jupyter shows bars, though not a terminal


def test_train_piped_to_a_file_prints_one_line_per_epoch(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nn", "train", "--dataset", "moons", "--epochs", "2",
         "--batch-size", "8", "--output-dir", str(tmp_path)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stdout + result.stderr
    epochs = [line for line in result.stdout.splitlines() if line.startswith("Epoch ")]
    assert [line.split(" - ")[:2] for line in epochs] == [["Epoch 1/2", "200/200"],
                                                          ["Epoch 2/2", "200/200"]]


def test_one_epoch_is_singular(tmp_path, capsys):
    assert plural(1, "epoch") == "1 epoch" and plural(3, "epoch") == "3 epochs"
    assert cli.main(["train", "--dataset", "moons", "--epochs", "1",
                     "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "for 1 epoch\n" in out and "1 epochs" not in out
    x, y = moons()
    model = small_model()
    model.compile(optimizer=nn.optim.SGD(lr=0.0), loss="categorical_crossentropy")
    stopper = EarlyStopping(monitor="loss", patience=1, verbose=1, min_delta=0.1)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[stopper])
    assert "has not improved for 1 epoch;" in capsys.readouterr().out


def shown_ticks(axis):
    low, high = axis.get_xlim()
    return [tick for tick in axis.get_xticks() if low <= tick <= high]


def test_learning_curve_labels_its_axes_and_marks_the_test_result():
    history = {"loss": [0.61], "accuracy": [0.80], "val_loss": [0.58], "val_accuracy": [0.82]}
    figure = learning_curve_figure(history, "one epoch", {"loss": 0.55, "accuracy": 0.83})
    loss_axis, accuracy_axis = figure.axes
    for axis, quantity, test in ((loss_axis, "loss", 0.55), (accuracy_axis, "accuracy", 0.83)):
        assert axis.get_xlabel() == "epoch" and axis.get_ylabel() == quantity
        assert shown_ticks(axis) == [1]  # whole epochs, not 0.6, 0.8, ...
        assert axis.get_xlim() == (0.5, 1.5)
        labels = [text.get_text() for text in axis.get_legend().get_texts()]
        assert labels == ["training", "validation", f"test: {test}"]
        star = axis.get_lines()[-1]
        assert star.get_marker() == "*" and list(star.get_xydata()[0]) == [1, test]
    notes = [text.get_text() for text in loss_axis.texts]
    assert notes == ["0.61", "0.58"]  # each curve's last value, written beside it
    lr_axis = learning_curve_figure({"loss": [1.0, 0.5], "lr": [0.1, 0.05]}).axes[1]
    assert lr_axis.get_ylabel() == "learning rate" and shown_ticks(lr_axis) == [1, 2]
    with pytest.raises(ValueError, match="history is empty"):
        learning_curve_figure({"loss": []})
