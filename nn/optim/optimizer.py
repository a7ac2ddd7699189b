"""The optimizer base class: parameters, per-parameter state, learning rate, clipping, saving.

A subclass lists its hyperparameters, names the state arrays each parameter needs, and writes
``_update(slot, w, g, lr)``: the in-place numpy update of one parameter array ``w`` from its
(already clipped and weight-decayed) gradient ``g``. Everything else lives here:

* state arrays are allocated once, when parameters are added, with the parameter's dtype, plus one
  scratch array per parameter, so a step allocates nothing;
* parameters whose ``.grad`` is None are skipped (their state and step count do not advance);
* gradients are never written to: clipping and L2 weight decay write into a per-parameter buffer;
* ``state_dict()`` holds only numpy arrays, numbers and strings, so ``np.savez(...,
  allow_pickle=False)`` can store it, and ``load_state_dict`` resumes the exact trajectory.
"""
import math

import numpy as np

from autograd.saved import writable

from .clipping import global_norm, grad_array, parameter_list, sum_of_squares
from .hyperparameters import non_negative, optional_positive, stored_name, stored_scalar

__all__ = ["Optimizer"]

_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


class _Slot:
    """One parameter with its optimizer state: named arrays, a step count and work buffers."""

    __slots__ = ("param", "shape", "state", "step", "scratch", "grad_buffer")

    def __init__(self, param, state):
        self.param = param
        self.shape = param.data.shape
        self.state = state
        self.step = 0
        self.scratch = np.empty_like(param.data)
        self.grad_buffer = None  # allocated on first need (clipping or L2 weight decay)


