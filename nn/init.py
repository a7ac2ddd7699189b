"""PyTorch-style initialization: ``nn.init.xavier_uniform_(layer.weight)`` and friends.

Each function fills a ``Tensor`` (usually a ``Parameter``) in place and returns it, as
``torch.nn.init`` does. Fans read PyTorch's layout: a linear weight is ``(out_features,
in_features)``, a convolution weight ``(out_channels, in_channels, *kernel_size)``, so

    fan_in = in * prod(kernel_size),   fan_out = out * prod(kernel_size).

The distributions are the ones the Keras-style ``nn.initializers`` use (``nn._init_arrays``):

    uniform_(t, a, b)          U(a, b)
    normal_(t, mean, std)      N(mean, std^2)
    trunc_normal_(t, mean, std, a, b)   N(mean, std^2) conditioned on a <= x <= b
    xavier_uniform_(t, gain)   U(-l, l), l = gain * sqrt(6 / (fan_in + fan_out))
    xavier_normal_(t, gain)    N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming_uniform_(t, a, mode, nonlinearity)  U(-l, l), l = gain * sqrt(3 / fan)
    kaiming_normal_(t, a, mode, nonlinearity)   N(0, std^2), std = gain / sqrt(fan)
    orthogonal_(t, gain)       a (semi-)orthogonal (shape[0], prod(shape[1:])) matrix times gain

where ``gain = calculate_gain(nonlinearity, a)`` and ``fan`` is fan_in or fan_out (``mode``).
Random draws come from ``generator`` (a ``numpy.random.Generator``), by default from
``autograd.generator()``, so ``autograd.seed(n)`` (or ``nn.seed(n)``) makes them reproducible.
"""
import math
import numbers

import numpy as np

import autograd
from autograd import Tensor
from autograd.saved import writable

from . import _init_arrays as arrays

__all__ = ["calculate_gain", "calculate_fan_in_and_fan_out", "uniform_", "normal_",
           "trunc_normal_", "constant_", "zeros_", "ones_", "eye_", "xavier_uniform_",
           "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")
_NONLINEARITIES = _LINEAR + ("tanh", "relu", "leaky_relu", "selu")


def _fill(tensor, array):
    """Write ``array`` into ``tensor`` in place: the one place where ``nn.init`` changes data.

    As an optimizer's step does, it writes even while a recorded op holds the tensor's data, and a
    backward pass through a graph recorded before the write then refuses to run (PyTorch's rule
    for in-place changes), rather than using the new values."""
    if array.shape != tensor.shape or array.dtype != tensor.dtype:
        raise ValueError(f"nn.init: cannot write an array of shape {array.shape} and dtype "
                         f"{array.dtype} into a tensor of shape {tensor.shape} and dtype "
                         f"{tensor.dtype}")
    with autograd.no_grad(), writable(tensor.data) as target:
        target[...] = array
    return tensor


def _check_tensor(tensor, where, floating=True):
    """Raise unless ``tensor`` is a Tensor (of a floating dtype where random values go in)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{where}: expected a Tensor or Parameter, got "
                        f"{type(tensor).__name__}")
    if floating and not np.issubdtype(tensor.dtype, np.floating):
        raise TypeError(f"nn.init.{where}: needs a floating-point tensor, got dtype {tensor.dtype}")


def _generator(generator, where):
    if generator is None:
        return autograd.generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"nn.init.{where}: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    return generator


def _number(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"nn.init.{where}: {name} must be a finite number, got {value!r}")
    return float(value)


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity, as PyTorch defines it: 1 for linear layers,
    convolutions and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
    leaky_relu (``param`` is the negative slope, default 0.01) and 3/4 for selu."""
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nn.init.calculate_gain: unsupported nonlinearity {nonlinearity!r}; "
                         f"known: {', '.join(_NONLINEARITIES)}")
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "selu":
        return 3.0 / 4
    slope = 0.01 if param is None else _number(param, "the negative slope", "calculate_gain")
    return math.sqrt(2.0 / (1 + slope ** 2))


def calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)`` of a weight in PyTorch's layout (see the module docstring)."""
    shape = tuple(tensor.shape)
    if len(shape) < 2:
        raise ValueError(f"nn.init: fan in and fan out need a tensor of two or more dimensions, "
                         f"got shape {shape}")
    return arrays.compute_fans(shape, channels_last=False)


