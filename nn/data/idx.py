"""Read and write the IDX file format, the format MNIST-style datasets are distributed in.

An IDX file is a small big-endian header followed by a dense row-major array:

    bytes 0-1   zero
    byte  2     element type code (a key of ``IDX_DTYPES``)
    byte  3     number of dimensions, ``ndim``
    then        ``ndim`` unsigned 32-bit big-endian sizes
    then        the elements, big-endian

Files may be raw or gzip-compressed; the reader tells the two apart by their first two bytes, so
the file name does not matter.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..files import atomic_path, read_into

__all__ = [
    "DatasetError",
    "ChecksumMismatchError",
    "IDX_DTYPES",
    "read_idx",
    "decode_idx",
    "write_idx",
    "atomic_output",
]

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX element type codes and the (big-endian) numpy dtypes they stand for."""

_GZIP_MAGIC = b"\x1f\x8b"
# Deflate cannot expand data by more than about 1032:1, so a gzip file of n bytes holds at most
# this many times n bytes; used to reject absurd headers before allocating memory for them.
_MAX_GZIP_RATIO = 1100
_CHUNK_SIZE = 1 << 20


class DatasetError(Exception):
    """A dataset file is missing, malformed, corrupt, or could not be downloaded."""


class ChecksumMismatchError(DatasetError):
    """A dataset file is well formed but its content is not the expected one."""


def read_idx(path: str | os.PathLike, sha256: str | None = None) -> np.ndarray:
    """Read an IDX file (raw or gzip-compressed) into a writable, native-byte-order numpy array.

    If ``sha256`` is given, the SHA-256 of the decompressed file content must equal it, otherwise
    ``ChecksumMismatchError`` is raised. Any other problem with the file raises ``DatasetError``
    with a message naming the file.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as probe:
            compressed = probe.read(2) == _GZIP_MAGIC
        stored_size = os.path.getsize(name)
        if compressed:
            with gzip.open(name, "rb") as stream:
                return _read_idx_stream(stream, name, sha256, stored_size * _MAX_GZIP_RATIO)
        with open(name, "rb") as stream:
            return _read_idx_stream(stream, name, sha256, stored_size, size_is_exact=True)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetError(f"{name}: corrupt or truncated gzip data ({exc})") from exc
    except FileNotFoundError:
        raise DatasetError(f"{name}: no such file") from None
    except OSError as exc:
        raise DatasetError(f"{name}: cannot be read ({exc})") from exc


def decode_idx(data: bytes, sha256: str | None = None, name: str = "<bytes>") -> np.ndarray:
    """Decode IDX content held in memory (raw or gzip-compressed); see ``read_idx``.

    ``name`` is only used in error messages.
    """
    try:
        if data[:2] == _GZIP_MAGIC:
            with gzip.GzipFile(fileobj=io.BytesIO(data), mode="rb") as stream:
                return _read_idx_stream(stream, name, sha256, len(data) * _MAX_GZIP_RATIO)
        return _read_idx_stream(io.BytesIO(data), name, sha256, len(data), size_is_exact=True)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DatasetError(f"{name}: corrupt or truncated gzip data ({exc})") from exc


def _read_idx_stream(
    stream: BinaryIO, name: str, sha256: str | None, max_size: int, size_is_exact: bool = False
) -> np.ndarray:
    """Parse one IDX document from ``stream``.

    ``max_size`` bounds the decompressed size (it is the exact size when ``size_is_exact``); it
    lets a corrupt header that promises gigabytes fail before any memory is allocated for it.
    When the size is not exact (compressed data), memory grows with the data actually read.
    """
    magic = _read_up_to(stream, 4)
    if len(magic) < 4:
        raise DatasetError(
            f"{name}: too short to be an IDX file: "
            f"expected a 4-byte header, found {len(magic)} bytes"
        )
    if magic[:2] != b"\x00\x00":
        raise DatasetError(
            f"{name}: not an IDX file: "
            f"the magic number 0x{magic.hex()} should start with two zero bytes"
        )
    code, ndim = magic[2], magic[3]
    dtype = IDX_DTYPES.get(code)
    if dtype is None:
        known = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise DatasetError(
            f"{name}: unknown IDX element type code 0x{code:02x} (known codes: {known})"
        )

    dims = _read_up_to(stream, 4 * ndim)
    if len(dims) < 4 * ndim:
        raise DatasetError(
            f"{name}: truncated header: expected {ndim} dimension sizes ({4 * ndim} bytes), "
            f"found {len(dims)} bytes"
        )
    shape = struct.unpack(f">{ndim}I", dims)
    header_size = 4 + 4 * ndim
    expected = math.prod(shape) * dtype.itemsize
    what = f"shape {shape} of {dtype.name} needs {expected} payload bytes"
    if header_size + expected > max_size:
        if size_is_exact:
            raise DatasetError(f"{name}: truncated payload: {what}, found {max_size - header_size}")
        raise DatasetError(
            f"{name}: truncated payload or corrupt header: {what}, "
            f"but the file can hold at most {max(max_size - header_size, 0)}"
        )

    try:
        if size_is_exact:  # the header's size is checked against the real one: allocate at once
            array = np.empty(shape, dtype)
            payload = array.reshape(-1).view(np.uint8)
            found = read_into(stream, payload)
        else:  # grow with the data that really arrives, not with what the header promises
            payload = _read_growing(stream, expected)
            found = len(payload)
            if found == expected:
                array = np.frombuffer(payload, dtype).reshape(shape)
    except ValueError:  # numpy cannot index such a shape, even with no elements
        raise DatasetError(f"{name}: impossible shape {shape} in the header") from None
    if found < expected:
        raise DatasetError(f"{name}: truncated payload: {what}, found {found}")
    trailing = _count_remaining(stream)
    if trailing:
        raise DatasetError(
            f"{name}: {trailing} unexpected trailing bytes: {what}, found {expected + trailing}"
        )

    if sha256 is not None:
        digest = hashlib.sha256(magic + dims)
        digest.update(payload)
        actual = digest.hexdigest()
        if actual != sha256.lower():
            raise ChecksumMismatchError(
                f"{name}: the SHA-256 of its decompressed content is {actual}, "
                f"expected {sha256.lower()}"
            )

    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return array


def _read_up_to(stream: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, or fewer if the stream ends first."""
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            break
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


