"""Flat buffers give bitwise the per-parameter updates: every optimizer and option, against a
per-parameter reference written here with Python floats (the update of each optimizer as it was
before the buffers), over many steps with skipped gradients, changing learning rates and two
dtypes; and the buffers' bookkeeping (views, moved arrays, graphs that saw a parameter)."""
import math

import numpy as np
import pytest

from autograd import Tensor
from nn import optim
from nn.optim import layout

# --- the per-parameter reference ------------------------------------------------------------


def reference_update(optimizer, state, w, g, lr, t):
    """One parameter's in-place update, scalars as Python floats, operations in the same order
    as the optimizers' (``state`` holds its arrays and a scratch array ``s``)."""
    s = state["s"]
    if isinstance(optimizer, optim.SGD):
        if optimizer.momentum == 0.0:
            np.multiply(g, lr, out=s)
        else:
            v = state["momentum"]
            v *= optimizer.momentum
            v += g
            if optimizer.nesterov:
                np.multiply(v, optimizer.momentum, out=s)
                s += g
                s *= lr
            else:
                np.multiply(v, lr, out=s)
        w -= s
    elif isinstance(optimizer, optim.RMSprop):
        rho, eps, inside = optimizer.rho, optimizer.eps, optimizer.eps_inside_sqrt
        root = math.sqrt(1.0 - rho)
        np.multiply(g, g, out=s)
        state["sq_sum"] *= rho
        state["sq_sum"] += s
        if optimizer.centered:
            state["grad_sum"] *= rho
            state["grad_sum"] += g
            np.multiply(state["grad_sum"], state["grad_sum"], out=s)
            s *= 1.0 - rho
            np.subtract(state["sq_sum"], s, out=s)
            np.maximum(s, 0.0, out=s)
            if inside:
                s += eps / (1.0 - rho)
            np.sqrt(s, out=s)
        elif inside:
            np.add(state["sq_sum"], eps / (1.0 - rho), out=s)
            np.sqrt(s, out=s)
        else:
            np.sqrt(state["sq_sum"], out=s)
        if not inside:
            s += eps / root
        np.divide(g, s, out=s)
        s *= lr / root
        if optimizer.momentum:
            state["momentum"] *= optimizer.momentum
            state["momentum"] += s
            w -= state["momentum"]
        else:
            w -= s
    elif isinstance(optimizer, optim.Adam):
        beta1, beta2 = optimizer.beta1, optimizer.beta2
        if isinstance(optimizer, optim.AdamW) and optimizer.weight_decay:
            w *= 1.0 - lr * optimizer.weight_decay
        state["grad_sum"] *= beta1
        state["grad_sum"] += g
        np.multiply(g, g, out=s)
        state["sq_sum"] *= beta2
        state["sq_sum"] += s
        sq_sum = state["sq_sum"]
        if optimizer.amsgrad:
            sq_sum = np.maximum(state["max_sq_sum"], sq_sum, out=state["max_sq_sum"])
        c1 = (1.0 - beta1) / (1.0 - beta1 ** t)
        root_c2 = math.sqrt((1.0 - beta2) / (1.0 - beta2 ** t))
        np.sqrt(sq_sum, out=s)
        s += optimizer.eps / root_c2
        np.divide(state["grad_sum"], s, out=s)
        s *= lr * c1 / root_c2
        w -= s
    else:
        np.multiply(g, g, out=s)
        state["sq_sum"] += s
        np.sqrt(state["sq_sum"], out=s)
        s += optimizer.eps
        np.divide(g, s, out=s)
        s *= lr
        w -= s


def reference_gradients(optimizer, weights, grads, dtypes):
    """The gradients after clipping and L2 weight decay, parameter by parameter. The global
    norm adds, in float64, each dtype's sum of the per-parameter sums of squares."""
    if optimizer.global_clipnorm is not None:
        total = 0.0
        for dtype in dtypes:
            squares = np.array([float(np.dot(g.ravel(), g.ravel())) if g is not None else 0.0
                                for w, g in zip(weights, grads) if w.dtype == dtype])
            total += float(np.add.reduce(squares))
        scale = optimizer.global_clipnorm / max(math.sqrt(total), optimizer.global_clipnorm)
    result = []
    for w, g in zip(weights, grads):
        if g is not None:
            if optimizer.clipvalue is not None:
                g = np.clip(g, -optimizer.clipvalue, optimizer.clipvalue)
            elif optimizer.clipnorm is not None:
                norm = math.sqrt(float(np.dot(g.ravel(), g.ravel())))
                if norm > optimizer.clipnorm:
                    g = g * (optimizer.clipnorm / norm)
            elif optimizer.global_clipnorm is not None and scale < 1.0:
                g = g * scale
            if optimizer.weight_decay and not isinstance(optimizer, optim.AdamW):
                g = g + w * optimizer.weight_decay
        result.append(g)
    return result


