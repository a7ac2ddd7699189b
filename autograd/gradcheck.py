"""``gradcheck`` and ``gradgradcheck``: compare analytic derivatives with central finite
differences in float64.

Works for scalar functions of ``Value``s and for tensor functions of ``Tensor``s. The analytic
Jacobian comes from backward passes (one per output element, or a few random projections for
outputs with many elements); the numerical one from ``(f(x + eps) - f(x - eps)) / (2 eps)`` per
input element. On a mismatch a ``GradcheckError`` names the input, the element, and both values.
"""
import numpy as np

from .functional import gradients
from .grad_mode import enable_grad, no_grad
from .node import Node
from .tensor import Tensor
from .value import Value

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]

_MAX_FULL_ROWS = 64  # above this many output elements, check random projections instead


class GradcheckError(AssertionError):
    """An analytic derivative disagrees with its finite-difference estimate."""


def _prepare(inputs):
    """float64 leaves that require grad, and whether this is the scalar engine."""
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    scalar = all(isinstance(x, Value) or (np.ndim(x) == 0 and not isinstance(x, (Tensor, np.ndarray)))
                 for x in items)
    leaves = []
    for x in items:
        data = x.data if isinstance(x, Node) else x
        if scalar:
            leaves.append(Value(float(data)))
        else:
            leaves.append(Tensor(np.array(data, dtype=np.float64), requires_grad=True))
    return leaves, scalar


def _outputs(result):
    outs = list(result) if isinstance(result, (list, tuple)) else [result]
    for o in outs:
        if not isinstance(o, Node):
            raise TypeError(f"gradcheck: the function must return Values or Tensors, got {type(o).__name__}")
    return outs


def _flat_output(outs):
    return np.concatenate([np.ravel(np.asarray(o.data, dtype=np.float64)) for o in outs])


def _evaluate(f, leaves, scalar):
    # Fresh leaves that require grad: f may itself differentiate (as in gradgradcheck).
    with enable_grad():
        args = [Value(l.data) if scalar else Tensor(l.data, requires_grad=True) for l in leaves]
        return _flat_output(_outputs(f(*args)))


def _projections(n_out, rng):
    if n_out <= _MAX_FULL_ROWS:
        return np.eye(n_out)
    return rng.standard_normal((3, n_out))


def _analytic_rows(f, leaves, scalar, projections):
    """For each projection v: the gradient of v . f(x) with respect to every input (flattened)."""
    with enable_grad():
        outs = _outputs(f(*leaves))
    sizes = [int(np.size(o.data)) for o in outs]
    bounds = np.cumsum([0] + sizes)
    rows = []
    for v in projections:
        live, seeds = [], []
        for o, lo, hi in zip(outs, bounds[:-1], bounds[1:]):
            if o.requires_grad:
                live.append(o)
                piece = v[lo:hi]
                seeds.append(float(piece[0]) if isinstance(o, Value) else
                             piece.reshape(np.shape(o.data)).astype(o.data.dtype))
        grads = gradients(live, leaves, seeds, retain_graph=True) if live else [None] * len(leaves)
        rows.append([np.zeros(np.shape(l.data)) if g is None else np.asarray(_data(g), dtype=np.float64)
                     for g, l in zip(grads, leaves)])
    return rows


def _data(g):
    return g.data if isinstance(g, Node) else g


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check ``f``'s first derivatives at ``inputs``; returns True or raises ``GradcheckError``.

    ``inputs``: one input or a sequence (floats or ``Value``s for a scalar function, arrays or
    ``Tensor``s for a tensor function); each is copied to float64 and differentiated. ``f`` returns
    a ``Value``/``Tensor`` or a sequence of them.
    """
    leaves, scalar = _prepare(inputs)
    rng = np.random.default_rng(seed)
    base = _evaluate(f, leaves, scalar)
    projections = _projections(base.size, rng)
    analytic = _analytic_rows(f, leaves, scalar, projections)
    for i, leaf in enumerate(leaves):
        shape = np.shape(leaf.data)
        original = np.array(leaf.data, dtype=np.float64)
        for index in np.ndindex(*shape):
            plus, minus = original.copy(), original.copy()
            plus[index] += eps
            minus[index] -= eps
            column = (_evaluate_at(f, leaves, scalar, i, plus) - _evaluate_at(f, leaves, scalar, i, minus)) / (2 * eps)
            for row, v in enumerate(projections):
                numerical = float(v @ column)
                value = float(analytic[row][i][index] if shape else analytic[row][i])
                if not np.isclose(value, numerical, rtol=rtol, atol=atol, equal_nan=True):
                    what = (f"output element {row}" if base.size <= _MAX_FULL_ROWS
                            else f"random projection {row} of the output")
                    where = f"[{', '.join(map(str, index))}]" if shape else ""
                    raise GradcheckError(
                        f"gradcheck: d({what}) / d(input {i}){where}: analytic {value:.10g}, "
                        f"numerical {numerical:.10g} (eps={eps}, atol={atol}, rtol={rtol})")
    return True


def _evaluate_at(f, leaves, scalar, i, data):
    shifted = list(leaves)
    shifted[i] = Value(float(data)) if scalar else Tensor(data)
    return _evaluate(f, shifted, scalar)


def gradgradcheck(f, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0):
    """Check second derivatives: runs ``gradcheck`` on the map from the inputs to the gradients
    of ``v . f(inputs)`` (``v`` = ``grad_outputs``, random by default) computed with
    ``create_graph=True``."""
    leaves, scalar = _prepare(inputs)
    rng = np.random.default_rng(seed + 1)
    with no_grad():
        shapes = [np.shape(o.data) for o in _outputs(f(*[Value(l.data, requires_grad=False) if scalar
                                                          else Tensor(l.data) for l in leaves]))]

    if grad_outputs is None:
        vs = [float(rng.standard_normal()) if scalar else rng.standard_normal(s) for s in shapes]
    else:
        vs = [np.asarray(v, dtype=np.float64) for v in (grad_outputs if isinstance(grad_outputs, (list, tuple))
                                                       else [grad_outputs])]

    def first_derivatives(*xs):
        outs = _outputs(f(*xs))
        live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        if not live:
            raise GradcheckError("gradgradcheck: the outputs do not depend on the inputs")
        seeds = [Value(float(v), requires_grad=False) if isinstance(o, Value) else Tensor(np.asarray(v, dtype=o.data.dtype))
                 for o, v in live]
        grads = gradients([o for o, _ in live], list(xs), seeds, create_graph=True)
        return [g if g is not None else (Value(0.0, requires_grad=False) if scalar else Tensor(np.zeros_like(x.data)))
                for g, x in zip(grads, xs)]

    return gradcheck(first_derivatives, leaves, eps=eps, atol=atol, rtol=rtol, seed=seed)
