"""Gradient clipping: rescale or clamp the ``.grad`` arrays of parameters before an update.

Clipping never writes into a gradient array (the engine may hand the same array to several
tensors); each clipped gradient is a new array assigned to ``.grad``.
"""
import math

import numpy as np

__all__ = ["clip_grad_norm", "clip_grad_value", "global_norm"]


def parameter_list(params, where):
    """Turn a tensor, an iterable of tensors or a module into a list of unique tensors.

    Anything with a ``.data`` array and a ``.grad`` attribute counts as a tensor.
    """
    if hasattr(params, "data") and hasattr(params, "grad"):
        params = [params]
    elif callable(getattr(params, "parameters", None)):
        params = params.parameters()
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{where}: expected a tensor, an iterable of tensors or a module, "
                        f"got {type(params).__name__}") from None
    unique, seen = [], set()
    for index, param in enumerate(params):
        if not (hasattr(param, "data") and hasattr(param, "grad")):
            raise TypeError(f"{where}: item {index} is a {type(param).__name__}, "
                            f"expected a tensor with .data and .grad")
        if id(param) not in seen:
            seen.add(id(param))
            unique.append(param)
    return unique


def grad_array(grad):
    """The ndarray behind a gradient (a Tensor gradient from ``create_graph=True`` is unwrapped)."""
    if type(grad) is np.ndarray:
        return grad
    return np.asanyarray(getattr(grad, "data", grad))


def sum_of_squares(array):
    """Sum of the squared entries of ``array``, as a Python float (one BLAS dot product)."""
    flat = array.reshape(-1)
    return float(np.dot(flat, flat))


def global_norm(grads):
    """L2 norm of all the arrays in ``grads`` taken together, as if concatenated."""
    return math.sqrt(sum(sum_of_squares(g) for g in grads))


def _total_norm(grads, norm_type):
    if norm_type == 2.0:
        return global_norm(grads)
    if math.isinf(norm_type):
        return max((float(np.max(np.abs(g))) for g in grads if g.size), default=0.0)
    total = sum(float(np.sum(np.abs(g.astype(np.float64)) ** norm_type)) for g in grads)
    return total ** (1.0 / norm_type)


def clip_grad_norm(params, max_norm, norm_type=2.0):
    """Rescale the gradients of ``params`` so that their joint norm is at most ``max_norm``.

    The norm is taken over all gradients together (as PyTorch's ``clip_grad_norm_``):
    ``norm = (sum_i ||g_i||_p^p)^(1/p)``, the maximum absolute entry for ``norm_type=inf``.
    When ``max_norm / (norm + 1e-6) < 1`` every gradient is multiplied by that factor.
    Parameters whose ``.grad`` is None are skipped. Returns the norm before clipping (a float).
    """
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not max_norm >= 0.0:
        raise ValueError(f"clip_grad_norm: max_norm must be >= 0, got {max_norm}")
    if not norm_type > 0.0:
        raise ValueError(f"clip_grad_norm: norm_type must be > 0 (or inf), got {norm_type}")
    with_grads = [(p, grad_array(p.grad)) for p in parameter_list(params, "clip_grad_norm")
                  if p.grad is not None]
    if not with_grads:
        return 0.0
    norm = _total_norm([g for _, g in with_grads], norm_type)
    coefficient = max_norm / (norm + 1e-6)
    if coefficient < 1.0:
        for param, grad in with_grads:
            param.grad = grad * coefficient
    return norm


def clip_grad_value(params, clip_value):
    """Clamp every gradient entry of ``params`` into ``[-clip_value, clip_value]``.

    Parameters whose ``.grad`` is None are skipped.
    """
    clip_value = float(clip_value)
    if not clip_value >= 0.0:
        raise ValueError(f"clip_grad_value: clip_value must be >= 0, got {clip_value}")
    for param in parameter_list(params, "clip_grad_value"):
        if param.grad is not None:
            param.grad = np.clip(grad_array(param.grad), -clip_value, clip_value)
