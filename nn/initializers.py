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

Beyond that family: ``truncated_normal`` (``TruncatedNormal(mean, stddev)``), ``variance_scaling``
(``VarianceScaling(scale, mode, distribution)``), ``orthogonal`` (``Orthogonal(gain)``, for
recurrent kernels), ``identity`` (``Identity(gain)``), ``constant``, ``random_uniform``,
``random_normal``, ``zeros`` and ``ones``. Every one is available by name (snake or CamelCase) and
as an object, and ``serialize`` turns it into JSON for model files.

The distributions themselves live in ``nn._init_arrays``, shared with the PyTorch-style ``nn.init``.
``rng`` defaults to ``autograd.generator()``, so ``autograd.seed(n)`` makes initialization
reproducible.
"""
import numpy as np

from . import _init_arrays as arrays
from ._init_arrays import TRUNCATED_NORMAL_STD, compute_fans

__all__ = ["compute_fans", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
           "lecun_uniform", "lecun_normal", "zeros", "ones", "constant", "random_uniform",
           "random_normal", "truncated_normal", "variance_scaling", "orthogonal", "identity",
           "Constant", "RandomUniform", "RandomNormal", "TruncatedNormal", "VarianceScaling",
           "Orthogonal", "Identity", "TRUNCATED_NORMAL_STD", "get", "serialize"]


def glorot_uniform(shape, dtype=np.float32, rng=None):
    """Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    return arrays.variance_scaling(shape, 1.0, "fan_avg", "uniform", dtype, rng)


def glorot_normal(shape, dtype=np.float32, rng=None):
    """Glorot (Xavier) normal: truncated normal with std sqrt(2 / (fan_in + fan_out))."""
    return arrays.variance_scaling(shape, 1.0, "fan_avg", "truncated_normal", dtype, rng)


def he_uniform(shape, dtype=np.float32, rng=None):
    """He (Kaiming) uniform: U(-l, l) with l = sqrt(6 / fan_in)."""
    return arrays.variance_scaling(shape, 2.0, "fan_in", "uniform", dtype, rng)


def he_normal(shape, dtype=np.float32, rng=None):
    """He (Kaiming) normal: truncated normal with std sqrt(2 / fan_in)."""
    return arrays.variance_scaling(shape, 2.0, "fan_in", "truncated_normal", dtype, rng)


def lecun_uniform(shape, dtype=np.float32, rng=None):
    """LeCun uniform: U(-l, l) with l = sqrt(3 / fan_in)."""
    return arrays.variance_scaling(shape, 1.0, "fan_in", "uniform", dtype, rng)


def lecun_normal(shape, dtype=np.float32, rng=None):
    """LeCun normal: truncated normal with std sqrt(1 / fan_in)."""
    return arrays.variance_scaling(shape, 1.0, "fan_in", "truncated_normal", dtype, rng)


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
        return arrays.uniform(shape, self.minval, self.maxval, dtype, rng)

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
        return arrays.normal(shape, self.mean, self.stddev, dtype, rng)

    def get_config(self):
        """Constructor arguments."""
        return {"mean": self.mean, "stddev": self.stddev}


class TruncatedNormal:
    """Initializer drawing from N(mean, stddev^2), redrawing values more than two ``stddev`` from
    the mean (so the samples' std is about 0.88 * stddev, as in Keras)."""

    def __init__(self, mean=0.0, stddev=0.05):
        if not stddev > 0:
            raise ValueError(f"TruncatedNormal: stddev must be > 0, got {stddev}")
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=np.float32, rng=None):
        low, high = self.mean - 2 * self.stddev, self.mean + 2 * self.stddev
        return arrays.truncated_normal(shape, self.mean, self.stddev, low, high, dtype, rng)

    def get_config(self):
        """Constructor arguments."""
        return {"mean": self.mean, "stddev": self.stddev}


class VarianceScaling:
    """Initializer with variance ``scale / n``, ``n`` the fan_in, fan_out or their mean (``mode``),
    from a 'truncated_normal', 'untruncated_normal' or 'uniform' ``distribution``: the family the
    Glorot, He and LeCun initializers belong to (see the module docstring)."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
        arrays.check_variance_scaling(scale, mode, distribution, "VarianceScaling")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=np.float32, rng=None):
        return arrays.variance_scaling(shape, self.scale, self.mode, self.distribution, dtype, rng)

    def get_config(self):
        """Constructor arguments."""
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution}


class Orthogonal:
    """Initializer giving a random (semi-)orthogonal matrix times ``gain`` (Saxe et al., 2014),
    the usual choice for recurrent kernels. A kernel of more than two dimensions is read as the
    matrix ``(prod(shape[:-1]), shape[-1])``; of its rows and columns, the fewer are orthonormal."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=np.float32, rng=None):
        return arrays.orthogonal(shape, self.gain, dtype, rng)

    def get_config(self):
        """Constructor arguments."""
        return {"gain": self.gain}


class Identity:
    """Initializer giving ``gain`` times the identity matrix (2-D kernels only)."""

    def __init__(self, gain=1.0):
        self.gain = float(gain)

    def __call__(self, shape, dtype=np.float32, rng=None):
        return arrays.identity(shape, self.gain, dtype)

    def get_config(self):
        """Constructor arguments."""
        return {"gain": self.gain}


constant = Constant
random_uniform = RandomUniform
random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
orthogonal = Orthogonal
identity = Identity

_BY_NAME = {
    "glorot_uniform": glorot_uniform, "glorot_normal": glorot_normal,
    "xavier_uniform": glorot_uniform, "xavier_normal": glorot_normal,
    "he_uniform": he_uniform, "he_normal": he_normal,
    "kaiming_uniform": he_uniform, "kaiming_normal": he_normal,
    "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
    "zeros": zeros, "ones": ones,
}
_CLASSES = {"constant": Constant, "random_uniform": RandomUniform, "random_normal": RandomNormal,
            "truncated_normal": TruncatedNormal, "variance_scaling": VarianceScaling,
            "orthogonal": Orthogonal, "identity": Identity}
_CAMEL = {"".join(part.title() for part in name.split("_")): name for name in {**_BY_NAME, **_CLASSES}}


def _canonical(name):
    return _CAMEL.get(name, name.lower())


def get(identifier):
    """An initializer from a name ('glorot_uniform', 'GlorotUniform', 'he_normal', 'zeros',
    'constant', 'orthogonal', ...), a ``{'class_name', 'config'}`` dict (see ``serialize``) or a
    callable (returned as is)."""
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
