"""``.npz`` archives of named arrays, written atomically and read without pickle, within bounds.

``save_state`` writes what ``np.savez`` writes: a zip archive with one ``<name>.npy`` member
per array, uncompressed. ``load_state`` reads such an archive (also one whose members are
deflate-compressed, as ``np.savez_compressed`` writes) member by member with the standard
library's ``zipfile`` and numpy's ``.npy`` header reader, and checks every member before it
allocates memory for it:

* the archive may declare at most ``MAX_EXPANSION`` times the file's size in member data, and an
  uncompressed member must be exactly as long as it says, so no header can make the reader
  allocate more than a small multiple of the file's size;
* a member's ``.npy`` header must declare exactly as many bytes as the member holds;
* members holding Python objects (which only pickle could read) are refused, never unpickled.

Every problem is a ``ModelFileError`` naming the file and the member. numpy's own advice to
"load it with allow_pickle" never reaches the user: this module never asks numpy to guess what
a file is.
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from typing import Mapping

import numpy as np

from .files import atomic_path, read_into

__all__ = ["ModelFileError", "save_state", "load_state", "MAX_EXPANSION"]

MAX_EXPANSION = 8
"""At most this many bytes of member data per byte of archive (compressed members)."""

_NPY_MAGIC = b"\x93NUMPY"
_MAX_NPY_HEADER = 10_000
# what zipfile, zlib and numpy's header reader raise for malformed input
_MALFORMED = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
              zlib.error, struct.error, OverflowError, NotImplementedError, RuntimeError,
              KeyError, IndexError, TypeError)


class ModelFileError(ValueError):
    """A file that cannot be read as a lucidgrad model or weights file, or does not fit."""


def save_state(path: str | os.PathLike, arrays: Mapping[str, object]) -> None:
    """Write ``arrays`` (name -> numeric array, number or string) to an ``.npz`` file, atomically.

    Object arrays are refused (they would need pickle). The file is written exactly at ``path``
    (no ``.npz`` suffix is added).
    """
    entries = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save_state: entry names must be non-empty strings, got {name!r}")
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError(
                f"save_state: entry {name!r} holds Python objects ({type(value).__name__}); only "
                "numeric, boolean and string arrays can be saved without pickle"
            )
        entries[name] = array
    with atomic_path(path) as temporary:
        with open(temporary, "wb") as handle:
            np.savez(handle, **entries)
            handle.flush()
            os.fsync(handle.fileno())


def load_state(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every entry of an ``.npz`` file into memory, without ever unpickling.

    Raises ``FileNotFoundError`` for a missing file and ``ModelFileError`` for a file that is not
    a readable ``.npz`` archive (not a zip, truncated, corrupt, holding pickled objects, or
    declaring more data than it can hold).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    if os.path.isdir(path):
        raise ModelFileError(f"{path} is a directory, not an .npz archive")
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            start = handle.read(len(_NPY_MAGIC))
        if start == _NPY_MAGIC:
            raise ModelFileError(f"{path} holds a single .npy array, not an .npz archive")
        if not zipfile.is_zipfile(path):
            raise ModelFileError(f"{path} is not an .npz archive (or is truncated): it is not a "
                                 f"zip file{_looks_like(start)}")
        with zipfile.ZipFile(path) as archive:
            members = _checked_members(path, archive, size)
            return {name: _read_member(path, archive, info, name) for name, info in members}
    except ModelFileError:
        raise
    except _MALFORMED as error:
        raise ModelFileError(f"{path} is not a readable .npz archive (corrupt or truncated): "
                             f"{_describe(error)}") from None


def _looks_like(start: bytes) -> str:
    """`` (it looks like text)`` when the first bytes are printable, else nothing."""
    try:
        text = start.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    return " (it looks like a text file)" if text and text.isprintable() else ""


def _checked_members(path, archive: zipfile.ZipFile, size: int) -> list:
    """``(entry name, ZipInfo)`` for each member, after checking what they declare."""
    members, total = [], 0
    for info in archive.infolist():
        if not info.filename.endswith(".npy") or info.is_dir():
            raise ModelFileError(f"{path}: member {info.filename!r} is not a .npy array")
        name = info.filename[:-len(".npy")]
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{path}: member {info.filename!r} is encrypted")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{path}: member {info.filename!r} uses an unsupported "
                                 f"compression method ({info.compress_type})")
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise ModelFileError(f"{path}: member {info.filename!r} is corrupt: stored "
                                 f"uncompressed, it declares {info.file_size} bytes but "
                                 f"occupies {info.compress_size}")
        total += info.file_size
        members.append((name, info))
    if total > MAX_EXPANSION * size:
        raise ModelFileError(f"{path}: its members declare {total} bytes of data, more than "
                             f"{MAX_EXPANSION} times the file's {size} bytes; refusing to expand it")
    names = [name for name, _ in members]
    if len(set(names)) != len(names):
        duplicated = sorted({name for name in names if names.count(name) > 1})
        raise ModelFileError(f"{path}: the archive holds several members called {duplicated}")
    return members


def _read_member(path, archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> np.ndarray:
    """The array in one member, read after its header was checked against its size."""
    with archive.open(info) as stream:
        try:
            version = np.lib.format.read_magic(stream)
            if version == (1, 0):
                header = np.lib.format.read_array_header_1_0(stream, max_header_size=_MAX_NPY_HEADER)
            elif version == (2, 0):
                header = np.lib.format.read_array_header_2_0(stream, max_header_size=_MAX_NPY_HEADER)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except _MALFORMED as error:
            raise ModelFileError(f"{path}: entry {name!r} is corrupt or not an array: "
                                 f"{_describe(error)}") from None
        shape, fortran_order, dtype = header
        if dtype.hasobject:
            raise ModelFileError(f"{path}: entry {name!r} holds pickled Python objects, which are "
                                 "never loaded (they could run arbitrary code)")
        count = 1
        for n in shape:
            if n < 0:
                raise ModelFileError(f"{path}: entry {name!r} declares the impossible shape {shape}")
            count *= n
        available = info.file_size - stream.tell()
        if count * dtype.itemsize != available:
            raise ModelFileError(f"{path}: entry {name!r} declares shape {shape} of {dtype} "
                                 f"({count * dtype.itemsize} bytes) but holds {available} bytes")
        flat = np.empty(count, dtype)
        try:
            filled = read_into(stream, flat.view(np.uint8)) if flat.nbytes else 0
            extra = stream.read(1)  # reaching the end also checks the member's CRC
        except _MALFORMED as error:
            raise ModelFileError(f"{path}: entry {name!r} is corrupt or truncated: "
                                 f"{_describe(error)}") from None
        if filled < flat.nbytes or extra:
            raise ModelFileError(f"{path}: entry {name!r} is corrupt or truncated: it holds "
                                 f"{'more' if extra else 'less'} data than its header declares")
    return flat.reshape(shape[::-1]).T if fortran_order else flat.reshape(shape)


def _describe(error: BaseException) -> str:
    """A one-line description of a low-level error, without any advice to unpickle."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "pickle" in text.lower():
        text = "it holds pickled data, which is never loaded"
    return text
