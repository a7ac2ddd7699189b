"""The recurrences (rnn_scan, lstm_scan, gru_scan) exported to ONNX's RNN, LSTM and GRU and run
in ONNX Runtime on random sizes, directions, activations and initial states; then whole
recurrent models of both styles."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
import nn
from autograd.ops.recurrent import SCAN_ACTIVATIONS
from onnx_checks import FEW, Function, batch_of, exported

from nn.export import ExportError, export_onnx, to_onnx
from nn.export.onnx_recurrent import ONNX_GATE_ORDER

GATES = {"rnn_scan": 1, "lstm_scan": 4, "gru_scan": 3}
OPERATOR = {"rnn_scan": "RNN", "lstm_scan": "LSTM", "gru_scan": "GRU"}
activations = st.sampled_from(sorted(SCAN_ACTIVATIONS))
BOUNDED = ["hard_sigmoid", "sigmoid", "tanh"]


def scan_model(op, rng, features, hidden, directions, reverse, initial, activation,
               recurrent_activation, recurrent_bias, read):
    """A model running ``op`` over its input (batch, steps, features): the projections and the
    initial states (when ``initial`` is 'input') are computed from the input, the kernels are
    parameters. ``directions`` None runs one direction without a direction axis. ``read``:
    'all' returns the scan's whole result, 'layer' what the layers read (an LSTM's hidden states
    and its last cell state)."""
    width = GATES[op] * hidden
    lead = () if directions is None else (directions,)
    # unbounded gates (relu, linear) multiply the state by unbounded factors: a smaller kernel
    # keeps the states from growing so large that float32 rounding alone exceeds the tolerance
    scale = 0.6 if op == "rnn_scan" or recurrent_activation in BOUNDED else 0.25
    params = {"w": rng.normal(size=lead[:1] + (1,) * bool(lead) + (features, width)),
              "k": rng.normal(size=lead + (hidden, width)) * scale,
              "s": rng.normal(size=lead + (features, hidden)),
              "b": rng.normal(size=lead + (width,)) if recurrent_bias else None}
    states = 2 if op == "lstm_scan" else 1

    def forward(m, x):
        source = x if directions is None else x[None]
        xp = ag.swapaxes(ag.matmul(source, m.w), -3, -2)  # time-major
        first = x[:, 0] if directions is None else x[:, 0][None]
        state = [None] * states
        if initial == "input":
            state = [ag.tanh(ag.matmul(first * (j + 1.0), m.s)) for j in range(states)]
        options = {"reverse": reverse, "activation": activation}
        if op == "rnn_scan":
            return ag.rnn_scan(xp, state[0], m.k, **options)
        options["recurrent_activation"] = recurrent_activation
        if op == "gru_scan":
            return ag.gru_scan(xp, state[0], m.k, m.b, **options)
        out = ag.lstm_scan(xp, state[0], state[1], m.k, **options)
        if read == "all":
            return out
        lasts = reverse if isinstance(reverse, tuple) else (reverse,)
        cells = [out[1][t] if directions is None else out[1][d, t]
                 for d, t in enumerate(0 if r else out.shape[-3] - 1 for r in lasts)]
        return out[0] * 1.0, ag.stack(cells)

    return Function(forward, **params)


@pytest.mark.parametrize("op", sorted(GATES))
@FEW
@given(data=st.data())
def test_scan_ops_match_onnx_runtime(op, data):
    """Random steps, sizes, directions (one; or several, each way), initial states (zeros or
    computed from the input), activations and, for the GRU, the recurrent bias."""
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1), label="seed"))
    steps, features, hidden = draw(st.integers(1, 5)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    directions = draw(st.none() | st.integers(1, 3), label="directions")
    reverse = (draw(st.booleans(), label="reverse") if directions is None
               else tuple(draw(st.lists(st.booleans(), min_size=directions, max_size=directions))))
    activation = draw(activations, label="activation")
    # Gates: bounded ones, or linear (ONNX's Affine) beside a bounded activation; with both
    # unbounded the gated states are polynomials whose degree doubles every step and overflow
    # float32 within a few steps, and relu gates mostly close (outputs near 0, so that rounding
    # alone is large next to the output's scale).
    recurrent = draw(st.sampled_from(BOUNDED + (["linear"] if activation in BOUNDED else [])),
                     label="recurrent activation")
    model = scan_model(op, rng, features, hidden, directions, reverse,
                       draw(st.sampled_from(["zeros", "input"]), label="initial state"),
                       activation, recurrent,
                       op == "gru_scan" and draw(st.booleans(), label="recurrent bias"),
                       draw(st.sampled_from(["all", "layer"]), label="read"))
    x = batch_of(rng, (steps, features), batch=draw(st.integers(1, 4), label="batch"))
    # ONNX Runtime's float32 kernels (approximate tanh and sigmoid) round differently from
    # numpy's; unbounded activations let the difference grow with the states, to about 1e-5
    # of the output's scale in 5 steps. A wrong gate order or activation costs far more.
    bounded = {activation, recurrent} <= set(BOUNDED)
    exported(model, x, batch_sizes=(1, 2, 5), op_types=[OPERATOR[op]],
             tolerance=1e-5 if bounded else 1e-4)


def operator_count(proto, op_type):
    return sum(node.op_type == op_type for node in proto.graph.node)


@pytest.mark.parametrize("directions", [None, 2])
def test_an_lstm_is_one_operator_per_direction_unless_every_cell_state_is_read(directions):
    """ONNX's LSTM gives the last cell state only: reading the others unrolls the steps."""
    rng = np.random.default_rng(1)
    reverse = False if directions is None else (False, True)
    x = batch_of(rng, (6, 3))
    count = directions or 1
    for read, operators in (("layer", count), ("all", 6 * count)):
        model = scan_model("lstm_scan", rng, 3, 4, directions, reverse, "input", "tanh", "sigmoid",
                           False, read)
        assert operator_count(exported(model, x, op_types=["LSTM"]), "LSTM") == operators


