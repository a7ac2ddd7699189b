"""``capture``: record a training step once, replay it as a flat list of numpy calls.

A training step does the same work every time: the same ops on arrays of the same shapes. The
first call of a captured function runs it eagerly, as usual, while every numpy call it makes (in
the forward ops, in the VJPs of the backward pass, in the optimizer's in-place update) is written
down with the arrays it reads and writes. Each array the step creates is kept, as the buffer that
call writes into from then on. A later call with inputs of the same shapes and dtypes copies the
new inputs into the input buffers and runs the recorded calls again, each with ``out=`` its
buffer: no graph, no nodes, no topological sort, no new arrays::

    @autograd.capture
    def train_step(x, y):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    train_step(x0, y0)   # runs eagerly and records
    train_step(x1, y1)   # replays: the same calls, into the same buffers

This recording is what "the graph" becomes at run time: ``draw_capture(train_step)`` shows its
buffers and calls (``describe`` lists them as text).

The rules. A replay repeats the calls the recording made, so Python code that branches on the
*values* of arrays (``if loss.item() > 1``) replays the branch taken while recording; pass
``check=True`` to also run every call eagerly and raise at the first array that differs, naming
the op. Randomness drawn through ``random_uniform`` (dropout masks) is drawn afresh on every
replay, from the same generator eager code would use; the optimizers record their Python-side
bookkeeping (step counts, learning rates set by schedules) as host calls that run again on every
replay (a host call should keep what it changes in arrays that recorded calls write: check mode
rolls arrays and generators back before its eager run, not other Python state). Returned tensors and arrays are copies; returned Python numbers cannot change between
replays (return tensors). Inputs whose shapes or dtypes differ start a new recording (a few are
kept, then the function runs eagerly, with a warning).
"""
import functools
import operator
import traceback
import warnings

import numpy as np

from .grad_mode import _Switch
from .node import Node

__all__ = ["capture", "host_call", "traced", "asarray", "random_uniform", "name_calls",
           "Recording", "CaptureMismatchError"]


