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

Called with no ``Tensor`` operand, a primitive simply returns the numpy result (no graph).
"""
from types import MethodType

import numpy as np

from .grad_mode import _Switch
from .node import Op


class Primitive(Op):
    """A differentiable op defined by a numpy ``forward`` and per-operand VJPs (``defvjp``)."""

    __slots__ = ("forward", "__wrapped__")

    def __init__(self, forward, name=None):
        super().__init__(name or forward.__name__)
        self.forward = forward
        self.__wrapped__ = forward

    @property
    def __doc__(self):
        return self.forward.__doc__

    def __get__(self, obj, objtype=None):
        # Lets a primitive stored on Tensor act as a method: ``t.exp()`` calls ``exp(t)``.
        return self if obj is None else MethodType(self, obj)

    def __call__(self, *operands, **params):
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
        out = self.forward(*args, **params)
        if not has_tensor:
            return out
        return Tensor._result(out, self, operands, tuple(args), tuple(needs), params or None)


class _VjpAllPrimitive(Primitive):
    """A primitive whose VJPs for all operands come from one function (ops with n operands)."""

    __slots__ = ("vjp_all",)

    def __init__(self, forward, vjp_all, name=None):
        super().__init__(forward, name)
        self.vjp_all = vjp_all


def primitive(forward=None, *, name=None):
    """Decorator: make ``forward`` (numpy in, numpy out) a differentiable op; add ``.defvjp``."""
    if forward is None:
        return lambda f: Primitive(f, name)
    return Primitive(forward, name)


def primitive_vjp_all(forward, vjp_all, name=None):
    """A primitive with any number of operands whose VJP is
    ``vjp_all(g, ans, args, needs, **params) -> [gradient for each index in needs]``."""
    return _VjpAllPrimitive(forward, vjp_all, name)


def nondifferentiable(fn, name=None):
    """Wrap a numpy function whose result carries no gradient (comparisons, argmax, ...):
    Tensors in, a Tensor that does not require grad out."""
    def wrapper(*operands, **params):
        args = [x.data if isinstance(x, Tensor) else x for x in operands]
        out = fn(*args, **params)
        if any(isinstance(x, Tensor) for x in operands):
            return Tensor(np.asarray(out))
        return out
    wrapper.__name__ = name or fn.__name__
    wrapper.__doc__ = f"``{wrapper.__name__}`` without gradient (numpy semantics)."
    return wrapper


from .tensor import Tensor  # noqa: E402  (Tensor's methods use the ops built on this module)
