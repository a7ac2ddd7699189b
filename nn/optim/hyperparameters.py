"""Checked hyperparameters for optimizers and learning-rate schedules: each function returns the
value converted, or raises a ValueError naming the owner's class and the hyperparameter."""
import math
from collections.abc import Mapping

import numpy as np

__all__ = ["stored_scalar", "non_negative", "optional_positive", "fraction", "positive",
           "at_least"]


def stored_name(state, where):
    """The ``'name'`` entry of a saved ``state`` (None when absent; a 0-d array from ``np.load``
    gives its value), after checking that ``state`` is a dict."""
    if not isinstance(state, Mapping):
        raise TypeError(f"{where}: expected a dict from state_dict(), got {type(state).__name__}")
    name = state.get("name")
    if isinstance(name, np.ndarray) and name.shape == ():
        name = name.item()
    return name


def stored_scalar(value, kind, name="value", where="load_state_dict"):
    """``value`` (maybe a 0-d array from ``np.load``) as a Python ``kind`` (str, bool, int or
    float), or a ValueError naming ``where`` and ``name``. Nothing is converted between kinds:
    the string 'False' is not a bool, 2.5 is not an int, True is not a number."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if kind is bool:
        valid = isinstance(value, bool)
    elif kind in (int, float):
        accepted = (int,) if kind is int else (int, float)
        valid = isinstance(value, accepted) and not isinstance(value, bool)
    else:
        valid = isinstance(value, kind)
    if not valid:
        raise ValueError(f"{where}: {name} must be a single {kind.__name__}, got {value!r}")
    return kind(value)


def _number(owner, name, value):
    """``value`` as a float; strings, booleans and other objects are refused, not converted."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                     np.floating)):
        raise ValueError(f"{type(owner).__name__}: {name} must be a number, got {value!r}")
    return float(value)


def flag(owner, name, value):
    """``value`` as a bool (True, False or numpy's), or a ValueError naming the owner."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{type(owner).__name__}: {name} must be True or False, got {value!r}")
    return bool(value)


def non_negative(owner, name, value):
    """``value`` as a finite float >= 0, or a ValueError naming the owner and hyperparameter."""
    value = _number(owner, name, value)
    if not (value >= 0.0 and math.isfinite(value)):
        raise ValueError(f"{type(owner).__name__}: {name} must be a finite number >= 0, "
                         f"got {value}")
    return value


def optional_positive(owner, name, value):
    """None, or ``value`` as a float > 0 (else a ValueError naming the owner)."""
    if value is None:
        return None
    value = _number(owner, name, value)
    if not value > 0.0:
        raise ValueError(f"{type(owner).__name__}: {name} must be > 0 or None, got {value}")
    return value


def fraction(owner, name, value):
    """``value`` as a float in [0, 1), or a ValueError naming the owner and hyperparameter."""
    value = _number(owner, name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{type(owner).__name__}: {name} must be in [0, 1), got {value}")
    return value


def positive(owner, name, value):
    """``value`` as a float > 0, or a ValueError naming the owner and hyperparameter."""
    value = _number(owner, name, value)
    if not (value > 0.0 and math.isfinite(value)):
        raise ValueError(f"{type(owner).__name__}: {name} must be a finite number > 0, "
                         f"got {value}")
    return value


def at_least(owner, name, value, minimum):
    """``value`` as an int >= ``minimum`` (booleans refused), or a ValueError naming the owner."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{type(owner).__name__}: {name} must be an integer >= {minimum}, "
                         f"got {value!r}")
    return int(value)
