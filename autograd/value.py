"""``Value``: the scalar engine, one graph node per number.

Each operation computes its result and records a ``Node``; the derivative of each operation is
written right beside it as a row of the derivative table, ``vjp(g, ans, *operands)``, readable as
math: the VJP of ``exp`` is ``g * ans``. The same formulas run on floats in an ordinary backward
pass and on ``Value``s under ``create_graph=True``, which is how higher derivatives work.

Subgradients at kinks and domain edges (the same table holds for ``Tensor``):

    relu(0)' = 0            leaky_relu(0)' = negative_slope     abs(0)' = 0
    sqrt(0) = 0, sqrt'(0) = inf                                 log(0) = -inf, log'(0) = inf
    d/dx x**p at x = 0:  0 for p > 1,  1 for p = 1,  inf for 0 < p < 1,  0 for p = 0
    d/dp x**p at x = 0 and p >= 0:  0            outside a domain (log(-1), (-8)**0.5): nan
"""
import math
from numbers import Real

from . import scalar_math as sm
from .engine import run_backward
from .grad_mode import _Switch
from .node import Node, Op

_NEEDS_ONE = {True: (0,), False: ()}
_NEEDS_TWO = {(True, True): (0, 1), (True, False): (0,), (False, True): (1,), (False, False): ()}


def _pow_dbase(g, ans, x, p):
    # d/dx x**0 = 0, but the formula gives 0 * x**-1, which is nan at (or, in its own derivative,
    # near) x = 0. A constant exponent 0 therefore gets an exact 0. An exponent that is itself
    # being differentiated keeps the formula away from x = 0, so that d2/dx dp = x**-1 survives.
    if sm.data(p) == 0 and (sm.data(x) == 0 or not sm.is_graph(p)):
        return g * 0.0
    return g * p * sm.power(x, p - 1)


def _pow_dexponent(g, ans, x, p):
    if sm.data(x) == 0 and sm.data(p) >= 0:
        return g * 0.0
    return g * ans * sm.log(x)


# The derivative table of the scalar engine: one VJP per operand.
ADD = Op("add").defvjp(lambda g, ans, x, y: g,
                       lambda g, ans, x, y: g)
SUB = Op("sub").defvjp(lambda g, ans, x, y: g,
                       lambda g, ans, x, y: -g)
MUL = Op("mul").defvjp(lambda g, ans, x, y: g * y,
                       lambda g, ans, x, y: g * x)
DIV = Op("div").defvjp(lambda g, ans, x, y: sm.fdiv(g, y),
                       lambda g, ans, x, y: -sm.fdiv(g * x, y * y))
POW = Op("pow").defvjp(_pow_dbase, _pow_dexponent)
NEG = Op("neg").defvjp(lambda g, ans, x: -g)
EXP = Op("exp").defvjp(lambda g, ans, x: g * ans)
LOG = Op("log").defvjp(lambda g, ans, x: sm.fdiv(g, x))
SQRT = Op("sqrt").defvjp(lambda g, ans, x: sm.fdiv(g, 2 * ans))
TANH = Op("tanh").defvjp(lambda g, ans, x: g * (1 - ans * ans))
SIGMOID = Op("sigmoid").defvjp(lambda g, ans, x: g * ans * (1 - ans))
RELU = Op("relu").defvjp(lambda g, ans, x: g * sm.step(x))
LEAKY_RELU = Op("leaky_relu").defvjp(
    lambda g, ans, x, negative_slope: g * (1.0 if sm.data(x) > 0 else negative_slope))
ABS = Op("abs").defvjp(lambda g, ans, x: g * sm.sign(x))
SIN = Op("sin").defvjp(lambda g, ans, x: g * sm.cos(x))
COS = Op("cos").defvjp(lambda g, ans, x: -g * sm.sin(x))
SOFTPLUS = Op("softplus").defvjp(lambda g, ans, x: g * sm.sigmoid(x))


