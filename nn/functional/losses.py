"""PyTorch's functional losses: ``F.cross_entropy(input, target)`` argument order and semantics.

Classes lie on axis 1, ``(N, C)`` or ``(N, C, d1, d2, ...)`` (one unbatched ``(C,)`` sample is
accepted too). ``reduction`` is 'mean' (default), 'sum' or 'none'; every option after
``weight`` is keyword-only, so PyTorch's deprecated ``size_average``/``reduce`` positions can
never be mistaken for another argument. Class weights (``weight``) are constants.

    cross_entropy   -sum_c T_c log_softmax(x)_c, T the (weighted, smoothed) target distribution;
                    'mean' divides by the summed weights of the counted targets, as PyTorch
    nll_loss        -w[y] x[y] on log-probabilities x
    mse_loss, l1_loss, smooth_l1_loss (beta), huber_loss (delta): elementwise, mean over all
    binary_cross_entropy              -w (y log p + (1 - y) log(1 - p)), logs clamped at -100
    binary_cross_entropy_with_logits  -w (pw y log s(x) + (1 - y) log(1 - s(x))), s = sigmoid

``cross_entropy`` is one fused ``softmax_cross_entropy`` op whatever the options: its
derivative is ``softmax(x) * sum(T) - T``.
"""
import numpy as np

import autograd
from autograd import Tensor
from autograd.capture import asarray

from ..losses import _as_prediction, _as_target, _check_reduction, _reduce

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits"]

_LOG_FLOOR = -100.0  # PyTorch clamps binary_cross_entropy's logs here


