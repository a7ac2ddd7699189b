"""Weights exchanged with PyTorch: our layers' parameters under torch's names and layouts.

A model's ``state_dict`` names entries by module path (``0.weight``, ``layers.1.bias``), as
torch does. The PyTorch-style layers are identical to torch's, names and layouts; the
Keras-style layers are converted:

    lucidgrad layer                        entry            torch entry           layout
    Linear                                 weight, bias     weight, bias          identical, (out, in)
    Conv1d/2d/3d                           weight, bias     weight, bias          identical, (out, in/groups, *kernel)
    BatchNorm1d/2d/3d                      weight, bias,    weight, bias,         identical
                                           running_mean,    running_mean,
                                           running_var      running_var,
                                                            num_batches_tracked   written as 0 (see below)
    Dense                                  kernel (in, out) weight (out, in)      transposed
                                           bias             bias
    Conv1D/2D/3D, ConvND                   kernel           weight                identical: our kernels are
                                           bias             bias                  stored (out, in/groups, *kernel)
    BatchNormalization                     gamma, beta,     weight, bias,         identical
                                           moving_mean,     running_mean,
                                           moving_variance  running_var, num_batches_tracked

Any other module's parameters and buffers keep their names. torch counts training batches in
``num_batches_tracked`` and reads it only with ``momentum=None`` (a cumulative average); we do
not count them, so it is written as 0 and ignored when read. The hyperparameters travel with the
architecture, not the weights: build the torch model with the same ``eps`` (Keras-style
``BatchNormalization`` uses 1e-3, torch 1e-5) and channels-first layers.
"""
from dataclasses import dataclass, field

import numpy as np

from ..layers import (BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormalization, Conv1d, Conv2d,
                      Conv3d, ConvND, Dense, Linear)
from ..serialization import ModelFileError
from .safetensors import load_safetensors, save_safetensors

__all__ = ["TorchWeightsError", "TORCH_LAYOUTS", "to_torch_state_dict", "from_torch_state_dict",
           "save_torch_weights", "load_torch_weights"]

BATCHES_TRACKED = "num_batches_tracked"


class TorchWeightsError(ModelFileError):
    """Weights in torch's names that do not fit the model: missing, unexpected or misshapen."""


@dataclass(frozen=True)
class TorchLayout:
    """How one kind of layer's entries map to torch's: ``names`` (ours -> torch's),
    ``transposed`` (our 2-D entries stored transposed by torch), and whether torch adds a
    ``num_batches_tracked`` counter (batch norm)."""

    names: dict
    transposed: frozenset = field(default_factory=frozenset)
    counts_batches: bool = False


_SAME = TorchLayout({"weight": "weight", "bias": "bias"})
_TORCH_BATCH_NORM = TorchLayout({"weight": "weight", "bias": "bias", "running_mean": "running_mean",
                                 "running_var": "running_var"}, counts_batches=True)

# One entry per kind of layer; the first class that a module is an instance of decides.
TORCH_LAYOUTS = (
    ((Linear, Conv1d, Conv2d, Conv3d), _SAME),
    ((BatchNorm1d, BatchNorm2d, BatchNorm3d), _TORCH_BATCH_NORM),
    ((Dense,), TorchLayout({"kernel": "weight", "bias": "bias"}, frozenset({"kernel"}))),
    ((ConvND,), TorchLayout({"kernel": "weight", "bias": "bias"})),
    ((BatchNormalization,), TorchLayout({"gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
                                         "moving_variance": "running_var"}, counts_batches=True)),
)


def _layout(module):
    return next((layout for classes, layout in TORCH_LAYOUTS if isinstance(module, classes)), None)


def _entries_by_module(model, state):
    """``[(module path, module, {local name: full name})]`` for every module owning entries of
    ``state`` (the model's ``state_dict()``)."""
    owners = {path: module for path, module in model.named_modules()}
    grouped = {}
    for name in state:
        path, _, local = name.rpartition(".")
        grouped.setdefault(path, {})[local] = name
    return [(path, owners[path], entries) for path, entries in grouped.items()]


