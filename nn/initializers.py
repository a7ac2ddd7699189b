"""Weight initializers: ``init(shape, dtype=np.float32, rng=None) -> numpy array``.

Fans follow the Keras kernel layout: a dense kernel is ``(fan_in, fan_out)``; a convolution
kernel ``(*spatial, in_channels, out_channels)`` has ``fan_in = in_channels * receptive field``
and ``fan_out = out_channels * receptive field``. (``compute_fans(shape, channels_last=False)``
reads PyTorch's ``(out, in, *spatial)`` layout instead.)

The variance-scaling family draws with standard deviation (or uniform limit) from the fan:

    glorot_uniform  U(-l, l), l = sqrt(6 / (fan_in + fan_out))
    glorot_normal   std = sqrt(2 / (fan_in + fan_out))
    he_uniform      U(-l, l), l = sqrt(6 / fan_in)
    he_normal       std = sqrt(2 / fan_in)
    lecun_uniform   U(-l, l), l = sqrt(3 / fan_in)
    lecun_normal    std = sqrt(1 / fan_in)

The normal variants, as in Keras, draw from a normal truncated at two standard deviations of the
underlying distribution, whose standard deviation is first divided by 0.87962566103423978 (the
standard deviation of a unit normal truncated to [-2, 2]) so the samples end up with exactly the
standard deviation above, and no sample lies beyond 2 * std / 0.8796...

``rng`` defaults to ``autograd.generator()``, so ``autograd.seed(n)`` makes initialization
reproducible.
"""
import math

import numpy as np

import autograd

__all__ = ["compute_fans", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
           "lecun_uniform", "lecun_normal", "zeros", "ones", "constant", "random_uniform",
           "random_normal", "Constant", "RandomUniform", "RandomNormal", "get", "serialize"]

TRUNCATED_NORMAL_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]


def compute_fans(shape, channels_last=True):
    """``(fan_in, fan_out)`` of a kernel of ``shape`` (see the module docstring for layouts)."""
    shape = tuple(int(n) for n in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return (shape[0], shape[1]) if channels_last else (shape[1], shape[0])
    if channels_last:
        receptive = math.prod(shape[:-2])
        return shape[-2] * receptive, shape[-1] * receptive
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _rng(rng):
    return autograd.generator() if rng is None else rng


def _uniform(limit, shape, dtype, rng):
    return _rng(rng).uniform(-limit, limit, size=tuple(shape)).astype(dtype, copy=False)


def _truncated_normal(std, shape, dtype, rng):
    """Normal samples with final standard deviation ``std``, none beyond two underlying stds."""
    rng = _rng(rng)
    scale = std / TRUNCATED_NORMAL_STD
    shape = tuple(shape)
    out = rng.standard_normal(size=shape)
    bad = np.abs(out) > 2
    while bad.any():  # resample the tails (about 4.6% of draws each round)
        out[bad] = rng.standard_normal(size=int(bad.sum()))
        bad = np.abs(out) > 2
    return (out * scale).astype(dtype, copy=False)


def glorot_uniform(shape, dtype=np.float32, rng=None):
    """Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    return _uniform(math.sqrt(6.0 / (fan_in + fan_out)), shape, dtype, rng)


def glorot_normal(shape, dtype=np.float32, rng=None):
    """Glorot (Xavier) normal: truncated normal with std sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = compute_fans(shape)
    return _truncated_normal(math.sqrt(2.0 / (fan_in + fan_out)), shape, dtype, rng)


def he_uniform(shape, dtype=np.float32, rng=None):
    """He (Kaiming) uniform: U(-l, l) with l = sqrt(6 / fan_in)."""
    fan_in, _ = compute_fans(shape)
    return _uniform(math.sqrt(6.0 / fan_in), shape, dtype, rng)


def he_normal(shape, dtype=np.float32, rng=None):
    """He (Kaiming) normal: truncated normal with std sqrt(2 / fan_in)."""
    fan_in, _ = compute_fans(shape)
    return _truncated_normal(math.sqrt(2.0 / fan_in), shape, dtype, rng)


def lecun_uniform(shape, dtype=np.float32, rng=None):
    """LeCun uniform: U(-l, l) with l = sqrt(3 / fan_in)."""
    fan_in, _ = compute_fans(shape)
    return _uniform(math.sqrt(3.0 / fan_in), shape, dtype, rng)


def lecun_normal(shape, dtype=np.float32, rng=None):
    """LeCun normal: truncated normal with std sqrt(1 / fan_in)."""
    fan_in, _ = compute_fans(shape)
    return _truncated_normal(math.sqrt(1.0 / fan_in), shape, dtype, rng)


def zeros(shape, dtype=np.float32, rng=None):
    """All zeros."""
    return np.zeros(tuple(shape), dtype=dtype)


def ones(shape, dtype=np.float32, rng=None):
    """All ones."""
    return np.ones(tuple(shape), dtype=dtype)


class Constant:
    """Initializer filling every element with ``value``."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=np.float32, rng=None):
        return np.full(tuple(shape), self.value, dtype=dtype)

    def get_config(self):
        """Constructor arguments."""
        return {"value": self.value}


class RandomUniform:
    """Initializer drawing from U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05):
        if not maxval > minval:
            raise ValueError(f"RandomUniform: need minval < maxval, got {minval} and {maxval}")
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=np.float32, rng=None):
        return _rng(rng).uniform(self.minval, self.maxval, size=tuple(shape)).astype(dtype, copy=False)

    def get_config(self):
        """Constructor arguments."""
        return {"minval": self.minval, "maxval": self.maxval}


