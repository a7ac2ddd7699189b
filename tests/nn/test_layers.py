"""Layers: gradients (finite differences in float64), behaviour, and numbers checked against
independent numpy computations."""
import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from gradient_checks import check_module_gradients
from nn import functional as F
from nn.layers import (ELU, GELU, BatchNorm1d, BatchNorm2d, BatchNorm3d, BatchNormalization,
                       Dense, Dropout, Flatten, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh)

RNG = np.random.default_rng(1234)


# ---------------------------------------------------------------------- Dense and Linear
def test_dense_gradients():
    autograd.seed(0)
    layer = Dense(3, activation="tanh", input_dim=4, bias_initializer="glorot_uniform", dtype=np.float64)
    check_module_gradients(layer, RNG.normal(size=(5, 4)))


def test_dense_matches_numpy_and_keeps_float32():
    autograd.seed(0)
    layer = Dense(6, activation="relu")
    x = RNG.normal(size=(4, 3))  # float64 input is cast to the layer's float32, as in Keras
    out = layer(x)
    assert out.dtype == np.float32 and layer.kernel.dtype == np.float32
    expected = np.maximum(x.astype(np.float32) @ layer.kernel.data + layer.bias.data, 0)
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)
    assert out.op.name == "relu"


def test_dense_forward_is_one_affine_op_and_one_activation():
    layer = Dense(4, activation="sigmoid", input_dim=3)
    out = layer(Tensor(np.ones((2, 3), dtype=np.float32)))
    names = []
    node = out
    while node.op is not None:
        names.append(node.op.name)
        node = node.inputs[0]
    assert names == ["sigmoid", "affine"]
    bare = Dense(4, use_bias=False, input_dim=3)
    out = bare(Tensor(np.ones((2, 3), dtype=np.float32)))
    assert out.op.name == "affine" and out.inputs[2] is None
    np.testing.assert_allclose(out.data, np.ones((2, 3)) @ bare.kernel.data, rtol=1e-6)


def test_dense_applies_to_the_last_axis_of_higher_rank_inputs():
    layer = Dense(2, input_dim=3)
    x = RNG.normal(size=(4, 5, 3)).astype(np.float32)
    np.testing.assert_allclose(layer(x).data, x @ layer.kernel.data + layer.bias.data, rtol=1e-5)


def test_dense_input_size_errors_name_the_layer_and_shapes():
    layer = Dense(2, input_dim=3)
    with pytest.raises(ValueError, match=r"Dense\(units=2\): expected inputs with 3 features.*\(4, 5\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(ValueError, match="units must be a positive integer"):
        Dense(0)
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        Dense(2, activation="swishy")
    with pytest.raises(ValueError, match="disagrees"):
        Dense(2, input_shape=(3,), input_dim=4)


def test_dense_without_bias():
    layer = Dense(2, use_bias=False, input_dim=3)
    assert [n for n, _ in layer.named_parameters()] == ["kernel"]


def test_linear_gradients():
    autograd.seed(0)
    check_module_gradients(Linear(4, 3, dtype=np.float64), RNG.normal(size=(2, 4)))


def test_linear_uses_pytorch_layout_and_initialization():
    autograd.seed(5)
    layer = Linear(100, 300)
    bound = 1 / math.sqrt(100)
    assert layer.weight.shape == (300, 100) and layer.bias.shape == (300,)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound  # uniform over the whole range
    assert np.isclose(layer.weight.data.std(), bound / math.sqrt(3), rtol=0.05)
    x = RNG.normal(size=(2, 100)).astype(np.float32)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data.T + layer.bias.data, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"Linear\(100, 300\): expected inputs with 100 features"):
        layer(np.ones((2, 99)))


# ---------------------------------------------------------------------- Dropout
def test_dropout_gradients_with_a_fixed_mask():
    layer = Dropout(0.4)

    def f(x):
        autograd.seed(3)  # the same mask at every evaluation
        return layer(x)

    assert gradcheck(f, [RNG.normal(size=(4, 5))])


def test_dropout_gradient_is_the_scaled_mask():
    x = Tensor(np.ones((50, 40), dtype=np.float32), requires_grad=True)
    out = F.dropout(x, 0.25, training=True, rng=np.random.default_rng(0))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)  # both are mask / (1 - rate)
    assert set(np.unique(out.data)) == {0.0, np.float32(1 / 0.75)}