class Optimizer:
    """Base class of the optimizers; holds parameters, state and the shared options.

    ``params`` may be None (a Keras-style optimizer built before the model): call
    ``add_params`` later. ``lr`` is a plain attribute that learning-rate schedules change.
    ``weight_decay`` is L2 coupled to the gradient (``g += weight_decay * w``) unless the
    subclass decouples it (AdamW). At most one clipping option may be set, as in Keras:
    ``clipnorm`` rescales each gradient whose own L2 norm exceeds it, ``global_clipnorm`` rescales
    all gradients together when their joint norm exceeds it (factor ``c / max(norm, c)``), and
    ``clipvalue`` clamps entries into ``[-clipvalue, clipvalue]``. Clipping comes before weight
    decay. ``learning_rate`` is Keras's name for ``lr``; give one or the other.
    """

    name = "optimizer"
    # hyperparameter name -> type, saved in state_dict and get_config (subclasses extend it)
    hyperparameters = {"lr": float, "weight_decay": float}
    _decoupled_weight_decay = False

    def __init__(self, params, lr, weight_decay=0.0, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, learning_rate=None, default_lr=None):
        if learning_rate is not None:
            if default_lr is not None and lr != default_lr:
                raise ValueError(f"{type(self).__name__}: give lr or learning_rate, not both")
            lr = learning_rate
        self.lr = lr
        self.weight_decay = non_negative(self, "weight_decay", weight_decay)
        chosen = [name for name, value in zip(_CLIPPING, (clipnorm, clipvalue, global_clipnorm))
                  if value is not None]
        if len(chosen) > 1:
            raise ValueError(f"{type(self).__name__}: set at most one of clipnorm, clipvalue and "
                             f"global_clipnorm, got {', '.join(chosen)}")
        self.clipnorm = optional_positive(self, "clipnorm", clipnorm)
        self.clipvalue = optional_positive(self, "clipvalue", clipvalue)
        self.global_clipnorm = optional_positive(self, "global_clipnorm", global_clipnorm)
        self.iterations = 0
        self._slots = []
        if params is not None:
            self.add_params(params)

    # ------------------------------------------------------------------ configuration

    @property
    def lr(self):
        """The learning rate used by the next ``step()`` (a float; schedules assign it)."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = non_negative(self, "lr", value)

    learning_rate = lr  # Keras's name for the same attribute

    @property
    def params(self):
        """The optimized parameters, in the order they were added."""
        return [slot.param for slot in self._slots]

    def add_params(self, params):
        """Start optimizing ``params`` (tensors, an iterable of them or a module).

        Parameters already present are ignored. State arrays are allocated here.
        """
        known = {id(slot.param) for slot in self._slots}
        for param in parameter_list(params, f"{type(self).__name__}.add_params"):
            if id(param) in known:
                continue
            data = param.data
            if not isinstance(data, np.ndarray) or not np.issubdtype(data.dtype, np.floating):
                raise TypeError(f"{type(self).__name__}: can only optimize floating-point "
                                f"parameters, got dtype {getattr(data, 'dtype', type(data))}")
            self._slots.append(_Slot(param, {name: self._initial_state(name, data)
                                             for name in self._state_names()}))
            known.add(id(param))

    def _state_names(self):
        """Names of the per-parameter state arrays this configuration needs."""
        return ()

    def _initial_state(self, name, data):
        """A fresh state array called ``name`` for parameter values ``data`` (zeros by default)."""
        return np.zeros_like(data)

    def get_config(self):
        """The constructor's hyperparameters as a JSON-able dict, with ``name`` (see ``get``)."""
        config = {"name": self.name}
        config.update({key: getattr(self, key) for key in self.hyperparameters})
        config.update({key: getattr(self, key) for key in _CLIPPING})
        return config

    def __repr__(self):
        settings = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items()
                             if key != "name" and value is not None)
        return f"{type(self).__name__}({settings})"

    # ------------------------------------------------------------------ updating

    def zero_grad(self):
        """Set every parameter's ``.grad`` to None."""
        for slot in self._slots:
            slot.param.grad = None

    def step(self):
        """Apply one update to every parameter that has a gradient.

        Every gradient is checked (shape, a real dtype the parameter can take) before any
        parameter changes, so a step that raises leaves parameters and state as they were."""
        lr = self._lr
        work = []
        for slot in self._slots:
            grad = slot.param.grad
            if grad is None:
                continue
            grad = grad_array(grad)
            data = slot.param.data
            if grad.shape != slot.shape or data.shape != slot.shape:
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {self._slots.index(slot)} was "
                    f"added with shape {slot.shape}, now has data of shape {data.shape} and "
                    f"a gradient of shape {grad.shape}")
            if grad.dtype != data.dtype and (grad.dtype.kind not in "fiu" or not np.can_cast(
                    grad.dtype, data.dtype, "same_kind")):
                raise TypeError(
                    f"{type(self).__name__}.step: parameter {self._slots.index(slot)} holds "
                    f"{data.dtype} values but its gradient is {grad.dtype}; nothing was updated")
            work.append((slot, data, grad))
        clipping = (self.clipnorm, self.clipvalue, self.global_clipnorm) != (None, None, None)
        if clipping or (self.weight_decay and not self._decoupled_weight_decay):
            work = self._effective_gradients(work)
        self.iterations += 1
        update = self._update
        for slot, data, grad in work:
            slot.step += 1
            with writable(data):  # may be held by a recorded op; its backward would then refuse
                update(slot, data, grad, lr)

    def _update(self, slot, w, g, lr):
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    def _effective_gradients(self, work):
        """Clip and add L2 weight decay, into per-parameter buffers (gradients stay untouched)."""
        scale = 1.0
        if self.global_clipnorm is not None:
            norm = global_norm([grad for _, _, grad in work])
            scale = self.global_clipnorm / max(norm, self.global_clipnorm)
        decay = 0.0 if self._decoupled_weight_decay else self.weight_decay
        result = []
        for slot, data, grad in work:
            if slot.grad_buffer is None:
                slot.grad_buffer = np.empty_like(data)
            buffer = slot.grad_buffer
            g = grad
            if self.clipvalue is not None:
                g = np.clip(grad, -self.clipvalue, self.clipvalue, out=buffer)
            elif self.clipnorm is not None:
                norm = math.sqrt(sum_of_squares(grad))
                if norm > self.clipnorm:
                    g = np.multiply(grad, self.clipnorm / norm, out=buffer)
            elif scale < 1.0:
                g = np.multiply(grad, scale, out=buffer)
            if decay:
                if g is buffer:
                    np.multiply(data, decay, out=slot.scratch)
                    np.add(buffer, slot.scratch, out=buffer)
                else:
                    np.multiply(data, decay, out=buffer)
                    np.add(buffer, g, out=buffer)
                g = buffer
            result.append((slot, data, g))
        return result

    # ------------------------------------------------------------------ saving

    def state_dict(self):
        """Everything needed to resume: hyperparameters, step counts and copies of the state.

        Values are strings, numbers and numpy arrays only; per-parameter entries are keyed
        ``state.<index>.<name>`` with ``index`` the parameter's position in ``params``.
        """
        state = {"name": self.name, "iterations": self.iterations, "param_count": len(self._slots)}
        for key in self.hyperparameters:
            state[key] = getattr(self, key)
        for key in _CLIPPING:
            if getattr(self, key) is not None:
                state[key] = getattr(self, key)
        for index, slot in enumerate(self._slots):
            state[f"state.{index}.step"] = slot.step
            for name, array in slot.state.items():
                state[f"state.{index}.{name}"] = array.copy()
        return state

    def load_state_dict(self, state):
        """Restore hyperparameters, step counts and state saved by ``state_dict``.

        The state must come from the same optimizer class and configuration, over parameters
        of the same shapes in the same order; numpy 0-d arrays (as ``np.load`` returns) are
        accepted for numbers. Everything is checked before anything changes: hyperparameters
        as the constructor checks them, counts as integers >= 0, state arrays as finite real
        numbers of the right shape. Nothing changes when the state does not fit.
        """
        where = f"{type(self).__name__}.load_state_dict"
        name = stored_name(state, where)
        if name != self.name:
            raise ValueError(f"{where}: state is for optimizer {name!r}, not {self.name!r}")
        count = stored_scalar(state.get("param_count"), int, "param_count", where)
        if count != len(self._slots):
            raise ValueError(f"{where}: state has {count} parameters, this optimizer has "
                             f"{len(self._slots)}")
        expected = {f"state.{i}.{n}" for i, slot in enumerate(self._slots)
                    for n in ("step", *slot.state)}
        given = {key for key in state if isinstance(key, str) and key.startswith("state.")}
        missing, unexpected = sorted(expected - given), sorted(given - expected)
        mismatched = [f"{key} {np.shape(state[f'state.{i}.{n}'])} vs {array.shape}"
                      for i, slot in enumerate(self._slots) for n, array in slot.state.items()
                      if (key := f"state.{i}.{n}") in given and np.shape(state[key]) != array.shape]
        absent = [key for key in ("iterations", *self.hyperparameters) if key not in state]
        if missing or unexpected or mismatched or absent:
            problems = [f"{label}: {', '.join(keys)}" for label, keys in
                        (("missing", missing + absent), ("unexpected", unexpected),
                         ("shape mismatch", mismatched)) if keys]
            raise ValueError(f"{where}: state does not fit this optimizer ({'; '.join(problems)})")
        settings = self._checked_settings(state, where)
        iterations = _count(state, "iterations", where)
        steps = [_count(state, f"state.{index}.step", where) for index in range(len(self._slots))]
        arrays = [{name: _state_array(state, f"state.{index}.{name}", array, where)
                   for name, array in slot.state.items()}
                  for index, slot in enumerate(self._slots)]
        # everything fits: now change the optimizer
        for key, value in settings.items():
            setattr(self, key, value)
        self.iterations = iterations
        for slot, step, loaded in zip(self._slots, steps, arrays):
            slot.step = step
            for name, array in loaded.items():
                slot.state[name][...] = array

    def _checked_settings(self, state, where):
        """The hyperparameters and clipping options in ``state``, checked by the constructor."""
        settings = {key: stored_scalar(state[key], kind, key, where)
                    for key, kind in self.hyperparameters.items()}
        for key in _CLIPPING:
            settings[key] = stored_scalar(state[key], float, key, where) if key in state else None
        try:
            checked = type(self)(None, **settings)
        except (TypeError, ValueError) as error:
            raise ValueError(f"{where}: the state holds settings the constructor refuses: "
                             f"{error}") from None
        return {key: getattr(checked, key) for key in settings}


def _count(state, key, where):
    """``state[key]`` as an int >= 0."""
    value = stored_scalar(state[key], int, key, where)
    if value < 0:
        raise ValueError(f"{where}: {key} must be >= 0, got {value}")
    return value


def _state_array(state, key, target, where):
    """``state[key]`` converted to ``target``'s dtype: real numbers, all finite."""
    array = np.asarray(state[key])
    if array.dtype.kind not in "fiu" or not np.can_cast(array.dtype, target.dtype, "same_kind"):
        raise ValueError(f"{where}: {key} holds {array.dtype} values, expected real numbers "
                         f"that fit {target.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):
        array = array.astype(target.dtype)
    if not np.isfinite(array).all():
        raise ValueError(f"{where}: {key} holds NaN or infinite values")
    return array