CONFIGS = [
    (optim.SGD, {"lr": 0.1}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.9}),
    (optim.SGD, {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}),
    (optim.RMSprop, {}),
    (optim.RMSprop, {"eps_inside_sqrt": True, "weight_decay": 0.05}),
    (optim.RMSprop, {"centered": True, "eps": 1e-3}),
    (optim.RMSprop, {"centered": True, "eps_inside_sqrt": True, "momentum": 0.7}),
    (optim.RMSprop, {"momentum": 0.9, "clipvalue": 0.4}),
    (optim.Adam, {"lr": 0.01}),
    (optim.Adam, {"amsgrad": True, "beta2": 0.5, "weight_decay": 0.1}),
    (optim.Adam, {"clipnorm": 0.3}),
    (optim.AdamW, {"weight_decay": 0.1, "global_clipnorm": 0.5}),
    (optim.AdamW, {"amsgrad": True, "clipvalue": 0.2}),
    (optim.Adagrad, {"weight_decay": 0.01}),
    (optim.Adagrad, {"initial_accumulator_value": 0.0, "global_clipnorm": 2.0}),
    (optim.SGD, {"lr": 0.1, "clipnorm": 0.5, "weight_decay": 0.1}),
]

# small and large parameters (GATHER_LIMIT is 8192), two dtypes
SHAPES = [((100, 90), np.float32), ((64,), np.float32), ((3, 5, 4), np.float32),
          ((8, 8), np.float64), ((9,), np.float32), ((8500,), np.float64), ((1,), np.float32)]
STEPS = 30


def config_id(config):
    cls, options = config
    return cls.__name__ + "".join(f"-{key}={value}" for key, value in options.items())


def initial_weights():
    rng = np.random.default_rng(5)
    return [rng.standard_normal(shape).astype(dtype) for shape, dtype in SHAPES]


def gradients(step):
    """Step ``step``'s gradients: some are None (those parameters skip the step), some steps
    are large (so clipping clips)."""
    rng = np.random.default_rng(100 + step)
    scale = 5.0 if step % 4 == 0 else 0.05
    grads = [(rng.standard_normal(shape) * scale).astype(dtype) for shape, dtype in SHAPES]
    if step % 5 == 2:
        grads[1] = None  # a small parameter skips: the others are updated one by one
    if step % 7 == 3:
        grads[0] = grads[5] = None  # large ones skip
    return grads


def learning_rate(step):
    return 0.05 * 0.97 ** step


def run_optimizer(config, monkeypatch, gather_limit=None):
    """The weights after each step of the optimizer (with the layout ``gather_limit`` gives)."""
    if gather_limit is not None:
        monkeypatch.setattr(layout, "GATHER_LIMIT", gather_limit)
    cls, options = config
    params = [Tensor(w, requires_grad=True) for w in initial_weights()]
    optimizer = cls(params, **options)
    path = []
    for step in range(STEPS):
        for param, grad in zip(params, gradients(step)):
            param.grad = grad
        optimizer.lr = learning_rate(step)
        optimizer.step()
        path.append([p.data.copy() for p in params])
    return path, optimizer


def run_reference(config):
    cls, options = config
    optimizer = cls(**options)  # its settings, and the kind of update
    weights = initial_weights()
    states = []
    for w in weights:
        state = {name: optimizer._initial_state(name, w.shape, w.dtype)
                 for name in optimizer._state_names()}
        state["s"] = np.empty_like(w)
        states.append(state)
    steps = [0] * len(weights)
    dtypes = list(dict.fromkeys(w.dtype for w in weights))
    path = []
    for step in range(STEPS):
        grads = reference_gradients(optimizer, weights, gradients(step), dtypes)
        for index, (w, g, state) in enumerate(zip(weights, grads, states)):
            if g is not None:
                steps[index] += 1
                reference_update(optimizer, state, w, g, learning_rate(step), steps[index])
        path.append([w.copy() for w in weights])
    return path


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_every_layout_gives_the_reference_updates_bitwise(config, monkeypatch):
    expected = run_reference(config)
    for gather_limit in (0, None, 10 ** 9):  # one by one, the default, all in the buffers
        path, _ = run_optimizer(config, monkeypatch, gather_limit)
        for step, (ours, theirs) in enumerate(zip(path, expected)):
            for index, (a, b) in enumerate(zip(ours, theirs)):
                assert a.dtype == b.dtype
                assert np.array_equal(a, b), (
                    f"gather_limit={gather_limit}, step {step}, parameter {index}: max "
                    f"difference {np.max(np.abs(a.astype(float) - b))}")


