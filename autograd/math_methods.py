"""The arithmetic operators and elementwise functions that ``Value`` and ``Tensor`` share.

Each method is its op (``x.exp()`` is ``autograd.exp(x)``), so the derivative is the op's, defined
once in ``autograd.ops`` for both engines. Adding an elementwise op to both classes is one line
here.
"""
from . import ops

__all__ = ["MathMethods"]


class MathMethods:
    """Operators and elementwise math for the graph objects; every one records its op."""

    __slots__ = ()

    __add__ = ops.add
    __sub__ = ops.subtract
    __mul__ = ops.multiply
    __truediv__ = ops.divide
    __pow__ = ops.power
    __neg__ = ops.negative
    __abs__ = ops.absolute

    def __radd__(self, other):
        return ops.add(other, self)

    def __rsub__(self, other):
        return ops.subtract(other, self)

    def __rmul__(self, other):
        return ops.multiply(other, self)

    def __rtruediv__(self, other):
        return ops.divide(other, self)

    def __rpow__(self, other):
        return ops.power(other, self)

    def __pos__(self):
        return self

    exp = ops.exp
    log = ops.log
    log1p = ops.log1p
    sqrt = ops.sqrt
    abs = ops.absolute
    tanh = ops.tanh
    sigmoid = ops.sigmoid
    relu = ops.relu
    leaky_relu = ops.leaky_relu
    elu = ops.elu
    gelu = ops.gelu
    softplus = ops.softplus
    sin = ops.sin
    cos = ops.cos
    erf = ops.erf
    clip = ops.clip
    maximum = ops.maximum
    minimum = ops.minimum
