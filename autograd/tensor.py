"""``Tensor``: a numpy array in the graph. Same engine, same ``Node`` record as ``Value``.

Gradients mirror the data: in an ordinary backward pass ``.grad`` is a numpy array of the tensor's
shape and dtype; after ``backward(create_graph=True)`` it is a ``Tensor`` that can itself be
differentiated. Python numbers and lists become float32 (integers int64, booleans bool) as in
PyTorch; numpy arrays keep their dtype and are wrapped without a copy.
"""
import numpy as np

from . import ops, saved
from .math_methods import MathMethods
from .node import Node
from .ops.indexing import normalize_index

__all__ = ["Tensor"]


def _as_array(data, dtype):
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        array = np.asarray(data, dtype=dtype)
    else:
        try:
            array = np.asarray(data, dtype=dtype)
        except ValueError as error:  # ragged nested lists, strings that are not numbers
            raise ValueError(f"Tensor: cannot make an array of {type(data).__name__} data: {error}") from None
        if dtype is None and array.dtype == np.float64:
            array = array.astype(np.float32)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"Tensor: cannot hold {type(data).__name__} data (dtype {array.dtype}); "
                        "a tensor holds numbers or booleans")
    return array


def _check_differentiable(dtype, where):
    if np.issubdtype(dtype, np.complexfloating):
        raise TypeError(f"{where}: complex tensors cannot require grad (complex gradients follow "
                        f"no single convention; differentiate the real and imaginary parts as "
                        f"real tensors), got dtype {dtype}")
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"{where}: only floating-point tensors can require grad, got dtype {dtype}")