class RandomNormal:
    """Initializer drawing from N(mean, stddev^2) (not truncated)."""

    def __init__(self, mean=0.0, stddev=0.05):
        if stddev < 0:
            raise ValueError(f"RandomNormal: stddev must be >= 0, got {stddev}")
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=np.float32, rng=None):
        return _rng(rng).normal(self.mean, self.stddev, size=tuple(shape)).astype(dtype, copy=False)

    def get_config(self):
        """Constructor arguments."""
        return {"mean": self.mean, "stddev": self.stddev}


constant = Constant
random_uniform = RandomUniform
random_normal = RandomNormal

_BY_NAME = {
    "glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal,
    "xavier_uniform": glorot_uniform, "xavier_normal": glorot_normal,
    "he_uniform": he_uniform, "he_normal": he_normal,
    "kaiming_uniform": he_uniform, "kaiming_normal": he_normal,
    "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
    "zeros": zeros, "ones": ones,
}
_CLASSES = {"constant": Constant, "random_uniform": RandomUniform, "random_normal": RandomNormal}
_CAMEL = {"".join(part.title() for part in name.split("_")): name for name in {**_BY_NAME, **_CLASSES}}


def _canonical(name):
    return _CAMEL.get(name, name.lower())


def get(identifier):
    """An initializer from a name ('glorot_uniform', 'GlorotUniform', 'he_normal', 'zeros',
    'constant', ...), a ``{'class_name', 'config'}`` dict (see ``serialize``) or a callable
    (returned as is)."""
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        name = _canonical(str(identifier.get("class_name", "")))
        if name in _CLASSES:
            return _CLASSES[name](**(identifier.get("config") or {}))
        identifier = name
    if isinstance(identifier, str):
        name = _canonical(identifier)
        if name in _BY_NAME:
            return _BY_NAME[name]
        if name in _CLASSES:
            return _CLASSES[name]()
        raise ValueError(f"initializers.get: unknown initializer {identifier!r}; known: "
                         f"{sorted(set(_BY_NAME) | set(_CLASSES))}")
    raise TypeError(f"initializers.get: expected a name, a config dict or a callable, got "
                    f"{type(identifier).__name__}")


def serialize(init):
    """A JSON-able description of ``init`` that ``get`` turns back into it."""
    for name, fn in _BY_NAME.items():
        if fn is init:
            return name
    for name, cls in _CLASSES.items():
        if type(init) is cls:
            return {"class_name": name, "config": init.get_config()}
    raise ValueError(f"initializers.serialize: {init!r} is not a built-in initializer; pass a "
                     "name to save the layer as JSON")
