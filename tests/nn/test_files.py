"""Atomic writes (one helper for every writer in ``nn``), writing through symbolic links, and the
check that a directory can take files before a long job starts."""
import os
import sys

import numpy as np
import pytest

import nn
from nn import files
from nn.data import idx, read_idx, write_idx
from nn.plotting import plot_learning_curves
from nn.serialization import load_state, save_state

needs_symlinks = pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need POSIX")


def small_model():
    nn.seed(0)
    return nn.Sequential([nn.Dense(3, input_shape=(2,))])


def test_every_writer_uses_the_one_helper(tmp_path, monkeypatch):
    from nn import serialization
    from nn.data import datasets

    assert idx.atomic_path is files.atomic_path and idx.atomic_output is files.atomic_path
    assert serialization.atomic_path is files.atomic_path
    assert datasets.atomic_path is files.atomic_path
    used = []
    original = files.atomic_path

    def recording(path):
        used.append(path)
        return original(path)

    monkeypatch.setattr(files, "atomic_path", recording)  # plotting imports it when it draws
    plot_learning_curves({"loss": [1.0]}, tmp_path / "curve.png")
    assert used == [tmp_path / "curve.png"]


@needs_symlinks
@pytest.mark.parametrize("writer", ["save_weights", "save_model", "write_idx", "plot"])
def test_saving_to_a_symlink_writes_its_target_and_keeps_the_link(tmp_path, writer):
    real = tmp_path / "store" / "real.bin"
    real.parent.mkdir()
    real.write_bytes(b"old")
    link = tmp_path / "link.bin"
    link.symlink_to(real)

    if writer == "save_weights":
        small_model().save_weights(link)
    elif writer == "save_model":
        small_model().save(link)
    elif writer == "write_idx":
        write_idx(link, np.arange(5, dtype=np.uint8))
    else:
        plot_learning_curves({"loss": [1.0, 0.5]}, link)

    assert link.is_symlink() and os.readlink(link) == str(real)
    assert real.read_bytes() != b"old"
    assert link.read_bytes() == real.read_bytes()
    if writer == "write_idx":
        np.testing.assert_array_equal(read_idx(link), np.arange(5))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.bin", "store"]
    assert [p.name for p in real.parent.iterdir()] == ["real.bin"]  # no temporary left


@needs_symlinks
def test_a_dangling_symlink_gets_its_target_created(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "later.npz")
    save_state(link, {"a": np.arange(3)})
    assert link.is_symlink()
    np.testing.assert_array_equal(load_state(tmp_path / "later.npz")["a"], np.arange(3))


def test_a_failed_write_leaves_the_target_and_no_temporary(tmp_path):
    target = tmp_path / "target"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with files.atomic_path(target) as temporary:
            temporary.write_bytes(b"new")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["target"]


def test_writable_directory_is_checked_without_leaving_anything(tmp_path):
    deep = tmp_path / "a" / "b" / "c"
    assert files.check_writable_directory(deep) == deep
    assert list(tmp_path.iterdir()) == []  # the directories made for the check are gone
    (tmp_path / "kept").mkdir()
    files.check_writable_directory(tmp_path / "kept")
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]
    assert list((tmp_path / "kept").iterdir()) == []


@pytest.mark.parametrize("case", ["file in the way", "under a file", "name too long"])
def test_impossible_directories_are_refused(tmp_path, case):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    path = {"file in the way": blocker, "under a file": blocker / "sub",
            "name too long": tmp_path / ("x" * 300)}[case]
    with pytest.raises(OSError, match=r"cannot write into directory .*: ") as error:
        files.check_writable_directory(path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="permissions do not stop the superuser")
def test_unwritable_directory_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(OSError, match="cannot write into directory"):
            files.check_writable_directory(locked / "run")
    finally:
        locked.chmod(0o700)