def _fan(tensor, mode, where):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{where}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill ``tensor`` with samples of U(a, b); returns it."""
    _check_tensor(tensor, "uniform_")
    a, b = _number(a, "a", "uniform_"), _number(b, "b", "uniform_")
    if a > b:
        raise ValueError(f"nn.init.uniform_: need a <= b, got a={a} and b={b}")
    rng = _generator(generator, "uniform_")
    return _fill(tensor, arrays.uniform(tensor.shape, a, b, tensor.dtype, rng))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill ``tensor`` with samples of N(mean, std^2); returns it."""
    _check_tensor(tensor, "normal_")
    mean, std = _number(mean, "mean", "normal_"), _number(std, "std", "normal_")
    if std < 0:
        raise ValueError(f"nn.init.normal_: std must be >= 0, got {std}")
    rng = _generator(generator, "normal_")
    return _fill(tensor, arrays.normal(tensor.shape, mean, std, tensor.dtype, rng))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill ``tensor`` with samples of N(mean, std^2) conditioned on ``a <= x <= b`` (absolute
    bounds, as in PyTorch: the default [-2, 2] is two standard deviations only when std is 1);
    returns it. Exact for any interval, including ones far in a tail."""
    _check_tensor(tensor, "trunc_normal_")
    mean, std = _number(mean, "mean", "trunc_normal_"), _number(std, "std", "trunc_normal_")
    a, b = _number(a, "a", "trunc_normal_"), _number(b, "b", "trunc_normal_")
    if std <= 0 or a >= b:
        raise ValueError(f"nn.init.trunc_normal_: need std > 0 and a < b, got std={std}, a={a}, "
                         f"b={b}")
    rng = _generator(generator, "trunc_normal_")
    return _fill(tensor, arrays.truncated_normal(tensor.shape, mean, std, a, b, tensor.dtype, rng))


def constant_(tensor, val):
    """Fill ``tensor`` with ``val``; returns it. An integer tensor takes integer values only."""
    _check_tensor(tensor, "constant_", floating=False)
    value = np.asarray(val)
    if value.ndim != 0 or value.dtype.kind not in "biuf":
        raise ValueError(f"nn.init.constant_: val must be a number, got {val!r}")
    if tensor.dtype.kind in "biu":  # no silent rounding or wrapping into an integer tensor
        fits = float(val).is_integer() and np.array(int(val)).astype(tensor.dtype) == int(val)
        if not fits:
            raise ValueError(f"nn.init.constant_: {val!r} cannot be stored in a tensor of dtype "
                             f"{tensor.dtype}")
    return _fill(tensor, np.full(tensor.shape, val, dtype=tensor.dtype))


def zeros_(tensor):
    """Fill ``tensor`` with zeros; returns it."""
    return constant_(tensor, 0)


def ones_(tensor):
    """Fill ``tensor`` with ones; returns it."""
    return constant_(tensor, 1)


def eye_(tensor):
    """Fill a 2-D ``tensor`` with the identity matrix (ones on the main diagonal); returns it."""
    _check_tensor(tensor, "eye_", floating=False)
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: needs a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, arrays.identity(tensor.shape, 1, tensor.dtype))


def _variance_scaling_(tensor, gain, mode, distribution, generator, where):
    """Fill ``tensor`` with variance ``gain^2 / fan``; zero-element tensors are left as they are."""
    _check_tensor(tensor, where)
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    rng = _generator(generator, where)
    if tensor.size == 0:
        return tensor
    gain = _number(gain, "gain", where)
    if gain == 0:  # variance 0: the limit of the distribution
        return zeros_(tensor)
    sampled = arrays.variance_scaling(tensor.shape, gain ** 2, mode, distribution, tensor.dtype,
                                      rng, channels_last=False)
    return _fill(tensor, sampled)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot/Xavier uniform: U(-l, l) with l = gain * sqrt(6 / (fan_in + fan_out)); returns it."""
    return _variance_scaling_(tensor, gain, "fan_avg", "uniform", generator, "xavier_uniform_")


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot/Xavier normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)); returns
    it. Not truncated, unlike Keras's ``glorot_normal``."""
    return _variance_scaling_(tensor, gain, "fan_avg", "untruncated_normal", generator,
                              "xavier_normal_")


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He/Kaiming uniform: U(-l, l) with l = gain * sqrt(3 / fan), gain =
    ``calculate_gain(nonlinearity, a)`` (``a`` is the negative slope of a leaky ReLU) and fan the
    fan_in or fan_out (``mode``); returns it."""
    _fan(tensor, mode, "kaiming_uniform_")
    gain = calculate_gain(nonlinearity, a)
    return _variance_scaling_(tensor, gain, mode, "uniform", generator, "kaiming_uniform_")


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He/Kaiming normal: N(0, std^2) with std = gain / sqrt(fan) (see ``kaiming_uniform_``);
    returns it. Not truncated, unlike Keras's ``he_normal``."""
    _fan(tensor, mode, "kaiming_normal_")
    gain = calculate_gain(nonlinearity, a)
    return _variance_scaling_(tensor, gain, mode, "untruncated_normal", generator,
                              "kaiming_normal_")


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill ``tensor`` (two or more dimensions) with a random (semi-)orthogonal matrix times
    ``gain``; returns it. The tensor is read as the matrix ``(shape[0], prod(shape[1:]))``, as in
    PyTorch: its rows are orthonormal when there are no more rows than columns, else its columns."""
    _check_tensor(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"nn.init.orthogonal_: needs a tensor of two or more dimensions, got "
                         f"shape {tensor.shape}")
    gain = _number(gain, "gain", "orthogonal_")
    rng = _generator(generator, "orthogonal_")
    return _fill(tensor, arrays.orthogonal(tensor.shape, gain, tensor.dtype, rng,
                                           channels_last=False))
