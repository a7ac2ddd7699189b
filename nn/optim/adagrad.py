"""Adagrad (Duchi, Hazan and Singer, 2011)."""
import numpy as np

from .hyperparameters import non_negative, positive
from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Scale each coordinate by the root of the sum of all its squared gradients so far.

    Update, with ``g`` the gradient (after clipping and ``g += weight_decay * w``)::

        acc += g**2                       (acc starts at initial_accumulator_value)
        w   -= lr * g / (sqrt(acc) + eps)

    Defaults: ``lr=0.01, initial_accumulator_value=0.1, eps=1e-7, weight_decay=0``. Keras uses
    ``initial_accumulator_value=0.1, eps=1e-7`` (Keras 3 adds eps inside the root, ``sqrt(acc +
    eps)``, and defaults to lr=1e-3); PyTorch uses ``lr=0.01``, an accumulator starting at 0 and
    ``eps=1e-10`` outside the root, as here. ``weight_decay`` is L2 coupled to the gradient.
    """

    name = "adagrad"
    hyperparameters = {"lr": float, "initial_accumulator_value": float, "eps": float,
                       "weight_decay": float}

    def __init__(self, params=None, lr=0.01, initial_accumulator_value=0.1, eps=1e-7,
                 weight_decay=0.0, *, clipnorm=None, clipvalue=None, global_clipnorm=None,
                 learning_rate=None):
        self.initial_accumulator_value = non_negative(
            self, "initial_accumulator_value", initial_accumulator_value)
        self.eps = positive(self, "eps", eps)
        super().__init__(params, lr, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         learning_rate, default_lr=0.01)

    def _state_names(self):
        return ("sq_sum",)

    def _initial_state(self, name, shape, dtype):
        return np.full(shape, self.initial_accumulator_value, dtype)

    def _factors(self, lr, t):
        return {**super()._factors(lr, t), "eps": self.eps}

    def _update(self, w, g, state, s, f):
        sq_sum = state["sq_sum"]
        np.multiply(g, g, out=s)
        sq_sum += s
        np.sqrt(sq_sum, out=s)
        s += f.eps
        np.divide(g, s, out=s)
        s *= f.lr
        w -= s
