"""Gradient clipping functions, against norms computed directly."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograd import Tensor
from nn.optim import clip_grad_norm, clip_grad_value


def params_with(grads):
    params = []
    for grad in grads:
        param = Tensor(np.zeros_like(grad), requires_grad=True)
        param.grad = grad
        params.append(param)
    return params


GRADS = [np.array([3.0, 4.0], np.float32), np.array([[12.0]], np.float32)]  # joint norm 13


def test_clip_grad_norm_scales_above_max_norm():
    params = params_with([g.copy() for g in GRADS])
    held = [p.grad for p in params]
    norm = clip_grad_norm(params, max_norm=6.5)
    assert norm == pytest.approx(13.0)
    factor = 6.5 / (13.0 + 1e-6)
    for param, grad in zip(params, GRADS):
        np.testing.assert_allclose(param.grad, grad * factor, rtol=1e-6)
        assert param.grad.dtype == np.float32
    for array, grad in zip(held, GRADS):  # new arrays were assigned; the old ones are intact
        np.testing.assert_array_equal(array, grad)


def test_clip_grad_norm_leaves_small_gradients_alone():
    params = params_with([g.copy() for g in GRADS])
    held = [p.grad for p in params]
    assert clip_grad_norm(params, max_norm=20.0) == pytest.approx(13.0)
    assert all(p.grad is array for p, array in zip(params, held))


def test_clip_grad_norm_skips_missing_gradients_and_other_norms():
    params = params_with([g.copy() for g in GRADS]) + [Tensor(np.ones(3), requires_grad=True)]
    assert clip_grad_norm(params, 1.0, norm_type=math.inf) == pytest.approx(12.0)
    np.testing.assert_allclose(params[1].grad, [[12.0 / (12.0 + 1e-6)]], rtol=1e-7)
    assert params[2].grad is None
    params = params_with([g.copy() for g in GRADS])
    assert clip_grad_norm(params, 100.0, norm_type=1) == pytest.approx(19.0)
    assert clip_grad_norm([Tensor(np.ones(2), requires_grad=True)], 1.0) == 0.0


def test_clip_grad_norm_accepts_one_tensor():
    (param,) = params_with([np.array([0.0, 10.0])])
    assert clip_grad_norm(param, 1.0) == pytest.approx(10.0)
    np.testing.assert_allclose(param.grad, [0.0, 1.0], rtol=1e-6)


@settings(max_examples=30, deadline=None)
@given(st.lists(hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4),
                           elements=st.floats(-100, 100)), min_size=1, max_size=3),
       st.floats(0.01, 50.0))
def test_clip_grad_norm_bounds_the_norm_and_keeps_directions(grads, max_norm):
    params = params_with([g.copy() for g in grads])
    expected = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    norm = clip_grad_norm(params, max_norm)
    assert norm == pytest.approx(expected, rel=1e-9, abs=1e-12)
    after = math.sqrt(sum(float(np.sum(p.grad ** 2)) for p in params))
    assert after <= max_norm * (1 + 1e-9) or after == pytest.approx(expected)
    scale = min(1.0, max_norm / (expected + 1e-6))
    for param, grad in zip(params, grads):
        np.testing.assert_allclose(param.grad, grad * scale, rtol=1e-9, atol=1e-12)


def test_clip_grad_value():
    params = params_with([np.array([-3.0, 0.5, 2.0]), np.array([0.1])])
    held = params[0].grad
    params.append(Tensor(np.ones(1), requires_grad=True))
    clip_grad_value(params, 1.0)
    np.testing.assert_array_equal(params[0].grad, [-1.0, 0.5, 1.0])
    np.testing.assert_array_equal(params[1].grad, [0.1])
    np.testing.assert_array_equal(held, [-3.0, 0.5, 2.0])
    assert params[2].grad is None


def test_bad_arguments():
    params = params_with([np.ones(2)])
    with pytest.raises(ValueError, match="clip_grad_norm: max_norm must be >= 0"):
        clip_grad_norm(params, -1.0)
    with pytest.raises(ValueError, match="clip_grad_norm: norm_type must be > 0"):
        clip_grad_norm(params, 1.0, norm_type=0)
    with pytest.raises(ValueError, match="clip_grad_value: clip_value must be >= 0"):
        clip_grad_value(params, -0.5)
    with pytest.raises(TypeError, match="clip_grad_norm: item 0 is a ndarray"):
        clip_grad_norm([np.ones(2)], 1.0)
    with pytest.raises(TypeError, match="expected a tensor, an iterable of tensors or a module"):
        clip_grad_value(3.0, 1.0)
