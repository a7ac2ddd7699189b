"""Convolution layers: outputs against a plain loop, gradients by finite differences, shapes,
parameter counts, initialization, errors, configs and saved models."""
import math

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from gradient_checks import check_module_gradients
from nn.layers import (AvgPool2D, BatchNormalization, Conv1D, Conv1d, Conv2D, Conv2d, Conv3D,
                       Conv3d, ConvND, Dense, Dropout, Flatten, GlobalAveragePooling, MaxPool2D,
                       ReLU)
from nn.module import layer_from_config, layer_to_config

RNG = np.random.default_rng(7)


def loop_conv(x, w, b=None, stride=1, pads=0, dilation=1, groups=1):
    """Cross-correlation by one explicit window per output element (any rank).

    ``pads``: an int, or one (before, after) pair per spatial axis."""
    rank = x.ndim - 2
    stride = (stride,) * rank if isinstance(stride, int) else tuple(stride)
    dilation = (dilation,) * rank if isinstance(dilation, int) else tuple(dilation)
    pads = [(pads, pads)] * rank if isinstance(pads, int) else list(pads)
    xp = np.pad(x, [(0, 0), (0, 0)] + pads)
    kernel = w.shape[2:]
    out_size = [(xp.shape[2 + i] - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                for i in range(rank)]
    n_out, per_group_in = w.shape[0], w.shape[1]
    per_group_out = n_out // groups
    out = np.zeros((x.shape[0], n_out, *out_size))
    for n in range(x.shape[0]):
        for o in range(n_out):
            first = (o // per_group_out) * per_group_in
            for pos in np.ndindex(*out_size):
                window = xp[(n, slice(first, first + per_group_in)) + tuple(
                    slice(p * s, p * s + d * (k - 1) + 1, d)
                    for p, s, d, k in zip(pos, stride, dilation, kernel))]
                out[(n, o) + pos] = np.sum(window * w[o]) + (0 if b is None else b[o])
    return out


def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding for one axis: output ceil(size / stride), extra pad after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + dilation * (kernel - 1) + 1 - size, 0)
    return total // 2, total - total // 2


# ---------------------------------------------------------------------- forward values
@pytest.mark.parametrize("strides, padding, dilation", [
    (1, "valid", 1), (2, "valid", 1), (1, "same", 1), (2, "same", 1), ((1, 2), 1, 1),
    (1, ((0, 1), (2, 0)), 1), (1, "valid", 2), (2, "same", (2, 1)),
])
def test_conv2d_matches_the_loop(strides, padding, dilation):
    autograd.seed(0)
    layer = Conv2D(4, (3, 2), strides=strides, padding=padding, dilation_rate=dilation,
                   bias_initializer="glorot_uniform")
    x = RNG.normal(size=(2, 3, 7, 6)).astype(np.float32)
    out = layer(x)
    assert layer.kernel.shape == (4, 3, 3, 2) and layer.bias.shape == (4,)
    stride = (strides,) * 2 if isinstance(strides, int) else strides
    dil = (dilation,) * 2 if isinstance(dilation, int) else dilation
    if padding == "same":
        pads = [same_pads(s, k, st, d) for s, k, st, d in zip((7, 6), (3, 2), stride, dil)]
    elif padding == "valid":
        pads = 0
    elif isinstance(padding, int):
        pads = padding
    else:
        pads = list(padding)
    expected = loop_conv(x, layer.kernel.data, layer.bias.data, stride, pads, dil)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-5)
    if padding == "same":
        assert out.shape[2:] == tuple(math.ceil(s / st) for s, st in zip((7, 6), stride))


def test_conv_layer_is_autograd_conv_plus_activation():
    autograd.seed(1)
    layer = Conv2D(6, 3, padding="same", groups=2, activation="relu")
    x = Tensor(RNG.normal(size=(3, 4, 5, 5)).astype(np.float32))
    out = layer(x)
    assert out.op.name == "relu"
    expected = autograd.relu(autograd.conv(x, layer.kernel, layer.bias, padding="same", groups=2))
    np.testing.assert_array_equal(out.data, expected.data)