def test_dropout_drops_the_rate_and_preserves_the_mean():
    autograd.seed(0)
    layer = Dropout(0.3)
    x = np.full((400, 500), 2.0, dtype=np.float32)
    out = layer(x).data
    assert out.dtype == np.float32
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.3) < 0.005  # 200k draws: std of the fraction is 0.001
    assert abs(out.mean() - 2.0) < 0.02
    np.testing.assert_allclose(out[out != 0], 2.0 / 0.7, rtol=1e-6)


def test_dropout_is_the_identity_in_eval_mode_and_with_training_false():
    layer = Dropout(0.5)
    x = Tensor(RNG.normal(size=(3, 4)))
    assert layer.eval()(x) is x
    assert layer.train()(x, training=False) is x
    assert Dropout(0.0)(x) is x


def test_dropout_masks_come_from_the_seeded_generator():
    x = np.ones((10, 10), dtype=np.float32)
    autograd.seed(11)
    first = Dropout(0.5)(x).data
    autograd.seed(11)
    np.testing.assert_array_equal(Dropout(0.5)(x).data, first)
    seeded = Dropout(0.5, seed=4)
    np.testing.assert_array_equal(seeded(x).data, Dropout(0.5, seed=4)(x).data)


def test_dropout_rejects_bad_rates():
    for rate in (-0.1, 1.0, "0.5"):
        with pytest.raises(ValueError, match="rate"):
            Dropout(rate)


# ---------------------------------------------------------------------- BatchNorm
def numpy_batch_norm(x, gamma, beta, eps, axis=1):
    axes = tuple(i for i in range(x.ndim) if i != axis)
    shape = [1] * x.ndim
    shape[axis] = -1
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    return gamma.reshape(shape) * (x - mean) / np.sqrt(var + eps) + beta.reshape(shape)


def randomize_affine(layer, names):
    for name in names:
        getattr(layer, name).data[:] = RNG.normal(size=getattr(layer, name).shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (3, 2, 3, 2)])
def test_batch_norm_gradients_in_training(shape):
    layer = BatchNormalization(num_features=shape[1], dtype=np.float64)
    randomize_affine(layer, ["gamma", "beta"])
    check_module_gradients(layer, RNG.normal(size=shape))


def test_torch_style_batch_norm_gradients_in_training():
    layer = BatchNorm2d(2, dtype=np.float64)
    randomize_affine(layer, ["weight", "bias"])
    check_module_gradients(layer, RNG.normal(size=(3, 2, 2, 3)))


def test_batch_norm_gradients_in_eval_mode():
    layer = BatchNormalization(num_features=3, dtype=np.float64).eval()
    layer.moving_mean[:] = [0.5, -1.0, 2.0]
    layer.moving_variance[:] = [1.5, 0.25, 4.0]
    randomize_affine(layer, ["gamma", "beta"])
    check_module_gradients(layer, RNG.normal(size=(4, 3)))


@pytest.mark.parametrize("shape", [(32, 4), (8, 4, 5, 5)])
def test_keras_batch_norm_training_step_matches_numpy(shape):
    layer = BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = (RNG.normal(size=shape) * 3 + 1).astype(np.float32)
    out = layer(x)
    gamma, beta = layer.gamma.data, layer.beta.data
    np.testing.assert_allclose(out.data, numpy_batch_norm(x, gamma, beta, 1e-3), rtol=1e-4, atol=1e-5)
    axes = tuple(i for i in range(x.ndim) if i != 1)
    # Keras: moving = momentum * moving + (1 - momentum) * batch, with the biased variance
    np.testing.assert_allclose(layer.moving_mean, 0.1 * x.mean(axis=axes), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance, 0.9 + 0.1 * x.var(axis=axes), rtol=1e-5)
    assert layer.moving_mean.dtype == np.float32 and out.dtype == np.float32


