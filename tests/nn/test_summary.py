"""``Model.summary``: output shapes from a zero batch, parameter counts, totals, modes restored."""
import re

import numpy as np
import pytest

import nn
from nn.training.summary import count_parameters


def seed_recipe():
    nn.seed(0)
    return nn.Sequential([nn.Dense(512, activation="relu", input_shape=(784,)),
                          nn.Dense(10, activation="softmax")])


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
    text = seed_recipe().summary()
    assert capsys.readouterr().out.strip() == text.strip()
    assert rows(text) == {"0 (Dense)": ("(None, 512)", 784 * 512 + 512),
                          "1 (Dense)": ("(None, 10)", 512 * 10 + 10)}
    assert 784 * 512 + 512 == 401_920 and 512 * 10 + 10 == 5_130
    assert totals(text) == {"Total": 407_050, "Trainable": 407_050, "Non-trainable": 0}
    assert "407,050" in text and "(1.55 MB)" in text
    assert "Layer (type)" in text and "Output Shape" in text and "Param #" in text


def test_summary_can_stay_silent():
    lines = []
    text = seed_recipe().summary(print_fn=lines.append)
    assert lines == [text]
    assert seed_recipe().summary(print_fn=None) == text


def test_buffers_and_frozen_parameters_are_non_trainable():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(6, input_shape=(3,)), nn.BatchNormalization(),
                           nn.Flatten(), nn.Dense(2)])
    trainable, frozen = count_parameters(model[1])
    assert (trainable, frozen) == (12, 12)  # gamma, beta | running mean, running variance
    model[3].bias.requires_grad = False
    text = model.summary(print_fn=None)
    assert totals(text) == {"Total": 24 + 24 + 14, "Trainable": 24 + 12 + 12,
                            "Non-trainable": 12 + 2}
    assert rows(text)["1 (BatchNormalization)"] == ("(None, 6)", 24)
    assert rows(text)["2 (Flatten)"] == ("(None, 6)", 0)


def test_shapes_of_image_layers():
    nn.seed(0)
    model = nn.Sequential([nn.Flatten(), nn.Dense(5)])
    text = model.summary(input_shape=(4, 7), print_fn=None)
    assert rows(text) == {"0 (Flatten)": ("(None, 28)", 0), "1 (Dense)": ("(None, 5)", 145)}


def test_input_shape_is_needed_and_remembered():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(4), nn.Dense(2)])
    with pytest.raises(ValueError, match="input shape.*unknown.*input_shape="):
        model.summary()
    model.predict(np.zeros((3, 9), np.float32))
    assert rows(model.summary(print_fn=None))["0 (Dense)"] == ("(None, 4)", 40)


def test_summary_restores_modes_and_records_no_graph():
    model = seed_recipe()
    model.train()
    model.summary(print_fn=None)
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

    text = Scale().summary(input_shape=(3,), print_fn=None)
    assert "Scale" in text and "(None, 3)" in text
    assert totals(text)["Total"] == 3
