"""Small synthetic classification problems for demos and tests.

Every generator returns ``(x, y)``: float64 points of shape ``(n_samples, n_features)`` and int64
labels of shape ``(n_samples,)``, shuffled unless ``shuffle=False``. Randomness comes only from
``numpy.random.default_rng(seed)``, so a given seed always produces the same data.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["make_moons", "make_spirals", "make_blobs"]


def make_moons(
    n_samples: int = 100, noise: float = 0.1, seed: int | None = None, shuffle: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in 2-D: class 0 arches up, class 1 arches down.

    Class 0 lies on the upper half of the unit circle, class 1 on the lower half of the unit
    circle centred at (1, 0.5); Gaussian noise with standard deviation ``noise`` is added to every
    coordinate. Class 0 gets ``n_samples // 2`` points, class 1 the rest.
    """
    _check_count("n_samples", n_samples)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    upper = np.linspace(0.0, np.pi, n_upper)
    lower = np.linspace(0.0, np.pi, n_lower)
    x = np.concatenate(
        [
            np.column_stack([np.cos(upper), np.sin(upper)]),
            np.column_stack([1.0 - np.cos(lower), 0.5 - np.sin(lower)]),
        ]
    )
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    x += rng.normal(0.0, noise, size=x.shape)
    return _maybe_shuffle(x, y, rng, shuffle)


def make_spirals(
    n_samples: int = 100,
    n_classes: int = 2,
    noise: float = 0.1,
    seed: int | None = None,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms in 2-D, one arm per class.

    Each arm winds once around the origin, its radius growing from 0.1 to 1; the arms are rotated
    evenly apart. Gaussian noise with standard deviation ``noise`` is added to every coordinate.
    Points are split as evenly as possible between classes (earlier classes get the remainder).
    """
    _check_count("n_samples", n_samples)
    _check_count("n_classes", n_classes, minimum=2)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    counts = _split_evenly(n_samples, n_classes)
    points, labels = [], []
    for label, count in enumerate(counts):
        progress = np.linspace(0.0, 1.0, count)
        radius = 0.1 + 0.9 * progress
        angle = 2 * np.pi * (label / n_classes + progress)
        points.append(np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]))
        labels.append(np.full(count, label, np.int64))
    x = np.concatenate(points)
    x += rng.normal(0.0, noise, size=x.shape)
    return _maybe_shuffle(x, np.concatenate(labels), rng, shuffle)


def make_blobs(
    n_samples: int = 100,
    centers: int | ArrayLike = 3,
    n_features: int = 2,
    cluster_std: float | ArrayLike = 1.0,
    seed: int | None = None,
    shuffle: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters, one class per cluster.

    ``centers`` is either a number of clusters, whose centres are then drawn uniformly from the
    box [-10, 10] in ``n_features`` dimensions, or an array of shape (n_centers, n_features) of
    explicit centres, in which case ``n_features`` is taken from it. ``cluster_std`` is one
    standard deviation for all clusters or one per cluster. Points are split as evenly as
    possible between clusters (earlier clusters get the remainder).
    """
    _check_count("n_samples", n_samples)
    rng = np.random.default_rng(seed)
    if np.ndim(centers) == 0:
        _check_count("centers", centers, minimum=1)
        _check_count("n_features", n_features, minimum=1)
        center_points = rng.uniform(-10.0, 10.0, size=(int(centers), n_features))
    else:
        center_points = np.asarray(centers, dtype=np.float64)
        if center_points.ndim != 2 or len(center_points) == 0:
            raise ValueError(
                f"centers must be a count or an array of shape (n_centers, n_features), "
                f"got shape {center_points.shape}"
            )
    n_centers = len(center_points)
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim == 0:
        stds = np.full(n_centers, float(stds))
    if stds.shape != (n_centers,):
        raise ValueError(
            f"cluster_std must be a number or one value per center ({n_centers}), "
            f"got shape {stds.shape}"
        )
    if np.any(stds < 0):
        raise ValueError(f"cluster_std must be non-negative, got {cluster_std!r}")

    counts = _split_evenly(n_samples, n_centers)
    labels = np.repeat(np.arange(n_centers, dtype=np.int64), counts)
    offsets = rng.normal(size=(n_samples, center_points.shape[1])) * stds[labels, None]
    x = center_points[labels] + offsets
    return _maybe_shuffle(x, labels, rng, shuffle)


def _split_evenly(total: int, parts: int) -> np.ndarray:
    """Split ``total`` into ``parts`` counts differing by at most one, larger counts first."""
    counts = np.full(parts, total // parts, dtype=np.int64)
    counts[: total % parts] += 1
    return counts


def _maybe_shuffle(
    x: np.ndarray, y: np.ndarray, rng: np.random.Generator, shuffle: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Apply one random permutation to both ``x`` and ``y`` if ``shuffle`` is true."""
    if not shuffle:
        return x, y
    order = rng.permutation(len(y))
    return x[order], y[order]


def _check_count(name: str, value: object, minimum: int = 0) -> None:
    """Raise ValueError unless ``value`` is an integer of at least ``minimum``."""
    is_integer = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not is_integer or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_noise(noise: float) -> None:
    """Raise ValueError unless ``noise`` is a non-negative number."""
    if not np.isscalar(noise) or not noise >= 0:
        raise ValueError(f"noise must be a non-negative number, got {noise!r}")
