"""Pooling: forward and backward against explicit loops over windows, the max-pool tie rule,
finite-difference gradients (first and second order), global pooling and errors."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograd import Tensor, gradcheck, gradgradcheck, gradients
from autograd.ops.pooling import avg_pool, global_avg_pool, global_max_pool, max_pool


# ---------------------------------------------------------------------------- loop references

def windows_of(shape, kernel, stride, padding):
    """Yield (output position, index of the window in the padded input)."""
    out = [(s + 2 * p - k) // st_ + 1 for s, k, st_, p in zip(shape, kernel, stride, padding)]
    for pos in itertools.product(*map(range, out)):
        yield pos, tuple(slice(o * st_, o * st_ + k) for o, st_, k in zip(pos, stride, kernel))


def loop_max_pool(x, g, kernel, stride, padding):
    """Output, and input gradient for output gradient g, one window at a time: the first
    largest element (row-major) of each window receives the window's gradient."""
    pad = [(0, 0), (0, 0)] + [(p, p) for p in padding]
    xp = np.pad(x, pad, constant_values=-np.inf)
    grad = np.zeros_like(xp)
    outs = {}
    for pos, window in windows_of(x.shape[2:], kernel, stride, padding):
        for n, c in itertools.product(range(x.shape[0]), range(x.shape[1])):
            block = xp[(n, c) + window]
            first = np.unravel_index(np.argmax(block), block.shape)
            outs[(n, c) + pos] = block[first]
            grad[(n, c) + tuple(w.start + f for w, f in zip(window, first))] += g[(n, c) + pos]
    out = np.zeros(g.shape)
    for index, value in outs.items():
        out[index] = value
    crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, x.shape[2:]))
    return out, grad[crop]


def loop_avg_pool(x, g, kernel, stride, padding, count_include_pad):
    pad = [(0, 0), (0, 0)] + [(p, p) for p in padding]
    xp = np.pad(x, pad)
    real = np.pad(np.ones(x.shape[2:]), [(p, p) for p in padding])
    grad = np.zeros_like(xp)
    out = np.zeros(g.shape)
    for pos, window in windows_of(x.shape[2:], kernel, stride, padding):
        count = np.prod(kernel) if count_include_pad else real[window].sum()
        out[(slice(None), slice(None)) + pos] = xp[(slice(None), slice(None)) + window].sum(
            axis=tuple(range(2, 2 + len(kernel)))) / count
        grad[(slice(None), slice(None)) + window] += (
            g[(slice(None), slice(None)) + pos].reshape(g.shape[:2] + (1,) * len(kernel)) / count)
    crop = (slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(padding, x.shape[2:]))
    return out, grad[crop]


@st.composite
def pool_cases(draw, dims):
    kernel = tuple(draw(st.lists(st.integers(1, 3), min_size=dims, max_size=dims)))
    stride = tuple(draw(st.lists(st.integers(1, 3), min_size=dims, max_size=dims)))
    padding = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    spatial = tuple(draw(st.integers(max(k - 2 * p, 1), k + 3)) for k, p in zip(kernel, padding))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    # small integers: many ties, so the tie rule and the accumulation are exercised
    x = rng.integers(-2, 3, (draw(st.integers(1, 2)), draw(st.integers(1, 2))) + spatial).astype(np.float64)
    if draw(st.booleans()):  # the same values stored batch-innermost, as conv results are
        x = np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 0, -1)), -1, 0)
    return x, kernel, stride, padding


def check_max_pool(case):
    x, kernel, stride, padding = case
    t = Tensor(x, requires_grad=True)
    y = max_pool(t, kernel, stride, padding)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(g)
    want_y, want_grad = loop_max_pool(x, g, kernel, stride, padding)
    np.testing.assert_array_equal(y.data, want_y)
    np.testing.assert_allclose(t.grad, want_grad, rtol=1e-12, atol=1e-12)


