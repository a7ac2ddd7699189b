"""Optimizers against their published update formulas, written out here in plain numpy."""
import math

import numpy as np
import pytest

from autograd import Tensor
from nn import optim

W0 = np.array([[0.5, -1.2, 2.0], [0.3, -0.7, 1.1]])
GRADS = [  # a fixed gradient for each of five steps; signs and sizes vary on purpose
    np.array([[0.1, -0.4, 1.5], [-2.0, 0.05, 0.3]]),
    np.array([[-0.3, -0.2, 1.0], [1.5, 0.01, -0.6]]),
    np.array([[0.7, 0.6, -0.2], [-0.5, 0.02, 0.9]]),
    np.array([[0.2, -0.9, 0.4], [0.8, -0.03, -1.1]]),
    np.array([[-1.1, 0.3, 0.6], [0.1, 0.04, 0.2]]),
]

# --- the formulas, step by step, in float64 ------------------------------------------------


def reference_sgd(lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
    w, v, path = W0.copy(), np.zeros_like(W0), []
    for g in GRADS:
        g = g + weight_decay * w
        if momentum:
            v = momentum * v + g
            w = w - lr * (g + momentum * v if nesterov else v)
        else:
            w = w - lr * g
        path.append(w)
    return path


def reference_rmsprop(lr=1e-3, rho=0.9, eps=1e-7, momentum=0.0, centered=False,
                      weight_decay=0.0, eps_inside_sqrt=False):
    """PyTorch's update; with eps_inside_sqrt, Keras 3's (RMSprop.update_step)."""
    w, v, mg, buf, path = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0), []
    for g in GRADS:
        g = g + weight_decay * w
        v = rho * v + (1 - rho) * g ** 2
        if centered:
            mg = rho * mg + (1 - rho) * g
            variance = v - mg ** 2
        else:
            variance = v
        if eps_inside_sqrt:
            denominator = np.sqrt(variance + eps)
        else:
            denominator = np.sqrt(variance) + eps
        increment = lr * g / denominator
        if momentum:
            buf = momentum * buf + increment
            w = w - buf
        else:
            w = w - increment
        path.append(w)
    return path


def reference_adam(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7, amsgrad=False, weight_decay=0.0,
                   decoupled=False):
    w, m, v, v_max, path = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0), []
    for t, g in enumerate(GRADS, start=1):
        if decoupled:
            w = w - lr * weight_decay * w
        else:
            g = g + weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g ** 2
        m_hat = m / (1 - beta1 ** t)
        if amsgrad:
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        path.append(w)
    return path


def reference_adagrad(lr=0.01, initial_accumulator_value=0.1, eps=1e-7, weight_decay=0.0):
    w, acc, path = W0.copy(), np.full_like(W0, initial_accumulator_value), []
    for g in GRADS:
        g = g + weight_decay * w
        acc = acc + g ** 2
        w = w - lr * g / (np.sqrt(acc) + eps)
        path.append(w)
    return path


CASES = [
    (optim.SGD, reference_sgd, {}),
    (optim.SGD, reference_sgd, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, reference_sgd, {"lr": 0.1, "momentum": 0.8, "nesterov": True}),
    (optim.SGD, reference_sgd, {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}),
    (optim.RMSprop, reference_rmsprop, {}),
    (optim.RMSprop, reference_rmsprop, {"lr": 0.01, "rho": 0.8, "eps": 1e-3}),
    (optim.RMSprop, reference_rmsprop, {"momentum": 0.9}),
    (optim.RMSprop, reference_rmsprop, {"centered": True}),
    (optim.RMSprop, reference_rmsprop, {"centered": True, "momentum": 0.7, "lr": 0.01}),
    (optim.RMSprop, reference_rmsprop, {"weight_decay": 0.05}),
    (optim.RMSprop, reference_rmsprop, {"eps_inside_sqrt": True}),
    (optim.RMSprop, reference_rmsprop, {"eps_inside_sqrt": True, "lr": 0.01, "rho": 0.8,
                                        "eps": 1e-3}),
    (optim.RMSprop, reference_rmsprop, {"eps_inside_sqrt": True, "centered": True,
                                        "momentum": 0.7, "lr": 0.01, "eps": 1e-3}),
    (optim.Adam, reference_adam, {}),
    (optim.Adam, reference_adam, {"lr": 0.05, "beta1": 0.5, "beta2": 0.9, "eps": 1e-3}),
    (optim.Adam, reference_adam, {"amsgrad": True, "lr": 0.01}),
    (optim.Adam, reference_adam, {"amsgrad": True, "lr": 0.01, "beta2": 0.5}),  # v shrinks
    (optim.Adam, reference_adam, {"weight_decay": 0.1, "lr": 0.01}),
    (optim.Adagrad, reference_adagrad, {}),
    (optim.Adagrad, reference_adagrad, {"initial_accumulator_value": 0.0, "eps": 1e-2}),
    (optim.Adagrad, reference_adagrad, {"weight_decay": 0.2, "lr": 0.1}),
]