def test_grouped_conv_matches_the_loop():
    autograd.seed(2)
    layer = Conv2d(6, 4, 3, padding=1, groups=2)
    assert layer.weight.shape == (4, 3, 3, 3)
    x = RNG.normal(size=(2, 6, 5, 4)).astype(np.float32)
    expected = loop_conv(x, layer.weight.data, layer.bias.data, 1, 1, 1, groups=2)
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-4, atol=1e-5)


def test_depthwise_conv_matches_the_loop():
    autograd.seed(3)
    layer = Conv1D(6, 3, groups=3, use_bias=False)
    x = RNG.normal(size=(2, 3, 9)).astype(np.float32)
    out = layer(x)
    assert layer.kernel.shape == (6, 1, 3) and layer.bias is None
    np.testing.assert_allclose(out.data, loop_conv(x, layer.kernel.data, groups=3), rtol=1e-4, atol=1e-5)


def test_conv1d_and_conv3d_match_the_loop():
    autograd.seed(4)
    x1 = RNG.normal(size=(2, 2, 11)).astype(np.float32)
    c1 = Conv1d(2, 3, 4, stride=2, padding=1, dilation=2)
    np.testing.assert_allclose(c1(x1).data, loop_conv(x1, c1.weight.data, c1.bias.data, 2, 1, 2),
                               rtol=1e-4, atol=1e-5)
    x3 = RNG.normal(size=(1, 2, 4, 5, 3)).astype(np.float32)
    c3 = Conv3D(3, (2, 3, 2), strides=(1, 2, 1), padding="same")
    pads = [same_pads(s, k, st) for s, k, st in zip((4, 5, 3), (2, 3, 2), (1, 2, 1))]
    np.testing.assert_allclose(c3(x3).data, loop_conv(x3, c3.kernel.data, c3.bias.data, (1, 2, 1), pads),
                               rtol=1e-4, atol=1e-5)
    t3 = Conv3d(2, 2, 2)
    assert t3(x3).shape == (1, 2, 3, 4, 2)


def test_convnd_handles_four_spatial_axes():
    autograd.seed(5)
    layer = ConvND(4, 2, 2, padding=(1, 0, 0, 1), bias_initializer="ones")
    x = RNG.normal(size=(1, 2, 3, 3, 2, 3)).astype(np.float32)
    out = layer(x)
    assert layer.name.startswith("conv4d")
    assert layer.kernel.shape == (2, 2, 2, 2, 2, 2) and out.shape == (1, 2, 4, 2, 1, 4)
    expected = loop_conv(x, layer.kernel.data, layer.bias.data, 1, [(1, 1), (0, 0), (0, 0), (1, 1)])
    np.testing.assert_allclose(out.data, expected, rtol=1e-4, atol=1e-5)


def test_float64_layers_keep_float64_and_inputs_are_cast():
    layer = Conv2D(2, 3, dtype=np.float64)
    assert layer(np.ones((1, 1, 4, 4), dtype=np.float32)).dtype == np.float64
    assert Conv2D(2, 3)(np.ones((1, 1, 4, 4))).dtype == np.float32  # float64 data, float32 layer


# ---------------------------------------------------------------------- gradients
def test_gradients_through_conv_maxpool_dense_stack():
    autograd.seed(6)
    model = nn.Sequential([
        Conv2D(3, 3, padding="same", activation="tanh", input_shape=(2, 6, 6), dtype=np.float64,
               bias_initializer="glorot_uniform"),
        MaxPool2D(2),
        Conv2d(3, 2, 2, stride=1, groups=1, dtype=np.float64),
        Flatten(),
        Dense(4, activation="sigmoid", dtype=np.float64),
    ])
    check_module_gradients(model, RNG.normal(size=(2, 2, 6, 6)))


def test_gradients_of_strided_dilated_grouped_conv():
    autograd.seed(7)
    layer = Conv1D(4, 3, strides=2, dilation_rate=2, padding="same", groups=2, dtype=np.float64,
                   bias_initializer="glorot_uniform", activation="tanh")
    check_module_gradients(layer, RNG.normal(size=(2, 4, 9)))


# ---------------------------------------------------------------------- building, shapes, counts
def test_channels_are_inferred_on_the_first_call():
    layer = Conv2D(5, 3)
    assert not layer.built and layer.kernel is None and layer.input_channels is None
    out = layer(np.zeros((2, 3, 8, 8), dtype=np.float32))
    assert layer.built and layer.kernel.shape == (5, 3, 3, 3) and out.shape == (2, 5, 6, 6)
    assert [name for name, _ in layer.named_parameters()] == ["kernel", "bias"]


