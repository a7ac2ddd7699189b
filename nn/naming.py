"""Keras-style automatic names for layers and models: ``dense``, ``dense_1``, ``sequential``, ...

A module created without ``name=`` is named after its class in snake case (``Dense`` ->
``dense``, ``BatchNormalization`` -> ``batch_normalization``, ``Sequential`` -> ``sequential``),
with ``_1``, ``_2``, ... appended for the second, third, ... of that prefix in this Python
session, as Keras does; the names of one model are therefore unique. ``clear_session()``
starts the counts again (Keras's ``clear_session``). A name given by the user is kept as it is.
"""
import contextlib
import re
from collections import Counter

__all__ = ["to_snake_case", "unique_name", "reserve", "clear_session", "restoring_names"]

_USED = Counter()
_RESTORING = [0]  # > 0 while saved models are rebuilt: their names come from the file
_SNAKE = {}


def to_snake_case(class_name):
    """``'Conv2D'`` -> ``'conv2d'``, ``'BatchNormalization'`` -> ``'batch_normalization'``,
    ``'LeakyReLU'`` -> ``'leaky_re_lu'``: Keras's rule for turning a class name into a prefix."""
    snake = _SNAKE.get(class_name)
    if snake is None:
        text = re.sub(r"\W+", "", class_name)
        text = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", text)
        snake = _SNAKE[class_name] = re.sub("([a-z])([A-Z])", r"\1_\2", text).lower()
    return snake


def unique_name(prefix):
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ... (counted per prefix)."""
    if _RESTORING[0]:
        return prefix  # a placeholder: the caller sets the saved name right after
    count = _USED[prefix]
    _USED[prefix] += 1
    return prefix if count == 0 else f"{prefix}_{count}"


def reserve(name):
    """Count ``name`` (e.g. a saved layer's ``dense_3``) as handed out, so that later automatic
    names do not repeat it: the next ``dense`` is at least ``dense_4``."""
    match = re.fullmatch(r"(.+)_(\d+)", name)
    prefix, number = (match.group(1), int(match.group(2))) if match else (name, 0)
    _USED[prefix] = max(_USED[prefix], number + 1)


def clear_session():
    """Forget the automatic names handed out so far: the next ``Dense`` is ``dense`` again."""
    _USED.clear()


@contextlib.contextmanager
def restoring_names():
    """While active, automatic names are placeholders that count nothing: for rebuilding layers
    whose saved names are set (and ``reserve``d) right after."""
    _RESTORING[0] += 1
    try:
        yield
    finally:
        _RESTORING[0] -= 1
