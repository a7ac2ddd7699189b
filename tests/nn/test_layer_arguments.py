"""Every layer constructor refuses sizes, rates and flags it cannot use, with an error that names
the layer and the argument; nothing is truncated (2.5 -> 2) or coerced ('no' -> True)."""
import numpy as np
import pytest

import nn

L = nn  # the layers are exported at the package root

# (constructor, layer name in the message, argument name in the message)
BAD = [
    (lambda: L.Dense(0), "Dense", "units"),
    (lambda: L.Dense(-3), "Dense", "units"),
    (lambda: L.Dense(2.5), "Dense", "units"),
    (lambda: L.Dense(2, input_dim=0), "Dense", "input_dim"),
    (lambda: L.Dense(2, input_shape=(-3,)), "Dense", "input_shape"),
    (lambda: L.Dense(2, input_shape=(3.5,)), "Dense", "input_shape"),
    (lambda: L.Dense(2, input_shape="abc"), "Dense", "input_shape"),
    (lambda: L.Dense(2, use_bias="no"), "Dense", "use_bias"),
    (lambda: L.Dense(2, dtype="no-such-type"), "Dense", "dtype"),
    (lambda: L.Linear(0, 3), "Linear", "in_features"),
    (lambda: L.Linear(3, -1), "Linear", "out_features"),
    (lambda: L.Linear(3, 2, bias="yes"), "Linear", "bias"),
    (lambda: L.Conv2D(0, 3), "Conv2D", "output channels"),
    (lambda: L.Conv2D(2, 0), "Conv2D", "kernel_size"),
    (lambda: L.Conv2D(2, -3), "Conv2D", "kernel_size"),
    (lambda: L.Conv2D(2, (2.5, 3)), "Conv2D", "kernel_size"),
    (lambda: L.Conv2D(2, 3, strides=0), "Conv2D", "stride"),
    (lambda: L.Conv2D(2, 3, dilation_rate=0), "Conv2D", "dilation"),
    (lambda: L.Conv2D(2, 3, padding=-1), "Conv2D", "padding"),
    (lambda: L.Conv2D(2, 3, padding=((1, -1), (0, 0))), "Conv2D", "padding"),
    (lambda: L.Conv2D(2, 3, padding=((1,), 5)), "Conv2D", "padding"),
    (lambda: L.Conv2D(2, 3, groups=0), "Conv2D", "groups"),
    (lambda: L.Conv2D(2, 3, input_channels=0), "Conv2D", "input_channels"),
    (lambda: L.Conv2D(2, 3, input_shape=(1, -8, 8)), "Conv2D", "input_shape"),
    (lambda: L.Conv2D(2, 3, input_shape=(1, 8.5, 8)), "Conv2D", "input_shape"),
    (lambda: L.Conv2D(2, 3, use_bias=1), "Conv2D", "use_bias"),
    (lambda: L.ConvND(0, 2, 3), "ConvND", "rank"),
    (lambda: L.Conv2d(0, 2, 3), "Conv2d", "in_channels"),
    (lambda: L.Conv2d(1, 0, 3), "Conv2d", "output channels"),
    (lambda: L.Conv2d(1, 2, 0), "Conv2d", "kernel_size"),
    (lambda: L.Conv2d(1, 2, 3, stride=-1), "Conv2d", "stride"),
    (lambda: L.Conv2d(1, 2, 3, dtype=int), "Conv2d", "dtype"),
    (lambda: L.MaxPool2D(0), "MaxPool2D", "pool size"),
    (lambda: L.MaxPool2D(2, strides=0), "MaxPool2D", "strides"),
    (lambda: L.MaxPool2D(2, padding=-1), "MaxPool2D", "padding"),
    (lambda: L.MaxPoolND(-1), "MaxPoolND", "rank"),
    (lambda: L.AvgPool2d(0), "AvgPool2d", "pool size"),
    (lambda: L.AvgPool2d(2, count_include_pad="x"), "AvgPool2d", "count_include_pad"),
    (lambda: L.GlobalAveragePooling(keepdims="x"), "GlobalAveragePooling", "keepdims"),
    (lambda: L.Dropout(-0.1), "Dropout", "rate"),
    (lambda: L.Dropout(float("nan")), "Dropout", "rate"),
    (lambda: L.Dropout(0.5, seed=-1), "Dropout", "seed"),
    (lambda: L.Dropout(0.5, seed="a"), "Dropout", "seed"),
    (lambda: L.BatchNormalization(num_features=0), "BatchNormalization", "num_features"),
    (lambda: L.BatchNormalization(num_features=-2), "BatchNormalization", "num_features"),
    (lambda: L.BatchNormalization(num_features=2.7), "BatchNormalization", "num_features"),
    (lambda: L.BatchNormalization(momentum=2), "BatchNormalization", "momentum"),
    (lambda: L.BatchNormalization(epsilon=0), "BatchNormalization", "epsilon"),
    (lambda: L.BatchNormalization(epsilon=float("inf")), "BatchNormalization", "epsilon"),
    (lambda: L.BatchNormalization(axis="a"), "BatchNormalization", "axis"),
    (lambda: L.BatchNormalization(center="no"), "BatchNormalization", "center"),
    (lambda: L.BatchNormalization(dtype=int), "BatchNormalization", "dtype"),
    (lambda: L.BatchNorm1d(0), "BatchNorm1d", "num_features"),
    (lambda: L.BatchNorm2d(-3), "BatchNorm2d", "num_features"),
    (lambda: L.BatchNorm1d(3, eps=0), "BatchNorm1d", "eps"),
    (lambda: L.BatchNorm1d(3, eps=-1), "BatchNorm1d", "eps"),
    (lambda: L.BatchNorm3d(3, momentum=float("nan")), "BatchNorm3d", "momentum"),
    (lambda: L.BatchNorm1d(3, affine="no"), "BatchNorm1d", "affine"),
    (lambda: L.Flatten(input_shape=(-1,)), "Flatten", "input_shape"),
    (lambda: L.LeakyReLU(float("nan")), "LeakyReLU", "negative_slope"),
    (lambda: L.LeakyReLU("a"), "LeakyReLU", "negative_slope"),
    (lambda: L.ELU(float("inf")), "ELU", "alpha"),
    (lambda: L.Softmax(axis=1.5), "Softmax", "axis"),
]


