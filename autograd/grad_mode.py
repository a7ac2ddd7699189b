"""Whether operations are recorded: ``no_grad``, ``enable_grad`` and ``is_grad_enabled``.

The switch is process-wide (not per thread): the engine is single-threaded by design.
"""
import contextlib


class _Switch:
    enabled = True
    anomaly = False
    scope = None  # dotted path of the module whose forward is running (for graph drawings)


def is_grad_enabled():
    """Return True when new operations are recorded into the graph."""
    return _Switch.enabled


class _SetGradEnabled(contextlib.ContextDecorator):
    _target = True

    def __enter__(self):
        self._previous = _Switch.enabled
        _Switch.enabled = self._target
        return self

    def __exit__(self, *exc):
        _Switch.enabled = self._previous
        return False


class no_grad(_SetGradEnabled):
    """Context manager and decorator: operations inside record no graph at all."""
    _target = False


class enable_grad(_SetGradEnabled):
    """Context manager and decorator: turn recording back on inside a ``no_grad`` block."""
    _target = True


class scope(contextlib.ContextDecorator):
    """Label the ops recorded inside with ``path`` (``nn.Module`` uses the module's dotted path);
    nested scopes join with dots. Graph drawings cluster nodes by this label."""

    def __init__(self, path):
        self.path = str(path)

    def __enter__(self):
        self._previous = _Switch.scope
        if self.path:
            _Switch.scope = f"{self._previous}.{self.path}" if self._previous else self.path
        return self

    def __exit__(self, *exc):
        _Switch.scope = self._previous
        return False


def current_scope():
    """The dotted scope label that new ops receive (None outside any scope)."""
    return _Switch.scope
