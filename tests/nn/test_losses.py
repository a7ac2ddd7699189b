"""Losses against independent numpy formulas (Keras semantics), their reductions, their gradients
with respect to the predictions, and the fused softmax / sigmoid paths."""
import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from nn import losses
from nn.layers import Dense

RNG = np.random.default_rng(7)
EPS = 1e-7


def softmax_np(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def one_hot_np(labels, classes):
    return np.eye(classes)[labels]


def probabilities(shape):
    return softmax_np(RNG.normal(size=shape))


# Per-sample numpy references (Keras's formulas), each reduced over the last axis.
def mse_np(y, p):
    return ((y - p) ** 2).mean(axis=-1)


def mae_np(y, p):
    return np.abs(y - p).mean(axis=-1)


def huber_np(y, p, delta=1.0):
    e = np.abs(y - p)
    return np.where(e <= delta, 0.5 * e ** 2, delta * (e - 0.5 * delta)).mean(axis=-1)


def bce_np(y, p):
    p = np.clip(p, EPS, 1 - EPS)
    return (-(y * np.log(p) + (1 - y) * np.log(1 - p))).mean(axis=-1)


def cce_np(y, p):
    p = p / p.sum(axis=-1, keepdims=True)
    return -(y * np.log(np.clip(p, EPS, 1 - EPS))).sum(axis=-1)


def hinge_np(y, p):
    y = np.where(y == 0, -1.0, y)
    return np.maximum(1 - y * p, 0).mean(axis=-1)


def categorical_hinge_np(y, p):
    pos = (y * p).sum(axis=-1)
    neg = ((1 - y) * p).max(axis=-1)
    return np.maximum(neg - pos + 1, 0)


def regression_pair(shape=(6, 3)):
    return RNG.normal(size=shape), RNG.normal(size=shape)


def binary_pair(shape=(6, 3)):
    return RNG.integers(0, 2, size=shape).astype(float), RNG.uniform(0.05, 0.95, size=shape)


def categorical_pair(shape=(6, 4)):
    return one_hot_np(RNG.integers(0, shape[-1], size=shape[:-1]), shape[-1]), probabilities(shape)


CASES = [
    ("mse", losses.mean_squared_error, mse_np, regression_pair),
    ("mae", losses.mean_absolute_error, mae_np, regression_pair),
    ("huber", losses.huber, huber_np, lambda: (RNG.normal(size=(6, 3)), 2 * RNG.normal(size=(6, 3)))),
    ("binary_crossentropy", losses.binary_crossentropy, bce_np, binary_pair),
    ("categorical_crossentropy", losses.categorical_crossentropy, cce_np, categorical_pair),
    ("hinge", losses.hinge, hinge_np, lambda: (RNG.choice([-1.0, 1.0], size=(6, 3)), RNG.normal(size=(6, 3)))),
    ("categorical_hinge", losses.categorical_hinge, categorical_hinge_np,
     lambda: (one_hot_np(RNG.integers(0, 4, size=6), 4), RNG.normal(size=(6, 4)))),
]


@pytest.mark.parametrize("name, fn, reference, data", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_losses_match_numpy_in_every_reduction(name, fn, reference, data, reduction):
    y, p = data()
    per_sample = reference(y, p)
    expected = {"mean": per_sample.mean(), "sum": per_sample.sum(), "none": per_sample}[reduction]
    out = fn(y, Tensor(p), reduction=reduction)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, fn, reference, data", CASES, ids=[c[0] for c in CASES])
def test_loss_gradients_with_respect_to_predictions(name, fn, reference, data):
    y, p = data()
    if name == "mae":
        p[np.abs(p - y) < 1e-2] += 0.1  # away from the kink of |e|
    if name == "huber":
        e = np.abs(p - y)
        p[np.abs(e - 1.0) < 1e-2] += 0.1
    assert gradcheck(lambda q: fn(y, q), [p])
    assert gradcheck(lambda q: fn(y, q, reduction="none"), [p])


@pytest.mark.parametrize("name, fn, reference, data", CASES, ids=[c[0] for c in CASES])
def test_loss_classes_and_keras_names_agree_with_the_functions(name, fn, reference, data):
    y, p = data()
    by_name = losses.get(name)
    assert isinstance(by_name, losses.Loss)
    np.testing.assert_allclose(by_name(y, Tensor(p)).data, fn(y, Tensor(p)).data)
    rebuilt = losses.get({"class_name": type(by_name).__name__, "config": {"reduction": "sum"}})
    np.testing.assert_allclose(rebuilt(y, Tensor(p)).data, fn(y, Tensor(p), reduction="sum").data)


def test_mse_is_the_mean_of_squared_errors():
    y, p = regression_pair((5, 2))
    assert np.isclose(losses.mse(y, Tensor(p)).item(), np.mean((y - p) ** 2))
    assert losses.get("mean_squared_error")(y[:, 0], Tensor(p[:, 0])).shape == ()


def test_regression_targets_of_shape_n_fit_predictions_of_shape_n_by_1():
    y = RNG.normal(size=5)
    p = RNG.normal(size=(5, 1))
    np.testing.assert_allclose(losses.mse(y, Tensor(p)).item(), np.mean((y - p[:, 0]) ** 2))
    with pytest.raises(ValueError, match=r"mean_squared_error: y_true has shape \(4,\) but y_pred has shape \(5, 1\)"):
        losses.mse(np.zeros(4), Tensor(p))


def test_huber_is_quadratic_inside_delta_and_linear_outside():
    out = losses.huber(np.zeros(3), Tensor(np.array([0.5, 2.0, -3.0])), delta=1.5, reduction="none")
    np.testing.assert_allclose(out.data, [0.125, 1.5 * (2.0 - 0.75), 1.5 * (3.0 - 0.75)])


def test_binary_crossentropy_clips_probabilities():
    out = losses.binary_crossentropy(np.array([[1.0, 0.0]]), Tensor(np.array([[0.0, 1.0]])))
    assert np.isclose(out.item(), -np.log(EPS), rtol=1e-6)


def test_categorical_crossentropy_clips_and_renormalizes_probabilities():
    y = np.array([[0.0, 1.0, 0.0]])
    p = np.array([[2.0, 0.0, 2.0]])  # unnormalized, true-class probability 0 after renormalizing
    assert np.isclose(losses.categorical_crossentropy(y, Tensor(p)).item(), -np.log(EPS), rtol=1e-6)
    p = np.array([[1.0, 2.0, 1.0]])
    assert np.isclose(losses.categorical_crossentropy(y, Tensor(p)).item(), -np.log(0.5))


def test_softmax_output_uses_the_fused_softmax_cross_entropy_path():
    logits = Tensor(RNG.normal(size=(5, 4)), requires_grad=True)
    y = one_hot_np(RNG.integers(0, 4, size=5), 4)
    probs = autograd.softmax(logits)
    loss = losses.categorical_crossentropy(y, probs)
    shifted = logits.data - logits.data.max(axis=-1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(loss.item(), -(y * log_softmax).sum(axis=-1).mean(), rtol=1e-12)
    # the graph goes around the softmax: one fused op on the logits, which also takes the mean
    names, node = [], loss
    while node.op is not None:
        names.append(node.op.name)
        node = next(t for t in node.inputs if isinstance(t, Tensor) and t.requires_grad)
    assert names == ["softmax_cross_entropy"] and loss._params["reduction"] == "mean"
    assert node is logits
    loss.backward()
    np.testing.assert_allclose(logits.grad, (softmax_np(logits.data) - y) / 5, rtol=1e-10, atol=1e-14)


def test_fused_path_stays_finite_for_huge_logits():
    logits = Tensor(np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0]], dtype=np.float32), requires_grad=True)
    y = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]], dtype=np.float32)
    loss = losses.CategoricalCrossentropy()(y, autograd.softmax(logits))
    assert np.isclose(loss.item(), 2e4 / 2, rtol=1e-6)  # -log_softmax = 2e4 for the first sample
    loss.backward()
    assert np.all(np.isfinite(logits.grad))
    from_logits = losses.categorical_crossentropy(y, logits, from_logits=True)
    assert from_logits.item() == loss.item()


