"""Finding, verifying and downloading the MNIST-style datasets.

Most tests use a tiny generated dataset (a few 4x4 "images") described by its own
``DatasetSource``, so that search order, checksums and downloads can be exercised quickly and
offline; downloads go to an HTTP server on 127.0.0.1.
"""

import dataclasses
import gzip
import hashlib
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from nn.data import DatasetError, cache_dir, load_fashion_mnist, load_mnist, write_idx
from nn.data import datasets
from nn.data.datasets import FILE_NAMES, DatasetSource, load_idx_dataset, search_dirs

# Read before the fixtures below hide it from every other test.
REAL_DATA = os.environ.get("LUCIDGRAD_DATA")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    """Keep every test away from the user's data, cache and network settings."""
    for name in ("LUCIDGRAD_DATA", "LUCIDGRAD_MIRROR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LUCIDGRAD_CACHE", str(tmp_path / "cache"))


def tiny_arrays(seed):
    """Train and test splits shaped like MNIST's, only much smaller."""
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 4, 4), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, 6, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (3, 4, 4), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, 3, dtype=np.uint8),
    }


def write_dataset(directory, arrays, names=FILE_NAMES):
    """Write the files ``names`` of ``arrays`` into ``directory`` as gzip-compressed IDX."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        write_idx(directory / name, arrays[name])
    return directory


def content_digests(arrays, tmp_path):
    """SHA-256 of each file's decompressed content, computed independently of the loader."""
    scratch = write_dataset(tmp_path / "digest-scratch", arrays)
    return {
        name: hashlib.sha256(gzip.decompress((scratch / name).read_bytes())).hexdigest()
        for name in FILE_NAMES
    }


GOOD = tiny_arrays(seed=1)
OTHER = tiny_arrays(seed=2)


@pytest.fixture
def tiny(tmp_path):
    """A DatasetSource whose known digests are those of GOOD; no mirrors, no system dirs."""
    return DatasetSource(
        title="Tiny", folder="tiny", sha256=content_digests(GOOD, tmp_path), mirrors=(), system_dirs=()
    )


def assert_splits_equal(splits, arrays):
    (x_train, y_train), (x_test, y_test) = splits
    for name, loaded in zip(FILE_NAMES, (x_train, y_train, x_test, y_test)):
        np.testing.assert_array_equal(loaded, arrays[name])
        assert loaded.dtype == np.uint8


def files_under(directory):
    return sorted(p.relative_to(directory).as_posix() for p in Path(directory).rglob("*") if p.is_file())


# --- search order ---------------------------------------------------------------------------

LEVELS = ["path", "path-subfolder", "env", "cache", "system"]


def level_dirs(tmp_path, monkeypatch, source):
    """Directories for each search level, with the environment and source pointing at them."""
    given = tmp_path / "given"
    monkeypatch.setenv("LUCIDGRAD_DATA", str(tmp_path / "data"))
    source = dataclasses.replace(source, system_dirs=(str(tmp_path / "system"),))
    dirs = {
        "path": given,
        "path-subfolder": given / "tiny",
        "env": tmp_path / "data" / "tiny",
        "cache": tmp_path / "cache" / "tiny",
        "system": tmp_path / "system",
    }
    return given, source, dirs


@pytest.mark.parametrize("winner", LEVELS)
def test_search_order(tmp_path, monkeypatch, tiny, winner):
    # Earlier levels hold only three of the four files (so they must be skipped); later levels
    # hold a complete set with the wrong content (so they fail loudly if they are used).
    given, source, dirs = level_dirs(tmp_path, monkeypatch, tiny)
    position = LEVELS.index(winner)
    for level in LEVELS[:position]:
        write_dataset(dirs[level], GOOD, names=FILE_NAMES[:3])
    write_dataset(dirs[winner], GOOD)
    for level in LEVELS[position + 1 :]:
        write_dataset(dirs[level], OTHER)

    splits = load_idx_dataset(source, path=given, download=False)

    assert_splits_equal(splits, GOOD)


def test_search_dirs_lists_every_place_in_order(tmp_path, monkeypatch, tiny):
    given, source, dirs = level_dirs(tmp_path, monkeypatch, tiny)
    assert search_dirs(source, given) == [dirs[level] for level in LEVELS]
    assert search_dirs(source) == [dirs[level] for level in LEVELS[2:]]


def test_only_fashion_mnist_looks_in_the_debian_directory():
    debian = Path("/usr/share/datasets/fashion-mnist")
    assert search_dirs(datasets.FASHION_MNIST)[-1] == debian
    assert debian not in search_dirs(datasets.MNIST)


