"""nn.init (PyTorch style): in-place fills, sample statistics against the formulas, orthogonality,
fans and gains (against PyTorch's when it is installed), seeding and bad input.

Statistical checks use fixed seeds and samples large enough that each tolerance is many standard
errors wide: with the seed fixed they cannot flake, and a wrong formula misses them by far."""
import math
import statistics

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import init

OUT, IN = 300, 400  # a linear weight (out_features, in_features): 120k samples


def weight(*shape, dtype=np.float32):
    return nn.Parameter(np.zeros(shape, dtype=dtype))


def rng(seed=0):
    return np.random.default_rng(seed)


def truncated_normal_moments(mean, std, a, b):
    """Mean and std of N(mean, std^2) truncated to [a, b] (the textbook formulas)."""
    def cdf(x):  # precise in the lower tail, unlike 0.5 * (1 + erf(x / sqrt(2)))
        return 0.5 * math.erfc(-x / math.sqrt(2))

    pdf = statistics.NormalDist().pdf
    alpha, beta = (a - mean) / std, (b - mean) / std
    mass = cdf(beta) - cdf(alpha) if beta <= 0 else cdf(-alpha) - cdf(-beta)
    pa, pb = pdf(alpha), pdf(beta)
    shift = (pa - pb) / mass
    variance = 1 + (alpha * pa - beta * pb) / mass - shift ** 2
    return mean + std * shift, std * math.sqrt(variance)


# ---------------------------------------------------------------- filling in place

def test_every_function_fills_in_place_and_returns_the_tensor():
    calls = [(init.uniform_, {}), (init.normal_, {}), (init.trunc_normal_, {}),
             (init.constant_, {"val": 0.5}), (init.zeros_, {}), (init.ones_, {}), (init.eye_, {}),
             (init.xavier_uniform_, {}), (init.xavier_normal_, {}), (init.kaiming_uniform_, {}),
             (init.kaiming_normal_, {}), (init.orthogonal_, {})]
    for fn, kwargs in calls:
        w = weight(4, 6)
        array, view = w.data, w.data[1]
        assert fn(w, **kwargs) is w
        assert w.data is array  # written into the same array: views and optimizers see it
        assert w.requires_grad and w.grad is None
        if fn is not init.zeros_:
            assert np.any(view != 0), fn.__name__


def test_fill_refuses_a_wrong_shape_or_dtype():
    w = weight(2, 3)
    with pytest.raises(ValueError, match=r"shape \(3, 2\).*shape \(2, 3\)"):
        init._fill(w, np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="dtype float64.*dtype float32"):
        init._fill(w, np.zeros((2, 3)))


def test_refilling_a_weight_that_a_graph_still_needs_stops_that_graphs_backward():
    w = init.ones_(weight(3))
    loss = (w * w).sum()  # its backward reads w's data
    init.constant_(w, 2.0)  # allowed, as an optimizer step is
    np.testing.assert_array_equal(w.data, [2, 2, 2])
    with pytest.raises(RuntimeError):
        loss.backward()
    fresh = (w * w).sum()
    fresh.backward()
    np.testing.assert_array_equal(w.grad, [4, 4, 4])


def test_float64_tensors_are_filled_in_float64():
    w = init.normal_(weight(1000, dtype=np.float64), std=1e-12, generator=rng())
    assert w.dtype == np.float64 and 0 < np.abs(w.data).max() < 1e-10


# ---------------------------------------------------------------- distributions

def test_uniform_fills_the_interval_evenly():
    w = init.uniform_(weight(OUT, IN), -0.5, 1.5, generator=rng(1)).data
    assert w.min() >= -0.5 and w.max() < 1.5
    assert w.min() < -0.499 and w.max() > 1.499
    assert abs(w.mean() - 0.5) < 0.01 and abs(w.std() - 2 / math.sqrt(12)) < 0.01


def test_normal_has_the_requested_mean_and_std():
    w = init.normal_(weight(OUT, IN), mean=-2.0, std=0.3, generator=rng(2)).data
    assert abs(w.mean() + 2.0) < 0.005 and abs(w.std() - 0.3) / 0.3 < 0.01


