"""RMSprop (Hinton, lecture 6e of "Neural Networks for Machine Learning", 2012)."""
import math

import numpy as np

from .hyperparameters import flag, fraction, positive
from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide each gradient by a running root-mean-square of its recent values.

    Update, with ``g`` the gradient (after clipping and ``g += weight_decay * w``)::

        v   = rho * v + (1 - rho) * g**2
        w  -= lr * g / (sqrt(v) + eps)

    centered=True estimates the variance instead of the second moment::

        mg  = rho * mg + (1 - rho) * g
        w  -= lr * g / (sqrt(v - mg**2) + eps)        (v - mg**2 clamped at 0)

    momentum > 0 accumulates the increments, the lr inside the buffer as in Keras::

        buf = momentum * buf + lr * g / (sqrt(...) + eps);   w -= buf

    (PyTorch keeps lr outside, ``buf = momentum * buf + g / (...); w -= lr * buf``: the same
    trajectory while lr is constant.) ``v``, ``mg`` and ``buf`` start at zero.

    Defaults follow Keras, since the seed recipe is Keras's: ``lr=1e-3, rho=0.9, eps=1e-7``, eps
    added outside the square root as in Keras 2's plain RMSprop, ``w -= lr * g / (sqrt(v) +
    eps)``. PyTorch's defaults are ``lr=1e-2, alpha=0.99 (rho), eps=1e-8``, eps also outside
    the root. (Keras 3, and Keras 2 with momentum, add eps inside: ``sqrt(v + eps)``.)
    ``weight_decay`` is L2 coupled to the gradient, as PyTorch's.

    Implementation: the state keeps discounted sums instead of averages, ``sq_sum =
    v / (1 - rho)`` (updated as ``sq_sum = rho * sq_sum + g**2``) and ``grad_sum =
    mg / (1 - rho)``; the constant factors fold into ``lr`` and ``eps`` of the same formula,
    which saves a full pass over memory per step.
    """

    name = "rmsprop"
    hyperparameters = {"lr": float, "rho": float, "eps": float, "momentum": float,
                       "centered": bool, "weight_decay": float}

    def __init__(self, params=None, lr=1e-3, rho=0.9, eps=1e-7, momentum=0.0, centered=False,
                 weight_decay=0.0, *, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 learning_rate=None):
        self.rho = fraction(self, "rho", rho)
        self.eps = positive(self, "eps", eps)
        self.momentum = fraction(self, "momentum", momentum)
        self.centered = flag(self, "centered", centered)
        super().__init__(params, lr, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         learning_rate, default_lr=1e-3)

    def _state_names(self):
        names = ["sq_sum"]
        if self.centered:
            names.append("grad_sum")
        if self.momentum > 0.0:
            names.append("momentum")
        return tuple(names)

    def _update(self, slot, w, g, lr):
        rho = self.rho
        root = math.sqrt(1.0 - rho)  # sqrt(v) = root * sqrt(sq_sum)
        state, s = slot.state, slot.scratch
        sq_sum = state["sq_sum"]
        np.multiply(g, g, out=s)
        sq_sum *= rho
        sq_sum += s
        if self.centered:
            grad_sum = state["grad_sum"]
            grad_sum *= rho
            grad_sum += g
            # v - mg**2 = (1 - rho) * (sq_sum - (1 - rho) * grad_sum**2)
            np.multiply(grad_sum, grad_sum, out=s)
            s *= 1.0 - rho
            np.subtract(sq_sum, s, out=s)
            np.maximum(s, 0.0, out=s)
            np.sqrt(s, out=s)
        else:
            np.sqrt(sq_sum, out=s)
        s += self.eps / root
        np.divide(g, s, out=s)
        s *= lr / root
        if self.momentum > 0.0:
            buffer = state["momentum"]
            buffer *= self.momentum
            buffer += s
            w -= buffer
        else:
            w -= s
