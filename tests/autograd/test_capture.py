"""``autograd.capture``: a recorded step replays bitwise like the eager step, allocates no new
arrays, follows its guards (new shapes, too many shapes), and ``check=True`` finds what a replay
cannot repeat."""
import os
import tracemalloc
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from autograd.capture import (CaptureMismatchError, asarray, capture, host_call, traced)
from nn.models import build_model

RNG = np.random.default_rng(0)


def gradient_step(model):
    """Forward, loss and backward of ``model`` on a batch: the step a captured function runs."""
    def step(x, y):
        model.zero_grad()
        loss = nn.losses.sparse_categorical_crossentropy(y, model(Tensor(x)))
        loss.backward()
        return loss
    return step


def small_cnn():
    nn.seed(0)
    return build_model("cnn", (1, 12, 12), 5, filters=(3, 4), kernel_size=3, dense_units=8,
                       dropout=0)


def small_mlp():
    nn.seed(0)
    return nn.Sequential([nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 5), nn.Softmax()])


def batches(shape, count, batch=8):
    return [(RNG.random((batch,) + shape, dtype=np.float32), RNG.integers(0, 5, batch))
            for _ in range(count)]


@pytest.mark.parametrize("build, shape", [(small_mlp, (6,)), (small_cnn, (1, 12, 12))],
                         ids=["mlp", "cnn with batch norm"])
def test_replays_are_bitwise_equal_to_eager_steps(build, shape):
    eager_model, captured_model = build(), build()
    eager, captured = gradient_step(eager_model), capture(gradient_step(captured_model))
    for x, y in batches(shape, 5):
        expected, got = eager(x, y), captured(x, y)
        assert np.array_equal(expected.data, got.data)
        for p, q in zip(eager_model.parameters(), captured_model.parameters()):
            assert np.array_equal(p.grad, q.grad)
        for a, b in zip(eager_model.buffers(), captured_model.buffers()):  # moving statistics
            assert np.array_equal(a, b)
    assert len(captured.recordings) == 1


def test_check_mode_agrees_on_a_faithful_step():
    step = capture(gradient_step(small_cnn()), check=True)
    for x, y in batches((1, 12, 12), 3):
        step(x, y)


def test_check_mode_finds_a_branch_on_values():
    w = Tensor(np.ones(3), requires_grad=True)

    def step(x):
        w.grad = None
        out = (w * Tensor(x)).sum()
        if out.item() > 0:  # the replay repeats the branch it recorded
            out = out * 2
        out.backward()
        return out

    checked = capture(step, check=True)
    checked(np.ones(3, dtype=np.float64))
    checked(np.ones(3, dtype=np.float64))
    with pytest.raises(CaptureMismatchError, match="control flow changed|different array"):
        checked(-np.ones(3, dtype=np.float64))


def test_new_shapes_get_a_recording_of_their_own_then_run_eagerly():
    calls = []

    def step(x):
        calls.append(x.shape)
        return Tensor(x) * 2

    captured = capture(step, max_recordings=2)
    for n in (2, 3, 2, 3):
        np.testing.assert_array_equal(captured(np.ones(n)).data, 2 * np.ones(n))
    assert calls == [(2,), (3,)]  # the other two calls were replays
    with pytest.warns(UserWarning, match="more than 2 different input shapes"):
        captured(np.ones(4))
    captured(np.ones(5))
    assert calls[-2:] == [(4,), (5,)]


def test_outputs_are_copies_and_follow_the_inputs():
    captured = capture(lambda x: (Tensor(x) * 3).exp())
    first = captured(np.zeros(2))
    second = captured(np.ones(2))
    np.testing.assert_allclose(first.data, [1.0, 1.0])
    np.testing.assert_allclose(second.data, np.exp([3.0, 3.0]))
    third = captured(np.full(2, 2.0))
    np.testing.assert_allclose(second.data, np.exp([3.0, 3.0]))  # not overwritten
    np.testing.assert_allclose(third.data, np.exp([6.0, 6.0]))


def test_a_replay_allocates_no_arrays():
    step = capture(gradient_step(small_cnn()))
    x, y = batches((1, 12, 12), 1, batch=32)[0]
    step(x, y)
    step(x, y)
    buffers = sum(out.nbytes for call in step.recording.calls for out in call.outputs())
    tracemalloc.start()
    try:
        step(x, y)
        start, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(3):
            step(x, y)
        end, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert end - start < 4096  # nothing kept
    # numpy's own iteration buffers aside, nothing is allocated: far below one step's arrays
    assert peak - start < 0.05 * buffers