def _read_growing(stream: BinaryIO, size: int) -> bytearray:
    """Up to ``size`` bytes of ``stream`` in a buffer that grows as data arrives (so a header
    that promises more than a compressed stream delivers allocates only what arrived)."""
    buffer = bytearray()
    while len(buffer) < size:
        part = stream.read(min(_CHUNK_SIZE, size - len(buffer)))
        if not part:
            break
        buffer += part
    return buffer


def _count_remaining(stream: BinaryIO) -> int:
    """Consume the rest of ``stream`` and return how many bytes it had."""
    total = 0
    while part := stream.read(_CHUNK_SIZE):
        total += len(part)
    return total


def _idx_code(dtype: np.dtype) -> int:
    """Return the IDX type code for ``dtype`` regardless of its byte order."""
    for code, candidate in IDX_DTYPES.items():
        if candidate.kind == dtype.kind and candidate.itemsize == dtype.itemsize:
            return code
    supported = ", ".join(d.name for d in IDX_DTYPES.values())
    raise ValueError(f"IDX cannot store dtype {dtype}; supported dtypes: {supported}")


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool = True) -> None:
    """Write ``array`` as an IDX file, gzip-compressed unless ``compress`` is false.

    The file appears atomically (see ``nn.files.atomic_path``): it is written under a temporary
    name in the same directory and then renamed, so readers never see a half-written file.
    """
    array = np.asarray(array)
    code = _idx_code(array.dtype)
    if array.ndim > 255:
        raise ValueError(f"IDX supports at most 255 dimensions, got {array.ndim}")
    if any(size >= 2**32 for size in array.shape):
        raise ValueError(f"IDX dimension sizes must fit in 32 bits, got shape {array.shape}")
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    big_endian = np.ascontiguousarray(array, dtype=IDX_DTYPES[code])
    payload = big_endian.reshape(-1).view(np.uint8)

    target = Path(path)
    with atomic_path(target) as temporary, open(temporary, "wb") as raw:
        if compress:
            inner_name = target.name.removesuffix(".gz")
            # mtime=0 keeps the output byte-for-byte reproducible.
            with gzip.GzipFile(filename=inner_name, mode="wb", fileobj=raw, mtime=0) as stream:
                stream.write(header)
                stream.write(payload)
        else:
            raw.write(header)
            raw.write(payload)
        raw.flush()
        os.fsync(raw.fileno())


atomic_output = atomic_path  # the name this module used to define it under
