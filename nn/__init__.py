"""lucidgrad's neural-network package: modules, layers, losses, optimizers and training.

Everything is built from ``autograd`` ops, so every gradient comes from the engine. Two styles
share the same pieces: Keras (``Sequential([...])``, ``compile``, ``fit``) and PyTorch (subclass
``Module``, write the loop with an optimizer).
"""
import random as _random

import numpy as _np

import autograd as _autograd

from . import data, functional, init, initializers, layers, losses, regularizers
from .containers import ModuleList, Sequential
from .layers import *  # noqa: F401,F403
from .module import Module, Parameter, layer_from_config, layer_to_config, register_layer
from .naming import clear_session
from .training import Model


def seed(value):
    """Seed every source of randomness lucidgrad uses: ``autograd.generator()`` (initializers,
    dropout masks), numpy's global generator and Python's ``random``."""
    _autograd.seed(value)
    _np.random.seed(value)
    _random.seed(value)


def __getattr__(name):
    # Imported on first use: nn.optim, nn.export, and the model files (which need the whole
    # package).
    import importlib
    if name in ("optim", "export"):
        return importlib.import_module("." + name, __name__)
    if name == "export_onnx":
        return importlib.import_module(".export", __name__).export_onnx
    if name in ("load_model", "save_model", "ModelFileError"):
        return getattr(importlib.import_module(".serialization", __name__), name)
    if name in ("save", "load"):  # one-call state dicts, as torch.save / torch.load
        return getattr(importlib.import_module(".checkpoint", __name__), name)
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


__all__ = ["Module", "Parameter", "Sequential", "ModuleList", "Model", "seed", "clear_session",
           "data", "functional", "init",
           "initializers", "layers", "losses", "optim", "export", "export_onnx", "regularizers",
           "register_layer", "layer_from_config", "layer_to_config", "load_model", "save_model",
           "ModelFileError", "save", "load"] + layers.__all__
