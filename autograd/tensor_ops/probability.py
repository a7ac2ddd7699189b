"""Softmax, log-softmax and one-hot encoding over an axis.

    softmax:      d = ans * (g - sum(g * ans))         (sums over ``axis``)
    log_softmax:  d = g - exp(ans) * sum(g)
Both subtract the maximum first, so logits of 1e4 are fine.
"""
import numpy as np

from ..primitive import nondifferentiable, primitive
from .elementwise import exp
from .shape import expand_dims


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


@primitive
def softmax_cross_entropy(logits, targets, axis=-1):
    """``-sum(targets * log_softmax(logits))`` over ``axis`` as one op: the loss of each sample.

    Its derivative is the classic ``softmax(logits) - targets`` (times the incoming gradient, and
    times the sum of the targets for soft labels); stable for logits of any size."""
    shifted = logits - np.max(logits, axis=axis, keepdims=True)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return -np.sum(targets * log_p, axis=axis)


def _sce_dlogits(g, ans, logits, targets, axis=-1):
    g = expand_dims(g, axis)
    return g * (softmax(logits, axis=axis) * targets.sum(axis=axis, keepdims=True) - targets)


def _sce_dtargets(g, ans, logits, targets, axis=-1):
    return -expand_dims(g, axis) * log_softmax(logits, axis=axis)


softmax_cross_entropy.defvjp(_sce_dlogits, _sce_dtargets)
