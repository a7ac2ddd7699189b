"""Softmax, log-softmax and one-hot encoding over an axis.

    softmax:      d = ans * (g - sum(g * ans))         (sums over ``axis``)
    log_softmax:  d = g - exp(ans) * sum(g)
Both subtract the maximum first, so logits of 1e4 are fine.
"""
import numpy as np

from ..primitive import nondifferentiable, primitive
from .elementwise import exp
from .shape import expand_dims, normalize_axes

__all__ = ["softmax", "log_softmax", "one_hot", "softmax_cross_entropy"]


def _shifted(op, x, axis):
    """``x`` minus its maximum over ``axis`` (so that exp cannot overflow), after checking the
    axis; an empty axis has nothing to shift."""
    x = np.asanyarray(x)
    if any(x.shape[a] == 0 for a in normalize_axes(axis, x.ndim, op)):
        return x.astype(np.result_type(x, np.float32), copy=False)
    return x - x.max(axis=axis, keepdims=True)


@primitive
def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) over ``axis``."""
    e = np.exp(_shifted("softmax", x, axis))
    e /= e.sum(axis=axis, keepdims=True)
    return e


softmax.defvjp(lambda g, ans, x, axis=-1: ans * (g - (g * ans).sum(axis=axis, keepdims=True)))


@primitive
def log_softmax(x, axis=-1):
    """x - logsumexp(x) over ``axis``."""
    shifted = _shifted("log_softmax", x, axis)
    with np.errstate(divide="ignore"):  # an empty axis sums to 0
        return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


log_softmax.defvjp(lambda g, ans, x, axis=-1: g - exp(ans) * g.sum(axis=axis, keepdims=True))


def _one_hot(labels, num_classes, dtype=np.float32):
    if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 1:
        raise ValueError(f"one_hot: num_classes must be a positive integer, got {num_classes!r}")
    labels = np.asanyarray(labels)
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: labels must be integers, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        bad = labels[(labels < 0) | (labels >= num_classes)].flat[0]
        raise ValueError(f"one_hot: label {bad} is out of range for num_classes={num_classes} "
                         f"(labels must lie in [0, {num_classes}), got values from "
                         f"{labels.min()} to {labels.max()})")
    out = np.zeros(labels.shape + (num_classes,), dtype=dtype, like=labels)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


one_hot = nondifferentiable(_one_hot, "one_hot")


_REDUCTIONS = ("none", "mean", "sum")


@primitive
def softmax_cross_entropy(logits, targets, axis=-1, reduction="none"):
    """``-sum(targets * log_softmax(logits))`` over ``axis`` as one op: the loss of each sample,
    or their ``"mean"`` or ``"sum"`` (``reduction``, as in PyTorch's ``cross_entropy``).

    Its derivative is the classic ``softmax(logits) - targets`` (times the incoming gradient, and
    times the sum of the targets for soft labels); stable for logits of any size."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"softmax_cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    logits = np.asanyarray(logits)
    shifted = _shifted("softmax_cross_entropy", logits, axis)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    losses = -(targets * log_p).sum(axis=axis)
    if reduction == "none":
        return losses
    total = losses.sum()
    return total / losses.size if reduction == "mean" else total


def _per_sample_grad(g, logits, axis, reduction):
    """The incoming gradient for each sample, with the class ``axis`` kept as size 1."""
    if reduction == "none":
        return expand_dims(g, axis)
    if reduction == "mean":
        return g * (1.0 / (logits.size // logits.shape[axis]))
    return g


def _sce_dlogits(g, ans, logits, targets, axis=-1, reduction="none"):
    g = _per_sample_grad(g, logits, axis, reduction)
    return g * (softmax(logits, axis=axis) * targets.sum(axis=axis, keepdims=True) - targets)


def _sce_dtargets(g, ans, logits, targets, axis=-1, reduction="none"):
    return -_per_sample_grad(g, logits, axis, reduction) * log_softmax(logits, axis=axis)


softmax_cross_entropy.defvjp(_sce_dlogits, _sce_dtargets)
