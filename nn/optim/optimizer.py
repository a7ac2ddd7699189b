"""The optimizer base class: parameters, per-parameter state, learning rate, clipping, saving.

A subclass lists its hyperparameters, names the state arrays each parameter needs, and writes two
methods: ``_factors(lr, t)``, the scalars its formula needs at a parameter's ``t``-th step, and
``_update(w, g, state, s, f)``, the in-place numpy update of the values ``w`` from the (already
clipped and weight-decayed) gradient ``g``, with ``state`` its named state arrays, ``s`` scratch
and ``f`` the scalars as 0-d arrays (``f.lr``). The arrays are one parameter's, or the flat
buffers of many small parameters at once (see ``layout``): the update is elementwise, so both
give bitwise the same numbers. Everything else lives here:

* state arrays are allocated once, when parameters are added, with the parameter's dtype, plus
  scratch, so a step allocates nothing;
* parameters whose ``.grad`` is None are skipped (their state and step count do not advance);
* gradients are never written to: clipping and L2 weight decay write into buffers of their own;
* ``state_dict()`` holds only numpy arrays, numbers and strings, so ``np.savez(...,
  allow_pickle=False)`` can store it, and ``load_state_dict`` resumes the exact trajectory.

Captured steps (``autograd.capture``). Every array a step writes is traced while a recording
runs, so its numpy calls are recorded. Step counts are integer arrays advanced by recorded calls,
and the scalars of the update are computed on the Python side by ``_advance``, which a replay
runs again through ``host_call``: a replay follows the learning rate a schedule sets, Adam's bias
correction and changes of the numeric hyperparameters. It repeats the structure of the step it
recorded: which parameters had a gradient, whether clipping, weight decay or momentum were on.
Clipping by norm is computed with numpy (no Python branch on a norm).
"""
import contextlib

import numpy as np

from autograd.capture import host_call, name_calls, traced
from autograd.saved import writable

from .clipping import grad_array, parameter_list
from .hyperparameters import non_negative, optional_positive, stored_name, stored_scalar
from .layout import Cells, InArray, ParamGroup

__all__ = ["Optimizer"]

_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


