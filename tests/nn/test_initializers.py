"""Initializers: sample statistics against the published formulas, truncation, fans and seeding."""
import math

import numpy as np
import pytest

import autograd
from nn import initializers as init

FAN_IN, FAN_OUT = 400, 300
SHAPE = (FAN_IN, FAN_OUT)  # 120k samples: sample stds are within ~0.5% of the truth


@pytest.mark.parametrize("fn, limit", [
    (init.glorot_uniform, math.sqrt(6 / (FAN_IN + FAN_OUT))),
    (init.he_uniform, math.sqrt(6 / FAN_IN)),
    (init.lecun_uniform, math.sqrt(3 / FAN_IN)),
])
def test_uniform_initializers_fill_the_published_range(fn, limit):
    w = fn(SHAPE, rng=np.random.default_rng(0))
    assert w.dtype == np.float32 and w.shape == SHAPE
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert np.isclose(w.std(), limit / math.sqrt(3), rtol=0.01)  # std of U(-l, l)
    assert abs(w.mean()) < 0.01 * limit


@pytest.mark.parametrize("fn, std", [
    (init.glorot_normal, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (init.he_normal, math.sqrt(2 / FAN_IN)),
    (init.lecun_normal, math.sqrt(1 / FAN_IN)),
])
def test_normal_initializers_have_the_published_std_and_are_truncated(fn, std):
    w = fn(SHAPE, dtype=np.float64, rng=np.random.default_rng(0))
    assert w.dtype == np.float64
    assert np.isclose(w.std(), std, rtol=0.01)
    assert abs(w.mean()) < 0.01 * std
    bound = 2 * std / init.TRUNCATED_NORMAL_STD  # two stds of the underlying normal
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_truncation_constant_is_the_std_of_a_unit_normal_truncated_at_two():
    # Var of N(0, 1) truncated to [-a, a]: 1 - 2 a pdf(a) / (cdf(a) - cdf(-a))
    pdf = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert math.isclose(math.sqrt(1 - 4 * pdf / mass), init.TRUNCATED_NORMAL_STD, rel_tol=1e-12)


def test_fans_of_dense_and_convolution_kernels():
    assert init.compute_fans((5, 7)) == (5, 7)
    assert init.compute_fans((3, 3, 16, 32)) == (144, 288)  # Keras: (kh, kw, in, out)
    assert init.compute_fans((32, 16, 3, 3), channels_last=False) == (144, 288)  # PyTorch: (out, in, kh, kw)
    assert init.compute_fans((6,)) == (6, 6)
    conv = init.he_uniform((3, 3, 16, 32), rng=np.random.default_rng(0))
    assert np.abs(conv).max() <= math.sqrt(6 / 144)


def test_constant_zeros_ones_and_random_factories():
    np.testing.assert_array_equal(init.zeros((2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(init.ones((3,)), np.ones(3))
    np.testing.assert_array_equal(init.constant(0.5)((2,)), [0.5, 0.5])
    u = init.RandomUniform(-0.1, 0.3)((10000,), rng=np.random.default_rng(0))
    assert u.min() >= -0.1 and u.max() <= 0.3 and np.isclose(u.mean(), 0.1, atol=0.01)
    n = init.RandomNormal(1.0, 0.5)((20000,), rng=np.random.default_rng(0))
    assert np.isclose(n.mean(), 1.0, atol=0.02) and np.isclose(n.std(), 0.5, rtol=0.02)


def test_seeding_the_shared_generator_makes_initialization_reproducible():
    autograd.seed(42)
    first = init.glorot_uniform((3, 4)), init.he_normal((3, 4))
    autograd.seed(42)
    second = init.glorot_uniform((3, 4)), init.he_normal((3, 4))
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(init.glorot_uniform((3, 4)), first[0])


def test_get_and_serialize():
    assert init.get("glorot_uniform") is init.glorot_uniform
    assert init.get("GlorotUniform") is init.glorot_uniform
    assert init.get("kaiming_normal") is init.he_normal
    assert isinstance(init.get("constant"), init.Constant)
    custom = lambda shape, dtype=np.float32, rng=None: np.zeros(shape, dtype)  # noqa: E731
    assert init.get(custom) is custom
    rebuilt = init.get(init.serialize(init.constant(2.5)))
    np.testing.assert_array_equal(rebuilt((2,)), [2.5, 2.5])
    assert init.serialize(init.he_normal) == "he_normal"
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        init.get("glorot")
    with pytest.raises(ValueError, match="not a built-in initializer"):
        init.serialize(custom)
