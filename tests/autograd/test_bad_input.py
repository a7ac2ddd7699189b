"""What the engine does with input that could give a silently wrong gradient: complex tensors,
mixing the two engines, arrays changed between the forward and the backward pass, hooks that
change a gradient's shape, the create_graph reference cycle, and empty arrays."""
import gc
import os
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor, Value


# ----------------------------------------------------------------------------- complex numbers
def test_complex_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="complex tensors cannot require grad"):
        Tensor(np.array([1 + 2j]), requires_grad=True)
    with pytest.raises(TypeError, match="complex tensors cannot require grad"):
        Tensor(np.array([1 + 2j])).requires_grad_()
    assert Tensor(np.array([1 + 2j])).dtype == np.complex128  # holding them is fine


def test_complex_seed_gradients_are_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="grad must be real and numeric, got dtype complex128"):
        (x * 2).backward(np.array([1 + 1j, 1]))


# ----------------------------------------------------------------------------- the two engines
@pytest.mark.parametrize("combine", [lambda v, t: v * t, lambda v, t: t * v, lambda v, t: t + v,
                                     lambda v, t: ag.maximum(v, t), lambda v, t: ag.where(True, v, t)])
def test_a_value_and_a_tensor_do_not_mix(combine):
    v, t = Value(2.0), Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="cannot combine a (Value|Tensor) with a (Tensor|Value)"):
        combine(v, t)


def test_a_value_takes_only_real_numbers():
    with pytest.raises(TypeError, match="multiply: a Value combines with Values and real numbers, got ndarray"):
        Value(2.0) * np.array([1.0, 2.0])
    assert (Value(2.0) * np.float32(3)).data == 6.0
    assert (Value(2.0) * np.array(3.0)).data == 6.0  # a 0-d array is a number


def test_every_elementwise_op_serves_values_with_the_tensor_derivative():
    for name in ["exp", "log1p", "erf", "gelu", "elu", "softplus", "sigmoid", "tanh"]:
        v = Value(0.3)
        getattr(v, name)().backward()
        t = Tensor(np.array(0.3), requires_grad=True)
        getattr(t, name)().backward()
        assert v.grad == pytest.approx(float(t.grad), rel=1e-12), name


# ----------------------------------------------------------------------------- saved arrays
def test_writing_into_a_saved_leaf_array_is_refused_until_backward():
    w = Tensor(np.ones(3), requires_grad=True)
    y = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        w.data[0] = 5.0
    y.backward()
    np.testing.assert_array_equal(w.grad, [2.0, 2.0, 2.0])
    w.data[0] = 5.0  # the graph is freed: the array is the user's again
    w.data -= 0.5 * w.grad


def test_the_callers_array_is_protected_while_a_graph_uses_it():
    array = np.array([1.0, 2.0, 3.0])
    x = Tensor(array, requires_grad=True)
    y = (x ** 2).sum()
    with pytest.raises(ValueError, match="read-only"):
        array[1] = 10.0
    y.backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0, 6.0])
    array[1] = 10.0


def test_writing_into_an_intermediate_result_is_refused():
    x = Tensor(np.array([0.5, 1.0]), requires_grad=True)
    h = x.exp()
    y = (h * h).sum()
    with pytest.raises(ValueError, match="read-only"):
        h.data[0] = 0.0
    y.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(2 * x.data))
    h.data[0] = 0.0  # freed by the backward pass


def test_a_graph_dropped_without_backward_lets_go():
    w = Tensor(np.ones(2), requires_grad=True)
    y = (w * 3).sum()
    assert not w.data.flags.writeable
    del y
    assert w.data.flags.writeable


def test_an_array_stays_read_only_until_every_graph_that_saved_it_is_gone():
    w = Tensor(np.ones(2), requires_grad=True)
    first, second = (w * 2).sum(), (w * 3).sum()
    first.backward()
    assert not w.data.flags.writeable  # still saved by the second graph
    second.backward()
    assert w.data.flags.writeable


def test_retain_graph_keeps_the_arrays_protected():
    w = Tensor(np.ones(2), requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    assert not w.data.flags.writeable
    y.backward()
    np.testing.assert_array_equal(w.grad, [4.0, 4.0])


def test_an_optimizer_step_may_write_but_an_older_graph_then_refuses_backward():
    w = nn.Parameter(np.ones(2, dtype=np.float32))
    optimizer = nn.optim.SGD([w], lr=0.1)
    stale = (w * w).sum()  # recorded before the step
    w.grad = np.ones(2, dtype=np.float32)
    optimizer.step()
    np.testing.assert_allclose(w.data, [0.9, 0.9])
    with pytest.raises(RuntimeError, match="'multiply'.*modified in place after the forward pass"):
        stale.backward()
    fresh = (w * w).sum()
    fresh.backward()
    np.testing.assert_allclose(w.grad, [1.0 + 1.8, 1.0 + 1.8])


def test_load_state_dict_may_write_but_an_older_graph_then_refuses_backward():
    layer = nn.Linear(2, 1)
    out = layer(Tensor(np.ones((1, 2), dtype=np.float32))).sum()
    layer.load_state_dict({name: np.zeros_like(p.data) for name, p in layer.named_parameters()})
    with pytest.raises(RuntimeError, match="modified in place after the forward pass"):
        out.backward()


def test_replacing_data_keeps_the_gradient_of_the_recorded_values():
    # Rebinding .data does not touch the array the graph saved: the gradient is that of the
    # forward pass as it ran (for Values, whose data are floats, this always holds).
    x = Tensor(np.array([2.0]), requires_grad=True)
    y = (x * x).sum()
    x.data = np.array([10.0])
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0])
    v = Value(2.0)
    w = v * v
    v.data = 10.0
    w.backward()
    assert v.grad == 4.0


