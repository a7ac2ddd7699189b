"""Weights from Keras 3 files (``.weights.h5``, or the ``.keras`` archive) into a ``Sequential``.

The layout, as Keras 3's ``saving_lib`` writes it (checked against its ``_save_state``,
``_save_container_state``, ``H5IOStore`` and ``Layer.save_own_variables``):

    model.weights.h5 / x.weights.h5     an HDF5 file
        vars/                           the model's own variables (none for a Sequential)
        layers/<name>/vars/0, 1, ...    each layer's variables in creation order, trainable
                                        ones first
    x.keras                             a zip archive: config.json (the architecture),
                                        metadata.json, model.weights.h5 (as above)

``<name>`` is the layer's class name in snake case, numbered per class in the order of
``model.layers``: ``dense``, ``dense_1``, ``conv2d``, ``batch_normalization``, ... (not the
layer's own ``name``). The variables of the layers we share:

    Dense                 0 kernel (in, units)        1 bias
    Conv1D/2D/3D          0 kernel (*kernel_size, in / groups, filters)   1 bias
    BatchNormalization    gamma (if scale), beta (if center), moving_mean, moving_variance

Pooling, Dropout, Flatten and activations have none. Keras's convolutions default to channels
last, ours are channels first: kernels are transposed to ``(filters, in / groups, *kernel)``,
and the rows of the first Dense (and a BatchNormalization) after a ``Flatten`` of a
channels-last feature map are reordered from (H, W, C) to our (C, H, W). Feed the lucidgrad
model channels-first inputs (``x.transpose(0, 3, 1, 2)`` for NHWC images). Dense layers load
into ``Dense`` or ``Linear`` (transposed), convolutions into ``ConvND`` / ``Conv1D-3D`` or
``Conv1d-3d``, batch norms into ``BatchNormalization`` or ``BatchNorm1d-3d``.
"""
import io
import json
import os
import zipfile

import numpy as np

from ..layers import (BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormalization, Conv1d, Conv2d,
                      Conv3d, ConvND, Dense, Flatten, Linear)
from ..serialization import ModelFileError
from ._deps import require
from .trace import example_inputs_for, run_eval

__all__ = ["KerasWeightsError", "read_keras_weights", "keras_weights_to_state", "load_keras_weights"]

WEIGHTS_IN_ARCHIVE = "model.weights.h5"
_TORCH_CONV = (Conv1d, Conv2d, Conv3d)
_TORCH_BATCH_NORM = (BatchNorm1d, BatchNorm2d, BatchNorm3d)


class KerasWeightsError(ModelFileError):
    """A file that is not a Keras 3 weights file, or weights that do not fit the model."""


def read_keras_weights(path):
    """The weights of a Keras 3 file: ``({'layers/dense': [kernel, bias], ...}, config)``, where
    ``config`` is the parsed ``config.json`` of a ``.keras`` archive (None for ``.weights.h5``)."""
    h5py = require("h5py", "Reading Keras weights")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path}")
    config = None
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if WEIGHTS_IN_ARCHIVE not in names:
                raise KerasWeightsError(f"{path} is a zip archive without {WEIGHTS_IN_ARCHIVE}; "
                                        f"a .keras file holds config.json and {WEIGHTS_IN_ARCHIVE} "
                                        f"(found: {', '.join(names[:6]) or 'nothing'})")
            if "config.json" in names:
                try:
                    config = json.loads(archive.read("config.json"))
                except ValueError as error:
                    raise KerasWeightsError(f"{path}: config.json is not valid JSON ({error})") from None
            source = io.BytesIO(archive.read(WEIGHTS_IN_ARCHIVE))
    else:
        source = path
    try:
        with h5py.File(source, "r") as h5:
            return _layer_variables(h5, path), config
    except OSError as error:
        raise KerasWeightsError(f"{path} is neither a Keras .weights.h5 (HDF5) file nor a .keras "
                                f"archive: {error}") from None


def _layer_variables(h5, path):
    if "layers" not in h5:
        legacy = " (this looks like a Keras 2 .h5 file, which is not supported)" \
            if "model_weights" in h5 or "layer_names" in h5.attrs else ""
        raise KerasWeightsError(f"{path} is not a Keras 3 weights file: it has no 'layers' "
                                f"group{legacy}; groups: {', '.join(list(h5)[:8]) or 'none'}")
    groups = {}
    for name, layer in h5["layers"].items():
        variables = layer.get("vars") if hasattr(layer, "get") else None
        if variables is None:
            continue
        keys = sorted(variables, key=lambda k: (not k.isdigit(), int(k) if k.isdigit() else k))
        if keys and not all(k.isdigit() for k in keys):
            raise KerasWeightsError(f"{path}: layers/{name}/vars holds {keys}; expected 0, 1, ...")
        groups[f"layers/{name}"] = [np.asarray(variables[k]) for k in keys]
    return groups


