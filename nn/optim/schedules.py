"""Learning-rate schedules: objects that set ``optimizer.lr`` each time their ``step()`` is called.

A schedule counts its own ``step()`` calls; whoever drives it decides what one call means. The
attribute ``interval`` ('epoch', the default, or 'step') records the intent for a training loop:
call ``step()`` after every epoch, or after every optimizer step (batch). Creating a schedule
sets the optimizer's lr to the schedule's value at count 0; the optimizer's lr at that moment is
the schedule's ``base_lr``. ``get_last_lr()`` is the lr the schedule set last, and
``state_dict()`` / ``load_state_dict()`` save and restore the schedule (numbers and strings only).

A schedule whose lr follows from its count (all but ``ReduceLROnPlateau``) may be stepped inside
a captured training step (``autograd.capture``): its count is an integer array advanced by a
recorded numpy call, the lr is computed by a host call that every replay runs again, and it
reaches the optimizer through a recorded copy (which a checked replay can undo).
"""
import math
from collections.abc import Mapping

import numpy as np

from autograd.capture import host_call, traced

from .hyperparameters import at_least, non_negative, positive, stored_name, stored_scalar
from .layout import InArray

__all__ = ["LearningRateSchedule", "StepDecay", "ExponentialDecay", "CosineDecay",
           "LinearWarmup", "ReduceLROnPlateau"]

_INTERVALS = ("epoch", "step")


class _LearningRateHolder:
    """Stands in for an optimizer while a loaded state is checked by a schedule's constructor."""

    def __init__(self, lr):
        self.lr = lr


class LearningRateSchedule:
    """Base class: sets ``optimizer.lr = lr_at(count)``, ``count`` being the ``step()`` calls."""

    # hyperparameter name -> type, saved in state_dict (subclasses fill it in)
    hyperparameters = {}
    _follows_count = True  # the lr is a function of the count (ReduceLROnPlateau's is not)

    def __init__(self, optimizer, interval="epoch"):
        if not hasattr(optimizer, "lr"):
            raise TypeError(f"{type(self).__name__}: expected an optimizer with an lr attribute, "
                            f"got {type(optimizer).__name__}")
        if interval not in _INTERVALS:
            raise ValueError(f"{type(self).__name__}: interval must be 'epoch' or 'step', "
                             f"got {interval!r}")
        self.optimizer = optimizer
        self.interval = interval
        self.base_lr = float(optimizer.lr)
        self._count = np.zeros((), np.int64)  # arrays: a captured step advances them
        self._last_lr = np.zeros((), np.float64)
        self._set(self.lr_at(0))

    def lr_at(self, count):
        """The learning rate after ``count`` calls of ``step()``."""
        raise NotImplementedError(f"{type(self).__name__} does not implement lr_at")

    count = InArray("_count", int, "How many times ``step()`` was called.")

    @property
    def last_lr(self):
        """The learning rate this schedule set last (a float)."""
        return float(self._last_lr)

    def step(self):
        """Advance the schedule by one interval and set the optimizer's lr; returns that lr."""
        count = traced(self._count)
        np.add(count, 1, out=count)
        lr = host_call(self._set_current)
        target = getattr(self.optimizer, "_lr", None)  # an nn.optim optimizer's lr array
        if isinstance(target, np.ndarray):
            np.copyto(traced(target), self._last_lr)
        return lr

    def _set_current(self):
        """Set the optimizer's lr for the current count (again on each replay of a captured
        step); returns it."""
        return self._set(self.lr_at(self.count))

    def get_last_lr(self):
        """The learning rate this schedule set last (a float)."""
        return self.last_lr

    def _set(self, lr):
        self._last_lr[...] = lr
        self.optimizer.lr = self.last_lr
        return self.last_lr

    def state_dict(self):
        """The schedule's position and settings: a dict of strings and numbers."""
        state = {"name": type(self).__name__, "interval": self.interval, "count": self.count,
                 "base_lr": self.base_lr, "last_lr": self.last_lr}
        state.update({key: getattr(self, key) for key in self.hyperparameters})
        return state

    def load_state_dict(self, state):
        """Restore a state saved by ``state_dict`` and set the optimizer's lr to its last value.

        Everything is checked first (the settings as the constructor checks them); nothing
        changes when the state does not fit."""
        self._restore(self._checked_state(state))

    def _checked_state(self, state):
        """The attribute values ``state`` restores, checked; changes nothing."""
        where = f"{type(self).__name__}.load_state_dict"
        name = stored_name(state, where)
        if name != type(self).__name__:
            raise ValueError(f"{where}: state is for {name!r}")
        fields = ("interval", "count", "base_lr", "last_lr", *self.hyperparameters,
                  *self._extra_state)
        absent = [key for key in fields if key not in state]
        if absent:
            raise ValueError(f"{where}: state does not fit (missing: {', '.join(absent)})")
        settings = {key: stored_scalar(state[key], kind, key, where)
                    for key, kind in self.hyperparameters.items()}
        interval = stored_scalar(state["interval"], str, "interval", where)
        values = {"count": at_least(self, "count", stored_scalar(state["count"], int, "count", where), 0),
                  "base_lr": non_negative(self, "base_lr", stored_scalar(state["base_lr"], float,
                                                                         "base_lr", where)),
                  "last_lr": non_negative(self, "last_lr", stored_scalar(state["last_lr"], float,
                                                                         "last_lr", where))}
        try:
            checked = type(self)(_LearningRateHolder(values["base_lr"]), **settings,
                                 interval=interval)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: the state holds settings the constructor refuses: "
                             f"{error}") from None
        values.update((key, getattr(checked, key)) for key in ("interval", *settings))
        return values

    _extra_state = ()  # names of further state entries a subclass saves

    def _restore(self, values):
        """Assign checked values (from ``_checked_state``) and set the optimizer's lr."""
        last_lr = values.pop("last_lr")
        for key, value in values.items():
            setattr(self, key, value)
        self._set(last_lr)

    def __repr__(self):
        settings = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.hyperparameters)
        return f"{type(self).__name__}({settings}, interval={self.interval!r})"


