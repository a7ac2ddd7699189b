"""The graph record: an ``Op`` (a named derivative table) and the ``Node`` it leaves behind.

Every differentiable operation, scalar or tensor, creates its result as a ``Node``: the result
remembers which op produced it, from which operands, and the raw operand data the forward pass
saw. ``Value`` and ``Tensor`` are both ``Node`` subclasses, so a graph is simply the results linked
through their operands (one object per op keeps huge scalar graphs cheap for Python's memory
manager). The op's derivative table holds one vector-Jacobian product (VJP) per operand:

    vjp(g, ans, *args, **params) -> gradient for that operand

where ``g`` is the gradient of the output, ``ans`` the output and ``args`` the operands. In an
ordinary backward pass these are plain floats or numpy arrays; under ``create_graph=True`` they are
the graph objects themselves, so the same formula builds a differentiable graph of the gradient.
"""
import os
import traceback

from .grad_mode import _Switch


class Op:
    """A named differentiable operation with its table of VJPs, one per operand."""

    __slots__ = ("name", "vjps")
    vjp_all = None  # ops with many operands may instead return all VJPs at once

    def __init__(self, name, vjps=()):
        self.name = name
        self.vjps = tuple(vjps)

    def defvjp(self, *vjps):
        """Set the VJP of each operand, in order (``None`` for an operand with no gradient)."""
        self.vjps = tuple(vjps)
        return self

    def __repr__(self):
        return f"<op {self.name}>"


class Node:
    """A value in the graph and what produced it.

    ``_op`` is None for a leaf. Otherwise ``_op`` was applied to ``_inputs`` (graph objects or
    plain constants); ``_needs`` lists the operand positions to differentiate, ``_args`` holds the
    operands' raw data and ``_params`` the non-differentiable keyword arguments; ``_scope`` is the
    module path that was running when the op was recorded (see ``grad_mode.scope``). ``_walk``,
    ``_pending`` and ``_gradacc`` are scratch space for the backward walk (see ``engine``).
    """

    __slots__ = ("_op", "_inputs", "_args", "_needs", "_params", "_trace", "_hooks",
                 "_retains_grad", "_walk", "_pending", "_gradacc", "_scope")

    def _clear_record(self):
        self._op = self._inputs = self._args = self._needs = self._params = self._trace = None
        self._hooks = ()
        self._retains_grad = False
        self._walk = 0
        self._gradacc = None
        self._scope = _Switch.scope

    @classmethod
    def _result(cls, data, op, operands, args, needs, params=None):
        """A new value computed by ``op``; it joins the graph when an operand needs a gradient
        and recording is on."""
        out = object.__new__(cls)
        out.data = data
        out.grad = None
        out.name = None
        out._hooks = ()
        out._retains_grad = False
        out._walk = 0
        out._gradacc = None
        out._trace = None
        out._scope = _Switch.scope
        if needs and _Switch.enabled:
            out.requires_grad = True
            out._op, out._inputs, out._args, out._needs, out._params = op, operands, args, needs, params
            if _Switch.anomaly:
                out._record(op, operands, args, needs, params)
        else:
            out.requires_grad = False
            out._op = out._inputs = out._args = out._needs = out._params = None
        return out

    def _record(self, op, inputs, args, needs, params):
        self._op = op
        self._inputs = inputs
        self._args = args
        self._needs = needs
        self._params = params
        self._trace = _creation_trace() if _Switch.anomaly else None

    @property
    def op(self):
        """The ``Op`` that produced this value, or None for a leaf."""
        return self._op

    @property
    def inputs(self):
        """The operands this value was computed from (empty for a leaf)."""
        return self._inputs if self._op is not None else ()

    @property
    def params(self):
        """The op's non-differentiable keyword arguments (axis, shape, ...), or an empty dict."""
        return dict(self._params or {}) if self._op is not None else {}

    @property
    def is_leaf(self):
        """True for values created by the user rather than by a recorded operation."""
        return self._op is None

    @property
    def released(self):
        """True once a backward pass without ``retain_graph`` freed this node's saved data."""
        return self._op is not None and self._args is None

    @property
    def scope(self):
        """The module path that was running when this value was computed (None outside)."""
        return self._scope

    @property
    def creation_trace(self):
        """Where the user created this value (recorded only under ``detect_anomaly``)."""
        return self._trace


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Frames of interactive shells (Jupyter, IPython) that would bury the user's own lines.
_INTERPRETER_SHELLS = tuple(os.sep + name + os.sep for name in ("IPython", "ipykernel", "asyncio", "tornado"))


def _creation_trace():
    """The user's stack at op creation, without the engine's own frames."""
    frames = traceback.extract_stack()[:-2]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)
            and not any(part in f.filename for part in _INTERPRETER_SHELLS)]
    return user or frames