def cross_entropy(input, target, weight=None, *, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross-entropy of logits ``input`` ``(N, C, ...)`` against class indices ``target``
    ``(N, ...)`` (``ignore_index`` entries count for nothing) or class probabilities shaped like
    ``input``. ``weight`` (C,) weighs each class; ``label_smoothing`` mixes the targets with the
    uniform distribution, ``(1 - s) T + s / C``."""
    _check_reduction(reduction, "cross_entropy")
    logits, unbatched = _class_input("cross_entropy", input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    classes = logits.shape[1]
    weights = _class_weights("cross_entropy", weight, logits)
    labels = _data(target)
    if np.issubdtype(asarray(labels).dtype, np.floating) and \
            np.shape(labels) == _unbatched_shape(logits, unbatched):
        probabilities = asarray(labels, dtype=logits.data.dtype).reshape(logits.shape)
        mixed = (1.0 - label_smoothing) * probabilities + label_smoothing / classes
        targets = mixed if weights is None else mixed * weights
        loss = autograd.softmax_cross_entropy(logits, targets, axis=1, reduction=reduction)
        return _unbatch(loss, unbatched, reduction)
    one_hot, counted = _one_hot("cross_entropy", labels, logits, ignore_index, unbatched)
    if weights is None:
        weights = np.ones(_along_classes(classes, logits.ndim), logits.data.dtype)
    per_target = (one_hot * weights).sum(axis=1, keepdims=True)  # w[y] (0 where ignored)
    targets = (1.0 - label_smoothing) * one_hot * weights
    if label_smoothing:
        targets = targets + (label_smoothing / classes) * weights * counted
    loss = autograd.softmax_cross_entropy(logits, targets, axis=1,
                                          reduction="none" if reduction == "mean" else reduction)
    if reduction == "mean":
        loss = _mean_over(loss, per_target.sum())
    return _unbatch(loss, unbatched, reduction)


def nll_loss(input, target, weight=None, *, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` ``(N, C, ...)`` (e.g. from
    ``log_softmax(x, dim=1)``) for class indices ``target`` ``(N, ...)``: ``-weight[y] *
    input[y]``; 'mean' divides by the summed weights of the counted targets."""
    _check_reduction(reduction, "nll_loss")
    log_p, unbatched = _class_input("nll_loss", input)
    weights = _class_weights("nll_loss", weight, log_p)
    one_hot, _ = _one_hot("nll_loss", _data(target), log_p, ignore_index, unbatched)
    picked = one_hot if weights is None else one_hot * weights
    loss = -(log_p * picked).sum(axis=1)
    if reduction == "mean":
        loss = _mean_over(loss, picked.sum())
    elif reduction == "sum":
        loss = loss.sum()
    return _unbatch(loss, unbatched, reduction)


def mse_loss(input, target, *, reduction="mean"):
    """(input - target)^2 elementwise, then ``reduction`` over every element."""
    difference = _difference("mse_loss", input, target, reduction)
    return _reduce(difference * difference, reduction)


def l1_loss(input, target, *, reduction="mean"):
    """|input - target| elementwise, then ``reduction`` over every element."""
    return _reduce(_difference("l1_loss", input, target, reduction).abs(), reduction)


def smooth_l1_loss(input, target, *, reduction="mean", beta=1.0):
    """0.5 e^2 / beta where |e| < beta, |e| - 0.5 beta elsewhere (e = input - target; beta = 0
    is the L1 loss)."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    error = _difference("smooth_l1_loss", input, target, reduction).abs()
    if beta == 0:
        return _reduce(error, reduction)
    return _reduce(_huber(error, beta) * (1.0 / beta), reduction)


def huber_loss(input, target, *, reduction="mean", delta=1.0):
    """0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) elsewhere (e = input - target)."""
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}")
    error = _difference("huber_loss", input, target, reduction).abs()
    return _reduce(_huber(error, delta), reduction)


def binary_cross_entropy(input, target, weight=None, *, reduction="mean"):
    """-weight (y log p + (1 - y) log(1 - p)) for probabilities ``input`` in [0, 1], each log
    clamped at -100 as in PyTorch (so p = 0 or 1 gives a finite loss)."""
    _check_reduction(reduction, "binary_cross_entropy")
    p = _as_prediction(input, "binary_cross_entropy")
    y = _as_target(target, p, "binary_cross_entropy")
    if p.size and (np.min(p.data) < 0 or np.max(p.data) > 1):
        raise ValueError("binary_cross_entropy: input must hold probabilities in [0, 1], got "
                         f"values from {np.min(p.data)} to {np.max(p.data)}; use "
                         "binary_cross_entropy_with_logits for logits")
    with np.errstate(divide="ignore"):
        log_p = autograd.maximum(autograd.log(p), _LOG_FLOOR)
        log_q = autograd.maximum(autograd.log(1.0 - p), _LOG_FLOOR)
    loss = -(y * log_p + (1.0 - y) * log_q)
    return _reduce(_weighted(loss, weight, "binary_cross_entropy"), reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, *, reduction="mean",
                                     pos_weight=None):
    """``binary_cross_entropy(sigmoid(x), y)`` computed stably from logits: ``(1 - y) x +
    (1 + (pos_weight - 1) y) softplus(-x)``; ``pos_weight`` (one per class, the last axis)
    weighs the positive term, ``weight`` the whole loss."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    if isinstance(weight, str):
        raise TypeError("binary_cross_entropy_with_logits: weight must be an array; pass "
                        f"reduction={weight!r} by keyword")
    x = _as_prediction(input, "binary_cross_entropy_with_logits")
    y = _as_target(target, x, "binary_cross_entropy_with_logits")
    if pos_weight is None:
        loss = autograd.softplus(x) - x * y
    else:
        pw = asarray(_data(pos_weight), dtype=x.data.dtype)
        loss = (1.0 - y) * x + (1.0 + (pw - 1.0) * y) * autograd.softplus(-x)
    return _reduce(_weighted(loss, weight, "binary_cross_entropy_with_logits"), reduction)


