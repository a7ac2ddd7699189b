"""The fused ops used by ``nn``: ``affine`` (x @ kernel + bias), ``linear`` (x @ weight.T + bias)
and ``softmax_cross_entropy``, property-tested against their unfused definitions and finite differences, to second order."""
import numpy as np
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd import testing

small = settings(max_examples=20, deadline=None)


@small
@given(st.sampled_from(["affine", "linear"]), st.integers(1, 4), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 2), st.data())
def test_dense_ops_match_matmul_plus_bias_and_finite_differences(name, n, k, m, batch_dims, data):
    # affine takes a kernel (in, out); linear a weight (out, in), multiplied transposed
    lead = tuple(data.draw(st.lists(st.integers(1, 3), min_size=batch_dims, max_size=batch_dims)))
    x = data.draw(testing.arrays(lead + (n, k), min_value=-2, max_value=2))
    weight = data.draw(testing.arrays((k, m) if name == "affine" else (m, k), min_value=-2, max_value=2))
    kernel = weight if name == "affine" else weight.T
    bias = data.draw(testing.arrays((m,), min_value=-2, max_value=2))
    op = getattr(ag, name)
    np.testing.assert_allclose(op(ag.Tensor(x), weight, bias).data, x @ kernel + bias, rtol=1e-12)
    testing.check_gradients(op, x, weight, bias, order=2)


@small
@given(st.sampled_from(["affine", "linear"]), st.integers(1, 4), st.integers(1, 4), st.data())
def test_dense_ops_take_a_single_sample_and_no_bias(name, k, m, data):
    op = getattr(ag, name)
    x = data.draw(testing.arrays((k,), min_value=-2, max_value=2))
    weight = data.draw(testing.arrays((k, m) if name == "affine" else (m, k), min_value=-2, max_value=2))
    kernel = weight if name == "affine" else weight.T
    np.testing.assert_allclose(op(ag.Tensor(x), weight, None).data, x @ kernel, rtol=1e-12)
    testing.check_gradients(lambda a, w: op(a, w, None), x, weight, order=2)


def test_linear_weight_gradient_keeps_the_weight_layout():
    weight = ag.Tensor(np.ones((4, 3)), requires_grad=True)
    ag.linear(ag.Tensor(np.ones((2, 3))), weight, None).sum().backward()
    assert weight.grad.shape == (4, 3) and weight.grad.flags.c_contiguous


def test_linear_rejects_shapes_that_do_not_fit():
    import pytest
    with pytest.raises(ValueError, match=r"linear: expected weight \(out, in\) and bias \(out,\), got shapes \(3, 4\) and \(4,\)"):
        ag.linear(ag.Tensor(np.ones((2, 4))), np.ones((3, 4)), np.ones(4))
    with pytest.raises(ValueError, match=r"linear: shapes \(2, 5\) and \(4, 3\) are not aligned"):
        ag.linear(ag.Tensor(np.ones((2, 5))), np.ones((3, 4)), np.ones(3))


def test_affine_rejects_a_bias_that_does_not_fit():
    import pytest
    with pytest.raises(ValueError, match=r"affine: expected kernel \(in, out\) and bias \(out,\), got shapes \(3, 4\) and \(3,\)"):
        ag.affine(ag.Tensor(np.ones((2, 3))), np.ones((3, 4)), np.ones(3))


def _targets(shape, data):
    raw = data.draw(testing.arrays(shape, min_value=0.05, max_value=1.0))
    return raw / raw.sum(axis=-1, keepdims=True)


@small
@given(testing.shapes(min_dims=1, max_dims=3, max_side=4), st.data())
def test_softmax_cross_entropy_matches_its_definition_and_finite_differences(shape, data):
    logits = data.draw(testing.arrays(shape, min_value=-4, max_value=4))
    targets = _targets(shape, data)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    expected = -(targets * log_p).sum(axis=-1)
    np.testing.assert_allclose(ag.softmax_cross_entropy(ag.Tensor(logits), targets).data, expected, rtol=1e-10)
    testing.check_gradients(ag.softmax_cross_entropy, logits, targets, order=2)


@small
@given(testing.shapes(min_dims=2, max_dims=3, max_side=4), st.data())
def test_softmax_cross_entropy_over_another_axis(shape, data):
    logits = data.draw(testing.arrays(shape, min_value=-3, max_value=3))
    targets = np.moveaxis(_targets(shape[1:] + shape[:1], data), -1, 0)
    testing.check_gradients(lambda a, b: ag.softmax_cross_entropy(a, b, axis=0), logits, targets, order=2)


@small
@given(testing.shapes(min_dims=1, max_dims=3, max_side=4), st.sampled_from(["mean", "sum"]), st.data())
def test_softmax_cross_entropy_reductions_match_reducing_the_per_sample_losses(shape, reduction, data):
    logits = data.draw(testing.arrays(shape, min_value=-4, max_value=4))
    targets = _targets(shape, data)
    per_sample = ag.softmax_cross_entropy(ag.Tensor(logits), targets).data
    reduced = ag.softmax_cross_entropy(ag.Tensor(logits), targets, reduction=reduction).data
    np.testing.assert_allclose(reduced, getattr(per_sample, reduction)(), rtol=1e-12)
    testing.check_gradients(lambda a, b: ag.softmax_cross_entropy(a, b, reduction=reduction),
                            logits, targets, order=2)


def test_softmax_cross_entropy_rejects_an_unknown_reduction():
    import pytest
    with pytest.raises(ValueError, match="softmax_cross_entropy: reduction must be one of"):
        ag.softmax_cross_entropy(ag.Tensor(np.ones((2, 3))), np.ones((2, 3)) / 3, reduction="avg")


def test_softmax_cross_entropy_is_stable_for_huge_logits():
    logits = ag.Tensor(np.array([[1e4, 0.0, -1e4]], dtype=np.float32), requires_grad=True)
    loss = ag.softmax_cross_entropy(logits, np.array([[0.0, 0.0, 1.0]], dtype=np.float32))
    assert np.isclose(loss.item(), 2e4)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad, [[1.0, 0.0, -1.0]], atol=1e-6)
