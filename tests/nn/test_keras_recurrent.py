"""Keras-style recurrent layers: the same numbers as PyTorch's layers with mapped weights, masks
that leave padded steps without effect (outputs and gradients), Keras's outputs at masked steps,
go_backwards, Bidirectional, states, initialization, model files, a short training run, the
graph drawing of an unrolled network, and clear errors for bad input."""
import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, gradcheck
from nn.layers import Bidirectional, Dense, Embedding, SimpleRNN
from nn.layers.keras_recurrent import GRU, LSTM

RNG = np.random.default_rng(5)
KINDS = {"rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}


def keras_layer(kind, units=3, features=2, **options):
    layer = KINDS[kind](units, dtype=np.float64, **options)
    layer.build((None, None, features))
    for p in layer.parameters():  # random biases too, so that every term is exercised
        p.data[...] = RNG.normal(scale=0.5, size=p.shape)
    return layer


# ---------------------------------------------------------------------- against PyTorch
def to_torch(torch, layer, kind):
    """A PyTorch layer computing what the Keras ``layer`` computes (weights mapped)."""
    units, features = layer.units, layer.input_dim
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind]
    twin = cls(features, units, batch_first=True).double()
    kernel, recurrent = layer.kernel.data, layer.recurrent_kernel.data
    if kind == "gru":  # Keras z, r, h -> PyTorch r, z, n; bias rows: input, recurrent
        order = np.r_[units:2 * units, 0:units, 2 * units:3 * units]
        b_ih, b_hh = layer.bias.data[0][order], layer.bias.data[1][order]
        kernel, recurrent = kernel[:, order], recurrent[:, order]
    else:
        b_ih, b_hh = layer.bias.data, np.zeros_like(layer.bias.data)
    state = {"weight_ih_l0": kernel.T, "weight_hh_l0": recurrent.T, "bias_ih_l0": b_ih,
             "bias_hh_l0": b_hh}
    twin.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    return twin


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("go_backwards", [False, True])
def test_keras_layers_match_pytorch(kind, go_backwards):
    torch = pytest.importorskip("torch")
    layer = keras_layer(kind, return_sequences=True, return_state=True, go_backwards=go_backwards)
    twin = to_torch(torch, layer, kind)
    x = RNG.normal(size=(2, 4, 2))
    ours = layer(Tensor(x))
    theirs_x = x[:, ::-1].copy() if go_backwards else x.copy()  # Keras: the reversed sequence
    theirs, state = twin(torch.from_numpy(theirs_x))
    np.testing.assert_allclose(ours[0].data, theirs.detach().numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours[1].data, state[0].detach().numpy()[0] if kind == "lstm"
                               else state.detach().numpy()[0], rtol=1e-6, atol=1e-9)
    if kind == "lstm":
        np.testing.assert_allclose(ours[2].data, state[1].detach().numpy()[0], rtol=1e-6)


