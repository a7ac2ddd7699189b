"""A load, an optimizer step or a save that fails leaves everything exactly as it was: every
parameter, buffer, optimizer state array, step count and hyperparameter is compared bit for bit
before and after the failure."""
import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import optim
from nn.optim import schedules


def model():
    nn.seed(0)
    return nn.Sequential([nn.Dense(4, activation="relu", input_shape=(3,)),
                          nn.BatchNormalization(), nn.Dense(2)])


def trained(optimizer="adam"):
    net = model()
    net.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(np.float32)
    net.fit(x, np.zeros((16, 2), np.float32), epochs=2, batch_size=4, verbose=0)
    return net


def snapshot(value):
    """Bytes of every array and the repr of everything else, recursively (bitwise comparison)."""
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return {key: snapshot(item) for key, item in value.items()}
    return repr(value)


def optimizer_snapshot(optimizer):
    settings = {key: getattr(optimizer, key) for key in optimizer.get_config()}
    return snapshot({"state": optimizer.state_dict(), "settings": settings,
                     "slots": [(slot.step, dict(slot.state)) for slot in optimizer._slots]})


# ---------------------------------------------------------------------- Module.load_state_dict
def _bad_module_states():
    good = model().state_dict()
    cases = {
        "a string array": ("2.bias", np.array(["a", "b"])),
        "an object array": ("2.bias", np.array([None, None], dtype=object)),
        "a complex array": ("2.bias", np.array([1j, 2j])),
        "a boolean array": ("2.bias", np.array([True, False])),
        "NaN": ("2.bias", np.array([np.nan, 0.0], np.float32)),
        "infinity": ("1.moving_variance", np.full(4, np.inf, np.float32)),
        "overflow in float32": ("2.bias", np.array([1e300, 0.0])),
        "a wrong shape": ("2.bias", np.zeros(3, np.float32)),
        "a ragged list": ("2.bias", [[1.0], [2.0, 3.0]]),
    }
    for label, (name, value) in cases.items():
        state = {key: array + 1 for key, array in good.items()}  # earlier entries are fine
        state[name] = value
        yield pytest.param(state, name, id=label)


@pytest.mark.parametrize("state,bad_name", list(_bad_module_states()))
def test_a_bad_entry_in_load_state_dict_changes_nothing(state, bad_name):
    net = model()
    before = snapshot(net.state_dict())
    with pytest.raises(ValueError, match=bad_name.replace(".", r"\.")):
        net.load_state_dict(state)
    assert snapshot(net.state_dict()) == before


def test_load_state_dict_converts_within_a_kind_and_refuses_floats_into_integers():
    net = model()
    state = {key: value.astype(np.float64) + 1 for key, value in net.state_dict().items()}
    net.load_state_dict(state)  # float64 into float32 parameters is fine
    assert net[2].bias.data.dtype == np.float32
    np.testing.assert_array_equal(net[2].bias.data, state["2.bias"].astype(np.float32))

    counter = nn.Module()
    counter.register_buffer("seen", np.zeros(2, np.int64))
    with pytest.raises(ValueError, match="seen: dtype float64 cannot be stored"):
        counter.load_state_dict({"seen": np.array([1.5, 2.0])})
    counter.load_state_dict({"seen": np.array([1, 2], np.int32)})
    assert counter.seen.tolist() == [1, 2]


def test_load_state_dict_wants_a_mapping():
    with pytest.raises(TypeError, match="expected a dict"):
        model().load_state_dict([("2.bias", np.zeros(2))])


# ---------------------------------------------------------------------- optimizer.load_state_dict
OPTIMIZERS = ["sgd", "rmsprop", "adam", "adagrad"]


def _bad_optimizer_entries(name):
    common = {
        "a negative lr": {"lr": -1.0},
        "a NaN lr": {"lr": float("nan")},
        "a string lr": {"lr": "0.1"},
        "a negative weight decay": {"weight_decay": -0.5},
        "a negative clipnorm": {"clipnorm": -1.0},
        "negative iterations": {"iterations": -3},
        "a fractional step count": {"state.1.step": 2.5},
        "a negative step count": {"state.0.step": -1},
        "a wrong optimizer name": {"name": "adadelta"},
        "a wrong parameter count": {"param_count": 9},
    }
    per_optimizer = {
        "sgd": {"momentum of 1": {"momentum": 1.0}, "a string nesterov": {"nesterov": "False"},
                "nesterov without momentum": {"nesterov": True, "momentum": 0.0}},
        "rmsprop": {"rho of 1.5": {"rho": 1.5}, "eps of 0": {"eps": 0.0},
                    "a string state array": {"state.3.sq_sum": np.array(["a", "b"])},
                    "a complex state array": {"state.3.sq_sum": np.array([1j, 1j])},
                    "a NaN state array": {"state.3.sq_sum": np.array([np.nan, 1.0], np.float32)},
                    "an object state array": {"state.3.sq_sum": np.array([1, None], object)}},
        "adam": {"beta1 of 2": {"beta1": 2.0}, "a negative beta2": {"beta2": -0.1},
                 "a string amsgrad": {"amsgrad": "no"},
                 "an infinite moment": {"state.3.grad_sum": np.array([np.inf, 0.0])},
                 "a moment of the wrong shape": {"state.3.grad_sum": np.zeros(5)}},
        "adagrad": {"a negative initial accumulator": {"initial_accumulator_value": -1.0},
                    "a boolean accumulator": {"state.3.sq_sum": np.array([True, False])}},
    }
    return {**common, **per_optimizer[name]}


@pytest.mark.parametrize("name,label,changes", [
    pytest.param(name, label, changes, id=f"{name}-{label}")
    for name in OPTIMIZERS for label, changes in _bad_optimizer_entries(name).items()])
