"""Matrix products: ``matmul`` (``@``) with numpy's rules for 1-D operands and batched stacks.

    d(x @ y) = g @ y^T, x^T @ g         (with the 1-D cases promoted and batch axes summed)
"""
import numpy as np

from ..primitive import primitive
from .shape import swapaxes, unbroadcast


@primitive
def matmul(x, y):
    """Matrix product; 1-D operands act as vectors, leading axes broadcast as a batch."""
    xs, ys = np.shape(x), np.shape(y)
    if not xs or not ys:
        raise ValueError(f"matmul: operands must have at least one dimension, got shapes {xs} and {ys}")
    inner_x = xs[-1]
    inner_y = ys[0] if len(ys) == 1 else ys[-2]
    if inner_x != inner_y:
        raise ValueError(f"matmul: shapes {xs} and {ys} are not aligned: {inner_x} (last axis of the "
                         f"first) != {inner_y} ({'only' if len(ys) == 1 else 'second-to-last'} axis of the second)")
    try:
        return np.matmul(x, y)
    except ValueError:
        raise ValueError(f"matmul: batch axes of shapes {xs} and {ys} cannot be broadcast") from None


def _matmul_dx(g, ans, x, y):
    if y.ndim == 1:
        if x.ndim == 1:
            return g * y
        return unbroadcast(g[..., None] * y, x.shape)
    if x.ndim == 1:
        return unbroadcast(matmul(y, g[..., None])[..., 0], x.shape)
    return unbroadcast(matmul(g, swapaxes(y, -1, -2)), x.shape)


def _matmul_dy(g, ans, x, y):
    if x.ndim == 1:
        if y.ndim == 1:
            return g * x
        return unbroadcast(x[:, None] * g[..., None, :], y.shape)
    if y.ndim == 1:
        return unbroadcast(matmul(swapaxes(x, -1, -2), g[..., None])[..., 0], y.shape)
    return unbroadcast(matmul(swapaxes(x, -1, -2), g), y.shape)


matmul.defvjp(_matmul_dx, _matmul_dy)


def dot(x, y):
    """Inner product of two 1-D tensors, or matmul for higher dimensions."""
    return matmul(x, y)


@primitive
def affine(x, kernel, bias):
    """``x @ kernel + bias`` as one op (a dense layer): ``kernel`` (in, out), ``bias`` (out,).
    Saves a pass and an array over matmul-then-add, as the bias goes into the fresh product."""
    kernel_shape, bias_shape = np.shape(kernel), np.shape(bias)
    if len(kernel_shape) != 2 or bias_shape != kernel_shape[1:]:
        raise ValueError(f"affine: expected kernel (in, out) and bias (out,), got shapes "
                         f"{kernel_shape} and {bias_shape}")
    out = matmul(x, kernel)
    if type(out) is np.ndarray and out.ndim:
        out += bias
        return out
    return out + bias


def _affine_dbias(g, ans, x, kernel, bias):
    if type(g) is np.ndarray and g.ndim == 2:
        return np.ones(len(g), dtype=g.dtype) @ g  # a matrix-vector product beats sum(axis=0)
    return unbroadcast(g, bias.shape)


affine.defvjp(lambda g, ans, x, kernel, bias: _matmul_dx(g, ans, x, kernel),
              lambda g, ans, x, kernel, bias: _matmul_dy(g, ans, x, kernel),
              _affine_dbias)
