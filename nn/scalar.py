"""A multilayer perceptron made of scalar ``Value``s: the classic teaching network.

Every weight is one ``Value`` and every neuron computes ``act(w . x + b)``. The weighted sum is one
``Value.dot`` node (its derivative: d/dw_i = x_i, d/dx_i = w_i), so a network of a few hundred
weights trains on a hundred points in milliseconds while every number stays inspectable.
"""
import random

from autograd import Value

__all__ = ["Neuron", "Layer", "MLP", "max_margin_loss"]


_ACTIVATIONS = {
    "relu": Value.relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": None,
}


class Neuron:
    """One neuron: ``activation(sum_i w_i x_i + b)``, weights drawn uniformly from [-1, 1]."""

    def __init__(self, n_inputs, activation="relu", rng=None):
        if activation not in _ACTIVATIONS:
            raise ValueError(f"Neuron: unknown activation {activation!r}; choose from {sorted(_ACTIVATIONS)}")
        rng = rng or random.Random()
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(n_inputs)]
        self.b = Value(0.0)
        self.activation = activation

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"Neuron: expected {len(self.w)} inputs, got {len(x)}")
        out = Value.dot(self.w, x) + self.b
        act = _ACTIVATIONS[self.activation]
        return act(out) if act is not None else out

    def parameters(self):
        """The weights and the bias."""
        return self.w + [self.b]


class Layer:
    """A fully connected layer of ``n_outputs`` neurons."""

    def __init__(self, n_inputs, n_outputs, activation="relu", rng=None):
        self.neurons = [Neuron(n_inputs, activation, rng) for _ in range(n_outputs)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]

    def parameters(self):
        """All weights and biases of the layer."""
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    """``MLP(2, [16, 16, 1])``: ReLU hidden layers and a linear output layer."""

    def __init__(self, n_inputs, layer_sizes, activation="relu", seed=None):
        rng = random.Random(seed)
        sizes = [n_inputs] + list(layer_sizes)
        last = len(layer_sizes) - 1
        self.layers = [Layer(sizes[i], sizes[i + 1], "linear" if i == last else activation, rng)
                       for i in range(len(layer_sizes))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        """Every ``Value`` the network learns."""
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self):
        """Reset every parameter's gradient."""
        for p in self.parameters():
            p.grad = None


def max_margin_loss(model, xs, ys, alpha=1e-4):
    """The SVM max-margin loss ``mean(relu(1 - y * score)) + alpha * sum(p^2)`` and the accuracy,
    for labels ``ys`` in {-1, +1}."""
    scores = [model([float(a) for a in x]) for x in xs]
    margins = [(1 - float(y) * s).relu() for y, s in zip(ys, scores)]
    data_loss = Value.sum(margins) * (1.0 / len(margins))
    params = model.parameters()
    reg_loss = alpha * Value.dot(params, params)
    accuracy = sum((float(y) > 0) == (s.data > 0) for y, s in zip(ys, scores)) / len(ys)
    return data_loss + reg_loss, accuracy
