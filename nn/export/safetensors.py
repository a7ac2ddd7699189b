"""``.safetensors`` files: named arrays behind a JSON header, readable without pickle.

The format PyTorch users and model hubs share: a little-endian header length, a JSON header
(each tensor's dtype, shape and byte range, plus optional string metadata) and the raw bytes.
Nothing in it can run code. Written atomically; every problem reading one is a
``SafetensorsError`` naming the file.
"""
import os
from pathlib import Path

import numpy as np

from ..files import atomic_path
from ..serialization import ModelFileError
from ._deps import require

__all__ = ["SafetensorsError", "save_safetensors", "load_safetensors"]


class SafetensorsError(ModelFileError):
    """A file that is not a readable ``.safetensors`` file, or arrays that cannot be stored."""


def save_safetensors(tensors, path, metadata=None):
    """Write ``tensors`` (name -> numeric or boolean array) to ``path``, atomically.
    ``metadata`` is an optional dict of strings stored in the header."""
    numpy_format = require("safetensors.numpy", "Writing .safetensors files")
    arrays = {}
    for name, value in tensors.items():
        if not isinstance(name, str) or not name:
            raise SafetensorsError(f"save_safetensors: tensor names must be non-empty strings, got {name!r}")
        array = np.asarray(value)
        if array.dtype.kind not in "fiub":
            raise SafetensorsError(f"save_safetensors: {name!r} has dtype {array.dtype}; only "
                                   "numeric and boolean arrays can be stored")
        arrays[name] = np.ascontiguousarray(array)
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str)
                                        for k, v in metadata.items()):
        raise SafetensorsError("save_safetensors: metadata must map strings to strings")
    data = numpy_format.save(arrays, metadata=metadata)
    with atomic_path(path) as temporary:
        Path(temporary).write_bytes(data)


def load_safetensors(path):
    """Read every tensor of the ``.safetensors`` file ``path`` into a dict of numpy arrays."""
    numpy_format = require("safetensors.numpy", "Reading .safetensors files")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return dict(numpy_format.load_file(path))
    except Exception as error:  # safetensors raises its own error type, and others on bad headers
        raise SafetensorsError(f"{path} is not a readable .safetensors file: {error}") from None
