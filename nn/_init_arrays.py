"""The arrays both initializer APIs fill weights with: one implementation of each distribution.

``nn.initializers`` (Keras names, ``init(shape, dtype, rng) -> array``) and ``nn.init`` (PyTorch
names, in place on a tensor) are thin front ends over these functions. They differ only in the
kernel layout that fans and orthogonal matrices are read in, which every function here takes as
``channels_last``:

- Keras (``channels_last=True``): a dense kernel is ``(in, out)``, a convolution kernel
  ``(*spatial, in, out)``; orthogonal matrices are ``(prod(shape[:-1]), shape[-1])``.
- PyTorch (``channels_last=False``): a linear weight is ``(out, in)``, a convolution weight
  ``(out, in, *spatial)``; orthogonal matrices are ``(shape[0], prod(shape[1:]))``.

Every sampler draws from ``rng``, a ``numpy.random.Generator`` (``autograd.generator()`` when None).
"""
import math
import statistics

import numpy as np

import autograd

__all__ = ["TRUNCATED_NORMAL_STD", "compute_fans", "uniform", "normal", "truncated_normal",
           "check_variance_scaling", "variance_scaling", "orthogonal", "identity"]

TRUNCATED_NORMAL_STD = 0.87962566103423978  # std of N(0, 1) truncated to [-2, 2]

FAN_MODES = ("fan_in", "fan_out", "fan_avg")
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

# Below this probability mass of the truncation interval, rejection sampling would draw too many
# candidates per kept sample, and the inverse of the normal CDF is used instead.
_REJECTION_MIN_MASS = 0.3
_unit_normal = statistics.NormalDist()
_inverse_cdf = np.frompyfunc(_unit_normal.inv_cdf, 1, 1)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _rng(rng):
    return autograd.generator() if rng is None else rng


def compute_fans(shape, channels_last=True):
    """``(fan_in, fan_out)`` of a kernel of ``shape`` in the Keras (``channels_last``) or PyTorch
    layout (see the module docstring). A 1-D shape ``(n,)`` has both fans ``n``; a scalar 1."""
    shape = tuple(int(n) for n in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return (shape[0], shape[1]) if channels_last else (shape[1], shape[0])
    if channels_last:
        receptive = math.prod(shape[:-2])
        return shape[-2] * receptive, shape[-1] * receptive
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def uniform(shape, low, high, dtype=np.float32, rng=None):
    """Samples of U(low, high)."""
    return _rng(rng).uniform(low, high, size=tuple(shape)).astype(dtype, copy=False)


def normal(shape, mean, std, dtype=np.float32, rng=None):
    """Samples of N(mean, std^2)."""
    return _rng(rng).normal(mean, std, size=tuple(shape)).astype(dtype, copy=False)


def _unit_normal_cdf(x):
    """Phi(x) for float arrays, precise in the lower tail (where it is tiny)."""
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * np.asarray(_erfc(-x / math.sqrt(2)), dtype=np.float64)


def _unit_truncated_normal(alpha, beta, size, rng):
    """Samples of N(0, 1) conditioned on ``alpha <= x <= beta``, as float64."""
    mass = float(_unit_normal_cdf(beta) - _unit_normal_cdf(alpha))
    if mass >= _REJECTION_MIN_MASS:  # draw, then redraw the samples that fell outside
        out = rng.standard_normal(size=size)
        bad = (out < alpha) | (out > beta)
        while bad.any():
            out[bad] = rng.standard_normal(size=int(bad.sum()))
            bad = (out < alpha) | (out > beta)
        return out
    # A narrow interval or a far tail: invert the CDF, Phi^-1(U(Phi(alpha), Phi(beta))), on the
    # negative side where small probabilities keep full precision (x ~ N is symmetric).
    flip = alpha > 0
    low, high = (-beta, -alpha) if flip else (alpha, beta)
    cdf_low, cdf_high = _unit_normal_cdf(low), _unit_normal_cdf(high)
    if cdf_high == 0:
        raise ValueError(f"truncated normal: the interval lies {-high:.1f} standard deviations "
                         "from the mean, where the normal's probability underflows to 0")
    u = rng.uniform(cdf_low, cdf_high, size=size)
    u = np.clip(u, np.nextafter(0.0, 1.0), np.nextafter(1.0, 0.0))  # inv_cdf needs 0 < u < 1
    out = np.clip(np.asarray(_inverse_cdf(u), dtype=np.float64), low, high)
    return -out if flip else out


def truncated_normal(shape, mean, std, low, high, dtype=np.float32, rng=None):
    """Samples of N(mean, std^2) conditioned on ``low <= x <= high`` (``std`` is that of the
    normal before truncation, as in PyTorch's ``trunc_normal_`` and Keras's ``TruncatedNormal``).

    Exact for any interval: rejection sampling where the interval holds a good share of the
    normal, the inverse of the normal CDF elsewhere."""
    if not std > 0:
        raise ValueError(f"truncated normal: std must be positive, got {std}")
    if not low < high:
        raise ValueError(f"truncated normal: need low < high, got {low} and {high}")
    unit = _unit_truncated_normal((low - mean) / std, (high - mean) / std, tuple(shape), _rng(rng))
    return (mean + std * unit).astype(dtype, copy=False)


def check_variance_scaling(scale, mode, distribution, where):
    """Raise ValueError, naming ``where``, unless these ``variance_scaling`` arguments are valid."""
    if mode not in FAN_MODES:
        raise ValueError(f"{where}: mode must be one of {FAN_MODES}, got {mode!r}")
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"{where}: distribution must be one of {DISTRIBUTIONS}, got "
                         f"{distribution!r}")
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ValueError(f"{where}: scale must be a positive number, got {scale!r}")


