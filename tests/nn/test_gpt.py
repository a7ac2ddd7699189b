"""The small GPT: shapes, causality checked through the gradient, weight tying, GPT-2's
initialization, PyTorch equivalence, model files, capture, attention maps and bad input."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd.capture import capture
from nn.attention_maps import attention_figure, plot_attention
from nn.models.gpt import GPT
from nn.models.language import next_token_loss

VOCAB, CONTEXT = 11, 8


def tiny_gpt(**options):
    nn.seed(0)
    settings = dict(context_length=CONTEXT, num_layers=2, num_heads=2, embed_dim=8)
    settings.update(options)
    return GPT(VOCAB, **settings)


def tokens(shape, seed=0):
    return np.random.default_rng(seed).integers(0, VOCAB, shape)


def test_logits_for_every_position_and_parameters():
    model = tiny_gpt()
    assert model(tokens((3, 5))).shape == (3, 5, VOCAB)
    assert model(tokens(CONTEXT)).shape == (CONTEXT, VOCAB)
    # embeddings + 2 blocks of (4 E^2 + 4 E attention, 8 E^2 + 5 E feed-forward, 4 E norms)
    # + final norm; the head is the token embedding
    e = 8
    block = 4 * e * e + 4 * e + 8 * e * e + 5 * e + 4 * e
    assert sum(p.size for p in model.parameters()) == VOCAB * e + CONTEXT * e + 2 * block + 2 * e


def test_position_t_does_not_depend_on_later_positions():
    model = tiny_gpt(num_layers=3)
    x = tokens((2, CONTEXT))
    table = model.position_embedding.table
    for t in range(CONTEXT):
        model.zero_grad()
        model(x)[:, t].sum().backward()
        assert np.all(table.grad[t + 1:] == 0), t  # exactly: no path from later steps
        assert np.all(np.abs(table.grad[:t + 1]).sum(axis=1) > 0), t
    changed = x.copy()
    changed[:, 5:] = (changed[:, 5:] + 1) % VOCAB
    np.testing.assert_array_equal(model(changed).data[:, :5], model(x).data[:, :5])


def test_weight_tying_and_gpt2_initialization():
    model = tiny_gpt(num_layers=4, embed_dim=32)
    assert model.head.weight is model.token_embedding.weight
    names = [name for name, _ in model.named_parameters()]
    assert "head.weight" not in names and "token_embedding.weight" in names
    assert abs(model.token_embedding.weight.data.std() - 0.02) < 0.004
    residual = model.blocks[0].linear2.weight.data.std()
    assert abs(residual - 0.02 / np.sqrt(8)) < 0.002
    assert not model.blocks[0].linear1.bias.data.any()
    np.testing.assert_array_equal(model.norm.weight.data, 1)
    untied = tiny_gpt(tie_weights=False, bias=False)
    assert untied.head.weight is not untied.token_embedding.weight
    assert untied.blocks[0].linear1.bias is None and untied.norm.bias is None


def test_matches_the_same_model_in_pytorch():
    torch = pytest.importorskip("torch")
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from transformer_torch import TorchGPT, copy_weights

    model = tiny_gpt(dtype=np.float64, activation="gelu")
    theirs = TorchGPT(VOCAB, CONTEXT, 2, 2, 8, activation="gelu").double()
    copy_weights(model, theirs)
    x, y = tokens((3, CONTEXT)), tokens((3, CONTEXT), seed=1)
    loss = next_token_loss(y, model(x))
    loss.backward()
    logits = theirs(torch.from_numpy(x))
    torch_loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB),
                                                   torch.from_numpy(y).reshape(-1))
    torch_loss.backward()
    assert loss.item() == pytest.approx(torch_loss.item(), abs=1e-10)
    grads = dict(theirs.named_parameters())
    np.testing.assert_allclose(model.token_embedding.weight.grad,
                               grads["token_embedding.weight"].grad.numpy(), atol=1e-9)
    np.testing.assert_allclose(model.position_embedding.table.grad,
                               grads["position_table"].grad.numpy(), atol=1e-9)
    for name, p in model.blocks.named_parameters():
        np.testing.assert_allclose(p.grad, grads[f"blocks.{name}"].grad.numpy(), atol=1e-9,
                                   err_msg=name)


def test_round_trip_through_a_model_file(tmp_path):
    model = tiny_gpt(activation="relu", dropout=0.1)
    model.compile(optimizer=nn.optim.AdamW(lr=1e-2), loss=next_token_loss)
    x, y = tokens((16, CONTEXT)), tokens((16, CONTEXT), seed=1)
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0)
    model.save(tmp_path / "gpt.npz")
    again = nn.load_model(tmp_path / "gpt.npz")
    assert isinstance(again, GPT) and again.head.weight is again.token_embedding.weight
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    for each in (model, again):  # a custom loss is not saved by name: compile again
        each.compile(optimizer=nn.optim.AdamW(lr=1e-2), loss=next_token_loss)
        nn.seed(3)  # the same dropout masks
        each.fit(x, y, epochs=1, batch_size=8, verbose=0, seed=1)
    np.testing.assert_array_equal(again.predict(x), model.predict(x))


def test_a_captured_training_step_replays_the_eager_one():
    def step_of(model):
        def step(x, y):
            model.zero_grad()
            loss = next_token_loss(y, model(x))
            loss.backward()
            return loss
        return step

    eager_model, captured_model = tiny_gpt(), tiny_gpt()
    eager, captured = step_of(eager_model), capture(step_of(captured_model), check=True)
    for seed in range(3):
        x, y = tokens((4, CONTEXT), seed), tokens((4, CONTEXT), seed + 10)
        assert np.array_equal(eager(x, y).data, captured(x, y).data)
        for p, q in zip(eager_model.parameters(), captured_model.parameters()):
            assert np.array_equal(p.grad, q.grad)
    assert len(captured.recordings) == 1


def test_attention_maps_are_causal_and_draw(tmp_path):
    model = tiny_gpt()
    maps = model.attention_maps(tokens(6))
    assert len(maps) == 2 and maps[0].shape == (2, 6, 6)
    for weights in maps:
        np.testing.assert_allclose(weights.sum(axis=-1), 1, rtol=1e-6)
        assert np.all(np.triu(weights, 1) == 0)
    labels = list("abcdef")
    figure = attention_figure(maps[0], labels, title="block 0")
    assert len([a for a in figure.axes if a.get_visible()]) == 3  # two heads and the colour bar
    path = plot_attention(maps[1], tmp_path / "attention.png", labels)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ValueError, match="5 query labels for 6 queries"):
        attention_figure(maps[0], labels[:5])


def test_bad_input_names_the_model_and_shapes():
    model = tiny_gpt()
    with pytest.raises(ValueError, match=r"GPT: a sequence of 9 tokens \(input shape \(2, 9\)\) "
                                         r"is longer than the context of 8 tokens"):
        model(tokens((2, 9)))
    with pytest.raises(IndexError, match=r"token ids must lie in \[0, 11\), got values from 0 to "
                                         r"11"):
        model(np.array([[0, 11]]))
    with pytest.raises(TypeError, match="token ids must be whole numbers"):
        model(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="embed_dim 10 is not divisible by num_heads 4"):
        GPT(VOCAB, embed_dim=10, num_heads=4)
    with pytest.raises(ValueError, match="GPT: vocab_size must be a positive integer"):
        GPT(0)


def test_draw_graph_of_one_block_is_clustered_by_module():
    model = tiny_gpt(num_layers=1)
    loss = next_token_loss(tokens((1, 4), 1), model(tokens((1, 4))))
    source = ag.draw_graph(loss, model=model).source
    for cluster in ("blocks.0.self_attn", "blocks.0.linear1", "blocks.0.norm1", "norm", "head"):
        assert f"cluster_{cluster}" in source, cluster
    assert "attention_weights" in source


def test_summary_and_diagram_list_each_block():
    from nn.architecture import plot_model

    model = tiny_gpt()
    printed = []
    model.summary(print_fn=printed.append)
    for row in ("blocks.0 (TransformerEncoderLayer)", "blocks.1 (TransformerEncoderLayer)"):
        assert row in printed[0]
    assert "ModuleList" not in printed[0] and "(None, 8, 8)" in printed[0]
    source = plot_model(model).source
    assert "blocks.1: TransformerEncoderLayer" in source or "blocks.1 (TransformerEncoderLayer)" \
        in source


def test_a_gpt_keeps_its_vocabulary_in_its_model_file(tmp_path):
    from nn.data.text import CharVocabulary

    vocabulary = CharVocabulary.from_text("abcdefghij", specials=(".",))
    model = tiny_gpt(vocabulary=vocabulary, boundary=".")
    assert model.context_size == CONTEXT and model.boundary == "."
    model.save(tmp_path / "gpt.npz")
    again = nn.load_model(tmp_path / "gpt.npz")
    assert again.vocabulary == vocabulary and again.boundary == "."
    with pytest.raises(ValueError, match="vocab_size 12 differs from the vocabulary's 11 tokens"):
        GPT(12, vocabulary=vocabulary)