def _shape_args(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _axes_args(axes):
    if not axes:
        return None
    return tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes


class Tensor(Node, MathMethods):
    """An n-dimensional array that records the operations applied to it.

    The arithmetic operators and elementwise functions (``+``, ``*``, ``exp``, ``relu``, ...)
    come from ``MathMethods``, shared with ``Value``; the array methods are listed below. Every
    method is an op of ``autograd.ops``.
    """

    __slots__ = ("data", "grad", "requires_grad", "name", "_inputs", "_args", "_serial",
                 "_froze_output", "__weakref__")
    __array_priority__ = 1000  # numpy defers mixed operators to Tensor
    _scalar = False  # ops run their numpy forward on Tensors (see ``autograd.primitive``)
    _saves_arrays = True  # a recorded op's saved arrays are read-only (see ``autograd.saved``)

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        self.data = _as_array(data, dtype)
        if requires_grad:
            _check_differentiable(self.data.dtype, "Tensor(requires_grad=True)")
        self._init_leaf(bool(requires_grad), name)

    # ------------------------------------------------------------------ engine hooks
    @staticmethod
    def _result(data, op, operands, args, needs, params=None):
        # numpy returns scalars for 0-d results; a Tensor always holds an array. Subclasses
        # (nn's Parameter) produce plain Tensors.
        out = _node_result(Tensor, data if isinstance(data, np.ndarray) else np.asarray(data),
                           op, operands, args, needs, params)
        if out._op is not None:
            saved.hold(out)
        return out

    _check_saved = saved.check_unchanged
    _release_saved = saved.release

    def __del__(self):
        # A recorded op dropped before any backward pass lets go of the arrays it saved.
        try:
            if self._args is not None and self._op is not None:
                saved.release(self)
        except AttributeError:  # a tensor whose constructor raised has no record to release
            pass

    def _store(self, operands, args):
        self._inputs, self._args = operands, args

    @staticmethod
    def _constant_result(data):
        return Tensor._result(data, None, None, None, (), None)

    @staticmethod
    def _constant_operand(x, op_name):
        return x

    @classmethod
    def _leaf(cls, data):
        return Tensor(data)

    def _seed(self, grad, where, create_graph):
        """Check and convert the gradient that seeds a backward pass from this tensor."""
        seed = _seed_gradient(self, grad, where)
        if create_graph and not isinstance(seed, Tensor):
            seed = Tensor(seed)
        return seed

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
        return ops.transpose(self)

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

    __hash__ = Node.__hash__  # tensors are graph nodes: == is elementwise, hashing is identity

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

    # ------------------------------------------------------------------ operators (see also MathMethods)
    __matmul__ = ops.matmul

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    __gt__ = ops.greater
    __ge__ = ops.greater_equal
    __lt__ = ops.less
    __le__ = ops.less_equal
    __eq__ = ops.equal
    __ne__ = ops.not_equal
    __and__ = ops.logical_and
    __or__ = ops.logical_or
    __invert__ = ops.logical_not

    def __rand__(self, other):
        return ops.logical_and(other, self)

    def __ror__(self, other):
        return ops.logical_or(other, self)

    def __getitem__(self, index):
        return ops.getitem(self, normalize_index(index))

    def __setitem__(self, index, value):
        if self.requires_grad or self._op is not None or not self.data.flags.writeable:
            raise RuntimeError("in-place assignment into a tensor that is part of a graph (or "
                               "saved by one for its backward pass) would corrupt its gradients; "
                               "build a new tensor (e.g. with where) instead")
        self.data[normalize_index(index)] = value.data if isinstance(value, Tensor) else value

    # ------------------------------------------------------------------ array methods
    sign = ops.sign
    sum = ops.sum
    mean = ops.mean
    max = ops.max
    min = ops.min
    var = ops.var
    std = ops.std
    prod = ops.prod
    logsumexp = ops.logsumexp
    argmax = ops.argmax
    argmin = ops.argmin
    any = ops.any
    all = ops.all
    softmax = ops.softmax
    log_softmax = ops.log_softmax
    matmul = ops.matmul
    dot = ops.dot
    astype = ops.astype
    flatten = ops.flatten
    swapaxes = ops.swapaxes
    squeeze = ops.squeeze
    expand_dims = ops.expand_dims
    broadcast_to = ops.broadcast_to
    pad = ops.pad
    split = ops.split
    flip = ops.flip
    take = ops.take
    triu = ops.triu
    tril = ops.tril
    masked_fill = ops.masked_fill

    def reshape(self, *shape):
        """The same elements in a new shape: ``t.reshape(2, 3)`` or ``t.reshape((2, 3))``."""
        return ops.reshape(self, _shape_args(shape))

    def transpose(self, *axes):
        """Permute the axes (reverse them when none are given)."""
        return ops.transpose(self, _axes_args(axes))

    permute = transpose

    # ------------------------------------------------------------------ gradients
    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` in place on a leaf; returns self."""
        if self._op is not None:
            raise RuntimeError("requires_grad_ can only change leaf tensors; use detach() first")
        if requires_grad:
            _check_differentiable(self.data.dtype, "requires_grad_")
        self.requires_grad = bool(requires_grad)
        return self

    # ------------------------------------------------------------------ numpy interoperability
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        op = UFUNCS.get(ufunc)
        if method != "__call__" or op is None or kwargs.get("out") is not None:
            return NotImplemented
        kwargs.pop("out", None)
        if kwargs:
            return NotImplemented
        return op(*inputs)

    def __array_function__(self, func, types, args, kwargs):
        op = ARRAY_FUNCTIONS.get(func)
        if op is None:
            return NotImplemented
        return op(*args, **kwargs)


_node_result = Node._result.__func__


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
    if not np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.complexfloating):
        raise TypeError(f"{where}: grad must be real and numeric, got dtype {array.dtype}")
    return array.astype(output.dtype, copy=False)


# numpy functions called on Tensors run the matching op (``np.exp(t)``, ``np.sum(t)``).
UFUNCS = {
    np.add: ops.add, np.subtract: ops.subtract, np.multiply: ops.multiply,
    np.true_divide: ops.divide, np.power: ops.power, np.negative: ops.negative, np.exp: ops.exp,
    np.log: ops.log, np.log1p: ops.log1p, np.sqrt: ops.sqrt, np.absolute: ops.absolute,
    np.tanh: ops.tanh, np.sin: ops.sin, np.cos: ops.cos, np.maximum: ops.maximum,
    np.minimum: ops.minimum, np.matmul: ops.matmul, np.sign: ops.sign, np.greater: ops.greater,
    np.greater_equal: ops.greater_equal, np.less: ops.less, np.less_equal: ops.less_equal,
    np.equal: ops.equal, np.not_equal: ops.not_equal, np.logical_and: ops.logical_and,
    np.logical_or: ops.logical_or, np.logical_not: ops.logical_not, np.isfinite: ops.isfinite,
    np.isnan: ops.isnan,
}

ARRAY_FUNCTIONS = {
    np.sum: ops.sum, np.mean: ops.mean, np.max: ops.max, np.amax: ops.max, np.min: ops.min,
    np.amin: ops.min, np.var: ops.var, np.std: ops.std, np.prod: ops.prod, np.argmax: ops.argmax,
    np.argmin: ops.argmin, np.any: ops.any, np.all: ops.all, np.reshape: ops.reshape,
    np.transpose: ops.transpose, np.swapaxes: ops.swapaxes, np.squeeze: ops.squeeze,
    np.expand_dims: ops.expand_dims, np.broadcast_to: ops.broadcast_to,
    np.concatenate: ops.concatenate, np.stack: ops.stack, np.split: ops.split, np.pad: ops.pad,
    np.where: ops.where, np.clip: ops.clip, np.dot: ops.dot,
    np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim, np.size: lambda x: x.size,
    np.zeros_like: lambda x, *args, **kwargs: Tensor(np.zeros_like(x.data, *args, **kwargs)),
    np.ones_like: lambda x, *args, **kwargs: Tensor(np.ones_like(x.data, *args, **kwargs)),
    np.full_like: lambda x, *args, **kwargs: Tensor(np.full_like(x.data, *args, **kwargs)),
}