def test_gate_orders_are_permutations():
    for op, order in ONNX_GATE_ORDER.items():
        assert sorted(order) == list(range(GATES[op]))


@pytest.mark.parametrize("op", sorted(GATES))
def test_a_step_mask_is_refused_with_the_reason(op):
    rng = np.random.default_rng(3)
    hidden, width = 2, GATES[op] * 2
    kernel = rng.normal(size=(hidden, width))
    mask = np.ones((4, 2), dtype=bool)
    mask[3, 1] = False

    def forward(m, x):
        xp = ag.swapaxes(ag.matmul(x, m.w), 0, 1)
        if op == "lstm_scan":
            return ag.lstm_scan(xp, None, None, m.k, mask=mask)[0]
        return getattr(ag, op)(xp, None, m.k, mask=mask)

    model = Function(forward, w=rng.normal(size=(3, width)), k=kernel)
    with pytest.raises(ExportError, match=f"{op}.*step mask.*cannot be exported"):
        to_onnx(model, batch_of(rng, (4, 3), batch=2))


# ---------------------------------------------------------------------- whole models

class TorchStyle(nn.Module):
    """A PyTorch-style recurrent layer and a Linear head on every step's output, returning the
    head's output and the final states."""

    def __init__(self, cell, **options):
        super().__init__()
        self.rnn = cell(3, 5, **options)
        directions = 2 if options.get("bidirectional") else 1
        self.head = nn.Linear(5 * directions, 2)

    def forward(self, x):
        out, state = self.rnn(x)
        states = list(state) if isinstance(state, tuple) else [state]
        return (self.head(out),) + tuple(states)


@pytest.mark.parametrize("cell", [nn.RNN, nn.LSTM, nn.GRU], ids=lambda c: c.__name__)
@pytest.mark.parametrize("options", [
    {}, {"batch_first": True}, {"bidirectional": True, "num_layers": 2, "batch_first": True},
    {"bidirectional": True}, {"num_layers": 2, "bias": False}], ids=str)
