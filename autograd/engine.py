"""Reverse-mode accumulation over the recorded graph, shared by ``Value`` and ``Tensor``.

The walk is iterative (no recursion, so a chain of a million ops is fine) and has two passes:

1. count, for every value reachable from the roots through operands that need a gradient, how
   many edges lead into it;
2. start from the roots and send gradients back; a value is processed once every edge that feeds
   its gradient has delivered, so each VJP runs exactly once, in a valid topological order.

The bookkeeping lives on the graph objects themselves, in three scratch slots: ``_walk`` (the
number of the walk that last visited it, so that stale counts left by an interrupted walk are
never mistaken for this walk's), ``_pending`` (edges still to deliver) and ``_gradacc`` (the
gradient summed so far). Slots are much faster than dictionaries keyed by identity on graphs of
millions of nodes. Interior gradients live only there during the walk: an interior value keeps a
``.grad`` only when it asked to (``retain_grad``), and running backward twice on a retained graph
adds exactly the same gradient to the leaves again.
"""
import gc
import itertools

import numpy as np

from .grad_mode import _Switch, enable_grad, no_grad

__all__ = ["run_backward", "collector_paused", "GradientPieces", "GraphReleasedError",
           "AnomalyError"]


class GraphReleasedError(RuntimeError):
    """Raised on a second backward pass through a graph that was freed by the first."""


class AnomalyError(FloatingPointError):
    """Raised under ``detect_anomaly`` when a backward VJP produces NaN or Inf."""


def run_backward(roots, root_grads, *, retain_graph=None, create_graph=False, inputs=None):
    """Propagate ``root_grads`` from ``roots`` back through the graph.

    Without ``inputs`` the gradients are accumulated into the ``.grad`` of leaves (and of values
    that called ``retain_grad``). With ``inputs`` (a sequence of graph objects) nothing is
    accumulated: the gradient of each input is returned in a list (``None`` where unreachable).
    ``retain_graph`` defaults to ``create_graph``, as in PyTorch.
    """
    if retain_graph is None:
        retain_graph = create_graph
    with collector_paused(), (enable_grad() if create_graph else no_grad()), \
            np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # VJPs meet the same IEEE edge values the forward ops produce quietly (log'(0) = inf).
        return _walk(roots, root_grads, retain_graph, create_graph, inputs)


class collector_paused:
    """Pause Python's cycle collector inside the block, and restore it as it was on the way out.

    Walking a graph allocates many short-lived objects and creates no reference cycles, so the
    collector would only rescan the (possibly huge) live graph again and again."""

    def __enter__(self):
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was_enabled:
            gc.enable()
        return False


class GradientPieces:
    """A gradient still in pieces: ``(index, values)`` pairs to be added into zeros of ``shape``
    by ``assemble(shape, pieces)``.

    Indexing sends its operand such pieces instead of a full-size array of zeros around the
    slice. The pieces from all consumers of a value are collected, and assembled in one buffer
    once the last one has arrived: reading the T steps of a sequence one by one then costs one
    buffer in the backward pass, not T."""

    __slots__ = ("shape", "pieces", "assemble")
    __array_ufunc__ = None  # ``array + pieces``: numpy leaves the sum to ``__radd__``

    def __init__(self, shape, pieces, assemble):
        self.shape, self.pieces, self.assemble = shape, pieces, assemble

    def total(self):
        """The whole gradient."""
        return self.assemble(self.shape, self.pieces)

    def __add__(self, other):
        if type(other) is GradientPieces:
            return GradientPieces(self.shape, self.pieces + other.pieces, self.assemble)
        return self.total() + other

    __radd__ = __add__


_walk_numbers = itertools.count(1)


def _count_edges(roots, walk):
    """Pass 1: tag every reachable value with this walk's number and count the
    gradient-carrying edges that lead into it."""
    stack = []
    for root in roots:
        if root._walk != walk:
            root._walk, root._pending, root._gradacc = walk, 0, None
            stack.append(root)
    while stack:
        node = stack.pop()
        if node._op is None:
            continue
        if node._args is None:
            raise GraphReleasedError(
                f"backward through the graph a second time: the '{node._op.name}' node was "
                "freed by an earlier backward(); pass retain_graph=True to the first call")
        inputs = node._inputs
        for i in node._needs:
            operand = inputs[i]
            if operand._walk == walk:
                operand._pending += 1
            else:
                operand._walk, operand._pending, operand._gradacc = walk, 1, None
                stack.append(operand)


