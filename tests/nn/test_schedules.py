"""Learning-rate schedules against sequences computed by hand."""
import math

import numpy as np
import pytest

from autograd import Tensor
from nn import optim
from nn.optim import (CosineDecay, ExponentialDecay, LinearWarmup, ReduceLROnPlateau, StepDecay)


def lrs(schedule, steps, *args):
    """The lr after creation, then after each of ``steps`` calls of ``step``."""
    values = [schedule.get_last_lr()]
    for _ in range(steps):
        values.append(schedule.step(*args))
        assert schedule.get_last_lr() == values[-1] == schedule.optimizer.lr
    return values


def test_step_decay():
    schedule = StepDecay(optim.SGD(lr=0.1), step_size=2, gamma=0.5)
    np.testing.assert_allclose(lrs(schedule, 6), [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125])


def test_exponential_decay():
    schedule = ExponentialDecay(optim.SGD(lr=0.2), gamma=0.9)
    np.testing.assert_allclose(lrs(schedule, 4), [0.2, 0.18, 0.162, 0.1458, 0.13122])


def test_cosine_decay_reaches_min_lr_and_stays():
    schedule = CosineDecay(optim.Adam(lr=1.0), total_steps=4, min_lr=0.2)
    # 0.2 + 0.8 * (1 + cos(pi k / 4)) / 2 for k = 0..4, then 0.2
    half = math.sqrt(2) / 2
    expected = [1.0, 0.2 + 0.4 * (1 + half), 0.6, 0.2 + 0.4 * (1 - half), 0.2, 0.2, 0.2]
    np.testing.assert_allclose(lrs(schedule, 6), expected, rtol=1e-12, atol=1e-15)


def test_linear_warmup_alone():
    schedule = LinearWarmup(optim.SGD(lr=0.4), warmup_steps=4)
    np.testing.assert_allclose(lrs(schedule, 6), [0.0, 0.1, 0.2, 0.3, 0.4, 0.4, 0.4])
    schedule = LinearWarmup(optim.SGD(lr=1.0), warmup_steps=2, start_factor=0.5)
    np.testing.assert_allclose(lrs(schedule, 3), [0.5, 0.75, 1.0, 1.0])


def test_linear_warmup_then_step_decay():
    optimizer = optim.SGD(lr=0.8)
    after = StepDecay(optimizer, step_size=1, gamma=0.5)
    schedule = LinearWarmup(optimizer, warmup_steps=2, after=after)
    np.testing.assert_allclose(lrs(schedule, 5), [0.0, 0.4, 0.8, 0.4, 0.2, 0.1])
    assert after.count == 3


def test_linear_warmup_takes_the_interval_of_after():
    optimizer = optim.SGD(lr=0.8)
    after = CosineDecay(optimizer, total_steps=10, interval="step")
    assert LinearWarmup(optimizer, 5, after=after).interval == "step"
    assert LinearWarmup(optimizer, 5).interval == "epoch"


def test_linear_warmup_passes_the_metric_to_a_plateau_schedule():
    optimizer = optim.SGD(lr=1.0)
    plateau = ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    schedule = LinearWarmup(optimizer, warmup_steps=1, after=plateau)
    np.testing.assert_allclose([schedule.get_last_lr(), schedule.step(5.0), schedule.step(4.0),
                                schedule.step(4.0)], [0.0, 1.0, 1.0, 0.5])


def test_reduce_on_plateau_min_mode():
    optimizer = optim.SGD(lr=1.0)
    schedule = ReduceLROnPlateau(optimizer, factor=0.5, patience=2, min_delta=0.1, min_lr=0.2)
    metrics = [1.0, 0.95, 0.92, 0.8, 0.85, 0.9, 0.75, 0.65, 0.7, 0.7, 0.7, 0.7, 0.7]
    # best 1.0; 0.95 and 0.92 are within min_delta (bad, bad -> halve); 0.8 improves;
    # 0.85, 0.9 bad -> halve; 0.75 is not below 0.8 - 0.1 (bad); 0.65 improves;
    # then bad, bad -> 0.125 clamps to min_lr 0.2; at min_lr nothing more happens
    expected = [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]
    assert [schedule.step(metric) for metric in metrics] == expected
    assert schedule.best == 0.65


