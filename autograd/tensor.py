"""``Tensor``: a numpy array in the graph. Same engine, same ``Node`` record as ``Value``.

Gradients mirror the data: in an ordinary backward pass ``.grad`` is a numpy array of the tensor's
shape and dtype; after ``backward(create_graph=True)`` it is a ``Tensor`` that can itself be
differentiated. Python numbers and lists become float32 (integers int64, booleans bool) as in
PyTorch; numpy arrays keep their dtype and are wrapped without a copy.
"""
import numpy as np

from .engine import run_backward
from .grad_mode import _Switch
from .node import Node


def _as_array(data, dtype):
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data, dtype=dtype)
    else:
        array = np.asarray(data, dtype=dtype)
        if dtype is None and array.dtype == np.float64:
            array = array.astype(np.float32)
    if array.dtype == object:
        raise TypeError(f"Tensor: cannot hold {type(data).__name__} data (object dtype)")
    return array


def _check_differentiable(dtype, where):
    if not np.issubdtype(dtype, np.inexact):
        raise TypeError(f"{where}: only floating-point tensors can require grad, got dtype {dtype}")


class Tensor(Node):
    """An n-dimensional array that records the operations applied to it."""

    __slots__ = ("data", "grad", "requires_grad", "name", "__weakref__")
    __array_priority__ = 1000  # numpy defers mixed operators to Tensor

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _as_array(data, dtype)
        if requires_grad:
            _check_differentiable(self.data.dtype, "Tensor(requires_grad=True)")
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.name = name
        self._clear_record()

    @classmethod
    def _result(cls, data, op, operands, args, needs, params):
        # numpy returns scalars for 0-d results; a Tensor always holds an array
        return Node._result.__func__(cls, data if type(data) is np.ndarray else np.asarray(data),
                                     op, operands, args, needs, params)

    @classmethod
    def _constant(cls, data):
        return cls(data)

    def _accumulate_grad(self, grad, handed_out):
        data = self.data
        if isinstance(grad, Tensor):  # create_graph: keep the gradient differentiable
            if grad.dtype != data.dtype:
                grad = grad.astype(data.dtype)
        else:
            if grad.shape != data.shape:
                raise RuntimeError(f"internal: gradient of shape {grad.shape} for a tensor of shape "
                                   f"{data.shape} (op {self._op.name if self._op else 'leaf'})")
            if grad.dtype != data.dtype:
                grad = grad.astype(data.dtype)
            elif grad.base is not None or not grad.flags.writeable or id(grad) in handed_out:
                grad = grad.copy()  # never let two .grad attributes (or a view) share memory
            handed_out.add(id(grad))
        self.grad = grad if self.grad is None else self.grad + grad

    # ------------------------------------------------------------------ array attributes
    @property
    def shape(self):
        """The shape tuple of the data."""
        return self.data.shape

    @property
    def ndim(self):
        """Number of dimensions."""
        return self.data.ndim

    @property
    def dtype(self):
        """numpy dtype of the data."""
        return self.data.dtype

    @property
    def size(self):
        """Number of elements."""
        return self.data.size

    @property
    def T(self):
        """The tensor with its axes reversed."""
        return _ops.transpose(self)

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def item(self):
        """The single element as a Python number."""
        if self.data.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted, shape is {self.shape}")
        return self.data.item()

    def numpy(self):
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def tolist(self):
        """The data as nested Python lists."""
        return self.data.tolist()

    def __array__(self, dtype=None, copy=None):
        if dtype is None or dtype == self.data.dtype:
            return self.data if not copy else self.data.copy()
        return self.data.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a Tensor with shape {self.shape} is ambiguous; "
                             "use .any() or .all()")
        return bool(self.data)

    __hash__ = Node.__hash__

    def __repr__(self):
        body = np.array2string(self.data, separator=", ", precision=4, threshold=20, edgeitems=3,
                               prefix="Tensor(")
        extras = [f"dtype={self.data.dtype}"] if self.data.dtype not in (np.float32, np.int64, np.bool_) else []
        if self._op is not None:
            extras.append(f"op={self._op.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    # ------------------------------------------------------------------ autograd API
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate gradients of this tensor into the leaves' ``.grad``.

        ``grad`` (same shape as this tensor) seeds the pass; it may be omitted for a tensor with a
        single element. ``retain_graph`` defaults to ``create_graph``.
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a Tensor that does not require grad (no input "
                               "required grad, or it was computed under no_grad())")
        seed = _seed_gradient(self, grad, "backward")
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor(seed)
        run_backward([self], [seed], retain_graph=retain_graph, create_graph=create_graph)

    def retain_grad(self):
        """Keep this interior tensor's gradient in ``.grad`` after backward."""
        self._retains_grad = True
        return self

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None result
        replaces the gradient (clip it, log it, zero it...). Returns a handle with ``remove()``."""
        if not callable(hook):
            raise TypeError("register_hook needs a callable")
        if not self.requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        self._hooks = list(self._hooks) + [hook]
        return _HookHandle(self, hook)

    def detach(self):
        """A new leaf sharing this tensor's data, cut from the graph."""
        return Tensor(self.data)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self._op is not None:
            raise RuntimeError("requires_grad_ can only change leaf tensors; use detach() first")
        if requires_grad:
            _check_differentiable(self.data.dtype, "requires_grad_")
        self.requires_grad = bool(requires_grad)
        return self

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    # ------------------------------------------------------------------ numpy interoperability
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        op = _ops.UFUNCS.get(ufunc)
        if method != "__call__" or op is None or kwargs.get("out") is not None:
            return NotImplemented
        kwargs.pop("out", None)
        if kwargs:
            return NotImplemented
        return op(*inputs)

    def __array_function__(self, func, types, args, kwargs):
        op = _ops.ARRAY_FUNCTIONS.get(func)
        if op is None:
            return NotImplemented
        return op(*args, **kwargs)


def _seed_gradient(output, grad, where):
    """Check and convert the gradient that seeds a backward pass from ``output``."""
    if grad is None:
        if output.data.size != 1:
            raise RuntimeError(f"{where}: the output has shape {output.shape}; a gradient can be "
                               "implied only for a single-element output, pass grad= of that shape")
        return np.ones_like(output.data)
    if isinstance(grad, Tensor):
        if grad.shape != output.shape:
            raise ValueError(f"{where}: grad has shape {grad.shape} but the output has shape {output.shape}")
        return grad if grad.requires_grad else grad.data.astype(output.dtype, copy=False)
    array = np.asarray(grad)
    if array.shape != output.shape:
        raise ValueError(f"{where}: grad has shape {array.shape} but the output has shape {output.shape}")
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{where}: grad must be numeric, got dtype {array.dtype}")
    return array.astype(output.dtype, copy=False)


class _HookHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    def __init__(self, owner, hook):
        self._owner, self._hook = owner, hook

    def remove(self):
        """Unregister the hook (no-op if already removed)."""
        hooks = list(self._owner._hooks)
        if self._hook in hooks:
            hooks.remove(self._hook)
        self._owner._hooks = hooks or ()


from . import tensor_ops as _ops  # noqa: E402  (the ops import Tensor; methods are attached there)