def test_bidirectional_matches_pytorchs_bidirectional_layer():
    torch = pytest.importorskip("torch")
    layer = Bidirectional(LSTM(3, return_sequences=True, dtype=np.float64))
    layer.build((None, None, 2))
    twin = torch.nn.LSTM(2, 3, batch_first=True, bidirectional=True).double()
    state = {}
    for sub, suffix in ((layer.forward_layer, ""), (layer.backward_layer, "_reverse")):
        state.update({f"weight_ih_l0{suffix}": sub.kernel.data.T,
                      f"weight_hh_l0{suffix}": sub.recurrent_kernel.data.T,
                      f"bias_ih_l0{suffix}": sub.bias.data, f"bias_hh_l0{suffix}": 0 * sub.bias.data})
    twin.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()})
    x = RNG.normal(size=(2, 5, 2))
    np.testing.assert_allclose(layer(x).data, twin(torch.from_numpy(x))[0].detach().numpy(),
                               rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- masks
def padded_batch(lengths, steps, features, rng, leading=False):
    """Random sequences of the given lengths, padded with garbage to ``steps``, and their mask."""
    x = rng.normal(size=(len(lengths), steps, features))
    mask = np.zeros((len(lengths), steps), bool)
    for i, n in enumerate(lengths):
        mask[i, steps - n:] = True if leading else False
        if not leading:
            mask[i, :n] = True
    return x, mask


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("leading", [False, True])
def test_padded_steps_change_no_output_and_no_gradient(kind, go_backwards, leading):
    layer = keras_layer(kind, return_state=True, go_backwards=go_backwards)
    lengths = [4, 2, 1]
    x, mask = padded_batch(lengths, 4, 2, RNG, leading)
    inputs = Tensor(x, requires_grad=True)
    out = layer(inputs, mask=mask)
    total = sum((t * RNG.normal(size=t.shape)).sum() for t in out)
    total.backward()
    padded_grads = inputs.grad[~mask]
    assert np.all(padded_grads == 0)
    for i, n in enumerate(lengths):  # each sample alone, unpadded: the same outputs and states
        real = x[i:i + 1][mask[i:i + 1]].reshape(1, n, 2)
        alone = layer(Tensor(real))
        for a, b in zip(out, alone):
            np.testing.assert_allclose(a.data[i], b.data[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_weight_gradients_of_a_padded_batch_equal_those_of_the_unpadded_samples(kind):
    layer = keras_layer(kind)
    lengths = [3, 1]
    x, mask = padded_batch(lengths, 4, 2, RNG)
    layer(Tensor(x), mask=mask).sum().backward()
    padded = [p.grad.copy() for p in layer.parameters()]
    layer.zero_grad()
    for i, n in enumerate(lengths):
        layer(Tensor(x[i:i + 1, :n])).sum().backward()
    for a, p in zip(padded, layer.parameters()):
        np.testing.assert_allclose(a, p.grad, rtol=1e-10, atol=1e-12)


def test_outputs_at_masked_steps_follow_keras():
    layer = keras_layer("gru", return_sequences=True)
    x = RNG.normal(size=(1, 4, 2))
    mask = np.array([[False, True, False, True]])
    out = layer(Tensor(x), mask=mask).data[0]
    np.testing.assert_array_equal(out[0], 0)        # before the first real step: zeros
    np.testing.assert_array_equal(out[2], out[1])   # afterwards: the last real output
    layer.zero_output_for_mask = True
    out = layer(Tensor(x), mask=mask).data[0]
    np.testing.assert_array_equal(out[2], 0)


def test_bidirectional_with_a_mask_reads_only_the_real_steps():
    layer = Bidirectional(GRU(3, return_sequences=True, dtype=np.float64))
    x, mask = padded_batch([2, 4], 4, 2, RNG)
    out = layer(Tensor(x), mask=mask)
    alone = layer(Tensor(x[:1, :2]))
    np.testing.assert_allclose(out.data[0, :2], alone.data[0], rtol=1e-12)
    np.testing.assert_array_equal(out.data[0, 2:], 0)  # zeros at masked steps, as in Keras


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_bidirectional_runs_both_halves_in_one_scan_with_the_same_results(kind):
    layer = Bidirectional(KINDS[kind](3, return_sequences=True, return_state=True,
                                      dtype=np.float64), merge_mode=None)
    assert layer._shares_one_scan()
    x, mask = padded_batch([4, 2], 4, 2, RNG)
    inputs = Tensor(x, requires_grad=True)
    together = layer(inputs, mask=mask)
    sum((t * t).sum() for t in together).backward()
    grads = [inputs.grad] + [p.grad for p in layer.parameters()]
    layer.zero_grad()
    inputs.grad = None
    apart = layer.forward_layer(inputs, mask=mask), layer.backward_layer(inputs, mask=mask)
    halves = [apart[0][0], ag.flip(apart[1][0], 1), *apart[0][1:], *apart[1][1:]]
    for a, b in zip(together, halves):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=1e-14)
    sum((t * t).sum() for t in halves).backward()
    for a, b in zip(grads, [inputs.grad] + [p.grad for p in layer.parameters()]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_masked_layers_by_finite_differences(kind):
    layer = keras_layer(kind, units=2, return_sequences=True, go_backwards=kind == "gru")
    x, mask = padded_batch([3, 1], 3, 2, RNG, leading=kind == "lstm")
    names = [name for name, _ in layer.named_parameters()]

    def f(x, *weights):
        saved = [getattr(layer, n) for n in names]
        for n, w in zip(names, weights):
            layer.__dict__[n] = w
        try:
            return layer(x, mask=mask)
        finally:
            for n, w in zip(names, saved):
                layer.__dict__[n] = w

    assert gradcheck(f, [x] + [p.data for p in layer.parameters()])


def test_embedding_mask_flows_to_the_recurrent_layer_in_a_sequential():
    ag.seed(0)
    model = nn.Sequential([Embedding(6, 3, mask_zero=True, dtype=np.float64), LSTM(4, dtype=np.float64)])
    ids = np.array([[3, 1, 0, 0], [2, 5, 4, 1]])
    out = model(Tensor(ids))
    alone = model(Tensor(ids[:1, :2]))
    np.testing.assert_allclose(out.data[0], alone.data[0], rtol=1e-12)
    out.sum().backward()
    np.testing.assert_array_equal(model[0].weight.grad[0], 0)  # the padding id got nothing


def test_a_mask_reaching_a_layer_that_cannot_use_it_is_an_error():
    model = nn.Sequential([Embedding(6, 3, mask_zero=True), nn.Flatten(), Dense(2)])
    with pytest.raises(ValueError, match=r"layer 1 \(Flatten\) does not support masking"):
        model(Tensor(np.array([[1, 2, 0]])))
    model = nn.Sequential([Embedding(6, 3, mask_zero=True), LSTM(4), Dense(2)])
    assert model(Tensor(np.array([[1, 2, 0]]))).shape == (1, 2)  # the LSTM ends the mask


def test_masking_layer_marks_steps_of_mask_value():
    model = nn.Sequential([nn.Masking(0.0), SimpleRNN(2, return_sequences=True)])
    x = np.ones((1, 3, 2), np.float32)
    x[0, 1] = 0
    out = model(Tensor(x)).data[0]
    np.testing.assert_array_equal(out[1], out[0])


# ---------------------------------------------------------------------- states and outputs
def test_initial_state_and_return_state():
    layer = keras_layer("lstm", return_state=True)
    x = RNG.normal(size=(2, 3, 2))
    h, c = RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))
    out, h_n, c_n = layer(Tensor(x), initial_state=[h, c])
    first, h_1, c_1 = layer(Tensor(x[:, :1]), initial_state=[h, c])
    rest, h_2, c_2 = layer(Tensor(x[:, 1:]), initial_state=[h_1, c_1])
    np.testing.assert_allclose(h_2.data, h_n.data, rtol=1e-12)
    np.testing.assert_allclose(c_2.data, c_n.data, rtol=1e-12)
    np.testing.assert_array_equal(out.data, h_n.data)


def test_keras_initialization():
    ag.seed(0)
    layer = LSTM(16)
    layer.build((None, None, 8))
    limit = np.sqrt(6 / (8 + 64))
    assert np.abs(layer.kernel.data).max() <= limit and layer.kernel.shape == (8, 64)
    r = layer.recurrent_kernel.data.astype(np.float64)
    np.testing.assert_allclose(r @ r.T, np.eye(16), atol=1e-5)  # orthogonal rows
    np.testing.assert_array_equal(layer.bias.data, np.r_[np.zeros(16), np.ones(16), np.zeros(32)])
    gru = GRU(4)
    gru.build((None, None, 3))
    assert gru.bias.shape == (2, 12) and gru.recurrent_kernel.shape == (4, 12)


def test_summary_and_model_files_round_trip(tmp_path):
    ag.seed(1)
    model = nn.Sequential([
        Embedding(20, 4, mask_zero=True, input_shape=(6,)),
        Bidirectional(LSTM(5, return_sequences=True)),
        GRU(3, go_backwards=True, return_sequences=True),
        SimpleRNN(2, activation="relu"),
        Dense(2, activation="softmax")])
    lines = []
    model.summary(print_fn=lines.append)
    row = next(line for line in lines[0].splitlines() if "(Bidirectional)" in line)
    assert "(None, 6, 10)" in row and row.split()[-1] == "400"
    ids = RNG.integers(0, 20, size=(5, 6))
    labels = RNG.integers(0, 2, size=5)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(ids, labels, epochs=1, batch_size=2, verbose=0)
    model.save(tmp_path / "model.npz")
    loaded = nn.load_model(tmp_path / "model.npz")
    np.testing.assert_array_equal(loaded.predict(ids), model.predict(ids))
    assert [type(m).__name__ for m in loaded.layers] == [type(m).__name__ for m in model.layers]
    loaded.fit(ids, labels, epochs=1, batch_size=2, verbose=0)  # training resumes


def test_a_keras_lstm_learns_which_of_two_steps_is_larger():
    ag.seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(512, 5, 1)).astype(np.float32)
    y = (x[:, 1, 0] > x[:, 3, 0]).astype(np.int64)
    model = nn.Sequential([LSTM(16, input_shape=(5, 1)), Dense(2, activation="softmax")])
    model.compile(nn.optim.Adam(lr=0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0, seed=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


def test_the_graph_of_a_recurrent_model_has_one_node_per_layer_whatever_the_length():
    pytest.importorskip("graphviz")
    from autograd.viz import draw_graph

    counts = []
    for steps in (5, 50):
        model = nn.Sequential([Embedding(10, 4, mask_zero=True), Bidirectional(GRU(3)), Dense(2)])
        ids = RNG.integers(0, 10, size=(2, steps))
        loss = model(Tensor(ids)).sum()
        loss.backward()
        source = draw_graph(loss, model=model).source
        assert "gru_scan" in source and "cluster_1" in source
        counts.append(source.count("->"))
    assert counts[0] == counts[1]


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: keras_layer("lstm")(np.ones((2, 3, 5))), ValueError,
     r"LSTM\(units=3\): expected 2 features per step, got input of shape \(2, 3, 5\)"),
    (lambda: keras_layer("gru")(np.ones((2, 0, 2))), ValueError,
     r"GRU\(units=3\): the sequences are empty \(input shape \(2, 0, 2\)"),
    (lambda: keras_layer("rnn")(np.ones((2, 3, 2)), mask=np.ones((3, 2), bool)), ValueError,
     r"SimpleRNN\(units=3\): the mask must have shape \(batch, steps\) = \(2, 3\), got \(3, 2\)"),
    (lambda: keras_layer("rnn")(np.ones((2, 3, 2)), mask=np.ones((2, 3))), TypeError,
     r"a mask must hold booleans"),
    (lambda: keras_layer("lstm")(np.ones((2, 3, 2)), initial_state=[np.ones((2, 3))]), ValueError,
     r"LSTM\(units=3\): initial_state must hold 2 state\(s\) \(\[h, c\]\), got 1"),
    (lambda: keras_layer("gru")(np.ones((2, 3, 2)), initial_state=[np.ones((3, 3))]), ValueError,
     r"GRU\(units=3\): initial state h must have shape \(2, 3\), got \(3, 3\)"),
    (lambda: keras_layer("lstm")(np.ones((2, 3))), ValueError, r"expected inputs of shape \(batch, steps, features\)"),
    (lambda: GRU(3, reset_after=False), ValueError, r"only reset_after=True"),
    (lambda: LSTM(3, activation="softmax"), ValueError, r"activation must be one of"),
    (lambda: Bidirectional(nn.LSTM(3, 4)), TypeError, r"Bidirectional: layer must be a Keras recurrent layer"),
    (lambda: Bidirectional(LSTM(3), merge_mode="max"), ValueError, r"merge_mode must be one of"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