# ---------------------------------------------------------------------- shared pieces
def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _class_input(op, input):
    """``input`` as a float Tensor ``(N, C, ...)``; an unbatched ``(C,)`` sample gets N = 1."""
    x = _as_prediction(input, op)
    if x.ndim == 1:
        return x.reshape((1,) + x.shape), True
    if x.ndim < 2:
        raise ValueError(f"{op}: input must be (N, C, ...) or (C,), got shape {x.shape}")
    return x, False


def _unbatched_shape(x, unbatched):
    return x.shape[1:] if unbatched else x.shape


def _unbatch(loss, unbatched, reduction):
    return loss.reshape(()) if unbatched and reduction == "none" else loss


def _along_classes(classes, ndim):
    """The shape of a per-class array that broadcasts along axis 1 of an ``ndim``-d input."""
    return (1, classes) + (1,) * (ndim - 2)


def _class_weights(op, weight, x):
    """``weight`` (one per class of ``x``) as a constant array broadcasting along axis 1, or
    None."""
    if weight is None:
        return None
    if isinstance(weight, str):
        raise TypeError(f"{op}: weight must be an array of one weight per class; pass "
                        f"reduction={weight!r} by keyword")
    classes = x.shape[1]
    weights = asarray(_data(weight), dtype=x.data.dtype)
    if weights.shape != (classes,):
        raise ValueError(f"{op}: weight must have shape ({classes},), one per class, got "
                         f"{weights.shape}")
    return weights.reshape(_along_classes(classes, x.ndim))


def _one_hot(op, labels, x, ignore_index, unbatched):
    """One-hot rows of ``labels`` laid out like ``x`` (classes on axis 1), zero where a label is
    ``ignore_index``, and the mask of counted positions (1 on axis 1)."""
    labels = asarray(labels)
    expected = x.shape[:1] + x.shape[2:]
    if unbatched and labels.shape == ():
        labels = labels.reshape(1)
    if labels.shape != expected:
        raise ValueError(f"{op}: target must hold class indices of shape {expected} for input "
                         f"of shape {x.shape[1:] if unbatched else x.shape} (or class "
                         f"probabilities shaped like the input), got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{op}: class indices must be integers, got dtype {labels.dtype}")
    counted = labels != ignore_index
    classes = x.shape[1]
    safe = np.where(counted, labels, 0)  # no boolean indexing: a captured step replays this
    try:  # one_hot checks the range; the message is said again in this loss's terms
        one_hot = np.moveaxis(autograd.one_hot(safe, classes, dtype=x.data.dtype), -1, 1)
    except ValueError:
        valid = labels[counted]
        raise ValueError(f"{op}: class indices must lie in [0, {classes}) (or equal "
                         f"ignore_index={ignore_index}), got values from {valid.min()} to "
                         f"{valid.max()}") from None
    mask = np.expand_dims(counted, 1).astype(x.data.dtype)
    return one_hot * mask, mask


def _mean_over(loss, total_weight):
    """``loss.sum() / total_weight``: nan when nothing was counted, as in PyTorch. The division
    stays an array operation, so a captured step replays it for the weights of every new batch."""
    total = np.asanyarray(total_weight, dtype=loss.data.dtype)
    reciprocal = np.divide(1.0, total, out=np.full_like(total, np.nan), where=total != 0)
    return loss.sum() * reciprocal


def _difference(op, input, target, reduction):
    _check_reduction(reduction, op)
    x = _as_prediction(input, op)
    return x - _as_target(target, x, op)


def _huber(error, delta):
    """0.5 e^2 for e <= delta, delta (e - delta / 2) beyond, for e = |error| >= 0."""
    inner = autograd.clip(error, None, float(delta))
    return 0.5 * inner * inner + float(delta) * (error - inner)


def _weighted(loss, weight, op):
    if weight is None:
        return loss
    weights = asarray(_data(weight), dtype=loss.data.dtype)
    try:
        fits = np.broadcast_shapes(weights.shape, loss.shape) == loss.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{op}: weight of shape {weights.shape} does not broadcast to the loss "
                         f"of shape {loss.shape}")
    return loss * weights
