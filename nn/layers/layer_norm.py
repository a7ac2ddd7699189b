"""Layer normalization, in PyTorch's flavour (``LayerNorm``) and Keras's (``LayerNormalization``),
over one implementation: the ``layer_norm`` op.

Each sample is normalized over its feature axes (not over the batch, unlike batch
normalization), then scaled and shifted elementwise:

    y = (x - mean) / sqrt(var + eps) * weight + bias        mean, var (biased) over the axes

so it behaves the same in training and inference and keeps no running statistics. The flavours
differ in names and defaults:

    PyTorch  LayerNorm(normalized_shape, eps=1e-5)     the trailing axes of that shape;
             weight, bias                              elementwise_affine, bias switch them off
    Keras    LayerNormalization(axis=-1, epsilon=1e-3) any axes, sized from the first input;
             gamma, beta                               scale, center switch them off
"""
import numpy as np

from autograd import layer_norm

from .. import initializers
from ..functional import cast_input
from ..module import Module, Parameter, register_layer
from ..validation import flag, float_dtype, real_number, sample_shape
from .normalization import create_affine, keras_affine_options

__all__ = ["LayerNorm", "LayerNormalization"]


def _normalize(x, axes, weight, bias, eps):
    """``layer_norm`` of ``x`` over ``axes`` (sorted, non-negative) with ``weight`` and ``bias``
    of the shape of those axes; axes that are not the trailing ones are moved to the end and
    back."""
    ndim = x.ndim
    trailing = tuple(range(ndim - len(axes), ndim))
    if tuple(axes) == trailing:
        return layer_norm(x, weight, bias, len(axes), eps)
    others = [a for a in range(ndim) if a not in axes]
    order = tuple(others) + tuple(axes)
    moved = layer_norm(x.transpose(order), weight, bias, len(axes), eps)
    return moved.transpose(tuple(int(a) for a in np.argsort(order)))


def _shape_tuple(shape, where):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not shape or not all(isinstance(n, (int, np.integer)) and n > 0 for n in shape):
        raise ValueError(f"{where}: normalized_shape must be a positive int or a tuple of them, "
                         f"got {shape!r}")
    return tuple(int(n) for n in shape)


@register_layer
class LayerNorm(Module):
    """PyTorch's layer normalization over the trailing ``normalized_shape`` axes of the input.

    ``weight`` (ones) and ``bias`` (zeros) have that shape; ``elementwise_affine=False`` drops
    both, ``bias=False`` only the bias.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 dtype=np.float32):
        super().__init__()
        self.normalized_shape = _shape_tuple(normalized_shape, "LayerNorm")
        self.eps = real_number(eps, "eps", "LayerNorm", 0.0, low_open=True)
        self.elementwise_affine = flag(elementwise_affine, "elementwise_affine", "LayerNorm")
        self.dtype = float_dtype(dtype, "LayerNorm")
        self.weight = self.bias = None
        if self.elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=self.dtype))
            if flag(bias, "bias", "LayerNorm"):
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype=self.dtype))

    def forward(self, x):
        x = cast_input(x, self.dtype)
        count = len(self.normalized_shape)
        if x.ndim < count or x.shape[x.ndim - count:] != self.normalized_shape:
            raise ValueError(f"LayerNorm{self.normalized_shape}: expected an input whose last "
                             f"{count} axes have shape {self.normalized_shape}, got shape "
                             f"{x.shape}")
        return _normalize(x, range(x.ndim - count, x.ndim), self.weight, self.bias, self.eps)

    def get_config(self):
        return {"normalized_shape": list(self.normalized_shape), "eps": self.eps,
                "elementwise_affine": self.elementwise_affine, "bias": self.bias is not None,
                "dtype": self.dtype.name}

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


@register_layer
class LayerNormalization(Module):
    """Keras's layer normalization over ``axis`` (an int or a list of ints; -1 by default).

    ``gamma`` (scale, ones) and ``beta`` (center, zeros) have the shape of those axes of the
    input, so the layer is built from the first input it sees (or ``build``, or
    ``input_shape``: one sample's shape, as for every Keras layer).
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", input_shape=None, dtype=np.float32, name=None):
        super().__init__(name=name)
        where = "LayerNormalization"
        axis = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
        if not axis or not all(isinstance(a, (int, np.integer)) for a in axis):
            raise ValueError(f"{where}: axis must be an int or a list of ints, got {axis!r}")
        self.axis = [int(a) for a in axis]
        keras_affine_options(self, where, epsilon, center, scale, beta_initializer,
                             gamma_initializer, dtype)
        self.param_shape = None
        self.built = False
        self.declared_input_shape = (None if input_shape is None else  # for Sequential
                                     sample_shape(input_shape, "input_shape", where))
        if input_shape is not None:
            self.build((None,) + self.declared_input_shape)

    def _axes(self, ndim):
        axes = sorted({a % ndim for a in self.axis if -ndim <= a < ndim})
        if len(axes) != len(self.axis):
            raise ValueError(f"LayerNormalization: axis {self.axis} does not fit an input with "
                             f"{ndim} axes")
        return axes

    def build(self, input_shape, dtype=None):
        """Create ``gamma`` and ``beta`` for inputs of ``input_shape`` (batch axis first)."""
        input_shape = tuple(input_shape)
        axes = self._axes(len(input_shape))
        shape = tuple(input_shape[a] for a in axes)
        if any(n is None for n in shape):
            raise ValueError(f"LayerNormalization: cannot build from input shape {input_shape} "
                             f"(the normalized axes {axes} must be known)")
        self.param_shape = tuple(int(n) for n in shape)
        create_affine(self, self.param_shape)
        self.built = True
        return input_shape

    def forward(self, x):
        x = cast_input(x, self.dtype)
        if not self.built:
            self.build(x.shape)
        axes = self._axes(x.ndim)
        if tuple(x.shape[a] for a in axes) != self.param_shape:
            raise ValueError(f"LayerNormalization: expected axes {axes} of the input to have "
                             f"shape {self.param_shape}, got an input of shape {x.shape}")
        return _normalize(x, axes, self.gamma, self.beta, self.epsilon)

    def get_config(self):
        return {"axis": self.axis, "epsilon": self.epsilon, "center": self.center,
                "scale": self.scale,
                "beta_initializer": initializers.serialize(self.beta_initializer),
                "gamma_initializer": initializers.serialize(self.gamma_initializer),
                "input_shape": self.declared_input_shape, "dtype": self.dtype.name,
                "name": self.name}

    def extra_repr(self):
        shape = "" if self.param_shape is None else f"{self.param_shape}, "
        return f"{shape}axis={self.axis}, epsilon={self.epsilon}"
