"""``LayerNorm`` (PyTorch) and ``LayerNormalization`` (Keras): the formula over any axes, finite
differences to second order, PyTorch equivalence with copied weights in float64, bad input,
and model files."""
import numpy as np
import pytest

import nn
from autograd import Tensor, testing
from gradient_checks import check_module_gradients
from torch_comparison import assert_parameter_grads_match


def reference(x, axes, weight, bias, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


@pytest.mark.parametrize("shape", [4, (3, 4)])
@pytest.mark.parametrize("affine,bias", [(True, True), (True, False), (False, False)])
def test_layer_norm_matches_pytorch_with_copied_weights(shape, affine, bias):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    theirs = torch.nn.LayerNorm(shape, eps=1e-4, elementwise_affine=affine, bias=bias,
                                dtype=torch.float64)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.normal(size=tuple(p.shape))))
    ours = nn.LayerNorm(shape, eps=1e-4, elementwise_affine=affine, bias=bias, dtype=np.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    x = rng.normal(size=(2, 3, 4))
    upstream = rng.normal(size=x.shape)
    tx = torch.tensor(x, requires_grad=True)
    (theirs(tx) * torch.from_numpy(upstream)).sum().backward()
    ox = Tensor(x, requires_grad=True)
    out = ours(ox)
    (out * upstream).sum().backward()
    np.testing.assert_allclose(out.data, theirs(tx).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(ox.grad, tx.grad.numpy(), atol=1e-6)
    assert_parameter_grads_match(ours, theirs)


@pytest.mark.parametrize("axis", [-1, 1, [1, 2], [0, 2]])
def test_keras_layer_normalization_over_any_axes_to_second_order(axis):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 3, 4))
    layer = nn.LayerNormalization(axis=axis, epsilon=1e-3, dtype=np.float64)
    layer.build(x.shape)
    axes = tuple(sorted(a % 3 for a in ([axis] if isinstance(axis, int) else axis)))
    assert layer.gamma.shape == tuple(x.shape[a] for a in axes)
    layer.gamma.data[...] = rng.normal(size=layer.gamma.shape)
    layer.beta.data[...] = rng.normal(size=layer.beta.shape)
    shape = [x.shape[a] if a in axes else 1 for a in range(3)]
    expected = reference(x, axes, layer.gamma.data.reshape(shape), layer.beta.data.reshape(shape),
                         1e-3)
    out = layer(Tensor(x))
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-12)
    testing.check_gradients(layer, x, order=2)
    check_module_gradients(layer, x)


def test_keras_defaults_and_switches():
    layer = nn.LayerNormalization(center=False, scale=False)
    out = layer(np.arange(6.0).reshape(2, 3))
    assert layer.parameters() == [] and out.dtype == np.float32
    np.testing.assert_allclose(out.data.mean(axis=-1), 0, atol=1e-6)
    assert nn.LayerNormalization().epsilon == 1e-3 and nn.LayerNorm(3).eps == 1e-5


def test_bad_input_names_the_layer_and_shapes():
    with pytest.raises(ValueError, match=r"LayerNorm\(3, 4\): expected an input whose last 2 axes "
                                         r"have shape \(3, 4\), got shape \(2, 4, 3\)"):
        nn.LayerNorm((3, 4))(np.zeros((2, 4, 3)))
    with pytest.raises(ValueError, match="normalized_shape must be a positive int"):
        nn.LayerNorm(0)
    layer = nn.LayerNormalization(axis=1)
    layer(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"expected axes \[1\] of the input to have shape \(3,\), "
                                         r"got an input of shape \(2, 5, 4\)"):
        layer(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match=r"axis \[3\] does not fit an input with 3 axes"):
        nn.LayerNormalization(axis=3)(np.zeros((2, 3, 4)))


def test_layer_norms_round_trip_through_model_files(tmp_path):
    rng = np.random.default_rng(2)
    model = nn.Sequential([nn.LayerNormalization(axis=1, input_shape=(3, 4)),
                           nn.LayerNorm(4, elementwise_affine=True, bias=False)])
    for p in model.parameters():
        p.data[...] = rng.normal(size=p.shape)
    x = rng.normal(size=(5, 3, 4)).astype(np.float32)
    model.save(tmp_path / "norms.npz")
    again = nn.load_model(tmp_path / "norms.npz")
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert again[1].bias is None and again[0].axis == [1]
