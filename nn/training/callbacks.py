"""Callbacks: code that ``Model.fit`` runs at the start and end of training, epochs and batches.

Subclass ``Callback`` and override the hooks you need; ``self.model`` is the model being trained.
``logs`` is a dict of the numbers known at that moment: after an epoch, ``loss``, every metric
and their ``val_`` versions when there is validation data. A callback stops training by setting
``self.model.stop_training = True``.

Only callbacks that override ``on_batch_begin`` / ``on_batch_end`` (and do not set
``listens_to_batches = False``) are called per batch, and the per-batch ``logs`` dict is built
only when one of them exists, so epoch-level callbacks cost nothing inside the training loop.
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
import warnings
from typing import Callable, Iterable

from .progress import plural

__all__ = [
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "ModelCheckpoint",
    "LearningRateScheduler",
    "ReduceLROnPlateau",
    "TerminateOnNaN",
    "CSVLogger",
    "History",
]


class Callback:
    """Base class: every hook does nothing; ``model`` is set by ``fit`` before training starts."""

    model = None

    def set_model(self, model) -> None:
        """Attach the model being trained."""
        self.model = model

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: dict | None = None) -> None:
        """Called once after the last epoch, with the last epoch's logs."""

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Called before epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Called after epoch ``epoch`` (and its validation) with the epoch's results."""

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Called before training batch ``batch`` (counted from 0 in each epoch)."""

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Called after batch ``batch`` with the running means of loss and metrics so far."""


def _overrides(callback: Callback, hook: str) -> bool:
    """True when ``callback`` defines ``hook`` itself and has not opted out of batch calls."""
    own = getattr(type(callback), hook) is not getattr(Callback, hook)
    return own and getattr(callback, "listens_to_batches", True)


class CallbackList:
    """Calls a list of callbacks in order; knows which of them want per-batch calls."""

    def __init__(self, callbacks: Iterable[Callback] = (), model=None) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    f"fit: callbacks must be Callback instances, got {type(callback).__name__}"
                )
            if model is not None:
                callback.set_model(model)
        self.batch_begin = [c for c in self.callbacks if _overrides(c, "on_batch_begin")]
        self.batch_end = [c for c in self.callbacks if _overrides(c, "on_batch_end")]

    @property
    def wants_batches(self) -> bool:
        """True when some callback needs to hear about every batch."""
        return bool(self.batch_begin or self.batch_end)

    def on_train_begin(self, logs: dict | None = None) -> None:
        """Run every callback's ``on_train_begin``."""
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict | None = None) -> None:
        """Run every callback's ``on_train_end``."""
        for callback in self.callbacks:
            callback.on_train_end(logs)

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        """Run every callback's ``on_epoch_begin``."""
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        """Run every callback's ``on_epoch_end``."""
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        """Run ``on_batch_begin`` of the callbacks that define it."""
        for callback in self.batch_begin:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        """Run ``on_batch_end`` of the callbacks that define it."""
        for callback in self.batch_end:
            callback.on_batch_end(batch, logs)


