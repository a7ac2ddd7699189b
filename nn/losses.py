"""Loss functions, built from autograd ops, with Keras's semantics and argument order.

Keras-style functions and classes take ``(y_true, y_pred)``; the PyTorch-style classes
(``CrossEntropyLoss``, ``BCEWithLogitsLoss``, ``MSELoss``, ``L1Loss``) take ``(input, target)``.
Every loss first computes one value per sample (the mean or sum over the last axis), then reduces:
``reduction='mean'`` (the default) averages the per-sample values, ``'sum'`` adds them, ``'none'``
returns them.

    mean_squared_error         mean((y - y_hat)^2)
    mean_absolute_error        mean(|y - y_hat|)
    huber                      mean(0.5 e^2 if |e| <= delta else delta (|e| - delta / 2)),  e = y - y_hat
    binary_crossentropy        mean(-(y log p + (1 - y) log(1 - p))),  p clipped to [eps, 1 - eps]
    categorical_crossentropy   -sum(y log p),  p renormalized to sum 1, then clipped to [eps, 1 - eps]
    sparse_categorical_crossentropy   the same with integer labels
    hinge                      mean(max(1 - y y_hat, 0)),  labels in {-1, 1} (0/1 labels converted)
    categorical_hinge          max(max((1 - y) y_hat) - sum(y y_hat) + 1, 0)

with ``eps = 1e-7`` (Keras's epsilon). With ``from_logits=True`` the cross-entropies take logits
and use ``log_softmax`` / ``softplus`` instead of clipping. When ``y_pred`` is the direct output of
a ``softmax`` (over the last axis) or ``sigmoid`` op, the probability versions do the same on that
op's input, as Keras does: exact, stable for huge logits, and only a few ops. Outside a recorded
graph (under ``no_grad``) the op is not known, and the clipped formula is used; the two agree
unless a probability falls below ``eps``.
"""
import numpy as np

import autograd
from autograd import Tensor, clip, log, log_softmax, relu, softmax_cross_entropy, softplus
from autograd.capture import asarray

__all__ = ["EPSILON", "Loss", "mean_squared_error", "mean_absolute_error", "huber",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "hinge", "categorical_hinge", "cross_entropy", "binary_cross_entropy_with_logits",
           "mse", "mae", "MeanSquaredError", "MeanAbsoluteError", "Huber", "BinaryCrossentropy",
           "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "Hinge", "CategoricalHinge",
           "MulticlassHinge", "CrossEntropyLoss", "BCEWithLogitsLoss", "MSELoss", "L1Loss", "get"]

EPSILON = 1e-7
_REDUCTIONS = ("mean", "sum", "none")


# ---------------------------------------------------------------------- shared helpers
def _check_reduction(reduction, where):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _as_prediction(y_pred, where):
    if not isinstance(y_pred, Tensor):
        y_pred = Tensor(y_pred)
    if not np.issubdtype(y_pred.dtype, np.floating):
        raise TypeError(f"{where}: predictions must be floating point, got dtype {y_pred.dtype}")
    return y_pred


def _as_target(y_true, y_pred, where):
    """Targets in the predictions' dtype (no silent upcast) and shape."""
    dtype = y_pred.data.dtype
    if isinstance(y_true, Tensor):
        if y_true.data.dtype != dtype:
            y_true = y_true.astype(dtype)
    else:
        y_true = asarray(y_true, dtype)
    true_shape, pred_shape = y_true.shape, y_pred.shape
    if true_shape == pred_shape:
        return y_true
    # (N,) targets for (N, 1) predictions, or the reverse: line them up instead of broadcasting
    # to (N, N), the classic silent bug.
    if true_shape + (1,) == pred_shape or true_shape == pred_shape + (1,):
        return y_true.reshape(pred_shape)
    raise ValueError(f"{where}: y_true has shape {true_shape} but y_pred has shape {pred_shape}; "
                     "they must match")


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return per_sample.mean()
    if reduction == "sum":
        return per_sample.sum()
    return per_sample


def _elementwise_loss(elementwise, reduction):
    """Per sample: the mean over the last axis (each element is a sample for 1-D inputs)."""
    if reduction == "mean":  # the mean of equal-sized group means is the overall mean
        return elementwise.mean()
    per_sample = elementwise.mean(axis=-1) if elementwise.ndim >= 2 else elementwise
    return _reduce(per_sample, reduction)


def _samples(y_pred):
    """How many per-sample values a loss over the last axis of ``y_pred`` produces."""
    return y_pred.size // y_pred.shape[-1] if y_pred.ndim else 1


def _op_of(function):
    """The graph ``Op`` that an autograd op function records (the function itself if it is one)."""
    return getattr(function, "op", function)


_SOFTMAX, _SIGMOID = _op_of(autograd.softmax), _op_of(autograd.sigmoid)