def _keras_class(layer):
    """The snake-case Keras class name a lucidgrad layer corresponds to, or None (no weights)."""
    if isinstance(layer, (Dense, Linear)):
        return "dense"
    if isinstance(layer, (ConvND,) + _TORCH_CONV):
        return f"conv{layer.rank}d"
    if isinstance(layer, (BatchNormalization,) + _TORCH_BATCH_NORM):
        return "batch_normalization"
    return None


def _spatial_flatten_inputs(model, input_shape):
    """For each ``Flatten`` of ``model`` (by index) whose input has spatial axes, that input's
    per-sample shape ``(C, *spatial)``; found by running zeros of one sample's ``input_shape``
    (default: the shape the model knows) through the layers."""
    layers = model.layers
    if not any(isinstance(layer, Flatten) for layer in layers):
        return {}
    if input_shape is not None:
        x = np.zeros((1,) + tuple(input_shape), dtype=np.float32)
    else:
        try:
            (x,) = example_inputs_for(model, None, batch=1)
        except ValueError:
            raise KerasWeightsError(
                "a channels-last Keras model flattens its features in (H, W, C) order; to reorder "
                "them this model's input shape is needed: pass input_shape=(C, H, W)") from None
    shapes = {}
    with model.mode(False):
        for index, layer in enumerate(layers):
            if isinstance(layer, Flatten) and x.ndim > 2:
                shapes[index] = x.shape[1:]
            (x,) = run_eval(layer, [x])
    return shapes


def _channels_last_rows(array, feature_shape):
    """Reorder axis 0 of ``array`` from channels-last flattening (*spatial, C) to ours (C, *spatial)."""
    channels, spatial = feature_shape[0], tuple(feature_shape[1:])
    moved = np.moveaxis(array.reshape(spatial + (channels,) + array.shape[1:]), len(spatial), 0)
    return moved.reshape(array.shape)


def keras_weights_to_state(model, groups, data_format="channels_last", input_shape=None):
    """Our ``state_dict`` entries (name -> array) for the Keras ``groups`` of
    ``read_keras_weights``, matched to the layers of the ``Sequential`` ``model``.

    ``data_format`` is the Keras model's (it decides the order of the features that a
    ``Flatten`` hands to the next Dense or BatchNormalization); ``input_shape`` is one sample's
    shape, channels first (needed then, unless the model knows it). Raises ``KerasWeightsError``
    listing every layer that does not fit.
    """
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    if not hasattr(model, "layers"):
        raise KerasWeightsError(f"Keras weights load into a Sequential; got {type(model).__name__}")
    flatten_inputs = _spatial_flatten_inputs(model, input_shape) if data_format == "channels_last" else {}
    counts, state, problems, used = {}, {}, [], set()
    reorder = None  # (C, *spatial) of a channels-last Flatten's input, until a Dense consumes it
    for index, layer in enumerate(model.layers):
        if index in flatten_inputs:
            reorder = flatten_inputs[index]
        kind = _keras_class(layer)
        if kind is None:
            if any(True for _ in layer.parameters()):
                problems.append(f"layer {index} ({type(layer).__name__}) has weights but no Keras "
                                "counterpart")
            continue
        number = counts.get(kind, 0)
        counts[kind] = number + 1
        group = f"layers/{kind}" + (f"_{number}" if number else "")
        variables = groups.get(group)
        if variables is None:
            problems.append(f"layer {index} ({type(layer).__name__}): the file has no {group!r}")
            continue
        used.add(group)
        try:
            entries = _convert(layer, variables, reorder)
        except ValueError as error:
            problems.append(f"layer {index} ({type(layer).__name__}) from {group!r}: {error}")
            continue
        if isinstance(layer, (Dense, Linear)):
            reorder = None
        state.update((f"{index}.{name}", array) for name, array in entries.items())
    unused = sorted(g for g in groups if g not in used and groups[g])
    if unused:
        problems.append(f"weights in the file that no layer takes: {', '.join(unused)}")
    if problems:
        raise KerasWeightsError("the Keras weights do not fit this model:\n  - " + "\n  - ".join(problems))
    return state


