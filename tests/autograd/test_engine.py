"""The backward engine shared by ``Value`` and ``Tensor``: deep graphs without recursion,
PyTorch's accumulation semantics, released graphs, memory reclaimed by reference counting alone,
``no_grad``/``enable_grad``/``detach``, hooks and ``retain_grad``, and ``detect_anomaly``."""
import gc
import math
import os
import weakref

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value


def all_nodes(*roots):
    """Every graph object reachable from ``roots`` through the operands."""
    seen, stack = {}, list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, ag.Node) and id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.inputs)
    return list(seen.values())


# --------------------------------------------------------------------------- deep graphs


def test_100k_op_chain_without_recursion_errors():
    n, factor = 100_000, 1 + 1e-6
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * factor
    y.backward()
    assert math.isclose(x.grad, factor ** n, rel_tol=1e-9)
    assert math.isclose(y.data, factor ** n, rel_tol=1e-9)


def test_deep_chain_of_mixed_ops_and_second_derivative():
    # y = x + n * 1e-4 * x**2 built by 20,000 updates y <- y + 1e-4 * x * x, one shared leaf
    n = 20_000
    x = Value(0.5)
    y = x
    for _ in range(n):
        y = y + 1e-4 * (x * x)
    (dydx,) = ag.gradients(y, [x], create_graph=True)
    assert math.isclose(dydx.data, 1 + n * 2e-4 * 0.5, rel_tol=1e-9)
    (d2,) = ag.gradients(dydx, [x])
    assert math.isclose(d2, n * 2e-4, rel_tol=1e-9)


def test_deep_tensor_chain():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001 ** 20_000] * 2, rtol=1e-9)


@pytest.mark.slow
def test_million_op_chain_forward_backward_and_release():
    n, factor = 1_000_000, 1 + 1e-7
    x = Value(1.0)
    y = x
    for _ in range(n):
        y = y * factor
    y.backward()
    assert math.isclose(x.grad, factor ** n, rel_tol=1e-8)
    probe = weakref.ref(y)
    del y  # freeing a million-deep chain must not overflow the C stack either
    assert probe() is None


# --------------------------------------------------------------------------- accumulation


def test_leaves_accumulate_across_backward_calls():
    x = Value(3.0)
    (x * x).backward()
    (x * 4).backward()
    assert x.grad == 6.0 + 4.0
    t = Tensor(np.array([1.0, -2.0]), requires_grad=True)
    (t * t).sum().backward()
    first = t.grad
    (t * 3).sum().backward()
    np.testing.assert_array_equal(t.grad, [2.0 + 3.0, -4.0 + 3.0])
    np.testing.assert_array_equal(first, [2.0, -4.0])  # the earlier array was not mutated


def test_interior_values_keep_no_grad_unless_retained():
    x = Value(2.0)
    h = x * 3
    kept = (x + 1).retain_grad()
    y = h * kept
    y.backward()
    assert h.grad is None
    assert kept.grad == h.data
    assert x.grad == 3 * kept.data + h.data
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    u = t * 2
    w = (t * 3).retain_grad()
    (u * w).sum().backward()
    assert u.grad is None
    np.testing.assert_array_equal(w.grad, u.data)


@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_retain_graph_twice_adds_the_same_gradient_again(kind):
    def make():
        if kind == "Value":
            x = Value(0.7)
        else:
            x = Tensor(np.array([0.7, -0.3]), requires_grad=True)
        a = x.tanh()
        b = (x * a).retain_grad()  # a diamond: x reaches b directly and through a
        y = (b * b + a).exp()
        return x, a, b, (y if kind == "Value" else y.sum())

    x, a, b, y = make()
    y.backward(retain_graph=True)
    first_x, first_b = np.copy(x.grad), np.copy(b.grad)
    data_before = [np.copy(n.data) for n in (a, b, y)]
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, 2 * first_x)
    np.testing.assert_array_equal(b.grad, 2 * first_b)
    assert a.grad is None
    for before, node in zip(data_before, (a, b, y)):
        np.testing.assert_array_equal(node.data, before)
    y.backward()  # the third pass (releasing) still sees an intact graph
    np.testing.assert_array_equal(x.grad, 3 * first_x)
    # and a fresh graph gives the same first gradient: nothing leaked between passes
    x2, _, b2, y2 = make()
    y2.backward()
    np.testing.assert_array_equal(x2.grad, first_x)
    np.testing.assert_array_equal(b2.grad, first_b)