def test_reduce_on_plateau_max_mode_with_cooldown():
    optimizer = optim.SGD(lr=1.0)
    schedule = ReduceLROnPlateau(optimizer, factor=0.1, patience=1, min_delta=0.0, mode="max",
                                 cooldown=2)
    metrics = [0.5, 0.4, 0.4, 0.4, 0.4, 0.6, 0.6]
    # 0.5 improves; 0.4 bad -> 0.1 and cooldown 2; the next two calls are not counted;
    # 0.4 bad -> 0.01; 0.6 improves (cooldown running); 0.6 is in cooldown
    expected = [1.0, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01]
    np.testing.assert_allclose([schedule.step(metric) for metric in metrics], expected)


def test_reduce_on_plateau_nan_is_not_an_improvement_and_tensors_are_accepted():
    schedule = ReduceLROnPlateau(optim.SGD(lr=1.0), patience=1)
    assert schedule.step(Tensor(np.array(2.0))) == 1.0
    assert schedule.step(float("nan")) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="single number"):
        schedule.step(np.ones(2))


def test_schedule_drives_the_optimizer_update():
    param = Tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.SGD([param], lr=1.0)
    schedule = StepDecay(optimizer, step_size=1, gamma=0.1)
    for _ in range(3):
        param.grad = np.array([1.0])
        optimizer.step()
        schedule.step()
    np.testing.assert_allclose(param.data, [1.0 - 1.0 - 0.1 - 0.01])


SCHEDULES = [  # (factory, whether step() takes a metric)
    (lambda opt: StepDecay(opt, step_size=3, gamma=0.5), False),
    (lambda opt: ExponentialDecay(opt, gamma=0.7, interval="step"), False),
    (lambda opt: CosineDecay(opt, total_steps=7, min_lr=0.01), False),
    (lambda opt: LinearWarmup(opt, 3, after=CosineDecay(opt, total_steps=5)), False),
    (lambda opt: ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1), True),
]


@pytest.mark.parametrize("make, takes_metric", SCHEDULES)
def test_state_dict_round_trip_continues_identically(make, takes_metric, tmp_path):
    metrics = [3.0, 2.0, 2.5, 2.5, 1.0, 1.5, 1.5, 1.5, 1.5, 0.5]

    def args(i):
        return (metrics[i],) if takes_metric else ()

    reference = make(optim.SGD(lr=1.0))
    expected = [reference.step(*args(i)) for i in range(10)]

    first = make(optim.SGD(lr=1.0))
    for i in range(4):
        first.step(*args(i))
    state = first.state_dict()
    assert all(isinstance(value, (int, float, str)) for value in state.values())
    np.savez(tmp_path / "schedule.npz", **state)
    with np.load(tmp_path / "schedule.npz", allow_pickle=False) as saved:
        loaded = dict(saved)
    optimizer = optim.SGD(lr=1.0)
    resumed = make(optimizer)
    resumed.load_state_dict(loaded)
    assert optimizer.lr == expected[3]
    assert [resumed.step(*args(i)) for i in range(4, 10)] == expected[4:]


def test_load_state_dict_checks_the_kind():
    state = StepDecay(optim.SGD(), step_size=2).state_dict()
    with pytest.raises(ValueError, match="state is for 'StepDecay'"):
        CosineDecay(optim.SGD(), total_steps=3).load_state_dict(state)


@pytest.mark.parametrize("make, message", [
    (lambda o: StepDecay(o, step_size=0), "StepDecay: step_size must be an integer >= 1"),
    (lambda o: StepDecay(o, step_size=2.5), "StepDecay: step_size must be an integer"),
    (lambda o: ExponentialDecay(o, gamma=0.0), "ExponentialDecay: gamma must be"),
    (lambda o: CosineDecay(o, total_steps=10, min_lr=-1), "CosineDecay: min_lr must be"),
    (lambda o: LinearWarmup(o, 0), "LinearWarmup: warmup_steps must be"),
    (lambda o: LinearWarmup(o, 2, start_factor=2), r"start_factor must be in \[0, 1\]"),
    (lambda o: LinearWarmup(o, 2, after=StepDecay(optim.SGD(), 1)), "same optimizer"),
    (lambda o: ReduceLROnPlateau(o, factor=1.0), r"factor must be in \(0, 1\)"),
    (lambda o: ReduceLROnPlateau(o, mode="up"), "mode must be 'min' or 'max'"),
    (lambda o: StepDecay(o, 2, interval="batch"), "interval must be 'epoch' or 'step'"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make(optim.SGD())


def test_needs_an_optimizer():
    with pytest.raises(TypeError, match="expected an optimizer with an lr attribute"):
        StepDecay(object(), step_size=1)