def test_input_shape_builds_the_model_and_summary_shows_shapes_and_counts():
    model = nn.Sequential([
        Conv2D(8, 5, activation="relu", input_shape=(1, 28, 28)),
        MaxPool2D(2),
        Conv2D(16, 3, padding="same", use_bias=False),
        BatchNormalization(),
        ReLU(),
        AvgPool2D(2),
        Flatten(),
        Dense(10),
    ])
    assert all(m.built for m in model.modules())
    counts = [sum(p.data.size for p in layer.parameters()) for layer in model]
    assert counts == [8 * 1 * 25 + 8, 0, 16 * 8 * 9, 2 * 16, 0, 0, 0, 16 * 6 * 6 * 10 + 10]
    lines = []
    model.summary(print_fn=lines.append)
    text = lines[0]
    for row in ["(None, 8, 24, 24)", "(None, 8, 12, 12)", "(None, 16, 12, 12)", "(None, 16, 6, 6)",
                "(None, 576)", "(None, 10)", "208", "1,152", "5,770"]:
        assert row in text
    assert f"Total params: {sum(counts) + 32:,}" in text  # + batch-norm moving statistics
    assert model.build((None, 1, 28, 28)) == (None, 10)


def test_input_channels_builds_without_input_shape():
    layer = Conv2D(4, 3, input_channels=6, groups=2)
    assert layer.built and layer.kernel.shape == (4, 3, 3, 3) and layer.input_channels == 6


def test_keras_kernel_initializer_uses_keras_fans():
    autograd.seed(8)
    layer = Conv2D(64, 3, input_channels=32)
    limit = math.sqrt(6 / (32 * 9 + 64 * 9))  # fan_in = C_in * 9, fan_out = filters * 9
    values = layer.kernel.data
    assert np.abs(values).max() <= limit and np.abs(values).max() > 0.95 * limit
    assert np.all(layer.bias.data == 0)
    he = Conv2D(64, 3, input_channels=32, groups=4, kernel_initializer="he_normal")
    assert he.kernel.shape == (64, 8, 3, 3)
    np.testing.assert_allclose(he.kernel.data.std(), math.sqrt(2 / (8 * 9)), rtol=0.05)


