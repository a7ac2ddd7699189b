"""``TransformerEncoderLayer`` against PyTorch with copied weights (post- and pre-norm, relu and
gelu, both layouts, masks), finite differences, ``PositionalEmbedding``, and the layers in
``Sequential``, summaries, model files and graph drawings."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, testing
from torch_comparison import assert_parameter_grads_match
from gradient_checks import check_module_gradients

D, HEADS, FF, N, S = 8, 2, 16, 3, 5


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_encoder_layer_matches_pytorch(norm_first, activation, batch_first):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.1, activation=activation,
                                              batch_first=batch_first, norm_first=norm_first,
                                              dtype=torch.float64)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) * 0.4)
    theirs.eval()  # no dropout (PyTorch's inference fast path needs no_grad, so it is not taken)
    ours = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.1, activation=activation,
                                      batch_first=batch_first, norm_first=norm_first,
                                      dtype=np.float64).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    rng = np.random.default_rng(2)
    x = rng.normal(size=(N, S, D) if batch_first else (S, N, D))
    mask = np.triu(np.ones((S, S), bool), 1)
    padding = np.arange(S)[None, :] >= np.array([[S], [3], [4]])
    upstream = rng.normal(size=x.shape)
    tx = torch.tensor(x, requires_grad=True)
    t_out = theirs(tx, src_mask=torch.from_numpy(mask), src_key_padding_mask=torch.from_numpy(
        padding), is_causal=True)
    (t_out * torch.from_numpy(upstream)).sum().backward()
    ox = Tensor(x, requires_grad=True)
    o_out = ours(ox, src_mask=mask, src_key_padding_mask=padding, is_causal=True)
    (o_out * upstream).sum().backward()
    np.testing.assert_allclose(o_out.data, t_out.detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(ox.grad, tx.grad.numpy(), atol=1e-6)
    assert_parameter_grads_match(ours, theirs)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_finite_differences(norm_first):
    rng = np.random.default_rng(3)
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, batch_first=True,
                                       norm_first=norm_first, activation="gelu",
                                       dtype=np.float64)
    x = rng.normal(size=(1, 3, 4))
    check_module_gradients(layer, x)
    testing.check_gradients(lambda t: layer(t, is_causal=True), x, order=2)


def test_encoder_layer_rejects_bad_settings():
    with pytest.raises(ValueError, match="embed_dim 10 is not divisible by num_heads 4"):
        nn.TransformerEncoderLayer(10, 4)
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        nn.TransformerEncoderLayer(8, 2, activation="swishy")
    with pytest.raises(TypeError, match="activation must be a name"):
        nn.TransformerEncoderLayer(8, 2, activation=ag.relu)


def test_positional_embeddings():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 6)).astype(np.float32)
    learned = nn.PositionalEmbedding(8)
    out = learned(x)
    assert learned.table.shape == (8, 6) and abs(learned.table.data.std() - 0.02) < 0.01
    np.testing.assert_allclose(out.data, x + learned.table.data[:5])
    sine = nn.PositionalEmbedding(8, kind="sinusoidal", max_wavelength=100.0)
    table = sine(np.zeros((1, 8, 6))).data[0]
    t, i = 3, 2  # P[t, 2i] = sin(t / 100^(2i/6)), P[t, 2i+1] = cos(...)
    np.testing.assert_allclose(table[t, 2 * i], np.sin(t / 100 ** (2 * i / 6)), rtol=1e-6)
    np.testing.assert_allclose(table[t, 2 * i + 1], np.cos(t / 100 ** (2 * i / 6)), rtol=1e-6)
    assert sine.parameters() == [] and sine.state_dict() == {}
    tokens = Tensor(x, requires_grad=True)
    (learned(tokens) * 2).sum().backward()
    np.testing.assert_array_equal(learned.table.grad[:5], 2 * 2)
    np.testing.assert_array_equal(learned.table.grad[5:], 0)
    with pytest.raises(ValueError, match=r"PositionalEmbedding\(max_length=8, dim=6\): a sequence "
                                         r"of 9 steps \(input shape \(2, 9, 6\)\) is longer than "
                                         r"the positional table \(8 positions\)"):
        learned(np.zeros((2, 9, 6)))
    with pytest.raises(ValueError, match=r"expected inputs \(\.\.\., length, 6\), got shape"):
        learned(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="kind must be one of"):
        nn.PositionalEmbedding(8, kind="rotary")


def transformer_stack():
    return nn.Sequential([
        nn.PositionalEmbedding(10, input_shape=(6, 8)),
        nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True, norm_first=True),
        nn.LayerNormalization(),
        nn.MultiHeadAttention(2, 4, dropout=0.1),
        nn.Dense(3),
    ])


def test_layers_train_in_sequential_and_round_trip_through_model_files(tmp_path):
    nn.seed(5)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 6, 8)).astype(np.float32)
    y = np.tanh(x[..., :3] + x[:, ::-1, :3])  # needs attention across positions
    model = transformer_stack()
    model.compile(optimizer=nn.optim.Adam(lr=3e-3), loss="mse")
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0, seed=0)
    assert history.history["loss"][-1] < 0.7 * history.history["loss"][0]
    printed = []
    model.summary(print_fn=printed.append)
    summary = printed[0]
    assert "TransformerEncoderLayer" in summary and "(None, 6, 8)" in summary
    model.save(tmp_path / "stack.npz")
    again = nn.load_model(tmp_path / "stack.npz")
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    assert again.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    assert [type(m).__name__ for m in again] == [type(m).__name__ for m in model]


def test_one_encoder_block_draws_clustered_by_module():
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True, norm_first=True)
    x = Tensor(np.zeros((1, 4, 8), np.float32), requires_grad=True)
    graph = ag.draw_graph(layer(x, is_causal=True).sum(), model=layer)
    source = graph.source
    for module in ("self_attn", "self_attn.out_proj", "linear1", "linear2", "norm1", "norm2"):
        assert f"cluster_{module}" in source, module
    assert "scaled_dot_product" not in source or "softmax" in source
    assert source.count("->") < 120  # one block stays a readable picture
