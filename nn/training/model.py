"""The Keras-style ``Model``: compile, fit, evaluate, predict, summary, save.

``Model`` is a ``Module`` with a training API on top; ``Sequential`` inherits it, and a model
written PyTorch-style (subclass ``Model``, define ``forward``) gets it too::

    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, batch_size=128, validation_split=0.1)
    test_loss, test_accuracy = model.evaluate(x_test, y_test)

One training step is exactly: forward, ``loss = loss_fn(y_true, y_pred)`` plus
``regularization_loss()`` when a layer has a regularizer, ``optimizer.zero_grad()``,
``loss.backward()``, ``optimizer.step()``. Loss and metrics are accumulated from the forward pass
already done (no second pass), with a few numpy scalar operations per batch. The model is in
training mode during ``fit`` and in inference mode during ``evaluate``, ``predict`` and
validation (this matters for ``Dropout`` and ``BatchNorm``).
"""

from __future__ import annotations

import contextlib
import warnings

import os
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

import autograd
from autograd import Tensor, no_grad
from autograd.capture import CaptureMismatchError, capture

from ..data import BatchIterator
from ..module import Module
from . import metrics as metrics_module
from .callbacks import Callback, CallbackList, History
from .progress import ProgressReporter

__all__ = ["Model"]


@dataclass
class CompiledState:
    """What ``compile`` configured: optimizer, loss (Keras argument order) and metrics."""

    optimizer: object
    loss: Callable
    metrics: list = field(default_factory=list)
    loss_spec: object = None  # the ``loss`` argument as given (saved in model files)
    capture: object = "auto"  # how fit runs its steps: "auto", True or False (see ``compile``)


# What ``compile`` uses when no ``capture`` is given (the test suite runs the training tests
# once with each setting).
DEFAULT_CAPTURE = "auto"
_CAPTURE_SETTINGS = ("auto", True, False, "check")


