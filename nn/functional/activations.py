"""PyTorch's functional activations, softmax and one-hot, with PyTorch's argument names (``dim``).

Each is an autograd op or a short composition of them, so first and second derivatives come from
the engine. ``inplace=True`` is accepted where PyTorch has it, so PyTorch code runs unchanged, but
the result is always a new tensor: the graph needs the input as it was.
"""
import numpy as np

import autograd
from autograd import Tensor

__all__ = ["relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
           "logsigmoid", "softmax", "log_softmax", "one_hot"]


def relu(input, inplace=False):
    """max(x, 0)."""
    return autograd.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, ``negative_slope * x`` otherwise."""
    return autograd.leaky_relu(input, negative_slope=negative_slope)


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return autograd.elu(input, alpha=alpha)


def gelu(input, approximate="none"):
    """x * Phi(x) (``approximate='tanh'``: the tanh formula)."""
    return autograd.gelu(input, approximate=approximate)


def silu(input, inplace=False):
    """x * sigmoid(x) (also called swish)."""
    return input * autograd.sigmoid(input)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return autograd.sigmoid(input)


def tanh(input):
    """The hyperbolic tangent."""
    return autograd.tanh(input)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta * x)) / beta, and x itself where ``beta * x > threshold`` (as PyTorch)."""
    scaled = input * beta if beta != 1 else input
    smooth = autograd.softplus(scaled)
    if beta != 1:
        smooth = smooth * (1.0 / beta)
    return autograd.where(_data(scaled) > threshold, input, smooth)


def logsigmoid(input):
    """log(sigmoid(x)) = -softplus(-x), exact in both tails."""
    return -autograd.softplus(-input)


def softmax(input, dim=None, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim`` (required: PyTorch's implicit choice is deprecated);
    ``dtype`` converts the input first."""
    return autograd.softmax(_cast(input, dtype), axis=_dim("softmax", input, dim))


def log_softmax(input, dim=None, dtype=None):
    """log(softmax(x)) along ``dim``, computed stably in one op."""
    return autograd.log_softmax(_cast(input, dtype), axis=_dim("log_softmax", input, dim))


def one_hot(tensor, num_classes=-1):
    """Integer class indices of any shape -> int64 one-hot rows, shape ``tensor.shape +
    (num_classes,)`` (``-1``: the largest index plus one), as PyTorch returns them."""
    labels = np.asarray(_data(tensor))
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: class indices must be integers, got dtype {labels.dtype}")
    if num_classes == -1:
        if labels.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(labels.max()) + 1
    return Tensor(autograd.one_hot(labels, num_classes, dtype=np.int64))


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _cast(x, dtype):
    if dtype is None:
        return x
    return x.astype(dtype) if isinstance(x, Tensor) else np.asarray(x, dtype=dtype)


def _dim(op, input, dim):
    if dim is None:
        raise TypeError(f"{op}: pass dim= (the axis to normalize over, e.g. dim=1 for "
                        f"(batch, classes) of shape {np.shape(_data(input))})")
    return dim
