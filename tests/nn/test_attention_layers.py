"""``MultiheadAttention`` (PyTorch) and ``MultiHeadAttention`` (Keras): equivalence with PyTorch
with copied weights (masks, padding, weights, both layouts), the Keras layout and masks against
an einsum reference, finite differences to second order, dropout, bad input and model files."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, testing
from torch_comparison import assert_parameter_grads_match

E, HEADS, N, L, S = 8, 2, 3, 4, 5


def copied_attention(torch, batch_first, kdim=None, vdim=None, bias=True):
    """A float64 torch.nn.MultiheadAttention with random weights, and ours with the same."""
    theirs = torch.nn.MultiheadAttention(E, HEADS, bias=bias, kdim=kdim, vdim=vdim,
                                         batch_first=batch_first, dtype=torch.float64)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape, generator=generator, dtype=torch.float64) * 0.5)
    ours = nn.MultiheadAttention(E, HEADS, bias=bias, kdim=kdim, vdim=vdim,
                                 batch_first=batch_first, dtype=np.float64)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    return theirs, ours


def layout(batch_first, batch, length, features):
    return (batch, length, features) if batch_first else (length, batch, features)


def compare(torch, theirs, ours, inputs, upstream, **kwargs):
    """Run both on the same inputs and masks; outputs, weights and every gradient to 1e-6."""
    torch_inputs = [torch.tensor(x, requires_grad=True) for x in inputs]
    our_inputs = [Tensor(x, requires_grad=True) for x in inputs]
    if len(inputs) == 1:
        torch_inputs, our_inputs = torch_inputs * 3, our_inputs * 3  # self-attention: one tensor
    torch_kwargs = {k: (torch.from_numpy(v) if isinstance(v, np.ndarray) else v)
                    for k, v in kwargs.items()}
    t_out, t_weights = theirs(*torch_inputs, **torch_kwargs)
    o_out, o_weights = ours(*our_inputs, **kwargs)
    np.testing.assert_allclose(o_out.data, t_out.detach().numpy(), atol=1e-6)
    if t_weights is None:
        assert o_weights is None
    else:
        np.testing.assert_allclose(o_weights.data, t_weights.detach().numpy(), atol=1e-6)
    (t_out * torch.from_numpy(upstream)).sum().backward()
    (o_out * upstream).sum().backward()
    for ours_x, theirs_x in zip(our_inputs, torch_inputs):
        np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), atol=1e-6)
    assert_parameter_grads_match(ours, theirs)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("masks", ["none", "bool", "float", "per-head", "padding", "both"])
def test_multihead_attention_matches_pytorch(batch_first, masks):
    torch = pytest.importorskip("torch")
    theirs, ours = copied_attention(torch, batch_first)
    rng = np.random.default_rng(1)
    query = rng.normal(size=layout(batch_first, N, L, E))
    key, value = (rng.normal(size=layout(batch_first, N, S, E)) for _ in range(2))
    kwargs = {}
    if masks in ("bool", "both"):
        kwargs["attn_mask"] = rng.random((L, S)) < 0.4
        kwargs["attn_mask"][:, 0] = False  # every query keeps a key
    elif masks == "float":
        kwargs["attn_mask"] = rng.normal(size=(L, S))
    elif masks == "per-head":
        kwargs["attn_mask"] = rng.normal(size=(N * HEADS, L, S))
    if masks in ("padding", "both"):
        kwargs["key_padding_mask"] = np.arange(S)[None, :] >= np.array([[S], [S - 1], [2]])
    upstream = rng.normal(size=layout(batch_first, N, L, E))
    compare(torch, theirs, ours, [query, key, value], upstream, **kwargs)


@pytest.mark.parametrize("need_weights,average", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_self_attention_weights_and_causal_mask_match_pytorch(need_weights, average, batch_first):
    torch = pytest.importorskip("torch")
    theirs, ours = copied_attention(torch, batch_first)
    rng = np.random.default_rng(2)
    x = rng.normal(size=layout(batch_first, N, L, E))
    causal = np.triu(np.ones((L, L), bool), 1)
    compare(torch, theirs, ours, [x], rng.normal(size=x.shape), attn_mask=causal, is_causal=True,
            need_weights=need_weights, average_attn_weights=average)


def test_kdim_vdim_no_bias_and_unbatched_inputs_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    theirs, ours = copied_attention(torch, True, kdim=3, vdim=6, bias=False)
    assert ours.in_proj_bias is None and ours.out_proj.bias is None
    compare(torch, theirs, ours, [rng.normal(size=(N, L, E)), rng.normal(size=(N, S, 3)),
                                  rng.normal(size=(N, S, 6))], rng.normal(size=(N, L, E)))
    theirs, ours = copied_attention(torch, False)
    compare(torch, theirs, ours, [rng.normal(size=(L, E)), rng.normal(size=(S, E)),
                                  rng.normal(size=(S, E))], rng.normal(size=(L, E)),
            key_padding_mask=np.array([False, False, True, False, True]),
            average_attn_weights=False)


def test_is_causal_without_a_mask_applies_the_causal_mask():
    rng = np.random.default_rng(4)
    layer = nn.MultiheadAttention(E, HEADS, batch_first=True, dtype=np.float64)
    x = Tensor(rng.normal(size=(N, L, E)))
    causal, weights = layer(x, x, x, is_causal=True)
    masked, _ = layer(x, x, x, attn_mask=np.triu(np.ones((L, L), bool), 1))
    np.testing.assert_allclose(causal.data, masked.data, rtol=1e-12)
    assert np.all(np.triu(weights.data, 1) == 0)


def test_pytorch_initialization():
    layer = nn.MultiheadAttention(16, 4)
    bound = np.sqrt(6 / (16 + 48))
    assert np.abs(layer.in_proj_weight.data).max() <= bound
    assert layer.in_proj_weight.data.std() > 0.5 * bound / np.sqrt(3)
    assert not layer.in_proj_bias.data.any() and not layer.out_proj.bias.data.any()
    assert np.abs(layer.out_proj.weight.data).max() <= 1 / 4


def test_multihead_attention_to_second_order():
    rng = np.random.default_rng(5)
    layer = nn.MultiheadAttention(4, 2, batch_first=True, dtype=np.float64)
    mask = np.array([[False, True, False], [False, False, True]])
    testing.check_gradients(lambda q, kv: layer(q, kv, kv, attn_mask=mask)[0],
                            rng.normal(size=(1, 2, 4)), rng.normal(size=(1, 3, 4)), order=2)


def test_pytorch_flavour_rejects_bad_input():
    with pytest.raises(ValueError, match="MultiheadAttention: embed_dim 10 is not divisible by "
                                         "num_heads 3"):
        nn.MultiheadAttention(10, 3)
    layer = nn.MultiheadAttention(E, HEADS, batch_first=True)
    q, kv = np.zeros((N, L, E)), np.zeros((N, S, E))
    with pytest.raises(ValueError, match=r"attn_mask must have shape \(4, 5\) or \(6, 4, 5\) "
                                         r"\(batch \* num_heads, L, S\), got \(5, 4\)"):
        layer(q, kv, kv, attn_mask=np.zeros((S, L), bool))
    with pytest.raises(TypeError, match="attn_mask must be boolean or floating, got dtype int64"):
        layer(q, kv, kv, attn_mask=np.zeros((L, S), np.int64))
    with pytest.raises(ValueError, match=r"key_padding_mask must have shape \(3, 5\)"):
        layer(q, kv, kv, key_padding_mask=np.zeros((N, L), bool))
    with pytest.raises(ValueError, match=r"expected query with 8 features on the last axis, got "
                                         r"shape \(3, 4, 7\)"):
        layer(np.zeros((N, L, 7)), kv, kv)
    with pytest.raises(ValueError, match="key and value must have the same length"):
        layer(q, kv, np.zeros((N, S + 1, E)))
    with pytest.raises(ValueError, match="same batch size on axis 0"):
        layer(q, np.zeros((N + 1, S, E)), np.zeros((N + 1, S, E)))


# ---------------------------------------------------------------------- Keras
def keras_reference(layer, query, value, key, keep):
    """Keras's equations, written with einsum on the layer's own kernels."""
    def project(x, dense):
        out = np.einsum("bti,ihd->bthd", x, dense.kernel.data)
        return out + dense.bias.data if dense.bias is not None else out
    q = project(query, layer.query) / np.sqrt(layer.key_dim)
    k, v = project(key, layer.key), project(value, layer.value)
    scores = np.einsum("bshd,bthd->bhts", k, q)
    if keep is not None:
        scores = scores + np.where(keep[:, None], 0.0, -1e9)
    scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    scores /= scores.sum(axis=-1, keepdims=True)
    heads = np.einsum("bhts,bshd->bthd", scores, v)
    out = np.einsum("bthd,hdo->bto", heads, layer.attention_output.kernel.data)
    return out + layer.attention_output.bias.data, scores


def test_keras_multi_head_attention_layout_and_masks_match_its_equations():
    rng = np.random.default_rng(6)
    layer = nn.MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4, output_shape=5,
                                  dtype=np.float64)
    query, value, key = rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 3, 7)), rng.normal(
        size=(2, 3, 8))
    attention_mask = rng.random((2, 4, 3)) < 0.7
    value_mask = np.array([[1, 1, 0], [1, 1, 1]])
    layer.build(query.shape, value.shape, key.shape)
    shapes = {name: p.shape for name, p in layer.named_parameters()}
    assert shapes == {"query.kernel": (6, 3, 2), "query.bias": (3, 2), "key.kernel": (8, 3, 2),
                      "key.bias": (3, 2), "value.kernel": (7, 3, 4), "value.bias": (3, 4),
                      "attention_output.kernel": (3, 4, 5), "attention_output.bias": (5,)}
    for p in layer.parameters():  # non-zero biases, so a missing one would show
        p.data[...] = rng.normal(size=p.shape)
    out, scores = layer(query, value, key, attention_mask=attention_mask, value_mask=value_mask,
                        return_attention_scores=True)
    keep = attention_mask & value_mask.astype(bool)[:, None, :]
    expected_out, expected_scores = keras_reference(layer, query, value, key, keep)
    np.testing.assert_allclose(out.data, expected_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.data, expected_scores, rtol=1e-10, atol=1e-12)


def test_keras_causal_mask_and_rows_with_no_visible_key():
    rng = np.random.default_rng(7)
    layer = nn.MultiHeadAttention(2, 3, dtype=np.float64)
    x = rng.normal(size=(2, 4, 6))
    out, scores = layer(x, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(scores.data, 1) == 0)
    expected, _ = keras_reference(layer, x, x, x, np.tril(np.ones((4, 4), bool))[None])
    np.testing.assert_allclose(out.data, expected, rtol=1e-10)
    query_mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]])  # padded queries see no key
    masked = layer(x, x, query_mask=query_mask)
    assert np.isfinite(masked.data).all()  # -1e9, not -inf: no NaN (PyTorch gives NaN here)
    np.testing.assert_allclose(masked.data[:, :2], layer(x).data[:, :2], rtol=1e-12)


def test_keras_flavour_to_second_order_and_in_sequential(tmp_path):
    rng = np.random.default_rng(8)
    layer = nn.MultiHeadAttention(2, 2, dtype=np.float64)
    testing.check_gradients(lambda q, v: layer(q, v, use_causal_mask=True),
                            rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 2, 3)), order=2)
    model = nn.Sequential([nn.MultiHeadAttention(2, 4, input_shape=(5, 6)),
                           nn.LayerNormalization()])
    x = rng.normal(size=(3, 5, 6)).astype(np.float32)
    assert model.predict(x).shape == (3, 5, 6)
    model.save(tmp_path / "mha.npz")
    np.testing.assert_array_equal(nn.load_model(tmp_path / "mha.npz").predict(x), model.predict(x))


def test_attention_dropout_only_in_training_and_scores_before_dropout():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 6, 4)).astype(np.float32)
    layer = nn.MultiHeadAttention(2, 2, dropout=0.5)
    ag.seed(0)
    train_out, scores = layer(x, return_attention_scores=True, training=True)
    np.testing.assert_allclose(scores.data.sum(axis=-1), 1, rtol=1e-6)
    layer.eval()
    eval_out = layer(x)
    assert not np.allclose(train_out.data, eval_out.data)
    np.testing.assert_array_equal(eval_out.data, layer(x).data)
    torch_flavour = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    torch_flavour.train()
    a, _ = torch_flavour(x, x, x)
    b, _ = torch_flavour(x, x, x)
    assert not np.allclose(a.data, b.data)
    torch_flavour.eval()
    np.testing.assert_array_equal(torch_flavour(x, x, x)[0].data, torch_flavour(x, x, x)[0].data)


def test_keras_flavour_rejects_bad_input():
    layer = nn.MultiHeadAttention(2, 3)
    x = np.zeros((2, 4, 6))
    layer(x)
    with pytest.raises(ValueError, match=r"attention_mask must have shape \(2, 4, 4\), got "
                                         r"\(4, 4\)"):
        layer(x, attention_mask=np.ones((4, 4), bool))
    with pytest.raises(TypeError, match="query_mask must be boolean or 0/1 numbers"):
        layer(x, query_mask=np.array([["a"] * 4] * 2))
    with pytest.raises(ValueError, match=r"built for query with 6 features, got shape \(2, 4, "
                                         r"5\)"):
        layer(np.zeros((2, 4, 5)))
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        nn.MultiHeadAttention(0, 3)
