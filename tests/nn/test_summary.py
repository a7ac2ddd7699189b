"""``Model.summary``: Keras's layout (model name, ``name (Type)`` rows, totals), output shapes from
a zero batch, parameter counts, modes restored; it prints and returns None, as Keras does."""
import re

import numpy as np
import pytest

import nn
from nn.training.summary import count_parameters, model_summary


def seed_recipe():
    nn.seed(0)
    nn.clear_session()
    return nn.Sequential([nn.Dense(512, activation="relu", input_shape=(784,)),
                          nn.Dense(10, activation="softmax")])


def summary_text(model, **kwargs):
    """The text ``model.summary`` hands to its ``print_fn`` (it must return None)."""
    lines = []
    assert model.summary(print_fn=lines.append, **kwargs) is None
    assert len(lines) == 1
    return lines[0]


def rows(text):
    """{layer label: (output shape, param count)} from the table body."""
    found = {}
    for line in text.splitlines():
        match = re.match(r"^(\S+ \(\w+\))\s+(\(.*?\))\s+([\d,]+)$", line)
        if match:
            found[match.group(1)] = (match.group(2), int(match.group(3).replace(",", "")))
    return found


def totals(text):
    return {kind: int(count.replace(",", ""))
            for kind, count in re.findall(r"^(Total|Trainable|Non-trainable) params: ([\d,]+)",
                                          text, re.MULTILINE)}


def test_seed_recipe_summary(capsys):
    assert seed_recipe().summary() is None  # Jupyter shows nothing more than the printed table
    text = capsys.readouterr().out
    assert text.splitlines()[0] == 'Model: "sequential"'
    assert rows(text) == {"dense (Dense)": ("(None, 512)", 784 * 512 + 512),
                          "dense_1 (Dense)": ("(None, 10)", 512 * 10 + 10)}
    assert 784 * 512 + 512 == 401_920 and 512 * 10 + 10 == 5_130
    assert totals(text) == {"Total": 407_050, "Trainable": 407_050, "Non-trainable": 0}
    assert "407,050" in text and "(1.55 MB)" in text and "Non-trainable params: 0 (0.00 B)" in text
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text
    header = next(line for line in text.splitlines() if line.startswith("Layer (type)"))
    first = next(line for line in text.splitlines() if line.startswith("dense (Dense)"))
    assert first.endswith("401,920") and len(first) == len(header)  # counts right-aligned


def test_summary_can_stay_silent(capsys):
    text = summary_text(seed_recipe())
    assert capsys.readouterr().out == ""
    assert seed_recipe().summary() is None
    assert capsys.readouterr().out == text + "\n"
    assert model_summary(seed_recipe()) == text


def test_model_names_count_like_keras():
    nn.clear_session()
    first = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    second = nn.Sequential([nn.Dense(2, input_shape=(3,))], name="classifier")
    third = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    assert (first.name, second.name, third.name) == ("sequential", "classifier", "sequential_1")
    assert summary_text(third).splitlines()[0] == 'Model: "sequential_1"'
    assert "dense_2 (Dense)" in summary_text(third)  # layer names count across models too


def test_pytorch_style_models_show_attribute_names():
    class Net(nn.Model):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(4, 8)
            self.act = nn.ReLU()
            self.head = nn.Linear(8, 2)

        def forward(self, x):
            return self.head(self.act(self.fc1(x)))

    nn.clear_session()
    net = Net()
    assert net.name == "net"
    text = summary_text(net, input_shape=(4,))
    assert text.splitlines()[0] == 'Model: "net"'
    assert rows(text) == {"fc1 (Linear)": ("(None, 8)", 40), "act (ReLU)": ("(None, 8)", 0),
                          "head (Linear)": ("(None, 2)", 18)}


def test_buffers_and_frozen_parameters_are_non_trainable():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(6, input_shape=(3,)), nn.BatchNormalization(),
                           nn.Flatten(), nn.Dense(2)])
    trainable, frozen = count_parameters(model[1])
    assert (trainable, frozen) == (12, 12)  # gamma, beta | running mean, running variance
    model[3].bias.requires_grad = False
    text = summary_text(model)
    assert totals(text) == {"Total": 24 + 24 + 14, "Trainable": 24 + 12 + 12,
                            "Non-trainable": 12 + 2}
    assert rows(text)[f"{model[1].name} (BatchNormalization)"] == ("(None, 6)", 24)
    assert rows(text)[f"{model[2].name} (Flatten)"] == ("(None, 6)", 0)


def test_shapes_of_image_layers():
    nn.seed(0)
    nn.clear_session()
    model = nn.Sequential([nn.Flatten(), nn.Dense(5)])
    text = summary_text(model, input_shape=(4, 7))
    assert rows(text) == {"flatten (Flatten)": ("(None, 28)", 0),
                          "dense (Dense)": ("(None, 5)", 145)}


def test_input_shape_is_needed_and_remembered():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(4), nn.Dense(2)])
    with pytest.raises(ValueError, match="input shape.*unknown.*input_shape="):
        model.summary()
    model.predict(np.zeros((3, 9), np.float32))
    assert rows(summary_text(model))[f"{model[0].name} (Dense)"] == ("(None, 4)", 40)


def test_summary_restores_modes_and_records_no_graph():
    model = seed_recipe()
    model.train()
    summary_text(model)
    assert all(m.training for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    assert "forward" not in model[0].__dict__


def test_model_without_children():
    class Scale(nn.Model):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(np.ones(3, np.float32))

        def forward(self, x):
            return x * self.w

    text = summary_text(Scale(), input_shape=(3,))
    assert "Scale" in text and "(None, 3)" in text
    assert totals(text)["Total"] == 3
