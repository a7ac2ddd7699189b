"""Fully connected layers: Keras's ``Dense`` and PyTorch's ``Linear``.

    Dense:   y = activation(x @ kernel + bias),  kernel (in, units)    (the fused op ``affine``)
    Linear:  y = x @ weight.T + bias,            weight (out, in)    (the fused op ``linear``)
"""
import math

import numpy as np

from autograd import affine, linear

from .. import initializers
from ..functional import cast_input
from ..module import Module, Parameter, register_layer
from . import activations
from ..validation import constructor_arguments, flag, float_dtype, positive_int, sample_shape
from ._weight_options import kernel_and_bias_penalties, set_weight_options, weight_options_config

__all__ = ["Dense", "Linear"]


@register_layer
class Dense(Module):
    """Keras's densely connected layer: ``activation(x @ kernel + bias)`` on the last axis.

    The input size comes from ``input_dim`` / ``input_shape`` (without the batch axis) or, if
    neither is given, from the first input (or ``build``). Inputs are cast to the layer's
    ``dtype`` (float32 by default), as Keras does.
    """

    supports_masking = True  # it acts on each step of a sequence alone: a mask passes through

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 input_shape=None, input_dim=None, dtype=np.float32, name=None):
        super().__init__(name=name)
        self.units = positive_int(units, "units", "Dense")
        set_weight_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer)
        self.dtype = float_dtype(dtype, "Dense")
        self.kernel = None
        self.bias = None
        self.built = False
        input_shape = self._declared_input_shape(input_shape, input_dim)
        self.declared_input_shape = input_shape  # without the batch axis, for Sequential
        if input_shape is not None:
            self.build((None,) + input_shape)

    @staticmethod
    def _declared_input_shape(input_shape, input_dim):
        """One sample's shape from ``input_shape`` or ``input_dim`` (checked), or None."""
        if input_shape is not None:
            input_shape = sample_shape(input_shape, "input_shape", "Dense", allow_unknown=True)
            if not input_shape or input_shape[-1] is None:
                raise ValueError(f"Dense: input_shape {input_shape} must end with the (known) "
                                 "number of input features")
            if input_dim is not None and input_shape[-1:] != (input_dim,):
                raise ValueError(f"Dense: input_shape {input_shape} disagrees with input_dim {input_dim}")
        elif input_dim is not None:
            input_shape = (positive_int(input_dim, "input_dim", "Dense"),)
        return input_shape

    def _weight_shapes(self, in_features):
        """The shapes of ``kernel`` and ``bias`` for ``in_features`` inputs (None: unknown)."""
        shapes = {"kernel": (in_features, self.units)}
        if self.use_bias:
            shapes["bias"] = (self.units,)
        return shapes

    @classmethod
    def weight_shapes_from_config(cls, config):
        declared = cls._declared_input_shape(config.get("input_shape"), config.get("input_dim"))
        lazy = cls(**{**config, "input_shape": None, "input_dim": None})  # checks, creates nothing
        return lazy._weight_shapes(None if declared is None else declared[-1])

    def build(self, input_shape, dtype=None):
        """Create ``kernel`` (in, units) and ``bias`` (units,) for inputs whose last axis is
        ``input_shape[-1]``. Returns the output shape."""
        input_shape = tuple(input_shape)
        if not input_shape or input_shape[-1] is None:
            raise ValueError(f"Dense: cannot build from input shape {input_shape}; the last axis must be known")
        fan_in = positive_int(input_shape[-1], "the input size", "Dense")
        shapes = self._weight_shapes(fan_in)
        self.kernel = Parameter(self.kernel_initializer(shapes["kernel"], dtype=self.dtype))
        if self.use_bias:
            self.bias = Parameter(self.bias_initializer(shapes["bias"], dtype=self.dtype))
        self.built = True
        return input_shape[:-1] + (self.units,)

    @property
    def input_dim(self):
        """The input size (None until built)."""
        return None if self.kernel is None else self.kernel.shape[0]

    def forward(self, x):
        kernel = self.kernel
        if kernel is None:
            x = cast_input(x, self.dtype)
            self.build(x.shape)
            kernel = self.kernel
        else:
            x = cast_input(x, kernel.data.dtype)
        try:
            y = affine(x, kernel, self.bias)
        except ValueError as error:
            raise ValueError(f"Dense(units={self.units}): expected inputs with {kernel.shape[0]} "
                             f"features on the last axis, got shape {x.shape}") from error
        activation = self.activation
        return y if activation is None else activation(y)

    def penalties(self):
        return kernel_and_bias_penalties(self)

    def get_config(self):
        return {
            "units": self.units,
            **weight_options_config(self),
            "input_dim": self.input_dim,
            "dtype": self.dtype.name,
            "name": self.name,
        }

    def extra_repr(self):
        text = f"units={self.units}"
        if self.input_dim is not None:
            text = f"{self.input_dim} -> {self.units}"
        if self.activation is not None:
            text += f", activation={activations.describe(self.activation)}"
        if not self.use_bias:
            text += ", use_bias=False"
        return text


@register_layer
class Linear(Module):
    """PyTorch's linear layer: ``x @ weight.T + bias`` with ``weight`` (out_features, in_features).

    Initialized as PyTorch does: weight and bias from U(-1/sqrt(in_features), 1/sqrt(in_features))
    (Kaiming-uniform with a = sqrt(5) for the weight), drawn from ``autograd.generator()``.
    """

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32):
        super().__init__()
        shapes = self._weight_shapes(in_features, out_features, bias)
        self.in_features, self.out_features = shapes["weight"][::-1]
        self.dtype = float_dtype(dtype, "Linear")
        uniform = initializers.RandomUniform(-1.0 / math.sqrt(in_features), 1.0 / math.sqrt(in_features))
        self.weight = Parameter(uniform(shapes["weight"], dtype=self.dtype))
        self.bias = Parameter(uniform(shapes["bias"], dtype=self.dtype)) if "bias" in shapes else None

    @staticmethod
    def _weight_shapes(in_features, out_features, bias):
        """The shapes of ``weight`` and ``bias`` (checked arguments)."""
        out_features = positive_int(out_features, "out_features", "Linear")
        shapes = {"weight": (out_features, positive_int(in_features, "in_features", "Linear"))}
        if flag(bias, "bias", "Linear"):
            shapes["bias"] = (out_features,)
        return shapes

    @classmethod
    def weight_shapes_from_config(cls, config):
        arguments = constructor_arguments(cls, config)
        float_dtype(arguments["dtype"], "Linear")
        return cls._weight_shapes(arguments["in_features"], arguments["out_features"],
                                  arguments["bias"])

    def forward(self, x):
        weight = self.weight
        x = cast_input(x, weight.data.dtype)
        try:
            return linear(x, weight, self.bias)
        except ValueError as error:
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): expected inputs with "
                             f"{self.in_features} features on the last axis, got shape {x.shape}") from error

    def get_config(self):
        return {"in_features": self.in_features, "out_features": self.out_features,
                "bias": self.bias is not None, "dtype": self.dtype.name}

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"