# ------------------------------------------------------------------------------- the tracer
class _Traced(np.ndarray):
    """An array whose numpy calls are written down while a recording is active.

    Ufuncs (``+``, ``np.exp``, ``.sum()``, ``@``) and numpy functions (``np.where``,
    ``np.concatenate``) reach the recorder through numpy's override protocols; the few array
    methods that compute without them (``astype``, ``copy``, indexing, ``fill``) are overridden
    below. Outside a recording it behaves as a plain array, and its results are plain arrays."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        recorder = _Switch.capture
        inputs = tuple(_plain(x) for x in inputs)
        given = kwargs.get("out")
        kwargs = {key: _plain_tree(value) for key, value in kwargs.items()}  # out=, where=
        if recorder is None:
            return getattr(ufunc, method)(*inputs, **kwargs)
        return recorder.ufunc(ufunc, method, inputs, kwargs, given)

    def __array_function__(self, func, types, args, kwargs):
        recorder = _Switch.capture
        if recorder is not None and func in _IN_UFUNCS:
            # written in Python over ufuncs and array methods: let those be recorded one by one,
            # each into a buffer of its own (one recorded np.var would allocate its temporaries)
            return func._implementation(*args, **kwargs)
        given = kwargs.get("out")
        args, kwargs = _plain_tree(args), _plain_tree(kwargs)
        if recorder is None:
            return func(*args, **kwargs)
        if given is not None:  # the caller's own buffer (np.dot(a, b, out=c)): write into it
            func(*args, **kwargs)
            recorder.record(func, args, kwargs)
            return given
        return recorder.function(func, args, kwargs)

    # methods that compute without a ufunc or an array function
    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True):
        plain = _plain(self)
        result = plain.astype(dtype, order=order, casting=casting, copy=copy)
        if result is plain or _Switch.capture is None:
            return self if result is plain else result
        return _Switch.capture.copy_into(result, plain, casting="unsafe")

    def copy(self, order="C"):
        plain = _plain(self)
        result = plain.copy(order=order)
        return result if _Switch.capture is None else _Switch.capture.copy_into(result, plain)

    def __copy__(self):
        return self.copy()

    def __getitem__(self, index):
        plain = _plain(self)
        index = _plain_tree(index)
        result = plain[index]
        if _Switch.capture is None:
            return result
        return _Switch.capture.getitem(result, plain, index)

    def __setitem__(self, index, value):
        plain = _plain(self)
        index, value = _plain_tree(index), _plain_tree(value)
        if _is_view_of(value, plain, index):
            return  # ``a[i] += b`` assigns ``a[i]`` its own updated view: nothing to copy
        plain[index] = value
        if _Switch.capture is not None:
            _Switch.capture.record(operator.setitem, (plain, index, value), {}, "setitem")

    def fill(self, value):
        plain = _plain(self)
        plain.fill(value)
        if _Switch.capture is not None:
            _Switch.capture.record(np.copyto, (plain, value), {}, "fill")

    def reshape(self, *shape, **kwargs):
        return self._maybe_copied(_plain(self).reshape(*shape, **kwargs))

    def ravel(self, order="C"):
        return self._maybe_copied(_plain(self).ravel(order))

    def flatten(self, order="C"):
        return self._maybe_copied(_plain(self).flatten(order))

    def _maybe_copied(self, result):
        """A reshape that had to copy is a recorded copy; one that made a view is a view."""
        plain = _plain(self)
        if _Switch.capture is None:
            return result
        if np.may_share_memory(result, plain):
            return result.view(_Traced)
        return _Switch.capture.copy_into(result, plain, reshaped=True)

    # reading values: the replay cannot follow where they lead
    def __bool__(self):
        _note_escape()
        return bool(_plain(self))

    def __float__(self):
        _note_escape()
        return float(_plain(self))

    def __int__(self):
        _note_escape()
        return int(_plain(self))

    def __index__(self):
        _note_escape()
        return operator.index(_plain(self))

    def item(self, *args):
        _note_escape()
        return _plain(self).item(*args)

    def tolist(self):
        _note_escape()
        return _plain(self).tolist()


def _is_view_of(value, array, index):
    """True when ``value`` is exactly the part ``array[index]`` (same memory, shape and strides)."""
    if not isinstance(value, np.ndarray) or not np.may_share_memory(value, array):
        return False
    try:
        part = array[index]
    except (IndexError, TypeError, ValueError):
        return False
    return (isinstance(part, np.ndarray) and part.shape == value.shape
            and part.strides == value.strides
            and part.__array_interface__["data"][0] == value.__array_interface__["data"][0])


def _plain(x):
    """A plain ndarray view of a traced array (anything else unchanged)."""
    return x.view(np.ndarray) if isinstance(x, _Traced) else x


def _plain_tree(x):
    if isinstance(x, _Traced):
        return x.view(np.ndarray)
    if type(x) in (tuple, list):
        return type(x)(_plain_tree(item) for item in x)
    if type(x) is dict:
        return {key: _plain_tree(value) for key, value in x.items()}
    return x


def _note_escape():
    if _Switch.capture is not None:
        _Switch.capture.escapes.append(traceback.extract_stack(limit=6)[:-2])


def traced(array):
    """``array`` as the recording sees it: while a step is being captured, arrays that lucidgrad
    code updates in place (an optimizer's state) must be traced so that their updates are
    recorded; outside a recording, ``array`` itself."""
    recorder = _Switch.capture
    if recorder is None or isinstance(array, _Traced) or not isinstance(array, np.ndarray):
        return array
    return array.view(_Traced)


def name_calls(label):
    """Name the numpy calls that follow, while a step is being recorded (e.g. ``"SGD step"``),
    for ``describe``, drawings and check mode. Ops and VJPs name their own calls."""
    if _Switch.capture is not None:
        _Switch.capture.label = label


def host_call(function, *args):
    """Run ``function(*args)`` now and, while a step is being captured, again at the same point
    of every replay: Python-side work that later numpy calls depend on (an optimizer's step
    counters and learning-rate factors, a fresh random draw)."""
    result = function(*args)
    if _Switch.capture is not None:
        _Switch.capture.record(function, args, {}, "host")
    return result


# ------------------------------------------------------------------------------- recording
class _Call:
    """One recorded numpy call: ``function(*args, **kwargs)``, made while ``label`` ran."""

    __slots__ = ("function", "args", "kwargs", "label")

    def __init__(self, function, args, kwargs, label):
        self.function, self.args, self.kwargs, self.label = function, args, kwargs, label

    def name(self):
        """The numpy function's name, e.g. ``multiply`` or ``add.reduce``."""
        function = self.function
        if isinstance(function, functools.partial):
            function = function.func
        owner = getattr(function, "__self__", None)
        name = getattr(function, "__name__", type(function).__name__)
        if isinstance(owner, np.ufunc):
            return f"{owner.__name__}.{name}"
        return name

    def outputs(self):
        """The arrays this call writes (for an assignment into part of an array, that part)."""
        if self.function is operator.setitem:
            return (self.args[0][self.args[1]],)
        out = self.kwargs.get("out")
        if out is not None:
            return tuple(out) if isinstance(out, tuple) else (out,)
        if self.function in _WRITES_FIRST_ARGUMENT or getattr(self.function, "__name__", "") == "at":
            return (self.args[0],)
        return ()


_OUT_FUNCTIONS = {}  # numpy function -> whether it takes out= (looked up once per function)
# numpy functions whose implementation only calls ufuncs and array methods on its arguments
_IN_UFUNCS = {np.mean, np.var, np.std, np.sum, np.prod, np.max, np.min, np.amax, np.amin,
              np.any, np.all, np.clip, np.cumsum, np.cumprod, np.stack, np.moveaxis,
              np.swapaxes, np.transpose, np.expand_dims, np.squeeze, np.reshape, np.ravel}
_FILLS = {np.zeros: 0, np.zeros_like: 0, np.ones: 1, np.ones_like: 1}
_CREATIONS = {np.empty, np.empty_like, np.full, np.full_like, *_FILLS}


def _takes_out(function):
    known = _OUT_FUNCTIONS.get(function)
    if known is None:
        import inspect
        try:
            known = "out" in inspect.signature(function).parameters
        except (TypeError, ValueError):
            known = False
        _OUT_FUNCTIONS[function] = known
    return known


def _own(result):
    """A traced array that owns its memory (laid out as ``result``) holding ``result``: the
    buffer a recorded call writes into on every replay."""
    array = np.asarray(result)
    dense = array.flags.c_contiguous or array.flags.f_contiguous or array.base is None
    owned = (np.ndarray.__new__(_Traced, array.shape, array.dtype, strides=array.strides) if dense
             else np.ndarray.__new__(_Traced, array.shape, array.dtype))
    owned.view(np.ndarray)[...] = array
    return owned


def _compute_into(out, function, args, kwargs):
    """Replay of a numpy function without ``out=``: compute, then copy into the buffer."""
    np.copyto(out, function(*args, **kwargs))


def _reshaped_copy(out, source):
    """Replay of a reshape that had to copy: write ``source`` into the contiguous ``out``."""
    np.copyto(out.reshape(source.shape), source)


# numpy functions whose result's shape depends on the values: a step using them cannot be replayed
_VALUE_SHAPED = {np.nonzero, np.argwhere, np.flatnonzero, np.unique, np.compress, np.extract}

_WRITES_FIRST_ARGUMENT = {np.copyto, operator.setitem, np.put_along_axis, np.place, np.put,
                          _compute_into, _reshaped_copy}


class _Recorder:
    """Writes down the numpy calls of a captured step (see the module docstring)."""

    def __init__(self, snapshots=False):
        self.calls = []
        self.snapshots = [] if snapshots else None  # check mode: each call's results as written
        self.escapes = []
        self.leaves = []       # (tensor, its plain array): leaf tensors whose data was traced
        self.owned = set()     # ids of the buffers this recording created
        self.sources = set()   # the functions giving the generators random draws came from
        self.unreplayable = None  # why the step cannot be replayed at all, if it cannot
        self.label = "step"    # the op (or "vjp of" op) running now, for check mode and drawings
        self.in_op = False     # inside an op's forward: the ops it calls are recorded under its name

    def _own(self, result):
        owned = _own(result)
        self.owned.add(id(owned))
        return owned

    def record(self, function, args, kwargs, kind=None):
        call = _Call(function, args, kwargs, self.label if kind is None else f"{self.label} ({kind})")
        self.calls.append(call)
        if self.snapshots is not None:
            self.snapshots.append([np.array(out, copy=True) for out in call.outputs()])

    def ufunc(self, ufunc, method, inputs, kwargs, given_out):
        function = ufunc if method == "__call__" else getattr(ufunc, method)
        if method == "at":
            function(*inputs, **kwargs)
            self.record(function, inputs, kwargs)
            return None
        if given_out is not None and all(o is not None for o in given_out):
            function(*inputs, **kwargs)
            self.record(function, inputs, kwargs)
            # the caller's own out arrays (``a -= b`` rebinds ``a`` to what this returns)
            return given_out[0] if len(given_out) == 1 else given_out
        result = function(*inputs, **kwargs)
        results = result if isinstance(result, tuple) else (result,)
        owned = tuple(self._own(r) for r in results)
        self.record(function, inputs, {**kwargs, "out": tuple(o.view(np.ndarray) for o in owned)})
        return owned if isinstance(result, tuple) else owned[0]

    def function(self, function, args, kwargs):
        if function in _VALUE_SHAPED:
            self.unreplayable = f"it calls np.{function.__name__}, whose result's shape depends on the values"
        result = function(*args, **kwargs)
        if result is None:  # an in-place function (copyto, put_along_axis)
            self.record(function, args, kwargs)
            return None
        if isinstance(result, (tuple, list)):
            return type(result)(self._fresh_or_view(function, args, kwargs, r, index)
                                for index, r in enumerate(result))
        return self._fresh_or_view(function, args, kwargs, result, None)

    def _fresh_or_view(self, function, args, kwargs, result, index):
        if not isinstance(result, (np.ndarray, np.generic)):
            return result  # a Python value (a shape, a dtype): not an array of the step
        if isinstance(result, np.ndarray) and any(
                isinstance(a, np.ndarray) and np.may_share_memory(result, a) for a in _arrays(args)):
            return result.view(_Traced)  # a view of an array the step already has
        owned = self._own(result)
        out = owned.view(np.ndarray)
        if function in _CREATIONS:
            if function in _FILLS:
                self.record(np.copyto, (out, _FILLS[function]), {}, "fill")
            elif function in (np.full, np.full_like):
                self.record(np.copyto, (out, kwargs.get("fill_value", args[1] if len(args) > 1 else 0)),
                            {}, "fill")
        elif index is None and function in (np.reshape, np.ravel) and args:
            self.record(_reshaped_copy, (out, args[0]), {})
        elif index is None and _takes_out(function):
            self.record(function, args, {**kwargs, "out": out})
        else:
            self.record(_compute_into, (out, function, args, kwargs), {},
                        None if index is None else f"part {index}")
        return owned

    def copy_into(self, result, source, casting="same_kind", reshaped=False):
        owned = self._own(result)
        out = owned.view(np.ndarray)
        if reshaped:
            self.record(_reshaped_copy, (out, source), {})
        else:
            self.record(np.copyto, (out, source), {"casting": casting})
        return owned

    def getitem(self, result, source, index):
        if any(isinstance(p, np.ndarray) and p.dtype == np.bool_ and p.ndim for p in _as_index(index)):
            self.unreplayable = ("it indexes with a boolean mask, whose result's shape depends on "
                                 "the values")
        if np.may_share_memory(result, source):
            return result.view(_Traced)  # a basic index: a view
        owned = self._own(result)
        out = owned.view(np.ndarray)
        axis = _single_array_axis(index)
        if axis is not None:
            self.record(np.take, (source, _as_index(index)[axis]), {"axis": axis, "out": out})
        else:
            self.record(_compute_into, (out, operator.getitem, (source, index), {}), {})
        return owned

    def trace_operand(self, x):
        """An op's operand, with its array traced: a graph object's data is traced for the rest of
        the recording (the replay reads and writes its plain array); a constant array becomes a
        traced view too, so that the op's numpy calls on it are recorded."""
        if isinstance(x, Node):
            data = x.data
            if isinstance(data, np.ndarray) and not isinstance(data, _Traced):
                self.leaves.append((x, data))
                x.data = data.view(_Traced)
            return x
        if isinstance(x, np.ndarray) and not isinstance(x, _Traced):
            return x.view(_Traced)
        return x


def _arrays(items):
    for item in items:
        if isinstance(item, np.ndarray):
            yield item
        elif type(item) in (tuple, list):
            yield from _arrays(item)


def _as_index(index):
    return index if isinstance(index, tuple) else (index,)


def _single_array_axis(index):
    """The axis of the one integer array in an index of full slices and that array, or None."""
    parts = _as_index(index)
    arrays = [i for i, p in enumerate(parts) if isinstance(p, np.ndarray)]
    if len(arrays) != 1 or parts[arrays[0]].dtype.kind not in "iu":
        return None
    if any(not (isinstance(p, slice) and p == slice(None)) for i, p in enumerate(parts) if i != arrays[0]):
        return None
    return arrays[0]


# ------------------------------------------------------------------------------- replaying
class CaptureMismatchError(AssertionError):
    """``capture(fn, check=True)``: a replayed array differs from the eager one. The eager
    run's result is ``eager_result`` (the function's state is the eager run's)."""

    eager_result = None


class Recording:
    """One captured version of a function: the numpy calls of a step, the buffers that receive
    the inputs, and where the outputs are. ``describe()`` lists it."""

    def __init__(self, recorder, inputs, outputs, owned_roots):
        self.calls = recorder.calls
        self.escapes = recorder.escapes
        self.inputs = inputs            # plain buffers, in the order of the array arguments
        self.outputs = outputs          # the result's structure, arrays as plain buffers
        self._owned_roots = owned_roots

    # -------------------------------------------------------------- recording
    @classmethod
    def record(cls, fn, args, kwargs, snapshots=False):
        """Run ``fn`` eagerly while recording; returns ``(recording, result)``. With
        ``snapshots``, each call's results are also kept as they were right after the call."""
        if _Switch.capture is not None:
            raise RuntimeError("capture: a captured function was called while another one was "
                               "being recorded; capture the outer function only")
        inputs = []
        args = tuple(_input_buffer(a, inputs) for a in args)
        kwargs = {key: _input_buffer(value, inputs) for key, value in kwargs.items()}
        recorder = _Recorder(snapshots)
        _Switch.capture = recorder
        try:
            result = fn(*args, **kwargs)
        finally:
            _Switch.capture = None
            for tensor, plain in recorder.leaves:
                if isinstance(tensor.data, _Traced) and np.may_share_memory(tensor.data, plain):
                    tensor.data = plain
                if isinstance(tensor.grad, _Traced):
                    tensor.grad = tensor.grad.view(np.ndarray)
        outputs = _output_template(result)
        owned = recorder.owned | {id(buffer) for buffer in inputs}
        recording = cls(recorder, [b.view(np.ndarray) for b in inputs], outputs, owned)
        recording.snapshots = recorder.snapshots
        recording.sources = recorder.sources
        recording.unreplayable = recorder.unreplayable
        return recording, _untraced(result)

    # -------------------------------------------------------------- replaying
    def replay(self, args, kwargs):
        """Copy the array arguments into the input buffers, run the calls, return the outputs."""
        for buffer, value in zip(self.inputs, _input_values(args, kwargs)):
            np.copyto(buffer, value, casting="same_kind")
        for call in self.calls:
            call.function(*call.args, **call.kwargs)
        return _build_outputs(self.outputs)

    def replay_checked(self, fn, args, kwargs):
        """Replay, then run ``fn`` eagerly from the same state and compare every call's result;
        raise ``CaptureMismatchError`` at the first that differs. The eager run's state stays."""
        external = {}
        for call in self.calls:
            for out in call.outputs():
                root = _root(out)
                if id(root) not in self._owned_roots and id(root) not in external:
                    external[id(root)] = (root, root.copy())
        for buffer, value in zip(self.inputs, _input_values(args, kwargs)):
            np.copyto(buffer, value, casting="same_kind")
        generators = {id(g): (g, g.bit_generator.state) for g in (s() for s in self.sources)}
        replayed, failure = [], None
        try:
            for call in self.calls:
                call.function(*call.args, **call.kwargs)
                replayed.append([np.array(out, copy=True) for out in call.outputs()])
        except Exception as error:  # e.g. a shape that changed with the values
            failure = (len(replayed), error)
        for root, saved in external.values():
            np.copyto(root, saved)
        for generator, state in generators.values():  # the eager run draws what the replay drew
            generator.bit_generator.state = state
        fresh, result = Recording.record(fn, args, kwargs, snapshots=True)
        try:
            if failure is not None:
                index, error = failure
                raise CaptureMismatchError(f"capture check: call {index} ({self.calls[index].name()} "
                                           f"in {self.calls[index].label}) fails when replayed: {error}")
            self._compare(fresh, replayed)
        except CaptureMismatchError as error:
            error.eager_result = result
            raise
        return result

    def _compare(self, fresh, replayed):
        if len(fresh.calls) != len(self.calls):
            raise CaptureMismatchError(
                f"capture check: the eager run made {len(fresh.calls)} numpy calls where the "
                f"recording has {len(self.calls)}; the function's control flow changed (it "
                "depends on values, or on state outside its arguments)")
        for index, (call, eager, values) in enumerate(zip(fresh.calls, fresh.snapshots, replayed)):
            for out, value in zip(eager, values):
                if not np.array_equal(out, value, equal_nan=True):
                    raise CaptureMismatchError(
                        f"capture check: call {index} ({call.name()} in {call.label}) gives a "
                        f"different array of shape {np.shape(out)} when replayed: max difference "
                        f"{_max_difference(out, value)}")

    # -------------------------------------------------------------- looking inside
    def describe(self, limit=None):
        """The recording as text: one line per numpy call, its op, and its buffers' shapes."""
        lines = [f"{len(self.calls)} numpy calls, {len(self.inputs)} input buffers"]
        for index, call in enumerate(self.calls[:limit]):
            outs = ", ".join(_shape_text(o) for o in call.outputs())
            lines.append(f"{index:4d}  {call.name():<22s} -> {outs:<18s} {call.label}")
        if limit is not None and len(self.calls) > limit:
            lines.append(f"      ... {len(self.calls) - limit} more")
        return "\n".join(lines)


def _max_difference(a, b):
    with np.errstate(invalid="ignore"):
        return float(np.nanmax(np.abs(np.asarray(a, float) - np.asarray(b, float)), initial=0.0))


def _shape_text(array):
    return f"{array.dtype}{list(array.shape)}"


def _root(array):
    while isinstance(array, np.ndarray) and array.base is not None and isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _input_buffer(value, inputs):
    """An argument as the recording passes it: arrays and tensors get a buffer of their own,
    which every replay fills with the new argument."""
    if isinstance(value, Node) and isinstance(value.data, np.ndarray):
        buffer = _own(value.data)
        inputs.append(buffer)
        copy = type(value).__new__(type(value))
        copy.__init__(buffer.view(np.ndarray), requires_grad=value.requires_grad, name=value.name)
        copy.data = buffer
        return copy
    if isinstance(value, np.ndarray):
        buffer = _own(value)
        inputs.append(buffer)
        return buffer
    return value


def _input_values(args, kwargs):
    for value in (*args, *kwargs.values()):
        if isinstance(value, Node) and isinstance(value.data, np.ndarray):
            yield value.data
        elif isinstance(value, np.ndarray):
            yield value


def _signature(args, kwargs):
    """What must match for a recording to be replayed: the shapes and dtypes of the array
    arguments, and the other arguments themselves."""
    def one(value):
        if isinstance(value, Node) and isinstance(value.data, np.ndarray):
            return ("tensor", value.data.shape, value.data.dtype.str, value.requires_grad)
        if isinstance(value, np.ndarray):
            return ("array", value.shape, value.dtype.str)
        try:
            hash(value)
            return ("value", type(value), value)
        except TypeError:
            return ("object", id(value))
    return tuple(one(a) for a in args) + tuple((key, one(v)) for key, v in sorted(kwargs.items()))


def _output_template(result):
    if isinstance(result, Node) and isinstance(result.data, np.ndarray):
        return ("tensor", (_plain(result.data), type(result)._leaf))
    if isinstance(result, np.ndarray):
        return ("array", _plain(result))
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, [_output_template(r) for r in result])
    if isinstance(result, dict):
        return ("dict", {key: _output_template(value) for key, value in result.items()})
    return ("value", result)