def test_torch_batch_norm_running_statistics_use_pytorch_momentum_and_unbiased_variance():
    layer = BatchNorm1d(3, momentum=0.1)
    x = (RNG.normal(size=(10, 3)) * 2).astype(np.float32)
    out = layer(x)
    np.testing.assert_allclose(out.data, numpy_batch_norm(x, np.ones(3), np.zeros(3), 1e-5), rtol=1e-4, atol=1e-5)
    # PyTorch: running = (1 - momentum) * running + momentum * batch, unbiased variance
    np.testing.assert_allclose(layer.running_mean, 0.1 * x.mean(axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-5)


def test_batch_norm_eval_mode_uses_the_running_statistics():
    layer = BatchNormalization(num_features=2, epsilon=1e-3)
    randomize_affine(layer, ["gamma", "beta"])
    layer.moving_mean[:] = [1.0, -2.0]
    layer.moving_variance[:] = [4.0, 0.5]
    layer.eval()
    x = RNG.normal(size=(5, 2)).astype(np.float32)
    expected = layer.gamma.data * (x - [1.0, -2.0]) / np.sqrt(np.array([4.0, 0.5]) + 1e-3) + layer.beta.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-5)
    np.testing.assert_array_equal(layer.moving_mean, [1.0, -2.0])  # not updated in eval mode
    # training=True overrides the mode for one call (Keras's flag)
    layer(x, training=True)
    assert not np.array_equal(layer.moving_mean, [1.0, -2.0])


def test_batch_norm_running_statistics_converge_to_the_data_statistics():
    layer = BatchNorm1d(2, momentum=0.1)
    rng = np.random.default_rng(0)
    for _ in range(200):
        layer(rng.normal([3.0, -1.0], [2.0, 0.5], size=(64, 2)).astype(np.float32))
    np.testing.assert_allclose(layer.running_mean, [3.0, -1.0], atol=0.15)
    np.testing.assert_allclose(layer.running_var, [4.0, 0.25], rtol=0.15)


def test_batch_norm_infers_features_and_checks_them():
    layer = BatchNormalization()
    layer(np.ones((4, 3, 2)))
    assert layer.gamma.shape == (3,) and layer.moving_mean.shape == (3,)
    with pytest.raises(ValueError, match=r"expected 3 features/channels on axis 1, got input of shape \(4, 5\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(ValueError, match="expected a 4-D input"):
        BatchNorm2d(3)(np.ones((2, 3)))
    assert BatchNorm3d(2)(np.ones((2, 2, 1, 1, 1))).shape == (2, 2, 1, 1, 1)


def test_batch_norm_parameter_and_buffer_names():
    keras_style = BatchNormalization(num_features=2)
    assert [n for n, _ in keras_style.named_parameters()] == ["gamma", "beta"]
    assert [n for n, _ in keras_style.named_buffers()] == ["moving_mean", "moving_variance"]
    torch_style = BatchNorm1d(2)
    assert [n for n, _ in torch_style.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in torch_style.named_buffers()] == ["running_mean", "running_var"]


# ---------------------------------------------------------------------- activations, Flatten
def _erf(x):
    return np.vectorize(math.erf)(x)


ACTIVATIONS = [
    (ReLU(), lambda x: np.maximum(x, 0)),
    (LeakyReLU(0.2), lambda x: np.where(x > 0, x, 0.2 * x)),
    (Sigmoid(), lambda x: 1 / (1 + np.exp(-x))),
    (Tanh(), np.tanh),
    (ELU(0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    (GELU(), lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2)))),
    (Softmax(), lambda x: np.exp(x) / np.exp(x).sum(axis=-1, keepdims=True)),
]


@pytest.mark.parametrize("layer, reference", ACTIVATIONS, ids=lambda v: type(v).__name__)
def test_activation_layers_match_numpy_and_have_correct_gradients(layer, reference):
    x = RNG.normal(size=(3, 4))
    x[np.abs(x) < 1e-2] = 0.5  # keep away from the kinks
    np.testing.assert_allclose(layer(x).data, reference(x), rtol=1e-7, atol=1e-12)
    assert gradcheck(layer, [x])


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "gelu", "elu", "leaky_relu", "linear", None])
def test_dense_accepts_every_activation_name(name):
    out = Dense(3, activation=name, input_dim=2)(np.ones((2, 2)))
    assert out.shape == (2, 3)


def test_flatten_keeps_the_batch_axis():
    x = Tensor(RNG.normal(size=(2, 3, 4)), requires_grad=True)
    out = Flatten()(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out.data, x.data.reshape(2, 12))
    out.sum().backward()
    assert x.grad.shape == (2, 3, 4)
