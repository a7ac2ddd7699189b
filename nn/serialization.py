"""Model and weight files: one ``.npz`` archive each, readable with ``np.load(allow_pickle=False)``.

A file holds numeric arrays plus one JSON header, stored as a string array (never a pickle)::

    __lucidgrad__        JSON: format, kind ('model' or 'weights'), version, the weight names,
                         the sample input shape and, for a model, its architecture
                         (``layer_to_config``), compile settings and optimizer configuration
    weights/<name>       every parameter and buffer, by dotted name (``0.kernel``, ...)
    optimizer/<key>      with ``include_optimizer``: the optimizer's state arrays

Every file is written to a temporary file in the target's directory and then renamed over the
target, so a crash never leaves a half-written file. Reading refuses anything that is not such a
file with a ``ModelFileError`` that says what is wrong: not an archive, truncated or corrupt,
pickled objects, missing header, or weights whose names or shapes do not fit the model.
"""

from __future__ import annotations

import json
import os
import warnings
import zipfile
from pathlib import Path
from typing import Mapping

import numpy as np

from .files import atomic_path
from .module import Module, layer_from_config, layer_to_config

__all__ = [
    "ModelFileError",
    "save_state",
    "load_state",
    "save_model",
    "load_model",
    "save_weights",
    "load_weights",
    "atomic_path",
]

FORMAT = "lucidgrad"
VERSION = 1
HEADER = "__lucidgrad__"
WEIGHTS_PREFIX = "weights/"
OPTIMIZER_PREFIX = "optimizer/"


class ModelFileError(ValueError):
    """A file that cannot be read as a lucidgrad model or weights file, or does not fit."""


# ---------------------------------------------------------------------- plain array files
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
    a readable ``.npz`` archive (not a zip, truncated, corrupt, or holding pickled objects).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"no such file: {path}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ModelFileError(f"{path} is not an .npz archive (or is truncated): {error}") from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ModelFileError(f"{path} holds a single .npy array, not an .npz archive")
    entries = {}
    with archive:
        for name in archive.files:
            try:
                entries[name] = archive[name]
            except ValueError as error:
                if "allow_pickle" in str(error) or "Object arrays" in str(error):
                    raise ModelFileError(
                        f"{path}: entry {name!r} holds pickled Python objects, which are never "
                        "loaded (they could run arbitrary code)"
                    ) from None
                raise ModelFileError(f"{path}: entry {name!r} is unreadable: {error}") from None
            except (OSError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile) as error:
                raise ModelFileError(
                    f"{path}: entry {name!r} is corrupt or truncated: {error}"
                ) from None
    return entries


# ---------------------------------------------------------------------- headers
def _header_entry(header: dict) -> np.ndarray:
    return np.array(json.dumps(header, sort_keys=True))


def _read_header(path, entries: Mapping[str, np.ndarray], kinds: tuple[str, ...]) -> dict:
    raw = entries.get(HEADER)
    if raw is None:
        raise ModelFileError(
            f"{path} is not a lucidgrad file: it has no {HEADER!r} entry (entries: "
            f"{', '.join(sorted(entries)[:8]) or 'none'})"
        )
    try:
        header = json.loads(str(raw.reshape(())) if raw.dtype.kind == "U" else "")
    except (ValueError, TypeError) as error:
        raise ModelFileError(f"{path}: the {HEADER!r} entry is not valid JSON ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a lucidgrad file: its header has no format={FORMAT!r}")
    if header.get("version") != VERSION:
        raise ModelFileError(
            f"{path}: file format version {header.get('version')!r} is not supported (this "
            f"lucidgrad reads version {VERSION})"
        )
    if header.get("kind") not in kinds:
        wanted = " or ".join(repr(k) for k in kinds)
        raise ModelFileError(f"{path} is a lucidgrad {header.get('kind')!r} file, expected {wanted}")
    return header


def _weights_of(path, entries: Mapping[str, np.ndarray], header: dict) -> dict[str, np.ndarray]:
    weights = {
        name[len(WEIGHTS_PREFIX):]: array
        for name, array in entries.items()
        if name.startswith(WEIGHTS_PREFIX)
    }
    listed = header.get("weights", [])
    absent = [name for name in listed if name not in weights]
    if absent:
        raise ModelFileError(f"{path}: the header lists weights that are missing: {absent}")
    return weights