class StepDecay(LearningRateSchedule):
    """Multiply the lr by ``gamma`` every ``step_size`` steps.

    ``lr = base_lr * gamma**(count // step_size)``. PyTorch calls this ``StepLR`` (same default
    gamma=0.1).
    """

    hyperparameters = {"step_size": int, "gamma": float}

    def __init__(self, optimizer, step_size, gamma=0.1, interval="epoch"):
        self.step_size = at_least(self, "step_size", step_size, minimum=1)
        self.gamma = positive(self, "gamma", gamma)
        super().__init__(optimizer, interval)

    def lr_at(self, count):
        return self.base_lr * self.gamma ** (count // self.step_size)


class ExponentialDecay(LearningRateSchedule):
    """Multiply the lr by ``gamma`` at every step: ``lr = base_lr * gamma**count``.

    One ``step()`` is one decay; with the default ``interval='epoch'`` that is PyTorch's
    ``ExponentialLR``. Keras's ``ExponentialDecay(lr, decay_steps, decay_rate)`` decays per
    optimizer step by ``decay_rate**(1/decay_steps)``: use ``interval='step'`` and that gamma.
    """

    hyperparameters = {"gamma": float}

    def __init__(self, optimizer, gamma, interval="epoch"):
        self.gamma = positive(self, "gamma", gamma)
        super().__init__(optimizer, interval)

    def lr_at(self, count):
        return self.base_lr * self.gamma ** count


class CosineDecay(LearningRateSchedule):
    """Half a cosine from ``base_lr`` down to ``min_lr`` over ``total_steps``, then ``min_lr``.

    ``lr = min_lr + (base_lr - min_lr) * (1 + cos(pi * t)) / 2`` with
    ``t = min(count, total_steps) / total_steps``.
    Like Keras's ``CosineDecay`` (whose ``alpha`` is ``min_lr / base_lr``); PyTorch's
    ``CosineAnnealingLR`` climbs back up after ``T_max`` instead of staying at the minimum.
    """

    hyperparameters = {"total_steps": int, "min_lr": float}

    def __init__(self, optimizer, total_steps, min_lr=0.0, interval="epoch"):
        self.total_steps = at_least(self, "total_steps", total_steps, minimum=1)
        self.min_lr = non_negative(self, "min_lr", min_lr)
        super().__init__(optimizer, interval)

    def lr_at(self, count):
        progress = min(count, self.total_steps) / self.total_steps
        cosine = (1.0 + math.cos(math.pi * progress)) / 2.0
        return self.min_lr + (self.base_lr - self.min_lr) * cosine


class LinearWarmup(LearningRateSchedule):
    """Raise the lr linearly over ``warmup_steps`` steps, then hand over to ``after``.

    ``lr = target * (start_factor + (1 - start_factor) * count / warmup_steps)`` for
    ``count <= warmup_steps``, where ``target`` is the optimizer's lr when the warmup is created
    (so create ``after`` first: it sets that lr to its own starting value). With the default
    ``start_factor=0`` the first interval runs at lr 0. Past the warmup, each ``step(...)`` calls
    ``after.step(...)`` with the same arguments (``after``'s count 0 is the end of the warmup);
    without ``after`` the lr stays at ``target``. ``interval`` defaults to ``after``'s.
    """

    hyperparameters = {"warmup_steps": int, "start_factor": float}

    def __init__(self, optimizer, warmup_steps, after=None, start_factor=0.0, interval=None):
        self.warmup_steps = at_least(self, "warmup_steps", warmup_steps, minimum=1)
        start_factor = float(start_factor)
        if not 0.0 <= start_factor <= 1.0:
            raise ValueError(f"LinearWarmup: start_factor must be in [0, 1], got {start_factor}")
        self.start_factor = start_factor
        if after is not None:
            if not hasattr(after, "step") or getattr(after, "optimizer", None) is not optimizer:
                raise ValueError("LinearWarmup: after must be a schedule of the same optimizer")
        self.after = after
        if interval is None:
            interval = after.interval if after is not None else "epoch"
        super().__init__(optimizer, interval)

    def lr_at(self, count):
        progress = min(count, self.warmup_steps) / self.warmup_steps
        return self.base_lr * (self.start_factor + (1.0 - self.start_factor) * progress)

    def step(self, *args, **kwargs):
        """Advance the warmup, or past it the ``after`` schedule (given these arguments, which
        only a schedule that takes them, ``ReduceLROnPlateau``, needs)."""
        if self.after is None or self.after._follows_count:
            return super().step()
        self.count += 1
        if self.count <= self.warmup_steps:
            return self._set(self.lr_at(self.count))
        return self._set(self.after.step(*args, **kwargs))

    def _set_current(self):
        count = self.count
        if count <= self.warmup_steps or self.after is None:
            return self._set(self.lr_at(count))
        self.after.count = count - self.warmup_steps
        return self._set(self.after._set_current())

    def state_dict(self):
        state = super().state_dict()
        if self.after is not None:
            state.update({f"after.{key}": value for key, value in self.after.state_dict().items()})
        return state

    def _checked_state(self, state):
        if not isinstance(state, Mapping):
            return super()._checked_state(state)
        nested = {key[len("after."):]: value for key, value in state.items()
                  if isinstance(key, str) and key.startswith("after.")}
        if bool(nested) != (self.after is not None):
            raise ValueError("LinearWarmup.load_state_dict: the state "
                             f"{'has' if nested else 'has no'} 'after' schedule, this one "
                             f"{'has' if self.after is not None else 'has none'}")
        values = super()._checked_state({key: value for key, value in state.items()
                                         if not (isinstance(key, str) and key.startswith("after."))})
        if nested:
            values["after"] = self.after._checked_state(nested)
        return values

    def _restore(self, values):
        after = values.pop("after", None)
        if after is not None:
            self.after._restore(after)
        super()._restore(values)


class ReduceLROnPlateau(LearningRateSchedule):
    """Multiply the lr by ``factor`` when a monitored metric stops improving (Keras semantics).

    ``step(metric)`` is called once per evaluation (usually an epoch). The metric improves when
    it beats the best so far by more than ``min_delta`` (``metric < best - min_delta`` in mode
    'min', ``metric > best + min_delta`` in mode 'max'; NaN never improves). After ``patience``
    calls in a row without improvement the lr becomes ``max(lr * factor, min_lr)`` (if it is
    above ``min_lr``), the count of bad calls restarts, and the next ``cooldown`` calls are not
    counted as bad (an improvement still updates the best value). Defaults are Keras's:
    ``factor=0.1, patience=10, min_delta=1e-4`` (absolute), ``cooldown=0, min_lr=0``. With
    cooldown > 0, Keras ignores only ``cooldown - 1`` calls; PyTorch ignores ``cooldown``, as
    here, but by default uses a relative threshold and reduces after ``patience + 1`` bad calls.
    Its lr follows a metric, not a count: step it outside a captured step (where a replay would
    repeat the decision it recorded).
    """

    hyperparameters = {"factor": float, "patience": int, "min_delta": float, "mode": str,
                       "min_lr": float, "cooldown": int}
    _follows_count = False  # it follows a metric: step it outside a captured step

    def __init__(self, optimizer, factor=0.1, patience=10, min_delta=1e-4, mode="min",
                 min_lr=0.0, cooldown=0, interval="epoch"):
        factor = float(factor)
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor}")
        if mode not in ("min", "max"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max', got {mode!r}")
        self.factor = factor
        self.patience = at_least(self, "patience", patience, minimum=0)
        self.min_delta = non_negative(self, "min_delta", min_delta)
        self.mode = mode
        self.min_lr = non_negative(self, "min_lr", min_lr)
        self.cooldown = at_least(self, "cooldown", cooldown, minimum=0)
        self.best = math.inf if mode == "min" else -math.inf
        self.wait = 0
        self.cooldown_counter = 0
        super().__init__(optimizer, interval)

    def lr_at(self, count):
        return self.optimizer.lr  # creating the schedule leaves the lr as it is

    def _improved(self, metric):
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric):
        """Record one value of the monitored metric and reduce the lr on a plateau."""
        value = np.asarray(getattr(metric, "data", metric), dtype=np.float64)
        if value.size != 1:
            raise ValueError(f"ReduceLROnPlateau.step: metric must be a single number, got "
                             f"shape {value.shape}")
        value = float(value.reshape(()))
        self.count += 1
        in_cooldown = self.cooldown_counter > 0
        if in_cooldown:
            self.cooldown_counter -= 1
        if self._improved(value):
            self.best = value
            self.wait = 0
        elif in_cooldown:
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                lr = float(self.optimizer.lr)
                if lr > self.min_lr:
                    self._set(max(lr * self.factor, self.min_lr))
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
        self._last_lr[...] = self.optimizer.lr
        return self.last_lr

    def state_dict(self):
        state = super().state_dict()
        state.update(best=self.best, wait=self.wait, cooldown_counter=self.cooldown_counter)
        return state

    _extra_state = ("best", "wait", "cooldown_counter")

    def _checked_state(self, state):
        values = super()._checked_state(state)
        where = "ReduceLROnPlateau.load_state_dict"
        best = stored_scalar(state["best"], float, "best", where)
        if math.isnan(best):
            raise ValueError(f"{where}: best must be a number or +-inf, got nan")
        values["best"] = best
        for key in ("wait", "cooldown_counter"):
            values[key] = at_least(self, key, stored_scalar(state[key], int, key, where), 0)
        return values
