"""Model and weight files: one ``.npz`` archive each, readable with ``np.load(allow_pickle=False)``.

A file holds numeric arrays plus one JSON header, stored as a string array (never a pickle)::

    __lucidgrad__        JSON: format, kind ('model' or 'weights'), version, the weight names,
                         the sample input shape and, for a model, its architecture
                         (``layer_to_config``), compile settings and optimizer configuration
                         (the fields are listed in ``nn.model_header``)
    weights/<name>       every parameter and buffer, by dotted name (``0.kernel``, ...)
    optimizer/<key>      with ``include_optimizer``: the optimizer's state arrays

Every file is written to a temporary file in the target's directory and then renamed over the
target, so a crash never leaves a half-written file.

Reading trusts nothing in the file. The archive is read within bounds (``nn.npz_archive``), the
header is checked field by field (``nn.model_header``), and the weight shapes the architecture
implies (``Module.weight_shapes_from_config``) are compared with the stored arrays before any
layer is built, so a header cannot make the loader allocate much more than the file's size.
Weights are checked in full (names, shapes, finite real numbers) before the first is assigned.
Every problem is a ``ModelFileError`` that names the file and says what is wrong: not an
archive, truncated or corrupt, pickled objects, a missing or malformed header field, or weights
whose names or shapes do not fit the model.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Mapping

import numpy as np

from .files import atomic_path
from .model_header import FORMAT, HEADER, VERSION, header_entry, read_header
from .module import Module, layer_from_config, layer_to_config, weight_shapes_from_config
from .npz_archive import ModelFileError, load_state, save_state

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

WEIGHTS_PREFIX = "weights/"
OPTIMIZER_PREFIX = "optimizer/"
# what a layer's constructor or a loss / optimizer factory raises for a config it refuses
_REFUSED = (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError,
            RecursionError, ZeroDivisionError)


def _weights_of(path, entries: Mapping[str, np.ndarray], header: dict) -> dict[str, np.ndarray]:
    weights = {
        name[len(WEIGHTS_PREFIX):]: array
        for name, array in entries.items()
        if name.startswith(WEIGHTS_PREFIX)
    }
    absent = [name for name in header["weights"] if name not in weights]
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
    entries = {HEADER: header_entry(header)}
    entries.update((WEIGHTS_PREFIX + name, array) for name, array in state.items())
    save_state(path, entries)


def load_weights(model: Module, path: str | os.PathLike) -> None:
    """Load the weights in ``path`` (from ``save_weights`` or ``save_model``) into ``model``.

    Every name must match and every shape must agree; otherwise ``ModelFileError`` lists the
    missing, unexpected and mismatched entries (expected vs found) and no weight is changed.
    A model that is not built yet is built for the file's input shape first (and stays built),
    as long as one sample of that shape is no larger than the stored weights.
    """
    entries = load_state(path)
    header = read_header(path, entries, ("weights", "model"))
    weights = _weights_of(path, entries, header)
    _build_if_needed(model, path, header, weights)
    _load_checked(model, path, weights)


def _build_if_needed(model: Module, path, header: dict, weights: Mapping[str, np.ndarray]) -> None:
    """Build a lazily sized ``model`` for the file's input shape so that its weights exist.

    Building runs one sample through the model; the file decides that sample's shape, so it
    must hold at least as many stored values as the sample has (a file cannot make the loader
    allocate much more than its own size).
    """
    if all(m.built for m in model.modules()) or not weights:
        return
    shape = header.get("input_shape")
    if shape is None:
        return
    sample = math.prod(1 if n is None else n for n in shape)
    stored = sum(array.size for array in weights.values())
    if sample > stored:
        raise ModelFileError(
            f"{path}: building the model needs one sample of shape {tuple(shape)} ({sample} "
            f"values), more than all the stored weights ({stored} values); build the model "
            "yourself (model.build(...)) before loading these weights"
        )
    try:
        model.build((None,) + tuple(shape))
    except _REFUSED as error:
        raise ModelFileError(f"{path}: the model cannot be built for the file's input shape "
                             f"{tuple(shape)}: {error}") from None


def _shape_problems(expected: Mapping[str, tuple], weights: Mapping[str, np.ndarray]) -> list:
    """What differs between the expected weight shapes and the stored arrays."""
    problems = []
    missing = [name for name in expected if name not in weights]
    unexpected = [name for name in weights if name not in expected]
    if missing:
        problems.append("missing in the file: " + ", ".join(missing))
    if unexpected:
        problems.append("not in the model: " + ", ".join(unexpected))
    for name, shape in expected.items():
        found = weights.get(name)
        if found is not None and found.shape != tuple(shape):
            problems.append(f"{name}: the model expects shape {tuple(shape)}, the file has "
                            f"{found.shape}")
    return problems


def _load_checked(model: Module, path, weights: Mapping[str, np.ndarray]) -> None:
    expected = {name: p.data.shape for name, p in model.named_parameters()}
    expected.update((name, array.shape) for name, array in model.named_buffers())
    problems = _shape_problems(expected, weights)
    if not problems:
        try:
            model.load_state_dict(dict(weights))
            return
        except ValueError as error:
            problems.append(str(error).split(": ", 1)[-1])
    hint = ""
    if not all(m.built for m in model.modules()):
        hint = " (the model is not built: call build(input_shape) first)"
    raise ModelFileError(
        f"{path}: the weights do not fit this {type(model).__name__}{hint}:\n  - "
        + "\n  - ".join(problems)
    )


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
    entries[HEADER] = header_entry(header)
    save_state(path, entries)


def load_model(path: str | os.PathLike, compile: bool = True):
    """Rebuild a model saved by ``Model.save``: architecture, weights and, when the file has
    them and ``compile`` is true, the compile settings and optimizer state (so training resumes
    exactly where it stopped).

    The file is checked before anything is built: its header field by field, and the weight
    shapes its architecture implies (``weight_shapes_from_config``) against the stored arrays,
    so a header cannot make the loader allocate much more than the file's size. Every problem
    is a ``ModelFileError`` naming the file.
    """
    entries = load_state(path)
    header = read_header(path, entries, ("model",))
    weights = _weights_of(path, entries, header)
    architecture = header["architecture"]
    try:
        expected = weight_shapes_from_config(architecture)
    except _REFUSED as error:
        raise ModelFileError(f"{path}: header field 'architecture' describes a model that cannot "
                             f"be built: {_reason(error)}") from None
    if expected is not None:
        _check_planned_weights(path, expected, weights)
    try:
        model = layer_from_config(architecture)
    except _REFUSED as error:
        raise ModelFileError(f"{path}: cannot rebuild the architecture: {_reason(error)}") from None
    shape = header.get("input_shape")
    if shape is not None and hasattr(model, "_input_shape"):
        model._input_shape = tuple(shape)
    if expected is None:  # some layer class cannot tell its shapes before it is built
        _build_if_needed(model, path, header, weights)
    _load_checked(model, path, weights)
    if compile and header.get("compile") and header["compile"].get("loss"):
        _restore_compile(model, path, header, entries)
    return model


def _check_planned_weights(path, expected: Mapping[str, tuple], weights) -> None:
    """Compare the weights the architecture will create with the stored ones, before building.

    The weights of a layer with a size that waits for the first input (a lazily built layer)
    cannot be checked, so the file must not store them; such layers stay unbuilt, as they were
    when the model was saved.
    """
    waiting = {name.rpartition(".")[0] for name, shape in expected.items() if None in shape}
    lazy = [name for name in expected if name.rpartition(".")[0] in waiting]
    planned = {name: shape for name, shape in expected.items() if name not in lazy}
    stored_lazy = [name for name in lazy if name in weights]
    problems = _shape_problems(planned, {k: v for k, v in weights.items() if k not in lazy})
    if stored_lazy:
        problems.append("stored for layers whose config gives no input size (the model was "
                        "never built, so nothing can be stored for them): "
                        + ", ".join(stored_lazy))
    if problems:
        raise ModelFileError(
            f"{path}: the weights do not fit the architecture in the header:\n  - "
            + "\n  - ".join(problems)
        )


def _reason(error: BaseException) -> str:
    return "it nests too deeply" if isinstance(error, RecursionError) else str(error)


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
    try:
        optimizer = optim.get(section["config"])
    except _REFUSED as error:
        raise ModelFileError(f"{path}: header field 'optimizer.config' is refused: "
                             f"{_reason(error)}") from None
    loss = settings["loss"]
    try:
        loss = loss["name"] if "name" in loss else losses.get(loss)
        model.compile(optimizer=optimizer, loss=loss, metrics=settings.get("metrics") or None)
    except _REFUSED as error:
        raise ModelFileError(f"{path}: header field 'compile' is refused: {_reason(error)}") from None
    if "scalars" not in section:
        return
    by_name = dict(model.named_parameters())
    missing = [name for name in section["params"] if name not in by_name]
    if missing:
        raise ModelFileError(f"{path}: the optimizer state refers to unknown parameters {missing}")
    state = dict(section["scalars"])
    for key in section["arrays"]:
        array = entries.get(OPTIMIZER_PREFIX + key)
        if array is None:
            raise ModelFileError(f"{path}: the optimizer state array {key!r} is missing")
        state[key] = array
    optimizer.add_params([by_name[name] for name in section["params"]])
    try:
        optimizer.load_state_dict(state)
    except _REFUSED as error:
        raise ModelFileError(f"{path}: the optimizer state does not fit: {_reason(error)}") from None
