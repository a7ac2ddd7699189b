"""Weight penalties and an activity sparsity penalty, all built from autograd ops.

    L1(l1)(w)       = l1 * sum |w|
    L2(l2)(w)       = l2 * sum w^2            (Keras's convention: no factor 1/2)
    L1L2(l1, l2)(w) = l1 * sum |w| + l2 * sum w^2      (Elastic Net)

A regularizer is a callable on one parameter that returns a 0-d Tensor. Layers take them as
``kernel_regularizer=`` / ``bias_regularizer=``; ``Module.regularization_loss()`` adds them up.
"""
import math

from autograd import Tensor, clip, log

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1_penalty", "l2_penalty", "elastic_net_penalty",
           "sparsity_penalty", "get", "serialize"]


def _check_factor(where, name, value):
    value = float(value)
    if not value >= 0:
        raise ValueError(f"{where}: {name} must be a number >= 0, got {value}")
    return value


def _as_list(params):
    if isinstance(params, Tensor):
        return [params]
    params = list(params)
    if not params:
        raise ValueError("penalty: needs at least one parameter")
    return params


def l1_penalty(params):
    """sum over the parameters of sum |p| (a 0-d Tensor)."""
    terms = [p.abs().sum() for p in _as_list(params)]
    return _total(terms)


def l2_penalty(params):
    """sum over the parameters of sum p^2 (a 0-d Tensor; no factor 1/2)."""
    terms = [(p * p).sum() for p in _as_list(params)]
    return _total(terms)


def elastic_net_penalty(params, l1, l2):
    """l1 * l1_penalty(params) + l2 * l2_penalty(params)."""
    l1 = _check_factor("elastic_net_penalty", "l1", l1)
    l2 = _check_factor("elastic_net_penalty", "l2", l2)
    params = _as_list(params)
    return l1_penalty(params) * l1 + l2_penalty(params) * l2


def _total(terms):
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def sparsity_penalty(activations, target=0.05, eps=1e-7):
    """KL-divergence sparsity penalty on the mean activation of each unit (sparse autoencoders):

        rho_hat_j = mean over the batch of activations[:, j]     (clipped to [eps, 1 - eps])
        penalty   = sum_j  rho log(rho / rho_hat_j) + (1 - rho) log((1 - rho) / (1 - rho_hat_j))

    with ``rho = target``. ``activations`` (batch, units) should lie in (0, 1), e.g. sigmoid outputs.
    """
    if not 0 < target < 1:
        raise ValueError(f"sparsity_penalty: target must lie in (0, 1), got {target}")
    if not isinstance(activations, Tensor):
        activations = Tensor(activations)
    if activations.ndim < 2:
        raise ValueError(f"sparsity_penalty: activations must be (batch, units), got shape {activations.shape}")
    rho_hat = clip(activations.mean(axis=0), eps, 1 - eps)
    rho = float(target)
    # Python floats (not numpy float64 scalars) keep float32 activations in float32.
    kl = rho * (math.log(rho) - log(rho_hat)) + (1 - rho) * (math.log(1 - rho) - log(1 - rho_hat))
    return kl.sum()


class Regularizer:
    """Base class: ``regularizer(param)`` returns a 0-d Tensor penalty."""

    def __call__(self, param):
        raise NotImplementedError

    def get_config(self):
        """Constructor arguments."""
        return {}


class L1(Regularizer):
    """``l1 * sum |w|``."""

    def __init__(self, l1=0.01):
        self.l1 = _check_factor("L1", "l1", l1)

    def __call__(self, param):
        return param.abs().sum() * self.l1

    def get_config(self):
        return {"l1": self.l1}

    def __repr__(self):
        return f"L1(l1={self.l1})"


class L2(Regularizer):
    """``l2 * sum w^2``."""

    def __init__(self, l2=0.01):
        self.l2 = _check_factor("L2", "l2", l2)

    def __call__(self, param):
        return (param * param).sum() * self.l2

    def get_config(self):
        return {"l2": self.l2}

    def __repr__(self):
        return f"L2(l2={self.l2})"


class L1L2(Regularizer):
    """Elastic Net: ``l1 * sum |w| + l2 * sum w^2``."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _check_factor("L1L2", "l1", l1)
        self.l2 = _check_factor("L1L2", "l2", l2)

    def __call__(self, param):
        total = None
        if self.l1:
            total = param.abs().sum() * self.l1
        if self.l2 or total is None:
            squares = (param * param).sum() * self.l2
            total = squares if total is None else total + squares
        return total

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self):
        return f"L1L2(l1={self.l1}, l2={self.l2})"


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}
_NAMES = {"l1": lambda: L1(), "l2": lambda: L2(), "l1_l2": lambda: L1L2(0.01, 0.01),
          "l1l2": lambda: L1L2(0.01, 0.01), "elastic_net": lambda: L1L2(0.01, 0.01)}


def get(identifier):
    """A regularizer from None, a name ('l1', 'l2', 'l1_l2' with Keras's default factors 0.01),
    a ``{'class_name', 'config'}`` dict or a callable (returned as is)."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"regularizers.get: unknown regularizer class {identifier.get('class_name')!r}")
        return cls(**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        key = identifier.lower()
        if key in _NAMES:
            return _NAMES[key]()
        raise ValueError(f"regularizers.get: unknown regularizer {identifier!r}; known: {sorted(_NAMES)}")
    raise TypeError(f"regularizers.get: expected None, a name, a dict or a callable, got "
                    f"{type(identifier).__name__}")


def serialize(regularizer):
    """A JSON-able description of ``regularizer`` (None stays None)."""
    if regularizer is None:
        return None
    if type(regularizer) in _CLASSES.values():
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    raise ValueError(f"regularizers.serialize: {regularizer!r} is not a built-in regularizer")
