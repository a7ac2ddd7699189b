"""Optimizers inside a captured training step (``autograd.capture``): replays agree with eager
steps bitwise, for every optimizer and option, while learning rates, step counts and bias
corrections move; ``check=True`` finds nothing to complain about."""
import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.capture import capture
from nn import optim

CONFIGS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.01, "clipnorm": 0.05}),
    (optim.RMSprop, {}),
    (optim.RMSprop, {"eps_inside_sqrt": True, "centered": True, "momentum": 0.5}),
    (optim.RMSprop, {"weight_decay": 0.01, "global_clipnorm": 0.05}),
    (optim.Adam, {}),
    (optim.Adam, {"amsgrad": True, "clipvalue": 0.01}),
    (optim.Adam, {"weight_decay": 0.01, "clipnorm": 0.02}),
    (optim.AdamW, {"global_clipnorm": 0.05}),
    (optim.Adagrad, {"weight_decay": 0.01, "clipvalue": 0.05}),
]
RNG = np.random.default_rng(0)
BATCHES = [(RNG.random((8, 64), dtype=np.float32), RNG.integers(0, 5, 8)) for _ in range(20)]


def config_id(config):
    cls, options = config
    return cls.__name__ + "".join(f"-{key}={value}" for key, value in options.items())


def model_and_optimizer(config):
    """A small MLP (a 64x160 kernel big enough to be updated on its own, the rest in the flat
    buffer) and its optimizer."""
    nn.seed(0)
    model = nn.Sequential([nn.Linear(64, 160), nn.ReLU(), nn.Linear(160, 5), nn.Softmax()])
    cls, options = config
    return model, cls(model.parameters(), **options)


def training_step(model, optimizer, schedule=None):
    def step(x, y):
        optimizer.zero_grad()
        loss = nn.losses.sparse_categorical_crossentropy(y, model(Tensor(x)))
        loss.backward()
        optimizer.step()
        if schedule is not None:
            schedule.step()
        return loss
    return step


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_check_mode_agrees_with_every_optimizer(config):
    model, optimizer = model_and_optimizer(config)
    step = capture(training_step(model, optimizer), check=True)
    for x, y in BATCHES[:4]:
        step(x, y)
    assert optimizer.iterations == 4 and len(step.recordings) == 1


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_replays_follow_a_schedule_and_bias_corrections_bitwise(config):
    (eager_model, eager_optimizer), (model, optimizer) = (model_and_optimizer(config),
                                                          model_and_optimizer(config))
    eager = training_step(eager_model, eager_optimizer,
                          optim.ExponentialDecay(eager_optimizer, 0.9, interval="step"))
    schedule = optim.ExponentialDecay(optimizer, 0.9, interval="step")
    captured = capture(training_step(model, optimizer, schedule))
    for x, y in BATCHES:
        expected, got = eager(x, y), captured(x, y)
        assert np.array_equal(expected.data, got.data)
        for p, q in zip(eager_model.parameters(), model.parameters()):
            assert np.array_equal(p.data, q.data)
    assert len(captured.recordings) == 1
    assert schedule.count == len(BATCHES) and optimizer.lr == eager_optimizer.lr
    assert optimizer.state_dict().keys() == eager_optimizer.state_dict().keys()
    for key, value in eager_optimizer.state_dict().items():
        assert np.array_equal(optimizer.state_dict()[key], value), key


def test_a_learning_rate_set_between_replays_is_used():
    (eager_model, eager_optimizer), (model, optimizer) = (
        model_and_optimizer((optim.Adam, {})), model_and_optimizer((optim.Adam, {})))
    eager, captured = training_step(eager_model, eager_optimizer), capture(training_step(model,
                                                                                         optimizer))
    for index, (x, y) in enumerate(BATCHES[:8]):
        eager_optimizer.lr = optimizer.lr = 1e-3 * (index + 1)
        eager(x, y)
        captured(x, y)
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert np.array_equal(p.data, q.data)


@pytest.mark.parametrize("make_schedule", [
    lambda o: optim.LinearWarmup(o, 3, after=optim.CosineDecay(o, 10, interval="step")),
    lambda o: optim.StepDecay(o, 2, gamma=0.5, interval="step"),
], ids=["warmup then cosine", "step decay"])
def test_schedules_stepped_inside_a_checked_step(make_schedule):
    model, optimizer = model_and_optimizer((optim.SGD, {"lr": 0.1, "momentum": 0.9}))
    eager_model, eager_optimizer = model_and_optimizer((optim.SGD, {"lr": 0.1, "momentum": 0.9}))
    schedule, eager_schedule = make_schedule(optimizer), make_schedule(eager_optimizer)
    step = capture(training_step(model, optimizer, schedule), check=True)
    eager = training_step(eager_model, eager_optimizer, eager_schedule)
    lrs = []
    for x, y in BATCHES[:12]:
        step(x, y)
        eager(x, y)
        lrs.append(optimizer.lr)
        assert optimizer.lr == eager_optimizer.lr
    assert schedule.count == 12 and len(set(lrs)) > 3
    for p, q in zip(eager_model.parameters(), model.parameters()):
        assert np.array_equal(p.data, q.data)


def test_parameters_without_a_gradient_stay_out_of_replays_too():
    nn.seed(0)
    used, unused = nn.Linear(64, 5), nn.Linear(3, 2)
    optimizer = optim.Adam(list(used.parameters()) + list(unused.parameters()))
    before = [p.data.copy() for p in unused.parameters()]

    def step(x, y):
        optimizer.zero_grad()
        loss = nn.losses.sparse_categorical_crossentropy(y, used(Tensor(x)).softmax(axis=-1))
        loss.backward()
        optimizer.step()
        return loss

    captured = capture(step, check=True)
    for x, y in BATCHES[:5]:
        captured(x, y)
    state = optimizer.state_dict()
    assert [state[f"state.{i}.step"] for i in range(4)] == [5, 5, 0, 0]
    for p, values in zip(unused.parameters(), before):
        np.testing.assert_array_equal(p.data, values)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_ignored_targets_that_change_between_batches_replay_like_eager(loss):
    """A 'mean' over the counted targets divides by a count that changes from batch to batch;
    replays must divide by each batch's own count (not the recorded one), and an all-ignored
    batch gives nan, as eagerly."""
    def run(captured):
        rng = np.random.default_rng(1)
        model = nn.Linear(6, 4)
        model.load_state_dict({"weight": np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 6),
                               "bias": np.zeros(4, np.float32)})
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        criterion = getattr(nn.functional, loss)

        def step(x, y):
            optimizer.zero_grad()
            logits = model(x)
            value = criterion(logits if loss == "cross_entropy"
                              else nn.functional.log_softmax(logits, dim=1), y)
            value.backward()
            optimizer.step()
            return value

        stepper = capture(step, check=True) if captured else step
        losses = []
        for ignored in (0, 3, 7, 1, 8):
            x = rng.standard_normal((8, 6)).astype(np.float32)
            y = rng.integers(0, 4, 8)
            y[:ignored] = -100
            losses.append(stepper(x, y).item())
        return losses

    eager = run(False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a step that falls back to eager warns: it must replay
        replayed = run(True)
    np.testing.assert_array_equal(eager, replayed)
    assert np.isnan(eager[-1]) and np.isfinite(eager[:-1]).all()
