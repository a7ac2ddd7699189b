"""Where an optimizer keeps parameters, state and scratch: per-parameter slots in flat groups.

Parameters are added in groups of one dtype. The *small* parameters of a group (fewer than
``GATHER_LIMIT`` numbers each: biases, norms, small kernels) live in flat buffers: one for their
values (each ``param.data`` becomes a view of it, its values copied in), one per state array (each
``slot.state[name]`` is that parameter's view of it), one for their gradients and one for
scratch. A step copies their gradients into the gradient buffer and then updates all of them with
the optimizer's formula applied once to the whole buffers: a handful of numpy calls however many
small parameters there are. A *large* parameter keeps its own arrays and is updated on its own,
reading its gradient where the backward pass left it: copying it would cost a full pass over its
memory, more than the few calls it saves.

Scalars that change from step to step (the learning rate, Adam's bias corrections) are kept in
``Cells``, 0-d arrays that the numpy calls read, so that a captured step (``autograd.capture``)
reads the values of the step it replays. Step counts are integer arrays for the same reason.
"""
import numpy as np

from autograd.capture import traced

__all__ = ["GATHER_LIMIT", "Cells", "InArray", "ParamGroup", "Slot"]

# Parameters with fewer numbers than this share their group's flat buffers. Above it, copying the
# gradient (one pass over memory) costs more than the per-parameter calls a flat update saves:
# ``benchmarks/optim_step.py --sweep`` measured RMSprop over 20 float32 tensors of n numbers,
# gathered against per parameter, at 0.37x (n = 256), 0.80x (4096), 0.87-1.0x (8192) and
# 1.1-1.8x (16384).
GATHER_LIMIT = 8192


class Cells:
    """Named 0-d arrays of one dtype holding the scalars of an update (``cells.lr``).

    ``fill`` writes new values into the same arrays, so recorded numpy calls that read them see
    the values of the step being replayed. A Python float and a 0-d array of the parameters'
    dtype give bitwise the same results in numpy's arithmetic."""

    def __init__(self, dtype):
        self._dtype = np.dtype(dtype)

    def fill(self, values):
        """Set each named cell to its value (creating the cell on first use)."""
        cells = self.__dict__
        for name, value in values.items():
            cell = cells.get(name)
            if cell is None:
                cell = cells[name] = np.zeros((), self._dtype)
            cell[...] = value


class InArray:
    """A number attribute kept in the 0-d array ``owner.<array_name>`` (a step count): recorded
    numpy calls can advance it in a captured step. Reading gives a Python ``kind``; assigning
    writes into the same array."""

    def __init__(self, array_name, kind, doc):
        self.array_name, self.kind, self.__doc__ = array_name, kind, doc

    def __get__(self, owner, owner_type=None):
        if owner is None:
            return self
        return self.kind(getattr(owner, self.array_name))

    def __set__(self, owner, value):
        getattr(owner, self.array_name)[...] = value


class Slot:
    """One parameter with its optimizer state: named arrays, a step count and work buffers.

    For a small parameter every array is a view of its group's flat buffers; ``view`` is the
    view its ``.data`` should be. A large parameter has arrays of its own and ``view`` None."""

    __slots__ = ("param", "shape", "state", "scratch", "grad_buffer", "group", "index", "view",
                 "cells", "square_sum", "clip_factor")

    def __init__(self, param, group, index):
        self.param = param
        self.shape = param.data.shape
        self.group = group
        self.index = index  # position in the group (its step count is group.steps[index])
        self.view = None
        self.grad_buffer = None  # allocated on first need (clipping or L2 weight decay)
        self.cells = Cells(group.dtype)  # its scalars when it is updated on its own
        self.square_sum = self.clip_factor = None  # 0-d views of the group's norm arrays

    @property
    def step(self):
        """How many updates this parameter took (steps without a gradient do not count)."""
        return int(self.group.steps[self.index])

    @step.setter
    def step(self, value):
        self.group.steps[self.index] = value

    @property
    def size(self):
        """The number of values in the parameter."""
        return int(np.prod(self.shape))

    def attached(self):
        """Whether ``.data`` is this slot's view of the flat buffer (or a captured view of it)."""
        data = self.param.data
        return data is self.view or (self.view is not None and data.base is self.view
                                     and data.strides == self.view.strides)

    def gradient_buffer(self):
        """The array clipping and weight decay write this parameter's gradient into."""
        if self.grad_buffer is None:
            self.grad_buffer = np.empty(self.shape, self.group.dtype)
        return self.grad_buffer


