"""The seed recipe's multilayer perceptron."""
from ..containers import Sequential
from ..layers import Dense

__all__ = ["mlp"]


def mlp(input_shape: tuple, num_classes: int, hidden_units=(512,), activation="relu", **_):
    """The seed recipe: ``Dense(512, relu)`` then ``Dense(num_classes, softmax)``.

    ``hidden_units`` changes the hidden layers (``(16, 16)`` gives a 2-16-16-2 net for the moons).
    """
    layers = []
    for index, units in enumerate(hidden_units):
        shape = {"input_shape": tuple(input_shape)} if index == 0 else {}
        layers.append(Dense(units, activation=activation, **shape))
    shape = {} if layers else {"input_shape": tuple(input_shape)}
    layers.append(Dense(num_classes, activation="softmax", **shape))
    return Sequential(layers)