@pytest.mark.parametrize("mean, std, a, b", [
    (0.0, 1.0, -2.0, 2.0),      # PyTorch's default
    (0.5, 2.0, -1.0, 3.0),      # asymmetric
    (0.0, 0.02, -2.0, 2.0),     # the usual transformer init: effectively untruncated
    (0.0, 1.0, 5.0, 6.0),       # far in the upper tail: the inverse-CDF path
    (1.0, 1.0, -30.0, -29.5),   # further still, lower tail
    (0.0, 1.0, -0.01, 0.02),    # a narrow interval around the mean
])
def test_trunc_normal_matches_the_truncated_moments(mean, std, a, b):
    w = weight(OUT, IN, dtype=np.float64)
    w = init.trunc_normal_(w, mean, std, a, b, generator=rng(3)).data
    expected_mean, expected_std = truncated_normal_moments(mean, std, a, b)
    assert w.min() >= a and w.max() <= b
    assert abs(w.mean() - expected_mean) < 0.01 * expected_std + 1e-12
    assert abs(w.std() - expected_std) < 0.01 * expected_std


def test_xavier_uniform_and_normal_follow_the_glorot_formulas():
    bound = 2.0 * math.sqrt(6 / (IN + OUT))
    w = init.xavier_uniform_(weight(OUT, IN), gain=2.0, generator=rng(4)).data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert abs(w.mean()) < 0.01 * bound
    std = 0.5 * math.sqrt(2 / (IN + OUT))
    w = init.xavier_normal_(weight(OUT, IN), gain=0.5, generator=rng(5)).data
    assert abs(w.std() - std) / std < 0.01
    assert np.abs(w).max() > 3.5 * std  # not truncated, unlike Keras's glorot_normal


@pytest.mark.parametrize("mode, fan", [("fan_in", 16 * 9), ("fan_out", 32 * 9)])
def test_kaiming_uniform_and_normal_on_a_convolution_weight(mode, fan):
    shape = (32, 16, 3, 3)  # (out, in, kh, kw)
    bound = math.sqrt(2) * math.sqrt(3 / fan)
    w = init.kaiming_uniform_(weight(*shape), mode=mode, nonlinearity="relu", generator=rng(6)).data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    std = math.sqrt(2 / (1 + 0.2 ** 2)) / math.sqrt(fan)
    w = init.kaiming_normal_(weight(*shape), a=0.2, mode=mode, generator=rng(7)).data
    assert abs(w.std() - std) / std < 0.03  # 4608 samples: the standard error is about 1%


def test_kaiming_uniform_with_a_sqrt5_is_pytorchs_default_linear_init():
    bound = 1 / math.sqrt(IN)  # what Linear and Conv use: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    w = init.kaiming_uniform_(weight(OUT, IN), a=math.sqrt(5), generator=rng(8)).data
    assert np.abs(w).max() <= bound * (1 + 1e-6) and np.abs(w).max() > 0.999 * bound


@pytest.mark.parametrize("shape", [(5, 5), (8, 3), (3, 8), (6, 2, 3, 3), (4, 2, 7)])
@pytest.mark.parametrize("gain", [1.0, 1.7])
def test_orthogonal_rows_or_columns_are_orthonormal(shape, gain):
    w = init.orthogonal_(weight(*shape, dtype=np.float64), gain=gain, generator=rng(9)).data
    matrix = w.reshape(shape[0], -1) / gain  # PyTorch flattens the trailing dimensions
    rows, cols = matrix.shape
    gram = matrix @ matrix.T if rows <= cols else matrix.T @ matrix
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_matrices_are_uniformly_oriented():
    # With the sign of R's diagonal fixed, Q is Haar distributed: E[Q] = 0 and E[q_ij^2] = 1/n.
    draws = np.stack([init.orthogonal_(weight(4, 4, dtype=np.float64), generator=rng(s)).data
                      for s in range(2000)])
    assert np.abs(draws.mean(axis=0)).max() < 0.05  # the standard error is 0.011
    np.testing.assert_allclose((draws ** 2).mean(axis=0), 0.25, atol=0.02)