def test_a_bad_optimizer_state_changes_nothing(name, label, changes):
    options = {"momentum": 0.9} if name == "sgd" else {}
    source = trained(optim.get(name, **options))
    state = {key: (value * 2 + 1 if isinstance(value, np.ndarray) else value)
             for key, value in source.optimizer.state_dict().items()}
    state["iterations"] = state["iterations"] + 5
    state.update(changes)
    target = trained(optim.get(name, **options))
    before = optimizer_snapshot(target.optimizer)
    with pytest.raises((ValueError, TypeError)):
        target.optimizer.load_state_dict(state)
    assert optimizer_snapshot(target.optimizer) == before


def test_the_optimizer_loader_accepts_what_its_constructor_accepts():
    source, target = trained("adam"), trained("adam")
    state = source.optimizer.state_dict()
    state.update(lr=np.array(0.25), beta1=np.float64(0.5), amsgrad=np.array(False))
    target.optimizer.load_state_dict(state)
    assert (target.optimizer.lr, target.optimizer.beta1) == (0.25, 0.5)


# ---------------------------------------------------------------------- schedules
@pytest.mark.parametrize("changes", [{"count": "x"}, {"count": -1}, {"step_size": 0},
                                     {"gamma": float("nan")}, {"last_lr": -1.0},
                                     {"interval": "batch"}, {"base_lr": "0.1"}],
                         ids=lambda c: next(iter(c)))
def test_a_bad_schedule_state_changes_nothing(changes):
    optimizer = optim.SGD(lr=0.1)
    schedule = schedules.StepDecay(optimizer, step_size=2, gamma=0.5)
    for _ in range(3):
        schedule.step()
    state = {**schedule.state_dict(), "count": 7, "interval": "step", **changes}
    before = snapshot(vars(schedule)), optimizer.lr
    with pytest.raises(ValueError):
        schedule.load_state_dict(state)
    assert (snapshot(vars(schedule)), optimizer.lr) == before


def test_a_bad_warmup_state_leaves_the_schedule_it_hands_over_to():
    optimizer = optim.SGD(lr=0.1)
    after = schedules.ExponentialDecay(optimizer, gamma=0.5)
    warmup = schedules.LinearWarmup(optimizer, warmup_steps=2, after=after)
    state = warmup.state_dict()
    state.update({"after.count": 4, "warmup_steps": -1})  # the nested part is fine, ours is not
    before = snapshot(vars(after)), snapshot({k: v for k, v in vars(warmup).items() if k != "after"})
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup.load_state_dict(state)
    assert (snapshot(vars(after)),
            snapshot({k: v for k, v in vars(warmup).items() if k != "after"})) == before


def test_plateau_schedule_checks_its_own_counters():
    schedule = schedules.ReduceLROnPlateau(optim.SGD(lr=0.1))
    state = schedule.state_dict()
    for bad in ({"wait": -1}, {"best": float("nan")}, {"cooldown_counter": 1.5}):
        with pytest.raises(ValueError):
            schedule.load_state_dict({**state, **bad})
    schedule.load_state_dict({**state, "best": 0.5, "wait": 2})
    assert (schedule.best, schedule.wait) == (0.5, 2)


# ---------------------------------------------------------------------- failed steps
@pytest.mark.parametrize("bad_grad", ["complex", "string", "shape"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_failed_step_changes_no_parameter_and_no_state(name, bad_grad):
    net = trained(name)
    optimizer = net.optimizer
    params = optimizer.params
    for p in params:
        p.grad = np.ones_like(p.data)
    last = params[-1]
    last.grad = {"complex": np.ones(last.shape, complex), "string": np.full(last.shape, "a"),
                 "shape": np.ones((7,), np.float32)}[bad_grad]
    before = snapshot([p.data for p in params]), optimizer_snapshot(optimizer)
    with pytest.raises((TypeError, ValueError), match=rf"{type(optimizer).__name__}\.step"):
        optimizer.step()
    assert (snapshot([p.data for p in params]), optimizer_snapshot(optimizer)) == before


def test_a_float64_gradient_still_updates_a_float32_parameter():
    w = Tensor(np.ones(3, np.float32), requires_grad=True)
    w.grad = np.ones(3, np.float64)
    optim.SGD([w], lr=0.5).step()
    np.testing.assert_array_equal(w.data, np.full(3, 0.5, np.float32))


# ---------------------------------------------------------------------- failed saves
@pytest.mark.parametrize("how", ["save", "save_weights"])
def test_a_failed_save_changes_neither_the_model_nor_the_file(tmp_path, monkeypatch, how):
    net = trained("rmsprop")
    path = tmp_path / "model.npz"
    net.save(path)
    on_disk = path.read_bytes()
    before = snapshot(net.state_dict()), optimizer_snapshot(net.optimizer)

    def broken_savez(file, **entries):
        file.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        getattr(net, how)(path)
    assert path.read_bytes() == on_disk
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]
    assert (snapshot(net.state_dict()), optimizer_snapshot(net.optimizer)) == before


@pytest.mark.parametrize("label,bad", [("NaN", np.array([np.nan, 0.0])),
                                       ("strings", np.array(["a", "b"])),
                                       ("booleans", np.array([True, False])),
                                       ("complex", np.array([1j, 0j]))])
def test_set_weights_checks_every_array_before_writing_any(label, bad):
    net = model()
    weights = [w + 1 for w in net.get_weights()]
    weights[-1] = bad  # 2.bias, after every other array (which are fine)
    before = snapshot(net.state_dict())
    with pytest.raises((ValueError, TypeError), match="2.bias needs finite numbers"):
        net.set_weights(weights)
    assert snapshot(net.state_dict()) == before