def test_host_calls_run_again_on_every_replay():
    counter = []
    captured = capture(lambda x: host_call(counter.append, 1) or Tensor(x) + 1)
    for _ in range(3):
        captured(np.zeros(2))
    assert counter == [1, 1, 1]


def test_helpers_do_nothing_outside_a_recording():
    a = np.ones(3)
    assert traced(a) is a
    assert asarray(a) is a
    assert asarray(Tensor(a)).dtype == a.dtype and asarray([1, 2], np.float32).dtype == np.float32


def test_describe_lists_the_calls_with_their_ops():
    captured = capture(gradient_step(small_mlp()))
    captured(*batches((6,), 1)[0])
    text = captured.recording.describe()
    assert text.splitlines()[0].endswith("2 input buffers")
    assert "matmul" in text and "linear backward" in text and "relu" in text


def test_a_captured_function_called_inside_a_recording_just_runs():
    inner = capture(lambda t: t * 2)
    outer = capture(lambda x: inner(Tensor(x)) + 1)
    for value in (1.0, 2.0, 3.0):
        np.testing.assert_array_equal(outer(np.full(2, value)).data, np.full(2, 2 * value + 1))
    assert not inner.recordings


def test_capture_works_as_a_decorator_with_options():
    @capture(check=True)
    def double(x):
        return Tensor(x) * 2

    for value in (1.0, 2.0):
        np.testing.assert_array_equal(double(np.full(3, value)).data, np.full(3, 2 * value))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        double(np.full(3, 5.0))


def test_draw_capture_shows_buffers_and_calls():
    from autograd.viz import draw_capture
    captured = capture(gradient_step(small_mlp()))
    with pytest.raises(ValueError, match="nothing recorded yet"):
        draw_capture(captured)
    captured(*batches((6,), 1)[0])
    source = draw_capture(captured, max_calls=10).source
    calls = captured.recording.calls
    assert source.count("ellipse") == 10 and f"{len(calls) - 10} more calls" in source
    assert "0: matmul" in source and "input" in source
    assert "state (updated in place)" not in source  # this step writes no outside array
    full = draw_capture(captured, max_calls=len(calls)).source
    assert full.count("ellipse") == len(calls)


def test_a_numpy_function_given_out_writes_into_that_buffer():
    def step(x):
        t = Tensor(x) * 1.0  # an op's result: its array is recorded
        out = np.empty((2, 2), like=t.data)
        np.dot(t.data, t.data, out=out)
        return Tensor(out) * 1.0

    captured = capture(step, check=True)
    for value in (1.0, 2.0, 3.0):
        np.testing.assert_array_equal(captured(np.full((2, 2), value)).data,
                                      np.full((2, 2), 2 * value * value))


def test_dropout_draws_afresh_on_every_replay_from_the_same_generator():
    def twins():
        nn.seed(3)
        return nn.Sequential([nn.Linear(6, 16), nn.Dropout(0.5), nn.Linear(16, 5), nn.Softmax()])
    eager_model, captured_model = twins(), twins()
    eager, captured = gradient_step(eager_model), capture(gradient_step(captured_model))
    data = batches((6,), 4)
    ag.seed(7)
    expected = [eager(x, y).item() for x, y in data]
    ag.seed(7)
    got = [captured(x, y).item() for x, y in data]
    assert len(set(got)) == 4 and got == expected  # new masks every step, the eager ones


def test_check_mode_replays_random_draws_faithfully():
    nn.seed(3)
    model = nn.Sequential([nn.Linear(6, 16), nn.Dropout(0.3), nn.Linear(16, 5), nn.Softmax()])
    step = capture(gradient_step(model), check=True)
    for x, y in batches((6,), 3):
        step(x, y)


def _resident_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc/self/statm")
def test_resident_memory_stays_flat_over_ten_thousand_replays():
    step = capture(gradient_step(small_cnn()))
    x, y = batches((1, 12, 12), 1, batch=16)[0]
    for _ in range(500):  # recorded, then replays until malloc's pools have settled
        step(x, y)
    before = _resident_bytes()
    for _ in range(10_000):
        step(x, y)
    grown = _resident_bytes() - before
    assert grown < 1 << 20, f"resident memory grew by {grown / 2**20:.1f} MiB over 10,000 replays"