def check_avg_pool(case, count_include_pad):
    x, kernel, stride, padding = case
    t = Tensor(x, requires_grad=True)
    y = avg_pool(t, kernel, stride, padding, count_include_pad=count_include_pad)
    g = np.random.default_rng(2).standard_normal(y.shape)
    y.backward(g)
    want_y, want_grad = loop_avg_pool(x, g, kernel, stride, padding, count_include_pad)
    np.testing.assert_allclose(y.data, want_y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(t.grad, want_grad, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dims, examples", [(1, 40), (2, 40), (3, 15)])
def test_max_pool_matches_loops(dims, examples):
    settings(max_examples=examples, deadline=None)(given(pool_cases(dims))(check_max_pool))()


@pytest.mark.parametrize("dims, examples", [(1, 30), (2, 30), (3, 10)])
def test_avg_pool_matches_loops(dims, examples):
    run = given(pool_cases(dims), st.booleans())(check_avg_pool)
    settings(max_examples=examples, deadline=None)(run)()


def test_default_stride_is_the_kernel_and_fast_path_shapes():
    x = np.arange(2 * 3 * 6 * 8, dtype=np.float64).reshape(2, 3, 6, 8)
    y = max_pool(x, 2)
    assert y.shape == (2, 3, 3, 4)
    np.testing.assert_array_equal(y, x.reshape(2, 3, 3, 2, 4, 2).max(axis=(3, 5)))
    np.testing.assert_allclose(avg_pool(x, (3, 2)), x.reshape(2, 3, 2, 3, 4, 2).mean(axis=(3, 5)))
    # sizes that do not divide: the trailing rows and columns are dropped, as in PyTorch
    assert max_pool(np.zeros((1, 1, 7, 5)), 2).shape == (1, 1, 3, 2)


# ---------------------------------------------------------------------------- tie rule

def test_max_pool_ties_go_to_the_first_element_in_row_major_order():
    x = Tensor(np.array([[[[0.0, 5.0, 1.0, 1.0],
                           [5.0, 0.0, 1.0, 1.0]]]]), requires_grad=True)
    y = max_pool(x, 2)
    np.testing.assert_array_equal(y.data, [[[[5.0, 1.0]]]])
    y.backward(np.array([[[[10.0, 20.0]]]]))
    np.testing.assert_array_equal(x.grad, [[[[0.0, 10.0, 20.0, 0.0],
                                             [0.0, 0.0, 0.0, 0.0]]]])


def test_max_pool_overlapping_windows_accumulate():
    x = Tensor(np.array([[[1.0, 3.0, 3.0, 2.0, 0.0]]]), requires_grad=True)
    y = max_pool(x, 2, stride=1)  # windows [1,3] [3,3] [3,2] [2,0]
    np.testing.assert_array_equal(y.data, [[[3.0, 3.0, 3.0, 2.0]]])
    y.backward(np.array([[[1.0, 10.0, 100.0, 1000.0]]]))
    np.testing.assert_array_equal(x.grad, [[[0.0, 11.0, 100.0, 1000.0, 0.0]]])


def test_max_pool_padding_never_wins_and_nan_propagates():
    x = Tensor(np.full((1, 1, 3), -5.0), requires_grad=True)
    y = max_pool(x, 3, stride=1, padding=1)
    np.testing.assert_array_equal(y.data, [[[-5.0, -5.0, -5.0]]])
    y.backward(np.ones((1, 1, 3)))
    np.testing.assert_array_equal(x.grad, [[[2.0, 1.0, 0.0]]])
    z = Tensor(np.array([[[1.0, np.nan, np.nan, 0.0, np.nan, 2.0, 3.0, 4.0, 5.0]]]), requires_grad=True)
    out = max_pool(z, 3)
    assert np.isnan(out.data[0, 0, :2]).all() and out.data[0, 0, 2] == 5.0
    out.backward(np.array([[[1.0, 10.0, 100.0]]]))  # each NaN window: its first NaN wins
    np.testing.assert_array_equal(z.grad, [[[0.0, 1.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0, 100.0]]])


# ---------------------------------------------------------------------------- gradients

def distinct_values(shape, seed):
    """Well separated values (no near ties), so finite differences see a smooth max."""
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
            + rng.uniform(-0.01, 0.01, shape))


@pytest.mark.parametrize("shape, kwargs", [
    ((2, 2, 4, 4), dict(kernel_size=2)),
    ((1, 2, 5, 4), dict(kernel_size=(3, 2), stride=(1, 2), padding=(1, 0))),
    ((1, 1, 3, 4, 4), dict(kernel_size=2, stride=1)),
])
def test_max_pool_gradients_first_and_second_order(shape, kwargs):
    f = lambda x: max_pool(x, **kwargs) ** 2  # squared: the second derivative is not zero
    assert gradcheck(f, [distinct_values(shape, 0)])
    assert gradgradcheck(f, [distinct_values(shape, 1)])


@pytest.mark.parametrize("shape, kwargs", [
    ((2, 2, 4, 5), dict(kernel_size=2)),
    ((1, 2, 5, 4), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 1, 4, 3, 3), dict(kernel_size=(2, 3, 1), stride=1, padding=(1, 1, 0))),
])
def test_avg_pool_gradients_first_and_second_order(shape, kwargs):
    f = lambda x: avg_pool(x, **kwargs) ** 2
    x = np.random.default_rng(3).standard_normal(shape)
    assert gradcheck(f, [x])
    assert gradgradcheck(f, [x])


