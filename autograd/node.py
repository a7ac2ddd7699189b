"""The graph record shared by ``Value`` and ``Tensor``: an ``Op`` and the ``Node`` it leaves behind.

Every differentiable operation, scalar or tensor, creates its result as a ``Node``: the result
remembers which op produced it, from which operands, and the raw operand data the forward pass
saw. ``Value`` and ``Tensor`` are both ``Node`` subclasses, so a graph is simply the results linked
through their operands (one object per op keeps huge scalar graphs cheap for Python's memory
manager). The op holds one vector-Jacobian product (VJP) per operand:

    vjp(g, ans, *args, **params) -> gradient for that operand

where ``g`` is the gradient of the output, ``ans`` the output and ``args`` the operands. In an
ordinary backward pass these are plain numbers or numpy arrays; under ``create_graph=True`` they
are the graph objects themselves, so the same formula builds a differentiable graph of the
gradient. The gradient API that both engines share (``backward``, ``retain_grad``,
``register_hook``, ``zero_grad``, ``detach``) lives here too.
"""
import os
import traceback
import warnings

from .engine import run_backward
from .grad_mode import _Switch

__all__ = ["Op", "Node", "HookHandle"]


class Op:
    """A named differentiable operation: its forward functions and one VJP per operand.

    ``forward`` computes on numpy arrays (the ``Tensor`` engine); ``scalar_forward`` on Python
    floats (the ``Value`` engine), or None when the op has no scalar meaning.
    """

    __slots__ = ("name", "forward", "scalar_forward", "vjps", "vjp_all")

    def __init__(self, name, forward=None, scalar_forward=None, vjps=(), vjp_all=None):
        self.name = name
        self.forward = forward
        self.scalar_forward = scalar_forward
        self.vjps = tuple(vjps)
        self.vjp_all = vjp_all  # or: one function giving the VJPs of all operands at once

    def defvjp(self, *vjps):
        """Set the VJP of each operand, in order (``None`` for an operand with no gradient)."""
        self.vjps = tuple(vjps)
        return self

    def backward(self, g, ans, args, needs, params):
        """The gradients of the operands at positions ``needs``, given the output gradient (and
        the op's keyword ``params``, a dict or None)."""
        params = params or _NO_PARAMS
        if self.vjp_all is not None:
            return self.vjp_all(g, ans, args, needs, **params)
        if len(needs) == 1:  # the common case, without building a list
            return (self.vjps[needs[0]](g, ans, *args, **params),)
        return [self.vjps[i](g, ans, *args, **params) for i in needs]

    def __repr__(self):
        return f"<op {self.name}>"


_NO_PARAMS = {}


class Node:
    """A value in the graph and what produced it.

    ``_op`` is None for a leaf. Otherwise ``_op`` was applied to ``_inputs`` (graph objects or
    plain constants); ``_needs`` lists the operand positions to differentiate, ``_args`` holds the
    operands' raw data and ``_params`` the non-differentiable keyword arguments; ``_scope`` is the
    module path that was running when the op was recorded (see ``grad_mode.scope``). ``_walk``,
    ``_pending`` and ``_gradacc`` are scratch space for the backward walk (see ``engine``).
    Subclasses add ``data``, ``grad``, ``requires_grad`` and ``name``, and keep ``_inputs`` and
    ``_args`` as they like (``_store`` writes them): ``Tensor`` as two tuples, ``Value`` in slots
    of its own, so that a scalar op is one Python object for the cycle collector to walk.
    """

    __slots__ = ("_op", "_needs", "_params", "_trace", "_hooks", "_retains_grad", "_walk",
                 "_pending", "_gradacc", "_scope")
    _saves_arrays = False  # Tensor: saved arrays are read-only until released (``autograd.saved``)

    def _init_leaf(self, requires_grad, name):
        """Fill in the slots of a new leaf (for subclass constructors)."""
        self.requires_grad = requires_grad
        self.grad = None
        self.name = name
        self._op = self._needs = self._params = self._trace = None
        self._store(None, None)
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
        out._scope = _Switch.scope
        if needs and _Switch.enabled:
            out.requires_grad = True
            out._op, out._needs = op, needs
            out._params = params or None
            out._trace = _creation_trace() if _Switch.anomaly else None
            out._store(operands, args)
        else:
            out.requires_grad = False
            out._op = out._needs = out._params = out._trace = None
            out._store(None, None)
        return out

    # ------------------------------------------------------------------ the record, read-only
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

    # ------------------------------------------------------------------ gradients
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate the gradient of this value into the ``.grad`` of every leaf it depends on.

        ``grad`` seeds the pass (default 1, allowed only for a single-element output);
        ``retain_graph`` (default: ``create_graph``) keeps the graph for another pass;
        ``create_graph`` records the backward pass itself, so gradients can be differentiated.
        """
        if not self.requires_grad:
            raise RuntimeError(f"backward() on a {type(self).__name__} that does not require "
                               "grad (no input required grad, or it was computed under no_grad())")
        seed = self._seed(grad, "backward", create_graph)
        if create_graph:
            warnings.warn(
                "backward(create_graph=True) stores in each leaf's .grad a graph that refers back "
                "to the leaf: a reference cycle, which only Python's cycle collector frees. Prefer "
                "autograd.gradients(..., create_graph=True), which returns the gradients instead; "
                "or set the .grad of the leaves to None when done.", stacklevel=2)
        run_backward([self], [seed], retain_graph=retain_graph, create_graph=create_graph)

    def retain_grad(self):
        """Keep this interior value's gradient in ``.grad`` after backward."""
        self._retains_grad = True
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this value's gradient is computed; a non-None result replaces
        the gradient (clip it, log it, zero it...). Returns a handle with ``remove()``."""
        if not callable(hook):
            raise TypeError("register_hook needs a callable")
        if not self.requires_grad:
            raise RuntimeError(f"register_hook on a {type(self).__name__} that does not require grad")
        self._hooks = (*self._hooks, hook)
        return HookHandle(self, hook)

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def detach(self):
        """A new leaf with the same data, cut from the graph (it does not require grad)."""
        return self._leaf(self.data)


class HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_owner", "_hook")

    def __init__(self, owner, hook):
        self._owner, self._hook = owner, hook

    def remove(self):
        """Unregister the hook (no-op if already removed)."""
        hooks = list(self._owner._hooks)
        if self._hook in hooks:
            hooks.remove(self._hook)
        self._owner._hooks = tuple(hooks)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
# Frames of interactive shells (Jupyter, IPython) that would bury the user's own lines.
_INTERPRETER_SHELLS = tuple(os.sep + name + os.sep for name in ("IPython", "ipykernel", "asyncio", "tornado"))


def _creation_trace():
    """The user's stack at op creation, without the engine's own frames."""
    frames = traceback.extract_stack()[:-2]
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)
            and not any(part in f.filename for part in _INTERPRETER_SHELLS)]
    return user or frames
