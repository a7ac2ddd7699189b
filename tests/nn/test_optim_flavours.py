"""Which optimizer a name means: ``'rmsprop'`` in the Keras-style API is Keras's RMSprop (eps
inside the square root), ``nn.optim.RMSprop`` is PyTorch's; PyTorch's hyperparameter names
(``alpha``, ``betas``) are accepted."""
import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import optim


def recipe():
    return nn.Sequential([nn.Dense(8, activation="relu", input_shape=(4,)),
                          nn.Dense(3, activation="softmax")])


GRADS = [np.array([3e-4, -2e-3, 0.5, -1.0]), np.array([1e-4, 4e-3, -0.2, 0.3]),
         np.array([-2e-4, 1e-3, 0.1, 0.8])]  # small entries, where the eps placement matters


def steps(optimizer_factory):
    param = Tensor(np.zeros(4), requires_grad=True)
    optimizer = optimizer_factory([param])
    path = []
    for g in GRADS:
        param.grad = g
        optimizer.step()
        path.append(param.data.copy())
    return path


@pytest.mark.parametrize("options", [{}, {"eps": 1e-4}, {"centered": True},
                                     {"momentum": 0.9, "lr": 0.01, "rho": 0.8}])
def test_rmsprop_by_name_is_keras_rmsprop(options):
    # the update itself is checked against Keras 3's formula in test_optim.py
    keras_options = {("epsilon" if k == "eps" else k): v for k, v in options.items()}
    by_name = steps(lambda params: optim.get("rmsprop", params=params, **keras_options))
    keras_flavour = steps(lambda params: optim.RMSprop(params, eps_inside_sqrt=True, **options))
    for got, expected in zip(by_name, keras_flavour):
        np.testing.assert_array_equal(got, expected)
    pytorch_placement = steps(lambda params: optim.RMSprop(params, **options))
    assert not np.allclose(pytorch_placement[0][:2], by_name[0][:2], rtol=1e-3)  # they differ
    assert optim.get("RMSprop").eps_inside_sqrt and not optim.RMSprop().eps_inside_sqrt


def test_compiled_rmsprop_is_keras_and_survives_a_model_file(tmp_path):
    model = recipe()
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    assert model.optimizer.eps_inside_sqrt and model.optimizer.rho == 0.9
    assert model.optimizer.eps == 1e-7 and model.optimizer.lr == 1e-3
    model.save(tmp_path / "model.npz")
    assert nn.load_model(tmp_path / "model.npz").optimizer.eps_inside_sqrt
    model.compile(optimizer=optim.RMSprop(), loss="categorical_crossentropy")
    model.save(tmp_path / "model.npz")
    assert not nn.load_model(tmp_path / "model.npz").optimizer.eps_inside_sqrt
    # configs from before the option existed were trained with eps outside the root
    old = {"name": "rmsprop", "lr": 1e-3, "rho": 0.9, "eps": 1e-7, "momentum": 0.0,
           "centered": False, "weight_decay": 0.0}
    assert not optim.get(old).eps_inside_sqrt


def test_nn_optim_rmsprop_is_pytorchs():
    torch = pytest.importorskip("torch")
    ours = steps(lambda params: optim.RMSprop(params, lr=0.01, alpha=0.99, eps=1e-8))
    weight = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.RMSprop([weight], lr=0.01, alpha=0.99, eps=1e-8)
    for g, got in zip(GRADS, ours):
        weight.grad = torch.from_numpy(g)
        reference.step()
        np.testing.assert_allclose(got, weight.detach().numpy(), rtol=1e-10, atol=1e-15)


def test_pytorch_names_for_rmsprop_and_adam_hyperparameters():
    assert optim.RMSprop(alpha=0.99).rho == 0.99 and optim.RMSprop(rho=0.8).alpha == 0.8
    with pytest.raises(ValueError, match="give rho or alpha"):
        optim.RMSprop(rho=0.8, alpha=0.99)
    for cls in (optim.Adam, optim.AdamW):
        adam = cls(betas=(0.8, 0.95))
        assert (adam.beta1, adam.beta2) == (0.8, 0.95) and adam.betas == (0.8, 0.95)
        assert cls(beta1=0.8, betas=(0.8, 0.95)).betas == (0.8, 0.95)  # agreeing is fine
        with pytest.raises(ValueError, match=rf"{cls.__name__}: got betas=\(0\.8, 0\.95\) and "
                                             "beta1=0.5, beta2=0.999; give one or the other"):
            cls(beta1=0.5, betas=(0.8, 0.95))
        with pytest.raises(ValueError, match="betas must be a pair"):
            cls(betas=0.9)
    assert optim.get("adam", betas=(0.5, 0.6)).betas == (0.5, 0.6)


def test_adam_betas_match_pytorch():
    torch = pytest.importorskip("torch")
    ours = steps(lambda params: optim.Adam(params, lr=0.01, betas=(0.8, 0.9), eps=1e-8))
    weight = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    reference = torch.optim.Adam([weight], lr=0.01, betas=(0.8, 0.9), eps=1e-8)
    for g, got in zip(GRADS, ours):
        weight.grad = torch.from_numpy(g)
        reference.step()
        np.testing.assert_allclose(got, weight.detach().numpy(), rtol=1e-9, atol=1e-15)
