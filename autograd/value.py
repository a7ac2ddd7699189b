"""``Value``: the scalar engine, one graph node per number.

A ``Value`` holds one Python float. Its operators and functions are the same ops that serve
``Tensor`` (``autograd.ops``), run on floats: each op's derivative is written once, beside the
op, and the same formula runs on floats in an ordinary backward pass and on ``Value``s under
``create_graph=True``, which is how higher derivatives work. The subgradient table at kinks and
domain edges is therefore the tensor one (see ``autograd.ops.elementwise``), and for powers:

    d/dx x**p at x = 0:  0 for p > 1,  1 for p = 1,  inf for 0 < p < 1,  0 for p = 0
    d/dp x**p at x = 0 and p >= 0:  0            outside a domain (log(-1), (-8)**0.5): nan

Two ops belong to the scalar engine alone: ``Value.sum`` and ``Value.dot``, which add up many
values in one graph node (a Python ``sum`` would build a chain).
"""
import math
from numbers import Real

import numpy as np

from .math_methods import MathMethods
from .node import Node, Op

__all__ = ["Value"]


def _sum_vjp(g, ans, args, needs):
    return [g] * len(needs)


def _dot_vjp(g, ans, args, needs):
    # operands are w_0 .. w_{n-1}, x_0 .. x_{n-1}: d/dw_i = x_i, d/dx_i = w_i
    half = len(args) // 2
    return [g * args[i + half if i < half else i - half] for i in needs]


_UNARY, _MANY, _RELEASED = object(), object(), object()  # markers of the compact record

_SUM = Op("sum", vjp_all=_sum_vjp)
_DOT = Op("dot", vjp_all=_dot_vjp)


def _as_number(x):
    """A plain float for a Python or numpy real number (or a 0-d real array), or None."""
    if type(x) is float:
        return x
    if isinstance(x, Real):
        return float(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "biuf":
        return float(x)
    return None


class Value(Node, MathMethods):
    """A scalar that records how it was computed, so gradients can flow back through it.

    ``requires_grad`` defaults to True (a teaching engine differentiates everything); results of
    operations require grad when any operand does, unless recorded under ``no_grad()``.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_x", "_y", "_xv", "_yv", "__weakref__")
    _scalar = True  # ops run their float forward on Values (see ``autograd.primitive``)
    shape = ()
    ndim = 0

    def __init__(self, data, requires_grad=True, name=None):
        number = _as_number(data)
        if number is None:
            raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}")
        self.data = number
        self._init_leaf(bool(requires_grad), name)

    # ------------------------------------------------------------------ the record, compact
    # A scalar op keeps its operands (``_x``, ``_y``) and their values (``_xv``, ``_yv``) in
    # slots rather than in two tuples: a million-op chain is then a million objects, not three
    # million, for Python's cycle collector to walk. ``_y`` is ``_UNARY`` for one operand and
    # ``_MANY`` for Value.sum and Value.dot, whose operand and value tuples go in ``_x``, ``_xv``.

    def _store(self, operands, args):
        if operands is None:
            self._x = self._y = self._xv = self._yv = None
        elif len(operands) == 2:
            (self._x, self._y), (self._xv, self._yv) = operands, args
        elif len(operands) == 1:
            self._x, self._xv, self._y = operands[0], args[0], _UNARY
        else:
            self._x, self._xv, self._y = operands, args, _MANY

    @property
    def _inputs(self):
        y = self._y
        if self._op is None:
            return None
        return (self._x,) if y is _UNARY else self._x if y is _MANY else (self._x, y)

    @property
    def _args(self):
        xv, y = self._xv, self._y
        if self._op is None or xv is _RELEASED:
            return None
        return (xv,) if y is _UNARY else xv if y is _MANY else (xv, self._yv)

    @_args.setter
    def _args(self, value):  # the engine frees the record by setting it to None
        self._xv = self._yv = _RELEASED

    # ------------------------------------------------------------------ engine hooks
    @classmethod
    def _leaf(cls, data):
        return cls(data, requires_grad=False)

    _constant_result = _leaf

    @staticmethod
    def _constant_operand(x, op_name):
        """A plain operand of a Value op: it must be a real number."""
        number = _as_number(x)
        if number is None:
            raise TypeError(f"{op_name}: a Value combines with Values and real numbers, got "
                            f"{type(x).__name__}")
        return number

    def _seed(self, grad, where, create_graph):
        """The gradient that starts a backward pass from this value (default 1). The seed is a
        numpy float so that every VJP computes with IEEE semantics (x / 0 is inf, not an error)."""
        if grad is None:
            grad = 1.0
        if isinstance(grad, Value):
            return grad if create_graph else np.float64(grad.data)
        number = _as_number(grad)
        if number is None:
            raise TypeError(f"Value.{where}: grad must be a number, got {type(grad).__name__}")
        return Value(number, requires_grad=False) if create_graph else np.float64(number)

    def _accumulate_grad(self, grad, handed_out=None):
        if not isinstance(grad, Value):
            grad = float(grad)
        self.grad = grad if self.grad is None else self.grad + grad

    # ------------------------------------------------------------------ ops of the scalar engine
    @staticmethod
    def sum(values):
        """Sum of many values as a single graph node (``sum(values)`` builds a chain instead)."""
        values = list(values)
        args = tuple(v.data if type(v) is Value else _checked_number(v, "Value.sum") for v in values)
        needs = tuple(i for i, v in enumerate(values) if type(v) is Value and v.requires_grad)
        return Value._result(math.fsum(args), _SUM, tuple(values), args, needs)

    @staticmethod
    def dot(weights, inputs):
        """``sum(w * x for w, x in zip(weights, inputs))`` as a single graph node."""
        weights, inputs = list(weights), list(inputs)
        if len(weights) != len(inputs):
            raise ValueError(f"Value.dot: {len(weights)} weights but {len(inputs)} inputs")
        operands = tuple(weights + inputs)
        args = tuple(v.data if type(v) is Value else _checked_number(v, "Value.dot") for v in operands)
        needs = tuple(i for i, v in enumerate(operands) if type(v) is Value and v.requires_grad)
        half = len(weights)
        total = math.fsum(args[i] * args[i + half] for i in range(half))
        return Value._result(total, _DOT, operands, args, needs)

    # ------------------------------------------------------------------ comparisons (no gradient)
    def __lt__(self, other):
        return self.data < _data(other)

    def __le__(self, other):
        return self.data <= _data(other)

    def __gt__(self, other):
        return self.data > _data(other)

    def __ge__(self, other):
        return self.data >= _data(other)

    __hash__ = object.__hash__  # values are graph nodes: equal means the same node

    def __float__(self):
        return float(self.data)

    def __bool__(self):
        raise TypeError("the truth value of a Value is ambiguous; compare v.data or use v > 0")

    def __repr__(self):
        name = f", name={self.name!r}" if self.name else ""
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        grad_text = "None" if grad is None else f"{grad:.6g}"
        return f"Value(data={self.data:.6g}, grad={grad_text}{name})"


def _data(x):
    return x.data if isinstance(x, Value) else x


def _checked_number(x, where):
    number = _as_number(x)
    if number is None:
        raise TypeError(f"{where}: operands must be Values or real numbers, got {type(x).__name__}")
    return number
