"""The differentiable ops, one module per family; each op is defined once, with its derivative
beside it, and serves both ``Tensor`` and (where it has a scalar meaning) ``Value`` operands."""
from .arithmetic import add, divide, multiply, negative, power, subtract
from .convolution import conv, conv1d, conv2d, conv3d, conv_transpose
from .elementwise import (absolute, clip, cos, elu, equal, erf, exp, gelu, greater, greater_equal,
                          isfinite, isnan, leaky_relu, less, less_equal, log, log1p, logical_and,
                          logical_not, logical_or, maximum, minimum, not_equal, relu, sigmoid, sign,
                          sin, softplus, sqrt, tanh, where)
from .indexing import getitem, scatter_add
from .linalg import affine, dot, linear, matmul
from .pooling import avg_pool, global_avg_pool, global_max_pool, max_pool
from .probability import log_softmax, one_hot, softmax, softmax_cross_entropy
from .reductions import all, any, argmax, argmin, logsumexp, max, mean, min, prod, std, sum, var
from .shape import (astype, broadcast_to, concatenate, expand_dims, flatten, pad, reshape, split,
                    squeeze, stack, swapaxes, transpose)

abs = absolute

__all__ = [
    # arithmetic
    "add", "subtract", "multiply", "divide", "power", "negative",
    # elementwise functions
    "exp", "log", "log1p", "sqrt", "abs", "absolute", "tanh", "sin", "cos", "softplus", "relu",
    "leaky_relu", "elu", "gelu", "sigmoid", "erf", "sign", "clip", "maximum", "minimum", "where",
    # comparisons and logic (no gradient)
    "greater", "greater_equal", "less", "less_equal", "equal", "not_equal", "logical_and",
    "logical_or", "logical_not", "isfinite", "isnan",
    # reductions
    "sum", "mean", "max", "min", "var", "std", "prod", "logsumexp", "argmax", "argmin", "any", "all",
    # shape
    "reshape", "broadcast_to", "transpose", "swapaxes", "squeeze", "expand_dims", "flatten",
    "concatenate", "stack", "split", "pad", "astype",
    # indexing
    "getitem", "scatter_add",
    # matrix products
    "matmul", "dot", "affine", "linear",
    # probability
    "softmax", "log_softmax", "softmax_cross_entropy", "one_hot",
    # convolution and pooling
    "conv", "conv1d", "conv2d", "conv3d", "conv_transpose", "max_pool", "avg_pool",
    "global_max_pool", "global_avg_pool",
]