def test_fused_path_gradients():
    y = one_hot_np(RNG.integers(0, 3, size=4), 3)
    assert gradcheck(lambda z: losses.categorical_crossentropy(y, autograd.softmax(z)), [RNG.normal(size=(4, 3))])
    assert gradcheck(lambda z: losses.categorical_crossentropy(y, z, from_logits=True, reduction="none"),
                     [RNG.normal(size=(4, 3))])
    yb = RNG.integers(0, 2, size=(4, 2)).astype(float)
    assert gradcheck(lambda z: losses.binary_crossentropy(yb, autograd.sigmoid(z)), [RNG.normal(size=(4, 2))])


def test_dense_softmax_output_feeds_the_fused_path_and_keeps_float32():
    layer = Dense(10, activation="softmax", input_dim=6)
    x = RNG.normal(size=(8, 6)).astype(np.float32)
    y = one_hot_np(RNG.integers(0, 10, size=8), 10)  # float64 targets do not upcast the loss
    loss = losses.CategoricalCrossentropy()(y, layer(x))
    assert loss.dtype == np.float32
    logits = x @ layer.kernel.data + layer.bias.data
    np.testing.assert_allclose(loss.item(), cce_np(y, softmax_np(logits.astype(np.float64))).mean(), rtol=1e-5)
    loss.backward()
    assert layer.kernel.grad.dtype == np.float32


def test_softmax_over_another_axis_is_not_fused():
    logits = Tensor(RNG.normal(size=(3, 3)))
    probs = autograd.softmax(logits, axis=0)
    y = one_hot_np([0, 1, 2], 3)
    np.testing.assert_allclose(losses.categorical_crossentropy(y, probs).item(), cce_np(y, probs.data).mean())


