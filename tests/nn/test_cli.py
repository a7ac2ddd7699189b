"""The ``lucidgrad`` command line: ``train`` end to end on the moons, its files, the default
command, errors for missing data, and the model registry behind ``--model``."""
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from nn import cli
from nn.models import MODELS, build_model
from nn.serialization import load_model

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PROJECT_ROOT = Path(nn.__file__).resolve().parents[1]


def png_size(path):
    data = Path(path).read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_train_on_moons_end_to_end(tmp_path, capsys):
    out = tmp_path / "run"
    status = cli.main(["train", "--dataset", "moons", "--epochs", "3", "--batch-size", "32",
                       "--optimizer", "adam", "--lr", "0.02", "--output-dir", str(out),
                       "--validation-split", "0.1", "--verbose", "2"])
    assert status == 0
    printed = capsys.readouterr().out
    assert "Epoch 3/3" in printed and "val_accuracy" in printed
    assert "Total params: 354" in printed  # the 2-16-16-2 network's summary
    accuracy = float(printed.split("Test accuracy: ")[1].split()[0])
    assert accuracy > 0.85
    assert "Test loss: " in printed and str(out / "model.npz") in printed

    width, height = png_size(out / "learning_curve.png")
    assert width >= 400 and height >= 200
    assert (out / "learning_curve.png").stat().st_size > 5_000
    model = load_model(out / "model.npz")
    assert [p.shape for p in model.parameters()] == [(2, 16), (16,), (16, 16), (16,), (16, 2), (2,)]
    assert model.optimizer.iterations == 3 * 45  # 1440 training samples in batches of 32


def test_train_defaults_and_quiet_output(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--dataset", "moons", "--epochs", "1", "--quiet"]) == 0  # train is the default
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines[:2]] == ["Test loss", "Test accuracy"]
    assert len(lines) == 3 and lines[2].startswith("Saved the model")
    folder = tmp_path / "runs" / "moons-mlp"
    assert sorted(p.name for p in folder.iterdir()) == ["learning_curve.png", "model.npz"]


def test_same_seed_same_model(tmp_path):
    for name in ("a", "b"):
        assert cli.main(["train", "--dataset", "moons", "--epochs", "1", "--quiet",
                         "--seed", "3", "--output-dir", str(tmp_path / name)]) == 0
    a, b = (load_model(tmp_path / name / "model.npz") for name in ("a", "b"))
    for pa, pb in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(pa.data, pb.data)


def test_momentum_options_reach_the_optimizer(tmp_path, monkeypatch):
    calls = []
    real_get = nn.optim.get

    def spy(name, **options):
        calls.append(dict(name=name, **options))
        return real_get(name, **options)

    monkeypatch.setattr(nn.optim, "get", spy)
    assert cli.main(["train", "--dataset", "moons", "--epochs", "1", "--quiet", "--optimizer", "sgd",
                     "--lr", "0.1", "--momentum", "0.8", "--nesterov",
                     "--output-dir", str(tmp_path)]) == 0
    assert calls[0] == {"name": "sgd", "lr": 0.1, "momentum": 0.8, "nesterov": True}


def test_momentum_with_adam_is_refused(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "moons", "--optimizer", "adam", "--momentum", "0.9",
                     "--output-dir", str(tmp_path)]) == 2
    assert "--momentum applies to sgd and rmsprop" in capsys.readouterr().err


def test_limit_uses_the_first_samples(tmp_path, capsys):
    assert cli.main(["train", "--dataset", "moons", "--epochs", "1", "--limit", "100",
                     "--batch-size", "10", "--output-dir", str(tmp_path), "--verbose", "2"]) == 0
    printed = capsys.readouterr().out
    assert "100 training and 400 test samples" in printed
    assert "Epoch 1/1 - 10/10" in printed


def test_missing_dataset_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    monkeypatch.setenv("LUCIDGRAD_CACHE", str(tmp_path / "cache"))
    status = cli.main(["train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path / "none"),
                       "--no-download", "--output-dir", str(tmp_path / "out")])
    assert status == 2
    captured = capsys.readouterr()
    assert "Could not find Fashion-MNIST" in captured.err
    assert str(tmp_path / "cache") in captured.err  # it says where to put the files
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out").exists()