def test_setitem_on_a_tensor_saved_by_a_graph_is_refused():
    x = Tensor(np.ones(3))  # does not require grad, but the graph keeps it for w's gradient
    w = Tensor(np.ones(3), requires_grad=True)
    y = (x * w).sum()
    with pytest.raises(RuntimeError, match="saved by one for its backward pass"):
        x[0] = 2.0
    y.backward()
    x[0] = 2.0


# ----------------------------------------------------------------------------- hooks, cycles
def test_a_hook_that_changes_the_shape_of_a_gradient_is_an_error():
    x = Tensor(np.ones(3), requires_grad=True)
    h = x * 2
    h.register_hook(lambda g: g[:1])
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(1,\) for a gradient of shape \(3,\)"):
        h.sum().backward()


def test_backward_with_create_graph_warns_about_the_reference_cycle():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        (x * x).sum().backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ag.gradients((x * x).sum(), x, create_graph=True)  # returns, does not store: no cycle


def test_the_create_graph_cycle_is_freed_by_the_collector():
    import weakref
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.warns(UserWarning):
        (x * x).sum().backward(create_graph=True)
    ref = weakref.ref(x)
    del x
    gc.collect()
    assert ref() is None


# ----------------------------------------------------------------------------- odd shapes
def test_ragged_data_is_a_clear_error():
    with pytest.raises(ValueError, match="Tensor: cannot make an array of list data"):
        Tensor([[1.0, 2.0], [3.0]])


def test_softmax_and_logsumexp_of_empty_arrays_are_empty_like_numpy():
    for shape in [(0, 3), (3, 0)]:
        x = Tensor(np.ones(shape, np.float32), requires_grad=True)
        out = ag.softmax(x, axis=-1)
        assert out.shape == shape and out.dtype == np.float32
        assert ag.log_softmax(x, axis=-1).shape == shape
        out.sum().backward()
        assert x.grad.shape == shape
    np.testing.assert_array_equal(ag.logsumexp(Tensor(np.ones((2, 0))), axis=1).data, [-np.inf] * 2)
    with pytest.raises(ValueError, match="softmax: axis 2 is out of range"):
        ag.softmax(Tensor(np.ones((2, 2))), axis=2)


# ----------------------------------------------------------------------------- record properties
def test_released_tells_whether_backward_freed_a_node():
    x = Tensor(np.ones(2), requires_grad=True)
    h = x * 2
    y = h.sum()
    assert not h.released and not x.released
    y.backward(retain_graph=True)
    assert not h.released
    y.backward()
    assert h.released and y.released and not x.released  # a leaf is never released


def test_creation_trace_points_at_the_users_line_only_under_detect_anomaly():
    x = Tensor(np.ones(2), requires_grad=True)
    assert (x * 2).creation_trace is None
    with ag.detect_anomaly():
        y = x * 2  # the line the trace must show
    frames = y.creation_trace
    assert frames and frames[-1].filename == __file__
    assert "y = x * 2" in frames[-1].line
    package = os.path.dirname(os.path.abspath(ag.__file__))
    assert not any(os.path.abspath(f.filename).startswith(package + os.sep) for f in frames)


@pytest.mark.parametrize("make, error, message", [
    (lambda: Tensor(np.ones((2, 3))).sum(axis=1.5), TypeError, "sum: axis must be None, an int or a tuple of ints"),
    (lambda: ag.stack([]), ValueError, "stack: needs at least one tensor"),
    (lambda: Tensor("abc"), TypeError, "Tensor: cannot hold str data"),
    (lambda: ag.astype(Tensor([1.0]), "U3"), TypeError, "astype: a tensor holds numbers or booleans"),
    (lambda: ag.one_hot(np.array([0]), -1), ValueError, "one_hot: num_classes must be a positive integer"),
    (lambda: ag.layer_norm(Tensor(np.ones((2, 3))), eps=-1.0), ValueError, "layer_norm: eps must be > 0"),
])
def test_bad_arguments_name_the_op(make, error, message):
    with pytest.raises(error, match=message):
        make()
