"""``primitive``: turn a numpy function into a differentiable tensor op.

This is the one mechanism behind every built-in tensor op, and it is public so users can add
their own::

    @autograd.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: g * 3 * x ** 2)

The forward function receives numpy arrays (and whatever plain constants were passed) and returns
an array. Each VJP receives the output gradient ``g``, the output ``ans`` and the operands, plus
the keyword parameters the op was called with. Write VJPs with operators, array methods
(``.sum``, ``.reshape``, ``.T``) and ``autograd`` functions: in an ordinary backward pass they run
on numpy arrays; under ``create_graph=True`` the very same code runs on ``Tensor``s and records a
graph, which is what makes second derivatives work.

Positional operands may be Tensors (differentiable) or constants; keyword arguments are
non-differentiable parameters. Called with no ``Tensor`` operand, a primitive simply returns the
numpy result (no graph).
"""
import functools

import numpy as np

from .node import Op


def _make_op_function(op, forward):
    """The callable users see: unwraps Tensor operands, runs ``forward``, records the node."""
    result = None  # bound below, once Tensor exists

    def call(*operands, **params):
        if len(operands) == 1:
            x = operands[0]
            if not isinstance(x, Tensor):
                return forward(x, **params)
            data = x.data
            return result(forward(data, **params), op, operands, (data,),
                          _ONE if x.requires_grad else (), params or None)
        if len(operands) == 2:
            x, y = operands
            x_is, y_is = isinstance(x, Tensor), isinstance(y, Tensor)
            if not (x_is or y_is):
                return forward(x, y, **params)
            xd = x.data if x_is else x
            yd = y.data if y_is else y
            needs = _NEEDS_TWO[x_is and x.requires_grad, y_is and y.requires_grad]
            return result(forward(xd, yd, **params), op, operands, (xd, yd), needs, params or None)
        args = []
        needs = []
        has_tensor = False
        for i, x in enumerate(operands):
            if isinstance(x, Tensor):
                has_tensor = True
                args.append(x.data)
                if x.requires_grad:
                    needs.append(i)
            else:
                args.append(x)
        out = forward(*args, **params)
        if not has_tensor:
            return out
        return result(out, op, operands, tuple(args), tuple(needs), params or None)

    def bind():
        nonlocal result
        result = Tensor._result

    _PENDING_BINDS.append(bind)
    if "Tensor" in globals():
        bind()
    functools.update_wrapper(call, forward)
    call.op = op
    call.defvjp = lambda *vjps: (op.defvjp(*vjps), call)[1]
    call.__wrapped__ = forward
    return call


_ONE = (0,)
_NEEDS_TWO = {(True, True): (0, 1), (True, False): (0,), (False, True): (1,), (False, False): ()}
_PENDING_BINDS = []


class _VjpAllOp(Op):
    """An op whose VJPs for all operands come from one function (ops with n operands)."""

    __slots__ = ("vjp_all",)

    def __init__(self, name, vjp_all):
        super().__init__(name)
        self.vjp_all = vjp_all


def primitive(forward=None, *, name=None):
    """Decorator: make ``forward`` (numpy in, numpy out) a differentiable op.

    The result is a function with ``.defvjp(vjp_0, vjp_1, ...)`` (one VJP per positional operand,
    ``None`` for operands without a gradient; returns the function) and ``.op`` (its ``Op``)."""
    if forward is None:
        return lambda f: primitive(f, name=name)
    return _make_op_function(Op(name or forward.__name__), forward)


def primitive_vjp_all(forward, vjp_all, name=None):
    """A primitive with any number of operands whose VJP is
    ``vjp_all(g, ans, args, needs, **params) -> [gradient for each index in needs]``."""
    return _make_op_function(_VjpAllOp(name or forward.__name__, vjp_all), forward)


def nondifferentiable(fn, name=None):
    """Wrap a numpy function whose result carries no gradient (comparisons, argmax, ...):
    Tensors in, a Tensor that does not require grad out."""
    def wrapper(*operands, **params):
        has_tensor = False
        args = []
        for x in operands:
            if isinstance(x, Tensor):
                has_tensor = True
                args.append(x.data)
            else:
                args.append(x)
        out = fn(*args, **params)
        return Tensor._result(out, None, None, None, (), None) if has_tensor else out
    wrapper.__name__ = name or fn.__name__
    wrapper.__doc__ = f"``{wrapper.__name__}`` without gradient (numpy semantics)."
    return wrapper


from .tensor import Tensor  # noqa: E402  (Tensor's methods use the ops built on this module)

for _bind in _PENDING_BINDS:
    _bind()
