"""Pooling layers: outputs against plain loops, gradients by finite differences, Keras's
'same' padding, PyTorch's padding, global pooling, aliases, errors and configs."""
import math

import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from nn.layers import (AveragePooling1D, AveragePooling2D, AveragePooling3D, AvgPool1D, AvgPool1d,
                       AvgPool2D, AvgPool2d, AvgPool3D, AvgPool3d, AvgPoolND,
                       GlobalAveragePooling, GlobalAveragePooling1D, GlobalAveragePooling2D,
                       GlobalAveragePooling3D, GlobalMaxPooling, GlobalMaxPooling2D, MaxPool1D,
                       MaxPool1d, MaxPool2D, MaxPool2d, MaxPool3D, MaxPool3d, MaxPooling1D,
                       MaxPooling2D, MaxPooling3D, MaxPoolND)
from nn.module import layer_from_config, layer_to_config

RNG = np.random.default_rng(11)


def loop_pool(x, kind, pool, stride, pads, count_pad=True):
    """Max or mean of every window, one window at a time. ``pads``: (before, after) per axis;
    padded elements never win a max and count in a mean only with ``count_pad``."""
    rank = x.ndim - 2
    spatial = x.shape[2:]
    out_size = [(s + lo + hi - k) // st + 1 for s, (lo, hi), k, st in zip(spatial, pads, pool, stride)]
    out = np.zeros(x.shape[:2] + tuple(out_size))
    for n, c in np.ndindex(*x.shape[:2]):
        for pos in np.ndindex(*out_size):
            starts = [p * st - lo for p, st, (lo, _) in zip(pos, stride, pads)]
            inside = tuple(slice(max(a, 0), min(a + k, s)) for a, k, s in zip(starts, pool, spatial))
            window = x[(n, c) + inside]
            if kind == "max":
                out[(n, c) + pos] = window.max()
            else:
                count = math.prod(pool) if count_pad else window.size
                out[(n, c) + pos] = window.sum() / count
    return out


def keras_same(spatial, pool, stride):
    pairs = []
    for s, k, st in zip(spatial, pool, stride):
        total = max((math.ceil(s / st) - 1) * st + k - s, 0)
        pairs.append((total // 2, total - total // 2))
    return pairs


# ---------------------------------------------------------------------- values
@pytest.mark.parametrize("cls, kind", [(MaxPool2D, "max"), (AvgPool2D, "avg")])
@pytest.mark.parametrize("pool, strides, padding", [
    (2, None, "valid"), (3, 2, "valid"), ((2, 3), (1, 2), "valid"), (3, 1, 1),
    (2, None, "same"), (3, 2, "same"), ((3, 2), (2, 3), "same"), (2, 1, "same"),
])
def test_keras_pooling_2d_matches_the_loop(cls, kind, pool, strides, padding):
    layer = cls(pool, strides, padding)
    x = RNG.normal(size=(2, 3, 7, 8))
    out = layer(Tensor(x))
    p = (pool,) * 2 if isinstance(pool, int) else pool
    s = p if strides is None else ((strides,) * 2 if isinstance(strides, int) else strides)
    if padding == "same":
        pads = keras_same(x.shape[2:], p, s)
        assert out.shape[2:] == tuple(math.ceil(n / st) for n, st in zip(x.shape[2:], s))
        expected = loop_pool(x, kind, p, s, pads, count_pad=False)  # Keras averages real elements
    else:
        width = 0 if padding == "valid" else padding
        expected = loop_pool(x, kind, p, s, [(width, width)] * 2)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_pooling_in_one_and_three_dimensions():
    x1 = RNG.normal(size=(2, 3, 9))
    np.testing.assert_allclose(MaxPool1D(3, 2, "same")(x1).data,
                               loop_pool(x1, "max", (3,), (2,), keras_same((9,), (3,), (2,))))
    np.testing.assert_allclose(AvgPool1d(4, 2, padding=2, count_include_pad=False)(x1).data,
                               loop_pool(x1, "avg", (4,), (2,), [(2, 2)], count_pad=False))
    x3 = RNG.normal(size=(1, 2, 5, 4, 6))
    np.testing.assert_allclose(MaxPool3D((2, 2, 3))(x3).data,
                               loop_pool(x3, "max", (2, 2, 3), (2, 2, 3), [(0, 0)] * 3))
    np.testing.assert_allclose(AvgPool3D(2, padding="same")(x3).data,
                               loop_pool(x3, "avg", (2,) * 3, (2,) * 3,
                                         keras_same((5, 4, 6), (2,) * 3, (2,) * 3), count_pad=False))
    np.testing.assert_allclose(MaxPool3d(3, stride=1, padding=1)(x3).data,
                               loop_pool(x3, "max", (3,) * 3, (1,) * 3, [(1, 1)] * 3))
    np.testing.assert_allclose(AvgPool3d(2, stride=(1, 2, 3))(x3).data,
                               loop_pool(x3, "avg", (2,) * 3, (1, 2, 3), [(0, 0)] * 3))


def test_pytorch_pooling_2d_matches_the_loop():
    x = RNG.normal(size=(2, 2, 6, 7))
    np.testing.assert_allclose(MaxPool2d(3, stride=2, padding=1)(x).data,
                               loop_pool(x, "max", (3, 3), (2, 2), [(1, 1)] * 2))
    np.testing.assert_allclose(AvgPool2d((2, 3), padding=(1, 1))(x).data,
                               loop_pool(x, "avg", (2, 3), (2, 3), [(1, 1)] * 2, count_pad=True))
    np.testing.assert_allclose(AvgPool2d(2, 1, 1, count_include_pad=False)(x).data,
                               loop_pool(x, "avg", (2, 2), (1, 1), [(1, 1)] * 2, count_pad=False))
    layer = MaxPool2d(2)
    assert layer.kernel_size == (2, 2) and layer.stride == (2, 2)


def test_max_pooling_same_padding_never_picks_the_padding():
    x = -np.abs(RNG.normal(size=(1, 1, 5, 5))) - 1.0  # all negative: zero padding would win
    out = MaxPool2D(2, padding="same")(x).data
    assert out.shape == (1, 1, 3, 3) and np.all(out < -1.0)
    np.testing.assert_allclose(out[0, 0, 2, 2], x[0, 0, 4, 4])


def test_rank_general_pooling():
    x = RNG.normal(size=(1, 1, 4, 4, 2, 2))
    out = MaxPoolND(4, pool_size=2)(x)
    assert out.shape == (1, 1, 2, 2, 1, 1)
    np.testing.assert_allclose(out.data[0, 0, 1, 0, 0, 0], x[0, 0, 2:4, 0:2].max())
    np.testing.assert_allclose(AvgPoolND(4, 2)(x).data[0, 0, 0, 1, 0, 0], x[0, 0, 0:2, 2:4].mean())


def test_global_pooling():
    x = RNG.normal(size=(3, 4, 5, 6))
    np.testing.assert_allclose(GlobalAveragePooling()(x).data, x.mean(axis=(2, 3)))
    np.testing.assert_allclose(GlobalMaxPooling()(x).data, x.max(axis=(2, 3)))
    kept = GlobalAveragePooling(keepdims=True)(x)
    assert kept.shape == (3, 4, 1, 1)
    x3 = RNG.normal(size=(2, 3, 2, 3, 4))
    np.testing.assert_allclose(GlobalMaxPooling2D()(x3).data, x3.max(axis=(2, 3, 4)))
    np.testing.assert_allclose(GlobalAveragePooling1D()(x3[:, :, 0, 0]).data, x3[:, :, 0, 0].mean(axis=2))


def test_keras_names_are_aliases():
    assert MaxPooling1D is MaxPool1D and MaxPooling2D is MaxPool2D and MaxPooling3D is MaxPool3D
    assert AveragePooling1D is AvgPool1D and AveragePooling2D is AvgPool2D
    assert AveragePooling3D is AvgPool3D
    assert GlobalAveragePooling2D is GlobalAveragePooling is GlobalAveragePooling3D
    assert GlobalMaxPooling2D is GlobalMaxPooling
    assert MaxPool2D().pool_size == (2, 2) and MaxPool2D().strides == (2, 2)


# ---------------------------------------------------------------------- gradients
@pytest.mark.parametrize("layer", [
    MaxPool2D(3, 2, "same"), AvgPool2D(3, 2, "same"), AvgPool2D((2, 3), (1, 2), "same"),
    MaxPool2d(3, stride=2, padding=1), AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    GlobalAveragePooling(), GlobalMaxPooling(), MaxPool1D(2, 1), AvgPool3D(2, padding="same"),
])
def test_pooling_gradients(layer):
    rank = getattr(layer, "rank", 2)
    shape = {1: (2, 2, 7), 2: (2, 2, 5, 6), 3: (1, 2, 3, 3, 2)}[rank]
    x = RNG.permutation(np.prod(shape)).reshape(shape) * 0.1  # distinct values: no tied maxima
    assert gradcheck(layer, [x])


# ---------------------------------------------------------------------- errors and configs
def test_wrong_rank_names_the_layer():
    with pytest.raises(ValueError, match=r"MaxPool2D 'p': expected input of shape \(N, C, H, W\).*"
                                         r"got shape \(8, 28, 28\)"):
        MaxPool2D(name="p")(np.zeros((8, 28, 28)))
    with pytest.raises(ValueError, match=r"AvgPool1d.*\(N, C, L\).*\(2, 3, 4, 4\)"):
        AvgPool1d(2)(np.zeros((2, 3, 4, 4)))
    with pytest.raises(ValueError, match=r"GlobalMaxPooling.*at least one spatial axis.*\(4, 3\)"):
        GlobalMaxPooling()(np.zeros((4, 3)))


def test_pool_larger_than_input_names_the_layer():
    with pytest.raises(ValueError, match=r"AvgPool2D 'a'.*kernel \(4, 4\).*larger than the padded "
                                         r"input \(3, 3\).*\(2, 1, 3, 3\)"):
        AvgPool2D(4, name="a")(np.zeros((2, 1, 3, 3)))
    assert MaxPool2D(4, padding="same")(np.zeros((2, 1, 3, 3))).shape == (2, 1, 1, 1)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="MaxPool2d.*padding.*at most half"):
        MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="MaxPool2D.*padding must be 'valid', 'same'"):
        MaxPool2D(padding="full")
    with pytest.raises(ValueError, match="MaxPool3D.*3 entries"):
        MaxPool3D((2, 2))
    with pytest.raises(ValueError, match="AvgPool2D.*channels_first"):
        AvgPool2D(data_format="channels_last")


@pytest.mark.parametrize("layer", [
    MaxPool2D((2, 3), 1, "same"), AvgPool1D(3), MaxPoolND(4, 2), AvgPool3d(2, 1, 1, False),
    MaxPool2d(3, 2, 1), GlobalAveragePooling(keepdims=True), GlobalMaxPooling(),
])
def test_config_round_trip(layer):
    rebuilt = layer_from_config(layer_to_config(layer))
    assert type(rebuilt) is type(layer) and rebuilt.get_config() == layer.get_config()
    x = RNG.normal(size=(1, 2, 6, 6, 4, 4)[:2 + getattr(layer, "rank", 2)])
    np.testing.assert_array_equal(rebuilt(x).data, layer(x).data)


def test_max_pooling_keeps_the_dtype():
    x = Tensor(np.ones((1, 1, 4, 4), dtype=np.float32))
    assert MaxPool2D(padding="same")(x).dtype == np.float32
    assert AvgPool2D(3, 2, padding="same")(x).dtype == np.float32
    autograd.seed(0)