class Model(Module):
    """A module with the Keras training API: ``compile``, ``fit``, ``evaluate``, ``predict``,
    ``summary``, ``save``, ``save_weights`` and ``load_weights``.

    After ``fit``, ``history`` holds the returned ``History``. A callback ends training by
    setting ``stop_training``: in ``on_batch_end`` the epoch ends after that batch, in
    ``on_epoch_end`` training ends after that epoch.
    """

    _compiled: CompiledState | None = None
    _input_shape: tuple | None = None  # one sample's shape, once known (for summary and saving)
    history: History | None = None
    stop_training: bool = False

    # ------------------------------------------------------------------ configuration
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, capture=None):
        """Configure training: ``optimizer`` and ``loss`` are names (``'rmsprop'``,
        ``'categorical_crossentropy'``, ...) or objects; ``metrics`` a list of names
        (``'accuracy'``/``'acc'``, ``'mse'``, ``'mae'``), ``Metric`` objects or functions.

        An optimizer given by name is Keras's (``'rmsprop'`` puts eps inside the square root, see
        ``nn.optim.RMSprop``), created here with its default hyperparameters; it receives the
        model's parameters when training starts (so layers built lazily are included). Every
        name is checked here: a misspelled optimizer, loss or metric fails now, listing the known
        names, rather than in ``fit``; the model is left as it was.
        """
        from .. import losses, optim  # imported here: optim is loaded on first use

        if loss is None:
            raise ValueError("compile: a loss is required, e.g. loss='categorical_crossentropy'")
        capture = DEFAULT_CAPTURE if capture is None else capture
        if not any(capture is setting or capture == setting for setting in _CAPTURE_SETTINGS):
            raise ValueError(f"compile: capture must be 'auto', True, False or 'check', got {capture!r}")
        optimizer = _resolved("optimizer", optim.get, optimizer)
        loss_fn = _keras_order(_resolved("loss", losses.get, loss))
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, metrics_module.Metric)) or callable(metrics):
            metrics = [metrics]
        resolved = [_resolved("metrics", metrics_module.get, m) for m in metrics]
        names = [m.name for m in resolved]
        if len(set(names)) != len(names):
            raise ValueError(f"compile: metric names must be unique, got {names}")
        self._compiled = CompiledState(optimizer, loss_fn, resolved, loss, capture)

    @property
    def optimizer(self):
        """The optimizer set by ``compile`` (None before)."""
        return None if self._compiled is None else self._compiled.optimizer

    @optimizer.setter
    def optimizer(self, value):
        if self._compiled is None:
            raise RuntimeError("set the optimizer through compile() first")
        self._compiled.optimizer = value

    @property
    def loss(self):
        """The loss function set by ``compile``, called as ``loss(y_true, y_pred)``."""
        return None if self._compiled is None else self._compiled.loss

    @property
    def compiled_metrics(self) -> list:
        """The ``Metric`` objects set by ``compile``."""
        return [] if self._compiled is None else list(self._compiled.metrics)

    @property
    def metrics_names(self) -> list[str]:
        """``['loss', *metric names]``: the order of ``evaluate``'s results."""
        return ["loss"] + [m.name for m in self.compiled_metrics]

    def _require_compiled(self, where: str) -> CompiledState:
        if self._compiled is None:
            raise RuntimeError(
                f"{where}: the model is not compiled; call compile(optimizer=..., loss=...) first"
            )
        return self._compiled

    def build(self, input_shape, dtype=np.float32):
        """Create lazily sized parameters for inputs of ``input_shape`` (batch axis first) and
        remember the sample shape for ``summary`` and ``save``. Returns the output shape."""
        output_shape = super().build(input_shape, dtype)
        self._input_shape = tuple(input_shape)[1:]
        return output_shape

    # ------------------------------------------------------------------ training
    def fit(
        self,
        x,
        y,
        epochs: int = 1,
        batch_size: int = 32,
        validation_data=None,
        validation_split: float = 0.0,
        shuffle: bool = True,
        verbose: int = 1,
        callbacks: Sequence[Callback] | None = None,
        seed: int | None = None,
        initial_epoch: int = 0,
    ) -> History:
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches; returns a ``History``.

        ``validation_split`` holds out that fraction of the samples (the last ones, before any
        shuffling, as Keras does); ``validation_data=(x_val, y_val)`` takes precedence over it.
        Both are evaluated after every epoch in inference mode and logged as ``val_*``. Batches
        are reshuffled every epoch from ``seed`` (drawn from ``autograd.generator()`` when None,
        so ``nn.seed`` makes a run reproducible). ``verbose``: 0 silent, 1 progress bar, 2 one
        line per epoch.
        """
        compiled = self._require_compiled("fit")
        _check_positive_int("fit", "epochs", epochs, allow_zero=True)
        _check_positive_int("fit", "batch_size", batch_size)
        _check_positive_int("fit", "initial_epoch", initial_epoch, allow_zero=True)
        _check_verbose("fit", verbose)
        if not isinstance(shuffle, (bool, np.bool_)):
            raise TypeError(f"fit: shuffle must be True or False, got {shuffle!r}")
        if seed is not None:
            _check_positive_int("fit", "seed", seed, allow_zero=True)
        callbacks = _callback_list(callbacks)
        x, y = self._prepare("fit", x, y)
        validation = None
        if validation_data is not None:
            validation = self._prepare_validation(validation_data)
        elif validation_split:
            (x, y), validation = _split_off(x, y, validation_split)
        self._prepare_optimizer(compiled, x)

        if seed is None:
            seed = int(autograd.generator().integers(2**63))
        batches = BatchIterator(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed)
        history = History()
        callback_list = CallbackList([*callbacks, history], model=self)
        reporter = ProgressReporter(verbose, len(batches))
        self.stop_training = False
        self.history = history
        logs: dict = {}
        callback_list.on_train_begin()
        with self.mode(True):  # each epoch sets training mode again; the modes are restored after
            try:
                for epoch in range(initial_epoch, epochs):
                    self.train()
                    callback_list.on_epoch_begin(epoch)
                    reporter.begin(f"Epoch {epoch + 1}/{epochs}")
                    logs = self._train_epoch(batches, compiled, reporter, callback_list)
                    if validation is not None:
                        results = self._evaluate_arrays(*validation, batch_size, None)
                        logs.update((f"val_{name}", value) for name, value in results.items())
                    reporter.end(logs)
                    callback_list.on_epoch_end(epoch, logs)
                    if self.stop_training:
                        break
            finally:
                reporter.close()
        callback_list.on_train_end(logs)
        return history

    def _train_epoch(self, batches, compiled, reporter, callback_list) -> dict:
        """One pass over ``batches``; returns the epoch's mean loss and metrics."""
        metrics = compiled.metrics
        for metric in metrics:
            metric.reset_state()
        running = _RunningLoss(metrics)
        penalty = self._penalty_function()
        train_batch = self._batch_trainer(compiled, penalty)
        show_progress = reporter.shows_batches
        per_batch_callbacks = callback_list.wants_batches
        for index, (x_batch, y_batch) in enumerate(batches):
            if per_batch_callbacks:
                callback_list.on_batch_begin(index, {"batch": index, "size": len(x_batch)})
            loss_value, y_pred = train_batch(x_batch, y_batch)
            running.add(loss_value, len(x_batch))
            for metric in metrics:
                metric.update_state(y_batch, y_pred)
            if per_batch_callbacks:
                callback_list.on_batch_end(index, {"batch": index, "size": len(x_batch),
                                                   **running.logs()})
            if show_progress:
                reporter.batch_end(index + 1, running.logs)
            if self.stop_training:  # a callback stopped training within the epoch
                break
        return running.logs()

    def _train_step(self, x_batch, y_batch, compiled, penalty):
        """Forward, loss (plus ``penalty()`` unless it is None), backward and one optimizer
        step; returns the loss and the predictions (tensors)."""
        y_pred = self(Tensor(x_batch))
        loss = compiled.loss(y_batch, y_pred)
        if penalty is not None:
            term = penalty()
            if term is not None:
                loss = loss + term
        optimizer = compiled.optimizer
        optimizer.zero_grad()
        self.zero_grad()  # parameters the optimizer leaves alone must not pile up gradients
        loss.backward()
        optimizer.step()
        return loss, y_pred

    def _train_batch(self, x_batch, y_batch, compiled, penalty) -> tuple[float, np.ndarray]:
        """One eager training step; returns the loss and the predictions."""
        loss, y_pred = self._train_step(x_batch, y_batch, compiled, penalty)
        return float(loss.data), y_pred.data

    def _batch_trainer(self, compiled, penalty):
        """``train(x_batch, y_batch) -> (loss, predictions)`` for one epoch: the eager step, or
        the step captured once per batch shape and replayed (``compile``'s ``capture``)."""
        def eager(x_batch, y_batch):
            return self._train_batch(x_batch, y_batch, compiled, penalty)

        if compiled.capture is False or (compiled.capture == "auto" and not _own_loss(compiled)):
            return eager

        def train_step(x, y):
            return self._train_step(x, y, compiled, penalty)

        step = capture(train_step, check=compiled.capture == "check")
        calls = {}  # batch shape -> calls so far; "auto" checks the first replay of each

        def captured(x_batch, y_batch):
            if compiled.capture is False:  # a check failed earlier in this epoch
                return eager(x_batch, y_batch)
            key = (np.shape(x_batch), np.shape(y_batch))
            calls[key] = calls.get(key, 0) + 1
            check = compiled.capture == "check" or (compiled.capture == "auto" and calls[key] == 2)
            step.check = check
            try:
                loss, y_pred = step(x_batch, y_batch)
            except CaptureMismatchError as error:
                warnings.warn(f"fit: the training step cannot be replayed ({error}); training "
                              "goes on eagerly", stacklevel=4)
                compiled.capture = False
                loss, y_pred = error.eager_result  # the step ran eagerly while checking
            return float(loss.data), y_pred.data

        return captured

    def train_on_batch(self, x, y) -> float | list[float]:
        """One training step on one batch; returns the loss (and metrics) of that batch."""
        compiled = self._require_compiled("train_on_batch")
        x, y = self._prepare("train_on_batch", x, y)
        self._prepare_optimizer(compiled, x)
        with self.mode(True):
            loss_value, y_pred = self._train_batch(x, y, compiled, self._penalty_function())
        results = {"loss": loss_value}
        for metric in compiled.metrics:
            metric.reset_state()
            metric.update_state(y, y_pred)
            results[metric.name] = metric.result()
        return _as_results(results)

    def _penalty_function(self) -> Callable | None:
        """A function returning the regularization term to add to the loss (None when nothing
        is regularized), equal to ``regularization_loss()`` but without walking the module tree
        on every batch: only modules that define ``penalties`` are asked."""
        if type(self).regularization_loss is not Module.regularization_loss:
            return self.regularization_loss  # a model with its own definition
        owners = [m for m in self.modules() if type(m).penalties is not Module.penalties]
        if not owners:
            return None

        def penalty():
            total = None
            for module in owners:
                for term in module.penalties():
                    total = term if total is None else total + term
            return total

        return penalty

    def _prepare_optimizer(self, compiled, x) -> None:
        """Build a lazily sized model and hand its parameters to an optimizer that has none."""
        if not all(m.built for m in self.modules()):
            self.build((None,) + x.shape[1:], dtype=x.dtype)
        optimizer = compiled.optimizer
        if hasattr(optimizer, "add_params") and not optimizer.params:
            optimizer.add_params(self.parameters())

    # ------------------------------------------------------------------ inference
    def evaluate(self, x, y, batch_size: int = 32, verbose: int = 1, return_dict: bool = False):
        """Mean loss and metrics over ``(x, y)`` in inference mode, without recording a graph.

        Returns ``[loss, *metrics]`` (in ``metrics_names`` order), just the loss when no metrics
        were compiled, or a dict with ``return_dict=True``.
        """
        self._require_compiled("evaluate")
        _check_positive_int("evaluate", "batch_size", batch_size)
        _check_verbose("evaluate", verbose)
        x, y = self._prepare("evaluate", x, y)
        reporter = ProgressReporter(verbose, -(-len(x) // batch_size))
        reporter.begin("Evaluate")
        try:
            results = self._evaluate_arrays(x, y, batch_size, reporter)
        finally:
            reporter.close()
        reporter.end(results)
        return dict(results) if return_dict else _as_results(results)

    def _evaluate_arrays(self, x, y, batch_size, reporter) -> dict:
        compiled = self._compiled
        metrics = compiled.metrics
        for metric in metrics:
            metric.reset_state()
        running = _RunningLoss(metrics)
        show_progress = reporter is not None and reporter.shows_batches
        penalty = self._penalty_function()
        with _inference(self):
            for index, (x_batch, y_batch) in enumerate(BatchIterator(x, y, batch_size=batch_size)):
                y_pred = self(Tensor(x_batch))
                loss = compiled.loss(y_batch, y_pred)
                value = float(loss.data)
                if penalty is not None:
                    term = penalty()
                    if term is not None:
                        value += float(getattr(term, "data", term))
                running.add(value, len(x_batch))
                for metric in metrics:
                    metric.update_state(y_batch, y_pred.data)
                if show_progress:
                    reporter.batch_end(index + 1, running.logs)
        return running.logs()

    def predict(self, x, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """The model's outputs for ``x`` (a numpy array), computed in batches in inference mode."""
        _check_positive_int("predict", "batch_size", batch_size)
        _check_verbose("predict", verbose)
        x = self._prepare_inputs("predict", x)
        if len(x) == 0:
            raise ValueError(f"predict: got no samples (x has shape {x.shape})")
        batches = BatchIterator(x, batch_size=batch_size)
        reporter = ProgressReporter(verbose, len(batches))
        reporter.begin("Predict")
        outputs = []
        try:
            with _inference(self):
                for index, (x_batch,) in enumerate(batches):
                    out = self(Tensor(x_batch))
                    outputs.append(out.data if isinstance(out, Tensor) else np.asarray(out))
                    if reporter.shows_batches:
                        reporter.batch_end(index + 1, dict)
        finally:
            reporter.close()
        reporter.end({})
        return np.concatenate(outputs)

    def predict_on_batch(self, x) -> np.ndarray:
        """The model's outputs for one batch, in inference mode."""
        x = self._prepare_inputs("predict_on_batch", x)
        with _inference(self):
            out = self(Tensor(x))
        return out.data if isinstance(out, Tensor) else np.asarray(out)

    # ------------------------------------------------------------------ data preparation
    def _input_dtype(self) -> np.dtype:
        """The dtype inputs are converted to once: the parameters' (float32 when there are none)."""
        for p in self.parameters():
            return p.data.dtype
        return np.dtype(np.float32)

    def _prepare_inputs(self, where: str, x) -> np.ndarray:
        x = _as_array(where, "x", x)
        if x.ndim == 0:
            raise ValueError(f"{where}: x must have a batch axis, got a scalar")
        known = self._input_shape
        if known is not None and x.ndim != len(known) + 1:
            raise ValueError(f"{where}: the model takes samples of shape {tuple(known)}, so x "
                             f"must have {len(known) + 1} axes (the batch axis first), got x "
                             f"of shape {x.shape}")
        dtype = self._input_dtype()
        if x.dtype != dtype and not (x.dtype.kind in "iu" and self._takes_token_ids()):
            x = x.astype(dtype)  # once here, instead of once per batch inside the layers
        if self._input_shape is None:
            self._input_shape = tuple(x.shape[1:])
        return x

    def _takes_token_ids(self) -> bool:
        """True when a layer reads integer token ids (an ``Embedding``): integer inputs then
        stay integers."""
        return any(getattr(m, "takes_token_ids", False) for m in self.modules())

    def _prepare(self, where: str, x, y) -> tuple[np.ndarray, np.ndarray]:
        x = self._prepare_inputs(where, x)
        y = _as_array(where, "y", y)
        if y.ndim == 0 or len(y) != len(x):
            raise ValueError(
                f"{where}: x and y must have the same number of samples, got x of shape "
                f"{x.shape} and y of shape {y.shape}"
            )
        if len(x) == 0:
            raise ValueError(f"{where}: got no samples (x has shape {x.shape})")
        _check_finite(where, "x", x)
        _check_finite(where, "y", y)
        if np.issubdtype(y.dtype, np.floating) and y.dtype != x.dtype:
            y = y.astype(x.dtype)
        return x, y

    def _prepare_validation(self, validation_data):
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
            raise ValueError("fit: validation_data must be a pair (x_val, y_val)")
        return self._prepare("fit (validation_data)", *validation_data)

    # ------------------------------------------------------------------ description and files
    def summary(self, input_shape=None, print_fn=None) -> None:
        """Print a Keras-like table of the layers (``dense (Dense)``) with their output shapes
        and parameter counts, after a line with the model's name, and the totals: total,
        trainable and non-trainable parameters.

        Returns None, as Keras does (so Jupyter shows the table once). ``print_fn`` receives the
        whole text instead of ``print`` (as in Keras 3), e.g. ``lines.append`` to keep it;
        ``nn.training.summary.model_summary(model)`` returns it. ``input_shape`` is one sample's
        shape, needed only when neither a layer nor a previous call has told the model.
        """
        from .summary import model_summary

        (print if print_fn is None else print_fn)(model_summary(self, input_shape))

    def save(self, path: str | os.PathLike, include_optimizer: bool = True) -> None:
        """Write the architecture, weights and compile settings (and, with ``include_optimizer``,
        the optimizer's state) to one ``.npz`` file; ``nn.load_model`` reads it back."""
        from ..serialization import save_model

        save_model(self, path, include_optimizer=include_optimizer)

    def save_weights(self, path: str | os.PathLike) -> None:
        """Write every parameter and buffer to an ``.npz`` file."""
        from ..serialization import save_weights

        save_weights(self, path)

    def load_weights(self, path: str | os.PathLike) -> None:
        """Load weights written by ``save_weights`` (or ``save``); names and shapes must match."""
        from ..serialization import load_weights

        load_weights(self, path)


class _RunningLoss:
    """The running mean of the loss, weighted by batch size, plus the metrics' results."""

    __slots__ = ("total", "count", "metrics")

    def __init__(self, metrics) -> None:
        self.total = 0.0
        self.count = 0
        self.metrics = metrics

    def add(self, value: float, samples: int) -> None:
        self.total += value * samples
        self.count += samples

    def logs(self) -> dict:
        logs = {"loss": self.total / self.count if self.count else float("nan")}
        for metric in self.metrics:
            logs[metric.name] = metric.result()
        return logs


def _resolved(argument: str, get: Callable, value):
    """``get(value)``, with a failure reported as compile's, naming the argument."""
    try:
        return get(value)
    except (ValueError, TypeError) as error:
        raise type(error)(f"compile: {argument}={value!r}: {error}") from None


def _as_results(results: dict):
    values = list(results.values())
    return values[0] if len(values) == 1 else values


def _own_loss(compiled) -> bool:
    """True for a loss lucidgrad defines (a name, a ``nn.losses`` object or function): "auto"
    captures only those, since a function of the user's may keep Python state that a replayed
    step would not update."""
    spec = compiled.loss_spec  # an object's __module__ is its class's; a function's may be None
    return isinstance(spec, str) or (getattr(spec, "__module__", None) or "").startswith("nn.")


def _keras_order(loss):
    """Losses are called ``loss(y_true, y_pred)``; PyTorch-style ones take ``(input, target)``
    (their ``prediction_first`` is True)."""
    if getattr(loss, "prediction_first", False):
        torch_style = loss

        def keras_order(y_true, y_pred):
            return torch_style(y_pred, y_true)

        keras_order.wrapped = torch_style
        return keras_order
    return loss


def _as_array(where: str, name: str, value) -> np.ndarray:
    """``value`` as a numpy array of real numbers (bool, int or float), or a clear error."""
    if isinstance(value, Tensor):
        array = value.data
    else:
        try:
            array = np.asarray(value)
        except (TypeError, ValueError) as error:  # e.g. ragged nested lists
            raise ValueError(f"{where}: {name} cannot be made into one numeric array "
                             f"({error})") from None
    if array.dtype.kind not in "biuf":
        described = "object data" if array.dtype == object else f"dtype {array.dtype}"
        raise TypeError(f"{where}: {name} must be a numeric array (bool, int or float), got "
                        f"{described}; convert it yourself if that is what you mean")
    return array


def _check_finite(where: str, name: str, array: np.ndarray) -> None:
    """Raise a ValueError naming the first sample of ``array`` that holds NaN or infinity."""
    if array.dtype.kind != "f" or np.isfinite(array).all():
        return
    bad = ~np.isfinite(array.reshape(len(array), -1)).all(axis=1)
    samples = np.flatnonzero(bad)
    raise ValueError(f"{where}: {name} holds NaN or infinite values in {len(samples)} "
                     f"sample(s), the first at index {samples[0]}; a single one would make the "
                     "loss NaN")


def _callback_list(callbacks) -> list:
    """``callbacks`` (None or a list of ``Callback``) as a list, or a TypeError saying why not."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        raise TypeError(f"fit: callbacks must be a list, got one {type(callbacks).__name__}; "
                        f"pass [{type(callbacks).__name__}(...)]")
    try:
        return list(callbacks)
    except TypeError:
        raise TypeError(f"fit: callbacks must be a list of Callback objects, got "
                        f"{type(callbacks).__name__}") from None


def _split_off(x, y, fraction):
    """Split the last ``fraction`` of the samples off as validation data."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fit: validation_split must lie in (0, 1), got {fraction}")
    keep = int(len(x) * (1.0 - fraction))
    if keep == 0 or keep == len(x):
        raise ValueError(
            f"fit: validation_split={fraction} of {len(x)} samples leaves "
            f"{keep} for training and {len(x) - keep} for validation; both need at least one"
        )
    return (x[:keep], y[:keep]), (x[keep:], y[keep:])


def _check_positive_int(where: str, name: str, value, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{where}: {name} must be an integer >= {low}, got {value!r}")


def _check_verbose(where: str, verbose) -> None:
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"{where}: verbose must be 0, 1 or 2, got {verbose!r}")


@contextlib.contextmanager
def _inference(model: Module):
    """Inference mode and no graph inside the block; every module's mode is restored after."""
    with model.mode(False), no_grad():
        yield
