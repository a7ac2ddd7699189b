"""PyTorch-style recurrent layers and cells: the same outputs and gradients as PyTorch with copied
weights (float64, to 1e-6), finite differences, PyTorch's names, layouts and initialization,
unbatched inputs, configs, and clear errors for bad input."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, gradcheck, testing
from nn.layers import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from nn.module import layer_from_config, layer_to_config

RNG = np.random.default_rng(11)
LAYERS = {"rnn": RNN, "rnn_relu": RNN, "lstm": LSTM, "gru": GRU}
CELLS = {"rnn": RNNCell, "lstm": LSTMCell, "gru": GRUCell}


def build(kind, *args, **options):
    if kind == "rnn_relu":
        options["nonlinearity"] = "relu"
    return LAYERS[kind](*args, dtype=np.float64, **options)


def flat_outputs(result):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list of tensors."""
    output, state = result
    return [output, *state] if isinstance(state, tuple) else [output, state]


def weighted_sum(tensors, rng):
    """A scalar that depends on every element of every tensor (random weights)."""
    total = None
    for t in tensors:
        term = (t * rng.normal(size=t.shape)).sum()
        total = term if total is None else total + term
    return total


# ---------------------------------------------------------------------- PyTorch equivalence
def torch_twin(torch, layer, kind):
    """The PyTorch module of the same configuration holding ``layer``'s weights."""
    classes = {"rnn": torch.nn.RNN, "rnn_relu": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
    options = dict(num_layers=layer.num_layers, bias=layer.bias, batch_first=layer.batch_first,
                   bidirectional=layer.bidirectional)
    if kind.startswith("rnn"):
        options["nonlinearity"] = layer.nonlinearity
    twin = classes[kind](layer.input_size, layer.hidden_size, **options).double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in layer.state_dict().items()})
    return twin


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers, batch_first, with_state, bias", [
    (1, False, False, True), (2, True, True, True), (2, False, True, False)])
def test_layers_match_pytorch(kind, bidirectional, num_layers, batch_first, with_state, bias):
    torch = pytest.importorskip("torch")
    layer = build(kind, 3, 4, num_layers=num_layers, batch_first=batch_first,
                  bidirectional=bidirectional, bias=bias)
    twin = torch_twin(torch, layer, kind)
    steps, batch = 5, 2
    x = RNG.normal(size=(batch, steps, 3) if batch_first else (steps, batch, 3))
    count = num_layers * (2 if bidirectional else 1)
    states = [RNG.normal(size=(count, batch, 4)) for _ in range(2 if kind == "lstm" else 1)]

    ours_x = Tensor(x, requires_grad=True)
    ours_states = [Tensor(s, requires_grad=True) for s in states]
    theirs_x = torch.tensor(x, requires_grad=True)
    theirs_states = [torch.tensor(s, requires_grad=True) for s in states]
    hx = None
    theirs_hx = None
    if with_state:
        hx = tuple(ours_states) if kind == "lstm" else ours_states[0]
        theirs_hx = tuple(theirs_states) if kind == "lstm" else theirs_states[0]
    ours = flat_outputs(layer(ours_x, hx))
    theirs = flat_outputs(twin(theirs_x, theirs_hx))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-6, atol=1e-9)

    weights = [RNG.normal(size=a.shape) for a in ours]
    sum(((a * w).sum() for a, w in zip(ours, weights)), Tensor(0.0)).backward()
    sum((b * torch.from_numpy(w)).sum() for b, w in zip(theirs, weights)).backward()
    np.testing.assert_allclose(ours_x.grad, theirs_x.grad.numpy(), rtol=1e-6, atol=1e-9)
    if with_state:
        for a, b in zip(ours_states, theirs_states):
            np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6, atol=1e-9)
    theirs_params = dict(twin.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), rtol=1e-6,
                                   atol=1e-9, err_msg=name)


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_cells_match_pytorch(kind):
    torch = pytest.importorskip("torch")
    cell = CELLS[kind](3, 4, dtype=np.float64)
    twin = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](3, 4)
    twin = twin.double()
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in cell.state_dict().items()})
    x = RNG.normal(size=(2, 3))
    states = [RNG.normal(size=(2, 4)) for _ in range(2 if kind == "lstm" else 1)]
    ours_in = [Tensor(a, requires_grad=True) for a in [x] + states]
    theirs_in = [torch.tensor(a, requires_grad=True) for a in [x] + states]
    hx = tuple(ours_in[1:]) if kind == "lstm" else ours_in[1]
    ours = cell(ours_in[0], hx)
    theirs = twin(theirs_in[0], tuple(theirs_in[1:]) if kind == "lstm" else theirs_in[1])
    ours, theirs = (list(ours), list(theirs)) if kind == "lstm" else ([ours], [theirs])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-6, atol=1e-9)
    weights = [RNG.normal(size=a.shape) for a in ours]
    sum(((a * w).sum() for a, w in zip(ours, weights)), Tensor(0.0)).backward()
    sum((b * torch.from_numpy(w)).sum() for b, w in zip(theirs, weights)).backward()
    for a, b in zip(ours_in, theirs_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-6, atol=1e-9)
    theirs_params = dict(twin.named_parameters())
    for name, p in cell.named_parameters():
        np.testing.assert_allclose(p.grad, theirs_params[name].grad.numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_unbatched_inputs_match_pytorch(kind, batch_first):
    torch = pytest.importorskip("torch")
    layer = build(kind, 2, 3, num_layers=2, bidirectional=True, batch_first=batch_first)
    twin = torch_twin(torch, layer, kind)
    x = RNG.normal(size=(4, 2))
    states = [RNG.normal(size=(4, 3)) for _ in range(2 if kind == "lstm" else 1)]
    hx = tuple(Tensor(s) for s in states) if kind == "lstm" else Tensor(states[0])
    theirs_hx = tuple(torch.from_numpy(s) for s in states) if kind == "lstm" else torch.from_numpy(states[0])
    ours, theirs = flat_outputs(layer(Tensor(x), hx)), flat_outputs(twin(torch.from_numpy(x), theirs_hx))
    for a, b in zip(ours, theirs):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-6, atol=1e-9)


