"""MNIST and Fashion-MNIST as numpy arrays, shaped and typed exactly like ``keras.datasets``.

Each dataset is four gzip-compressed IDX files with the standard names::

    train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
    t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz

They are looked for in these directories, in order; the first one that holds all four is used:

1. the ``path`` argument itself, or its ``mnist/`` (resp. ``fashion-mnist/``) subfolder;
2. ``$LUCIDGRAD_DATA/mnist/`` (resp. ``$LUCIDGRAD_DATA/fashion-mnist/``);
3. the download cache: ``$LUCIDGRAD_CACHE`` if set, else ``$XDG_CACHE_HOME/lucidgrad``, else
   ``~/.cache/lucidgrad``, with the same subfolders;
4. Fashion-MNIST only: ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).

Otherwise, when ``download`` is true, the missing files are downloaded into the cache, trying each
official mirror in turn. Setting ``LUCIDGRAD_MIRROR`` to a base URL replaces the mirror list: files
are then fetched from ``<LUCIDGRAD_MIRROR>/<file name>``. A download is written to a temporary file,
checked, and only then renamed into place, so a failed or interrupted download leaves nothing
behind.

Every file, wherever it comes from, must have the known SHA-256 of its *decompressed* content (a
re-compressed file is fine, altered data is not); a mismatch raises ``DatasetError``.
"""

from __future__ import annotations

import http.client
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from tqdm import tqdm

from ..files import atomic_path
from .idx import ChecksumMismatchError, DatasetError, read_idx

__all__ = [
    "load_mnist",
    "load_fashion_mnist",
    "load_idx_dataset",
    "dataset_dir",
    "cache_dir",
    "search_dirs",
    "DatasetSource",
    "ArgumentNames",
    "MNIST",
    "FASHION_MNIST",
]

TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
TEST_IMAGES = "t10k-images-idx3-ubyte.gz"
TEST_LABELS = "t10k-labels-idx1-ubyte.gz"
FILE_NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

DOWNLOAD_TIMEOUT_S = 30.0
_CHUNK_SIZE = 1 << 16


@dataclass(frozen=True)
class DatasetSource:
    """Where an IDX dataset may be found and how to recognise its files."""

    title: str
    """Human-readable name, used in messages."""
    folder: str
    """Subfolder name under ``path``, ``$LUCIDGRAD_DATA`` and the cache."""
    sha256: Mapping[str, str]
    """SHA-256 of each file's decompressed content, keyed by the (``.gz``) file name."""
    mirrors: Sequence[str]
    """Base URLs to download from, tried in order."""
    system_dirs: Sequence[str] = ()
    """Directories where an operating-system package installs the files."""


MNIST = DatasetSource(
    title="MNIST",
    folder="mnist",
    sha256={
        TRAIN_IMAGES: "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        TRAIN_LABELS: "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        TEST_IMAGES: "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        TEST_LABELS: "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    },
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
)

FASHION_MNIST = DatasetSource(
    title="Fashion-MNIST",
    folder="fashion-mnist",
    sha256={
        TRAIN_IMAGES: "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        TRAIN_LABELS: "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        TEST_IMAGES: "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        TEST_LABELS: "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    },
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
)

@dataclass(frozen=True)
class ArgumentNames:
    """How error messages tell the user to pass a data directory or to skip downloading: the
    Python arguments by default; a command line passes its own options instead."""

    path: str = "path=D"
    """Completes "put the files into a directory D and pass ..."."""
    no_download: str = "download=False"
    """Completes "Nothing was downloaded because ..."."""


PYTHON_ARGUMENTS = ArgumentNames()

Splits = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_mnist(path: str | os.PathLike | None = None, download: bool = True) -> Splits:
    """Return MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 arrays like Keras.

    Shapes are (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,). See the module docstring
    for where the files are looked for and how they are downloaded.
    """
    return load_idx_dataset(MNIST, path, download)


