"""Adam (Kingma and Ba, 2015) and AdamW (Loshchilov and Hutter, 2019)."""
import math

import numpy as np

from .hyperparameters import flag, fraction, positive
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adaptive moment estimation, with the bias correction of Algorithm 1 of the paper.

    Update at the parameter's ``t``-th step (t = 1, 2, ...), with ``g`` the gradient (after
    clipping and ``g += weight_decay * w``)::

        m     = beta1 * m + (1 - beta1) * g
        v     = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w    -= lr * m_hat / (sqrt(v_hat) + eps)

    ``m`` and ``v`` start at zero. amsgrad=True keeps the running maximum of the second moment,
    ``v_max = max(v_max, v)``, and uses ``v_hat = v_max / (1 - beta2**t)``: the variant of
    PyTorch and Keras (the maximum is taken before bias correction, as in Reddi et al., whose
    algorithm has no bias correction).

    Defaults: ``lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7`` (Keras's eps; PyTorch's is 1e-8).
    PyTorch's ``betas=(beta1, beta2)`` is accepted too (and ``betas`` reads them back).
    PyTorch computes exactly the formula above. Keras puts the correction into the step size,
    ``w -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + eps)``, which is the same
    update with eps scaled by ``sqrt(1 - beta2**t)``. ``weight_decay`` is L2 coupled to the
    gradient, as in PyTorch's Adam; use AdamW for decoupled decay. ``t`` counts the steps that
    parameter took (a step where its gradient was None does not count).

    Implementation: the state keeps discounted sums, ``grad_sum = m / (1 - beta1)`` and
    ``sq_sum = v / (1 - beta2)`` (updated as ``grad_sum = beta1 * grad_sum + g``), with the
    constant factors folded into the step size and eps; that saves two passes over memory.
    """

    name = "adam"
    _step_dependent = True
    hyperparameters = {"lr": float, "beta1": float, "beta2": float, "eps": float,
                       "amsgrad": bool, "weight_decay": float}

    def __init__(self, params=None, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, amsgrad=False,
                 weight_decay=0.0, *, betas=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, learning_rate=None):
        if betas is not None:
            beta1, beta2 = _from_betas(self, betas, beta1, beta2)
        self.beta1 = fraction(self, "beta1", beta1)
        self.beta2 = fraction(self, "beta2", beta2)
        self.eps = positive(self, "eps", eps)
        self.amsgrad = flag(self, "amsgrad", amsgrad)
        super().__init__(params, lr, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         learning_rate, default_lr=1e-3)

    @property
    def betas(self):
        """``(beta1, beta2)``, PyTorch's name for the pair."""
        return (self.beta1, self.beta2)

    def _state_names(self):
        return ("grad_sum", "sq_sum", "max_sq_sum") if self.amsgrad else ("grad_sum", "sq_sum")

    def _factors(self, lr, t):
        beta1, beta2 = self.beta1, self.beta2
        # m_hat = c1 * grad_sum and v_hat = c2 * sq_sum, so lr * m_hat / (sqrt(v_hat) + eps)
        #   = (lr * c1 / sqrt(c2)) * grad_sum / (sqrt(sq_sum) + eps / sqrt(c2))
        c1 = (1.0 - beta1) / (1.0 - beta1 ** t)
        root_c2 = math.sqrt((1.0 - beta2) / (1.0 - beta2 ** t))
        return {**super()._factors(lr, t), "beta1": beta1, "beta2": beta2,
                "eps": self.eps / root_c2, "step_size": lr * c1 / root_c2}

    def _update(self, w, g, state, s, f):
        grad_sum, sq_sum = state["grad_sum"], state["sq_sum"]
        grad_sum *= f.beta1
        grad_sum += g
        np.multiply(g, g, out=s)
        sq_sum *= f.beta2
        sq_sum += s
        if "max_sq_sum" in state:  # amsgrad
            sq_sum = np.maximum(state["max_sq_sum"], sq_sum, out=state["max_sq_sum"])
        np.sqrt(sq_sum, out=s)
        s += f.eps
        np.divide(grad_sum, s, out=s)
        s *= f.step_size
        w -= s


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Each step first shrinks the weights, ``w -= lr * weight_decay * w``, then applies the Adam
    update of ``Adam`` to the raw gradient (weight decay does not enter ``m`` or ``v``), as
    PyTorch's and Keras's AdamW do. Defaults: ``lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7,
    weight_decay=0.01`` (PyTorch's weight_decay default; Keras's is 0.004).
    """

    name = "adamw"
    _decoupled_weight_decay = True

    def __init__(self, params=None, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, amsgrad=False,
                 weight_decay=0.01, *, betas=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, learning_rate=None):
        super().__init__(params, lr, beta1, beta2, eps, amsgrad, weight_decay, betas=betas,
                         clipnorm=clipnorm, clipvalue=clipvalue, global_clipnorm=global_clipnorm,
                         learning_rate=learning_rate)

    def _factors(self, lr, t):
        return {**super()._factors(lr, t), "decay": 1.0 - lr * self.weight_decay}

    def _update(self, w, g, state, s, f):
        if self.weight_decay:
            w *= f.decay
        super()._update(w, g, state, s, f)


_DEFAULT_BETAS = (0.9, 0.999)


def _from_betas(owner, betas, beta1, beta2):
    """``(beta1, beta2)`` from PyTorch's ``betas`` pair; an error when ``beta1``/``beta2`` were
    also given (differing from their defaults) and disagree with it."""
    try:
        first, second = (float(b) for b in betas)
    except (TypeError, ValueError):
        raise ValueError(f"{type(owner).__name__}: betas must be a pair (beta1, beta2), "
                         f"got {betas!r}") from None
    given = (float(beta1), float(beta2))
    if any(b != default and b != pair for b, default, pair in zip(given, _DEFAULT_BETAS,
                                                                  (first, second))):
        raise ValueError(f"{type(owner).__name__}: got betas={tuple(betas)} and beta1={beta1}, "
                         f"beta2={beta2}; give one or the other")
    return first, second