def _build_outputs(template):
    kind, content = template
    if kind == "tensor":
        array, make_leaf = content
        return make_leaf(array.copy())
    if kind == "array":
        return content.copy()
    if kind in ("tuple", "list"):
        built = [_build_outputs(item) for item in content]
        return tuple(built) if kind == "tuple" else built
    if kind == "dict":
        return {key: _build_outputs(value) for key, value in content.items()}
    return content


def _untraced(result):
    """The recording run's own result, with plain arrays of its own (the recorded buffers are
    written again by every replay)."""
    if isinstance(result, Node) and isinstance(result.data, _Traced):
        result.data = np.array(result.data.view(np.ndarray))
        return result
    if isinstance(result, _Traced):
        return np.array(result.view(np.ndarray))
    if isinstance(result, (tuple, list)):
        return type(result)(_untraced(r) for r in result)
    if isinstance(result, dict):
        return {key: _untraced(value) for key, value in result.items()}
    return result


class capture:
    """Wrap ``fn`` so that its first call is recorded and later calls replay the recording
    (see the module docstring); usable as a decorator, ``@capture`` or ``@capture(check=True)``.

    ``check``: replay, then also run eagerly and raise ``CaptureMismatchError`` at the first
    array that differs (for finding what a function does that a replay cannot repeat).
    ``max_recordings``: how many input signatures get a recording of their own; calls with
    further signatures run eagerly (with a warning, once)."""

    def __init__(self, fn=None, *, check=False, max_recordings=4):
        self.fn = fn
        self.check = check
        self.max_recordings = max_recordings
        self.recordings = {}
        self._warned = False
        if fn is not None:
            functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        if self.fn is None:  # @capture(check=True): the decorated function arrives now
            (fn,) = args
            return capture(fn, check=self.check, max_recordings=self.max_recordings)
        if _Switch.capture is not None:  # inside another recording: just run (it records)
            return self.fn(*args, **kwargs)
        key = _signature(args, kwargs)
        if key not in self.recordings:
            if len(self.recordings) >= self.max_recordings:
                if not self._warned:
                    warnings.warn(f"capture: {getattr(self.fn, '__name__', 'fn')} was called with "
                                  f"more than {self.max_recordings} different input shapes; "
                                  "further shapes run eagerly", stacklevel=2)
                    self._warned = True
                return self.fn(*args, **kwargs)
            recording, result = Recording.record(self.fn, args, kwargs)
            if recording.unreplayable:  # this signature runs eagerly from now on
                warnings.warn(f"capture: {getattr(self.fn, '__name__', 'fn')} cannot be replayed: "
                              f"{recording.unreplayable}; it runs eagerly", stacklevel=2)
                recording = None
            self.recordings[key] = recording
            return result
        recording = self.recordings[key]
        if recording is None:
            return self.fn(*args, **kwargs)
        if self.check:
            return recording.replay_checked(self.fn, args, kwargs)
        return recording.replay(args, kwargs)

    @property
    def recording(self):
        """The most recent recording (None before the first call, or when it cannot be
        replayed)."""
        return next((r for r in reversed(self.recordings.values()) if r is not None), None)


