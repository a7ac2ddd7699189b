"""Convolution layers over any number of spatial axes, in Keras's and PyTorch's flavours.

All of them run one computation, ``autograd.conv`` (cross-correlation), on channels-first inputs
``(N, C_in, *spatial)`` with a weight of layout ``(C_out, C_in // groups, *kernel)``:

    y[n, o, p] = activation(bias[o] + sum_{c in group(o), k} weight[o, c, k] x[n, c, p * stride + k * dilation])

    Keras style    ConvND(rank, filters, kernel_size, ...), Conv1D, Conv2D, Conv3D
                   parameters ``kernel`` and ``bias``; input channels found on the first call
                   (or from ``input_shape``); glorot-uniform kernel, zero bias
    PyTorch style  Conv1d, Conv2d, Conv3d(in_channels, out_channels, kernel_size, ...)
                   parameters ``weight`` and ``bias``; U(-1/sqrt(fan_in), 1/sqrt(fan_in)) init

Unlike Keras, whose default ``data_format`` is channels last ``(N, *spatial, C)``, every layer
here is channels first, as in PyTorch: a batch of grey 28x28 images is ``(N, 1, 28, 28)``.
"""
import math

import numpy as np

from autograd import conv

from .. import initializers
from ..functional import cast_input
from ..module import Module, Parameter, register_layer
from ..naming import unique_name
from . import activations
from ..validation import (constructor_arguments, flag, float_dtype, int_tuple, positive_int,
                          sample_shape, spatial_axes_names)
from ._weight_options import kernel_and_bias_penalties, set_weight_options, weight_options_config

__all__ = ["ConvND", "Conv1D", "Conv2D", "Conv3D", "Conv1d", "Conv2d", "Conv3d"]



def _padding(value, rank, where):
    """'valid', 'same', an int, ``rank`` ints or ``rank`` (before, after) pairs, checked."""
    if isinstance(value, str):
        mode = value.lower()
        if mode not in ("valid", "same"):
            raise ValueError(f"{where}: padding must be 'valid', 'same', an int or a tuple, "
                             f"got {value!r}")
        return mode
    if not isinstance(value, (int, np.integer, tuple, list)):
        raise TypeError(f"{where}: padding must be 'valid', 'same', an int or a tuple, got {value!r}")
    if isinstance(value, (int, np.integer)) or all(isinstance(v, (int, np.integer)) for v in value):
        return int_tuple(value, rank, "padding", where, minimum=0)
    pairs = tuple(tuple(pair) if isinstance(pair, (tuple, list)) else pair for pair in value)
    if len(pairs) != rank or not all(isinstance(p, tuple) and len(p) == 2 for p in pairs):
        raise ValueError(f"{where}: padding {value!r} must be {rank} non-negative "
                         "(before, after) pairs")
    return tuple(int_tuple(pair, 2, "padding", where, minimum=0) for pair in pairs)


def _check_data_format(data_format, where):
    if data_format not in (None, "channels_first"):
        raise ValueError(f"{where}: only data_format='channels_first' (N, C, *spatial) is "
                         f"supported, got {data_format!r}; move the channels axis to 1")


def _jsonable(value):
    """Tuples (nested) as lists, for layer configs."""
    return [_jsonable(v) for v in value] if isinstance(value, tuple) else value


