"""Layers: each a ``Module`` built from autograd ops only."""
from .activations import ELU, GELU, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .dense import Dense, Linear
from .dropout import Dropout
from .normalization import BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormalization
from .reshaping import Flatten

__all__ = ["Dense", "Linear", "Dropout", "BatchNormalization", "BatchNorm", "BatchNorm1d",
           "BatchNorm2d", "BatchNorm3d", "Flatten", "ReLU", "LeakyReLU", "Sigmoid", "Tanh",
           "Softmax", "GELU", "ELU", "Softplus"]