def test_constant_zeros_ones_and_eye():
    np.testing.assert_array_equal(init.constant_(weight(2, 3), -1.5).data, np.full((2, 3), -1.5))
    np.testing.assert_array_equal(init.zeros_(init.ones_(weight(3))).data, np.zeros(3))
    np.testing.assert_array_equal(init.ones_(weight(2, 2)).data, np.ones((2, 2)))
    np.testing.assert_array_equal(init.eye_(weight(2, 3)).data, [[1, 0, 0], [0, 1, 0]])
    counts = Tensor(np.zeros(4, dtype=np.int64))
    np.testing.assert_array_equal(init.constant_(counts, 7).data, [7, 7, 7, 7])
    assert counts.dtype == np.int64


def test_zero_element_tensors_are_left_alone():
    empty = weight(0, 5)
    for fn in (init.xavier_uniform_, init.kaiming_normal_, init.orthogonal_, init.uniform_):
        assert fn(empty) is empty and empty.shape == (0, 5)


# ---------------------------------------------------------------- gains and fans

def test_gains_are_pytorchs_documented_values():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid"):
        assert init.calculate_gain(name) == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01 ** 2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("leaky_relu", 0) == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("selu") == pytest.approx(0.75)


def test_fans_of_linear_and_convolution_weights():
    assert init.calculate_fan_in_and_fan_out(weight(10, 20)) == (20, 10)
    assert init.calculate_fan_in_and_fan_out(weight(32, 16, 3, 5)) == (16 * 15, 32 * 15)
    assert init.calculate_fan_in_and_fan_out(weight(8, 4, 7)) == (28, 56)
    assert init.calculate_fan_in_and_fan_out(weight(2, 3, 2, 2, 2)) == (24, 16)


# ---------------------------------------------------------------- seeding

def test_seeding_and_generators_make_draws_reproducible():
    autograd.seed(11)
    first = init.kaiming_uniform_(weight(5, 4)).data.copy()
    autograd.seed(11)
    np.testing.assert_array_equal(init.kaiming_uniform_(weight(5, 4)).data, first)
    a = init.orthogonal_(weight(5, 4), generator=rng(3)).data
    b = init.orthogonal_(weight(5, 4), generator=rng(3)).data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(init.normal_(weight(5, 4), generator=rng(4)).data,
                              init.normal_(weight(5, 4), generator=rng(5)).data)


# ---------------------------------------------------------------- bad input