class _MonitorMixin:
    """Shared by callbacks that watch one logged quantity for improvement."""

    def _init_monitor(self, where: str, monitor: str, mode: str, min_delta: float) -> None:
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if _is_higher_better(monitor) else "min"
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self._where = where
        self._warned = False

    def _is_improvement(self, current: float, best: float) -> bool:
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def _initial_best(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def _current(self, logs: dict | None) -> float | None:
        """The monitored value in ``logs``; warns once (and returns None) when it is absent."""
        value = (logs or {}).get(self.monitor)
        if value is None and not self._warned:
            self._warned = True
            available = ", ".join(sorted(logs or {})) or "nothing"
            warnings.warn(
                f"{self._where}: the monitored quantity {self.monitor!r} is not in the logs "
                f"(available: {available}); pass validation data for val_* quantities",
                RuntimeWarning,
                stacklevel=3,
            )
        return value


def _is_higher_better(monitor: str) -> bool:
    name = monitor.removeprefix("val_")
    return name in ("acc", "accuracy") or name.endswith("accuracy")


class EarlyStopping(Callback, _MonitorMixin):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    An epoch improves when the value beats the best so far by more than ``min_delta``. ``mode``
    'auto' maximizes accuracies and minimizes everything else. With ``restore_best_weights`` the
    weights of the best epoch are put back when training is stopped early (as in Keras: a run
    that ends normally keeps its last weights). After training, ``stopped_epoch`` is the epoch
    (from 0) that triggered the stop, or 0 when none did, and ``best_epoch`` the best one.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
    ) -> None:
        self._init_monitor("EarlyStopping", monitor, mode, min_delta)
        if isinstance(patience, bool) or not isinstance(patience, numbers.Integral) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience!r}")
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._initial_best() if self.baseline is None else float(self.baseline)
        self.best_epoch = 0
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = self._current(logs)
        if current is None:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.state_dict()  # something to restore even if no epoch improves
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True
            if self.restore_best_weights and self.best_weights is not None:
                self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(
                    f"Epoch {epoch + 1}: early stopping ({self.monitor} has not improved for "
                    f"{plural(self.wait, 'epoch')}; best {self.best:.4f} at epoch "
                    f"{self.best_epoch + 1})"
                )