def case_id(case):
    cls, _, options = case
    return cls.__name__ + "".join(f"-{key}={value}" for key, value in options.items())


def run_steps(optimizer_class, options, dtype, steps=len(GRADS)):
    param = Tensor(W0.astype(dtype), requires_grad=True)
    optimizer = optimizer_class([param], **options)
    path = []
    for g in GRADS[:steps]:
        param.grad = g.astype(dtype)
        optimizer.step()
        path.append(param.data.copy())
    return path


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_formula_float64(case):
    optimizer_class, reference, options = case
    for ours, expected in zip(run_steps(optimizer_class, options, np.float64),
                              reference(**options)):
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_matches_formula_float32(case):
    optimizer_class, reference, options = case
    path = run_steps(optimizer_class, options, np.float32)
    assert all(step.dtype == np.float32 for step in path)
    for ours, expected in zip(path, reference(**options)):
        np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"amsgrad": True, "beta2": 0.5},
                                     {"weight_decay": 0.3, "lr": 0.05}])
def test_adamw_decouples_weight_decay(options):
    for ours, expected in zip(run_steps(optimizer_class := optim.AdamW, options, np.float64),
                              reference_adam(decoupled=True, **{"weight_decay": 0.01, **options})):
        np.testing.assert_allclose(ours, expected, rtol=1e-12, atol=1e-12)
    assert optimizer_class().weight_decay == 0.01


def test_adamw_differs_from_adam_with_l2():
    decoupled = run_steps(optim.AdamW, {"weight_decay": 0.5, "lr": 0.1}, np.float64)[-1]
    coupled = run_steps(optim.Adam, {"weight_decay": 0.5, "lr": 0.1}, np.float64)[-1]
    assert np.max(np.abs(decoupled - coupled)) > 1e-3


def test_tutorial_momentum_form_gives_the_same_trajectory():
    gamma, eta = 0.9, 0.05
    w, v = W0.copy(), np.zeros_like(W0)
    for ours, g in zip(run_steps(optim.SGD, {"lr": eta, "momentum": gamma}, np.float64), GRADS):
        v = gamma * v + eta * g
        w = w - v
        np.testing.assert_allclose(ours, w, rtol=1e-12, atol=1e-12)


def test_amsgrad_keeps_the_largest_second_moment():
    plain = run_steps(optim.Adam, {"beta2": 0.5, "lr": 0.01}, np.float64)[-1]
    amsgrad = run_steps(optim.Adam, {"beta2": 0.5, "lr": 0.01, "amsgrad": True}, np.float64)[-1]
    assert np.max(np.abs(plain - amsgrad)) > 1e-4


def test_centered_rmsprop_stays_finite_for_a_constant_gradient():
    # v - mg**2 is a variance, zero for a constant gradient; rounding makes it slightly negative
    param = Tensor(np.zeros(1000, np.float32), requires_grad=True)
    optimizer = optim.RMSprop([param], centered=True)
    grad = np.linspace(0.001, 3.0, 1000, dtype=np.float32)
    for _ in range(200):  # (1 - rho) * rho**t * g**2 falls below rounding after ~130 steps
        param.grad = grad
        optimizer.step()
    assert np.all(np.isfinite(param.data)) and np.all(param.data < 0)


def test_rmsprop_defaults_are_keras():
    optimizer = optim.RMSprop()
    assert (optimizer.lr, optimizer.rho, optimizer.eps) == (1e-3, 0.9, 1e-7)
    assert optim.Adam().eps == 1e-7 and optim.Adagrad().initial_accumulator_value == 0.1