class _Convolution(Module):
    """What both flavours share: the geometry, the input checks and the forward computation.

    ``_set_geometry`` checks and stores ``rank``, ``out_channels``, ``kernel_size``, ``stride``,
    ``padding``, ``dilation`` and ``groups``; subclasses also set ``dtype`` (and ``activation``,
    None by default), own the weight and bias, and define ``label`` (how error messages name
    the layer).
    """

    activation = None

    def _set_geometry(self, rank, out_channels, kernel_size, stride, padding, dilation, groups):
        where = self.label
        self.rank = positive_int(rank, "rank", where)
        self.out_channels = positive_int(out_channels, "the number of output channels", where)
        self.kernel_size = int_tuple(kernel_size, self.rank, "kernel_size", where)
        self.stride = int_tuple(stride, self.rank, "stride", where)
        self.padding = _padding(padding, self.rank, where)
        self.dilation = int_tuple(dilation, self.rank, "dilation", where)
        self.groups = positive_int(groups, "groups", where)
        if self.out_channels % self.groups:
            raise ValueError(f"{where}: groups={self.groups} must divide the number of output "
                             f"channels ({self.out_channels})")

    @property
    def label(self):
        """The layer as error messages name it."""
        return type(self).__name__

    def _check_in_channels(self, in_channels):
        """Raise unless ``groups`` divides ``in_channels``."""
        if in_channels % self.groups:
            raise ValueError(f"{self.label}: groups={self.groups} must divide the number of input "
                             f"channels, got {in_channels}")

    def _weight_shapes(self, in_channels, bias):
        """The shapes of the weight ``(C_out, C_in // groups, *kernel)`` and of the bias (when
        ``bias``) for ``in_channels`` input channels (None: unknown yet)."""
        per_group = None if in_channels is None else in_channels // self.groups
        shapes = {self._weight_name: (self.out_channels, per_group) + self.kernel_size}
        if bias:
            shapes["bias"] = (self.out_channels,)
        return shapes

    def _check_input(self, shape, in_channels):
        """Raise a ValueError naming the layer unless ``shape`` is ``(N, in_channels, *spatial)``
        with ``rank`` spatial axes (``in_channels`` None: any)."""
        if len(shape) != self.rank + 2:
            raise ValueError(f"{self.label}: expected input of shape (N, C, "
                             f"{spatial_axes_names(self.rank)}) ({self.rank + 2} axes, channels "
                             f"first), got shape {tuple(shape)}")
        if in_channels is not None and shape[1] != in_channels:
            raise ValueError(f"{self.label}: expected input with {in_channels} "
                             f"channel{'s' * (in_channels != 1)}, got shape {tuple(shape)}")

    def _convolve(self, x, weight, bias):
        """``activation(conv(x, weight) + bias)`` on a Tensor already checked and cast."""
        try:
            y = conv(x, weight, bias, stride=self.stride, padding=self.padding,
                     dilation=self.dilation, groups=self.groups)
        except ValueError as error:  # e.g. a kernel larger than the padded input
            raise ValueError(f"{self.label}: {error}") from None
        activation = self.activation
        return y if activation is None else activation(y)

    def _geometry_repr(self, stride_name):
        text = f"kernel_size={self.kernel_size}, {stride_name}={self.stride}"
        if self.padding not in ("valid", (0,) * self.rank):
            text += f", padding={self.padding!r}"
        if self.dilation != (1,) * self.rank:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        return text


# ---------------------------------------------------------------------------- Keras style