def _walk(roots, root_grads, retain_graph, create_graph, inputs):
    """Pass 2: deliver gradients in topological order; see the module docstring."""
    walk = next(_walk_numbers)
    _count_edges(roots, walk)
    for root, grad in zip(roots, root_grads):
        root._gradacc = grad if root._gradacc is None else root._gradacc + grad
    ready = [r for r in {id(r): r for r in roots}.values() if r._pending == 0]
    wanted = None if inputs is None else {id(x): None for x in inputs}
    anomaly = _Switch.anomaly
    # A VJP may hand the same array to several operands (add's gradient is g for both), and the
    # caller still owns the seeds: the ids of arrays that must be copied before they become a
    # .grad, so that no two .grad attributes share memory.
    handed_out = {id(g) for g in root_grads}

    while ready:
        node = ready.pop()
        grad, node._gradacc = node._gradacc, None
        if type(grad) is GradientPieces:  # every consumer has delivered: assemble once
            grad = grad.total()
        if node._hooks:
            grad = _run_hooks(node._hooks, grad)
        op = node._op
        if wanted is not None:
            if id(node) in wanted:
                wanted[id(node)] = grad
        elif op is None or node._retains_grad:
            node._accumulate_grad(grad, handed_out)
        if op is None:
            continue

        if node._saves_arrays and node._serial != _Switch.writes:
            node._check_saved()  # something a tensor op holds was written since it was recorded
        operands, needs, params = node._inputs, node._needs, node._params
        # Under create_graph the VJPs run on the graph objects, so they record the gradient's graph.
        ans, args = (node, operands) if create_graph else (node.data, node._args)
        if _Switch.capture is not None:  # name the VJP's numpy calls in a captured step
            _Switch.capture.label = f"{op.name} backward"
        if len(needs) == 1 and op.vjp_all is None:
            # One operand to differentiate, the usual case, inlined (in a long scalar chain the
            # call through op.backward costs a third of the walk).
            vjp = op.vjps[needs[0]]
            operand_grads = (vjp(grad, ans, *args, **params) if params else vjp(grad, ans, *args),)
        else:
            operand_grads = op.backward(grad, ans, args, needs, params)
        if not retain_graph:
            if node._saves_arrays:
                node._release_saved()
            node._args = node._params = None
        for i, operand_grad in zip(needs, operand_grads):
            if anomaly:
                _check_finite(operand_grad, node, i)
            operand = operands[i]
            if operand._gradacc is None:
                operand._gradacc = operand_grad
            elif type(operand_grad) is GradientPieces:  # pieces on the left: a Tensor on the
                operand._gradacc = operand_grad + operand._gradacc  # left would take them for a constant
            else:
                operand._gradacc = operand._gradacc + operand_grad
            operand._pending -= 1
            if operand._pending == 0:
                ready.append(operand)

    if _Switch.capture is not None:
        _Switch.capture.label = "step"  # what follows the backward pass is not a VJP
    if wanted is not None:
        return [wanted[id(x)] for x in inputs]
    return None


def _run_hooks(hooks, grad):
    for hook in hooks:
        replaced = hook(grad)
        if replaced is not None:
            if getattr(replaced, "shape", ()) != getattr(grad, "shape", ()):
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient "
                                   f"of shape {getattr(replaced, 'shape', ())} for a gradient of "
                                   f"shape {getattr(grad, 'shape', ())}; a hook may change the "
                                   "values of a gradient, not its shape")
            grad = replaced
    return grad


def _check_finite(grad, node, index):
    if type(grad) is GradientPieces:
        grad = grad.total()
    data = getattr(grad, "data", grad)
    if np.all(np.isfinite(data)):
        return
    name = node._op.name
    where = "".join(_format_trace(node._trace)) if node._trace else "  (created before detect_anomaly was on)\n"
    raise AnomalyError(
        f"backward of '{name}' produced NaN or Inf in the gradient of operand {index}.\n"
        f"The '{name}' op was created at:\n{where}")


def _format_trace(frames):
    import traceback
    return traceback.format_list(frames[-8:])
