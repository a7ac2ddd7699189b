"""Embedding: lookups and their gradient (as PyTorch's), padding_idx, mask_zero, token-id checks,
both styles' argument names, configs and initialization."""
import numpy as np
import pytest

import autograd as ag
import nn
from nn.layers import Embedding
from nn.module import layer_from_config, layer_to_config

RNG = np.random.default_rng(2)


def test_lookup_and_gradient_match_pytorch():
    torch = pytest.importorskip("torch")
    layer = Embedding(7, 3, padding_idx=2, dtype=np.float64)
    twin = torch.nn.Embedding(7, 3, padding_idx=2).double()
    twin.load_state_dict({"weight": torch.from_numpy(layer.weight.data.copy())})
    ids = np.array([[1, 2, 6], [2, 1, 1]])
    weights = RNG.normal(size=(2, 3, 3))
    out = layer(ids)
    (out * weights).sum().backward()
    theirs = twin(torch.from_numpy(ids))
    (theirs * torch.from_numpy(weights)).sum().backward()
    np.testing.assert_allclose(out.data, theirs.detach().numpy())
    np.testing.assert_allclose(layer.weight.grad, twin.weight.grad.numpy())


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = Embedding(5, 2, padding_idx=-1)
    assert layer.padding_idx == 4
    np.testing.assert_array_equal(layer.weight.data[4], 0)
    out = layer(np.array([4, 4, 1]))
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[4], 0)
    np.testing.assert_array_equal(layer.weight.grad[1], 1)


def test_repeated_ids_accumulate_their_gradients():
    layer = Embedding(4, 2)
    layer(np.array([[3, 3], [3, 0]])).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad[:, 0], [1, 0, 0, 3])


def test_mask_zero_gives_the_mask_of_real_tokens():
    layer = Embedding(input_dim=5, output_dim=2, mask_zero=True)
    ids = np.array([[1, 0, 3], [0, 0, 2]])
    np.testing.assert_array_equal(layer.compute_mask(ids), ids != 0)
    assert Embedding(5, 2).compute_mask(ids) is None


def test_integral_floats_are_ids_and_fit_keeps_integer_inputs():
    layer = Embedding(5, 2)
    np.testing.assert_array_equal(layer(np.array([1.0, 3.0])).data, layer(np.array([1, 3])).data)
    model = nn.Sequential([Embedding(5, 1, input_shape=(1,)), nn.Flatten()])
    ids = np.array([[3]])  # stays int64: ids above 2**24 would not survive float32
    assert model._prepare_inputs("fit", ids).dtype == np.int64
    dense = nn.Sequential([nn.Dense(1, input_shape=(1,))])
    assert dense._prepare_inputs("fit", ids).dtype == np.float32


@pytest.mark.parametrize("ids, error, message", [
    (np.array([0, 5]), IndexError, r"Embedding\(5, 2\): token ids must lie in \[0, 5\), got values from 0 to 5 \(input shape \(2,\)\)"),
    (np.array([-1, 2]), IndexError, r"got values from -1 to 2"),
    (np.array([0.5]), TypeError, r"Embedding\(5, 2\): token ids must be whole numbers"),
    (np.array([True]), TypeError, r"token ids must be integers, got dtype bool"),
])
def test_bad_token_ids_get_a_clear_error(ids, error, message):
    with pytest.raises(error, match=message):
        Embedding(5, 2)(ids)


def test_argument_errors():
    with pytest.raises(ValueError, match=r"num_embeddings=5 and input_dim=6 disagree"):
        Embedding(5, 2, input_dim=6)
    with pytest.raises(TypeError, match="embedding_dim \\(or output_dim\\) is required"):
        Embedding(5)
    with pytest.raises(ValueError, match=r"padding_idx must lie in \[-5, 5\)"):
        Embedding(5, 2, padding_idx=5)


def test_initialization_pytorch_by_default_keras_on_request():
    ag.seed(0)
    table = Embedding(2000, 50).weight.data
    assert abs(table.std() - 1) < 0.02 and table.dtype == np.float32
    keras = Embedding(2000, 50, embeddings_initializer="uniform").weight.data
    assert np.abs(keras).max() <= 0.05 and keras.std() > 0.02


def test_from_pretrained_freezes_by_default():
    table = RNG.normal(size=(4, 3)).astype(np.float32)
    layer = Embedding.from_pretrained(table)
    np.testing.assert_array_equal(layer(np.array([2])).data[0], table[2])
    assert not layer.weight.requires_grad
    assert Embedding.from_pretrained(table, freeze=False).weight.requires_grad


def test_config_round_trip_and_regularizer():
    layer = Embedding(6, 3, padding_idx=0, mask_zero=True, embeddings_regularizer="l2",
                      embeddings_initializer="uniform", input_shape=(4,))
    copy = layer_from_config(layer_to_config(layer))
    assert copy.get_config() == layer.get_config()
    assert len(layer.penalties()) == 1
    assert repr(layer) == "Embedding(6, 3, padding_idx=0, mask_zero=True)"