def _input_of(y_pred, op):
    """The operand of ``op`` that produced ``y_pred`` over its last axis, or None."""
    if y_pred.op is not op:
        return None
    axis = y_pred.params.get("axis", -1)  # the op's keyword arguments: softmax's axis
    if y_pred.ndim and axis % y_pred.ndim != y_pred.ndim - 1:
        return None
    return y_pred.inputs[0]


# ---------------------------------------------------------------------- regression
def mean_squared_error(y_true, y_pred, reduction="mean"):
    """Mean of (y_true - y_pred)^2 over the last axis, then ``reduction`` over the samples."""
    _check_reduction(reduction, "mean_squared_error")
    y_pred = _as_prediction(y_pred, "mean_squared_error")
    diff = y_pred - _as_target(y_true, y_pred, "mean_squared_error")
    return _elementwise_loss(diff * diff, reduction)


def mean_absolute_error(y_true, y_pred, reduction="mean"):
    """Mean of |y_true - y_pred| over the last axis, then ``reduction`` over the samples."""
    _check_reduction(reduction, "mean_absolute_error")
    y_pred = _as_prediction(y_pred, "mean_absolute_error")
    diff = y_pred - _as_target(y_true, y_pred, "mean_absolute_error")
    return _elementwise_loss(diff.abs(), reduction)


def huber(y_true, y_pred, delta=1.0, reduction="mean"):
    """Huber loss: quadratic for |error| <= delta, linear beyond (mean over the last axis)."""
    _check_reduction(reduction, "huber")
    if not delta > 0:
        raise ValueError(f"huber: delta must be > 0, got {delta}")
    y_pred = _as_prediction(y_pred, "huber")
    error = (y_pred - _as_target(y_true, y_pred, "huber")).abs()
    # With q = min(|e|, delta): 0.5 q^2 + delta (|e| - q) is the piecewise formula in one piece.
    quadratic = clip(error, None, float(delta))
    elementwise = 0.5 * quadratic * quadratic + float(delta) * (error - quadratic)
    return _elementwise_loss(elementwise, reduction)


# ---------------------------------------------------------------------- cross-entropies
def binary_crossentropy(y_true, y_pred, from_logits=False, reduction="mean"):
    """-(y log p + (1 - y) log(1 - p)), mean over the last axis. Probabilities are clipped to
    [1e-7, 1 - 1e-7]; logits (``from_logits`` or a ``sigmoid`` output) use softplus(x) - x y."""
    _check_reduction(reduction, "binary_crossentropy")
    y_pred = _as_prediction(y_pred, "binary_crossentropy")
    y_true = _as_target(y_true, y_pred, "binary_crossentropy")
    logits = y_pred if from_logits else _input_of(y_pred, _SIGMOID)
    if logits is not None:
        elementwise = softplus(logits) - logits * y_true
    else:
        p = clip(y_pred, EPSILON, 1.0 - EPSILON)
        elementwise = -(y_true * log(p) + (1.0 - y_true) * log(1.0 - p))
    return _elementwise_loss(elementwise, reduction)


def categorical_crossentropy(y_true, y_pred, from_logits=False, reduction="mean"):
    """-sum(y log p) over the last axis (one-hot or soft targets ``y_true``).

    Probabilities are renormalized to sum 1 and clipped to [1e-7, 1 - 1e-7] (Keras); logits
    (``from_logits`` or the output of a ``softmax``) use -sum(y log_softmax(logits)).
    """
    _check_reduction(reduction, "categorical_crossentropy")
    y_pred = _as_prediction(y_pred, "categorical_crossentropy")
    if y_pred.ndim == 0:
        raise ValueError("categorical_crossentropy: y_pred needs a class axis, got a 0-d tensor")
    return _categorical(_as_target(y_true, y_pred, "categorical_crossentropy"), y_pred,
                        from_logits, reduction)


def _categorical(y_true, y_pred, from_logits, reduction):
    logits = y_pred if from_logits else _input_of(y_pred, _SOFTMAX)
    if logits is not None:  # one fused op: its gradient is softmax(logits) - y_true
        return softmax_cross_entropy(logits, y_true, axis=-1, reduction=reduction)
    else:
        p = y_pred / y_pred.sum(axis=-1, keepdims=True)
        log_p = log(clip(p, EPSILON, 1.0 - EPSILON))
    weighted = y_true * log_p
    if reduction == "mean":
        return weighted.sum() * (-1.0 / _samples(y_pred))
    if reduction == "sum":
        return -weighted.sum()
    return -weighted.sum(axis=-1)


