"""Stochastic gradient descent, with optional (Nesterov) momentum."""
import numpy as np

from .hyperparameters import flag, fraction
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Gradient descent, with momentum in PyTorch's form.

    Update, with ``g`` the gradient (after clipping and ``g += weight_decay * w``)::

        momentum == 0:   w -= lr * g
        momentum  > 0:   v = momentum * v + g;   w -= lr * v
        nesterov=True:   v = momentum * v + g;   w -= lr * (g + momentum * v)

    ``v`` starts at zero. The tutorial form ``v = gamma * v + eta * g; w -= v`` (and Keras's
    ``v = momentum * v - lr * g; w += v``) keeps ``lr`` inside the velocity: it is ``lr`` times
    ours, so both give the same trajectory while the learning rate is constant (they differ only
    in how a changed lr affects the accumulated velocity).

    Defaults: ``lr=0.01, momentum=0, nesterov=False, weight_decay=0`` (Keras and PyTorch agree).
    ``weight_decay`` is L2 coupled to the gradient, as PyTorch's.
    """

    name = "sgd"
    hyperparameters = {"lr": float, "momentum": float, "nesterov": bool, "weight_decay": float}

    def __init__(self, params=None, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0, *,
                 clipnorm=None, clipvalue=None, global_clipnorm=None, learning_rate=None):
        self.momentum = fraction(self, "momentum", momentum)
        self.nesterov = flag(self, "nesterov", nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise ValueError("SGD: nesterov=True needs momentum > 0")
        super().__init__(params, lr, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         learning_rate, default_lr=0.01)

    def _state_names(self):
        return ("momentum",) if self.momentum > 0.0 else ()

    def _factors(self, lr, t):
        return {**super()._factors(lr, t), "momentum": self.momentum}

    def _update(self, w, g, state, s, f):
        if "momentum" not in state:
            np.multiply(g, f.lr, out=s)
            w -= s
            return
        velocity = state["momentum"]
        velocity *= f.momentum
        velocity += g
        if self.nesterov:
            np.multiply(velocity, f.momentum, out=s)
            s += g
            s *= f.lr
        else:
            np.multiply(velocity, f.lr, out=s)
        w -= s