def test_cache_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.setenv("LUCIDGRAD_CACHE", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "explicit"
    monkeypatch.delenv("LUCIDGRAD_CACHE")
    assert cache_dir() == tmp_path / "xdg" / "lucidgrad"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "lucidgrad"


def test_decompressed_files_are_accepted(tmp_path, tiny):
    directory = tmp_path / "plain"
    directory.mkdir()
    for name in FILE_NAMES:
        write_idx(directory / name.removesuffix(".gz"), GOOD[name], compress=False)
    assert_splits_equal(load_idx_dataset(tiny, path=directory, download=False), GOOD)


def test_public_loaders_use_their_own_folders_and_sources(tmp_path, monkeypatch, tiny):
    monkeypatch.setattr(datasets, "MNIST", dataclasses.replace(tiny, folder="mnist"))
    monkeypatch.setattr(
        datasets,
        "FASHION_MNIST",
        dataclasses.replace(tiny, folder="fashion-mnist", system_dirs=(str(tmp_path / "debian"),)),
    )
    write_dataset(tmp_path / "data" / "mnist", GOOD)
    write_dataset(tmp_path / "debian", GOOD)

    assert_splits_equal(load_mnist(path=tmp_path / "data", download=False), GOOD)
    assert_splits_equal(load_fashion_mnist(download=False), GOOD)


# --- checksums of files found on disk -------------------------------------------------------


def test_cached_file_with_wrong_content_is_an_error(tmp_path, tiny):
    cache = write_dataset(tmp_path / "cache" / "tiny", GOOD)
    write_idx(cache / "t10k-labels-idx1-ubyte.gz", OTHER["t10k-labels-idx1-ubyte.gz"])
    expected = r"t10k-labels-idx1-ubyte\.gz.*delete it so that it is downloaded again"
    with pytest.raises(DatasetError, match=expected):
        load_idx_dataset(tiny, download=False)


def test_supplied_file_with_wrong_content_is_an_error(tmp_path, tiny):
    given = write_dataset(tmp_path / "given", OTHER)
    expected = r"train-images-idx3-ubyte\.gz.*not the original Tiny.*replace it"
    with pytest.raises(DatasetError, match=expected):
        load_idx_dataset(tiny, path=given, download=False)


def test_recompressed_file_is_accepted(tmp_path, tiny):
    given = write_dataset(tmp_path / "given", GOOD)
    labels = given / "train-labels-idx1-ubyte.gz"
    labels.write_bytes(gzip.compress(gzip.decompress(labels.read_bytes()), compresslevel=1, mtime=12345))
    assert_splits_equal(load_idx_dataset(tiny, path=given, download=False), GOOD)


# --- downloads ------------------------------------------------------------------------------


class FileServer:
    """A local HTTP server with scripted responses; records the paths it was asked for."""

    def __init__(self):
        self.routes = {}  # path -> (status, body, declared length or None)
        self.requested = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.requested.append(self.path)
                status, body, declared = server.routes.get(self.path, (404, b"not found", None))
                self.send_response(status)
                if declared is not None:
                    self.send_header("Content-Length", str(declared))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def serve(self, prefix, directory, truncate=False, send_length=True):
        """Serve every file of ``directory`` under ``prefix``, optionally cut in half."""
        for file in directory.iterdir():
            body = file.read_bytes()
            declared = len(body) if send_length else None
            if truncate:
                body = body[: len(body) // 2]
            self.routes[f"{prefix}/{file.name}"] = (200, body, declared)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server():
    file_server = FileServer()
    yield file_server
    file_server.close()


@pytest.fixture
def closed_port_url():
    """A URL on 127.0.0.1 where nothing listens, so connecting fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_download_loads_and_caches(tmp_path, tiny, server, closed_port_url):
    server.serve("/good", write_dataset(tmp_path / "served", GOOD))
    source = dataclasses.replace(tiny, mirrors=(server.url + "/good/",))

    assert_splits_equal(load_idx_dataset(source), GOOD)
    assert files_under(tmp_path / "cache") == sorted(f"tiny/{name}" for name in FILE_NAMES)
    assert len(server.requested) == 4

    # The second load comes from the cache, without any network access.
    offline = dataclasses.replace(tiny, mirrors=(closed_port_url,))
    assert_splits_equal(load_idx_dataset(offline), GOOD)
    assert len(server.requested) == 4


def test_download_fetches_only_missing_files(tmp_path, tiny, server):
    write_dataset(tmp_path / "cache" / "tiny", GOOD, names=FILE_NAMES[:2])
    server.serve("/m", write_dataset(tmp_path / "served", GOOD))
    source = dataclasses.replace(tiny, mirrors=(server.url + "/m",))

    assert_splits_equal(load_idx_dataset(source), GOOD)
    assert sorted(server.requested) == sorted(f"/m/{name}" for name in FILE_NAMES[2:])


def test_download_with_wrong_checksum_caches_nothing(tmp_path, tiny, server):
    server.serve("/bad", write_dataset(tmp_path / "served", OTHER))
    source = dataclasses.replace(tiny, mirrors=(server.url + "/bad",))

    expected = r"Downloading failed:\n.*/bad/train-images-idx3-ubyte\.gz: .*SHA-256"
    with pytest.raises(DatasetError, match=expected):
        load_idx_dataset(source)
    assert files_under(tmp_path / "cache") == []


@pytest.mark.parametrize(
    ("send_length", "symptom"),
    [(True, r"stopped after \d+ of \d+ bytes"), (False, "corrupt or truncated gzip data")],
)
def test_truncated_download_caches_nothing(tmp_path, tiny, server, send_length, symptom):
    served = write_dataset(tmp_path / "served", GOOD)
    server.serve("/cut", served, truncate=True, send_length=send_length)
    source = dataclasses.replace(tiny, mirrors=(server.url + "/cut",))

    with pytest.raises(DatasetError, match=symptom):
        load_idx_dataset(source)
    assert files_under(tmp_path / "cache") == []


def test_next_mirror_is_tried_after_a_failure(tmp_path, tiny, server):
    server.serve("/second", write_dataset(tmp_path / "served", GOOD))
    source = dataclasses.replace(tiny, mirrors=(server.url + "/first", server.url + "/second"))

    assert_splits_equal(load_idx_dataset(source), GOOD)
    first_file = FILE_NAMES[0]
    assert server.requested[:2] == [f"/first/{first_file}", f"/second/{first_file}"]
    assert files_under(tmp_path / "cache") == sorted(f"tiny/{name}" for name in FILE_NAMES)


def test_mirror_environment_variable_overrides_the_mirrors(
    tmp_path, monkeypatch, tiny, server, closed_port_url
):
    unreachable = dataclasses.replace(tiny, folder="mnist", mirrors=(closed_port_url,))
    monkeypatch.setattr(datasets, "MNIST", unreachable)
    server.serve("/override", write_dataset(tmp_path / "served", GOOD))
    monkeypatch.setenv("LUCIDGRAD_MIRROR", server.url + "/override")

    assert_splits_equal(load_mnist(), GOOD)
    assert files_under(tmp_path / "cache") == sorted(f"mnist/{name}" for name in FILE_NAMES)


def test_absent_and_offline_error_explains_where_to_put_the_files(
    tmp_path, monkeypatch, tiny, closed_port_url
):
    given, source, dirs = level_dirs(tmp_path, monkeypatch, tiny)
    write_dataset(dirs["env"], GOOD, names=FILE_NAMES[:3])
    source = dataclasses.replace(source, mirrors=(closed_port_url, closed_port_url + "/other"))

    with pytest.raises(DatasetError) as caught:
        load_idx_dataset(source, path=given)

    message = str(caught.value)
    for level in LEVELS:
        assert str(dirs[level]) in message
    assert "missing 1 of 4 files: t10k-labels-idx1-ubyte.gz" in message
    assert f"{closed_port_url}/train-images-idx3-ubyte.gz" in message
    assert f"{closed_port_url}/other/train-images-idx3-ubyte.gz" in message
    assert f"Put the four files into {dirs['cache']}" in message
    assert "LUCIDGRAD_DATA" in message
    assert files_under(tmp_path / "cache") == []


def test_download_false_never_touches_the_network(tiny, server):
    source = dataclasses.replace(tiny, mirrors=(server.url,))
    with pytest.raises(DatasetError, match="Nothing was downloaded because download=False"):
        load_idx_dataset(source, download=False)
    assert server.requested == []


# --- the real data --------------------------------------------------------------------------

REAL_DATA_MISSING = (
    "set LUCIDGRAD_DATA to a directory with mnist/ and fashion-mnist/ subfolders to run this test"
)


@pytest.mark.skipif(not REAL_DATA or not Path(REAL_DATA).is_dir(), reason=REAL_DATA_MISSING)
@pytest.mark.parametrize(
    ("loader", "first_test_labels"),
    [(load_mnist, [7, 2, 1, 0, 4]), (load_fashion_mnist, [9, 2, 1, 1, 6])],
)
def test_real_datasets_match_keras(monkeypatch, loader, first_test_labels):
    monkeypatch.setenv("LUCIDGRAD_DATA", REAL_DATA)

    (x_train, y_train), (x_test, y_test) = loader(download=False)

    assert x_train.shape == (60000, 28, 28) and y_train.shape == (60000,)
    assert x_test.shape == (10000, 28, 28) and y_test.shape == (10000,)
    assert all(a.dtype == np.uint8 for a in (x_train, y_train, x_test, y_test))
    assert y_train.max() == 9 and y_test.min() == 0
    assert np.array_equal(np.bincount(y_test, minlength=10) > 0, np.ones(10, bool))
    assert y_test[:5].tolist() == first_test_labels
    assert x_train.max() == 255


def test_a_mirror_that_never_answers_fails_within_the_timeout(tmp_path, tiny):
    # a socket that accepts connections (the kernel's backlog) but never sends a byte: the
    # download must give up after ``timeout`` seconds per mirror instead of hanging
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        source = dataclasses.replace(tiny, mirrors=(url, url + "/again"))
        with pytest.raises(DatasetError, match="Downloading failed") as error:
            load_idx_dataset(source, timeout=0.5)
    assert str(error.value).count("timed out") == 2  # each mirror gave up on its own
    assert files_under(tmp_path / "cache") == []
