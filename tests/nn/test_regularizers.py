"""Regularizers: values against numpy, gradients by finite differences, lookup and use in layers."""
import numpy as np
import pytest

import autograd
from autograd import Tensor, gradcheck
from nn import regularizers
from nn.layers import Dense

RNG = np.random.default_rng(3)


def weights(shape=(4, 3)):
    w = RNG.normal(size=shape)
    w[np.abs(w) < 1e-2] = 0.1  # |w| has a kink at 0
    return w


@pytest.mark.parametrize("regularizer, reference", [
    (regularizers.L1(0.3), lambda w: 0.3 * np.abs(w).sum()),
    (regularizers.L2(0.2), lambda w: 0.2 * (w ** 2).sum()),
    (regularizers.L1L2(0.3, 0.2), lambda w: 0.3 * np.abs(w).sum() + 0.2 * (w ** 2).sum()),
    (regularizers.L1L2(l2=0.5), lambda w: 0.5 * (w ** 2).sum()),
], ids=["L1", "L2", "L1L2", "L1L2-l2-only"])
def test_regularizers_match_numpy_and_have_correct_gradients(regularizer, reference):
    w = weights()
    out = regularizer(Tensor(w))
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), reference(w), rtol=1e-12)
    assert gradcheck(regularizer, [w])


def test_penalty_functions_sum_over_parameters():
    a, b = weights((2, 3)), weights((4,))
    np.testing.assert_allclose(regularizers.l1_penalty([Tensor(a), Tensor(b)]).item(),
                               np.abs(a).sum() + np.abs(b).sum())
    np.testing.assert_allclose(regularizers.l2_penalty([Tensor(a), Tensor(b)]).item(),
                               (a ** 2).sum() + (b ** 2).sum())
    np.testing.assert_allclose(regularizers.elastic_net_penalty([Tensor(a), Tensor(b)], 0.1, 0.01).item(),
                               0.1 * (np.abs(a).sum() + np.abs(b).sum()) + 0.01 * ((a ** 2).sum() + (b ** 2).sum()))
    assert gradcheck(lambda x, y: regularizers.elastic_net_penalty([x, y], 0.1, 0.01), [a, b])


def test_l2_gradient_is_twice_the_weights_times_the_factor():
    w = Tensor(weights(), requires_grad=True)
    regularizers.L2(0.05)(w).backward()
    np.testing.assert_allclose(w.grad, 0.1 * w.data)


def kl_sparsity_np(a, rho):
    rho_hat = np.clip(a.mean(axis=0), 1e-7, 1 - 1e-7)
    return np.sum(rho * np.log(rho / rho_hat) + (1 - rho) * np.log((1 - rho) / (1 - rho_hat)))


def test_sparsity_penalty_is_the_kl_divergence_of_mean_activations():
    a = RNG.uniform(0.01, 0.5, size=(8, 5))
    np.testing.assert_allclose(regularizers.sparsity_penalty(Tensor(a), target=0.1).item(),
                               kl_sparsity_np(a, 0.1), rtol=1e-10)
    assert gradcheck(lambda x: regularizers.sparsity_penalty(x, target=0.1), [a])
    # zero exactly when every unit's mean activation equals the target
    assert abs(regularizers.sparsity_penalty(np.full((4, 3), 0.2), target=0.2).item()) < 1e-7
    with pytest.raises(ValueError, match="target must lie in"):
        regularizers.sparsity_penalty(Tensor(a), target=1.5)


def test_sparsity_penalty_keeps_float32():
    a = Tensor(RNG.uniform(0.1, 0.9, size=(4, 3)).astype(np.float32))
    assert regularizers.sparsity_penalty(a).dtype == np.float32


def test_get_by_name_and_config():
    assert regularizers.get(None) is None
    l2 = regularizers.get("l2")
    assert isinstance(l2, regularizers.L2) and l2.l2 == 0.01
    both = regularizers.get("l1_l2")
    assert (both.l1, both.l2) == (0.01, 0.01)
    rebuilt = regularizers.get(regularizers.serialize(regularizers.L1L2(0.2, 0.3)))
    assert (rebuilt.l1, rebuilt.l2) == (0.2, 0.3)
    with pytest.raises(ValueError, match="unknown regularizer 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="l2 must be a number >= 0"):
        regularizers.L2(-1)


def test_dense_regularization_loss_includes_kernel_and_bias_penalties():
    autograd.seed(0)
    layer = Dense(3, input_dim=2, kernel_regularizer="l1", bias_regularizer=regularizers.L2(1.0),
                  bias_initializer="ones")
    expected = 0.01 * np.abs(layer.kernel.data).sum() + 3.0
    np.testing.assert_allclose(layer.regularization_loss().item(), expected, rtol=1e-6)
    assert len(layer.penalties()) == 2
    assert Dense(3).regularization_loss().item() == 0.0  # unbuilt: nothing to penalize yet
