"""Regenerate the README's pictures in ``docs/images/``.

* ``neuron.svg``: the classic neuron ``tanh(x1*w1 + x2*w2 + b)`` with data and gradients;
* ``mlp.svg``: one training step's graph of the seed MNIST recipe (``Dense(512, relu) ->
  Dense(10, softmax)``, categorical cross-entropy, batch 128), clustered by layer;
* ``mlp_layers.svg``: the same model as a Keras-style layer diagram.

The MLP's inputs are made-up pixels (the drawing shows shapes, not a real batch), seeded so the
files only change when the drawings do. Needs the Graphviz ``dot`` program and lucidgrad
importable (``pip install -e .``, or the project root on ``PYTHONPATH``)::

    python examples/make_readme_images.py

The test suite draws the same pictures (``drawings()``) and fails when a committed file no longer
shows what the engine draws: run this command after changing what a graph records or looks like.
"""
from pathlib import Path

import numpy as np

import nn
from autograd import Tensor
from autograd.viz import draw_graph, render
from autograd.viz.examples import neuron
from nn.architecture import plot_model
from nn.models import build_model

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
BATCH = 128


def mnist_recipe_step():
    """The seed recipe's model and the loss of one (made-up) batch, after ``backward()``."""
    nn.seed(0)
    nn.clear_session()          # layer names (dense, dense_1) as in a fresh session
    model = build_model("mlp", (784,), 10)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    rng = np.random.default_rng(0)
    images = Tensor(rng.random((BATCH, 784), dtype=np.float32), name="images")
    labels = np.eye(10, dtype=np.float32)[rng.integers(0, 10, BATCH)]
    loss = model.loss(labels, model(images))
    loss.name = "loss"
    loss.backward()
    return model, loss


def drawings():
    """The pictures, by file name: Graphviz drawings, not rendered yet."""
    model, loss = mnist_recipe_step()
    return {
        "neuron.svg": draw_graph(neuron(), title="o = tanh(x1*w1 + x2*w2 + b)"),
        "mlp.svg": draw_graph(loss, model=model, rankdir="TB",
                              title="MNIST MLP: one training step (forward + loss)"),
        "mlp_layers.svg": plot_model(model, title="MNIST MLP"),
    }


def main():
    """Write the three SVG files and print their paths."""
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name, drawing in drawings().items():
        print(f"wrote {render(drawing, IMAGES / name)}")


if __name__ == "__main__":
    main()
