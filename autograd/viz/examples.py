"""Small ready-made graphs to draw: the classic single neuron of the teaching engines."""
from ..value import Value

__all__ = ["neuron"]


def neuron():
    """``o = tanh(x1*w1 + x2*w2 + b)`` after ``o.backward()``, with every value named and keeping
    its gradient (``retain_grad``) so a drawing shows data and gradient everywhere.

    The inputs are chosen so that ``o = tanh(0.8814) = 0.7071`` and ``do/dn = 1 - o**2 = 0.5``.
    """
    x1, x2 = Value(2.0, name="x1"), Value(0.0, name="x2")
    w1, w2 = Value(-3.0, name="w1"), Value(1.0, name="w2")
    b = Value(6.881373587019543, name="b")
    x1w1 = _named(x1 * w1, "x1*w1")
    x2w2 = _named(x2 * w2, "x2*w2")
    total = _named(x1w1 + x2w2, "x1*w1 + x2*w2")
    n = _named(total + b, "n")
    o = _named(n.tanh(), "o")
    o.backward()
    return o


def _named(value, name):
    value.name = name
    return value.retain_grad()
