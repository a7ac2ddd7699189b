"""``primitive``: turn a numpy function into a differentiable op, for both engines.

This is the one mechanism behind every built-in op, and it is public so users can add their own::

    @autograd.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: g * 3 * x ** 2)

The forward function receives numpy arrays (and whatever plain constants were passed) and returns
an array. Each VJP receives the output gradient ``g``, the output ``ans`` and the operands, plus
the keyword parameters the op was called with. Write VJPs with operators, array methods and
``autograd`` functions: in an ordinary backward pass they run on numpy arrays (or floats); under
``create_graph=True`` the very same code runs on ``Tensor``s (or ``Value``s) and records a graph,
which is what makes second derivatives work.

One op serves both engines. Called with ``Tensor`` operands it runs ``forward`` and returns a
``Tensor``; called with ``Value`` operands it runs the op's scalar forward on Python floats
(``scalar=``, a float function; by default ``forward`` itself, whose result must then be a single
number) and returns a ``Value``. The two engines do not mix in one op. Positional operands may be
graph objects (differentiable) or constants; keyword arguments are non-differentiable parameters.
Called with no graph operand at all, an op simply returns the plain result (no graph).
"""
import functools

import numpy as np

from .grad_mode import _Switch
from .node import Node, Op

__all__ = ["primitive", "primitive_vjp_all", "nondifferentiable", "raw"]

_FIRST, _SECOND, _BOTH, _NONE = (0,), (1,), (0, 1), ()
_NEEDS_TWO = {(True, True): _BOTH, (True, False): _FIRST, (False, True): _SECOND, (False, False): _NONE}


def primitive(forward=None, *, name=None, scalar=None):
    """Decorator: make ``forward`` (numpy in, numpy out) a differentiable op.

    The result is a function with ``.defvjp(vjp_0, vjp_1, ...)`` (one VJP per positional operand,
    ``None`` for operands without a gradient; returns the function) and ``.op`` (its ``Op``).
    ``scalar`` is an optional float version of ``forward`` for ``Value`` operands."""
    if forward is None:
        return lambda f: primitive(f, name=name, scalar=scalar)
    name = name or forward.__name__
    return _op_function(Op(name, forward, scalar or _scalar_via_numpy(forward, name)))


def primitive_vjp_all(forward, vjp_all, name=None):
    """A primitive with any number of operands whose VJP is
    ``vjp_all(g, ans, args, needs, **params) -> [gradient for each index in needs]``."""
    name = name or forward.__name__
    return _op_function(Op(name, forward, _scalar_via_numpy(forward, name), vjp_all=vjp_all))


def _captured_call(call, op, recorder, operands, params):
    """``call`` while a step is being captured (see ``autograd.capture``): the operands traced,
    the numpy calls named after the op, and the name given back afterwards (to the VJP or the
    step around it); ops that this op calls are recorded under its name."""
    outer, recorder.label = recorder.label, op.name
    operands = tuple(recorder.trace_operand(x) for x in operands)
    recorder.in_op = True
    try:
        return call(*operands, **params)
    finally:
        recorder.in_op = False
        recorder.label = outer


def _op_function(op):
    """The callable users see: finds the engine of the graph operands, runs the matching forward
    and records the result."""
    forward = op.forward

    def call(*operands, **params):
        recorder = _Switch.capture
        if recorder is not None and not recorder.in_op:  # a step is being captured
            return _captured_call(call, op, recorder, operands, params)
        if len(operands) == 1:  # the common cases are spelled out: this is the hottest code
            x = operands[0]
            if not isinstance(x, Node):
                return forward(x, **params)
            data = x.data
            out = op.scalar_forward(data, **params) if x._scalar else forward(data, **params)
            return x._result(out, op, operands, (data,), _FIRST if x.requires_grad else _NONE, params)
        if len(operands) == 2:
            x, y = operands
            if isinstance(x, Node):
                engine = x
                if isinstance(y, Node):
                    _check_same_engine(op.name, x, y)
                    xd, yd, needs = x.data, y.data, _NEEDS_TWO[x.requires_grad, y.requires_grad]
                else:
                    xd, yd, needs = x.data, x._constant_operand(y, op.name), _FIRST if x.requires_grad else _NONE
            elif isinstance(y, Node):
                engine = y
                xd, yd, needs = y._constant_operand(x, op.name), y.data, _SECOND if y.requires_grad else _NONE
            else:
                return forward(x, y, **params)
            out = op.scalar_forward(xd, yd, **params) if engine._scalar else forward(xd, yd, **params)
            return engine._result(out, op, operands, (xd, yd), needs, params)
        engine, args, needs = _unwrap(op.name, operands)
        if engine is None:
            return forward(*args, **params)
        out = op.scalar_forward(*args, **params) if engine._scalar else forward(*args, **params)
        return engine._result(out, op, operands, args, needs, params)

    functools.update_wrapper(call, forward)
    call.op = op
    call.defvjp = lambda *vjps: (op.defvjp(*vjps), call)[1]
    return call


def _unwrap(name, operands):
    """(the first graph operand, the raw data of every operand, the positions that need a
    gradient)."""
    engine = None
    args, needs = [], []
    for i, x in enumerate(operands):
        if isinstance(x, Node):
            if engine is None:
                engine = x
            else:
                _check_same_engine(name, engine, x)
            args.append(x.data)
            if x.requires_grad:
                needs.append(i)
        else:
            args.append(x)
    return engine, tuple(args), tuple(needs)


def _check_same_engine(name, x, y):
    if x._scalar is not y._scalar:
        raise TypeError(f"{name}: cannot combine a {type(x).__name__} with a {type(y).__name__}; "
                        "a Value is one number of the scalar engine, a Tensor an array: convert "
                        "one to the other (Tensor(v.data) or Value(t.item()))")


def _scalar_via_numpy(forward, name):
    """The scalar forward of an op that has none of its own: ``forward`` on floats, whose result
    must be a single number."""
    def scalar_forward(*args, **params):
        out = forward(*args, **params)
        if np.ndim(out) != 0:
            raise TypeError(f"{name}: the result has shape {np.shape(out)}, but a Value holds "
                            "a single number; use Tensor operands")
        return float(out)
    return scalar_forward


def nondifferentiable(fn, name=None):
    """Wrap a numpy function whose result carries no gradient (comparisons, argmax, ...): graph
    objects in, a constant of the same engine out (a Tensor or Value that does not require grad)."""
    def wrapper(*operands, **params):
        engine, args, _ = _unwrap(wrapper.__name__, operands)
        out = fn(*args, **params)
        return out if engine is None else engine._constant_result(out)
    wrapper.__name__ = wrapper.__qualname__ = name or fn.__name__
    wrapper.__doc__ = f"``{wrapper.__name__}`` without gradient (numpy semantics)."
    return wrapper


def raw(x):
    """The plain number or array behind ``x`` (a graph object or a constant). VJPs use it for
    conditions, which select between formulas and are never differentiated themselves."""
    return x.data if isinstance(x, Node) else x
