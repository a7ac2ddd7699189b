"""``detect_anomaly``: find the op whose backward produced the first NaN or Inf."""
import contextlib

from .grad_mode import _Switch

__all__ = ["detect_anomaly"]


class detect_anomaly(contextlib.ContextDecorator):
    """Context manager and decorator. Inside it every op records where the user created it, and
    backward raises ``AnomalyError`` at the first non-finite gradient, naming the op and showing
    that place. It slows everything down: use it to debug, not to train."""

    def __init__(self):
        self._previous = []  # a stack: a decorated function may recurse into itself

    def __enter__(self):
        self._previous.append(_Switch.anomaly)
        _Switch.anomaly = True
        return self

    def __exit__(self, *exc):
        _Switch.anomaly = self._previous.pop()
        return False
