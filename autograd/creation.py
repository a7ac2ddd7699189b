"""Tensor factories and the seedable random generator."""
import numpy as np

from .randomness import generator, seed
from .tensor import Tensor

__all__ = ["tensor", "zeros", "ones", "full", "arange", "eye", "rand", "randn", "zeros_like",
           "ones_like", "full_like", "rand_like", "randn_like", "seed", "generator"]


def _shape(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def tensor(data, requires_grad=False, dtype=None, name=None):
    """Create a tensor (same as ``Tensor(...)``)."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


def zeros(*shape, dtype=np.float32, requires_grad=False):
    """A tensor of zeros."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape, dtype=np.float32, requires_grad=False):
    """A tensor of ones."""
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def full(shape, fill_value, dtype=np.float32, requires_grad=False):
    """A tensor filled with ``fill_value``."""
    return Tensor(np.full(shape, fill_value, dtype=dtype), requires_grad=requires_grad)


def arange(start, stop=None, step=1, dtype=None, requires_grad=False):
    """Evenly spaced values in [start, stop) (integers stay int64, as in numpy)."""
    data = np.arange(start, stop, step) if stop is not None else np.arange(start)
    if dtype is not None:
        data = data.astype(dtype)
    elif data.dtype == np.float64:
        data = data.astype(np.float32)
    return Tensor(data, requires_grad=requires_grad)


def eye(n, m=None, dtype=np.float32, requires_grad=False):
    """Identity matrix (n x m)."""
    return Tensor(np.eye(n, m, dtype=dtype), requires_grad=requires_grad)


def rand(*shape, dtype=np.float32, requires_grad=False, rng=None):
    """Uniform samples in [0, 1)."""
    rng = rng or generator()
    return Tensor(rng.random(_shape(shape)).astype(dtype), requires_grad=requires_grad)


def randn(*shape, dtype=np.float32, requires_grad=False, rng=None):
    """Standard normal samples."""
    rng = rng or generator()
    return Tensor(rng.standard_normal(_shape(shape)).astype(dtype), requires_grad=requires_grad)


def _like(factory):
    def like(x, dtype=None, requires_grad=False, **kwargs):
        data = x.data if isinstance(x, Tensor) else np.asarray(x)
        return factory(*data.shape, dtype=dtype or data.dtype, requires_grad=requires_grad, **kwargs)
    like.__name__ = factory.__name__ + "_like"
    like.__doc__ = f"``{factory.__name__}`` with the shape (and by default the dtype) of ``x``."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(x, fill_value, dtype=None, requires_grad=False):
    """``full`` with the shape (and by default the dtype) of ``x``."""
    data = x.data if isinstance(x, Tensor) else np.asarray(x)
    return full(data.shape, fill_value, dtype=dtype or data.dtype, requires_grad=requires_grad)
