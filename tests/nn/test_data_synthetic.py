"""The synthetic toy datasets: shapes, determinism and geometry."""

import numpy as np
import pytest

from nn.data import make_blobs, make_moons, make_spirals

GENERATORS = [make_moons, make_spirals, make_blobs]


@pytest.mark.parametrize("generate", GENERATORS)
@pytest.mark.parametrize("n_samples", [0, 1, 7, 100])
def test_shapes_and_dtypes(generate, n_samples):
    x, y = generate(n_samples=n_samples, seed=0)
    assert x.shape == (n_samples, 2) and x.dtype == np.float64
    assert y.shape == (n_samples,) and y.dtype == np.int64


@pytest.mark.parametrize("generate", GENERATORS)
def test_seed_makes_data_reproducible(generate):
    x1, y1 = generate(n_samples=50, seed=123)
    x2, y2 = generate(n_samples=50, seed=123)
    x3, _ = generate(n_samples=50, seed=124)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.allclose(x1, x3)


@pytest.mark.parametrize("generate", GENERATORS)
def test_shuffle_only_reorders(generate):
    x_ordered, y_ordered = generate(n_samples=60, seed=5, shuffle=False)
    x_shuffled, y_shuffled = generate(n_samples=60, seed=5)
    assert np.all(np.diff(y_ordered) >= 0)
    assert not np.all(np.diff(y_shuffled) >= 0)
    assert np.bincount(y_ordered).tolist() == np.bincount(y_shuffled).tolist()


def test_moons_without_noise_lie_on_their_half_circles():
    x, y = make_moons(n_samples=101, noise=0.0, seed=0)
    upper, lower = x[y == 0], x[y == 1]
    assert len(upper) == 50 and len(lower) == 51
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


def test_moons_noise_has_the_requested_spread():
    clean, _ = make_moons(n_samples=4000, noise=0.0, seed=1, shuffle=False)
    noisy, _ = make_moons(n_samples=4000, noise=0.3, seed=1, shuffle=False)
    assert np.std(noisy - clean) == pytest.approx(0.3, rel=0.05)


@pytest.mark.parametrize("n_classes", [2, 3, 5])
def test_spirals_balance_and_radius(n_classes):
    x, y = make_spirals(n_samples=101, n_classes=n_classes, noise=0.0, seed=0, shuffle=False)
    counts = np.bincount(y, minlength=n_classes)
    assert counts.max() - counts.min() <= 1 and counts.sum() == 101
    for label in range(n_classes):
        radius = np.hypot(*x[y == label].T)
        assert np.all(np.diff(radius) > 0)
        assert radius[0] == pytest.approx(0.1) and radius[-1] == pytest.approx(1.0)


def test_spiral_arms_are_rotated_copies():
    x, y = make_spirals(n_samples=90, n_classes=3, noise=0.0, shuffle=False)
    turn = 2 * np.pi / 3
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    np.testing.assert_allclose(x[y == 0] @ rotation.T, x[y == 1], atol=1e-12)


def test_blobs_cluster_around_given_centers():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    x, y = make_blobs(n_samples=400, centers=centers, cluster_std=[0.1, 0.5], seed=0)
    assert x.shape == (400, 3)
    for label, std in ((0, 0.1), (1, 0.5)):
        points = x[y == label]
        standard_error = std / np.sqrt(len(points))
        np.testing.assert_allclose(points.mean(axis=0), centers[label], atol=5 * standard_error)
        assert points.std() == pytest.approx(std, rel=0.15)


def test_blobs_random_centers_lie_in_the_box():
    x, y = make_blobs(n_samples=300, centers=4, n_features=5, cluster_std=0.0, seed=3)
    assert x.shape == (300, 5) and set(y.tolist()) == {0, 1, 2, 3}
    assert np.all(np.abs(x) <= 10)
    # With zero spread every point sits exactly on its centre.
    for label in range(4):
        assert len(np.unique(x[y == label], axis=0)) == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: make_moons(n_samples=-1), "n_samples"),
        (lambda: make_moons(n_samples=2.5), "n_samples"),
        (lambda: make_moons(noise=-0.1), "noise"),
        (lambda: make_spirals(n_classes=1), "n_classes"),
        (lambda: make_blobs(centers=0), "centers"),
        (lambda: make_blobs(centers=np.zeros(3)), "centers"),
        (lambda: make_blobs(centers=3, cluster_std=[1.0, 2.0]), "cluster_std"),
        (lambda: make_blobs(cluster_std=-1.0), "cluster_std"),
    ],
)
def test_invalid_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()