@pytest.mark.parametrize("make,layer,argument", BAD, ids=[f"{i}-{b[1]}-{b[2]}" for i, b in enumerate(BAD)])
def test_bad_constructor_arguments_name_the_layer_and_the_argument(make, layer, argument):
    with pytest.raises((ValueError, TypeError)) as error:
        make()
    message = str(error.value)
    assert message.startswith(layer), message
    assert argument in message, message


def test_good_arguments_still_work():
    assert L.Dense(3, input_shape=(None, 4)).kernel.shape == (4, 3)
    assert L.Dense(3, input_shape=np.int64(4)).kernel.shape == (4, 3)
    assert L.Conv2D(2, np.int64(3), padding=((1, 0), (0, 1)), input_shape=(1, 8, 8)).padding == \
        ((1, 0), (0, 1))
    assert L.BatchNormalization(num_features=np.int32(3), momentum=1, epsilon=1e-5).num_features == 3
    assert L.Dropout(0, seed=np.int64(3)).seed == 3
    assert L.Flatten(input_shape=[2, 3]).declared_input_shape == (2, 3)
    assert L.LeakyReLU(np.float32(0.2)).negative_slope == pytest.approx(0.2)
    assert L.GlobalMaxPooling(keepdims=np.bool_(True)).keepdims is True


@pytest.mark.parametrize("shape", [(None, -3), (None, 2.5), "abc", (), 7])
def test_build_refuses_impossible_input_shapes(shape):
    model = nn.Sequential([nn.Dense(2)])
    with pytest.raises(ValueError, match=r"Sequential\.build: input_shape must be"):
        model.build(shape)
    assert not model.layers[0].built


def test_summary_refuses_impossible_input_shapes():
    model = nn.Sequential([nn.Dense(2)])
    with pytest.raises(ValueError, match="summary: input_shape must be"):
        model.summary(input_shape=(-1,), print_fn=None)
