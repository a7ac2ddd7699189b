"""Hypothesis strategies and checkers for property-testing differentiable functions.

Requires ``hypothesis`` (``pip install lucidgrad[test]``). Example, a test of your own op::

    from hypothesis import given
    from autograd import testing

    @given(testing.arrays(shape=testing.shapes(max_dims=3), min_value=-3, max_value=3))
    def test_my_op(x):
        testing.check_gradients(my_op, x, order=2)

``check_gradients`` runs ``gradcheck`` (and ``gradgradcheck`` for ``order=2``) in float64.
"""
import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra import numpy as hnp

from .gradcheck import gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["scalars", "shapes", "broadcastable_shapes", "arrays", "tensors", "axes", "basic_indices",
           "integer_array_indices", "boolean_masks", "check_gradients", "away_from"]


def scalars(min_value=-5.0, max_value=5.0, avoid=None, margin=1e-3):
    """Finite floats in [min_value, max_value], optionally kept ``margin`` away from the points in
    ``avoid`` (kinks such as 0 for relu, where finite differences are meaningless)."""
    values = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False)
    if avoid:
        points = list(avoid)
        values = values.filter(lambda v: all(abs(v - p) > margin for p in points))
    return values


def shapes(min_dims=0, max_dims=4, min_side=1, max_side=5):
    """Array shapes (tuples of sides)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=1, max_side=5):
    """Tuples of ``num_shapes`` shapes that broadcast together (leading axes and size-1 axes)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims,
                                             max_dims=max_dims, min_side=min_side,
                                             max_side=max_side).map(lambda bs: bs.input_shapes)


def arrays(shape=None, dtype=np.float64, min_value=-5.0, max_value=5.0, avoid=None, margin=1e-3):
    """float arrays of ``shape`` (a tuple or a strategy; default: ``shapes()``) with elements in
    [min_value, max_value], away from the points in ``avoid``."""
    shape = shapes() if shape is None else shape
    elements = scalars(min_value, max_value, avoid, margin)
    return hnp.arrays(dtype=dtype, shape=shape, elements=elements)


def tensors(shape=None, dtype=np.float64, min_value=-5.0, max_value=5.0, requires_grad=True, **kw):
    """``Tensor``s built from ``arrays(...)``."""
    return arrays(shape, dtype, min_value, max_value, **kw).map(
        lambda a: Tensor(a, requires_grad=requires_grad))


def axes(ndim, allow_none=True, allow_tuple=True):
    """A valid ``axis`` argument for an ``ndim``-dimensional array: None, an int (negative too)
    or a tuple of distinct axes."""
    options = []
    if allow_none:
        options.append(st.none())
    if ndim > 0:
        options.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            options.append(hnp.valid_tuple_axes(ndim, min_size=1))
    return st.one_of(*options) if options else st.none()


def basic_indices(shape):
    """Indices made of slices, integers, None and Ellipsis, valid for ``shape``."""
    return hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True)


def integer_array_indices(shape, result_shape=None):
    """Tuples of integer arrays (repeats allowed) indexing ``shape``."""
    return hnp.integer_array_indices(shape, result_shape=result_shape if result_shape is not None
                                     else hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))


def boolean_masks(shape):
    """Boolean arrays of ``shape`` (for ``x[mask]``)."""
    return hnp.arrays(dtype=np.bool_, shape=shape)


def check_gradients(f, *inputs, order=1, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Assert that ``f``'s derivatives up to ``order`` (1 or 2) match finite differences at
    ``inputs``; raises ``GradcheckError`` with the failing element otherwise."""
    if order not in (1, 2):
        raise ValueError(f"check_gradients: order must be 1 or 2, got {order}")
    gradcheck(f, list(inputs), eps=eps, atol=atol, rtol=rtol)
    if order == 2:
        gradgradcheck(f, list(inputs), eps=eps, atol=atol, rtol=rtol)
    return True


def away_from(x, points, margin=1e-3):
    """Inside a hypothesis test: discard examples where any element of ``x`` is within ``margin``
    of one of ``points`` (e.g. ties for max, kinks for abs)."""
    data = np.asarray(x)
    for p in points:
        assume(not np.any(np.abs(data - p) <= margin))
    return x
