"""``nn.save`` / ``nn.load``: a state dict to a file and back in one call, as in PyTorch.

    nn.save(model.state_dict(), "weights.npz")        # or nn.save(model, ...)
    model.load_state_dict(nn.load("weights.npz"))
    nn.save({"epoch": 3, "model": model.state_dict(),
             "optimizer": optimizer.state_dict()}, "checkpoint.npz")

The file is an ``.npz`` archive written atomically by ``serialization.save_state`` and read
without pickle: arrays (numpy arrays, numpy scalars, ``Tensor`` data) are entries of their own,
Python numbers, strings, booleans, None and lists of them go into the file's JSON header, and
nested dicts (string keys without ``/``) come back nested (a numpy scalar comes back as a 0-d
array, a tuple is refused rather than turned into a list). ``nn.load`` also reads the weights of
a model or weights file (``Model.save``, ``save_weights``) as a state dict, and any plain
``.npz`` archive as a dict of its arrays.
"""
from __future__ import annotations

import json
import os
from typing import Mapping

import numpy as np

from autograd import Tensor

__all__ = ["save", "load"]

KIND = "state"
ARRAYS_PREFIX = "state/"


def save(obj, path: str | os.PathLike) -> None:
    """Write ``obj`` to ``path``: a dict (a state dict, maybe nested), or a module or optimizer
    (its ``state_dict()``). Objects of other kinds are refused: nothing is pickled."""
    from .serialization import FORMAT, HEADER, VERSION, save_state

    if hasattr(obj, "state_dict") and not isinstance(obj, Mapping):
        obj = obj.state_dict()
    if not isinstance(obj, Mapping):
        raise TypeError(f"nn.save: expected a state dict, a module or an optimizer, got "
                        f"{type(obj).__name__}")
    values, arrays = {}, {}
    _split(obj, "", values, arrays)
    header = {"format": FORMAT, "kind": KIND, "version": VERSION, "values": values,
              "arrays": sorted(arrays)}
    entries = {HEADER: np.array(json.dumps(header, sort_keys=True))}
    entries.update((ARRAYS_PREFIX + key, array) for key, array in arrays.items())
    save_state(path, entries)


def load(path: str | os.PathLike) -> dict:
    """Read what ``nn.save`` wrote (the same dict, arrays as numpy arrays); the weights of a
    model or weights file as ``{name: array}``; a plain ``.npz`` as ``{name: array}``.

    The file is read as the model loader reads it (bounded, header checked field by field);
    every problem is a ``ModelFileError`` naming the file."""
    from .model_header import read_header
    from .serialization import HEADER, WEIGHTS_PREFIX, ModelFileError, load_state

    entries = load_state(path)
    if HEADER not in entries:
        return entries
    header = read_header(path, entries, ("state", "model", "weights"))
    entries.pop(HEADER)
    if header["kind"] in ("model", "weights"):
        return {name[len(WEIGHTS_PREFIX):]: array for name, array in entries.items()
                if name.startswith(WEIGHTS_PREFIX)}
    listed = header.get("arrays", [])
    missing = [key for key in listed if ARRAYS_PREFIX + key not in entries]
    if missing:
        raise ModelFileError(f"{path}: the header lists arrays that are missing: {missing}")
    state = {}
    try:
        for key, value in header.get("values", {}).items():
            _put(state, key, value)
        for key in listed:
            _put(state, key, entries[ARRAYS_PREFIX + key])
    except ValueError as error:
        raise ModelFileError(f"{path}: header field 'values' or 'arrays': {error}") from None
    return state


def _split(mapping, prefix, values, arrays) -> None:
    """Sort the leaves of ``mapping`` into JSON ``values`` and ``arrays``, keyed by their path
    (``outer/inner``)."""
    for key, value in mapping.items():
        if not isinstance(key, str) or not key or "/" in key:
            raise TypeError(f"nn.save: keys must be non-empty strings without '/', got {key!r}"
                            + (f" inside {prefix[:-1]!r}" if prefix else ""))
        path = prefix + key
        if isinstance(value, Mapping):
            if not value:
                values[path] = {}
            _split(value, path + "/", values, arrays)
        elif isinstance(value, (np.ndarray, np.generic, Tensor)):
            arrays[path] = np.asarray(value.data if isinstance(value, Tensor) else value)
        elif _plain(value):
            values[path] = value
        else:
            raise TypeError(f"nn.save: {path!r} holds a {type(value).__name__}; only arrays, "
                            "numbers, strings, booleans, None, lists of them and dicts are "
                            "saved (nothing is pickled)")


def _plain(value) -> bool:
    """A JSON value that reads back as it was: numbers, strings, booleans, None, lists."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    return isinstance(value, list) and all(_plain(item) for item in value)


def _put(state: dict, path: str, value) -> None:
    """Place ``value`` at ``path`` (``outer/inner``) in the nested dict ``state``; a ValueError
    when the path is empty somewhere or runs through a value that is not a dict."""
    *outer, last = path.split("/")
    if not all((*outer, last)):
        raise ValueError(f"the path {path!r} has an empty part")
    for key in outer:
        state = state.setdefault(key, {})
        if not isinstance(state, dict):
            raise ValueError(f"the path {path!r} runs through a value that is not a dict")
    if isinstance(value, dict) and not value:
        state.setdefault(last, {})
    elif isinstance(state.get(last), dict) and state[last]:
        raise ValueError(f"the path {path!r} is also a dict of other values")
    else:
        state[last] = value
