"""The one random generator lucidgrad draws from (initial weights, dropout masks, ``rand``), and
the inverted-dropout mask every dropout in the project uses.

``seed(n)`` replaces the generator, so a run that calls it first is reproducible. Masks are
drawn through ``capture.random_uniform``, so a captured step draws a fresh mask on every replay.
"""
import numpy as np

from .capture import random_uniform

__all__ = ["seed", "generator", "dropout_mask"]

_generator = np.random.default_rng()


def seed(value):
    """Reseed the generator behind ``rand``, ``randn``, dropout and the ``nn`` initializers."""
    global _generator
    _generator = np.random.default_rng(value)


def generator():
    """The current ``numpy.random.Generator`` used by lucidgrad."""
    return _generator


def dropout_mask(shape, rate, dtype, rng=None):
    """The multiplier of inverted dropout: each element 0 with probability ``rate``, else
    ``1 / (1 - rate)`` (so the expected value of ``x * mask`` is ``x``), as an array of ``dtype``
    drawn from ``rng`` (default: ``generator()``)."""
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: rate must lie in [0, 1), got {rate}")
    source = generator if rng is None else (lambda: rng)
    dtype = np.dtype(dtype)
    draw_dtype = dtype if dtype in (np.float32, np.float64) else np.float32
    mask = (random_uniform(shape, draw_dtype, source) >= rate).astype(dtype)
    mask *= 1.0 / (1.0 - rate)
    return mask