def test_step_counts_and_state_dict_follow_skipped_gradients(monkeypatch):
    _, optimizer = run_optimizer((optim.Adam, {}), monkeypatch)
    state = optimizer.state_dict()
    assert state["iterations"] == optimizer.iterations == STEPS
    skipped = {1: sum(step % 5 == 2 for step in range(STEPS)),
               0: sum(step % 7 == 3 for step in range(STEPS))}
    for index in range(len(SHAPES)):
        expected = STEPS - skipped.get(index, 0) - (skipped[0] if index == 5 else 0)
        assert state[f"state.{index}.step"] == optimizer._slots[index].step == expected


# --- the buffers ----------------------------------------------------------------------------


def make_params():
    rng = np.random.default_rng(0)
    return [Tensor(rng.standard_normal(shape).astype(np.float32), requires_grad=True)
            for shape in [(100, 90), (60,), (10, 6), (6,)]]


def test_small_parameters_and_their_state_are_views_of_one_buffer():
    params = make_params()
    before = [p.data.copy() for p in params]
    optimizer = optim.Adam(params)
    group = optimizer._groups[0]
    assert [slot.param for slot in group.small] == params[1:]  # 100 * 90 is large
    for param, values in zip(params, before):
        np.testing.assert_array_equal(param.data, values)  # values kept
    for slot in group.small:
        assert slot.param.data.base is group.params
        assert slot.state["sq_sum"].base is group.state["sq_sum"]
        assert slot.grad_buffer.base is group.grads
    large = optimizer._slots[0]
    assert large.view is None and large.state["sq_sum"].base is None
    assert group.params.size == 60 + 60 + 6


def test_a_replaced_array_is_used_then_moved_back_into_the_buffer(monkeypatch):
    params = make_params()
    twin = [Tensor(p.data.copy(), requires_grad=True) for p in params]
    optimizer = optim.SGD(params, lr=0.1, momentum=0.9)
    monkeypatch.setattr(layout, "GATHER_LIMIT", 0)
    reference = optim.SGD(twin, lr=0.1, momentum=0.9)  # every parameter on its own
    replaced = params[1].data.copy()
    params[1].data = replaced  # the user swaps in an array of their own
    for seed in range(3):
        rng = np.random.default_rng(seed)
        for p, q in zip(params, twin):
            p.grad = q.grad = rng.standard_normal(p.data.shape).astype(np.float32)
        optimizer.step()
        reference.step()
    assert params[1].data.base is optimizer._groups[0].params  # moved back at the first step
    for p, q in zip(params, twin):
        np.testing.assert_array_equal(p.data, q.data)


def test_a_parameter_a_graph_holds_is_moved_once_the_graph_lets_go():
    params = make_params()
    loss = (params[1] * params[1]).sum()  # the graph holds params[1].data: read-only
    optimizer = optim.SGD(params, lr=0.1)
    slot = optimizer._slots[1]
    assert not slot.attached()
    loss.backward()  # frees the graph
    for p in params:
        if p.grad is None:
            p.grad = np.ones_like(p.data)
    before = params[1].data.copy()
    optimizer.step()
    assert slot.attached()
    np.testing.assert_allclose(params[1].data, before - 0.1 * 2 * before, rtol=1e-6)


def test_a_graph_recorded_before_a_flat_step_refuses_backward():
    params = make_params()
    optimizer = optim.RMSprop(params)
    for p in params:
        p.grad = np.ones_like(p.data)
    loss = (params[1] * 2.0).sum() + (params[3] * 3.0).sum()  # holds two small parameters
    optimizer.step()  # writes them through the flat buffer
    np.testing.assert_array_equal(params[1].data.flags.writeable, False)  # still held
    with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
        loss.backward()


def test_parameters_of_other_dtypes_get_groups_of_their_own():
    params = [Tensor(np.ones(3, np.float32), requires_grad=True),
              Tensor(np.ones(3, np.float64), requires_grad=True),
              Tensor(np.ones(2, np.float32), requires_grad=True)]
    optimizer = optim.SGD(params, lr=0.5)
    assert [group.dtype for group in optimizer._groups] == [np.float32, np.float64]
    assert optimizer.params == params
    for p in params:
        p.grad = np.ones_like(p.data)
    optimizer.step()
    for p in params:
        np.testing.assert_array_equal(p.data, 0.5)
        assert p.data.dtype == p.grad.dtype


def test_parameters_added_later_form_a_new_group_and_leave_the_first_in_place():
    first, second = make_params()[:2], make_params()[2:]
    optimizer = optim.SGD(first, lr=0.1)
    buffer = optimizer._groups[0].params
    optimizer.add_params(second)
    assert optimizer._groups[0].params is buffer and len(optimizer._groups) == 2
    assert optimizer.params == first + second