def test_backward_from_a_new_root_on_a_retained_graph():
    x = Value(1.5)
    h = x.exp()
    y = h * h
    y.backward(retain_graph=True)
    x.zero_grad()
    (h + 1).backward()
    assert math.isclose(x.grad, math.exp(1.5))


@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_backward_through_a_released_graph(kind):
    x = Value(2.0) if kind == "Value" else Tensor(np.array([2.0]), requires_grad=True)
    h = x.exp()
    y = (h * 3).sum() if kind == "Tensor" else h * 3
    y.backward()
    assert h.released and not x.released
    with pytest.raises(ag.GraphReleasedError, match=r"second time.*'(multiply|sum)'.*retain_graph=True"):
        y.backward()
    with pytest.raises(ag.GraphReleasedError, match="retain_graph=True"):
        (h + 1).sum().backward() if kind == "Tensor" else (h + 1).backward()
    assert issubclass(ag.GraphReleasedError, RuntimeError)


def test_backward_on_a_non_scalar_tensor_needs_a_gradient():
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*pass grad="):
        (t * 2).backward()
    (t * 2).backward(np.ones((2, 3)))
    np.testing.assert_array_equal(t.grad, np.full((2, 3), 2.0))


def test_backward_on_something_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        Value(1.0, requires_grad=False).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        Tensor(np.ones(1)).backward()
    with ag.no_grad():
        y = Value(1.0) * 2
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_wrong_shape_gradient_seed():
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    y = t * 2
    with pytest.raises(ValueError, match=r"grad has shape \(3, 2\) but the output has shape \(2, 3\)"):
        y.backward(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"grad has shape \(6,\)"):
        y.backward(Tensor(np.ones(6)))


def test_single_element_tensor_and_value_roots_default_to_one():
    t = Tensor(np.array([[3.0]]), requires_grad=True)
    (t * t).backward()
    np.testing.assert_array_equal(t.grad, [[6.0]])
    assert t.grad.shape == (1, 1) and t.grad.dtype == t.dtype


def test_leaves_never_share_gradient_memory():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    b = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    (a + b).sum().backward()  # both receive the very same upstream array
    assert not np.shares_memory(a.grad, b.grad)
    a.grad[0] = 100.0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])


# --------------------------------------------------------------------------- memory