class ModelCheckpoint(Callback, _MonitorMixin):
    """Save the model (or only its weights) after every epoch, or only when ``monitor`` improves.

    ``filepath`` may contain ``str.format`` fields filled with ``epoch`` (counted from 1) and the
    epoch's logs, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``. Whole-model files include the
    optimizer state unless ``include_optimizer=False``. Files are written atomically.
    """

    def __init__(
        self,
        filepath: str | os.PathLike,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        include_optimizer: bool = True,
    ) -> None:
        self._init_monitor("ModelCheckpoint", monitor, mode, 0.0)
        self.filepath = os.fspath(filepath)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.include_optimizer = include_optimizer
        self.best = self._initial_best()

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.best = self._initial_best()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not self._is_improvement(current, self.best):
                return
            self.best = current
        try:
            path = self.filepath.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as error:
            available = ", ".join(["epoch", *sorted(logs)])
            raise ValueError(f"ModelCheckpoint: cannot fill in filepath {self.filepath!r} "
                             f"({type(error).__name__}: {error}); the fields available after "
                             f"epoch {epoch + 1} are {available}") from None
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path, include_optimizer=self.include_optimizer)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved the model to {path}")


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate from a schedule as training goes.

    ``schedule`` is either a function ``epoch -> lr`` or ``(epoch, current_lr) -> lr`` (epochs
    counted from 0), called at the start of every epoch, or a schedule object from
    ``nn.optim.schedules`` (``StepDecay``, ``CosineDecay``, ``LinearWarmup``, ...), which is
    stepped once per epoch, or once per batch when its ``interval`` is ``'step'``. The rate in
    use is logged as ``lr``.
    """

    def __init__(self, schedule: Callable, verbose: int = 0) -> None:
        is_object = hasattr(schedule, "step") and hasattr(schedule, "get_last_lr")
        if not is_object and not callable(schedule):
            raise TypeError(
                "LearningRateScheduler: schedule must be a function or an nn.optim.schedules "
                f"object, got {type(schedule).__name__}"
            )
        self.schedule = schedule
        self.verbose = verbose
        self._is_object = is_object
        self._per_batch = is_object and getattr(schedule, "interval", "epoch") == "step"
        self.listens_to_batches = self._per_batch

    def _apply(self, lr: float, when: str) -> None:
        lr = float(lr)
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule gave lr={lr} {when}")
        _optimizer_of(self.model, "LearningRateScheduler").lr = lr

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        schedule = self.schedule
        if self._per_batch:
            return
        if self._is_object:
            while schedule.count < epoch:  # one step per finished epoch
                schedule.step()
            lr = schedule.get_last_lr()
        else:
            current = float(_optimizer_of(self.model, "LearningRateScheduler").lr)
            if _positional_arity(schedule) >= 2:
                lr = schedule(epoch, current)
            else:
                lr = schedule(epoch)
        self._apply(lr, f"for epoch {epoch}")
        if self.verbose:
            print(f"Epoch {epoch + 1}: learning rate {float(lr):.6g}")

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if self._per_batch:
            self._apply(self.schedule.step(), f"after batch {batch}")

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["lr"] = float(_optimizer_of(self.model, "LearningRateScheduler").lr)


def _positional_arity(fn: Callable) -> int:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return 2
    return sum(1 for p in parameters if p.kind in kinds)


def _optimizer_of(model, where: str):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise RuntimeError(f"{where}: the model has no optimizer; compile it first")
    return optimizer


class ReduceLROnPlateau(Callback, _MonitorMixin):
    """Multiply the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs.

    A callback around ``nn.optim.schedules.ReduceLROnPlateau`` (same rules, Keras's defaults):
    after a reduction, ``cooldown`` epochs pass before stalls are counted again, and the rate
    never goes below ``min_lr``. The rate in use is logged as ``lr``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must lie in (0, 1), got {factor}")
        self._init_monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self.schedule = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        from ..optim.schedules import ReduceLROnPlateau as PlateauSchedule

        self.schedule = PlateauSchedule(
            _optimizer_of(self.model, "ReduceLROnPlateau"),
            factor=self.factor,
            patience=self.patience,
            min_delta=self.min_delta,
            mode=self.mode,
            min_lr=self.min_lr,
            cooldown=self.cooldown,
        )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        optimizer = _optimizer_of(self.model, "ReduceLROnPlateau")
        if logs is not None:
            logs["lr"] = float(optimizer.lr)
        current = self._current(logs)
        if current is None:
            return
        old = float(optimizer.lr)
        new = self.schedule.step(current)
        if self.verbose and new < old:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau reduced the learning rate to {new:.6g}")


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite (Keras's semantics).

    ``fit`` ends the epoch right after that batch (its ``on_epoch_end`` callbacks still run) and
    runs no further epoch. The batch's update has been applied, as in Keras. An epoch whose
    logged loss is not finite stops training too (when the callback is driven per epoch).
    """

    def on_train_begin(self, logs: dict | None = None) -> None:
        self.stopped_at_batch = None

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            print(f"Batch {batch}: the loss is {loss}; stopping training")
            self.stopped_at_batch = batch
            self.model.stop_training = True

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        loss = (logs or {}).get("loss")
        if getattr(self, "stopped_at_batch", None) is None and loss is not None \
                and not math.isfinite(loss):
            print(f"Epoch {epoch + 1}: the loss is {loss}; stopping training")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Append one CSV row per epoch: ``epoch`` (from 0) and every logged value.

    The header is written with the first row; with ``append`` an existing file is continued.
    """

    def __init__(self, filename: str | os.PathLike, separator: str = ",", append: bool = False):
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = append
        self._file = None
        self._writer = None
        self._keys = None

    def on_train_begin(self, logs: dict | None = None) -> None:
        continuing = self.append and os.path.isfile(self.filename) and os.path.getsize(self.filename)
        self._file = open(self.filename, "a" if self.append else "w", newline="", encoding="utf-8")
        self._keys = None
        self._has_header = bool(continuing)

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self._keys is None:
            self._keys = sorted(logs)
            self._writer = csv.DictWriter(
                self._file, fieldnames=["epoch", *self._keys], delimiter=self.separator
            )
            if not self._has_header:
                self._writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, logs.get(key, "")) for key in self._keys)
        self._writer.writerow(row)
        self._file.flush()

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class History(Callback):
    """Records every epoch's logs.

    ``history`` maps each logged name (``loss``, metrics, ``val_loss``, ...) to a list with one
    value per epoch; ``epoch`` lists the epoch numbers (from 0) in the same order. ``fit`` puts
    a fresh one last in its callback list (so it sees what other callbacks add to the logs,
    such as ``lr``) and also stores it as ``model.history``.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch.append(epoch)
        for name, value in (logs or {}).items():
            self.history.setdefault(name, []).append(value)

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"