def random_uniform(shape, dtype, source):
    """Uniform samples in [0, 1) of ``shape`` and ``dtype`` from the generator ``source()``
    returns (a function, so that a generator replaced by ``autograd.seed`` is found). While a step
    is being captured the draw is recorded: every replay draws afresh into the same buffer, from
    the generator ``source()`` returns at that time, as eager code would."""
    recorder = _Switch.capture
    if recorder is None:
        return source().random(tuple(shape), dtype=dtype)
    buffer = recorder._own(np.empty(tuple(shape), dtype))
    _draw_into(source, dtype, out=buffer.view(np.ndarray))
    recorder.record(_draw_into, (source, dtype), {"out": buffer.view(np.ndarray)}, "random draw")
    recorder.sources.add(source)
    return buffer


def _draw_into(source, dtype, out):
    source().random(dtype=dtype, out=out)


def asarray(x, dtype=None):
    """``np.asarray`` for code that may run inside a captured step: the array behind a tensor or
    an array-like, converted to ``dtype`` if given, still recorded when it was (``np.asarray``
    would hand back an unrecorded array, and replays would reuse the values it held)."""
    array = np.asanyarray(x.data if isinstance(x, Node) else x)
    if dtype is not None and array.dtype != np.dtype(dtype):
        array = array.astype(dtype)
    return array
