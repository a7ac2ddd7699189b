"""Module, Parameter and the containers: registration, tree walks, modes, state dicts, configs."""
import json

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from nn import Module, ModuleList, Parameter, Sequential
from nn.layers import BatchNorm1d, Dense, Dropout, Linear, ReLU
from nn.module import layer_from_config, layer_to_config, register_layer


class TwoLayer(Module):
    """A PyTorch-style model: layers in a ModuleList plus a parameter and a buffer of its own."""

    def __init__(self):
        super().__init__()
        self.scale = Parameter(np.ones(3, dtype=np.float32))
        self.layers = ModuleList([Linear(4, 5), Linear(5, 3)])
        self.register_buffer("calls", np.zeros(1))

    def forward(self, x):
        for layer in self.layers:
            x = layer(x).relu()
        return x * self.scale


# ---------------------------------------------------------------------- Parameter
def test_parameter_is_a_float_tensor_that_requires_grad():
    p = Parameter([1, 2, 3])
    assert isinstance(p, Tensor) and p.requires_grad and p.is_leaf
    assert p.dtype == np.float32
    assert Parameter(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert repr(p).startswith("Parameter(")


def test_parameter_rejects_integer_arrays():
    with pytest.raises(TypeError, match="floating point"):
        Parameter(np.arange(3))


def test_ops_on_parameters_give_plain_tensors():
    p = Parameter([1.0, 2.0])
    assert type(p * 2) is Tensor


# ---------------------------------------------------------------------- registration and walks
def test_named_parameters_use_dotted_paths_in_registration_order():
    model = TwoLayer()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["scale", "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert [p.shape for p in model.parameters()] == [(3,), (5, 4), (5,), (3, 5), (3,)]


def test_sequential_children_are_named_by_position():
    model = Sequential([Dense(3, input_dim=2), ReLU(), Dense(1)])
    assert [name for name, _ in model.named_parameters()] == ["0.kernel", "0.bias", "2.kernel", "2.bias"]
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    assert [name for name, _ in model.named_modules()] == ["", "0", "1", "2"]


def test_shared_parameters_and_modules_are_listed_once():
    shared = Linear(2, 2)
    model = Sequential(shared, ReLU(), shared)
    assert len(model.parameters()) == 2
    assert len(list(model.modules())) == 3
    tied = Sequential(Linear(2, 2), Linear(2, 2))
    tied[1].weight = tied[0].weight  # one Parameter registered in two modules
    assert [n for n, _ in tied.named_parameters()] == ["0.weight", "0.bias", "1.bias"]


def test_reassigning_and_deleting_attributes_updates_the_registry():
    layer = Linear(2, 3)
    layer.bias = None
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    layer.extra = Parameter(np.zeros(1))
    del layer.extra
    assert [n for n, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(TypeError, match="is a parameter"):
        layer.weight = np.zeros((3, 2))


def test_assigning_a_parameter_before_super_init_is_a_clear_error():
    class Forgetful(Module):
        def __init__(self):
            self.w = Parameter([1.0])

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Forgetful()


def test_buffers_are_registered_and_listed():
    model = TwoLayer()
    assert [name for name, _ in model.named_buffers()] == ["calls"]
    bn = Sequential(BatchNorm1d(3))
    assert [name for name, _ in bn.named_buffers()] == ["0.running_mean", "0.running_var"]
    with pytest.raises(TypeError, match="numpy array"):
        model.register_buffer("bad", [1, 2])


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match="forward"):
        Module()(1)


# ---------------------------------------------------------------------- modes and gradients
def test_train_and_eval_recurse_into_every_descendant():
    model = Sequential(Linear(2, 2), Sequential(Dropout(0.5), BatchNorm1d(2)))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model[1].eval()
    assert model.training and not model[1][0].training and not model[1][1].training


def test_zero_grad_clears_every_parameter_gradient():
    model = TwoLayer()
    model(np.ones((2, 4), dtype=np.float32)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_regularization_loss_adds_every_kernel_penalty():
    autograd.seed(0)
    model = Sequential([Dense(4, input_dim=3, kernel_regularizer=nn.regularizers.L2(0.1)),
                        Dense(2, kernel_regularizer=nn.regularizers.L1(0.01),
                              bias_regularizer=nn.regularizers.L2(0.5))])
    model[1].bias.data[:] = [1.0, -2.0]
    k0, k1 = model[0].kernel.data, model[1].kernel.data
    expected = 0.1 * np.sum(k0 ** 2) + 0.01 * np.sum(np.abs(k1)) + 0.5 * 5.0
    loss = model.regularization_loss()
    assert loss.shape == () and np.isclose(loss.item(), expected, rtol=1e-5)
    loss.backward()
    np.testing.assert_allclose(model[0].kernel.grad, 0.2 * k0, rtol=1e-5)
    np.testing.assert_allclose(model[1].bias.grad, [1.0, -2.0], rtol=1e-6)


def test_regularization_loss_is_zero_without_regularizers():
    loss = Sequential(Linear(2, 2)).regularization_loss()
    assert loss.shape == () and loss.item() == 0.0


# ---------------------------------------------------------------------- scopes
def test_calling_a_module_labels_its_ops_with_the_dotted_module_path():
    model = TwoLayer()
    out = model(np.ones((1, 4), dtype=np.float32))
    assert out.scope is None  # the root has no name
    relu_out = out.inputs[0]
    assert relu_out.scope is None  # .relu() was called in the root's forward
    linear_out = relu_out.inputs[0]
    assert linear_out.scope == "layers.1"
    assert autograd.current_scope() is None


def test_scopes_nest_when_a_module_calls_itself_and_unwind_on_errors():
    class Recursive(Module):
        def forward(self, x, depth):
            return x if depth == 0 else self.inner(x, depth - 1) * 2.0

    outer = Module()
    outer.inner = Recursive()
    outer.inner.inner = outer.inner  # the same module, registered under its own name again
    out = outer.inner(Tensor([1.0], requires_grad=True), 2)
    assert out.scope == "inner" and out.inputs[0].scope == "inner.inner"
    assert autograd.current_scope() is None
    with pytest.raises(ValueError):
        Sequential([Dense(2, input_dim=3)])(np.ones((1, 4)))
    assert autograd.current_scope() is None


def test_sequential_ops_are_scoped_by_layer_index():
    model = Sequential([Dense(3, activation="relu", input_dim=2), Dense(1)])
    out = model(np.ones((1, 2)))
    assert out.scope == "1"
    assert out.inputs[0].inputs[0].scope == "0"


# ---------------------------------------------------------------------- state dicts
def test_state_dict_round_trip_restores_parameters_and_buffers():
    autograd.seed(1)
    source = Sequential(Linear(3, 4), BatchNorm1d(4))
    source(np.random.default_rng(0).normal(size=(8, 3)))  # moves the running statistics
    state = source.state_dict()
    assert set(state) == {"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"}
    state["0.weight"][0, 0] = 123.0  # a copy: the module is untouched
    assert source[0].weight.data[0, 0] != 123.0

    target = Sequential(Linear(3, 4), BatchNorm1d(4))
    weight_object = target[0].weight
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert target[0].weight is weight_object  # loaded in place


def test_load_state_dict_names_missing_unexpected_and_mismatched_entries():
    model = Sequential(Linear(3, 4))
    state = model.state_dict()
    del state["0.bias"]
    state["0.extra"] = np.zeros(1)
    state["0.weight"] = np.zeros((2, 2))
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert "missing: 0.bias" in message
    assert "unexpected: 0.extra" in message
    assert "0.weight: expected shape (4, 3), got (2, 2)" in message


def test_load_state_dict_non_strict_reports_but_still_checks_shapes():
    model = Sequential(Linear(3, 4))
    original_bias = model[0].bias.data.copy()
    result = model.load_state_dict({"0.weight": np.ones((4, 3)), "junk": np.zeros(2)}, strict=False)
    assert result.missing_keys == ["0.bias"] and result.unexpected_keys == ["junk"]
    np.testing.assert_array_equal(model[0].weight.data, np.ones((4, 3)))
    np.testing.assert_array_equal(model[0].bias.data, original_bias)
    with pytest.raises(ValueError, match="shape mismatch"):
        model.load_state_dict({"0.weight": np.ones((3, 3))}, strict=False)


def test_load_state_dict_changes_nothing_when_it_fails():
    model = Sequential(Linear(2, 2))
    before = model.state_dict()
    with pytest.raises(ValueError):
        model.load_state_dict({"0.weight": np.ones((2, 2)), "0.bias": np.ones(3)})
    np.testing.assert_array_equal(model[0].weight.data, before["0.weight"])


# ---------------------------------------------------------------------- lazy building
def test_dense_infers_its_input_size_on_the_first_call():
    layer = Dense(3)
    assert not layer.built and layer.parameters() == []
    out = layer(np.ones((5, 7), dtype=np.float32))
    assert layer.built and out.shape == (5, 3)
    assert layer.kernel.shape == (7, 3) and layer.bias.shape == (3,)


def test_sequential_with_a_declared_input_shape_is_built_at_once():
    model = Sequential([Dense(8, activation="relu", input_shape=(4,)), Dropout(0.5), Dense(2)])
    assert all(m.built for m in model.modules())
    assert [p.shape for p in model.parameters()] == [(4, 8), (8,), (8, 2), (2,)]
    assert all(m.training for m in model.modules())  # building does not leave eval mode on
    model.add(Dense(5))
    assert model[3].kernel.shape == (2, 5)


def test_build_runs_a_zero_batch_and_returns_the_output_shape():
    model = Sequential([Dense(6), ReLU(), Dense(2)])
    assert model.build((None, 3)) == (None, 2)
    assert model[2].kernel.shape == (6, 2)


# ---------------------------------------------------------------------- containers
def test_sequential_supports_len_iteration_indexing_and_pop():
    a, b, c = Linear(2, 3), ReLU(), Linear(3, 1)
    model = Sequential(a, b)
    model.add(c)
    assert len(model) == 3 and list(model) == [a, b, c] and model[-1] is c
    assert model.layers == [a, b, c]
    tail = model[1:]
    assert isinstance(tail, Sequential) and list(tail) == [b, c]
    assert [n for n, _ in tail.named_parameters()] == ["1.weight", "1.bias"]
    assert model(np.ones((1, 2))).scope == "2"  # slicing did not relabel the layers
    assert model.pop() is c and len(model) == 2
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_sequential_is_a_keras_model():
    assert isinstance(Sequential(), nn.Model)


def test_sequential_rejects_non_modules():
    with pytest.raises(TypeError, match="Module"):
        Sequential([lambda x: x])


def test_repr_is_a_tree():
    model = Sequential([Dense(4, activation="relu", input_dim=3), Sequential(Dropout(0.1))])
    assert repr(model) == ("Sequential(\n"
                           "  (0): Dense(3 -> 4, activation='relu')\n"
                           "  (1): Sequential(\n"
                           "    (0): Dropout(rate=0.1)\n"
                           "  )\n"
                           ")")


# ---------------------------------------------------------------------- configs
def test_sequential_config_round_trips_through_json():
    autograd.seed(3)
    model = Sequential([Dense(5, activation="tanh", input_dim=3, kernel_regularizer="l2",
                              kernel_initializer=nn.initializers.RandomNormal(0.0, 0.2)),
                        Dropout(0.25, seed=1), nn.layers.BatchNormalization(), Dense(2, activation="softmax")])
    text = json.dumps(layer_to_config(model))
    rebuilt = layer_from_config(json.loads(text))
    assert [type(m) for m in rebuilt] == [type(m) for m in model]
    rebuilt.load_state_dict(model.state_dict())  # already built: the input size was saved
    x = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
    model.eval(), rebuilt.eval()
    np.testing.assert_allclose(rebuilt(x).data, model(x).data, rtol=1e-6)
    assert rebuilt[0].get_config() == model[0].get_config()


def test_custom_layers_can_be_registered():
    @register_layer
    class Scale(Module):
        def __init__(self, factor=2.0):
            super().__init__()
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    rebuilt = layer_from_config(layer_to_config(Scale(3.0)))
    assert isinstance(rebuilt, Scale) and rebuilt.factor == 3.0


def test_config_errors_are_clear():
    with pytest.raises(ValueError, match="unknown layer class 'Nope'"):
        layer_from_config({"class_name": "Nope", "config": {}})

    class Unregistered(Module):
        pass

    with pytest.raises(ValueError, match="not registered"):
        layer_to_config(Unregistered())

    class NeedsArgs(Module):
        def __init__(self, size):
            super().__init__()

    with pytest.raises(NotImplementedError, match="override get_config"):
        NeedsArgs(3).get_config()


def test_nn_seed_makes_initialization_reproducible():
    nn.seed(7)
    first = Linear(3, 3).weight.data.copy()
    nn.seed(7)
    np.testing.assert_array_equal(Linear(3, 3).weight.data, first)
