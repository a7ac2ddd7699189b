"""Elementwise tensor functions: forward against numpy, first and second derivatives against
finite differences (generated from ``op_cases.UNARY``), the subgradients at kinks, ``where`` and
``clip``, and numpy dispatch."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import PROPERTY, SHAPES, UNARY, small


@pytest.mark.parametrize("case", UNARY, ids=repr)
@PROPERTY
@given(data=st.data())
def test_forward_matches_numpy(case, data):
    a = data.draw(case.arrays(SHAPES))
    out = case.op(Tensor(a))
    assert isinstance(out, Tensor)
    assert out.shape == a.shape
    np.testing.assert_allclose(out.data, case.reference(a), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", UNARY, ids=repr)
@PROPERTY
@given(data=st.data())
def test_first_and_second_derivatives(case, data):
    a = data.draw(case.arrays(SHAPES))
    testing.check_gradients(case.op, a, order=2)


@pytest.mark.parametrize("case", [c for c in UNARY if c.method], ids=repr)
def test_method_is_the_function(case):
    a = np.linspace(max(case.low, -2.0), min(case.high, 2.0), 7) + 0.0123
    np.testing.assert_array_equal(getattr(Tensor(a), case.method)().data, case.op(Tensor(a)).data)


@pytest.mark.parametrize("case", [c for c in UNARY if c.name != "astype"], ids=repr)
def test_float32_in_float32_out_and_gradient_dtype(case):
    a = np.linspace(max(case.low, -2.0), min(case.high, 2.0), 5).astype(np.float32) + np.float32(0.0123)
    x = Tensor(a, requires_grad=True)
    y = case.op(x)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == a.shape


@pytest.mark.parametrize("ufunc, name", [(np.exp, "exp"), (np.log, "log"), (np.sqrt, "sqrt"),
                                         (np.tanh, "tanh"), (np.sin, "sin"), (np.cos, "cos"),
                                         (np.abs, "abs"), (np.log1p, "log1p"),
                                         (np.negative, "negative")])
def test_numpy_ufuncs_dispatch_to_tensor_ops(ufunc, name):
    x = Tensor(np.array([0.5, 1.5, 2.5]), requires_grad=True)
    y = ufunc(x)
    assert isinstance(y, Tensor) and y.op.name == name
    np.testing.assert_allclose(y.data, ufunc(x.data))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, UFUNC_DERIVATIVES[name](x.data), rtol=1e-12)


UFUNC_DERIVATIVES = {
    "exp": np.exp, "log": lambda a: 1 / a, "sqrt": lambda a: 0.5 / np.sqrt(a),
    "tanh": lambda a: 1 - np.tanh(a) ** 2, "sin": np.cos, "cos": lambda a: -np.sin(a),
    "abs": np.sign, "log1p": lambda a: 1 / (1 + a), "negative": lambda a: -np.ones_like(a),
}


# ----------------------------------------------------------------------------- kinks
# The subgradient table of ``autograd.value`` holds for tensors too.
@pytest.mark.parametrize("fn, x0, slope", [
    (ag.relu, 0.0, 0.0),
    (ag.abs, 0.0, 0.0),
    (lambda t: ag.leaky_relu(t, negative_slope=0.1), 0.0, 0.1),
    (lambda t: ag.leaky_relu(t, 0.3), 0.0, 0.3),
    (lambda t: ag.elu(t, alpha=2.0), 0.0, 2.0),
    (lambda t: ag.clip(t, 0.0, 1.0), 0.0, 1.0),
    (lambda t: ag.clip(t, 0.0, 1.0), 1.0, 1.0),
    (lambda t: ag.clip(t, a_min=0.0), -1.0, 0.0),
    (lambda t: ag.clip(t, a_max=0.0), 1.0, 0.0),
    (lambda t: ag.clip(t, a_max=0.0), -1.0, 1.0),
    (ag.sqrt, 0.0, math.inf),
    (ag.log, 0.0, math.inf),
    (lambda t: t ** 2, 0.0, 0.0),
    (lambda t: t ** 1, 0.0, 1.0),
    (lambda t: t ** 0.5, 0.0, math.inf),
], ids=["relu", "abs", "leaky_relu", "leaky_relu_positional", "elu", "clip_low", "clip_high",
        "clip_min_only", "clip_max_only", "clip_max_only_inside", "sqrt", "log", "pow2", "pow1",
        "pow_half"])
def test_derivative_at_kinks_and_domain_edges(fn, x0, slope):
    x = Tensor(np.array([x0]), requires_grad=True)
    with np.errstate(divide="ignore"):  # the infinite slopes are the expected answer
        fn(x).sum().backward()
    assert x.grad[0] == slope


@PROPERTY
@given(shapes=testing.broadcastable_shapes(2, max_dims=3, max_side=3), data=st.data())
def test_kink_of_a_composite_is_avoided_with_away_from(shapes, data):
    x = data.draw(testing.arrays(shapes[0]))
    y = data.draw(testing.arrays(shapes[1]))
    # relu(x - y) has a kink where x == y, which hypothesis loves to generate: discard those.
    testing.away_from(np.subtract(x, y), [0.0])
    np.testing.assert_array_equal(ag.relu(Tensor(x) - Tensor(y)).data, np.maximum(x - y, 0))
    testing.check_gradients(lambda a, b: ag.relu(a - b) * a, x, y, order=2)


def test_power_with_zero_exponent_has_zero_derivative_at_zero_base():
    # d/dx x**0 = 0 everywhere, including x = 0 (documented in arithmetic.py and value.py).
    x = Tensor(np.array([0.0, 2.0]), requires_grad=True)
    (x ** 0).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_exponent_derivative_at_zero_base_is_zero():
    p = Tensor(np.array([0.0, 1.0, 2.5]), requires_grad=True)
    (Tensor(np.zeros(3)) ** p).sum().backward()
    np.testing.assert_array_equal(p.grad, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("fn", [ag.gelu, ag.erf, lambda t: ag.gelu(t, approximate="tanh")],
                         ids=["gelu", "erf", "gelu_tanh"])
def test_zero_dimensional_input(fn):
    x = Tensor(np.float64(0.5), requires_grad=True)
    y = fn(x)
    assert y.shape == ()
    y.backward()
    assert x.grad.shape == ()


def test_erf_is_accurate_over_the_whole_line_in_both_precisions():
    x = np.concatenate([np.linspace(-9, 9, 20001), np.geomspace(1e-300, 9, 2000),
                        -np.geomspace(1e-300, 9, 2000), [0.0, 1.0, -1.0, 8.0, np.inf, -np.inf]])
    exact = np.array([math.erf(v) for v in x])
    ours = ag.erf(Tensor(x)).data
    np.testing.assert_allclose(ours, exact, rtol=5e-16, atol=0)
    single = ag.erf(Tensor(x.astype(np.float32))).data
    assert single.dtype == np.float32
    tiny = np.abs(x) < 1e-37  # below float32's normal range
    np.testing.assert_allclose(single[~tiny], exact[~tiny], rtol=3e-7, atol=0)
    assert np.isnan(ag.erf(Tensor([np.nan])).data).all()
    assert np.signbit(ag.erf(Tensor([-0.0])).data).all()


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu"):
        ag.gelu(Tensor([1.0]), approximate="fast")


def test_sigmoid_softplus_stable_for_large_inputs():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
    s = ag.sigmoid(x)
    np.testing.assert_allclose(s.data, [0.0, 0.5, 1.0])
    p = ag.softplus(x)
    np.testing.assert_allclose(p.data, [0.0, math.log(2), 1000.0])
    (s + p).sum().backward()
    assert np.all(np.isfinite(x.grad))
    np.testing.assert_allclose(x.grad, [0.0, 0.75, 1.0])


# ----------------------------------------------------------------------------- where / clip
@PROPERTY
@given(shapes=testing.broadcastable_shapes(3, max_dims=3, max_side=3), data=st.data())
def test_where_matches_numpy_and_routes_gradients(shapes, data):
    c_shape, x_shape, y_shape = shapes
    condition = data.draw(testing.boolean_masks(c_shape))
    x = data.draw(testing.arrays(x_shape))
    y = data.draw(testing.arrays(y_shape))
    out = ag.where(condition, Tensor(x), Tensor(y))
    np.testing.assert_array_equal(out.data, np.where(condition, x, y))
    testing.check_gradients(lambda a, b: ag.where(condition, a, b) * a * b, x, y, order=2)


def test_where_gradient_goes_to_the_chosen_branch():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    y = Tensor(np.array([10.0]), requires_grad=True)
    ag.where(np.array([True, False, True]), x, y).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 1.0])
    np.testing.assert_array_equal(y.grad, [1.0])


@PROPERTY
@given(data=st.data(), bounds=st.tuples(st.floats(-2, 0), st.floats(0.5, 2)))
def test_clip_matches_numpy_and_differentiates_inside(data, bounds):
    lo, hi = bounds
    # Finite differences straddling a bound see half a slope: stay away from both bounds.
    a = data.draw(testing.arrays(small(testing.shapes(max_dims=3, max_side=3)), avoid=(lo, hi)))
    np.testing.assert_array_equal(ag.clip(Tensor(a), lo, hi).data, np.clip(a, lo, hi))
    testing.check_gradients(lambda t: ag.clip(t, lo, hi) * t, a, order=2)
    x = Tensor(a, requires_grad=True)
    x.clip(lo, hi).sum().backward()
    np.testing.assert_array_equal(x.grad, ((a >= lo) & (a <= hi)).astype(float))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("scalar", [0, 0.25, -1])
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_extrema_against_a_number_on_large_arrays_match_numpy(name, scalar, dtype):
    # large arrays take the cached-filled-array path; values, dtype and tie gradients must not change
    rng = np.random.default_rng(0)
    a = rng.choice(np.array([-1.0, 0.0, 0.25, 0.5], dtype=dtype), size=(80, 70))
    a[0, :5] = [np.nan, np.inf, -np.inf, 0.0, 0.25]
    for left in (True, False):
        x = Tensor(a, requires_grad=True)
        out = getattr(ag, name)(x, scalar) if left else getattr(ag, name)(scalar, x)
        expected = getattr(np, name)(a, scalar) if left else getattr(np, name)(scalar, a)
        assert out.dtype == expected.dtype == dtype
        np.testing.assert_array_equal(out.data, expected)
        out.sum().backward()
        wins = (a > scalar) if name == "maximum" else (a < scalar)
        np.testing.assert_array_equal(x.grad[1:], (wins + 0.5 * (a == scalar))[1:])


def test_relu_of_a_large_array_keeps_its_layout_and_dtype():
    a = np.asfortranarray(np.random.default_rng(1).normal(size=(90, 60)).astype(np.float32))
    out = ag.relu(Tensor(a)).data
    assert out.dtype == np.float32 and out.flags.f_contiguous
    np.testing.assert_array_equal(out, np.maximum(a, 0))
