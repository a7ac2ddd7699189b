"""``layer_norm`` and ``scaled_dot_product_attention``: forward against numpy formulas, first and
second derivatives against finite differences (masked and not), float32 stability, what a causal
mask hides (checked through the gradient), and bad input."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from op_cases import PROPERTY


def layer_norm_reference(a, weight, bias, ndim, eps):
    axes = tuple(range(-ndim, 0))
    mean = a.mean(axis=axes, keepdims=True)
    var = a.var(axis=axes, keepdims=True)
    out = (a - mean) / np.sqrt(var + eps)
    return out * (1 if weight is None else weight) + (0 if bias is None else bias)


@PROPERTY
@given(data=st.data(), ndim=st.integers(1, 2), affine=st.booleans())
def test_layer_norm_matches_the_formula_to_second_order(data, ndim, affine):
    shape = data.draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=3))
    shape[-1] = max(shape[-1], 2)  # a spread to normalize
    a = data.draw(testing.arrays(tuple(shape)))
    normalized = tuple(shape[len(shape) - ndim:])
    weight = data.draw(testing.arrays(normalized)) if affine else None
    bias = data.draw(testing.arrays(normalized)) if affine else None
    out = ag.layer_norm(Tensor(a), weight, bias, normalized_ndim=ndim, eps=1e-3)
    np.testing.assert_allclose(out.data, layer_norm_reference(a, weight, bias, ndim, 1e-3),
                               rtol=1e-10, atol=1e-12)
    if affine:
        testing.check_gradients(lambda x, w, b: ag.layer_norm(x, w, b, ndim, eps=1e-3),
                                a, weight, bias, order=2)
    else:
        testing.check_gradients(lambda x: ag.layer_norm(x, normalized_ndim=ndim, eps=1e-3), a,
                                order=2)


def test_layer_norm_is_accurate_in_float32_far_from_zero():
    rng = np.random.default_rng(0)
    a = (1e4 + rng.normal(size=(8, 64))).astype(np.float32)
    out = ag.layer_norm(Tensor(a)).data
    assert out.dtype == np.float32
    expected = layer_norm_reference(a.astype(np.float64), None, None, 1, 1e-5)
    np.testing.assert_allclose(out, expected, atol=2e-3)
    upstream = rng.normal(size=(8, 64))
    grads = []
    for dtype in (np.float32, np.float64):
        x = Tensor(a.astype(dtype), requires_grad=True)
        (ag.layer_norm(x) * Tensor(upstream.astype(dtype))).sum().backward()
        assert x.grad.dtype == dtype
        grads.append(x.grad)
    np.testing.assert_allclose(grads[0], grads[1], atol=2e-3 * np.abs(grads[1]).max())


def test_layer_norm_of_an_empty_batch_is_empty_and_sends_back_zeros():
    x = Tensor(np.zeros((0, 3, 4), np.float32), requires_grad=True)
    weight = Tensor(np.ones(4, np.float32), requires_grad=True)
    out = ag.layer_norm(x, weight, Tensor(np.zeros(4, np.float32)))
    assert out.shape == (0, 3, 4)
    out.sum().backward()
    assert x.grad.shape == (0, 3, 4)
    np.testing.assert_array_equal(weight.grad, np.zeros(4))


def test_layer_norm_rejects_wrong_shapes():
    x = Tensor(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"layer_norm: weight must have the normalized shape \(3,\)"):
        ag.layer_norm(x, np.ones(2))
    with pytest.raises(ValueError, match="cannot normalize the last 3 axes"):
        ag.layer_norm(x, normalized_ndim=3)


def attention_reference(q, k, v, mask=None, causal=False):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        scores = np.where(np.tril(np.ones(scores.shape[-2:], bool)), scores, -np.inf)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf) if mask.dtype == bool else scores + mask
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights @ v


@PROPERTY
@given(data=st.data(), heads=st.integers(1, 2), length=st.integers(1, 3),
       source=st.integers(1, 3), kind=st.sampled_from(["none", "bool", "additive", "causal"]))
def test_attention_matches_the_formula_to_second_order(data, heads, length, source, kind):
    if kind == "causal":
        source = length
    q = data.draw(testing.arrays((heads, length, 2)))
    k = data.draw(testing.arrays((heads, source, 2)))
    v = data.draw(testing.arrays((heads, source, 3)))
    mask = None
    if kind == "bool":
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=length * source,
                                           max_size=length * source))).reshape(length, source)
        mask[:, 0] = True  # every query sees at least one key
    elif kind == "additive":
        mask = data.draw(testing.arrays((length, source)))
    causal = kind == "causal"
    out = ag.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), mask=mask, causal=causal)
    np.testing.assert_allclose(out.data, attention_reference(q, k, v, mask, causal), rtol=1e-10,
                               atol=1e-12)
    testing.check_gradients(
        lambda q, k, v: ag.scaled_dot_product_attention(q, k, v, mask=mask, causal=causal),
        q, k, v, order=2)


def test_causal_attention_makes_position_t_independent_of_later_positions():
    rng = np.random.default_rng(1)
    x = Tensor(rng.normal(size=(1, 5, 4)), requires_grad=True)
    out = ag.scaled_dot_product_attention(x, x, x, causal=True)
    for t in range(5):
        (g,) = ag.gradients(out[0, t].sum(), [x], retain_graph=True)
        assert np.all(g[0, t + 1:] == 0)  # exactly zero: no path from later steps
        assert np.all(np.abs(g[0, :t + 1]).sum(axis=-1) > 0)


def test_attention_returns_its_weights():
    rng = np.random.default_rng(2)
    q, k, v = (Tensor(rng.normal(size=(3, 4))) for _ in range(3))
    out, weights = ag.scaled_dot_product_attention(q, k, v, return_weights=True)
    np.testing.assert_allclose(weights.data.sum(axis=-1), 1.0)
    np.testing.assert_allclose(out.data, weights.data @ v.data)


def test_attention_rejects_bad_shapes_and_masks():
    q, k, v = Tensor(np.ones((2, 3, 4))), Tensor(np.ones((2, 5, 4))), Tensor(np.ones((2, 5, 6)))
    with pytest.raises(ValueError, match="same feature size"):
        ag.scaled_dot_product_attention(q, Tensor(np.ones((2, 5, 3))), v)
    with pytest.raises(ValueError, match="same length"):
        ag.scaled_dot_product_attention(q, k, Tensor(np.ones((2, 4, 6))))
    with pytest.raises(ValueError, match=r"mask of shape \(3, 4\) does not broadcast.*\(2, 3, 5\)"):
        ag.scaled_dot_product_attention(q, k, v, mask=np.ones((3, 4), bool))
    with pytest.raises(TypeError, match="boolean or floating, got dtype int64"):
        ag.scaled_dot_product_attention(q, k, v, mask=np.ones((3, 5), int))


def test_attention_weights_is_one_op_and_broadcasts_leading_axes_to_second_order():
    rng = np.random.default_rng(3)
    q, k = rng.normal(size=(2, 3, 4)), rng.normal(size=(1, 5, 4))  # keys shared by the batch
    mask = rng.normal(size=(3, 5))
    weights = ag.attention_weights(Tensor(q, requires_grad=True), Tensor(k), mask=mask, causal=True)
    assert weights.op.name == "attention_weights"
    scores = q @ np.swapaxes(k, -1, -2) / 2 + mask
    scores = np.where(np.tril(np.ones((3, 5), bool)), scores, -np.inf)
    expected = np.exp(scores - scores.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(weights.data, expected / expected.sum(axis=-1, keepdims=True),
                               rtol=1e-12)
    testing.check_gradients(lambda q, k: ag.attention_weights(q, k, mask=mask, causal=True), q, k,
                            order=2)


def test_attention_dropout_zeroes_weights_from_the_seeded_generator():
    rng = np.random.default_rng(4)
    q, k, v = (Tensor(rng.normal(size=(2, 6, 3))) for _ in range(3))
    plain, weights = ag.scaled_dot_product_attention(q, k, v, return_weights=True)
    ag.seed(0)
    first = ag.scaled_dot_product_attention(q, k, v, dropout=0.5)
    ag.seed(0)
    again = ag.scaled_dot_product_attention(q, k, v, dropout=0.5)
    np.testing.assert_array_equal(first.data, again.data)
    ag.seed(0)
    keep = ag.generator().random(weights.shape) >= 0.5
    np.testing.assert_allclose(first.data, (weights.data * keep * 2) @ v.data, rtol=1e-12)
    assert not np.allclose(first.data, plain.data)
