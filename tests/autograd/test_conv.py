"""Convolution: forward against explicit loops over output positions, gradients against finite
differences (first and second order), the adjoint relations, padding rules and errors."""
import importlib
import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograd import Tensor, gradcheck, gradgradcheck, relu
from autograd.ops.convolution import conv, conv1d, conv2d, conv3d, conv_transpose
from autograd.ops.pooling import max_pool

conv_module = importlib.import_module("autograd.ops.convolution")


# ---------------------------------------------------------------------------- loop references

def expected_same_padding(size, kernel, stride, dilation):
    """TensorFlow's 'same' rule: out = ceil(size / stride), extra padding after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return (total // 2, total - total // 2)


def explicit_pads(padding, spatial, kernel, stride, dilation):
    d = len(spatial)
    if padding == "valid":
        return [(0, 0)] * d
    if padding == "same":
        return [expected_same_padding(*a) for a in zip(spatial, kernel, stride, dilation)]
    if isinstance(padding, int):
        return [(padding, padding)] * d
    return [p if isinstance(p, tuple) else (p, p) for p in padding]


def loop_conv(x, w, b, stride, pads, dilation, groups):
    """Direct definition: one output element at a time (vectorised only over the batch)."""
    n, c_in = x.shape[:2]
    c_out, per_group = w.shape[:2]
    kernel = w.shape[2:]
    xp = np.pad(x, [(0, 0), (0, 0)] + list(pads))
    out_shape = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                 for i in range(len(kernel))]
    out = np.zeros((n, c_out, *out_shape))
    per_group_out = c_out // groups
    for o in range(c_out):
        group = o // per_group_out
        channels = slice(group * per_group, (group + 1) * per_group)
        for pos in itertools.product(*map(range, out_shape)):
            window = (slice(None), channels) + tuple(
                slice(p * s, p * s + d * (k - 1) + 1, d)
                for p, s, d, k in zip(pos, stride, dilation, kernel))
            out[(slice(None), o) + pos] = (xp[window] * w[o]).reshape(n, -1).sum(axis=1)
        if b is not None:
            out[:, o] += b[o]
    return out


def loop_conv_transpose(x, w, stride, pads, dilation, groups, output_padding):
    """Scatter definition: every input element adds weight * value into its output window."""
    n, c_in = x.shape[:2]
    per_group_out = w.shape[1]
    kernel = w.shape[2:]
    per_group_in = c_in // groups
    full = [(size - 1) * s + d * (k - 1) + 1 + e
            for size, s, d, k, e in zip(x.shape[2:], stride, dilation, kernel, output_padding)]
    out = np.zeros((n, per_group_out * groups, *full))
    for c in range(c_in):
        group = c // per_group_in
        targets = slice(group * per_group_out, (group + 1) * per_group_out)
        for pos in itertools.product(*map(range, x.shape[2:])):
            for tap in itertools.product(*map(range, kernel)):
                where = tuple(p * s + t * d for p, s, t, d in zip(pos, stride, tap, dilation))
                out[(slice(None), targets) + where] += (
                    x[(slice(None), c) + pos][:, None] * w[(c, slice(None)) + tap])
    crop = tuple(slice(lo, size - hi) for (lo, hi), size in zip(pads, full))
    return out[(slice(None), slice(None)) + crop]


# ---------------------------------------------------------------------------- strategies

@st.composite
def conv_cases(draw, dims):
    """A random (x, w, b, kwargs, padding pairs) with small sizes; every case is valid."""
    groups = draw(st.integers(1, 2))
    per_group_in, per_group_out = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.lists(st.integers(1, 3), min_size=dims, max_size=dims)))
    stride = tuple(draw(st.lists(st.integers(1, 3), min_size=dims, max_size=dims)))
    dilation = tuple(draw(st.lists(st.integers(1, 2), min_size=dims, max_size=dims)))
    spatial = tuple(draw(st.integers(d * (k - 1) + 1, d * (k - 1) + 4))
                    for k, d in zip(kernel, dilation))
    padding = draw(st.one_of(
        st.sampled_from(["valid", "same"]),
        st.integers(0, 2),
        st.lists(st.integers(0, 2), min_size=dims, max_size=dims).map(tuple),
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=dims,
                 max_size=dims).map(tuple)))
    n = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, groups * per_group_in) + spatial)
    w = rng.standard_normal((groups * per_group_out, per_group_in) + kernel)
    b = rng.standard_normal(groups * per_group_out) if draw(st.booleans()) else None
    kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    return x, w, b, kwargs, explicit_pads(padding, spatial, kernel, stride, dilation)


def check_against_loops(case):
    x, w, b, kwargs, pads = case
    got = conv(x, w, b, **kwargs)
    want = loop_conv(x, w, b, kwargs["stride"], pads, kwargs["dilation"], kwargs["groups"])
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    if kwargs["padding"] == "same":
        assert got.shape[2:] == tuple(math.ceil(s / st_) for s, st_ in zip(x.shape[2:], kwargs["stride"]))


@settings(max_examples=60, deadline=None)
@given(conv_cases(1))
def test_conv1d_matches_loops(case):
    check_against_loops(case)


@settings(max_examples=60, deadline=None)
@given(conv_cases(2))
def test_conv2d_matches_loops(case):
    check_against_loops(case)


@settings(max_examples=25, deadline=None)
@given(conv_cases(3))
def test_conv3d_matches_loops(case):
    check_against_loops(case)


@pytest.mark.parametrize("w_shape, stride, padding, dilation, groups", [
    ((6, 2, 2, 3, 1, 2), (1, 2, 1, 2), 1, (1, 1, 1, 1), 2),
    ((6, 2, 2, 3, 1, 2), (1, 1, 1, 1), "same", (1, 1, 2, 2), 2),
    ((3, 4, 2, 2, 2, 1), (2, 2, 2, 2), ((0, 1), (1, 0), (0, 0), (1, 1)), (1, 1, 1, 1), 1),
])
def test_conv4d_matches_loops(w_shape, stride, padding, dilation, groups):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 4, 5, 3, 4))
    w, b = rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    pads = explicit_pads(padding, x.shape[2:], w_shape[2:], stride, dilation)
    want = loop_conv(x, w, b, stride, pads, dilation, groups)
    got = conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(conv_cases(2), st.data())
def test_conv_transpose_matches_scatter_loops(case, data):
    x, _, b, kwargs, _ = case
    stride, dilation, groups = kwargs["stride"], kwargs["dilation"], kwargs["groups"]
    pads = [(p, p) for p in data.draw(st.lists(st.integers(0, 1), min_size=2, max_size=2))]
    extra = tuple(data.draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
    rng = np.random.default_rng(0)
    c_out = groups * data.draw(st.integers(1, 2))
    w = rng.standard_normal((x.shape[1], c_out // groups) + tuple(data.draw(
        st.lists(st.integers(1, 3), min_size=2, max_size=2))))
    want = loop_conv_transpose(x, w, stride, pads, dilation, groups, extra)
    if min(want.shape[2:]) < 1:
        with pytest.raises(ValueError, match="conv_transpose"):
            conv_transpose(x, w, None, stride, [p for p, _ in pads], extra, dilation, groups)
        return
    got = conv_transpose(x, w, None, stride, [p for p, _ in pads], extra, dilation, groups)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def batch_innermost(x):
    """The same values stored with the batch axis innermost in memory."""
    return np.moveaxis(np.ascontiguousarray(np.moveaxis(x, 0, -1)), -1, 0)


@settings(max_examples=25, deadline=None)
@given(conv_cases(2), st.sampled_from(["C", "F", "batch innermost", "strided view"]))
def test_results_do_not_depend_on_memory_layout_or_row_blocking(case, layout):
    x, w, b, kwargs, pads = case
    stored = {"C": x, "F": np.asfortranarray(x), "batch innermost": batch_innermost(x),
              "strided view": np.repeat(x, 2, axis=-1)[..., ::2]}[layout]
    want = loop_conv(x, w, b, kwargs["stride"], pads, kwargs["dilation"], kwargs["groups"])
    previous = conv_module._CHUNK_BYTES
    try:
        conv_module._CHUNK_BYTES = 1  # one output row per im2col block
        got = conv(stored, w, b, **kwargs)
        xt, wt = Tensor(stored, requires_grad=True), Tensor(w, requires_grad=True)
        (conv(xt, wt, b, **kwargs) ** 2).sum().backward()
    finally:
        conv_module._CHUNK_BYTES = previous
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    xr, wr = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    (conv(xr, wr, b, **kwargs) ** 2).sum().backward()
    np.testing.assert_allclose(xt.grad, xr.grad, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(wt.grad, wr.grad, rtol=1e-10, atol=1e-10)


def test_conv_results_stay_batch_innermost_through_pooling():
    """Chained convs hand each other batch-innermost arrays, so no layout copy is needed."""
    rng = np.random.default_rng(8)
    h = conv2d(rng.standard_normal((4, 2, 9, 9)), rng.standard_normal((3, 2, 2, 2)))
    h = max_pool(np.maximum(h, 0), 2)
    assert np.shares_memory(conv_module._batch_last(h), h)


def test_relu_keeps_the_memory_layout_of_conv_results():
    """relu between two convs must keep its input's memory order, as numpy's ufuncs do (an
    operand stored in C order would make it return a C-ordered copy, which every later op and
    the next conv then pay for)."""
    rng = np.random.default_rng(9)
    h = conv2d(rng.standard_normal((128, 2, 12, 12)), rng.standard_normal((3, 2, 3, 3)))
    out = relu(h)
    assert np.shares_memory(conv_module._batch_last(out), out)


# ---------------------------------------------------------------------------- padding rules

@pytest.mark.parametrize("size, kernel, stride, dilation, pads", [
    (5, 3, 1, 1, (1, 1)),
    (5, 2, 1, 1, (0, 1)),   # odd total: the extra element goes after (right/bottom)
    (5, 4, 1, 1, (1, 2)),
    (7, 3, 2, 1, (1, 1)),   # out = ceil(7 / 2) = 4
    (6, 3, 2, 1, (0, 1)),   # out = 3: total padding 1, after
    (6, 1, 3, 1, (0, 0)),
    (5, 3, 1, 2, (2, 2)),
    (4, 5, 4, 1, (0, 1)),   # out = 1: a kernel wider than the input still fits after padding
])
def test_same_padding_follows_tensorflow(size, kernel, stride, dilation, pads):
    x = np.arange(size, dtype=np.float64).reshape(1, 1, size) + 1.0
    w = np.random.default_rng(0).standard_normal((1, 1, kernel))
    got = conv1d(x, w, stride=stride, padding="same", dilation=dilation)
    assert got.shape[-1] == math.ceil(size / stride)
    np.testing.assert_allclose(got, loop_conv(x, w, None, (stride,), [pads], (dilation,), 1))


def test_valid_padding_is_no_padding():
    x = np.random.default_rng(1).standard_normal((2, 3, 7, 6))
    w = np.random.default_rng(2).standard_normal((4, 3, 3, 2))
    np.testing.assert_array_equal(conv2d(x, w, padding="valid"), conv2d(x, w, padding=0))
    assert conv2d(x, w, padding="VALID").shape == (2, 4, 5, 5)


# ---------------------------------------------------------------------------- gradients

GRAD_CASES = [
    ((2, 2, 5, 4), (3, 2, 3, 2), dict(stride=1, padding=0)),
    ((1, 4, 6, 5), (4, 2, 2, 3), dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2)),
    ((2, 1, 5, 5), (2, 1, 3, 3), dict(stride=2, padding="same")),
    ((1, 2, 4, 5), (2, 2, 2, 2), dict(padding="same", dilation=2)),
    ((2, 3, 7), (2, 3, 3), dict(stride=2, padding=((2, 0),))),
    ((1, 2, 3, 4, 3), (2, 1, 2, 2, 2), dict(stride=(1, 2, 1), padding=1, groups=2)),
]


@pytest.mark.parametrize("x_shape, w_shape, kwargs", GRAD_CASES)
def test_conv_gradients_first_and_second_order(x_shape, w_shape, kwargs):
    rng = np.random.default_rng(sum(x_shape))
    x, w, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    f = lambda x, w, b: conv(x, w, b, **kwargs)
    assert gradcheck(f, [x, w, b])
    assert gradgradcheck(f, [x, w, b])


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, output_padding=1),
                                    dict(stride=(1, 2), dilation=(2, 1), groups=2)])
def test_conv_transpose_gradients_first_and_second_order(kwargs):
    rng = np.random.default_rng(7)
    groups = kwargs.get("groups", 1)
    x, w = rng.standard_normal((2, 2, 3, 3)), rng.standard_normal((2, 2, 2, 3))
    b = rng.standard_normal(2 * groups)
    f = lambda x, w, b: conv_transpose(x, w, b, **kwargs)
    assert gradcheck(f, [x, w, b])
    assert gradgradcheck(f, [x, w, b])


def test_only_the_gradients_that_are_needed_are_computed(monkeypatch):
    """An input that does not require grad (the images of a first layer) gets no input
    gradient: the transposed convolution is never run."""
    def must_not_run(*args, **kwargs):
        raise AssertionError("the input gradient was computed")

    monkeypatch.setattr(conv_module, "_conv_input_grad", must_not_run)
    rng = np.random.default_rng(3)
    x = Tensor(rng.standard_normal((2, 1, 6, 6)).astype(np.float32))
    w = Tensor(rng.standard_normal((3, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = conv2d(x, w)
    y.backward(np.ones(y.shape, dtype=np.float32))
    assert x.grad is None
    assert w.grad.dtype == np.float32 and w.grad.shape == (3, 1, 3, 3)
    # d sum(y) / dw[o, 0, i, j] = sum of the input under tap (i, j) over all windows
    want = np.array([[x.data[:, 0, i:i + 4, j:j + 4].sum() for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(w.grad[0, 0], want, rtol=1e-5)


@pytest.mark.parametrize("kwargs", [dict(stride=2, padding=1, dilation=1, groups=1),
                                    dict(stride=(1, 3), padding=((1, 0), (0, 2)), dilation=(2, 1), groups=3)])
def test_adjoint_identities(kwargs):
    """<conv(x, w), y> = <x, dx(y)> = <w, dw(x, y)>: the three maps are mutually adjoint."""
    rng = np.random.default_rng(11)
    x = Tensor(rng.standard_normal((2, 3, 7, 8)), requires_grad=True)
    w = Tensor(rng.standard_normal((6, 3 // kwargs["groups"], 3, 2)), requires_grad=True)
    out = conv(x, w, **kwargs)
    y = rng.standard_normal(out.shape)
    out.backward(y)
    inner = float((out.data * y).sum())
    np.testing.assert_allclose(float((x.data * x.grad).sum()), inner, rtol=1e-10)
    np.testing.assert_allclose(float((w.data * w.grad).sum()), inner, rtol=1e-10)


def test_float32_stays_float32():
    rng = np.random.default_rng(5)
    x = Tensor(rng.standard_normal((2, 2, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 2, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, np.float32), requires_grad=True)
    y = conv2d(x, w, b, padding="same")
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


def test_retained_graph_gives_the_same_gradients_twice():
    rng = np.random.default_rng(6)
    x = Tensor(rng.standard_normal((2, 2, 5, 5)), requires_grad=True)
    w = Tensor(rng.standard_normal((3, 2, 2, 2)), requires_grad=True)
    y = (conv2d(x, w, stride=2, padding=1) ** 2).sum()
    y.backward(retain_graph=True)
    first = w.grad.copy(), x.grad.copy()
    y.backward()
    np.testing.assert_allclose(w.grad, 2 * first[0])
    np.testing.assert_allclose(x.grad, 2 * first[1])


def test_plain_arrays_in_plain_arrays_out():
    x = np.ones((1, 1, 3, 3))
    out = conv2d(x, np.ones((1, 1, 2, 2)))
    assert type(out) is np.ndarray
    np.testing.assert_array_equal(out, np.full((1, 1, 2, 2), 4.0))


# ---------------------------------------------------------------------------- errors

@pytest.mark.parametrize("x_shape, w_shape, kwargs, message", [
    ((2, 3, 5, 5), (4, 2, 3, 3), {}, r"conv: input has 3 channels but weight shape \(4, 2, 3, 3\)"),
    ((2, 4, 5, 5), (3, 2, 3, 3), dict(groups=2), r"groups=2 must divide .* output channels \(3\)"),
    ((2, 3, 5, 5), (4, 1, 3, 3), dict(groups=2), r"groups=2 must divide both the input channels \(3\)"),
    ((2, 3, 5, 5), (4, 3, 6, 3), {}, r"kernel \(6, 3\).*larger than the padded input \(5, 5\)"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(dilation=3), r"spanning \(7, 7\).*padded input \(5, 5\)"),
    ((2, 3, 5, 5), (4, 3, 3), {}, r"conv: weight must have shape \(C_out, C_in // groups, \*kernel\)"),
    ((2, 3), (4, 3), {}, r"conv: input must have shape \(N, C, \*spatial\).*got shape \(2, 3\)"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(stride=0), r"conv: every entry of stride must be >= 1"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(stride=(1, 2, 1)), r"conv: stride \(1, 2, 1\) has 3 entries"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(padding="full"), r"conv: padding must be .*'same'"),
    ((2, 3, 5, 5), (4, 3, 3, 3), dict(padding=-1), r"conv: every entry of padding must be >= 0"),
])
def test_conv_errors_name_the_op_and_shapes(x_shape, w_shape, kwargs, message):
    with pytest.raises(ValueError, match=message):
        conv(np.zeros(x_shape), np.zeros(w_shape), **kwargs)


def test_bias_shape_and_rank_wrappers_are_checked():
    with pytest.raises(ValueError, match=r"conv: bias must have shape \(4,\).*got \(3,\)"):
        conv(np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match=r"conv2d: input must have shape \(N, C_in, H, W\), got "
                                         r"shape \(1, 2, 5\)"):
        conv2d(np.zeros((1, 2, 5)), np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match=r"conv1d: .*\(N, C_in, L\)"):
        conv1d(np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv3d: .*\(N, C_in, D, H, W\)"):
        conv3d(np.zeros((1, 2, 5, 5)), np.zeros((4, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv_transpose: input has 3 channels"):
        conv_transpose(np.zeros((1, 3, 4, 4)), np.zeros((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"conv_transpose: output_padding \(2, 2\) must be smaller"):
        conv_transpose(np.zeros((1, 2, 4, 4)), np.zeros((2, 2, 3, 3)), stride=2, output_padding=2)
