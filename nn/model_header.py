"""The JSON header of model, weights and state files: written by ``save_model`` /
``save_weights`` / ``nn.save``, checked field by field when a file is read, before anything is
built from it.

A header is a JSON object stored as a 0-d string array under ``__lucidgrad__``::

    format        "lucidgrad"
    version       1
    kind          "model", "weights" or "state" (``nn.save``, whose header holds "values",
                  the JSON leaves of the saved dict by path, and "arrays", the paths of its
                  arrays, instead of the fields below)
    weights       the names of the stored weights (a list of strings)
    input_shape   one sample's shape (a list of positive ints or nulls), or null
    model_class   the saved model's class name (weights files)
    architecture  {"class_name": ..., "config": {...}} (model files, ``layer_to_config``)
    compile       null or {"loss": null | {"name": ...} | {"class_name": ..., "config": ...},
                           "metrics": [names]}
    optimizer     null or {"config": {"name": ..., ...}, and, with its state,
                           "params": [parameter names], "scalars": {...}, "arrays": [keys]}

Any field of the wrong type, missing or nested absurdly deep is a ``ModelFileError`` that names
the file and the field (``compile.loss``, ``optimizer.params[2]``, ...).
"""

from __future__ import annotations

import json
from typing import Mapping

import numpy as np

from .npz_archive import ModelFileError
from .validation import short_repr

__all__ = ["FORMAT", "VERSION", "HEADER", "MAX_DEPTH", "header_entry", "read_header"]

FORMAT = "lucidgrad"
VERSION = 1
HEADER = "__lucidgrad__"
MAX_DEPTH = 64
"""How deeply the header's JSON may nest (a model of nested Sequentials is a few levels)."""
MAX_INPUT_DIMS = 32


def header_entry(header: dict) -> np.ndarray:
    """The header as the archive stores it: a 0-d string array of its JSON."""
    return np.array(json.dumps(header, sort_keys=True))


def read_header(path, entries: Mapping[str, np.ndarray], kinds: tuple[str, ...]) -> dict:
    """The checked header of a file whose arrays are ``entries``; ``kinds`` are the kinds the
    caller can read. Raises ``ModelFileError`` naming the file and the field at fault."""
    raw = entries.get(HEADER)
    if raw is None:
        raise ModelFileError(
            f"{path} is not a lucidgrad file: it has no {HEADER!r} entry (entries: "
            f"{', '.join(sorted(entries)[:8]) or 'none'})"
        )
    if raw.dtype.kind != "U" or raw.shape != ():
        raise ModelFileError(f"{path}: the {HEADER!r} entry is not valid JSON (it is a "
                             f"{raw.dtype} array of shape {raw.shape}, not one string)")
    try:
        header = json.loads(str(raw))
    except (ValueError, RecursionError) as error:
        reason = "it nests too deeply" if isinstance(error, RecursionError) else str(error)
        raise ModelFileError(f"{path}: the {HEADER!r} entry is not valid JSON ({reason})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a lucidgrad file: its header has no format={FORMAT!r}")
    if type(header.get("version")) is not int or header["version"] != VERSION:
        raise ModelFileError(
            f"{path}: file format version {header.get('version')!r} is not supported (this "
            f"lucidgrad reads version {VERSION})"
        )
    if header.get("kind") not in kinds:
        wanted = " or ".join(repr(k) for k in kinds)
        raise ModelFileError(f"{path} is a lucidgrad {short_repr(header.get('kind'))} file, expected {wanted}")
    fields = _Fields(path)
    fields.check_depth(header, "header")
    if header["kind"] == "state":  # nn.save
        fields.expect(header, "values", lambda v: isinstance(v, dict), "an object",
                      required=False)
        fields.names(header, "arrays", required=False)
        return header
    fields.names(header, "weights", required=True)
    fields.input_shape(header)
    if header["kind"] == "weights":
        fields.expect(header, "model_class", lambda v: v is None or isinstance(v, str),
                      "a string", required=False)
    else:
        fields.expect(header, "architecture", lambda v: isinstance(v, dict), "an object",
                      required=True)
        fields.compile_section(header)
        fields.optimizer_section(header)
    return header


class _Fields:
    """Checks of header fields; every failure names the file and the field."""

    def __init__(self, path):
        self.path = path

    def fail(self, field, expected, value):
        raise ModelFileError(f"{self.path}: header field {field!r} must be {expected}, got "
                             f"{short_repr(value)}")

    def expect(self, section, key, test, expected, required, prefix=""):
        """Check ``section[key]`` with ``test``; returns the value (None when absent)."""
        field = prefix + key
        if key not in section:
            if required:
                raise ModelFileError(f"{self.path}: header field {field!r} is missing")
            return None
        value = section[key]
        if not test(value):
            self.fail(field, expected, value)
        return value

    def names(self, section, key, required=False, prefix=""):
        """A list of distinct strings."""
        names = self.expect(section, key, lambda v: isinstance(v, list), "a list of names",
                            required, prefix)
        for index, name in enumerate(names or []):
            if not isinstance(name, str):
                self.fail(f"{prefix}{key}[{index}]", "a string", name)
        if names is not None and len(set(names)) != len(names):
            self.fail(prefix + key, "a list of distinct names", names)
        return names

    def check_depth(self, value, field, depth=0):
        if depth > MAX_DEPTH:
            raise ModelFileError(f"{self.path}: header field {field!r} nests more than "
                                 f"{MAX_DEPTH} levels deep")
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                self.check_depth(child, field, depth + 1)

    def input_shape(self, header):
        def valid(shape):
            return shape is None or (isinstance(shape, list) and len(shape) <= MAX_INPUT_DIMS and all(
                n is None or (type(n) is int and n >= 1) for n in shape))

        self.expect(header, "input_shape", valid,
                    f"null or a list of at most {MAX_INPUT_DIMS} positive ints or nulls",
                    required=False)

    def compile_section(self, header):
        section = self.expect(header, "compile", lambda v: v is None or isinstance(v, dict),
                              "null or an object", required=False)
        if not section:
            return
        self.expect(section, "loss", _is_loss_spec,
                    "null, {'name': ...} or {'class_name': ..., 'config': {...}}",
                    required=True, prefix="compile.")
        if section.get("metrics") is not None:
            self.names(section, "metrics", prefix="compile.")

    def optimizer_section(self, header):
        section = self.expect(header, "optimizer", lambda v: v is None or isinstance(v, dict),
                              "null or an object", required=False)
        if not section:
            return
        config = self.expect(section, "config", lambda v: v is None or isinstance(v, dict),
                             "null or an object", required=False, prefix="optimizer.")
        if config is not None:
            self.expect(config, "name", lambda v: isinstance(v, str), "a string", required=True,
                        prefix="optimizer.config.")
        if "scalars" not in section:
            return
        self.expect(section, "scalars", lambda v: isinstance(v, dict) and all(
            isinstance(x, (str, int, float, bool)) for x in v.values()),
            "an object of numbers and strings", required=True, prefix="optimizer.")
        self.names(section, "params", required=True, prefix="optimizer.")
        self.names(section, "arrays", required=True, prefix="optimizer.")


def _is_loss_spec(value):
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    if "name" in value:
        return isinstance(value["name"], str)
    return isinstance(value.get("class_name"), str) and isinstance(value.get("config", {}),
                                                                    (dict, type(None)))
