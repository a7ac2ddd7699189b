"""Softmax, log-softmax and one-hot encoding over an axis.

    softmax:      d = ans * (g - sum(g * ans))         (sums over ``axis``)
    log_softmax:  d = g - exp(ans) * sum(g)
Both subtract the maximum first, so logits of 1e4 are fine.
"""
import numpy as np

from ..primitive import nondifferentiable, primitive
from .elementwise import exp


@primitive
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) over ``axis``."""
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


softmax.defvjp(lambda g, ans, x, axis=-1: ans * (g - (g * ans).sum(axis=axis, keepdims=True)))


@primitive
def log_softmax(x, axis=-1):
    """x - logsumexp(x) over ``axis``."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


log_softmax.defvjp(lambda g, ans, x, axis=-1: g - exp(ans) * g.sum(axis=axis, keepdims=True))


def _one_hot(labels, num_classes, dtype=np.float32):
    labels = np.asarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got values from "
                         f"{labels.min()} to {labels.max()}")
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


one_hot = nondifferentiable(_one_hot, "one_hot")
