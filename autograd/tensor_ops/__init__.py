"""The tensor ops, and their attachment to ``Tensor`` as methods, operators and numpy overrides."""
import numpy as np

from ..tensor import Tensor
from .arithmetic import add, divide, multiply, negative, power, subtract
from .conv import conv, conv1d, conv2d, conv3d, conv_transpose
from .pool import avg_pool, global_avg_pool, global_max_pool, max_pool
from .creation import (arange, eye, full, full_like, generator, ones, ones_like, rand, rand_like,
                       randn, randn_like, seed, tensor, zeros, zeros_like)
from .elementwise import (absolute, clip, cos, elu, equal, erf, exp, gelu, greater, greater_equal,
                          isfinite, isnan, leaky_relu, less, less_equal, log, log1p, logical_and,
                          logical_not, logical_or, maximum, minimum, not_equal, relu, sigmoid, sign,
                          sin, softplus, sqrt, tanh, where)
from .indexing import getitem, normalize_index, scatter_add
from .linalg import affine, dot, linear, matmul
from .probability import log_softmax, one_hot, softmax, softmax_cross_entropy
from .reductions import all, any, argmax, argmin, logsumexp, max, mean, min, prod, std, sum, var
from .shape import (astype, broadcast_to, concatenate, expand_dims, flatten, pad, reshape, split,
                    squeeze, stack, swapaxes, transpose, unbroadcast)

abs = absolute

UFUNCS = {
    np.add: add, np.subtract: subtract, np.multiply: multiply, np.true_divide: divide,
    np.power: power, np.negative: negative, np.exp: exp, np.log: log, np.log1p: log1p,
    np.sqrt: sqrt, np.absolute: absolute, np.tanh: tanh, np.sin: sin, np.cos: cos,
    np.maximum: maximum, np.minimum: minimum, np.matmul: matmul, np.sign: sign,
    np.greater: greater, np.greater_equal: greater_equal, np.less: less, np.less_equal: less_equal,
    np.equal: equal, np.not_equal: not_equal, np.logical_and: logical_and,
    np.logical_or: logical_or, np.logical_not: logical_not, np.isfinite: isfinite, np.isnan: isnan,
}

ARRAY_FUNCTIONS = {
    np.sum: sum, np.mean: mean, np.max: max, np.amax: max, np.min: min, np.amin: min, np.var: var,
    np.std: std, np.prod: prod, np.argmax: argmax, np.argmin: argmin, np.any: any, np.all: all,
    np.reshape: reshape, np.transpose: transpose, np.swapaxes: swapaxes, np.squeeze: squeeze,
    np.expand_dims: expand_dims, np.broadcast_to: broadcast_to, np.concatenate: concatenate,
    np.stack: stack, np.split: split, np.pad: pad, np.where: where, np.clip: clip, np.dot: dot,
    np.shape: lambda x: x.shape, np.ndim: lambda x: x.ndim, np.size: lambda x: x.size,
    np.zeros_like: zeros_like, np.ones_like: ones_like, np.full_like: full_like,
}


def _shape_args(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) else shape


def _axes_args(axes):
    if not axes:
        return None
    return tuple(axes[0]) if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes


def _setitem(self, index, value):
    if self.requires_grad or self._op is not None:
        raise RuntimeError("in-place assignment into a tensor that is part of a graph would "
                           "corrupt its gradients; build a new tensor (e.g. with where) instead")
    self.data[normalize_index(index)] = value.data if isinstance(value, Tensor) else value


_METHODS = {
    "__add__": lambda self, other: add(self, other),
    "__radd__": lambda self, other: add(other, self),
    "__sub__": lambda self, other: subtract(self, other),
    "__rsub__": lambda self, other: subtract(other, self),
    "__mul__": lambda self, other: multiply(self, other),
    "__rmul__": lambda self, other: multiply(other, self),
    "__truediv__": lambda self, other: divide(self, other),
    "__rtruediv__": lambda self, other: divide(other, self),
    "__pow__": lambda self, other: power(self, other),
    "__rpow__": lambda self, other: power(other, self),
    "__matmul__": lambda self, other: matmul(self, other),
    "__rmatmul__": lambda self, other: matmul(other, self),
    "__neg__": lambda self: negative(self),
    "__pos__": lambda self: self,
    "__abs__": lambda self: absolute(self),
    "__gt__": lambda self, other: greater(self, other),
    "__ge__": lambda self, other: greater_equal(self, other),
    "__lt__": lambda self, other: less(self, other),
    "__le__": lambda self, other: less_equal(self, other),
    "__eq__": lambda self, other: equal(self, other),
    "__ne__": lambda self, other: not_equal(self, other),
    "__and__": lambda self, other: logical_and(self, other),
    "__rand__": lambda self, other: logical_and(other, self),
    "__or__": lambda self, other: logical_or(self, other),
    "__ror__": lambda self, other: logical_or(other, self),
    "__invert__": lambda self: logical_not(self),
    "__getitem__": lambda self, index: getitem(self, normalize_index(index)),
    "__setitem__": _setitem,
    "exp": exp, "log": log, "log1p": log1p, "sqrt": sqrt, "abs": absolute, "tanh": tanh,
    "sigmoid": sigmoid, "relu": relu, "leaky_relu": leaky_relu, "elu": elu, "gelu": gelu,
    "softplus": softplus, "sin": sin, "cos": cos, "sign": sign, "clip": clip, "erf": erf,
    "sum": sum, "mean": mean, "max": max, "min": min, "var": var, "std": std, "prod": prod,
    "logsumexp": logsumexp, "argmax": argmax, "argmin": argmin, "any": any, "all": all,
    "softmax": softmax, "log_softmax": log_softmax,
    "matmul": matmul, "dot": dot, "astype": astype, "flatten": flatten,
    "swapaxes": swapaxes, "squeeze": squeeze, "expand_dims": expand_dims,
    "broadcast_to": broadcast_to, "pad": pad,
    "reshape": lambda self, *shape: reshape(self, _shape_args(shape)),
    "transpose": lambda self, *axes: transpose(self, _axes_args(axes)),
    "permute": lambda self, *axes: transpose(self, _axes_args(axes)),
    "maximum": maximum, "minimum": minimum, "split": split,
}

for _name, _fn in _METHODS.items():
    setattr(Tensor, _name, _fn)