class ParamGroup:
    """Parameters of one dtype added together: their slots, step counts and flat buffers.

    ``state_names`` and ``initial_state(name, shape, dtype)`` say which state arrays each
    parameter needs and how they start. ``positions`` are the parameters' indices in the
    optimizer (for error messages)."""

    def __init__(self, params, dtype, state_names, initial_state):
        self.dtype = np.dtype(dtype)
        self.steps = np.zeros(len(params), np.int64)
        self.steps_differ = False  # whether the small parameters' step counts may differ
        self.cells = Cells(self.dtype)
        self.slots = [Slot(param, self, index) for index, param in enumerate(params)]
        self.small = [slot for slot in self.slots if slot.size < GATHER_LIMIT]
        total = sum(slot.size for slot in self.small)
        self.params = np.empty(total, self.dtype)
        self.grads = np.zeros(total, self.dtype)
        self.scratch = np.empty(total, self.dtype)
        self.state = {name: initial_state(name, (total,), self.dtype) for name in state_names}
        offset = 0
        for slot in self.slots:
            if slot.size >= GATHER_LIMIT:
                slot.state = {name: initial_state(name, slot.shape, self.dtype)
                              for name in state_names}
                slot.scratch = np.empty(slot.shape, self.dtype)
                continue
            part = slice(offset, offset + slot.size)
            offset += slot.size
            slot.view = self.params[part].reshape(slot.shape)
            slot.state = {name: array[part].reshape(slot.shape) for name, array in self.state.items()}
            slot.scratch = self.scratch[part].reshape(slot.shape)
            slot.grad_buffer = self.grads[part].reshape(slot.shape)
            np.copyto(slot.view, slot.param.data)
            self.adopt(slot)
        self.square_sums = self.clip_norms = self.clip_factors = None
        self.norm_total = self.global_factor = None

    def adopt(self, slot):
        """Make ``slot.param.data`` the slot's view of the flat buffer, its values copied in.

        Only a writable array of the slot's shape and dtype is moved: an array that a recorded
        graph still holds is read-only (see ``autograd.saved``), and moving it would hide the
        update from that graph's backward pass. Returns whether the slot is now attached."""
        data = slot.param.data
        if not (isinstance(data, np.ndarray) and data.flags.writeable
                and data.dtype == self.dtype and data.shape == slot.shape):
            return False
        if data is not slot.view:
            np.copyto(slot.view, data)
            slot.param.data = slot.view
        return True

    def norm_arrays(self):
        """Per-parameter sums of squared gradients (the group's dtype), their norms (float64)
        and clipping factors (the group's dtype), allocated on first use; each slot gets 0-d
        views of its entries."""
        if self.square_sums is None:
            count = len(self.slots)
            self.square_sums = np.zeros(count, self.dtype)
            self.clip_norms = np.zeros(count, np.float64)
            self.clip_factors = np.ones(count, self.dtype)
            self.norm_total = np.zeros((), np.float64)
            self.global_factor = np.ones((), self.dtype)
            for slot in self.slots:
                slot.square_sum = self.square_sums[slot.index, ...]
                slot.clip_factor = self.clip_factors[slot.index, ...]
        return self.square_sums

    def count_steps(self, present):
        """Add one to the step count of each slot in ``present`` (a recorded call)."""
        steps = traced(self.steps)
        if len(present) == len(self.slots):
            np.add(steps, 1, out=steps)
        else:
            mask = np.zeros(len(self.slots), np.int64)
            mask[[slot.index for slot, _ in present]] = 1
            np.add(steps, mask, out=steps)
            self.steps_differ = True

    def small_steps_agree(self):
        """Whether all small parameters took the same number of steps."""
        if self.steps_differ:
            self.steps_differ = len({int(self.steps[slot.index]) for slot in self.small}) > 1
        return not self.steps_differ
