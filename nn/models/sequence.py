"""A recurrent classifier of sequences (``--model lstm`` of ``lucidgrad train``).

On MNIST it reads each 28x28 image as a sequence of 28 rows of 28 pixels, one row per time step
("sequential MNIST"), and classifies it from the last output of a Keras-style LSTM::

    LSTM(128) over (28 steps, 28 features)  ->  Dense(num_classes, softmax)

``lucidgrad train --model lstm`` trains it with Adam (lr 1e-3), batch 64, for 5 epochs.
"""
from ..containers import Sequential
from ..layers import Dense
from ..layers.keras_recurrent import GRU, LSTM, SimpleRNN

__all__ = ["recurrent_classifier"]

_CELLS = {"lstm": LSTM, "gru": GRU, "rnn": SimpleRNN}


def recurrent_classifier(input_shape, num_classes, units=128, cell="lstm", **_):
    """A recurrent layer of ``units`` (``cell``: 'lstm', 'gru' or 'rnn') over sequences of
    ``input_shape`` ``(steps, features)``, then a softmax over ``num_classes``; returns an
    uncompiled ``Sequential``. Options it does not know are ignored."""
    input_shape = tuple(input_shape)
    if len(input_shape) != 2:
        raise ValueError(f"{cell}: expected one sample's shape (steps, features), got {input_shape}")
    if cell not in _CELLS:
        raise ValueError(f"recurrent_classifier: cell must be one of {sorted(_CELLS)}, got {cell!r}")
    return Sequential([_CELLS[cell](units, input_shape=input_shape),
                       Dense(num_classes, activation="softmax")])
