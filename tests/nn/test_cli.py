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


def test_missing_dataset_is_a_clear_error(tmp_path, capsys, monkeypatch, no_dataset_anywhere):
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    monkeypatch.setenv("LUCIDGRAD_CACHE", str(tmp_path / "cache"))
    (tmp_path / "none").mkdir()  # an explicit --data-dir must exist (see the test below)
    status = cli.main(["train", "--dataset", "fashion-mnist", "--data-dir", str(tmp_path / "none"),
                       "--no-download", "--output-dir", str(tmp_path / "out")])
    assert status == 2
    captured = capsys.readouterr()
    assert "Could not find Fashion-MNIST" in captured.err
    assert str(tmp_path / "cache") in captured.err  # it says where to put the files
    assert "Traceback" not in captured.err + captured.out
    assert not (tmp_path / "out").exists()


def test_failed_download_is_a_clear_error(tmp_path, capsys, monkeypatch, no_dataset_anywhere):
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
    assert {entry.input_layout for entry in MODELS.values()} <= {"flat", "images", "sequence",
                                                                 "tokens"}


# ---------------------------------------------------------------------- paths given on the command line
def tiny_mnist(directory, monkeypatch, seed=0):
    """Write a tiny MNIST-shaped dataset into ``directory`` and make it the known MNIST."""
    import dataclasses
    import gzip
    import hashlib

    from nn.data import datasets, write_idx

    rng = np.random.default_rng(seed)
    arrays = {datasets.TRAIN_IMAGES: rng.integers(0, 256, (20, 4, 4), dtype=np.uint8),
              datasets.TRAIN_LABELS: rng.integers(0, 10, 20, dtype=np.uint8),
              datasets.TEST_IMAGES: rng.integers(0, 256, (10, 4, 4), dtype=np.uint8),
              datasets.TEST_LABELS: rng.integers(0, 10, 10, dtype=np.uint8)}
    directory.mkdir(parents=True, exist_ok=True)
    digests = {}
    for name, array in arrays.items():
        write_idx(directory / name, array)
        digests[name] = hashlib.sha256(gzip.decompress((directory / name).read_bytes())).hexdigest()
    monkeypatch.setattr(datasets, "MNIST", dataclasses.replace(datasets.MNIST, sha256=digests))
    return directory


def test_a_data_dir_that_does_not_exist_fails_even_with_lucidgrad_data_set(
        tmp_path, capsys, monkeypatch, no_dataset_anywhere):
    tiny_mnist(tmp_path / "data" / "mnist", monkeypatch)
    monkeypatch.setenv("LUCIDGRAD_DATA", str(tmp_path / "data"))  # would have the data
    status = cli.main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "typo"),
                       "--output-dir", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err == f"lucidgrad train: error: --data-dir {tmp_path / 'typo'}: no such directory\n"
    assert captured.out == "" and not (tmp_path / "out").exists()


def test_the_run_says_which_data_directory_it_used_and_an_explicit_one_wins(
        tmp_path, capsys, monkeypatch, no_dataset_anywhere):
    tiny_mnist(tmp_path / "data" / "mnist", monkeypatch)
    monkeypatch.setenv("LUCIDGRAD_DATA", str(tmp_path / "data"))
    argv = ["train", "--dataset", "mnist", "--epochs", "1", "--output-dir", str(tmp_path / "out"),
            "--verbose", "2"]
    assert cli.main(argv) == 0
    assert f"Data directory: {tmp_path / 'data' / 'mnist'}\n" in capsys.readouterr().out

    tiny_mnist(tmp_path / "mine", monkeypatch, seed=1)  # now only this copy has the known digests
    assert cli.main(argv + ["--data-dir", str(tmp_path / "mine")]) == 0
    assert f"Data directory: {tmp_path / 'mine'}\n" in capsys.readouterr().out


def test_errors_tell_a_command_line_user_the_option_names(tmp_path, capsys, no_dataset_anywhere):
    (tmp_path / "empty").mkdir()
    status = cli.main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path / "empty"),
                       "--no-download", "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2
    assert "pass --data-dir D" in err and "because --no-download was given" in err
    assert "path=D" not in err and "download=False" not in err


@pytest.mark.parametrize("where", ["a file", "under a file", "a long name"])
def test_an_impossible_output_dir_fails_before_training(tmp_path, capsys, where):
    blocker = tmp_path / "blocker"
    blocker.write_text("not a directory")
    output = {"a file": blocker, "under a file": blocker / "run",
              "a long name": tmp_path / ("x" * 300)}[where]
    status = cli.main(["train", "--dataset", "moons", "--epochs", "1",
                       "--output-dir", str(output)])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith(f"lucidgrad train: error: --output-dir: cannot write into "
                                   f"directory {output}: ")
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert "Epoch" not in captured.out and "Test accuracy" not in captured.out


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not stop the superuser")
def test_an_unwritable_output_dir_fails_before_training(tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert cli.main(["train", "--dataset", "moons", "--output-dir", str(locked / "run")]) == 2
    finally:
        locked.chmod(0o700)
    captured = capsys.readouterr()
    assert "--output-dir: cannot write into directory" in captured.err
    assert "Epoch" not in captured.out


def test_the_isolation_fixture_hides_system_folders(tmp_path_factory, monkeypatch,
                                                    no_dataset_anywhere):
    # a folder outside the test's own, standing for /usr/share/datasets/fashion-mnist
    import dataclasses

    from nn.data import DatasetError, datasets, load_fashion_mnist

    system = tiny_mnist(tmp_path_factory.mktemp("system"), monkeypatch)
    monkeypatch.setattr(datasets, "FASHION_MNIST", dataclasses.replace(
        datasets.MNIST, title="Fashion-MNIST", folder="fashion-mnist", system_dirs=(str(system),)))
    with pytest.raises(DatasetError, match="Could not find Fashion-MNIST"):
        load_fashion_mnist(download=False)