class _Chunk:
    """What one call of ``_update`` works on: one parameter's arrays, or (``flat``) the buffers
    of all the small parameters of a group. ``g`` is the gradient to use, ``g_out`` where
    clipping and weight decay may write it, ``cells`` the scalars of this update."""

    __slots__ = ("slots", "group", "flat", "w", "g", "g_out", "state", "s", "cells")

    def __init__(self, slots, group, flat, w, g, g_out, state, s, cells, recording):
        if recording:  # the arrays this update reads and writes, as the recording sees them
            w, g, g_out, s = traced(w), traced(g), traced(g_out), traced(s)
            state = {name: traced(array) for name, array in state.items()}
        self.slots, self.group, self.flat, self.cells = slots, group, flat, cells
        self.w, self.g, self.g_out, self.state, self.s = w, g, g_out, state, s

    def parts(self):
        """``(slot, gradient, output)`` for each parameter of the chunk (per-parameter norms)."""
        if not self.flat:
            return [(self.slots[0], self.g, self.g_out)]
        return [(slot, traced(slot.grad_buffer), traced(slot.grad_buffer)) for slot in self.slots]


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
    _step_dependent = False  # whether the update's scalars depend on the step count (Adam's do)

    def __init__(self, params, lr, weight_decay=0.0, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, learning_rate=None, default_lr=None):
        if learning_rate is not None:
            if default_lr is not None and lr != default_lr:
                raise ValueError(f"{type(self).__name__}: give lr or learning_rate, not both")
            lr = learning_rate
        self._lr = np.zeros((), np.float64)  # an array: a schedule's recorded copy writes it
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
        self._iterations = np.zeros((), np.int64)  # an array: a captured step advances it
        self._norm_limits = Cells(np.float64)      # clipnorm or global_clipnorm, for numpy
        self._global_norm = np.zeros((), np.float64)
        self._groups = []
        self._slots = []
        if params is not None:
            self.add_params(params)

    # ------------------------------------------------------------------ configuration

    @property
    def lr(self):
        """The learning rate used by the next ``step()`` (a float; schedules assign it)."""
        return float(self._lr)

    @lr.setter
    def lr(self, value):
        self._lr[...] = non_negative(self, "lr", value)

    learning_rate = lr  # Keras's name for the same attribute

    iterations = InArray("_iterations", int, "How many times ``step()`` ran (Keras's name).")

    @property
    def params(self):
        """The optimized parameters, in the order they were added."""
        return [slot.param for slot in self._slots]

    def add_params(self, params):
        """Start optimizing ``params`` (tensors, an iterable of them or a module).

        Parameters already present are ignored. State arrays are allocated here, and the values
        of small parameters move into the optimizer's flat buffer: their ``.data`` becomes a view
        of it (see ``layout``), so an array given to ``Tensor(...)`` before is no longer the
        parameter's storage.
        """
        known = {id(slot.param) for slot in self._slots}
        new, by_dtype = [], {}
        for param in parameter_list(params, f"{type(self).__name__}.add_params"):
            if id(param) in known:
                continue
            data = param.data
            if not isinstance(data, np.ndarray) or not np.issubdtype(data.dtype, np.floating):
                raise TypeError(f"{type(self).__name__}: can only optimize floating-point "
                                f"parameters, got dtype {getattr(data, 'dtype', type(data))}")
            new.append(param)
            by_dtype.setdefault(data.dtype, []).append(param)
            known.add(id(param))
        slots = {}
        for dtype, members in by_dtype.items():
            group = ParamGroup(members, dtype, self._state_names(), self._initial_state)
            self._groups.append(group)
            slots.update((id(slot.param), slot) for slot in group.slots)
        self._slots.extend(slots[id(param)] for param in new)

    def _state_names(self):
        """Names of the per-parameter state arrays this configuration needs."""
        return ()

    def _initial_state(self, name, shape, dtype):
        """A fresh state array called ``name`` (zeros by default)."""
        return np.zeros(shape, dtype)

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
        work = self._gradients()
        name_calls(f"{type(self).__name__} step")
        iterations = traced(self._iterations)
        recording = iterations is not self._iterations
        np.add(iterations, 1, out=iterations)
        chunks, scalars = [], []
        for group, present in work:
            if present:
                group.count_steps(present)
                self._plan(group, present, recording, chunks, scalars)
        host_call(self._advance, tuple(scalars))
        if self._clipping:
            self._clip(chunks, [group for group, present in work if present])
        if self.weight_decay and not self._decoupled_weight_decay:  # g += weight_decay * w
            for chunk in chunks:
                np.multiply(chunk.w, chunk.cells.weight_decay, out=chunk.s)
                chunk.g = np.add(chunk.g, chunk.s, out=chunk.g_out)
        for chunk in chunks:
            self._apply(chunk)

    def _gradients(self):
        """``[(group, [(slot, gradient array), ...]), ...]`` for the parameters that have a
        gradient, every gradient checked."""
        work = []
        for group in self._groups:
            present = []
            for slot in group.slots:
                grad = slot.param.grad
                if grad is None:
                    continue
                if type(grad) is not np.ndarray:
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
                present.append((slot, grad))
            work.append((group, present))
        return work

    def _plan(self, group, present, recording, chunks, scalars):
        """Append the updates of one group's step to ``chunks``, and to ``scalars`` the cells
        they read, with where their step count is. Small parameters' gradients are copied into
        the group's buffer; they are updated together when all of them have one (and, for a
        step-dependent update, the same step count), else one by one."""
        own_cells = self._step_dependent
        transformed = (self.weight_decay and not self._decoupled_weight_decay) or self._clipping

        def alone(slot, g, g_out):  # one parameter updated on its own
            cells = slot.cells if own_cells else group.cells
            chunks.append(_Chunk((slot,), group, False, slot.param.data, g, g_out, slot.state,
                                 slot.scratch, cells, recording))
            if own_cells:
                scalars.append((cells, group.steps, slot.index))

        small = []
        for slot, grad in present:
            if slot.view is not None:
                small.append(slot)
                np.copyto(traced(slot.grad_buffer) if recording else slot.grad_buffer, grad)
            else:
                alone(slot, grad, slot.gradient_buffer() if transformed else None)
        if small and self._updates_together(group, small, recording):
            chunks.append(_Chunk(group.small, group, True, group.params, group.grads,
                                 group.grads, group.state, group.scratch, group.cells, recording))
            if own_cells:
                scalars.append((group.cells, group.steps, small[0].index))
        else:
            for slot in small:
                alone(slot, slot.grad_buffer, slot.grad_buffer)
        if not own_cells:
            scalars.append((group.cells, None, None))

    def _updates_together(self, group, small, recording):
        """Whether the small parameters ``small`` (those with a gradient) can take one update
        over the flat buffers: all of them are there, their ``.data`` are views of the buffer (a
        replaced array is moved back in when it can be) and their step counts agree."""
        if len(small) != len(group.small):
            return False
        for slot in small:
            if slot.param.data is not slot.view and not slot.attached() and (
                    recording or not group.adopt(slot)):
                return False
        return not self._step_dependent or group.small_steps_agree()

    def _advance(self, scalars):
        """The Python side of a step: each update's scalars (from the learning rate and its
        step count) into its cells. A replay of a captured step runs this again."""
        lr = float(self._lr)
        for cells, steps, index in scalars:
            cells.fill(self._factors(lr, None if steps is None else int(steps[index])))
        if self.clipnorm is not None:
            self._norm_limits.fill({"clipnorm": self.clipnorm})
        elif self.global_clipnorm is not None:
            self._norm_limits.fill({"global_clipnorm": self.global_clipnorm})

    @property
    def _clipping(self):
        """Whether one of the clipping options is set."""
        return (self.clipnorm, self.clipvalue, self.global_clipnorm) != (None, None, None)

    def _factors(self, lr, t):
        """The scalars the update reads, by name, for learning rate ``lr`` at a parameter's
        ``t``-th step (None when they do not depend on it). Subclasses add their own."""
        factors = {"lr": lr, "weight_decay": self.weight_decay}
        if self.clipvalue is not None:
            factors["clip_low"], factors["clip_high"] = -self.clipvalue, self.clipvalue
        return factors

    def _clip(self, chunks, groups):
        """Clip the gradients of ``chunks`` into their output buffers (gradients stay untouched).

        ``clipnorm``: each gradient times ``c / max(norm, c)``, ``global_clipnorm`` all of them
        times ``c / max(global norm, c)`` (a factor of exactly 1 below the limit; a NaN norm
        leaves the gradients as they are). Norms are computed in float64 from each parameter's
        sum of squares."""
        if self.clipvalue is not None:
            for chunk in chunks:
                cells = chunk.cells
                chunk.g = np.clip(chunk.g, cells.clip_low, cells.clip_high, out=chunk.g_out)
            return
        limits = self._norm_limits
        for group in groups:
            group.norm_arrays()
            if self.global_clipnorm is not None:  # parameters without a gradient add nothing
                np.copyto(traced(group.square_sums), 0)
        for chunk in chunks:
            for slot, g, _ in chunk.parts():
                flat = g.reshape(-1)
                np.matmul(flat, flat, out=traced(slot.square_sum))
        if self.clipnorm is not None:
            for group in groups:
                norms = traced(group.clip_norms)
                np.copyto(norms, traced(group.square_sums))
                np.sqrt(norms, out=norms)
                np.fmax(norms, limits.clipnorm, out=norms)
                np.divide(limits.clipnorm, norms, out=traced(group.clip_factors))
            for chunk in chunks:
                for slot, g, g_out in chunk.parts():
                    np.multiply(g, slot.clip_factor, out=g_out)
                chunk.g = chunk.g_out
            return
        total = traced(self._global_norm)
        np.copyto(total, 0.0)
        for group in groups:
            norms, group_total = traced(group.clip_norms), traced(group.norm_total)
            np.copyto(norms, traced(group.square_sums))
            np.add.reduce(norms, out=group_total)
            np.add(total, group_total, out=total)
        np.sqrt(total, out=total)
        np.fmax(total, limits.global_clipnorm, out=total)
        for group in groups:
            np.divide(limits.global_clipnorm, total, out=traced(group.global_factor))
        for chunk in chunks:
            chunk.g = np.multiply(chunk.g, chunk.group.global_factor, out=chunk.g_out)

    def _apply(self, chunk):
        """Run ``_update`` on ``chunk``; parameters that a recorded graph holds are written
        through ``writable``, so that a backward pass through that graph refuses to run."""
        held = [slot.param.data for slot in chunk.slots if not slot.param.data.flags.writeable]
        if not held:
            self._update(chunk.w, chunk.g, chunk.state, chunk.s, chunk.cells)
            return
        with contextlib.ExitStack() as stack:
            for data in held:
                stack.enter_context(writable(data))
            self._update(chunk.w, chunk.g, chunk.state, chunk.s, chunk.cells)

    def _update(self, w, g, state, s, f):
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

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
            slot.group.steps_differ = True
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