# ---------------------------------------------------------------------- weights
def _input_shape_of(model: Module) -> list | None:
    shape = getattr(model, "_input_shape", None)
    return None if shape is None else [None if n is None else int(n) for n in shape]


def save_weights(model: Module, path: str | os.PathLike) -> None:
    """Write every parameter and buffer of ``model`` to ``path`` (an ``.npz`` file)."""
    state = model.state_dict()
    header = {
        "format": FORMAT,
        "kind": "weights",
        "version": VERSION,
        "weights": list(state),
        "input_shape": _input_shape_of(model),
        "model_class": type(model).__name__,
    }
    entries = {HEADER: _header_entry(header)}
    entries.update((WEIGHTS_PREFIX + name, array) for name, array in state.items())
    save_state(path, entries)


def load_weights(model: Module, path: str | os.PathLike) -> None:
    """Load the weights in ``path`` (from ``save_weights`` or ``save_model``) into ``model``.

    Every name must match and every shape must agree; otherwise ``ModelFileError`` lists the
    missing, unexpected and mismatched entries (expected vs found) and nothing is changed.
    """
    entries = load_state(path)
    header = _read_header(path, entries, ("weights", "model"))
    _build_if_needed(model, header)
    _load_checked(model, path, _weights_of(path, entries, header))


def _build_if_needed(model: Module, header: dict) -> None:
    if all(m.built for m in model.modules()):
        return
    shape = header.get("input_shape")
    if shape is not None:
        model.build((None,) + tuple(shape))


def _load_checked(model: Module, path, weights: Mapping[str, np.ndarray]) -> None:
    expected = {name: p.data for name, p in model.named_parameters()}
    expected.update(model.named_buffers())
    problems = []
    missing = [name for name in expected if name not in weights]
    unexpected = [name for name in weights if name not in expected]
    if missing:
        problems.append("missing in the file: " + ", ".join(missing))
    if unexpected:
        problems.append("not in the model: " + ", ".join(unexpected))
    for name, target in expected.items():
        found = weights.get(name)
        if found is None:
            continue
        if found.shape != target.shape:
            problems.append(f"{name}: the model expects shape {target.shape}, the file has {found.shape}")
        elif found.dtype.kind not in "fiub":
            problems.append(f"{name}: the file holds dtype {found.dtype}, expected numbers")
    if problems:
        hint = ""
        if not all(m.built for m in model.modules()):
            hint = " (the model is not built: call build(input_shape) first)"
        raise ModelFileError(
            f"{path}: the weights do not fit this {type(model).__name__}{hint}:\n  - "
            + "\n  - ".join(problems)
        )
    model.load_state_dict(dict(weights))


# ---------------------------------------------------------------------- whole models
def _to_json_value(value):
    if isinstance(value, np.generic):
        return value.item()
    return value


def _loss_spec(spec) -> dict | None:
    """How to rebuild the compiled loss with ``nn.losses.get``, or None when it cannot be."""
    from . import losses

    if isinstance(spec, str):
        return {"name": spec}
    if isinstance(spec, dict) and "class_name" in spec:
        candidate = spec
    elif isinstance(spec, losses.Loss):
        candidate = {"class_name": type(spec).__name__, "config": spec.get_config()}
    elif callable(spec) and getattr(spec, "__name__", None):
        candidate = {"name": spec.__name__}
    else:
        return None
    try:
        rebuilt = losses.get(candidate.get("name") or candidate)
    except (ValueError, TypeError):
        return None
    if isinstance(spec, losses.Loss) and type(rebuilt) is not type(spec):
        return None
    return candidate


def _is_named_metric(name: str) -> bool:
    from .training import metrics

    try:
        metrics.get(name)
    except (ValueError, TypeError):
        return False
    return True