def test_pytorch_style_recurrent_models(tmp_path, cell, options):
    rng = np.random.default_rng(4)
    model = TorchStyle(cell, **options)
    steps_first = not options.get("batch_first")
    x = batch_of(rng, (7, 3), batch=3)
    if steps_first:  # (steps, batch, features): the batch axis the export leaves dynamic is 0
        model = TimeMajorInput(model)
    report = export_onnx(model, tmp_path / "rnn.onnx", x, batch_sizes=(1, 2, 6))
    assert {"RNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}[cell.__name__] in report.onnx_ops
    assert report.max_error <= 1e-5


class TimeMajorInput(nn.Module):
    """Feeds a batch-first input to a time-major model (the export's batch axis is axis 0)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(ag.swapaxes(x, 0, 1))


def test_a_time_major_input_is_refused_with_the_fix():
    """The export's batch axis is the input's axis 0: for a time-major layer that is the steps."""
    with pytest.raises(ExportError, match="gru_scan.*batch first: use batch_first=True"):
        to_onnx(TorchStyle(nn.GRU), batch_of(np.random.default_rng(12), (2, 3), batch=5))


def test_relu_rnn_and_an_initial_state_from_the_input(tmp_path):
    rng = np.random.default_rng(5)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.RNN(3, 4, nonlinearity="relu", batch_first=True, num_layers=2)
            self.lstm = nn.LSTM(3, 4, batch_first=True)

        def forward(self, x):
            h0 = ag.stack([ag.tanh(x[:, 0, :1] * np.ones((1, 4), np.float32))] * 2)
            out, _ = self.rnn(x, h0)
            lstm_out, (h, c) = self.lstm(x, (h0[:1], -h0[1:]))
            return out, lstm_out, c

    report = export_onnx(WithState(), tmp_path / "m.onnx", batch_of(rng, (5, 3)))
    assert report.onnx_ops["RNN"] == 2 and report.onnx_ops["LSTM"] == 1


@pytest.mark.parametrize("cell", [nn.RNNCell, nn.LSTMCell, nn.GRUCell], ids=lambda c: c.__name__)
def test_pytorch_style_cells_stepped_by_hand(cell):
    """Two steps of a cell, the second from the first's state: one-step scans."""
    rng = np.random.default_rng(10)
    layer = cell(3, 4)

    def forward(m, x):
        state = layer(x[:, 0])
        state = layer(x[:, 1], state)
        return ag.concatenate(list(state), axis=-1) if isinstance(state, tuple) else state

    proto = exported(Function(forward), batch_of(rng, (2, 3)), op_types=[cell.__name__[:-4]])
    assert operator_count(proto, cell.__name__[:-4]) == 2


@pytest.mark.parametrize("kind", ["LSTM", "GRU"])
def test_keras_activations_become_onnx_activation_attributes(kind):
    """linear and hard_sigmoid: ONNX's Affine (alpha 1, beta 0) and HardSigmoid (1/6, 1/2)."""
    rng = np.random.default_rng(11)
    model = nn.Sequential([getattr(nn, kind)(5, activation="linear", return_sequences=True,
                                             recurrent_activation="hard_sigmoid"), nn.Dense(2)])
    x = batch_of(rng, (6, 3))
    model(x)
    node = next(n for n in exported(model, x, op_types=[kind]).graph.node if n.op_type == kind)
    attributes = {a.name: a for a in node.attribute}
    gates = 3 if kind == "LSTM" else 2
    assert [f.decode() for f in attributes["activations"].strings] == \
        ["HardSigmoid"] + ["Affine"] * (gates - 1)
    np.testing.assert_allclose(attributes["activation_alpha"].floats, [1 / 6] + [1.0] * (gates - 1))
    np.testing.assert_allclose(attributes["activation_beta"].floats, [0.5] + [0.0] * (gates - 1))


@pytest.mark.parametrize("layer", [
    lambda: nn.LSTM(6, return_sequences=True),
    lambda: nn.GRU(6, go_backwards=True, activation="relu", recurrent_activation="hard_sigmoid"),
    lambda: nn.SimpleRNN(6, return_sequences=True, go_backwards=True),
    lambda: nn.Bidirectional(nn.LSTM(4, return_sequences=True)),
    lambda: nn.Bidirectional(nn.GRU(4), merge_mode="sum"),
], ids=["lstm", "gru-backwards", "simple-rnn", "bidirectional-lstm", "bidirectional-gru"])
def test_keras_style_sequential(tmp_path, layer):
    rng = np.random.default_rng(6)
    model = nn.Sequential([layer(), nn.Dense(2)])
    x = batch_of(rng, (8, 3), batch=4)
    model(x)
    report = export_onnx(model, tmp_path / "keras.onnx", x)
    assert {"LSTM", "GRU", "RNN"} & set(report.onnx_ops)
    assert report.max_error <= 1e-5


def test_keras_masking_is_refused(tmp_path):
    model = nn.Sequential([nn.Masking(0.0, input_shape=(5, 2)), nn.LSTM(3), nn.Dense(1)])
    x = np.random.default_rng(7).uniform(size=(3, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0
    with pytest.raises(ExportError, match="lstm_scan.*step mask"):
        export_onnx(model, tmp_path / "masked.onnx", x)
    assert not (tmp_path / "masked.onnx").exists()


@pytest.mark.parametrize("recurrent", [
    lambda: nn.LSTM(6), lambda: nn.GRU(6, return_sequences=True),
    lambda: nn.Bidirectional(nn.LSTM(3))], ids=["lstm", "gru", "bidirectional-lstm"])
def test_keras_style_embedding_and_recurrent_layer(tmp_path, recurrent):
    """Token ids in, through Embedding (the ids read from the graph's input) and a recurrent
    layer; the check feeds random whole-number ids."""
    rng = np.random.default_rng(8)
    model = nn.Sequential([nn.Embedding(10, 4), recurrent(), nn.Dense(3)])
    ids = rng.integers(0, 10, (4, 7)).astype(np.float32)
    model(ids)
    report = export_onnx(model, tmp_path / "tokens.onnx", ids)
    assert {"Gather", "Cast"} <= set(report.onnx_ops) and report.max_error <= 1e-5


def test_embedding_with_mask_zero_before_a_recurrent_layer_is_refused(tmp_path):
    model = nn.Sequential([nn.Embedding(10, 4, mask_zero=True), nn.GRU(3), nn.Dense(1)])
    ids = np.array([[3, 4, 0, 0], [1, 2, 5, 0]], dtype=np.float32)
    with pytest.raises(ExportError, match="gru_scan.*step mask.*mask_zero=False"):
        export_onnx(model, tmp_path / "masked.onnx", ids)


@pytest.mark.parametrize("options", [{}, {"cell": "gru", "num_layers": 2}], ids=str)
def test_the_character_language_model(tmp_path, options):
    """CharRNN (``lucidgrad train --dataset words --model lstm``): ids in, logits out."""
    from nn.data.text import CharVocabulary
    from nn.models import CharRNN

    vocabulary = CharVocabulary.from_text(["abc", "cab", "bca"], specials=(".",))
    ag.seed(0)
    model = CharRNN(vocabulary, embedding_dim=4, hidden_size=8, **options)
    ids = np.random.default_rng(9).integers(0, len(vocabulary), (3, 6)).astype(np.float32)
    report = export_onnx(model, tmp_path / "char_rnn.onnx", ids)
    assert report.onnx_ops[options.get("cell", "lstm").upper()] == options.get("num_layers", 1)
    assert report.max_error <= 1e-5


def test_export_command_makes_up_token_ids_for_a_saved_language_model(tmp_path, capsys):
    """``lucidgrad export`` of a CharRNN file: the made-up example holds token ids."""
    from nn import cli
    from nn.data.text import CharVocabulary
    from nn.models import CharRNN

    model = CharRNN(CharVocabulary.from_text(["abc", "cab"], specials=(".",)), embedding_dim=4,
                    hidden_size=6)
    model.save(tmp_path / "model.npz")
    status = cli.main(["export", str(tmp_path / "model.npz"), str(tmp_path / "model.onnx"),
                       "--input-shape", "5"])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "LSTM" in printed and "Gather" in printed and (tmp_path / "model.onnx").exists()