def _one_hot_labels(labels, y_pred, where):
    """Integer class labels (shape ``y_pred.shape[:-1]``, a trailing 1 allowed) as one-hot rows
    in the predictions' dtype."""
    labels = asarray(labels)
    classes = y_pred.shape[-1] if y_pred.ndim else 0
    if labels.shape == y_pred.shape[:-1] + (1,) and y_pred.ndim:
        labels = labels.reshape(y_pred.shape[:-1])
    if y_pred.ndim == 0 or labels.shape != y_pred.shape[:-1]:
        raise ValueError(f"{where}: labels of shape {labels.shape} do not fit predictions of shape "
                         f"{y_pred.shape}; expected labels of shape {y_pred.shape[:-1]}")
    if not np.issubdtype(labels.dtype, np.integer):
        if not (np.issubdtype(labels.dtype, np.floating) and np.all(labels == np.round(labels))):
            raise TypeError(f"{where}: labels must be integer class indices, got dtype {labels.dtype}")
        labels = labels.astype(np.int64)
    try:
        return autograd.one_hot(labels, classes, dtype=y_pred.data.dtype)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, reduction="mean"):
    """``categorical_crossentropy`` with integer class labels ``y_true`` (shape
    ``y_pred.shape[:-1]``) instead of one-hot rows."""
    _check_reduction(reduction, "sparse_categorical_crossentropy")
    y_pred = _as_prediction(y_pred, "sparse_categorical_crossentropy")
    one_hot = _one_hot_labels(y_true, y_pred, "sparse_categorical_crossentropy")
    return _categorical(one_hot, y_pred, from_logits, reduction)


def cross_entropy(logits, target, reduction="mean"):
    """PyTorch's cross-entropy: ``logits`` (N, C); ``target`` integer classes (N,) or class
    probabilities (N, C). Per sample -sum(target * log_softmax(logits))."""
    _check_reduction(reduction, "cross_entropy")
    logits = _as_prediction(logits, "cross_entropy")
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must be (batch, classes), got shape {logits.shape}")
    target_array = asarray(target)
    if target_array.shape == logits.shape and np.issubdtype(target_array.dtype, np.floating):
        probabilities = _as_target(target, logits, "cross_entropy")
    else:
        probabilities = _one_hot_labels(target_array, logits, "cross_entropy")
    return _categorical(probabilities, logits, True, reduction)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """PyTorch's ``BCEWithLogitsLoss``: softplus(x) - x y elementwise, then ``reduction``
    over all elements."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    logits = _as_prediction(logits, "binary_cross_entropy_with_logits")
    target = _as_target(target, logits, "binary_cross_entropy_with_logits")
    return _reduce(softplus(logits) - logits * target, reduction)


# ---------------------------------------------------------------------- margins
def _hinge_labels(y_true):
    """Keras converts 0/1 labels to -1/1 for the hinge losses."""
    data = y_true.data if isinstance(y_true, Tensor) else y_true
    if np.all((data == 0) | (data == 1)):
        return 2.0 * y_true - 1.0
    return y_true


def hinge(y_true, y_pred, reduction="mean"):
    """max(1 - y y_hat, 0), mean over the last axis; labels -1/1 (0/1 labels are converted)."""
    _check_reduction(reduction, "hinge")
    y_pred = _as_prediction(y_pred, "hinge")
    y_true = _hinge_labels(_as_target(y_true, y_pred, "hinge"))
    return _elementwise_loss(relu(1.0 - y_true * y_pred), reduction)


def categorical_hinge(y_true, y_pred, reduction="mean"):
    """Crammer-Singer multiclass hinge on one-hot ``y_true``:
    max(max over wrong classes of y_hat - y_hat of the true class + 1, 0)."""
    _check_reduction(reduction, "categorical_hinge")
    y_pred = _as_prediction(y_pred, "categorical_hinge")
    if y_pred.ndim == 0:
        raise ValueError("categorical_hinge: y_pred needs a class axis, got a 0-d tensor")
    y_true = _as_target(y_true, y_pred, "categorical_hinge")
    positive = (y_true * y_pred).sum(axis=-1)
    negative = ((1.0 - y_true) * y_pred).max(axis=-1)
    return _reduce(relu(negative - positive + 1.0), reduction)


mse = mean_squared_error
mae = mean_absolute_error


# ---------------------------------------------------------------------- classes
class Loss:
    """A configured loss: ``loss(y_true, y_pred)`` calls ``fn`` with the stored options.

    ``prediction_first`` tells the argument order: False for Keras's ``loss(y_true, y_pred)``,
    True for PyTorch's ``loss(input, target)`` (``fit`` passes the arguments accordingly)."""

    fn = None
    prediction_first = False

    def __init__(self, reduction="mean", **options):
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction
        self.options = options

    def __call__(self, y_true, y_pred):
        return type(self).fn(y_true, y_pred, reduction=self.reduction, **self.options)

    def get_config(self):
        """Constructor arguments (JSON-able)."""
        return {"reduction": self.reduction, **self.options}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MeanSquaredError(Loss):
    """Keras ``MeanSquaredError``: mean((y_true - y_pred)^2)."""
    fn = staticmethod(mean_squared_error)


