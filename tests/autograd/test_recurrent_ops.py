"""The recurrence ops ``rnn_scan``, ``lstm_scan`` and ``gru_scan``: forward against a step-by-step
loop of ordinary ops, first and second derivatives against finite differences (float64, with and
without masks, both directions, every activation), the numpy backward against the op-written
one, and their checks of bad input."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd as ag
from autograd import Tensor, testing
from autograd.ops import recurrent as R
from op_cases import PROPERTY

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
ACTIVATIONS = ["tanh", "sigmoid", "relu", "hard_sigmoid", "linear"]


def reference(kind, xp, h0, c0, kernel, bias, mask=None, reverse=False, activation="tanh",
              recurrent_activation="sigmoid"):
    """The recurrence written step by step with ordinary ops: what the scans must compute."""
    act = R.SCAN_ACTIVATIONS[activation].op
    rec = R.SCAN_ACTIVATIONS[recurrent_activation].op
    steps, batch, _ = xp.shape
    H = kernel.shape[0]
    h = Tensor(np.zeros((batch, H))) if h0 is None else h0
    c = Tensor(np.zeros((batch, H))) if c0 is None else c0
    hs, cs = [None] * steps, [None] * steps
    for t in (range(steps - 1, -1, -1) if reverse else range(steps)):
        x = xp[t]
        if kind == "rnn":
            h_new, c_new = act(x + h @ kernel), c
        elif kind == "lstm":
            z = x + h @ kernel
            i, f, g, o = rec(z[:, :H]), rec(z[:, H:2 * H]), act(z[:, 2 * H:3 * H]), rec(z[:, 3 * H:])
            c_new = f * c + i * g
            h_new = o * act(c_new)
        else:
            a = h @ kernel if bias is None else h @ kernel + bias
            r, z = rec(x[:, :H] + a[:, :H]), rec(x[:, H:2 * H] + a[:, H:2 * H])
            n = act(x[:, 2 * H:] + r * a[:, 2 * H:])
            h_new, c_new = (1 - z) * n + z * h, c
        if mask is not None:
            keep = mask[t][:, None]
            h_new, c_new = ag.where(keep, h_new, h), ag.where(keep, c_new, c)
        h, c = h_new, c_new
        hs[t], cs[t] = h, c
    return ag.stack([ag.stack(hs), ag.stack(cs)]) if kind == "lstm" else ag.stack(hs)


def scan(kind, xp, h0, c0, kernel, bias, **options):
    if kind == "rnn":
        options.pop("recurrent_activation", None)
        return ag.rnn_scan(xp, h0, kernel, **options)
    if kind == "lstm":
        return ag.lstm_scan(xp, h0, c0, kernel, **options)
    return ag.gru_scan(xp, h0, kernel, bias, **options)


@st.composite
def problems(draw, kind=None):
    """A small random recurrence: kind, operands (float64), mask, direction, activations."""
    kind = kind or draw(st.sampled_from(sorted(GATES)))
    steps, batch, hidden = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    width = GATES[kind] * hidden
    xp = rng.normal(size=(steps, batch, width))
    kernel = rng.normal(scale=0.7, size=(hidden, width))
    with_states = draw(st.booleans())
    h0 = rng.normal(size=(batch, hidden)) if with_states else None
    c0 = rng.normal(size=(batch, hidden)) if with_states and kind == "lstm" else None
    bias = rng.normal(size=width) if kind == "gru" and draw(st.booleans()) else None
    mask = rng.random((steps, batch)) < 0.7 if draw(st.booleans()) else None
    smooth = ["tanh", "sigmoid"]  # finite differences need smooth functions
    options = {"mask": mask, "reverse": draw(st.booleans()),
               "activation": draw(st.sampled_from(smooth)),
               "recurrent_activation": draw(st.sampled_from(smooth))}
    return kind, [xp, h0, c0, kernel, bias], options


def _differentiable(kind, operands, options):
    """(f, inputs): ``f`` of the operands that are arrays, for gradcheck."""
    present = [i for i, a in enumerate(operands) if a is not None]

    def f(*arrays):
        full = list(operands)
        for i, a in zip(present, arrays):
            full[i] = a
        return scan(kind, *full, **options)

    return f, [operands[i] for i in present]


@PROPERTY
@given(problems())
def test_scans_match_the_step_by_step_loop(problem):
    kind, operands, options = problem
    out = scan(kind, *operands, **options)
    expected = reference(kind, *[None if a is None else Tensor(a) for a in operands], **options)
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12, atol=1e-12)


@PROPERTY
@given(problems())
def test_scan_derivatives_to_second_order(problem):
    kind, operands, options = problem
    f, inputs = _differentiable(kind, operands, options)
    testing.check_gradients(lambda *a: f(*a) ** 2, *inputs, order=2)


@pytest.mark.parametrize("kind", sorted(GATES))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_matches_the_loop_and_its_gradient(kind, activation):
    rng = np.random.default_rng(3)
    H, width = 2, GATES[kind] * 2
    xp, kernel = rng.normal(size=(3, 2, width)), rng.normal(scale=0.5, size=(H, width))
    h0, c0 = rng.normal(size=(2, H)), rng.normal(size=(2, H))
    options = {"activation": activation, "recurrent_activation": activation, "reverse": True}
    operands = [Tensor(a, requires_grad=True) for a in (xp, h0, c0, kernel)]
    out = scan(kind, operands[0], operands[1], operands[2], operands[3], None, **options)
    expected = reference(kind, *operands, None, **options)
    np.testing.assert_allclose(out.data, expected.data, rtol=1e-12, atol=1e-12)
    ours = ag.gradients((out ** 2).sum(), operands[:1] + operands[3:])
    theirs = ag.gradients((expected ** 2).sum(), operands[:1] + operands[3:])
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@PROPERTY
@given(problems(), st.data())
def test_the_numpy_backward_equals_the_op_written_one(problem, data):
    """An ordinary backward pass runs numpy with the forward's saved gates; under create_graph
    the op-written formulas run. Both must give the same first derivatives."""
    kind, operands, options = problem
    tensors = [None if a is None else Tensor(a, requires_grad=True) for a in operands]
    live = [t for t in tensors if t is not None]
    seed = np.random.default_rng(data.draw(st.integers(0, 100)))
    out = scan(kind, *tensors, **options)
    weights = seed.normal(size=out.shape)
    plain = ag.gradients((out * weights).sum(), live)
    out = scan(kind, *tensors, **options)
    recorded = ag.gradients((out * weights).sum(), live, create_graph=True)
    for a, b in zip(plain, recorded):
        np.testing.assert_allclose(a, b.data, rtol=1e-10, atol=1e-12)


def test_masked_steps_carry_the_state_and_pass_gradients_through():
    rng = np.random.default_rng(0)
    xp = Tensor(rng.normal(size=(4, 2, 12)), requires_grad=True)
    h0 = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    kernel = Tensor(rng.normal(size=(3, 12)))
    mask = np.array([[True, True], [False, True], [True, False], [False, True]])
    states = ag.lstm_scan(xp, h0, None, kernel, mask=mask)
    np.testing.assert_array_equal(states.data[:, 1, 0], states.data[:, 0, 0])  # step 1, sample 0
    np.testing.assert_array_equal(states.data[:, 3, 0], states.data[:, 2, 0])
    states[0, -1].sum().backward()
    assert np.all(xp.grad[1, 0] == 0) and np.all(xp.grad[3, 0] == 0)
    assert np.all(xp.grad[2, 1] == 0) and np.any(xp.grad[1, 1] != 0)


def test_a_step_with_every_sample_masked_keeps_the_initial_state():
    h0 = np.array([[1.0, -2.0]])
    out = ag.gru_scan(np.ones((2, 1, 6)), h0, np.ones((2, 6)), mask=np.zeros((2, 1), bool))
    np.testing.assert_array_equal(out.data, [h0, h0])


def test_float32_in_float32_out():
    out = ag.lstm_scan(np.ones((2, 3, 8), np.float32), None, None, np.ones((2, 8), np.float32))
    assert out.dtype == np.float32 and out.shape == (2, 2, 3, 2)


@pytest.mark.parametrize("call, message", [
    (lambda: ag.lstm_scan(np.ones((2, 3, 8)), None, None, np.ones((2, 6))),
     r"lstm_scan: the recurrent kernel must be \(hidden, 4 \* hidden\), got shape \(2, 6\)"),
    (lambda: ag.gru_scan(np.ones((2, 3, 8)), None, np.ones((2, 6))),
     r"gru_scan: xp has 8 features per step, the kernel 3 \* 2 = 6"),
    (lambda: ag.rnn_scan(np.ones((0, 3, 2)), None, np.ones((2, 2))),
     r"rnn_scan: xp must be \(steps, batch, 1 \* hidden\) with at least one step, got shape \(0, 3, 2\)"),
    (lambda: ag.rnn_scan(np.ones((2, 3, 2)), np.ones((2, 2)), np.ones((2, 2))),
     r"rnn_scan: h0 must be \(batch, hidden\) = \(3, 2\), got shape \(2, 2\)"),
    (lambda: ag.gru_scan(np.ones((2, 3, 6)), None, np.ones((2, 6)), np.ones(5)),
     r"gru_scan: the recurrent bias must be \(6,\), got shape \(5,\)"),
    (lambda: ag.rnn_scan(np.ones((2, 3, 2)), None, np.ones((2, 2)), mask=np.ones((3, 2), bool)),
     r"rnn_scan: the mask must be booleans of shape \(steps, batch\) = \(2, 3\)"),
    (lambda: ag.lstm_scan(np.ones((2, 3, 8)), None, None, np.ones((2, 8)), activation="swish"),
     r"lstm_scan: activation must be one of"),
])
def test_scans_reject_bad_operands(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_value_operand_is_refused():
    with pytest.raises(ValueError, match=r"rnn_scan: xp must be \(steps, batch, 1 \* hidden\)"):
        ag.rnn_scan(ag.Value(1.0), None, np.ones((1, 1)))


@pytest.mark.parametrize("kind", sorted(GATES))
@pytest.mark.parametrize("reverse", [(False, True), (True, True), (True, False)])
@pytest.mark.parametrize("masked", [False, True])
def test_stacked_directions_run_side_by_side(kind, reverse, masked):
    """A direction axis in front of every operand: each direction is its own scan, with its own
    weights and reverse flag; values and gradients as if run one by one."""
    rng = np.random.default_rng(7)
    H, width = 2, GATES[kind] * 2
    xp, kernel = rng.normal(size=(2, 3, 2, width)), rng.normal(scale=0.6, size=(2, H, width))
    h0, c0, bias = rng.normal(size=(2, 2, H)), rng.normal(size=(2, 2, H)), rng.normal(size=(2, width))
    options = {"mask": rng.random((3, 2)) < 0.6 if masked else None}
    operands = [xp, h0, c0 if kind == "lstm" else None, kernel, bias if kind == "gru" else None]
    tensors = [None if a is None else Tensor(a, requires_grad=True) for a in operands]
    both = scan(kind, *tensors, reverse=reverse, **options)
    weights = rng.normal(size=both.shape)
    grads = ag.gradients((both * weights).sum(), [t for t in tensors if t is not None])
    for d, r in enumerate(reverse):
        alone = [None if a is None else Tensor(a[d], requires_grad=True) for a in operands]
        one = scan(kind, *alone, reverse=r, **options)
        w = weights[:, d] if kind == "lstm" else weights[d]
        np.testing.assert_allclose(one.data, both.data[:, d] if kind == "lstm" else both.data[d],
                                   rtol=1e-12, atol=1e-14)
        expected = ag.gradients((one * w).sum(), [t for t in alone if t is not None])
        for g, e in zip(grads, expected):
            np.testing.assert_allclose(g[d], e, rtol=1e-10, atol=1e-13)
    f, inputs = _differentiable(kind, operands, dict(options, reverse=reverse))
    testing.check_gradients(lambda *a: f(*a) ** 2, *inputs, order=2)


def test_stacked_directions_check_their_flags_and_shapes():
    with pytest.raises(ValueError, match=r"reverse must be a bool or one bool per direction \(2\)"):
        ag.gru_scan(np.ones((2, 3, 1, 6)), None, np.ones((2, 2, 6)), reverse=(True,))
    with pytest.raises(ValueError, match=r"h0 must be \(directions, batch, hidden\) = \(2, 1, 2\), got shape \(1, 2\)"):
        ag.gru_scan(np.ones((2, 3, 1, 6)), np.ones((1, 2)), np.ones((2, 2, 6)))
    with pytest.raises(ValueError, match=r"the recurrent kernel must be \(directions, hidden, 3 \* hidden\)"):
        ag.gru_scan(np.ones((2, 3, 1, 6)), None, np.ones((2, 6)))