def _assert_reclaimed_by_refcount(build):
    """``build()`` returns (root, leaves); after backward and dropping every reference, every
    node of the graph must be gone without the cycle collector."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        root, leaves = build()
        refs = [weakref.ref(n) for n in all_nodes(root)]
        assert len(refs) > len(leaves)
        grads = [leaf.grad for leaf in leaves]
        assert all(g is not None for g in grads)
        del root, leaves, grads
        alive = [r() for r in refs if r() is not None]
        assert not alive, f"{len(alive)} of {len(refs)} nodes need the cycle collector: {alive[:3]}"
    finally:
        if was_enabled:
            gc.enable()


def test_value_graph_is_freed_by_reference_counting():
    def build():
        a, b = Value(0.3), Value(-1.2)
        h = (a * b).tanh().retain_grad()
        h.register_hook(lambda g: g * 1.0)
        y = Value.sum([h * a, Value.dot([a, b], [b, 2.0]), (a / b) ** 2, b.relu().exp()])
        y.backward(retain_graph=True)
        y.backward()
        return y, [a, b]
    _assert_reclaimed_by_refcount(build)


def test_tensor_graph_is_freed_by_reference_counting():
    def build():
        w = Tensor(np.ones((3, 2)) * 0.1, requires_grad=True)
        x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        h = (x @ w).tanh().retain_grad()
        h.register_hook(lambda g: g)
        y = (h * h).sum() + x[0].exp().mean() + (w ** 2).sum()
        y.backward()
        return y, [w, x]
    _assert_reclaimed_by_refcount(build)


def test_graph_recorded_under_anomaly_mode_is_freed_by_reference_counting():
    def build():
        with ag.detect_anomaly():
            a = Value(0.5)
            y = (a.exp() * a).sin()
            y.backward()
        return y, [a]
    _assert_reclaimed_by_refcount(build)


def test_functional_gradients_leave_no_cycles():
    def build():
        x = Tensor(np.array([0.5, 1.5]), requires_grad=True)
        y = (x ** 3).sum()
        (g,) = ag.gradients(y, [x])
        x.grad = g  # so that the check below sees a gradient
        return y, [x]
    _assert_reclaimed_by_refcount(build)


# --------------------------------------------------------------------------- grad mode


def test_no_grad_context_records_nothing():
    x = Value(2.0)
    t = Tensor(np.ones(2), requires_grad=True)
    with ag.no_grad():
        assert not ag.is_grad_enabled()
        y, u = x * x + 1, (t * 2).sum()
    assert ag.is_grad_enabled()
    for r in (y, u):
        assert not r.requires_grad and r.op is None and r.is_leaf and r.inputs == ()
    assert y.data == 5.0 and u.data == 4.0


def test_no_grad_decorator_and_enable_grad_inside():
    @ag.no_grad()
    def f(x):
        assert not ag.is_grad_enabled()
        inside = x * 2
        with ag.enable_grad():
            recorded = x * 3
        return inside, recorded

    x = Value(1.0)
    inside, recorded = f(x)
    assert not inside.requires_grad and inside.op is None
    assert recorded.requires_grad and recorded.op.name == "multiply"
    assert ag.is_grad_enabled()

    @ag.enable_grad()
    def g(x):
        return x * 5

    with ag.no_grad():
        y = g(x)
        assert not ag.is_grad_enabled()
    y.backward()
    assert x.grad == 5.0


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with ag.no_grad():
            1 / 0
    assert ag.is_grad_enabled()


def test_grad_mode_decorators_can_recurse():
    # One context object serves every call of a decorated function: it must nest.
    @ag.no_grad()
    def countdown(n):
        return countdown(n - 1) if n else ag.is_grad_enabled()

    assert countdown(3) is False
    assert ag.is_grad_enabled()
    shared = ag.no_grad()
    with shared:
        with shared:
            pass
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()

    @ag.scope("block")
    def nested(n):
        return nested(n - 1) if n else ag.current_scope()

    assert nested(2) == "block.block.block"
    assert ag.current_scope() is None


def test_leaves_without_requires_grad_get_no_gradient():
    a, b = Value(2.0, requires_grad=False), Value(3.0)
    (a * b).backward()
    assert a.grad is None and b.grad == 2.0
    c = Tensor(np.ones(2))
    d = Tensor(np.full(2, 3.0), requires_grad=True)
    (c * d).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(d.grad, [1.0, 1.0])


def test_detach_cuts_the_graph():
    x = Value(3.0)
    (x * x.detach()).backward()
    assert x.grad == 3.0  # not 2x: the detached copy is a constant
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    d = t.detach()
    assert not d.requires_grad and d.is_leaf and np.shares_memory(d.data, t.data)
    (t * d).sum().backward()
    np.testing.assert_array_equal(t.grad, [1.0, 2.0])


# --------------------------------------------------------------------------- hooks


def test_value_hooks_observe_replace_and_can_be_removed():
    seen = []
    x = Value(2.0)
    h = x * 3
    handle_seen = h.register_hook(lambda g: seen.append(g))
    handle_double = h.register_hook(lambda g: g * 2)
    (h * h).backward(retain_graph=True)
    assert seen == [2 * h.data]              # observed the true gradient (first hook)
    assert x.grad == 2 * (2 * h.data) * 3    # the replaced gradient flowed on to the leaf
    handle_double.remove()
    handle_double.remove()  # a second remove is harmless
    x.zero_grad()
    (h * 1.0).backward(retain_graph=True)
    assert x.grad == 3.0 and seen == [2 * h.data, 1.0]
    handle_seen.remove()
    (h * 1.0).backward()
    assert seen == [2 * h.data, 1.0]


def test_hook_on_a_leaf_changes_its_gradient_and_runs_once():
    calls = []
    x = Value(1.5)
    x.register_hook(lambda g: calls.append(g) or 0.0)  # observe, then zero it
    (x * x + x).backward()  # x is used three times, the hook sees the total once
    assert calls == [2 * 1.5 + 1] and x.grad == 0.0


def test_tensor_hooks_and_retain_grad():
    t = Tensor(np.array([1.0, -1.0, 2.0]), requires_grad=True)
    h = (t * 2).retain_grad()
    shapes = []
    h.register_hook(lambda g: shapes.append(g.shape))
    clip = h.register_hook(lambda g: np.clip(g, -1, 1))
    (h ** 2).sum().backward(retain_graph=True)
    assert shapes == [(3,)]
    np.testing.assert_array_equal(h.grad, [1.0, -1.0, 1.0])   # retain_grad sees the hooked gradient
    np.testing.assert_array_equal(t.grad, [2.0, -2.0, 2.0])
    clip.remove()
    t.zero_grad()
    h.zero_grad()
    (h ** 2).sum().backward()
    np.testing.assert_array_equal(t.grad, 2 * 2 * h.data)


def test_register_hook_errors():
    for leaf in (Value(1.0, requires_grad=False), Tensor(np.ones(2))):
        with pytest.raises(RuntimeError, match="does not require grad"):
            leaf.register_hook(lambda g: g)
    for leaf in (Value(1.0), Tensor(np.ones(2), requires_grad=True)):
        with pytest.raises(TypeError, match="callable"):
            leaf.register_hook(42)


def test_retain_grad_under_create_graph_keeps_a_differentiable_gradient():
    x = Value(0.5)
    h = (x * x).retain_grad()
    (h.sin()).backward(create_graph=True)
    assert isinstance(h.grad, Value) and isinstance(x.grad, Value)
    assert math.isclose(h.grad.data, math.cos(0.25))
    (d2,) = ag.gradients(x.grad, [x])  # d/dx (cos(x^2) 2x)
    assert math.isclose(d2, -math.sin(0.25) * 4 * 0.25 + 2 * math.cos(0.25))


# --------------------------------------------------------------------------- detect_anomaly


def _line_of(marker):
    """The line number of the source line in this file that contains ``marker``."""
    with open(__file__, encoding="utf-8") as source:
        return next(number for number, text in enumerate(source, start=1)
                    if marker in text and "_line_of" not in text)


def test_detect_anomaly_names_the_op():
    with ag.detect_anomaly():
        x = Value(-1.0)
        y = x.sqrt() * 2  # sqrt of a negative: nan, and its derivative nan
        with pytest.raises(ag.AnomalyError, match=r"backward of 'sqrt' produced NaN or Inf"):
            y.backward()
    assert issubclass(ag.AnomalyError, FloatingPointError)


def test_detect_anomaly_on_tensors_as_a_decorator():
    @ag.detect_anomaly()
    def run():
        t = Tensor(np.array([0.0, 1.0]), requires_grad=True)
        loss = (t.log() * 2).sum()  # log'(0) = inf
        with np.errstate(divide="ignore"):
            loss.backward()

    with pytest.raises(ag.AnomalyError, match="'log' produced NaN or Inf in the gradient of operand 0"):
        run()


def test_without_detect_anomaly_nan_flows_through():
    x = Value(-1.0)
    (x.sqrt() * 2).backward()
    assert math.isnan(x.grad)


def test_anomaly_for_a_node_created_before_detection_was_on():
    x = Value(0.0)
    y = x.log()
    with ag.detect_anomaly():
        with pytest.raises(ag.AnomalyError, match="created before detect_anomaly was on"):
            y.backward()


def test_detect_anomaly_shows_where_the_user_created_the_op():
    with ag.detect_anomaly():
        x = Value(-4.0)
        y = x.sqrt()  # <- anomaly source
        with pytest.raises(ag.AnomalyError) as caught:
            y.backward()
    message = str(caught.value)
    here = os.path.basename(__file__)
    assert f'{here}", line {_line_of("<- anomaly source")}' in message, message
    assert "y = x.sqrt()" in message
    assert "value.py" not in message  # the engine's own frames are left out