def _torch_name(path, local, layout):
    local = layout.names.get(local, local) if layout else local
    return f"{path}.{local}" if path else local


def to_torch_state_dict(model):
    """``model``'s parameters and buffers as torch names them (name -> numpy array, a copy),
    Keras-style layers converted (see the table in this module's docstring)."""
    state = model.state_dict()
    torch_state = {}
    for path, module, entries in _entries_by_module(model, state):
        layout = _layout(module)
        for local, name in entries.items():
            array = state[name]
            if layout and local in layout.transposed:
                array = np.ascontiguousarray(array.T)
            torch_state[_torch_name(path, local, layout)] = array
        if layout and layout.counts_batches:
            torch_state[_torch_name(path, BATCHES_TRACKED, None)] = np.zeros((), dtype=np.int64)
    return torch_state


def _as_array(value):
    """A numpy array from an array, a number or a torch tensor (read without importing torch)."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def from_torch_state_dict(model, state, strict=True):
    """Load ``state`` (torch names, arrays or torch tensors: a torch model's ``state_dict()``
    or a ``.safetensors`` file's contents) into ``model``, converting layouts.

    Every entry must fit: a ``TorchWeightsError`` lists the missing, unexpected (with
    ``strict``) and misshapen entries, and nothing is changed. ``num_batches_tracked`` is
    ignored. Returns the list of the model's entry names that were loaded.
    """
    ours = model.state_dict()
    converted, consumed, problems = {}, set(), []
    for path, module, entries in _entries_by_module(model, ours):
        layout = _layout(module)
        if layout and layout.counts_batches:
            consumed.add(_torch_name(path, BATCHES_TRACKED, None))
        for local, name in entries.items():
            torch_name = _torch_name(path, local, layout)
            if torch_name not in state:
                problems.append(f"missing {torch_name!r} (for {name!r}, shape {ours[name].shape})")
                continue
            consumed.add(torch_name)
            array = _as_array(state[torch_name])
            transposed = bool(layout and local in layout.transposed)
            wanted = ours[name].shape[::-1] if transposed else ours[name].shape
            if array.shape != wanted:
                problems.append(f"{torch_name!r} has shape {array.shape}, expected {wanted}"
                                + (f" (the transpose of {name!r} {ours[name].shape})" if transposed else ""))
            elif array.dtype.kind not in "fiub":
                problems.append(f"{torch_name!r} holds dtype {array.dtype}, expected numbers")
            else:
                converted[name] = (array.T if transposed else array).astype(ours[name].dtype, copy=False)
    unexpected = sorted(k for k in state if k not in consumed and not k.endswith("." + BATCHES_TRACKED)
                        and k != BATCHES_TRACKED)
    if strict and unexpected:
        problems.append(f"not in the model: {', '.join(unexpected)}")
    if problems:
        hint = "" if all(m.built for m in model.modules()) else \
            " (the model is not built: run a batch through it or call build(input_shape) first)"
        raise TorchWeightsError(f"the PyTorch weights do not fit this {type(model).__name__}{hint}:"
                                "\n  - " + "\n  - ".join(problems))
    model.load_state_dict(converted)
    return list(converted)


def save_torch_weights(model, path):
    """Write ``to_torch_state_dict(model)`` to the ``.safetensors`` file ``path``, atomically;
    torch reads it with ``safetensors.torch.load_file`` and ``load_state_dict``."""
    save_safetensors(to_torch_state_dict(model), path, metadata={"format": "pt"})


def load_torch_weights(model, source, strict=True):
    """Load PyTorch weights into ``model``: ``source`` is a ``.safetensors`` file (e.g. written
    from torch with ``safetensors.torch.save_file(model.state_dict(), ...)``) or a state dict.
    See ``from_torch_state_dict``."""
    state = source if hasattr(source, "keys") else load_safetensors(source)
    return from_torch_state_dict(model, state, strict)