def _expect(variables, count, what):
    if len(variables) != count:
        raise ValueError(f"expected {count} variables ({what}), the file has {len(variables)} "
                         f"with shapes {[v.shape for v in variables]}")


def _check_shape(array, expected, what):
    if array.shape != tuple(expected):
        raise ValueError(f"{what} has shape {array.shape}, the layer expects {tuple(expected)}")
    return array


def _convert(layer, variables, reorder):
    """Our entries for one layer from its Keras variables (see the module docstring)."""
    if isinstance(layer, (Dense, Linear, ConvND) + _TORCH_CONV):
        has_bias = layer.bias is not None
        _expect(variables, 1 + has_bias, "kernel and bias" if has_bias else "kernel")
        name, kernel = _kernel_entry(layer, variables[0], reorder)
        entries = {name: kernel}
        if has_bias:
            entries["bias"] = _check_shape(variables[1], layer.bias.shape, "bias")
        return entries
    # batch normalization: [gamma], [beta], moving_mean, moving_variance
    if isinstance(layer, BatchNormalization):
        names = (["gamma"] if layer.scale else []) + (["beta"] if layer.center else []) + \
            ["moving_mean", "moving_variance"]
    else:
        names = (["weight", "bias"] if layer.affine else []) + ["running_mean", "running_var"]
    _expect(variables, len(names), ", ".join(names))
    if reorder is not None:
        variables = [_channels_last_rows(v, reorder) if v.shape == (int(np.prod(reorder)),) else v
                     for v in variables]
    state = dict(layer.state_dict())
    return {name: _check_shape(v, state[name].shape, name) for name, v in zip(names, variables)}


def _kernel_entry(layer, kernel, reorder):
    """``(our name, kernel)`` for a dense or convolution layer from its Keras kernel."""
    if isinstance(layer, (Dense, Linear)):
        if reorder is not None and kernel.ndim == 2 and kernel.shape[0] == int(np.prod(reorder)):
            kernel = _channels_last_rows(kernel, reorder)
        if isinstance(layer, Dense):
            return "kernel", _check_shape(kernel, layer.kernel.shape, "kernel (in, units)")
        return "weight", _check_shape(kernel.T, layer.weight.shape, "kernel transposed to (out, in)")
    rank = layer.rank
    if kernel.ndim != rank + 2:
        raise ValueError(f"kernel has shape {kernel.shape}; a {rank}-D convolution's has {rank + 2} axes")
    kernel = np.transpose(kernel, (rank + 1, rank) + tuple(range(rank)))
    name = "kernel" if isinstance(layer, ConvND) else "weight"
    return name, _check_shape(kernel, getattr(layer, name).shape,
                              "kernel, moved to (filters, in/groups, *kernel)")


def _data_format_of(config):
    """The data_format the layers of a ``.keras`` config use (Keras's default when none says)."""
    formats = set()

    def visit(node):
        if isinstance(node, dict):
            if isinstance(node.get("data_format"), str):
                formats.add(node["data_format"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(config)
    if len(formats) > 1:
        raise KerasWeightsError(f"the Keras model mixes data formats {sorted(formats)}")
    return formats.pop() if formats else "channels_last"


def load_keras_weights(model, path, data_format=None, input_shape=None):
    """Load the weights of a Keras 3 ``.weights.h5`` or ``.keras`` file of a ``Sequential``
    into the lucidgrad ``Sequential`` ``model`` with the same layers (channels first; see the
    module docstring for the conversions). ``data_format`` is the Keras model's: read from a
    ``.keras`` file's config, else Keras's default ``'channels_last'``. ``input_shape`` (one
    sample, channels first) is needed to reorder the features after a ``Flatten`` of a
    channels-last model whose input shape the lucidgrad model does not know.

    Nothing is changed unless every layer fits (``KerasWeightsError`` lists what does not).
    Returns the names of the entries loaded.
    """
    groups, config = read_keras_weights(path)
    if data_format is None:
        data_format = _data_format_of(config) if config is not None else "channels_last"
    if not all(m.built for m in model.modules()):
        raise KerasWeightsError(f"{type(model).__name__} is not built: give its first layer an "
                                "input_shape, or call build(input_shape), before loading weights")
    try:
        state = keras_weights_to_state(model, groups, data_format, input_shape)
    except KerasWeightsError as error:
        raise KerasWeightsError(f"{path}: {error}") from None
    model.load_state_dict(state)
    return list(state)