def load_fashion_mnist(path: str | os.PathLike | None = None, download: bool = True) -> Splits:
    """Return Fashion-MNIST as ``((x_train, y_train), (x_test, y_test))``, uint8 arrays like Keras.

    Shapes are (60000, 28, 28), (60000,), (10000, 28, 28) and (10000,). See the module docstring
    for where the files are looked for and how they are downloaded.
    """
    return load_idx_dataset(FASHION_MNIST, path, download)


def cache_dir() -> Path:
    """Return the download cache's root directory; see the module docstring for how it is chosen."""
    if os.environ.get("LUCIDGRAD_CACHE"):
        return Path(os.environ["LUCIDGRAD_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "lucidgrad"
    return Path.home() / ".cache" / "lucidgrad"


def load_idx_dataset(
    source: DatasetSource,
    path: str | os.PathLike | None = None,
    download: bool = True,
    timeout: float = DOWNLOAD_TIMEOUT_S,
    names: ArgumentNames = PYTHON_ARGUMENTS,
) -> Splits:
    """Find (or download) the four files of ``source`` and return the train and test splits.

    ``names`` says how error messages refer to ``path`` and ``download`` (a command line passes
    its own option names)."""
    if not isinstance(download, (bool, np.bool_)):
        raise TypeError(f"load {source.title}: download must be True or False, got {download!r}")
    cache = cache_dir() / source.folder
    searched = search_dirs(source, path)
    directory = dataset_dir(source, path)
    if directory is None:
        if not download:
            reason = f"Nothing was downloaded because {names.no_download}."
            raise DatasetError(_not_found_message(source, searched, cache, reason, names))
        failures = download_missing(source, cache, mirrors_for(source), timeout)
        if failures:
            report = _download_report(failures)
            raise DatasetError(_not_found_message(source, searched, cache, report, names))
        directory = cache

    x_train, y_train, x_test, y_test = (
        _read_checked(source, directory, name, in_cache=directory == cache) for name in FILE_NAMES
    )
    for split, images, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DatasetError(
                f"{source.title} in {directory}: the {split} images have shape {images.shape} and "
                f"the labels shape {labels.shape}; expected (n, height, width) images and n labels"
            )
    return (x_train, y_train), (x_test, y_test)


def search_dirs(source: DatasetSource, path: str | os.PathLike | None = None) -> list[Path]:
    """Return the directories searched for ``source``'s files, in the order they are tried."""
    candidates = []
    if path is not None:
        given = Path(path).expanduser()
        candidates += [given, given / source.folder]
    if os.environ.get("LUCIDGRAD_DATA"):
        candidates.append(Path(os.environ["LUCIDGRAD_DATA"]).expanduser() / source.folder)
    candidates.append(cache_dir() / source.folder)
    candidates += [Path(d) for d in source.system_dirs]
    return list(dict.fromkeys(candidates))


def dataset_dir(source: DatasetSource, path: str | os.PathLike | None = None) -> Path | None:
    """The directory ``load_idx_dataset`` reads ``source`` from: the first of ``search_dirs``
    that holds all four files, or None when none does (it would then download)."""
    return next((d for d in search_dirs(source, path) if not missing_files(source, d)), None)


def mirrors_for(source: DatasetSource) -> list[str]:
    """Return the base URLs to download from: ``$LUCIDGRAD_MIRROR`` if set, else the official."""
    override = os.environ.get("LUCIDGRAD_MIRROR", "").strip()
    return [override] if override else list(source.mirrors)


def missing_files(source: DatasetSource, directory: Path) -> list[str]:
    """Return the names of ``source``'s files that ``directory`` lacks."""
    return [name for name in FILE_NAMES if _locate(directory, name) is None]


def _locate(directory: Path, name: str) -> Path | None:
    """Return the file ``name`` in ``directory``, also accepting its decompressed form."""
    for candidate in (directory / name, directory / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _read_checked(source: DatasetSource, directory: Path, name: str, in_cache: bool) -> np.ndarray:
    """Read one file of ``source`` from ``directory``, verifying its content digest."""
    file = _locate(directory, name)
    try:
        return read_idx(file, sha256=source.sha256[name])
    except ChecksumMismatchError as exc:
        advice = (
            "delete it so that it is downloaded again"
            if in_cache
            else f"replace it with the original {source.title} file or delete it"
        )
        raise ChecksumMismatchError(
            f"{exc}. This is not the original {source.title} {name}: it is corrupt or a different "
            f"file; {advice}."
        ) from None


def download_missing(
    source: DatasetSource, cache: Path, mirrors: Sequence[str], timeout: float = DOWNLOAD_TIMEOUT_S
) -> list[str]:
    """Download the files that ``cache`` lacks, verifying each one before it is stored.

    Returns an empty list on success, otherwise a description of every failed attempt for the
    first file that no mirror could provide (later files are then not attempted).
    """
    for name in missing_files(source, cache):
        failures = []
        for base in mirrors:
            url = base.rstrip("/") + "/" + name
            try:
                _download_verified(url, cache / name, source.sha256[name], timeout)
                break
            except (OSError, http.client.HTTPException, ValueError, DatasetError) as exc:
                failures.append(f"{url}: {_describe(exc)}")
        else:
            return failures or [f"{name}: no mirror to download it from"]
    return []


def _download_verified(url: str, destination: Path, sha256: str, timeout: float) -> None:
    """Fetch ``url`` into ``destination`` atomically, keeping it only if its digest matches."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(destination) as temporary:
        _fetch(url, temporary, timeout)
        read_idx(temporary, sha256=sha256)


def _fetch(url: str, destination: Path, timeout: float) -> None:
    """Stream ``url`` into the (empty) file ``destination`` with a progress bar."""
    request = urllib.request.Request(url, headers={"User-Agent": "lucidgrad"})
    with (
        urllib.request.urlopen(request, timeout=timeout) as response,
        open(destination, "wb") as out,
    ):
        declared = response.headers.get("Content-Length", "")
        total = int(declared) if declared.isdigit() else None
        received = 0
        with tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=url.rsplit("/", 1)[-1]
        ) as progress:
            while chunk := response.read(_CHUNK_SIZE):
                out.write(chunk)
                received += len(chunk)
                progress.update(len(chunk))
        # http.client does not complain when a connection closes early, so check the length here.
        if total is not None and received != total:
            raise DatasetError(f"the download stopped after {received} of {total} bytes")
        out.flush()
        os.fsync(out.fileno())


def _describe(error: BaseException) -> str:
    """Return a one-line description of a download failure."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return str(error.reason)
    return str(error) or type(error).__name__


def _download_report(failures: Sequence[str]) -> str:
    """Format download failures for an error message."""
    return "Downloading failed:\n" + "\n".join(f"  - {failure}" for failure in failures)


def _not_found_message(
    source: DatasetSource, searched: Sequence[Path], cache: Path, reason: str,
    arguments: ArgumentNames = PYTHON_ARGUMENTS,
) -> str:
    """Explain where ``source`` was looked for, why it was not obtained, and how to provide it."""
    names = ", ".join(FILE_NAMES)
    lines = [f"Could not find {source.title}: no directory holds all four files ({names})."]
    lines.append("Searched:")
    for directory in searched:
        if not directory.is_dir():
            status = "does not exist"
        else:
            missing = missing_files(source, directory)
            if len(missing) == len(FILE_NAMES):
                status = "none of the files"
            else:
                status = f"missing {len(missing)} of {len(FILE_NAMES)} files: {', '.join(missing)}"
        lines.append(f"  - {directory} ({status})")
    lines.append(reason)
    lines.append(
        f"Put the four files into {cache}, or into a directory D and pass {arguments.path}, or set "
        f"LUCIDGRAD_DATA to a directory that has them in its {source.folder}/ subfolder."
    )
    return "\n".join(lines)