def test_max_pool_second_derivative_is_two_at_the_winners():
    """d2/dx2 sum(max_pool(x)^2) is diagonal, 2 at each window's winner and 0 elsewhere."""
    x = Tensor(np.array([[[[1.0, 4.0], [2.0, 3.0]]]]), requires_grad=True)
    (grad,) = gradients([(max_pool(x, 2) ** 2).sum()], [x], create_graph=True)
    np.testing.assert_array_equal(grad.data, [[[[0.0, 8.0], [0.0, 0.0]]]])
    grad.sum().backward()
    np.testing.assert_array_equal(x.grad, [[[[0.0, 2.0], [0.0, 0.0]]]])


def test_float32_stays_float32():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32),
               requires_grad=True)
    y = max_pool(x, 2) + avg_pool(x, 3, 1, 1)[..., ::2, ::2] + global_avg_pool(x, keepdims=True)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


# ---------------------------------------------------------------------------- global pooling

def test_global_pooling_reduces_every_spatial_axis():
    x = np.random.default_rng(4).standard_normal((2, 3, 4, 5, 2))
    np.testing.assert_allclose(global_avg_pool(x), x.mean(axis=(2, 3, 4)))
    np.testing.assert_allclose(global_max_pool(x), x.max(axis=(2, 3, 4)))
    assert global_avg_pool(x, keepdims=True).shape == (2, 3, 1, 1, 1)
    assert gradcheck(lambda t: global_avg_pool(t) ** 2, [x[:1, :2]])
    assert gradcheck(lambda t: global_max_pool(t) ** 2, [distinct_values((1, 2, 3, 2), 5)])


def test_global_max_pool_ties_share_the_gradient():
    x = Tensor(np.array([[[2.0, 2.0, 1.0]]]), requires_grad=True)
    global_max_pool(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [[[0.5, 0.5, 0.0]]])


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("pool", [max_pool, avg_pool])
def test_pool_errors_name_the_op_and_shapes(pool):
    name = pool.__name__
    with pytest.raises(ValueError, match=rf"{name}: padding \(2, 0\) must be at most half the "
                                         r"kernel size \(3, 3\)"):
        pool(np.zeros((1, 1, 5, 5)), 3, padding=(2, 0))
    with pytest.raises(ValueError, match=rf"{name}: kernel \(4, 4\).*larger than the padded input \(3, 5\)"):
        pool(np.zeros((1, 1, 3, 5)), 4)
    with pytest.raises(ValueError, match=rf"{name}: input must have shape \(N, C, \*spatial\).*\(4, 4\)"):
        pool(np.zeros((4, 4)), 2)
    with pytest.raises(ValueError, match=rf"{name}: kernel_size \(2, 2, 2\) has 3 entries"):
        pool(np.zeros((1, 1, 4, 4)), (2, 2, 2))
    with pytest.raises(ValueError, match=rf"global_avg_pool: input must have shape"):
        global_avg_pool(np.zeros((3, 4)))
