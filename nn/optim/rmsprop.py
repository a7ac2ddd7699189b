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
        w  -= lr * g / (sqrt(v) + eps)                 (PyTorch's placement of eps, the default)
        w  -= lr * g / sqrt(v + eps)                   (eps_inside_sqrt=True: Keras's)

    centered=True estimates the variance instead of the second moment, ``v - mg**2`` (clamped
    at 0) taking the place of ``v``::

        mg  = rho * mg + (1 - rho) * g

    momentum > 0 accumulates the increments, the lr inside the buffer as in Keras::

        buf = momentum * buf + lr * g / (sqrt(...) + eps);   w -= buf

    (PyTorch keeps lr outside, ``buf = momentum * buf + g / (...); w -= lr * buf``: the same
    trajectory while lr is constant.) ``v``, ``mg`` and ``buf`` start at zero.

    Which RMSprop: this class, as written, is PyTorch's ``torch.optim.RMSprop`` (eps outside the
    root) with Keras's defaults ``lr=1e-3, rho=0.9, eps=1e-7`` (PyTorch's: ``lr=1e-2,
    alpha=0.99, eps=1e-8``; ``alpha`` is accepted as PyTorch's name for ``rho``). The optimizer
    named ``'rmsprop'`` in the Keras-style API (``compile(optimizer='rmsprop')``,
    ``optim.get('rmsprop')``, ``lucidgrad train``) is Keras's: the same class with
    ``eps_inside_sqrt=True``, the update of Keras 3 (and of Keras 2 with momentum). The two
    differ only where ``v`` is tiny: inside the root, eps = 1e-7 caps the step at
    ``lr * g / sqrt(1e-7)``, about ``3162 * lr * g``; outside, at ``lr * g / 1e-7``.
    ``weight_decay`` is L2 coupled to the gradient in both, as PyTorch's (Keras 3 decouples it).

    Implementation: the state keeps discounted sums instead of averages, ``sq_sum =
    v / (1 - rho)`` (updated as ``sq_sum = rho * sq_sum + g**2``) and ``grad_sum =
    mg / (1 - rho)``; the constant factors fold into ``lr`` and ``eps`` of the same formula,
    which saves a full pass over memory per step.
    """

    name = "rmsprop"
    hyperparameters = {"lr": float, "rho": float, "eps": float, "momentum": float,
                       "centered": bool, "weight_decay": float}

    def __init__(self, params=None, lr=1e-3, rho=0.9, eps=1e-7, momentum=0.0, centered=False,
                 weight_decay=0.0, *, eps_inside_sqrt=False, alpha=None, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, learning_rate=None):
        if alpha is not None:
            if rho != 0.9 and float(alpha) != float(rho):
                raise ValueError(f"RMSprop: give rho or alpha (PyTorch's name for it), not both "
                                 f"(got rho={rho}, alpha={alpha})")
            rho = alpha
        self.rho = fraction(self, "rho", rho)
        self.eps = positive(self, "eps", eps)
        self.momentum = fraction(self, "momentum", momentum)
        self.centered = flag(self, "centered", centered)
        self.eps_inside_sqrt = flag(self, "eps_inside_sqrt", eps_inside_sqrt)
        super().__init__(params, lr, weight_decay, clipnorm, clipvalue, global_clipnorm,
                         learning_rate, default_lr=1e-3)

    @property
    def alpha(self):
        """PyTorch's name for ``rho``."""
        return self.rho

    def get_config(self):
        """The hyperparameters plus ``eps_inside_sqrt`` (which RMSprop this is)."""
        return {**super().get_config(), "eps_inside_sqrt": self.eps_inside_sqrt}

    def _state_names(self):
        names = ["sq_sum"]
        if self.centered:
            names.append("grad_sum")
        if self.momentum > 0.0:
            names.append("momentum")
        return tuple(names)

    def _factors(self, lr, t):
        rho = self.rho
        root = math.sqrt(1.0 - rho)  # sqrt(v) = root * sqrt(sq_sum)
        # inside the root: sqrt(v + eps) = root * sqrt(sq_sum + eps / (1 - rho));
        # outside: sqrt(v) + eps = root * (sqrt(sq_sum) + eps / root)
        eps = self.eps / (1.0 - rho) if self.eps_inside_sqrt else self.eps / root
        return {**super()._factors(lr, t), "rho": rho, "one_minus_rho": 1.0 - rho, "eps": eps,
                "step_size": lr / root, "momentum": self.momentum}

    def _update(self, w, g, state, s, f):
        sq_sum = state["sq_sum"]
        np.multiply(g, g, out=s)
        sq_sum *= f.rho
        sq_sum += s
        if "grad_sum" in state:  # centered
            grad_sum = state["grad_sum"]
            grad_sum *= f.rho
            grad_sum += g
            # v - mg**2 = (1 - rho) * (sq_sum - (1 - rho) * grad_sum**2)
            np.multiply(grad_sum, grad_sum, out=s)
            s *= f.one_minus_rho
            np.subtract(sq_sum, s, out=s)
            np.maximum(s, 0.0, out=s)
            if self.eps_inside_sqrt:
                s += f.eps
            np.sqrt(s, out=s)
        elif self.eps_inside_sqrt:
            np.add(sq_sum, f.eps, out=s)
            np.sqrt(s, out=s)
        else:
            np.sqrt(sq_sum, out=s)
        if not self.eps_inside_sqrt:
            s += f.eps
        np.divide(g, s, out=s)
        s *= f.step_size
        if "momentum" in state:
            buffer = state["momentum"]
            buffer *= f.momentum
            buffer += s
            w -= buffer
        else:
            w -= s