def test_torch_conv_uses_pytorch_default_init():
    autograd.seed(9)
    layer = Conv2d(16, 32, (3, 5), groups=4)
    bound = 1 / math.sqrt(4 * 15)  # fan_in = in_channels / groups * kernel taps
    for p in (layer.weight.data, layer.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > 0.9 * bound
    assert layer.weight.shape == (32, 4, 3, 5)
    assert Conv2d(1, 2, 3, bias=False).bias is None


def test_kernel_regularizer_adds_its_penalty():
    layer = Conv2D(2, 3, input_channels=2, kernel_regularizer=nn.regularizers.L2(0.1))
    np.testing.assert_allclose(layer.regularization_loss().data,
                               0.1 * np.sum(layer.kernel.data ** 2), rtol=1e-5)


def test_automatic_names_are_unique():
    first, second = Conv2D(1, 1), Conv2D(1, 1)
    assert first.name != second.name and first.name.startswith("conv2d")
    assert Conv2D(1, 1, name="edges").name == "edges"


# ---------------------------------------------------------------------- errors
def test_wrong_channel_count_names_the_layer_and_shapes():
    layer = Conv2D(4, 3, input_shape=(3, 28, 28), name="conv2d_in")
    with pytest.raises(ValueError, match=r"Conv2D 'conv2d_in': expected input with 3 channels, "
                                         r"got shape \(8, 1, 28, 28\)"):
        layer(np.zeros((8, 1, 28, 28), dtype=np.float32))
    torch_layer = Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4.*expected input with 3 channels.*\(2, 5, 9, 9\)"):
        torch_layer(np.zeros((2, 5, 9, 9), dtype=np.float32))


def test_wrong_rank_is_refused():
    with pytest.raises(ValueError, match=r"Conv2D 'c': expected input of shape \(N, C, H, W\).*"
                                         r"got shape \(28, 28\)"):
        Conv2D(4, 3, name="c")(np.zeros((28, 28), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Conv1d.*\(N, C, L\).*got shape \(2, 3, 4, 4\)"):
        Conv1d(3, 1, 2)(np.zeros((2, 3, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Conv3D.*kernel_size \(3, 3\) must have 3 entries"):
        Conv3D(2, (3, 3))
    with pytest.raises(ValueError, match=r"Conv2D.*input_shape must be one sample's shape "
                                         r"\(C, H, W\).*got \(28, 28\)"):
        Conv2D(2, 3, input_shape=(28, 28))


def test_kernel_larger_than_padded_input_is_refused():
    with pytest.raises(ValueError, match=r"Conv2D 'big'.*kernel \(5, 5\).*larger than the padded "
                                         r"input \(4, 4\).*\(1, 1, 4, 4\)"):
        Conv2D(2, 5, name="big")(np.zeros((1, 1, 4, 4), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Conv1d.*spanning \(7,\).*padded input \(6,\)"):
        Conv1d(1, 1, 4, dilation=2, padding=1)(np.zeros((1, 1, 4), dtype=np.float32))
    assert Conv2D(2, 5, padding="same")(np.zeros((1, 1, 4, 4))).shape == (1, 2, 4, 4)


def test_groups_must_divide_the_channels():
    with pytest.raises(ValueError, match=r"Conv2D 'g'.*groups=3 must divide the number of output channels \(4\)"):
        Conv2D(4, 3, groups=3, name="g")
    with pytest.raises(ValueError, match=r"Conv2D 'h'.*groups=3 must divide the number of input channels, got 4"):
        Conv2D(6, 3, groups=3, name="h")(np.zeros((1, 4, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match=r"Conv2d.*groups=2 must divide the number of input channels, got 3"):
        Conv2d(3, 4, 3, groups=2)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="Conv2D.*padding must be 'valid', 'same'"):
        Conv2D(2, 3, padding="causal")
    with pytest.raises(ValueError, match="Conv2D.*strides|Conv2D.*stride"):
        Conv2D(2, 3, strides=0)
    with pytest.raises(ValueError, match="Conv2D.*output channels.*positive"):
        Conv2D(0, 3)
    with pytest.raises(ValueError, match="Conv2D.*channels_first"):
        Conv2D(2, 3, data_format="channels_last")
    with pytest.raises(TypeError, match="Conv2D.*padding must be"):
        Conv2D(2, 3, padding=1.5)


# ---------------------------------------------------------------------- configs and model files
@pytest.mark.parametrize("layer", [
    Conv2D(4, (3, 2), strides=2, padding=((1, 0), (0, 1)), dilation_rate=(1, 2), activation="relu",
           kernel_regularizer="l2", input_shape=(2, 9, 9)),
    Conv1D(6, 3, groups=3, use_bias=False, kernel_initializer="he_uniform"),
    ConvND(4, 2, 2),
    Conv3d(2, 4, 3, stride=2, padding=1, groups=2, bias=False),
])
def test_config_round_trip(layer):
    rebuilt = layer_from_config(layer_to_config(layer))
    assert type(rebuilt) is type(layer)
    assert rebuilt.get_config() == layer.get_config()


def test_saved_cnn_predicts_identically(tmp_path):
    autograd.seed(10)
    model = nn.Sequential([
        Conv2D(4, 3, padding="same", activation="relu", input_shape=(1, 8, 8)),
        BatchNormalization(),
        MaxPool2D(2),
        Conv2d(4, 6, 3, padding=1),
        ReLU(),
        AvgPool2D(2),
        Dropout(0.3),
        Conv2D(8, 1),
        GlobalAveragePooling(),
        Flatten(),
        Dense(3, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = RNG.random((16, 1, 8, 8)).astype(np.float32)
    y = nn.data.to_categorical(RNG.integers(0, 3, 16), 3)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0)  # moves the batch-norm statistics
    path = tmp_path / "cnn.npz"
    model.save(path)
    loaded = nn.load_model(path)
    assert [type(layer) for layer in loaded] == [type(layer) for layer in model]
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert not np.allclose(loaded[1].moving_mean, 0)
