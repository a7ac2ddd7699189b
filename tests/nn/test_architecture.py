"""Drawings of nn models: ``plot_model``'s layer diagram (boxes, shapes, counts, data-flow arrows)
and ``draw_graph`` on a model's training graph (clusters per layer, parameter names, ``depth``)."""
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.viz import draw_graph, render
from dot_reading import clusters, find, needs_dot, statements
from nn.architecture import plot_model


def recipe_mlp(hidden=32, inputs=20, classes=5):
    """The seed recipe's shape, small: Dense(hidden, relu) -> Dense(classes, softmax)."""
    nn.seed(0)
    model = nn.Sequential([nn.Dense(hidden, activation="relu", input_shape=(inputs,)),
                           nn.Dense(classes, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    return model


class Residual(nn.Module):
    """fc1 -> act -> fc2, plus the input added back before the head (a skip connection)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 4)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        return self.head(self.fc2(self.act(self.fc1(x))) + x)


# ---------------------------------------------------------------------- plot_model
def test_sequential_boxes_show_type_shape_and_parameter_count():
    nn.clear_session()
    model = recipe_mlp(hidden=32, inputs=20, classes=5)
    nodes, edges = statements(plot_model(model).source)
    assert set(nodes) == {"input", "layer0", "layer1"}
    assert edges == [("input", "layer0"), ("layer0", "layer1")]
    assert "(None, 20)" in nodes["input"]
    assert "<B>dense (Dense)</B>" in nodes["layer0"] and "(None, 32)" in nodes["layer0"]
    assert f"{20 * 32 + 32:,}" in nodes["layer0"]
    assert "<B>dense_1 (Dense)</B>" in nodes["layer1"] and "(None, 5)" in nodes["layer1"]
    assert f"{32 * 5 + 5:,}" in nodes["layer1"] and "softmax" in nodes["layer1"]
    assert f"{20 * 32 + 32 + 32 * 5 + 5:,} parameters" in plot_model(model).source


def test_arrows_follow_the_data_through_skip_connections():
    model = Residual()
    nodes, edges = statements(plot_model(model, input_shape=(4,)).source)
    names = {n: re.search(r"<B>(\w+) \(\w+\)</B>", line).group(1)
             for n, line in nodes.items() if n != "input"}
    named = {(names.get(a, a), names.get(b, b)) for a, b in edges}
    assert named == {("input", "fc1"), ("fc1", "act"), ("act", "fc2"), ("fc2", "head"),
                     ("input", "head")}
    assert "(None, 2)" in nodes[[n for n, v in names.items() if v == "head"][0]]
    for module in model.modules():  # tracing leaves the model as it was
        assert "forward" not in module.__dict__
        assert module.training


def test_identity_layers_keep_the_chain():
    model = nn.Sequential([nn.Dense(8, input_shape=(3,)), nn.Dropout(0.5), nn.Dense(2)])
    _, edges = statements(plot_model(model).source)
    assert edges == [("input", "layer0"), ("layer0", "layer1"), ("layer1", "layer2")]


def test_unknown_input_shape():
    lazy = nn.Sequential([nn.Dense(8), nn.Dense(2)])
    nodes, edges = statements(plot_model(lazy).source)
    assert edges == [("layer0", "layer1")] and "input" not in nodes
    assert "?" in nodes["layer0"]
    source = plot_model(Residual()).source
    assert statements(source)[1] == [] and "pass input_shape=" in source


def test_plot_model_checks_its_arguments():
    with pytest.raises(TypeError, match="nn.Module"):
        plot_model(object())
    with pytest.raises(ValueError, match="input_shape"):
        plot_model(Residual(), input_shape=(0,))
    with pytest.raises(ValueError, match="rankdir"):
        plot_model(Residual(), rankdir="sideways")


@needs_dot
def test_plot_model_renders(tmp_path):
    root = ET.parse(render(plot_model(recipe_mlp()), tmp_path / "layers.svg")).getroot()
    assert root.tag.endswith("svg")


# ---------------------------------------------------------------------- draw_graph on a model
def training_step(model, batch=6):
    rng = np.random.default_rng(0)
    x = Tensor(rng.random((batch, 20), dtype=np.float32), name="images")
    y = np.eye(5, dtype=np.float32)[rng.integers(0, 5, batch)]
    loss = model.loss(y, model(x))
    loss.backward()
    return loss


def test_training_graph_is_clustered_by_layer():
    model = recipe_mlp()
    loss = training_step(model)
    source = draw_graph(loss, model=model).source
    nodes, edges = statements(source)
    members, _ = clusters(source)
    assert set(members) == {"cluster_0", "cluster_1"}
    assert 'label="0: Dense"' in source and 'label="1: Dense"' in source
    for layer in ("0", "1"):
        inside = members[f"cluster_{layer}"]
        assert find(nodes, f"<B>{layer}.kernel</B>") in inside
        assert find(nodes, f"<B>{layer}.bias</B>") in inside
        ops = [n for n in inside if n.endswith("_op")]
        assert sorted(re.search(r"label=<(\w+)>", nodes[n]).group(1) for n in ops) == (
            ["affine", "relu"] if layer == "0" else ["affine"])
    images = find(nodes, "<B>images</B>")
    assert images not in sum(members.values(), [])
    assert "grad [" in nodes[find(nodes, "<B>0.kernel</B>")]
    # the layers are connected in order: layer 0's last value feeds layer 1's matmul
    relu_value = [n for n in members["cluster_0"] if "label=<relu>" in nodes.get(f"{n}_op", "")]
    assert len(relu_value) == 1
    assert any(tail == relu_value[0] and head in members["cluster_1"] for tail, head in edges)


def test_depth_zero_draws_one_box_per_layer():
    model = recipe_mlp()
    source = draw_graph(training_step(model), model=model, depth=0).source
    nodes, edges = statements(source)
    boxes = {find(nodes, f"<B>{layer}: Dense</B>") for layer in ("0", "1")}
    assert all("box3d" in nodes[b] for b in boxes)
    first, second = sorted(boxes)
    assert "out float32 (6, 32)" in nodes[first]
    assert f"2 parameters ({20 * 32 + 32:,} numbers)" in nodes[first]
    assert (first, second) in edges
    assert "kernel" not in source and "cluster" not in source


def test_scope_labels_alone_give_clusters():
    model = recipe_mlp()
    source = draw_graph(training_step(model)).source  # no model=: paths only, no types
    members, _ = clusters(source)
    assert set(members) == {"cluster_0", "cluster_1"}
    assert re.search(r'label="?0"?[ \]]', source)  # the path alone names the cluster
    nodes, _ = statements(source)
    kernel = find(nodes, "float32 (20, 32)")
    assert kernel in members["cluster_0"]  # the unnamed kernel sits in its only user's layer


def test_model_graph_drawing_is_deterministic():
    sources = []
    for _ in range(2):
        model = recipe_mlp()
        sources.append(draw_graph(training_step(model), model=model).source)
    assert sources[0] == sources[1]


def test_frozen_parameters_are_still_drawn_as_parameters():
    model = recipe_mlp()
    model[1].bias.requires_grad_(False)  # still an operand of the recorded add
    nodes, _ = statements(draw_graph(training_step(model), model=model).source)
    frozen, trained = (nodes[find(nodes, f"<B>{n}</B>")] for n in ("1.bias", "0.bias"))
    fill = re.compile(r'fillcolor="([^"]+)"')
    assert fill.search(frozen).group(1) == fill.search(trained).group(1)
    assert "grad [" not in frozen and "grad [" in trained