@register_layer
class ConvND(_Convolution):
    """Keras-style convolution with ``rank`` spatial axes, channels first: ``(N, C, *spatial)``.

    ``filters`` output channels; ``kernel_size``, ``strides`` and ``dilation_rate`` are an int or
    one int per spatial axis; ``padding`` is ``'valid'``, ``'same'`` (output size
    ``ceil(size / stride)``), an int, one int per axis or one ``(before, after)`` pair per axis.
    ``groups`` splits the channels into independent convolutions. The kernel has shape
    ``(filters, C_in // groups, *kernel_size)``; initializers see Keras's layout
    ``(*kernel_size, C_in // groups, filters)``, so their fans are Keras's.

    The input channels come from the first input (or ``build``), from ``input_shape`` (one
    sample, channels first: ``(C, *spatial)``, for the first layer of a ``Sequential``) or from
    ``input_channels``. Keras's default ``data_format`` is channels last; here only
    ``'channels_first'`` is accepted.
    """

    _takes_rank = True  # False for Conv1D/2D/3D, whose rank is fixed
    _weight_name = "kernel"

    def __init__(self, rank, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 input_shape=None, input_channels=None, data_format=None, dtype=np.float32,
                 name=None):
        super().__init__(name=unique_name(f"conv{rank}d") if name is None else name)
        self._set_geometry(rank, filters, kernel_size, strides, padding, dilation_rate, groups)
        _check_data_format(data_format, self.label)
        set_weight_options(self, activation, use_bias, kernel_initializer, bias_initializer,
                           kernel_regularizer, bias_regularizer)
        self.dtype = float_dtype(dtype, self.label)
        self.kernel = None
        self.bias = None
        self.built = False
        input_shape, input_channels = self._declared_input(input_shape, input_channels)
        self.declared_input_shape = input_shape  # one sample, for Sequential
        if input_channels is not None:
            self._create_weights(input_channels)

    def _declared_input(self, input_shape, input_channels):
        """``(one sample's shape or None, input channels or None)`` from the arguments, checked."""
        if input_shape is not None:
            input_shape = sample_shape(input_shape, "input_shape", self.label, allow_unknown=True)
            if len(input_shape) != self.rank + 1 or input_shape[0] is None:
                raise ValueError(f"{self.label}: input_shape must be one sample's shape (C, "
                                 f"{spatial_axes_names(self.rank)}), channels first, with C "
                                 f"known; got {input_shape}")
            if input_channels is not None and input_channels != input_shape[0]:
                raise ValueError(f"{self.label}: input_shape {input_shape} has {input_shape[0]} "
                                 f"channels but input_channels is {input_channels}")
            input_channels = input_shape[0]
        if input_channels is not None:
            input_channels = positive_int(input_channels, "input_channels", self.label)
            self._check_in_channels(input_channels)
        return input_shape, input_channels

    @classmethod
    def weight_shapes_from_config(cls, config):
        lazy = cls(**{**config, "input_shape": None, "input_channels": None,
                      "name": config.get("name") or cls.__name__})  # checks, creates nothing
        _, in_channels = lazy._declared_input(config.get("input_shape"),
                                              config.get("input_channels"))
        return lazy._weight_shapes(in_channels, lazy.use_bias)

    @property
    def filters(self):
        """The number of output channels."""
        return self.out_channels

    @property
    def strides(self):
        """The stride per spatial axis (Keras's name)."""
        return self.stride

    @property
    def dilation_rate(self):
        """The dilation per spatial axis (Keras's name)."""
        return self.dilation

    @property
    def input_channels(self):
        """The number of input channels (None until built)."""
        return None if self.kernel is None else self.kernel.shape[1] * self.groups

    @property
    def label(self):
        return f"{type(self).__name__} {self.name!r}"

    def _create_weights(self, in_channels):
        self._check_in_channels(in_channels)
        keras_shape = self.kernel_size + (in_channels // self.groups, self.out_channels)
        kernel = self.kernel_initializer(keras_shape, dtype=self.dtype)
        # Keras layout (*kernel, C_in/groups, C_out) -> (C_out, C_in/groups, *kernel)
        order = (self.rank + 1, self.rank) + tuple(range(self.rank))
        self.kernel = Parameter(np.ascontiguousarray(np.transpose(kernel, order)))
        if self.use_bias:
            self.bias = Parameter(self.bias_initializer((self.out_channels,), dtype=self.dtype))
        self.built = True

    def build(self, input_shape, dtype=None):
        """Create the kernel and bias for inputs of ``input_shape`` ``(N, C, *spatial)`` (only C
        matters). Returns the output shape."""
        input_shape = tuple(input_shape)
        self._check_input(input_shape, self.input_channels)
        if input_shape[1] is None:
            raise ValueError(f"{self.label}: cannot build from input shape {input_shape}; the "
                             "channels axis (1) must be known")
        if self.kernel is None:
            self._create_weights(int(input_shape[1]))
        if any(n is None for n in input_shape[2:]):
            return (input_shape[0], self.out_channels) + (None,) * self.rank
        return super().build(input_shape)

    def forward(self, x):
        x = cast_input(x, self.dtype if self.kernel is None else self.kernel.data.dtype)
        if self.kernel is None:
            self._check_input(x.shape, None)
            self._create_weights(x.shape[1])
        else:
            self._check_input(x.shape, self.kernel.shape[1] * self.groups)
        return self._convolve(x, self.kernel, self.bias)

    def penalties(self):
        return kernel_and_bias_penalties(self)

    def get_config(self):
        config = {"rank": self.rank} if self._takes_rank else {}
        config.update({
            "filters": self.out_channels,
            "kernel_size": list(self.kernel_size),
            "strides": list(self.stride),
            "padding": _jsonable(self.padding),
            "dilation_rate": list(self.dilation),
            "groups": self.groups,
            **weight_options_config(self),
            "input_shape": _jsonable(self.declared_input_shape),
            "input_channels": self.input_channels,
            "dtype": self.dtype.name,
            "name": self.name,
        })
        return config

    def extra_repr(self):
        channels = f"{self.input_channels} -> " if self.input_channels is not None else "filters="
        text = f"{channels}{self.out_channels}, {self._geometry_repr('strides')}"
        if self.activation is not None:
            text += f", activation={activations.describe(self.activation)}"
        if not self.use_bias:
            text += ", use_bias=False"
        return text


class _KerasConvOfRank(ConvND):
    """``ConvND`` with the rank fixed by the class."""

    _takes_rank = False
    fixed_rank = None

    def __init__(self, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 input_shape=None, input_channels=None, data_format=None, dtype=np.float32,
                 name=None):
        super().__init__(self.fixed_rank, filters, kernel_size, strides, padding, dilation_rate,
                         groups, activation, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, input_shape, input_channels,
                         data_format, dtype, name)


@register_layer
class Conv1D(_KerasConvOfRank):
    """Keras-style 1-D convolution over ``(N, C, L)`` (channels first; see ``ConvND``)."""
    fixed_rank = 1


@register_layer
class Conv2D(_KerasConvOfRank):
    """Keras-style 2-D convolution over ``(N, C, H, W)`` (channels first; see ``ConvND``)."""
    fixed_rank = 2


@register_layer
class Conv3D(_KerasConvOfRank):
    """Keras-style 3-D convolution over ``(N, C, D, H, W)`` (channels first; see ``ConvND``)."""
    fixed_rank = 3


# ---------------------------------------------------------------------------- PyTorch style

class _TorchConv(_Convolution):
    """PyTorch-style convolution with ``rank`` spatial axes (set by the subclass).

    ``weight`` ``(out_channels, in_channels // groups, *kernel_size)`` and ``bias``
    ``(out_channels,)`` are drawn, as PyTorch does, from U(-b, b) with
    ``b = 1 / sqrt(in_channels // groups * prod(kernel_size))`` (Kaiming-uniform with
    a = sqrt(5) for the weight), from ``autograd.generator()``.
    """

    rank = None
    _weight_name = "weight"

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, dtype=np.float32):
        super().__init__()
        self.in_channels = positive_int(in_channels, "in_channels", type(self).__name__)
        self._set_geometry(self.rank, out_channels, kernel_size, stride, padding, dilation, groups)
        self._check_in_channels(self.in_channels)
        self.dtype = float_dtype(dtype, self.label)
        shapes = self._weight_shapes(self.in_channels, flag(bias, "bias", self.label))
        fan_in = self.in_channels // self.groups * math.prod(self.kernel_size)
        uniform = initializers.RandomUniform(-1.0 / math.sqrt(fan_in), 1.0 / math.sqrt(fan_in))
        self.weight = Parameter(uniform(shapes["weight"], dtype=self.dtype))
        self.bias = Parameter(uniform(shapes["bias"], dtype=self.dtype)) if "bias" in shapes else None

    @classmethod
    def weight_shapes_from_config(cls, config):
        arguments = constructor_arguments(cls, config)
        geometry = cls.__new__(cls)  # holds the checked geometry only; no weights are made
        Module.__init__(geometry)
        geometry.in_channels = positive_int(arguments["in_channels"], "in_channels", cls.__name__)
        geometry._set_geometry(cls.rank, *(arguments[key] for key in (
            "out_channels", "kernel_size", "stride", "padding", "dilation", "groups")))
        geometry._check_in_channels(geometry.in_channels)
        float_dtype(arguments["dtype"], geometry.label)
        return geometry._weight_shapes(geometry.in_channels,
                                       flag(arguments["bias"], "bias", geometry.label))

    @property
    def label(self):
        in_channels = getattr(self, "in_channels", "?")
        out_channels = getattr(self, "out_channels", "?")
        kernel = getattr(self, "kernel_size", None)
        kernel = "" if kernel is None else f", kernel_size={kernel}"
        return f"{type(self).__name__}({in_channels}, {out_channels}{kernel})"

    def forward(self, x):
        x = cast_input(x, self.weight.data.dtype)
        self._check_input(x.shape, self.in_channels)
        return self._convolve(x, self.weight, self.bias)

    def get_config(self):
        return {"in_channels": self.in_channels, "out_channels": self.out_channels,
                "kernel_size": list(self.kernel_size), "stride": list(self.stride),
                "padding": _jsonable(self.padding), "dilation": list(self.dilation),
                "groups": self.groups, "bias": self.bias is not None, "dtype": self.dtype.name}

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, {self._geometry_repr('stride')}"
        return text if self.bias is not None else text + ", bias=False"


@register_layer
class Conv1d(_TorchConv):
    """PyTorch-style 1-D convolution over ``(N, C_in, L)``."""
    rank = 1


@register_layer
class Conv2d(_TorchConv):
    """PyTorch-style 2-D convolution over ``(N, C_in, H, W)``."""
    rank = 2


@register_layer
class Conv3d(_TorchConv):
    """PyTorch-style 3-D convolution over ``(N, C_in, D, H, W)``."""
    rank = 3