def test_changing_lr_between_steps_is_used():
    param = Tensor(W0.copy(), requires_grad=True)
    optimizer = optim.SGD([param], lr=0.1)
    param.grad = GRADS[0]
    optimizer.step()
    optimizer.lr = 0.01
    param.grad = GRADS[1]
    optimizer.step()
    np.testing.assert_allclose(param.data, W0 - 0.1 * GRADS[0] - 0.01 * GRADS[1], rtol=1e-12)


# --- bookkeeping ----------------------------------------------------------------------------


def make_params(dtype=np.float32):
    rng = np.random.default_rng(3)
    return [Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
            for shape in [(4, 3), (3,), (2, 2, 2)]]


def set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for param in params:
        param.grad = rng.standard_normal(param.data.shape).astype(param.data.dtype)


ALL_CONFIGS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    (optim.RMSprop, {"momentum": 0.5, "centered": True}),
    (optim.RMSprop, {"global_clipnorm": 0.5, "weight_decay": 0.01}),
    (optim.Adam, {"amsgrad": True}),
    (optim.Adam, {"clipvalue": 0.3}),
    (optim.AdamW, {"weight_decay": 0.1, "clipnorm": 0.2}),
    (optim.Adagrad, {"weight_decay": 0.01}),
]


def config_id(config):
    return case_id((config[0], None, config[1]))


def test_params_without_grad_are_skipped():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    before = [p.data.copy() for p in params]
    set_grads(params, 0)
    params[1].grad = None
    optimizer.step()
    assert not np.array_equal(params[0].data, before[0])
    np.testing.assert_array_equal(params[1].data, before[1])
    # the skipped parameter's first real step is its step 1: the bias-corrected first update of
    # Adam moves every coordinate by about lr
    params[1].grad = np.full(3, 0.25, np.float32)
    held = params[1].data.copy()
    optimizer.step()
    np.testing.assert_allclose(held - params[1].data, 0.1, rtol=1e-5)
    state = optimizer.state_dict()
    assert (state["state.0.step"], state["state.1.step"]) == (2, 1)
    assert state["iterations"] == 2


def test_zero_grad_sets_none():
    params = make_params()
    optimizer = optim.SGD(params)
    set_grads(params, 0)
    optimizer.zero_grad()
    assert all(p.grad is None for p in params)
    optimizer.step()  # nothing to do, no error


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=config_id)
def test_gradients_are_never_written(config):
    optimizer_class, options = config
    params = make_params()
    shared = np.random.default_rng(0).standard_normal((3,)).astype(np.float32)
    extra = Tensor(np.ones(3, np.float32), requires_grad=True)
    optimizer = optimizer_class(params + [extra], **options)
    set_grads(params, 1)
    params[1].grad = extra.grad = shared  # one array handed to two tensors
    grads = [p.grad for p in params]
    copies = [g.copy() for g in grads]
    for _ in range(3):
        optimizer.step()
    for grad, copy in zip(grads, copies):
        np.testing.assert_array_equal(grad, copy)


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=config_id)
def test_state_is_preallocated_in_the_parameter_dtype(config):
    optimizer_class, options = config
    params = make_params()
    optimizer = optimizer_class(params, **options)
    arrays = {key: value for key, value in optimizer.state_dict().items()
              if isinstance(value, np.ndarray)}
    assert all(array.dtype == np.float32 for array in arrays.values())
    held = [dict(slot.state) for slot in optimizer._slots]
    set_grads(params, 2)
    optimizer.step()
    for slot, before in zip(optimizer._slots, held):
        assert all(slot.state[name] is array for name, array in before.items())


@pytest.mark.parametrize("config", ALL_CONFIGS, ids=config_id)
def test_state_dict_round_trip_through_npz_resumes_exactly(config, tmp_path):
    optimizer_class, options = config
    uninterrupted = make_params()
    optimizer = optimizer_class(uninterrupted, **options)
    for seed in range(6):
        set_grads(uninterrupted, seed)
        optimizer.step()

    first_half = make_params()
    optimizer = optimizer_class(first_half, **options)
    for seed in range(3):
        set_grads(first_half, seed)
        optimizer.step()
    state = optimizer.state_dict()
    assert all(isinstance(value, (np.ndarray, int, float, str)) for value in state.values())
    path = tmp_path / "optimizer.npz"
    np.savez(path, **state)
    with np.load(path, allow_pickle=False) as saved:
        loaded = dict(saved)

    resumed = [Tensor(p.data.copy(), requires_grad=True) for p in first_half]
    fresh = optimizer_class(resumed, **{**options, "lr": 0.5})  # lr comes back from the state
    fresh.load_state_dict(loaded)
    assert fresh.lr == optimizer.lr
    for seed in range(3, 6):
        set_grads(resumed, seed)
        fresh.step()
    for ours, expected in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(ours.data, expected.data)