def variance_scaling(shape, scale=1.0, mode="fan_in", distribution="truncated_normal",
                     dtype=np.float32, rng=None, channels_last=True):
    """Samples with variance ``scale / n``, ``n`` being fan_in, fan_out or their mean (``mode``).

    ``distribution``: 'uniform' draws U(-l, l) with l = sqrt(3 scale / n); 'untruncated_normal'
    draws N(0, scale / n); 'truncated_normal' draws a normal truncated at two standard deviations
    of the underlying distribution, whose std is first divided by ``TRUNCATED_NORMAL_STD`` so the
    samples have exactly the variance ``scale / n``. Glorot, He, LeCun, Xavier and Kaiming are all
    special cases.
    """
    check_variance_scaling(scale, mode, distribution, "variance scaling")
    fan_in, fan_out = compute_fans(shape, channels_last)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    if fan <= 0:
        raise ValueError(f"variance scaling: the kernel shape {tuple(shape)} has {mode} = 0")
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / fan)
        return uniform(shape, -limit, limit, dtype, rng)
    if distribution == "untruncated_normal":
        return normal(shape, 0.0, math.sqrt(scale / fan), dtype, rng)
    std = math.sqrt(scale / fan) / TRUNCATED_NORMAL_STD
    return truncated_normal(shape, 0.0, std, -2 * std, 2 * std, dtype, rng)


def orthogonal(shape, gain=1.0, dtype=np.float32, rng=None, channels_last=True):
    """A (semi-)orthogonal matrix times ``gain``, reshaped to ``shape`` (two or more dimensions).

    The kernel is read as a matrix (rows, cols) as the module docstring says; of its rows and
    columns, whichever are fewer come out orthonormal. It is the Q of the QR decomposition of a
    standard normal matrix, with signs fixed by R's diagonal so Q is uniformly (Haar) distributed.
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) < 2:
        raise ValueError(f"orthogonal: needs a shape of two or more dimensions, got {shape}")
    if channels_last:
        rows, cols = math.prod(shape[:-1]), shape[-1]
    else:
        rows, cols = shape[0], math.prod(shape[1:])
    if rows * cols == 0:
        return np.zeros(shape, dtype=dtype)
    tall = _rng(rng).standard_normal(size=(max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(tall)
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    if rows < cols:
        q = q.T
    return (gain * q).reshape(shape).astype(dtype, copy=False)


def identity(shape, gain=1.0, dtype=np.float32):
    """``gain`` times the identity matrix of a 2-D ``shape`` (ones on the main diagonal)."""
    shape = tuple(int(n) for n in shape)
    if len(shape) != 2:
        raise ValueError(f"identity: needs a 2-D shape, got {shape}")
    return (gain * np.eye(*shape)).astype(dtype, copy=False)