def test_failed_download_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    monkeypatch.setenv("LUCIDGRAD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LUCIDGRAD_MIRROR", (tmp_path / "no-mirror").as_uri())
    assert cli.main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Could not find MNIST" in err and "Downloading failed" in err


def test_bad_options_exit_with_usage_errors(capsys):
    for argv in (["train", "--epochs", "0"], ["train", "--model", "nope"],
                 ["train", "--lr", "-1"], ["train", "--dataset", "cifar"],
                 ["train", "--lr-decay", "0"], ["train", "--lr-decay", "1.5"]):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(argv)
        assert exit_info.value.code == 2
    assert "invalid" in capsys.readouterr().err


def _train_args(*argv):
    import argparse
    from nn.commands import train

    parser = argparse.ArgumentParser()
    train.add_arguments(parser)
    return train, parser.parse_args(list(argv))


def test_each_model_brings_its_training_defaults_and_the_command_line_wins():
    train, args = _train_args()
    assert train.training_settings(args, MODELS["mlp"]) == {
        "optimizer": "rmsprop", "epochs": 5, "lr_decay": 1.0, "batch_size": 128}
    assert train.training_settings(args, MODELS["cnn"]) == {
        "optimizer": "adam", "epochs": 8, "lr_decay": 0.7, "batch_size": 128}
    assert train.training_settings(args, MODELS["lstm"]) == {
        "optimizer": "adam", "epochs": 5, "lr_decay": 1.0, "batch_size": 64}
    _, args = _train_args("--optimizer", "sgd", "--epochs", "2", "--lr-decay", "1",
                          "--batch-size", "32")
    assert train.training_settings(args, MODELS["cnn"]) == {
        "optimizer": "sgd", "epochs": 2, "lr_decay": 1.0, "batch_size": 32}


def test_lr_decay_multiplies_the_learning_rate_after_every_epoch(tmp_path, capsys, monkeypatch):
    seen = []
    original = nn.Model.fit

    def spy(self, *args, **kwargs):
        history = original(self, *args, **kwargs)
        seen.extend(history.history["lr"])
        return history

    monkeypatch.setattr(nn.Model, "fit", spy)
    assert cli.main(["train", "--dataset", "moons", "--epochs", "3", "--optimizer", "adam",
                     "--lr", "0.02", "--lr-decay", "0.5", "--verbose", "2",
                     "--output-dir", str(tmp_path)]) == 0
    assert "Training with adam (lr 0.02, times 0.5 after every epoch) for 3 epochs" in capsys.readouterr().out
    np.testing.assert_allclose(seen, [0.02, 0.01, 0.005])


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "train" in out


def test_python_dash_m_nn(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "nn", "train", "--dataset", "moons", "--epochs", "1", "--quiet"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Test accuracy" in result.stdout
    assert (tmp_path / "runs" / "moons-mlp" / "model.npz").is_file()


# ---------------------------------------------------------------------- model registry
def test_mlp_is_the_seed_recipe():
    model = build_model("mlp", (784,), 10)
    dense = [layer for layer in model]
    assert [(type(d).__name__, d.units) for d in dense] == [("Dense", 512), ("Dense", 10)]
    assert sum(p.size for p in model.parameters()) == 407_050
    assert MODELS["mlp"].input_layout == "flat"
    small = build_model("mlp", (2,), 2, hidden_units=(16, 16))
    assert [p.shape for p in small.parameters()][::2] == [(2, 16), (16, 16), (16, 2)]


def test_the_model_table_accepts_new_models(monkeypatch):
    def tiny(input_shape, num_classes, **_):
        return nn.Sequential([nn.Flatten(), nn.Dense(num_classes, activation="softmax")])

    monkeypatch.setitem(MODELS, "tiny", nn.models.ModelEntry(tiny, "images"))
    model = build_model("tiny", (1, 4, 4), 3)
    assert model.predict(np.zeros((2, 1, 4, 4), np.float32)).shape == (2, 3)
    with pytest.raises(ValueError, match="unknown model 'huge'.*mlp"):
        build_model("huge", (2,), 2)


def test_every_model_has_a_known_input_layout():
    assert {entry.input_layout for entry in MODELS.values()} <= {"flat", "images", "sequence"}
