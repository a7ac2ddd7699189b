"""Argument types shared by the command modules (argparse ``type=`` callables)."""
import argparse
import math

__all__ = ["positive_int", "non_negative_int", "positive_float", "fraction", "decay_factor"]


def _number(text, convert, what, accept):
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
    if not accept(value):
        raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
    return value


def positive_int(text):
    """An integer >= 1."""
    return _number(text, int, "a positive integer", lambda v: v >= 1)


def non_negative_int(text):
    """An integer >= 0."""
    return _number(text, int, "a non-negative integer", lambda v: v >= 0)


def positive_float(text):
    """A finite number > 0."""
    return _number(text, float, "a positive number", lambda v: v > 0 and math.isfinite(v))


def fraction(text):
    """A number in [0, 1)."""
    return _number(text, float, "a number in [0, 1)", lambda v: 0.0 <= v < 1.0)


def decay_factor(text):
    """A number in (0, 1]: a multiplicative decay (1 for none)."""
    return _number(text, float, "a number in (0, 1]", lambda v: 0.0 < v <= 1.0)