class _SumOp(Op):
    """n-ary sum: every operand receives the output gradient."""
    __slots__ = ()

    def vjp_all(self, g, ans, args, needs):
        return [g] * len(needs)


class _DotOp(Op):
    """n-ary dot product ``sum(w[i] * x[i])`` over operands ``w... x...``."""
    __slots__ = ()

    def vjp_all(self, g, ans, args, needs):
        half = len(args) // 2
        return [g * args[i + half if i < half else i - half] for i in needs]


SUM = _SumOp("sum")
DOT = _DotOp("dot")


def _as_number(x):
    """A plain float for a Python or numpy real number, or None for anything else."""
    if type(x) is float:
        return x
    if isinstance(x, Real):
        return float(x)
    return None


class Value(Node):
    """A scalar that records how it was computed, so gradients can flow back through it.

    ``requires_grad`` defaults to True (a teaching engine differentiates everything); results of
    operations require grad when any operand does, unless recorded under ``no_grad()``.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "__weakref__")

    def __init__(self, data, requires_grad=True, name=None):
        number = _as_number(data)
        if number is None:
            raise TypeError(f"Value(data) needs a real number, got {type(data).__name__}")
        self.data = number
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.name = name
        self._clear_record()

    # ----------------------------------------------------------------- graph plumbing
    def _unary(self, data, op, params=None):
        return Value._result(data, op, (self,), (self.data,), _NEEDS_ONE[self.requires_grad], params)

    def _binary(self, other, fn, op, reflected=False):
        if type(other) is Value:
            y, needs = other.data, _NEEDS_TWO[self.requires_grad, other.requires_grad]
        else:
            y = _as_number(other)
            if y is None:
                return NotImplemented
            needs = _NEEDS_ONE[self.requires_grad]
        if reflected:  # other (op) self: operands in the order the user wrote them
            needs = tuple(1 - i for i in reversed(needs))
            return Value._result(fn(y, self.data), op, (other, self), (y, self.data), needs)
        return Value._result(fn(self.data, y), op, (self, other), (self.data, y), needs)

    def _accumulate_grad(self, grad, handed_out=None):
        self.grad = grad if self.grad is None else self.grad + grad

    @classmethod
    def _constant(cls, data):
        return cls(data, requires_grad=False)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return self._binary(other, float.__add__, ADD)

    def __radd__(self, other):
        return self._binary(other, float.__add__, ADD, reflected=True)

    def __sub__(self, other):
        return self._binary(other, float.__sub__, SUB)

    def __rsub__(self, other):
        return self._binary(other, float.__sub__, SUB, reflected=True)

    def __mul__(self, other):
        return self._binary(other, float.__mul__, MUL)

    def __rmul__(self, other):
        return self._binary(other, float.__mul__, MUL, reflected=True)

    def __truediv__(self, other):
        return self._binary(other, sm.fdiv, DIV)

    def __rtruediv__(self, other):
        return self._binary(other, sm.fdiv, DIV, reflected=True)

    def __pow__(self, other):
        return self._binary(other, sm.fpow, POW)

    def __rpow__(self, other):
        return self._binary(other, sm.fpow, POW, reflected=True)

    def __neg__(self):
        return self._unary(-self.data, NEG)

    def __pos__(self):
        return self

    # ----------------------------------------------------------------- functions
    def exp(self):
        """e ** self."""
        return self._unary(sm.fexp(self.data), EXP)

    def log(self):
        """Natural logarithm (log(0) = -inf, negative input gives nan)."""
        return self._unary(sm.flog(self.data), LOG)

    def sqrt(self):
        """Square root (derivative inf at 0)."""
        return self._unary(sm.fsqrt(self.data), SQRT)

    def tanh(self):
        """Hyperbolic tangent."""
        return self._unary(math.tanh(self.data), TANH)

    def sigmoid(self):
        """Logistic function 1 / (1 + exp(-x)), stable for large |x|."""
        return self._unary(sm.fsigmoid(self.data), SIGMOID)

    def relu(self):
        """max(x, 0) with derivative 0 at 0 (nan stays nan, as in numpy)."""
        x = self.data
        return self._unary(0.0 if x <= 0 else x, RELU)

    def leaky_relu(self, negative_slope=0.01):
        """x for x > 0, negative_slope * x otherwise."""
        x = self.data
        return self._unary(x if x > 0 else negative_slope * x, LEAKY_RELU,
                           {"negative_slope": float(negative_slope)})

    def abs(self):
        """|x| with derivative 0 at 0."""
        return self._unary(abs(self.data), ABS)

    __abs__ = abs

    def sin(self):
        """Sine."""
        return self._unary(sm.fsin(self.data), SIN)

    def cos(self):
        """Cosine."""
        return self._unary(sm.fcos(self.data), COS)

    def softplus(self):
        """log(1 + exp(x)), stable for large |x|."""
        return self._unary(sm.fsoftplus(self.data), SOFTPLUS)

    @staticmethod
    def sum(values):
        """Sum of many values as a single graph node (``sum(values)`` builds a chain instead)."""
        values = list(values)
        args = tuple(v.data if type(v) is Value else _checked_number(v, "Value.sum") for v in values)
        needs = tuple(i for i, v in enumerate(values) if type(v) is Value and v.requires_grad)
        return Value._result(math.fsum(args), SUM, tuple(values), args, needs)

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
        return Value._result(total, DOT, operands, args, needs)

    # ----------------------------------------------------------------- comparisons (no gradient)
    def __lt__(self, other):
        return self.data < sm.data(other)

    def __le__(self, other):
        return self.data <= sm.data(other)

    def __gt__(self, other):
        return self.data > sm.data(other)

    def __ge__(self, other):
        return self.data >= sm.data(other)

    __hash__ = object.__hash__

    def __float__(self):
        return float(self.data)

    def __bool__(self):
        raise TypeError("the truth value of a Value is ambiguous; compare v.data or use v > 0")

    # ----------------------------------------------------------------- autograd API
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into every leaf's ``.grad`` (seed ``grad``, default 1)."""
        if not self.requires_grad:
            raise RuntimeError("backward() on a Value that does not require grad (it was created "
                               "with requires_grad=False or under no_grad())")
        seed = 1.0 if grad is None else grad
        if not isinstance(seed, Value):
            number = _as_number(seed)
            if number is None:
                raise TypeError(f"Value.backward: grad must be a number, got {type(seed).__name__}")
            seed = Value._constant(number) if create_graph else number
        run_backward([self], [seed], retain_graph=retain_graph, create_graph=create_graph)

    def retain_grad(self):
        """Keep this interior value's gradient in ``.grad`` after backward."""
        self._retains_grad = True
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this value's gradient is computed; a non-None result replaces it."""
        if not callable(hook):
            raise TypeError("register_hook needs a callable")
        if not self.requires_grad:
            raise RuntimeError("register_hook on a Value that does not require grad")
        self._hooks = list(self._hooks) + [hook]
        return _HookHandle(self, hook)

    def detach(self):
        """A new leaf with the same data that does not require grad."""
        return Value(self.data, requires_grad=False, name=self.name)

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def __repr__(self):
        name = f", name={self.name!r}" if self.name else ""
        grad = self.grad.data if isinstance(self.grad, Value) else self.grad
        grad_text = "None" if grad is None else f"{grad:.6g}"
        return f"Value(data={self.data:.6g}, grad={grad_text}{name})"


def _checked_number(x, where):
    number = _as_number(x)
    if number is None:
        raise TypeError(f"{where}: operands must be Values or real numbers, got {type(x).__name__}")
    return number


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, owner, hook):
        self._owner, self._hook = owner, hook

    def remove(self):
        """Unregister the hook (no-op if already removed)."""
        hooks = list(self._owner._hooks)
        if self._hook in hooks:
            hooks.remove(self._hook)
        self._owner._hooks = hooks or ()
