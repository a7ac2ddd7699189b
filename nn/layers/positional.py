"""``PositionalEmbedding``: tell attention where each step of a sequence is.

Attention treats its keys as a set: shuffle the steps of a sequence and each output moves with
its step but does not change. A position vector ``P[t]`` added to the features of step ``t``
gives the order back::

    y[..., t, :] = x[..., t, :] + P[t]          t = 0 .. T - 1,  T <= max_length

``kind='learned'``: ``P`` is a trainable ``(max_length, dim)`` parameter (GPT-2, and
keras-hub's ``PositionEmbedding``). ``kind='sinusoidal'``: ``P`` is fixed (Vaswani et al., 2017),
with frequencies falling geometrically from 1 to ``1 / max_wavelength``::

    P[t, 2i] = sin(t / max_wavelength ** (2i / dim))      P[t, 2i + 1] = cos(t / max_wavelength ** (2i / dim))
"""
import numpy as np

from .. import initializers
from ..functional import cast_input
from ..module import Module, Parameter, register_layer
from ..validation import float_dtype, positive_int, real_number, sample_shape

__all__ = ["PositionalEmbedding", "sinusoidal_positions"]

KINDS = ("learned", "sinusoidal")


def sinusoidal_positions(length, dim, max_wavelength=10000.0, dtype=np.float32):
    """The fixed ``(length, dim)`` table of sines and cosines (see the module docstring)."""
    positions = np.arange(length, dtype=np.float64)[:, None]
    pairs = np.arange(dim) // 2
    angles = positions / float(max_wavelength) ** (2.0 * pairs / dim)
    table = np.where(np.arange(dim) % 2 == 0, np.sin(angles), np.cos(angles))
    return table.astype(dtype)


@register_layer
class PositionalEmbedding(Module):
    """Add a position vector to each step of ``(..., T, dim)`` inputs (the sequence axis is the
    second to last, as in batch-first ``(N, T, dim)``).

    ``max_length`` is the longest sequence the table covers; ``dim`` (the feature size) comes
    from the first input unless given (or from ``input_shape``, one sample's shape). ``initializer`` draws a learned table (default: normal
    with standard deviation 0.02, as GPT-2 does); ``max_wavelength`` sets the sinusoidal one.
    """

    def __init__(self, max_length, dim=None, kind="learned", initializer=None,
                 max_wavelength=10000.0, input_shape=None, dtype=np.float32, name=None):
        super().__init__(name=name)
        where = "PositionalEmbedding"
        self.max_length = positive_int(max_length, "max_length", where)
        if kind not in KINDS:
            raise ValueError(f"PositionalEmbedding: kind must be one of {KINDS}, got {kind!r}")
        self.kind = kind
        self.initializer = initializers.get(initializer or initializers.RandomNormal(0.0, 0.02))
        self.max_wavelength = real_number(max_wavelength, "max_wavelength", where, 0.0,
                                          low_open=True)
        self.dtype = float_dtype(dtype, where)
        self.dim = None
        self.table = None
        self.built = False
        self.declared_input_shape = (None if input_shape is None else  # for Sequential
                                     sample_shape(input_shape, "input_shape", where))
        if dim is None and input_shape is not None:
            dim = self.declared_input_shape[-1]
        if dim is not None:
            self._create(dim)

    def _create(self, dim):
        self.dim = dim = positive_int(dim, "dim", "PositionalEmbedding")
        shape = (self.max_length, dim)
        if self.kind == "learned":
            self.table = Parameter(self.initializer(shape, dtype=self.dtype))
        else:  # fixed, so not a parameter and not saved
            self.table = sinusoidal_positions(self.max_length, dim, self.max_wavelength,
                                              self.dtype)
        self.built = True

    def build(self, input_shape, dtype=None):
        """Create the table for inputs whose last axis is ``input_shape[-1]``."""
        input_shape = tuple(input_shape)
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(f"PositionalEmbedding: cannot build from input shape {input_shape} "
                             "(expected (..., length, features) with the features known)")
        self._create(input_shape[-1])
        return input_shape

    def forward(self, x):
        x = cast_input(x, self.dtype)
        if not self.built:
            self.build(x.shape)
        if x.ndim < 2 or x.shape[-1] != self.dim:
            raise ValueError(f"PositionalEmbedding(max_length={self.max_length}, dim={self.dim}): "
                             f"expected inputs (..., length, {self.dim}), got shape {x.shape}")
        length = x.shape[-2]
        if length > self.max_length:
            raise ValueError(f"PositionalEmbedding(max_length={self.max_length}, dim={self.dim}): "
                             f"a sequence of {length} steps (input shape {x.shape}) is longer than "
                             f"the positional table ({self.max_length} positions)")
        return x + self.table[:length]

    def get_config(self):
        return {"max_length": self.max_length, "dim": self.dim, "kind": self.kind,
                "initializer": initializers.serialize(self.initializer),
                "max_wavelength": self.max_wavelength,
                "input_shape": self.declared_input_shape, "dtype": self.dtype.name,
                "name": self.name}

    def extra_repr(self):
        return f"max_length={self.max_length}, dim={self.dim}, kind={self.kind!r}"
