"""lucidgrad's automatic differentiation: a scalar ``Value`` and a numpy ``Tensor`` on one engine.

The public names, by group (the README lists them the same way):

* graph objects: ``Value``, ``Tensor``, and their common base ``Node`` (with ``Op``, the record
  of an operation);
* recording: ``no_grad``, ``enable_grad``, ``is_grad_enabled``, ``scope``, ``current_scope``,
  ``detect_anomaly``;
* derivatives: ``grad``, ``value_and_grad``, ``gradients``, ``jacobian``, ``hessian``, ``hvp``,
  and the checks ``gradcheck``, ``gradgradcheck``;
* new ops: ``primitive``, ``primitive_vjp_all``, ``nondifferentiable``, and ``unbroadcast`` for
  their VJPs;
* the ops themselves (``autograd.ops.__all__``) and the tensor factories (``tensor``, ``zeros``,
  ``randn``, ..., ``seed``, ``generator``);
* errors: ``GraphReleasedError``, ``AnomalyError``, ``GradcheckError``;
* running a step fast: ``capture`` records a step once and replays it as numpy calls;
* drawing, loaded on first use: ``draw_graph``, ``draw_capture``, ``render``,
  ``GraphvizNotFoundError``.

``autograd.testing`` (hypothesis strategies and ``check_gradients``) is imported on its own.
"""
from . import ops
from .anomaly import detect_anomaly
from .capture import capture
from .creation import (arange, eye, full, full_like, generator, ones, ones_like, rand, rand_like,
                       randn, randn_like, seed, tensor, zeros, zeros_like)
from .engine import AnomalyError, GraphReleasedError
from .functional import grad, gradients, hessian, hvp, jacobian, value_and_grad
from .grad_mode import current_scope, enable_grad, is_grad_enabled, no_grad, scope
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node, Op
from .ops import *  # noqa: F401,F403  (exactly ops.__all__)
from .ops.shape import unbroadcast
from .primitive import nondifferentiable, primitive, primitive_vjp_all
from .tensor import Tensor
from .value import Value

_DRAWING = ("draw_graph", "draw_capture", "render", "GraphvizNotFoundError")

__all__ = [
    "Value", "Tensor", "Node", "Op",
    "no_grad", "enable_grad", "is_grad_enabled", "scope", "current_scope", "detect_anomaly",
    "grad", "value_and_grad", "gradients", "jacobian", "hessian", "hvp", "gradcheck",
    "gradgradcheck",
    "primitive", "primitive_vjp_all", "nondifferentiable", "unbroadcast",
    "tensor", "zeros", "ones", "full", "arange", "eye", "rand", "randn", "zeros_like",
    "ones_like", "full_like", "rand_like", "randn_like", "seed", "generator",
    "GraphReleasedError", "AnomalyError", "GradcheckError",
    "capture",
    *_DRAWING,
    *ops.__all__,
]


def __getattr__(name):
    # Drawing pulls in the graphviz package; load it on first use only.
    if name in _DRAWING:
        from . import viz
        return getattr(viz, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
