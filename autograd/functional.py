"""Functional derivatives: ``gradients``, ``grad``, ``value_and_grad``, ``jacobian``, ``hessian``,
``hvp``. They compose: ``grad(grad(f))(x)`` is the second derivative of a scalar function.

Plain numbers and arrays go in and plain numbers and arrays come out; pass ``Value``s or
``Tensor``s that require grad (as an outer ``grad`` does) and the results are graph objects that
can be differentiated again.
"""
import numbers

import numpy as np

from .engine import run_backward
from .grad_mode import enable_grad
from .node import Node
from .tensor import Tensor, _seed_gradient
from .value import Value

__all__ = ["gradients", "grad", "value_and_grad", "jacobian", "hessian", "hvp"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _seed(output, grad, create_graph):
    if isinstance(output, Value):
        seed = 1.0 if grad is None else grad
        if create_graph and not isinstance(seed, Value):
            seed = Value(float(seed), requires_grad=False)
        return seed
    seed = _seed_gradient(output, grad, "gradients")
    if create_graph and not isinstance(seed, Tensor):
        seed = Tensor(seed)
    return seed


def gradients(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned rather than accumulated
    into ``.grad`` (like ``torch.autograd.grad``). ``None`` marks an input the outputs do not
    depend on. A single input gives a single gradient, a sequence gives a list."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    seeds = _as_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(seeds) != len(outs):
        raise ValueError(f"gradients: {len(outs)} outputs but {len(seeds)} grad_outputs")
    for x in ins:
        if not isinstance(x, Node) or not x.requires_grad:
            raise ValueError("gradients: every input must be a Value or Tensor that requires grad")
    live = [(o, s) for o, s in zip(outs, seeds) if o.requires_grad]
    if not live:
        result = [None] * len(ins)
    else:
        result = run_backward([o for o, _ in live], [_seed(o, s, create_graph) for o, s in live],
                              retain_graph=retain_graph, create_graph=create_graph, inputs=ins)
    return result if isinstance(inputs, (list, tuple)) else result[0]


def _watch(arg):
    """A leaf to differentiate with respect to; a graph object that already requires grad is used
    as is, so that an outer differentiation can see through (nesting)."""
    if isinstance(arg, Node):
        if arg.requires_grad:
            return arg
        return Value(arg.data) if isinstance(arg, Value) else Tensor(arg.data, requires_grad=True)
    if isinstance(arg, numbers.Real) and not isinstance(arg, bool):
        return Value(float(arg))
    array = np.asarray(arg)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return Tensor(array, requires_grad=True)


def _inside_outer_differentiation(args, kwargs):
    """True when some argument is a graph object that requires grad: then an outer derivative
    may need this one's result as a graph (``grad(grad(f))``, or a mixed partial taken through
    another argument). Variables captured by closure instead of passed are not seen."""
    return any(isinstance(a, Node) and a.requires_grad for a in (*args, *kwargs.values()))


def _zero_like(x):
    if isinstance(x, Value):
        return Value(0.0, requires_grad=False)
    return Tensor(np.zeros_like(x.data))


def _unwrap(x):
    return x.data if isinstance(x, Node) else x


def _as_output(out):
    """``f``'s result as a graph object: a plain number (``f`` ignored its argument) is a
    constant, whose gradient is zero."""
    if isinstance(out, Node):
        return out
    if isinstance(out, numbers.Real) and not isinstance(out, bool):
        return Value(float(out), requires_grad=False)
    if isinstance(out, np.ndarray) and np.issubdtype(out.dtype, np.number):
        return Tensor(out)
    raise TypeError(f"grad: f must return a Value, a Tensor or a number, got {type(out).__name__}")


def value_and_grad(f, argnums=0):
    """``f``'s value and its gradient with respect to the arguments in ``argnums`` (an int, or a
    tuple giving a tuple of gradients). ``f`` must return a scalar Value, a one-element Tensor or
    a plain number (a constant: its gradient is zero). When any argument is a graph object that
    requires grad, the results are graph objects an outer derivative can differentiate again."""
    def value_and_grad_f(*args, **kwargs):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        args = list(args)
        nested = _inside_outer_differentiation(args, kwargs)
        keep_graph_types = nested or any(isinstance(args[i], Node) for i in nums)
        watched = [_watch(args[i]) for i in nums]
        for i, w in zip(nums, watched):
            args[i] = w
        with enable_grad():
            out = _as_output(f(*args, **kwargs))
        if isinstance(out, Tensor) and out.size != 1:
            raise ValueError(f"grad: f must return a single element, got shape {out.shape}; "
                             "use jacobian for vector outputs")
        grads = gradients(out, watched, create_graph=nested) if out.requires_grad else [None] * len(watched)
        grads = [_zero_like(w) if g is None else g for g, w in zip(grads, watched)]
        if keep_graph_types:
            grads = [g if isinstance(g, Node) else type(w)._constant_result(g)
                     for g, w in zip(grads, watched)]
            value = out
        else:
            grads = [_unwrap(g) for g in grads]
            value = _unwrap(out)
            if isinstance(out, Tensor):
                value = value.reshape(()).item() if value.ndim == 0 else value
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))
    value_and_grad_f.__name__ = f"value_and_grad_{getattr(f, '__name__', 'f')}"
    return value_and_grad_f


def grad(f, argnums=0):
    """The gradient function of a scalar function: ``grad(f)(x)`` is df/dx at x."""
    vg = value_and_grad(f, argnums)

    def grad_f(*args, **kwargs):
        return vg(*args, **kwargs)[1]
    grad_f.__name__ = f"grad_{getattr(f, '__name__', 'f')}"
    return grad_f


def jacobian(f, argnum=0):
    """The Jacobian of a tensor function: ``jacobian(f)(x)`` has shape ``f(x).shape + x.shape``.
    Intended for small functions: it runs one backward pass per output element."""
    def jacobian_f(*args, **kwargs):
        args = list(args)
        nested = _inside_outer_differentiation(args, kwargs)
        x = _watch(args[argnum])
        if isinstance(x, Value):
            x = Tensor(np.float64(x.data), requires_grad=True)
        args[argnum] = x
        with enable_grad():
            y = f(*args, **kwargs)
        if not isinstance(y, Tensor):
            y = Tensor(y)
        rows = []
        for k in range(y.size):
            seed = np.zeros(y.shape, dtype=y.dtype)
            seed.flat[k] = 1
            g = gradients(y, x, seed, retain_graph=True, create_graph=nested) if y.requires_grad else None
            rows.append(g if g is not None else np.zeros(x.shape, dtype=x.dtype))
        if nested:
            from .ops import reshape, stack
            rows = [r if isinstance(r, Tensor) else Tensor(r) for r in rows]
            return reshape(stack(rows), y.shape + x.shape)
        return np.stack([_unwrap(r) for r in rows]).reshape(y.shape + x.shape)
    return jacobian_f


def hessian(f, argnum=0):
    """The Hessian of a scalar tensor function, shape ``x.shape + x.shape``."""
    return jacobian(grad(f, argnum), argnum)


def hvp(f, argnum=0):
    """Hessian-vector product without forming the Hessian: ``hvp(f)(x, v) = H(x) @ v``."""
    def hvp_f(*args):
        args = list(args)
        v = args.pop()
        v = v.data if isinstance(v, Node) else np.asarray(v)
        g = grad(f, argnum)

        def directional(*inner):
            return (g(*inner) * v).sum()
        return grad(directional, argnum)(*args)
    return hvp_f