class MeanAbsoluteError(Loss):
    """Keras ``MeanAbsoluteError``: mean(|y_true - y_pred|)."""
    fn = staticmethod(mean_absolute_error)


class Huber(Loss):
    """Keras ``Huber(delta=1.0)``."""
    fn = staticmethod(huber)

    def __init__(self, delta=1.0, reduction="mean"):
        if not delta > 0:
            raise ValueError(f"Huber: delta must be > 0, got {delta}")
        super().__init__(reduction, delta=float(delta))


class BinaryCrossentropy(Loss):
    """Keras ``BinaryCrossentropy(from_logits=False)``."""
    fn = staticmethod(binary_crossentropy)

    def __init__(self, from_logits=False, reduction="mean"):
        super().__init__(reduction, from_logits=bool(from_logits))


class CategoricalCrossentropy(Loss):
    """Keras ``CategoricalCrossentropy(from_logits=False)`` on one-hot targets."""
    fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits=False, reduction="mean"):
        super().__init__(reduction, from_logits=bool(from_logits))


class SparseCategoricalCrossentropy(Loss):
    """Keras ``SparseCategoricalCrossentropy(from_logits=False)`` on integer labels."""
    fn = staticmethod(sparse_categorical_crossentropy)

    def __init__(self, from_logits=False, reduction="mean"):
        super().__init__(reduction, from_logits=bool(from_logits))


class Hinge(Loss):
    """Keras ``Hinge``: max(1 - y y_hat, 0)."""
    fn = staticmethod(hinge)


class CategoricalHinge(Loss):
    """Keras ``CategoricalHinge`` (the Crammer-Singer multiclass hinge)."""
    fn = staticmethod(categorical_hinge)


MulticlassHinge = CategoricalHinge


class _TorchStyleLoss(Loss):
    """PyTorch argument order: ``loss(input, target)``."""

    prediction_first = True

    def __call__(self, input, target):
        return type(self).fn(input, target, reduction=self.reduction, **self.options)


class CrossEntropyLoss(_TorchStyleLoss):
    """PyTorch ``CrossEntropyLoss``: ``loss(logits, target)``, integer classes or probabilities."""
    fn = staticmethod(cross_entropy)


class BCEWithLogitsLoss(_TorchStyleLoss):
    """PyTorch ``BCEWithLogitsLoss``: ``loss(logits, target)``."""
    fn = staticmethod(binary_cross_entropy_with_logits)


class MSELoss(_TorchStyleLoss):
    """PyTorch ``MSELoss``: ``loss(input, target)``, the mean over all elements."""

    def __call__(self, input, target):
        input = _as_prediction(input, "MSELoss")
        diff = input - _as_target(target, input, "MSELoss")
        return _reduce(diff * diff, self.reduction)


class L1Loss(_TorchStyleLoss):
    """PyTorch ``L1Loss``: ``loss(input, target)``, the mean over all elements."""

    def __call__(self, input, target):
        input = _as_prediction(input, "L1Loss")
        return _reduce((input - _as_target(target, input, "L1Loss")).abs(), self.reduction)


_CLASSES = {cls.__name__: cls for cls in (
    MeanSquaredError, MeanAbsoluteError, Huber, BinaryCrossentropy, CategoricalCrossentropy,
    SparseCategoricalCrossentropy, Hinge, CategoricalHinge, CrossEntropyLoss, BCEWithLogitsLoss,
    MSELoss, L1Loss)}
_NAMES = {
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
    "huber": Huber, "huber_loss": Huber,
    "binary_crossentropy": BinaryCrossentropy, "bce": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "hinge": Hinge, "categorical_hinge": CategoricalHinge, "multiclass_hinge": CategoricalHinge,
    "cross_entropy": CrossEntropyLoss,
}


def get(identifier):
    """A loss object from a Keras name ('categorical_crossentropy', 'mse', ...), a class name
    ('CategoricalCrossentropy'), a ``{'class_name', 'config'}`` dict, a ``Loss`` class, or any
    callable (returned as is)."""
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, dict):
        cls = _CLASSES.get(identifier.get("class_name"))
        if cls is None:
            raise ValueError(f"losses.get: unknown loss class {identifier.get('class_name')!r}")
        return cls(**(identifier.get("config") or {}))
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier) or _NAMES.get(identifier.lower())
        if cls is None:
            raise ValueError(f"losses.get: unknown loss {identifier!r}; known: {sorted(_NAMES)}")
        return cls()
    if callable(identifier):
        return identifier
    raise TypeError(f"losses.get: expected a name, a dict, a Loss or a callable, got {type(identifier).__name__}")