def test_sigmoid_output_and_from_logits_binary_crossentropy():
    z = RNG.normal(size=(6, 2)) * 3
    y = RNG.integers(0, 2, size=(6, 2)).astype(float)
    expected = bce_np(y, 1 / (1 + np.exp(-z))).mean()
    np.testing.assert_allclose(losses.binary_crossentropy(y, autograd.sigmoid(Tensor(z, requires_grad=True))).item(),
                               expected, rtol=1e-9)
    np.testing.assert_allclose(losses.BinaryCrossentropy(from_logits=True)(y, Tensor(z)).item(), expected, rtol=1e-9)
    huge = losses.binary_crossentropy(np.array([0.0]), Tensor(np.array([1e4])), from_logits=True)
    assert np.isclose(huge.item(), 1e4)


def test_sparse_categorical_crossentropy_equals_the_one_hot_version():
    labels = RNG.integers(0, 5, size=7)
    p = probabilities((7, 5))
    expected = cce_np(one_hot_np(labels, 5), p)
    for reduction, value in (("mean", expected.mean()), ("sum", expected.sum()), ("none", expected)):
        out = losses.sparse_categorical_crossentropy(labels, Tensor(p), reduction=reduction)
        np.testing.assert_allclose(out.data, value, rtol=1e-10)
    # (N, 1) labels and float labels holding integers are accepted, as in Keras
    np.testing.assert_allclose(losses.SparseCategoricalCrossentropy()(labels[:, None].astype(float), Tensor(p)).item(),
                               expected.mean(), rtol=1e-10)
    z = RNG.normal(size=(7, 5))
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, Tensor(z), from_logits=True).item(),
                               cce_np(one_hot_np(labels, 5), softmax_np(z)).mean(), rtol=1e-10)
    assert gradcheck(lambda q: losses.sparse_categorical_crossentropy(labels, q), [p])


def test_sparse_labels_are_validated():
    p = Tensor(probabilities((3, 4)))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 4\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 4, 1]), p)
    with pytest.raises(TypeError, match="integer class indices"):
        losses.sparse_categorical_crossentropy(np.array([0.5, 1, 1]), p)
    with pytest.raises(ValueError, match=r"expected labels of shape \(3,\)"):
        losses.sparse_categorical_crossentropy(np.array([0, 1]), p)


def test_pytorch_cross_entropy_takes_logits_then_targets():
    logits = RNG.normal(size=(6, 3))
    labels = RNG.integers(0, 3, size=6)
    expected = cce_np(one_hot_np(labels, 3), softmax_np(logits))
    criterion = losses.CrossEntropyLoss()
    np.testing.assert_allclose(criterion(Tensor(logits), labels).item(), expected.mean(), rtol=1e-10)
    np.testing.assert_allclose(losses.CrossEntropyLoss(reduction="none")(Tensor(logits), labels).data, expected)
    soft = probabilities((6, 3))
    np.testing.assert_allclose(criterion(Tensor(logits), soft).item(),
                               -(soft * np.log(softmax_np(logits))).sum(axis=-1).mean(), rtol=1e-10)
    assert gradcheck(lambda z: criterion(z, labels), [logits])
    with pytest.raises(ValueError, match=r"cross_entropy: logits must be \(batch, classes\)"):
        criterion(Tensor(logits[0]), labels[:1])


def test_pytorch_style_regression_and_binary_losses():
    x, t = regression_pair((4, 3))
    np.testing.assert_allclose(losses.MSELoss()(Tensor(x), t).item(), np.mean((x - t) ** 2))
    np.testing.assert_allclose(losses.L1Loss(reduction="sum")(Tensor(x), t).item(), np.abs(x - t).sum())
    y = RNG.integers(0, 2, size=(4, 3)).astype(float)
    np.testing.assert_allclose(losses.BCEWithLogitsLoss()(Tensor(x), y).item(),
                               bce_np(y, 1 / (1 + np.exp(-x))).mean(), rtol=1e-9)
    assert gradcheck(lambda z: losses.BCEWithLogitsLoss(reduction="none")(z, y), [x])
    assert gradcheck(lambda z: losses.MSELoss()(z, t), [x])


def test_hinge_converts_zero_one_labels():
    p = RNG.normal(size=(4, 2))
    y01 = RNG.integers(0, 2, size=(4, 2)).astype(float)
    np.testing.assert_allclose(losses.hinge(y01, Tensor(p)).item(), losses.hinge(2 * y01 - 1, Tensor(p)).item())


def test_multiclass_hinge_is_the_categorical_hinge():
    assert losses.MulticlassHinge is losses.CategoricalHinge


def test_losses_keep_float32_with_float64_targets():
    y, p = categorical_pair((4, 3))
    for name in ("mse", "mae", "huber", "binary_crossentropy", "categorical_crossentropy", "hinge",
                 "categorical_hinge"):
        assert losses.get(name)(y, Tensor(p.astype(np.float32))).dtype == np.float32, name


def test_bad_reductions_and_names_are_clear_errors():
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.MeanSquaredError(reduction="avg")
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.mse(np.zeros(2), Tensor(np.zeros(2)), reduction="max")
    with pytest.raises(ValueError, match="unknown loss 'crossentropy'"):
        losses.get("crossentropy")
    custom = lambda y, p: p.sum()  # noqa: E731
    assert losses.get(custom) is custom
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
