"""Batch normalization, in Keras's flavour (``BatchNormalization``) and PyTorch's
(``BatchNorm1d``, ``BatchNorm2d``, ``BatchNorm3d``).

Both normalize over every axis except the features/channels axis (axis 1: ``(N, C)`` features or
``(N, C, *spatial)`` channels), then scale and shift per channel:

    y = gamma * (x - mean) / sqrt(var + eps) + beta

In training, mean and var are the (biased) statistics of the batch and the running statistics
follow them; in eval mode the running statistics are used. The two flavours differ only in
names, defaults and the running-statistics convention:

    Keras    moving = momentum * moving + (1 - momentum) * batch      momentum=0.99, epsilon=1e-3,
             the moving variance follows the biased batch variance     gamma, beta,
                                                                       moving_mean, moving_variance
    PyTorch  running = (1 - momentum) * running + momentum * batch     momentum=0.1, eps=1e-5,
             the running variance follows the unbiased batch variance  weight, bias,
             n / (n - 1) * var                                         running_mean, running_var
"""
import numpy as np

from ..functional import batch_norm, cast_input
from ..module import Module, Parameter, register_layer
from .. import initializers
from ..validation import (axis_index, constructor_arguments, flag, float_dtype, positive_int,
                          real_number)

__all__ = ["BatchNormalization", "BatchNorm", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d"]


def keras_affine_options(layer, where, epsilon, center, scale, beta_initializer,
                         gamma_initializer, dtype):
    """Check and set the options Keras's normalization layers share: ``epsilon``, whether to
    learn a shift ``beta`` (``center``) and a scale ``gamma`` (``scale``), their initializers
    and the ``dtype``; ``gamma`` and ``beta`` stay None until ``create_affine``."""
    layer.epsilon = real_number(epsilon, "epsilon", where, 0.0, low_open=True)
    layer.center = flag(center, "center", where)
    layer.scale = flag(scale, "scale", where)
    layer.beta_initializer = initializers.get(beta_initializer)
    layer.gamma_initializer = initializers.get(gamma_initializer)
    layer.dtype = float_dtype(dtype, where)
    layer.gamma = layer.beta = None


def create_affine(layer, shape):
    """Create the ``gamma`` and ``beta`` parameters ``keras_affine_options`` asked for, of
    ``shape``."""
    if layer.scale:
        layer.gamma = Parameter(layer.gamma_initializer(shape, dtype=layer.dtype))
    if layer.center:
        layer.beta = Parameter(layer.beta_initializer(shape, dtype=layer.dtype))


def _check_channels(layer, x, axis, channels):
    if x.ndim < 2 or not -x.ndim <= axis < x.ndim or x.shape[axis] != channels:
        raise ValueError(f"{type(layer).__name__}: expected {channels} features/channels on axis "
                         f"{axis}, got input of shape {x.shape}")


@register_layer
class BatchNormalization(Module):
    """Keras-style batch normalization (``BatchNorm`` is the same class).

    ``axis`` is the features/channels axis; the default 1 fits ``(N, C)`` features and
    channels-first ``(N, C, *spatial)`` images (Keras's own default is -1, the same for 2-D input).
    The number of features comes from the first input unless ``num_features`` is given.
    """

    def __init__(self, axis=1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", num_features=None,
                 dtype=np.float32, name=None):
        super().__init__(name=name)
        where = "BatchNormalization"
        self.axis = axis_index(axis, where)
        self.momentum = real_number(momentum, "momentum", where, 0.0, 1.0)
        keras_affine_options(self, where, epsilon, center, scale, beta_initializer,
                             gamma_initializer, dtype)
        self.num_features = None
        self.built = False
        if num_features is not None:
            self._create(positive_int(num_features, "num_features", where))

    def _create(self, channels):
        self.num_features = channels
        create_affine(self, (channels,))
        self.register_buffer("moving_mean", np.zeros(channels, dtype=self.dtype))
        self.register_buffer("moving_variance", np.ones(channels, dtype=self.dtype))
        self.built = True

    @classmethod
    def weight_shapes_from_config(cls, config):
        lazy = cls(**{**config, "num_features": None})  # checks, creates nothing
        channels = config.get("num_features")
        if channels is not None:
            channels = positive_int(channels, "num_features", "BatchNormalization")
        names = ["gamma"] * lazy.scale + ["beta"] * lazy.center + ["moving_mean", "moving_variance"]
        return {name: (channels,) for name in names}

    def build(self, input_shape, dtype=None):
        """Create the parameters and moving statistics for inputs of ``input_shape``."""
        input_shape = tuple(input_shape)
        if len(input_shape) < 2 or not -len(input_shape) <= self.axis < len(input_shape) \
                or input_shape[self.axis] is None:
            raise ValueError(f"BatchNormalization: cannot build from input shape {input_shape} "
                             f"(axis {self.axis} must be known)")
        self._create(positive_int(input_shape[self.axis], f"the size of axis {self.axis}",
                                  "BatchNormalization"))
        return input_shape

    def forward(self, x, training=None):
        """``training`` overrides the module's mode for this call."""
        x = cast_input(x, self.dtype)
        if not self.built:
            self.build(x.shape)
        _check_channels(self, x, self.axis, self.num_features)
        return batch_norm(x, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                          training=self.training if training is None else training,
                          momentum=self.momentum, epsilon=self.epsilon, axis=self.axis)

    def get_config(self):
        return {"axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "num_features": self.num_features, "dtype": self.dtype.name, "name": self.name}

    def extra_repr(self):
        features = "" if self.num_features is None else f"{self.num_features}, "
        return f"{features}axis={self.axis}, momentum={self.momentum}, epsilon={self.epsilon}"


BatchNorm = BatchNormalization


class _TorchBatchNorm(Module):
    """PyTorch-style batch normalization over axis 1 of inputs with ``ndims`` dimensions."""

    ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, dtype=np.float32):
        super().__init__()
        where = type(self).__name__
        self.num_features = positive_int(num_features, "num_features", where)
        self.eps = real_number(eps, "eps", where, 0.0, low_open=True)
        self.momentum = real_number(momentum, "momentum", where, 0.0, 1.0)
        self.affine = flag(affine, "affine", where)
        self.dtype = float_dtype(dtype, where)
        if self.affine:
            self.weight = Parameter(np.ones(self.num_features, dtype=self.dtype))
            self.bias = Parameter(np.zeros(self.num_features, dtype=self.dtype))
        else:
            self.weight = self.bias = None
        self.register_buffer("running_mean", np.zeros(self.num_features, dtype=self.dtype))
        self.register_buffer("running_var", np.ones(self.num_features, dtype=self.dtype))

    @classmethod
    def weight_shapes_from_config(cls, config):
        arguments = constructor_arguments(cls, config)
        where = cls.__name__
        channels = (positive_int(arguments["num_features"], "num_features", where),)
        float_dtype(arguments["dtype"], where)
        names = ["weight", "bias"] * flag(arguments["affine"], "affine", where)
        return {name: channels for name in names + ["running_mean", "running_var"]}

    def forward(self, x):
        x = cast_input(x, self.dtype)
        if x.ndim not in self.ndims:
            raise ValueError(f"{type(self).__name__}: expected a {' or '.join(map(str, self.ndims))}-D "
                             f"input, got shape {x.shape}")
        _check_channels(self, x, 1, self.num_features)
        return batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                          training=self.training, momentum=1.0 - self.momentum, epsilon=self.eps,
                          axis=1, unbiased_moving_variance=True)

    def get_config(self):
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "dtype": self.dtype.name}

    def extra_repr(self):
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}"


@register_layer
class BatchNorm1d(_TorchBatchNorm):
    """PyTorch ``BatchNorm1d``: ``(N, C)`` or ``(N, C, L)`` inputs."""
    ndims = (2, 3)


@register_layer
class BatchNorm2d(_TorchBatchNorm):
    """PyTorch ``BatchNorm2d``: ``(N, C, H, W)`` inputs."""
    ndims = (4,)


@register_layer
class BatchNorm3d(_TorchBatchNorm):
    """PyTorch ``BatchNorm3d``: ``(N, C, D, H, W)`` inputs."""
    ndims = (5,)
