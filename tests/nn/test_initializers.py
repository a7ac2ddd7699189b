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


# ---------------------------------------------------------------- orthogonal, identity, truncated
# normal and variance scaling, by name and as objects

@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 12), (3, 3, 4, 8), (2, 5, 3)])
def test_orthogonal_reads_the_kernel_as_keras_does(shape):
    w = init.get("orthogonal")(shape, dtype=np.float64, rng=np.random.default_rng(0))
    matrix = w.reshape(-1, shape[-1])  # Keras flattens the leading dimensions
    rows, cols = matrix.shape
    gram = matrix.T @ matrix if rows >= cols else matrix @ matrix.T
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)
    scaled = init.Orthogonal(gain=0.5)(shape, dtype=np.float64, rng=np.random.default_rng(0))
    np.testing.assert_allclose(scaled, 0.5 * w, atol=1e-15)
    with pytest.raises(ValueError, match=r"two or more dimensions, got \(5,\)"):
        init.orthogonal()((5,))


def test_recurrent_kernel_of_three_gates_has_orthonormal_rows():
    units = 8
    w = init.Orthogonal()((units, 3 * units), rng=np.random.default_rng(1))  # GRU recurrent kernel
    np.testing.assert_allclose(w @ w.T, np.eye(units), atol=1e-5)


def test_identity():
    np.testing.assert_array_equal(init.get("identity")((2, 3)), [[1, 0, 0], [0, 1, 0]])
    np.testing.assert_array_equal(init.Identity(gain=2.0)((2, 2), dtype=np.float64), 2 * np.eye(2))
    with pytest.raises(ValueError, match=r"2-D shape, got \(2, 2, 2\)"):
        init.identity()((2, 2, 2))


def test_truncated_normal_redraws_beyond_two_stddevs():
    draw = init.TruncatedNormal(mean=1.0, stddev=0.2)
    w = draw(SHAPE, dtype=np.float64, rng=np.random.default_rng(2))
    assert w.min() >= 0.6 and w.max() <= 1.4 and w.min() < 0.601 and w.max() > 1.399
    assert abs(w.mean() - 1.0) < 0.002
    assert np.isclose(w.std(), 0.2 * init.TRUNCATED_NORMAL_STD, rtol=0.01)
    assert init.get("truncated_normal").stddev == 0.05
    with pytest.raises(ValueError, match="TruncatedNormal: stddev must be > 0"):
        init.TruncatedNormal(stddev=0)


@pytest.mark.parametrize("mode, n", [("fan_in", FAN_IN), ("fan_out", FAN_OUT),
                                     ("fan_avg", (FAN_IN + FAN_OUT) / 2)])
def test_variance_scaling_has_variance_scale_over_fan(mode, n):
    for distribution in ("truncated_normal", "untruncated_normal", "uniform"):
        w = init.VarianceScaling(3.0, mode, distribution)(SHAPE, dtype=np.float64,
                                                          rng=np.random.default_rng(3))
        assert np.isclose(w.var(), 3.0 / n, rtol=0.02), distribution
    limit = math.sqrt(9.0 / n)
    w = init.variance_scaling(3.0, mode, "uniform")(SHAPE, rng=np.random.default_rng(3))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.999 * limit


def test_variance_scaling_reproduces_the_named_initializers_exactly():
    pairs = [(init.glorot_uniform, init.VarianceScaling(1.0, "fan_avg", "uniform")),
             (init.he_normal, init.VarianceScaling(2.0, "fan_in", "truncated_normal")),
             (init.lecun_normal, init.VarianceScaling(1.0, "fan_in", "truncated_normal"))]
    for named, general in pairs:
        np.testing.assert_array_equal(named((3, 3, 4, 5), rng=np.random.default_rng(4)),
                                      general((3, 3, 4, 5), rng=np.random.default_rng(4)))


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="VarianceScaling: mode must be one of"):
        init.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="VarianceScaling: distribution must be one of"):
        init.VarianceScaling(distribution="normal_ish")
    with pytest.raises(ValueError, match="VarianceScaling: scale must be a positive number"):
        init.VarianceScaling(scale=0)


@pytest.mark.parametrize("name, cls, config", [
    ("orthogonal", "Orthogonal", {"gain": 1.5}),
    ("identity", "Identity", {"gain": 0.5}),
    ("truncated_normal", "TruncatedNormal", {"mean": 0.1, "stddev": 0.3}),
    ("variance_scaling", "VarianceScaling",
     {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}),
])
def test_new_initializers_by_name_and_in_json(name, cls, config):
    import json
    assert type(init.get(name)) is getattr(init, cls) and type(init.get(cls)) is getattr(init, cls)
    obj = getattr(init, cls)(**config)
    saved = json.loads(json.dumps(init.serialize(obj)))
    assert saved == {"class_name": name, "config": config}
    rebuilt = init.get(saved)
    assert type(rebuilt) is type(obj) and rebuilt.get_config() == config
    rebuilt_camel = init.get({"class_name": cls, "config": config})
    np.testing.assert_array_equal(rebuilt_camel((4, 4), rng=np.random.default_rng(5)),
                                  obj((4, 4), rng=np.random.default_rng(5)))


def test_a_dense_layer_with_an_orthogonal_kernel_survives_a_model_file(tmp_path):
    import nn
    model = nn.Sequential([nn.Dense(6, input_shape=(6,), kernel_initializer=init.Orthogonal(2.0),
                                    bias_initializer="truncated_normal")])
    kernel = model.layers[0].kernel.data
    np.testing.assert_allclose(kernel.T @ kernel, 4 * np.eye(6), atol=1e-5)
    model.save(tmp_path / "model.npz")
    loaded = nn.load_model(tmp_path / "model.npz")
    layer = loaded.layers[0]
    assert isinstance(layer.kernel_initializer, init.Orthogonal)
    assert layer.kernel_initializer.gain == 2.0
    assert isinstance(layer.bias_initializer, init.TruncatedNormal)
    np.testing.assert_array_equal(layer.kernel.data, kernel)