def test_state_dict_copies_the_state():
    params = make_params()
    optimizer = optim.RMSprop(params)
    state = optimizer.state_dict()
    set_grads(params, 0)
    optimizer.step()
    assert not np.any(state["state.0.sq_sum"])


def test_load_state_dict_rejects_a_state_that_does_not_fit():
    params = make_params()
    state = optim.RMSprop(params, momentum=0.9).state_dict()
    with pytest.raises(ValueError, match="'rmsprop', not 'adam'"):
        optim.Adam(params).load_state_dict(state)
    with pytest.raises(ValueError, match="3 parameters, this optimizer has 2"):
        optim.RMSprop(params[:2], momentum=0.9).load_state_dict(state)
    with pytest.raises(ValueError, match="unexpected: state.0.momentum"):
        optim.RMSprop(params).load_state_dict(state)
    other = [Tensor(np.zeros((3, 4), np.float32), requires_grad=True)] + params[1:]
    target = optim.RMSprop(other, momentum=0.9)
    with pytest.raises(ValueError, match=r"shape mismatch: state.0.sq_sum \(4, 3\) vs \(3, 4\)"):
        target.load_state_dict(state)
    assert target.momentum == 0.9 and not np.any(target._slots[1].state["sq_sum"])


@pytest.mark.parametrize("optimizer_class, lr", [(optim.SGD, 0.04), (optim.RMSprop, 0.05),
                                                 (optim.Adam, 0.05), (optim.AdamW, 0.05),
                                                 (optim.Adagrad, 0.5)])
def test_reduces_a_quadratic(optimizer_class, lr):
    # f(w) = sum(a * (w - c)^2) with condition number 10, gradients from the engine
    a = Tensor(np.array([1.0, 3.0, 10.0], np.float32))
    c = Tensor(np.array([1.0, -2.0, 0.5], np.float32))
    w = Tensor(np.zeros(3, np.float32), requires_grad=True)
    optimizer = optimizer_class([w], lr=lr)

    def loss():
        return (a * (w - c) ** 2).sum()

    start = float(loss().data)
    for _ in range(200):
        optimizer.zero_grad()
        value = loss()
        value.backward()
        optimizer.step()
    assert float(loss().data) < 1e-3 * start


# --- clipping options -----------------------------------------------------------------------


def sgd_step_with(options, grads):
    params = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    for param, grad in zip(params, grads):
        param.grad = grad
    optim.SGD(params, lr=1.0, **options).step()
    return [-p.data for p in params]  # with lr=1 and w=0 the update is minus the gradient used


CLIP_GRADS = [np.array([3.0, 4.0]), np.array([0.1, -0.2, 0.2]), np.array([[-12.0]])]


def test_clipnorm_clips_each_gradient_on_its_own():
    used = sgd_step_with({"clipnorm": 1.0}, CLIP_GRADS)
    np.testing.assert_allclose(used[0], [0.6, 0.8], rtol=1e-12)
    np.testing.assert_allclose(used[1], CLIP_GRADS[1], rtol=1e-12)  # norm 0.3: untouched
    np.testing.assert_allclose(used[2], [[-1.0]], rtol=1e-12)


def test_global_clipnorm_scales_all_gradients_together():
    norm = math.sqrt(25 + 0.09 + 144)
    used = sgd_step_with({"global_clipnorm": 2.0}, CLIP_GRADS)
    for ours, grad in zip(used, CLIP_GRADS):
        np.testing.assert_allclose(ours, grad * 2.0 / norm, rtol=1e-12)
    used = sgd_step_with({"global_clipnorm": 100.0}, CLIP_GRADS)
    for ours, grad in zip(used, CLIP_GRADS):
        np.testing.assert_allclose(ours, grad, rtol=1e-12)


def test_clipvalue_clamps_entries_then_weight_decay_is_added():
    used = sgd_step_with({"clipvalue": 0.15}, CLIP_GRADS)
    np.testing.assert_allclose(used[0], [0.15, 0.15])
    np.testing.assert_allclose(used[1], [0.1, -0.15, 0.15])
    param = Tensor(np.array([2.0, -1.0]), requires_grad=True)
    param.grad = np.array([5.0, -0.1])
    optim.SGD([param], lr=1.0, clipvalue=0.5, weight_decay=0.1).step()
    np.testing.assert_allclose(param.data, [2.0 - (0.5 + 0.2), -1.0 - (-0.1 - 0.1)], rtol=1e-12)