def test_bad_input_gets_a_clear_error():
    with pytest.raises(TypeError, match="xavier_uniform_: expected a Tensor or Parameter, got nd"):
        init.xavier_uniform_(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="normal_: needs a floating-point tensor, got dtype int64"):
        init.normal_(Tensor(np.zeros(3, dtype=np.int64)))
    with pytest.raises(ValueError, match=r"two or more dimensions, got shape \(5,\)"):
        init.xavier_normal_(weight(5))
    with pytest.raises(ValueError, match=r"mode must be 'fan_in' or 'fan_out', got 'fan_avg'"):
        init.kaiming_uniform_(weight(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.kaiming_normal_(weight(3, 3), nonlinearity="swish")
    with pytest.raises(ValueError, match="negative slope must be a finite number, got True"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(TypeError, match="generator must be a numpy.random.Generator, got int"):
        init.uniform_(weight(3), generator=0)
    with pytest.raises(ValueError, match="need a <= b"):
        init.uniform_(weight(3), 1.0, 0.0)
    with pytest.raises(ValueError, match="std must be >= 0"):
        init.normal_(weight(3), std=-1)
    with pytest.raises(ValueError, match="need std > 0 and a < b"):
        init.trunc_normal_(weight(3), a=1.0, b=1.0)
    with pytest.raises(ValueError, match="40.0 standard deviations from the mean"):
        init.trunc_normal_(weight(3), a=-41.0, b=-40.0)
    with pytest.raises(ValueError, match="eye_: needs a 2-D tensor"):
        init.eye_(weight(2, 2, 2))
    with pytest.raises(ValueError, match="orthogonal_: needs a tensor of two or more dimensions"):
        init.orthogonal_(weight(4))
    with pytest.raises(ValueError, match="0.5 cannot be stored in a tensor of dtype int64"):
        init.constant_(Tensor(np.zeros(2, dtype=np.int64)), 0.5)
    with pytest.raises(ValueError, match="300 cannot be stored in a tensor of dtype int8"):
        init.constant_(Tensor(np.zeros(2, dtype=np.int8)), 300)


# ---------------------------------------------------------------- against PyTorch

SHAPES = [(10, 20), (20, 10), (32, 16, 3, 3), (8, 4, 7), (2, 3, 2, 2, 2), (1, 1)]
GAINS = [("linear", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("selu", None),
         ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 3)]


def test_fans_and_gains_equal_pytorchs():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    for shape in SHAPES:
        expected = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert init.calculate_fan_in_and_fan_out(weight(*shape)) == expected, shape
    for name, param in GAINS:
        expected = torch.nn.init.calculate_gain(name, param)
        assert init.calculate_gain(name, param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("name, kwargs", [
    ("xavier_uniform_", {"gain": 1.3}),
    ("kaiming_uniform_", {"a": math.sqrt(5)}),
    ("kaiming_uniform_", {"mode": "fan_out", "nonlinearity": "relu"}),
])
def test_uniform_bounds_equal_pytorchs(name, kwargs):
    """Both samples of 1e5 fill the same interval: their extremes agree to 1e-3 and never pass
    the bound PyTorch's formula gives."""
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    torch.manual_seed(0)
    shape = (250, 50, 2, 4)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs)
    ours = getattr(init, name)(weight(*shape, dtype=np.float64), generator=rng(0), **kwargs).data
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(theirs)
    if name == "xavier_uniform_":
        bound = kwargs["gain"] * math.sqrt(6 / (fan_in + fan_out))
    else:
        fan = fan_in if kwargs.get("mode", "fan_in") == "fan_in" else fan_out
        nonlinearity = kwargs.get("nonlinearity", "leaky_relu")
        gain = torch.nn.init.calculate_gain(nonlinearity, kwargs.get("a", 0))
        bound = gain * math.sqrt(3 / fan)
    assert np.abs(ours).max() <= bound * (1 + 1e-12)
    assert np.abs(ours).max() == pytest.approx(theirs.abs().max().item(), rel=1e-3)


@pytest.mark.parametrize("name, kwargs", [
    ("xavier_normal_", {"gain": 0.7}),
    ("kaiming_normal_", {"mode": "fan_in", "nonlinearity": "tanh"}),
    ("kaiming_normal_", {"a": 0.1, "mode": "fan_out"}),
    ("trunc_normal_", {"mean": 0.3, "std": 0.5, "a": -0.2, "b": 1.0}),
])
def test_normal_stds_equal_pytorchs(name, kwargs):
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    torch.manual_seed(0)
    shape = (250, 50, 2, 4)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=torch.float64), **kwargs)
    ours = getattr(init, name)(weight(*shape, dtype=np.float64), generator=rng(0), **kwargs).data
    assert ours.std() == pytest.approx(theirs.std().item(), rel=0.01)
    assert ours.mean() == pytest.approx(theirs.mean().item(), abs=0.01 * ours.std())


def test_orthogonal_reads_the_weight_as_pytorch_does():
    torch = pytest.importorskip("torch", reason="PyTorch is not installed")
    for shape in [(6, 2, 3), (2, 3, 4)]:
        theirs = torch.nn.init.orthogonal_(torch.empty(shape, dtype=torch.float64))
        ours = init.orthogonal_(weight(*shape, dtype=np.float64), generator=rng(0)).data
        theirs, ours = theirs.reshape(shape[0], -1), ours.reshape(shape[0], -1)
        for matrix in (theirs.numpy(), ours):  # the same side comes out orthonormal
            small = min(matrix.shape)
            gram = matrix @ matrix.T if matrix.shape[0] == small else matrix.T @ matrix
            np.testing.assert_allclose(gram, np.eye(small), atol=1e-12)
