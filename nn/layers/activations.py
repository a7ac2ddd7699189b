"""Activation functions by name (for ``Dense(activation=...)``) and as layers.

Every activation is a single autograd op, so its derivative is the one next to that op:
relu, sigmoid, tanh, softmax (over the last axis), gelu (exact erf form), gelu_tanh (its tanh
approximation, GPT-2's), elu (alpha 1),
leaky_relu (negative slope 0.01, PyTorch's default; Keras's layer uses 0.3), softplus, and
'linear' / None for no activation at all (no op is recorded).
"""

import autograd
from autograd import Tensor

from ..module import Module, register_layer
from ..validation import axis_index, real_number

__all__ = ["get", "serialize", "gelu_tanh", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
           "GELU", "ELU", "Softplus"]


def gelu_tanh(x):
    """GELU with the tanh approximation, ``gelu(x, approximate='tanh')`` (GPT-2's)."""
    return autograd.gelu(x, approximate="tanh")


_BY_NAME = {
    "relu": autograd.relu,
    "sigmoid": autograd.sigmoid,
    "tanh": autograd.tanh,
    "softmax": autograd.softmax,  # default axis=-1
    "gelu": autograd.gelu,
    "gelu_tanh": gelu_tanh,
    "elu": autograd.elu,
    "leaky_relu": autograd.leaky_relu,
    "softplus": autograd.softplus,
    "linear": None,
}
_NAME_OF = {id(fn): name for name, fn in _BY_NAME.items() if fn is not None}


def get(identifier):
    """The activation function for a name in ``{relu, sigmoid, tanh, softmax, gelu, gelu_tanh,
    elu, leaky_relu, softplus, linear}``; None and 'linear' give None; callables are returned as is."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        key = identifier.lower()
        if key not in _BY_NAME:
            raise ValueError(f"unknown activation {identifier!r}; choose from {sorted(_BY_NAME)} or pass a callable")
        return _BY_NAME[key]
    if callable(identifier):
        return identifier
    raise TypeError(f"activation must be a name, None or a callable, got {type(identifier).__name__}")


def serialize(activation):
    """The name of a built-in activation ('linear' for None), for layer configs."""
    if activation is None:
        return "linear"
    name = _NAME_OF.get(id(activation))
    if name is None:
        raise ValueError(f"activation {activation!r} has no name; pass a built-in name to save the layer as JSON")
    return name


def describe(activation):
    """A short text for ``repr``: the quoted name of a built-in activation, else its repr."""
    name = _NAME_OF.get(id(activation))
    return repr(name) if name else repr(activation)


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


class _Activation(Module):
    """A parameter-free layer applying ``self.fn`` (one op) to its input (subclasses with
    settings define their own ``forward``)."""

    fn = None
    supports_masking = True

    def forward(self, x):
        return self.fn(_as_tensor(x))

    @classmethod
    def weight_shapes_from_config(cls, config):
        return {}  # no parameters, no buffers


@register_layer
class ReLU(_Activation):
    """max(x, 0) elementwise."""
    fn = staticmethod(autograd.relu)


@register_layer
class Sigmoid(_Activation):
    """1 / (1 + exp(-x)) elementwise."""
    fn = staticmethod(autograd.sigmoid)


@register_layer
class Tanh(_Activation):
    """tanh(x) elementwise."""
    fn = staticmethod(autograd.tanh)


@register_layer
class Softplus(_Activation):
    """log(1 + exp(x)) elementwise."""
    fn = staticmethod(autograd.softplus)


@register_layer
class LeakyReLU(_Activation):
    """x for x > 0, ``negative_slope * x`` otherwise."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = real_number(negative_slope, "negative_slope", "LeakyReLU")

    def forward(self, x):
        return autograd.leaky_relu(_as_tensor(x), negative_slope=self.negative_slope)

    def get_config(self):
        return {"negative_slope": self.negative_slope}

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


@register_layer
class ELU(_Activation):
    """x for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = real_number(alpha, "alpha", "ELU")

    def forward(self, x):
        return autograd.elu(_as_tensor(x), alpha=self.alpha)

    def get_config(self):
        return {"alpha": self.alpha}

    def extra_repr(self):
        return f"alpha={self.alpha}"


@register_layer
class GELU(_Activation):
    """x * Phi(x) (``approximate='tanh'`` for the tanh approximation)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return autograd.gelu(_as_tensor(x), approximate=self.approximate)

    def get_config(self):
        return {"approximate": self.approximate}

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


@register_layer
class Softmax(_Activation):
    """exp(x) / sum(exp(x)) over ``axis`` (the last by default)."""

    def __init__(self, axis=-1):
        super().__init__()
        self.axis = axis_index(axis, "Softmax")

    def forward(self, x):
        return autograd.softmax(_as_tensor(x), axis=self.axis)

    def get_config(self):
        return {"axis": self.axis}

    def extra_repr(self):
        return f"axis={self.axis}"
