"""Matrix products: ``matmul`` (``@``) with numpy's rules for 1-D operands and batched stacks,
and the dense-layer products ``affine`` (Keras kernel layout) and ``linear`` (PyTorch layout).

    d(x @ y)                  = g @ y^T,  x^T @ g   (1-D cases promoted, batch axes summed)
    d(x @ K + b),  K (in, out) = g @ K^T,  X^T @ G,  sum of G over rows
    d(x @ W^T + b), W (out, in) = g @ W,    G^T @ X,  sum of G over rows
where X and G are ``x`` and ``g`` with every leading axis folded into rows.
"""
import numpy as np

from ..primitive import primitive
from .shape import swapaxes, unbroadcast

__all__ = ["matmul", "dot", "affine", "linear"]


def _mismatch(op, xs, ys):
    """Why ``op`` cannot multiply operands of shapes ``xs`` and ``ys`` (numpy's matmul rules)."""
    if not xs or not ys:
        return f"{op}: operands must have at least one dimension, got shapes {xs} and {ys}"
    inner_x = xs[-1]
    inner_y = ys[0] if len(ys) == 1 else ys[-2]
    if inner_x != inner_y:
        return (f"{op}: shapes {xs} and {ys} are not aligned: {inner_x} (last axis of the first) "
                f"!= {inner_y} ({'only' if len(ys) == 1 else 'second-to-last'} axis of the second)")
    return f"{op}: batch axes of shapes {xs} and {ys} cannot be broadcast"


@primitive
def matmul(x, y):
    """Matrix product; 1-D operands act as vectors, leading axes broadcast as a batch."""
    try:
        return np.matmul(x, y)
    except ValueError:
        raise ValueError(_mismatch("matmul", np.shape(x), np.shape(y))) from None


def _matmul_dx(g, ans, x, y):
    if y.ndim == 1:
        if x.ndim == 1:
            return g * y
        return unbroadcast(g[..., None] * y, x)
    if x.ndim == 1:
        return unbroadcast(matmul(y, g[..., None])[..., 0], x)
    return unbroadcast(matmul(g, swapaxes(y, -1, -2)), x)


def _matmul_dy(g, ans, x, y):
    if x.ndim == 1:
        if y.ndim == 1:
            return g * x
        return unbroadcast(x[:, None] * g[..., None, :], y)
    if y.ndim == 1:
        return unbroadcast(matmul(swapaxes(x, -1, -2), g[..., None])[..., 0], y)
    return unbroadcast(matmul(swapaxes(x, -1, -2), g), y)


matmul.defvjp(_matmul_dx, _matmul_dy)


def dot(x, y):
    """Inner product of two 1-D tensors, or matmul for higher dimensions."""
    return matmul(x, y)


def _dense(op, x, weight, bias, transposed):
    """``x @ weight + bias`` (``x @ weight.T + bias`` when ``transposed``), checked; the bias
    goes into the fresh product, which saves a pass and an array over matmul-then-add."""
    weight = np.asanyarray(weight)
    units = weight.shape[0] if transposed else weight.shape[-1]
    if weight.ndim != 2 or (bias is not None and np.shape(bias) != (units,)):
        expected = "weight (out, in)" if transposed else "kernel (in, out)"
        raise ValueError(f"{op}: expected {expected} and bias (out,), got shapes "
                         f"{weight.shape} and {None if bias is None else np.shape(bias)}")
    try:
        out = _rows_times(x, weight.T if transposed else weight)
    except ValueError:
        raise ValueError(_mismatch(op, np.shape(x), weight.T.shape if transposed else weight.shape)) from None
    if bias is None:
        return out
    try:
        out += bias
    except TypeError:  # an integer product with a floating bias
        out = out + bias
    return out


def _rows(a):
    """``a`` with every leading axis folded into one: (..., n) -> (rows, n)."""
    return a.reshape(-1, a.shape[-1])


def _rows_times(a, matrix):
    """``a @ matrix`` for ``a`` of any number of axes, as one matrix product of ``a``'s rows
    (numpy would run one small product per leading index, two to three times slower)."""
    if a.ndim <= 2:
        return a @ matrix
    shape = a.shape
    if shape[-1] != matrix.shape[0]:
        raise ValueError(f"matmul: {shape} and {matrix.shape} do not fit")
    return (_rows(a) @ matrix).reshape(shape[:-1] + (matrix.shape[-1],))


def _dense_dbias(g, *_, **__):
    rows = _rows(g)
    if isinstance(rows, np.ndarray):
        return np.ones(len(rows), dtype=rows.dtype) @ rows  # a matrix-vector product beats sum(axis=0)
    return rows.sum(axis=0)


@primitive
def affine(x, kernel, bias):
    """``x @ kernel + bias`` as one op (a Keras dense layer): ``kernel`` (in, out), ``bias``
    (out,) or None."""
    return _dense("affine", x, kernel, bias, transposed=False)


affine.defvjp(lambda g, ans, x, kernel, bias: _rows_times(g, kernel.T),
              lambda g, ans, x, kernel, bias: _rows(x).T @ _rows(g),
              _dense_dbias)


@primitive
def linear(x, weight, bias):
    """``x @ weight.T + bias`` as one op (a PyTorch linear layer): ``weight`` (out, in),
    ``bias`` (out,) or None. The weight gradient comes out in the weight's own layout."""
    return _dense("linear", x, weight, bias, transposed=True)


linear.defvjp(lambda g, ans, x, weight, bias: _rows_times(g, weight),
              lambda g, ans, x, weight, bias: _rows(g).T @ _rows(x),
              _dense_dbias)