# ---------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_layer_gradients_by_finite_differences(kind, bidirectional):
    layer = build(kind, 2, 2, num_layers=2, bidirectional=bidirectional, batch_first=True)
    if kind == "rnn_relu":  # keep the pre-activations away from relu's kink
        for p in layer.parameters():
            p.data[...] = np.abs(p.data) + 0.1
    params = layer.parameters()
    x = RNG.normal(size=(2, 3, 2))
    slots = [(layer, name) for name, _ in layer.named_parameters()]

    def f(x, *weights):
        originals = [getattr(owner, name) for owner, name in slots]
        for (owner, name), w in zip(slots, weights):
            object.__setattr__(owner, name, w)
        try:
            return flat_outputs(layer(x))
        finally:
            for (owner, name), w in zip(slots, originals):
                object.__setattr__(owner, name, w)

    assert gradcheck(f, [x] + [p.data for p in params])


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_cell_gradients_to_second_order(kind):
    cell = CELLS[kind](2, 3, dtype=np.float64)
    x, h, c = RNG.normal(size=(2, 2)), RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))

    def f(x, h, c, w_ih, w_hh):
        cell.__dict__["weight_ih"], cell.__dict__["weight_hh"] = w_ih, w_hh
        out = cell(x, (h, c) if kind == "lstm" else h)
        return list(out) if kind == "lstm" else out

    saved = cell.weight_ih, cell.weight_hh
    try:
        testing.check_gradients(f, x, h, c, saved[0].data, saved[1].data, order=2)
    finally:
        cell.__dict__["weight_ih"], cell.__dict__["weight_hh"] = saved


# ---------------------------------------------------------------------- PyTorch's conventions
def test_parameter_names_shapes_and_order_are_pytorchs():
    layer = LSTM(3, 4, num_layers=2, bidirectional=True)
    names = [(name, p.shape) for name, p in layer.named_parameters()]
    assert names[:4] == [("weight_ih_l0", (16, 3)), ("weight_hh_l0", (16, 4)),
                         ("bias_ih_l0", (16,)), ("bias_hh_l0", (16,))]
    assert names[4][0] == "weight_ih_l0_reverse" and names[8] == ("weight_ih_l1", (16, 8))
    assert len(names) == 16 and len(layer.all_weights) == 4
    assert [n for n, _ in GRU(2, 3, bias=False).named_parameters()] == ["weight_ih_l0", "weight_hh_l0"]


def test_state_dict_keys_are_pytorchs():
    torch = pytest.importorskip("torch")
    for ours, theirs in [(GRU(3, 5, num_layers=2, bidirectional=True),
                          torch.nn.GRU(3, 5, num_layers=2, bidirectional=True)),
                         (LSTMCell(3, 5), torch.nn.LSTMCell(3, 5)),
                         (RNN(3, 5, bias=False), torch.nn.RNN(3, 5, bias=False))]:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        for k, v in theirs.state_dict().items():
            assert ours.state_dict()[k].shape == tuple(v.shape)


def test_initialization_is_uniform_in_one_over_root_hidden():
    ag.seed(0)
    layer = LSTM(5, 64, num_layers=2)
    bound = 1 / math.sqrt(64)
    values = np.concatenate([p.data.ravel() for p in layer.parameters()])
    assert values.dtype == np.float32
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.98 * bound
    assert abs(values.mean()) < 0.01 * bound * 10 and abs(values.std() - bound / math.sqrt(3)) < 0.01


def test_dropout_between_layers_only_in_training():
    ag.seed(1)
    layer = GRU(2, 8, num_layers=2, dropout=0.5)
    x = RNG.normal(size=(4, 3, 2)).astype(np.float32)
    layer.eval()
    a, b = layer(x)[0].data, layer(x)[0].data
    np.testing.assert_array_equal(a, b)
    layer.train()
    assert not np.allclose(layer(x)[0].data, a)
    with pytest.warns(UserWarning, match="dropout applies between stacked layers"):
        GRU(2, 3, dropout=0.2)