def _optimizer_entries(model, optimizer) -> tuple[dict, dict]:
    """The optimizer's header section and its arrays (keyed for the archive)."""
    names = {id(p): name for name, p in model.named_parameters()}
    params = getattr(optimizer, "params", [])
    unknown = [i for i, p in enumerate(params) if id(p) not in names]
    if unknown:
        raise ValueError(
            f"save: the optimizer updates {len(unknown)} tensor(s) that are not parameters of "
            f"this model (positions {unknown}); save with include_optimizer=False"
        )
    scalars, arrays = {}, {}
    for key, value in optimizer.state_dict().items():
        if isinstance(value, np.ndarray):
            arrays[OPTIMIZER_PREFIX + key] = value
        else:
            scalars[key] = _to_json_value(value)
    section = {
        "config": {k: _to_json_value(v) for k, v in optimizer.get_config().items()},
        "params": [names[id(p)] for p in params],
        "scalars": scalars,
        "arrays": sorted(key[len(OPTIMIZER_PREFIX):] for key in arrays),
    }
    return section, arrays


def save_model(model, path: str | os.PathLike, include_optimizer: bool = True) -> None:
    """Write ``model`` (architecture, weights, compile settings and, with ``include_optimizer``,
    the optimizer state) to ``path``, atomically. The model's class must be registered with
    ``nn.module.register_layer`` (``Sequential`` and the built-in layers are)."""
    architecture = layer_to_config(model)
    state = model.state_dict()
    header = {
        "format": FORMAT,
        "kind": "model",
        "version": VERSION,
        "architecture": architecture,
        "weights": list(state),
        "input_shape": _input_shape_of(model),
        "compile": None,
        "optimizer": None,
    }
    entries = {WEIGHTS_PREFIX + name: array for name, array in state.items()}
    compiled = getattr(model, "_compiled", None)
    if compiled is not None:
        metric_names = [m.name for m in compiled.metrics if _is_named_metric(m.name)]
        header["compile"] = {"loss": _loss_spec(compiled.loss_spec), "metrics": metric_names}
        if include_optimizer and hasattr(compiled.optimizer, "state_dict"):
            section, arrays = _optimizer_entries(model, compiled.optimizer)
            header["optimizer"] = section
            entries.update(arrays)
        elif hasattr(compiled.optimizer, "get_config"):
            header["optimizer"] = {"config": compiled.optimizer.get_config()}
    entries[HEADER] = _header_entry(header)
    save_state(path, entries)


def load_model(path: str | os.PathLike, compile: bool = True):
    """Rebuild a model saved by ``Model.save``: architecture, weights and, when the file has
    them and ``compile`` is true, the compile settings and optimizer state (so training resumes
    exactly where it stopped)."""
    entries = load_state(path)
    header = _read_header(path, entries, ("model",))
    try:
        model = layer_from_config(header["architecture"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{path}: cannot rebuild the architecture: {error}") from None
    shape = header.get("input_shape")
    if shape is not None and hasattr(model, "_input_shape"):
        model._input_shape = tuple(shape)
    _build_if_needed(model, header)
    _load_checked(model, path, _weights_of(path, entries, header))
    if compile and header.get("compile") and header["compile"].get("loss"):
        _restore_compile(model, path, header, entries)
    return model


def _restore_compile(model, path, header: dict, entries: Mapping[str, np.ndarray]) -> None:
    from . import losses, optim

    settings = header["compile"]
    section = header.get("optimizer") or {}
    if not section.get("config"):
        warnings.warn(
            f"{path}: the optimizer was not saved (it has no get_config), so the model is "
            "returned uncompiled; call compile() before training",
            RuntimeWarning,
            stacklevel=3,
        )
        return
    optimizer = optim.get(section["config"])
    loss = settings["loss"]
    loss = loss["name"] if "name" in loss else losses.get(loss)
    model.compile(optimizer=optimizer, loss=loss, metrics=settings.get("metrics") or None)
    if "scalars" not in section:
        return
    by_name = dict(model.named_parameters())
    missing = [name for name in section["params"] if name not in by_name]
    if missing:
        raise ModelFileError(f"{path}: the optimizer state refers to unknown parameters {missing}")
    optimizer.add_params([by_name[name] for name in section["params"]])
    state = dict(section["scalars"])
    for key in section["arrays"]:
        array = entries.get(OPTIMIZER_PREFIX + key)
        if array is None:
            raise ModelFileError(f"{path}: the optimizer state array {key!r} is missing")
        state[key] = array
    try:
        optimizer.load_state_dict(state)
    except (ValueError, KeyError, TypeError) as error:
        raise ModelFileError(f"{path}: the optimizer state does not fit: {error}") from None