def test_only_one_clipping_option():
    with pytest.raises(ValueError, match="at most one of clipnorm, clipvalue and global_clipnorm"):
        optim.Adam(clipnorm=1.0, clipvalue=1.0)


# --- construction and get() -----------------------------------------------------------------


def test_params_can_be_added_later():
    optimizer = optim.RMSprop(lr=0.01)
    assert optimizer.params == []
    optimizer.step()  # no parameters: nothing happens
    params = make_params()
    optimizer.add_params(params)
    optimizer.add_params(params[:1])  # already there: ignored
    assert optimizer.params == params
    set_grads(params, 0)
    before = params[0].data.copy()
    optimizer.step()
    assert not np.array_equal(before, params[0].data)


def test_a_module_like_object_gives_its_parameters():
    params = make_params()

    class Holder:
        def parameters(self):
            return iter(params)

    assert optim.SGD(Holder()).params == params
    assert optim.SGD(params[0]).params == params[:1]
    assert optim.SGD(params + params).params == params


@pytest.mark.parametrize("name, cls", [("sgd", optim.SGD), ("RMSprop", optim.RMSprop),
                                       ("adam", optim.Adam), ("AdamW", optim.AdamW),
                                       ("adagrad", optim.Adagrad)])
def test_get_by_name(name, cls):
    optimizer = optim.get(name, lr=0.123)
    assert type(optimizer) is cls and optimizer.lr == 0.123
    rebuilt = optim.get(optimizer.get_config())
    assert type(rebuilt) is cls and rebuilt.get_config() == optimizer.get_config()


def test_get_keras_keywords_and_params():
    params = make_params()
    optimizer = optim.get("adam", params=params, learning_rate=0.01, beta_1=0.8, beta_2=0.99,
                          epsilon=1e-6)
    assert (optimizer.lr, optimizer.beta1, optimizer.beta2, optimizer.eps) == (0.01, 0.8, 0.99,
                                                                               1e-6)
    assert optimizer.params == params
    assert optim.RMSprop(learning_rate=0.5).learning_rate == 0.5
    with pytest.raises(ValueError, match="lr or learning_rate"):
        optim.RMSprop(lr=0.1, learning_rate=0.5)


def test_get_passes_an_optimizer_through():
    optimizer = optim.SGD(lr=0.3)
    assert optim.get(optimizer) is optimizer
    assert type(optim.get(optim.Adagrad, lr=0.2)) is optim.Adagrad
    with pytest.raises(ValueError, match="keyword arguments"):
        optim.get(optimizer, lr=0.1)
    with pytest.raises(ValueError, match="unknown optimizer 'adamax'"):
        optim.get("adamax")


@pytest.mark.parametrize("make, message", [
    (lambda: optim.SGD(lr=-1.0), "SGD: lr must be a finite number >= 0"),
    (lambda: optim.SGD(momentum=1.0), r"SGD: momentum must be in \[0, 1\)"),
    (lambda: optim.SGD(nesterov=True), "SGD: nesterov=True needs momentum > 0"),
    (lambda: optim.RMSprop(rho=1.5), r"RMSprop: rho must be in \[0, 1\)"),
    (lambda: optim.RMSprop(eps=0.0), "RMSprop: eps must be a finite number > 0"),
    (lambda: optim.Adam(beta2=1.0), r"Adam: beta2 must be in \[0, 1\)"),
    (lambda: optim.Adagrad(weight_decay=-0.1), "Adagrad: weight_decay must be"),
    (lambda: optim.Adam(clipnorm=0.0), "Adam: clipnorm must be > 0"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_params():
    with pytest.raises(TypeError, match="floating-point"):
        optim.SGD([Tensor(np.arange(3))])
    with pytest.raises(TypeError, match="item 0 is a ndarray"):
        optim.SGD([np.zeros(3)])
    param = Tensor(np.zeros((2, 3), np.float32), requires_grad=True)
    optimizer = optim.SGD([param])
    param.grad = np.zeros(3, np.float32)  # would broadcast silently
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*gradient of shape \(3,\)"):
        optimizer.step()
