"""lucidgrad's automatic differentiation: a scalar ``Value`` and a numpy ``Tensor`` on one engine."""
from .engine import AnomalyError, GraphReleasedError
from .grad_mode import current_scope, enable_grad, is_grad_enabled, no_grad, scope
from .node import Node, Op
from .value import Value
from .primitive import nondifferentiable, primitive, primitive_vjp_all
from .tensor import Tensor
from .tensor_ops import *  # noqa: F401,F403
from .tensor_ops import abs, all, any, max, min, sum  # noqa: F401  (shadow builtins on purpose)
from .anomaly import detect_anomaly
from .functional import grad, gradients, hessian, hvp, jacobian, value_and_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck


def __getattr__(name):
    # Drawing pulls in the graphviz package; load it on first use only.
    if name in ("draw_graph", "render", "GraphvizNotFoundError"):
        from . import viz
        return getattr(viz, name)
    raise AttributeError(f"module 'autograd' has no attribute {name!r}")