def test_reverse_direction_reads_the_sequence_backwards():
    layer = RNN(1, 2, bidirectional=True, batch_first=True)
    forward_only = RNN(1, 2, batch_first=True)
    forward_only.load_state_dict({name: layer.state_dict()[name + "_reverse"]
                                  for name in forward_only.state_dict()})
    x = RNG.normal(size=(1, 4, 1)).astype(np.float32)
    out, h_n = layer(x)
    backwards, _ = forward_only(x[:, ::-1].copy())
    np.testing.assert_allclose(out.data[0, :, 2:], backwards.data[0, ::-1], rtol=1e-6)
    np.testing.assert_allclose(h_n.data[1], out.data[:, 0, 2:], rtol=1e-6)  # ran last: step 0
    np.testing.assert_allclose(h_n.data[0], out.data[:, -1, :2], rtol=1e-6)


def test_configs_round_trip_and_repr_reads_like_pytorch():
    for layer in (LSTM(28, 128, batch_first=True), GRU(3, 4, num_layers=2, bidirectional=True),
                  RNN(2, 3, nonlinearity="relu", bias=False), LSTMCell(3, 4), RNNCell(3, 4, nonlinearity="relu")):
        copy = layer_from_config(layer_to_config(layer))
        assert type(copy) is type(layer) and copy.get_config() == layer.get_config()
        copy.load_state_dict(layer.state_dict())
    assert repr(LSTM(28, 128, batch_first=True)) == "LSTM(28, 128, batch_first=True)"
    assert repr(GRU(3, 4, num_layers=2, dropout=0.1, bidirectional=True)) == \
        "GRU(3, 4, num_layers=2, dropout=0.1, bidirectional=True)"
    assert repr(RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity='relu')"


def test_keras_signature_builds_the_keras_layer():
    from nn.layers import keras_recurrent

    assert isinstance(nn.LSTM(32), keras_recurrent.LSTM)
    assert isinstance(nn.GRU(units=8, return_sequences=True), keras_recurrent.GRU)
    assert isinstance(nn.LSTM(4, "relu"), keras_recurrent.LSTM)
    assert type(nn.LSTM(3, 4)) is LSTM and type(nn.GRU(input_size=3, hidden_size=4)) is GRU


def test_weights_save_and_load_in_a_pytorch_style_model(tmp_path):
    class Classifier(nn.Model):
        def __init__(self):
            super().__init__()
            self.rnn = GRU(3, 5, batch_first=True, bidirectional=True)
            self.head = nn.Linear(10, 2)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.head(out[:, -1])

    model, other = Classifier(), Classifier()
    x = RNG.normal(size=(2, 4, 3)).astype(np.float32)
    model.save_weights(tmp_path / "w.npz")
    other.load_weights(tmp_path / "w.npz")
    np.testing.assert_array_equal(other(x).data, model(x).data)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, error, message", [
    (lambda: LSTM(3, 4)(np.ones((5, 2, 2))), ValueError,
     r"LSTM\(3, 4\): expected 3 features per step, got input of shape \(5, 2, 2\) \(steps, batch, features\)"),
    (lambda: GRU(3, 4, batch_first=True)(np.ones((2, 0, 3))), ValueError,
     r"GRU\(3, 4\): the sequences are empty \(input shape \(2, 0, 3\), \(batch, steps, features\)\)"),
    (lambda: RNN(3, 4)(np.ones((5, 2, 3, 1))), ValueError, r"RNN\(3, 4\): expected input of shape"),
    (lambda: GRU(3, 4)(np.ones((5, 2, 3)), np.ones((1, 3, 4))), ValueError,
     r"GRU\(3, 4\): hx must have shape \(1, 2, 4\), got \(1, 3, 4\)"),
    (lambda: LSTM(3, 4, num_layers=2)(np.ones((5, 2, 3)), (np.ones((2, 2, 4)), np.ones((1, 2, 4)))),
     ValueError, r"LSTM\(3, 4\): c_0 must have shape \(2, 2, 4\), got \(1, 2, 4\)"),
    (lambda: LSTM(3, 4)(np.ones((5, 2, 3)), np.ones((1, 2, 4))), TypeError,
     r"LSTM\(3, 4\): hx must be a tuple \(h_0, c_0\)"),
    (lambda: LSTMCell(3, 4)(np.ones((2, 5))), ValueError,
     r"LSTMCell\(3, 4\): expected input of shape \(batch, 3\) or \(3,\), got \(2, 5\)"),
    (lambda: GRUCell(3, 4)(np.ones((2, 3)), np.ones((3, 4))), ValueError,
     r"GRUCell\(3, 4\): hx must have shape \(2, 4\), got \(3, 4\)"),
    (lambda: RNN(3, 4, nonlinearity="gelu"), ValueError, r"nonlinearity must be 'tanh' or 'relu'"),
    (lambda: LSTM(0, 4), ValueError, r"LSTM: input_size must be a positive integer"),
])
def test_bad_input_gets_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
