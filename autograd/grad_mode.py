"""Whether operations are recorded: ``no_grad``, ``enable_grad`` and ``is_grad_enabled``.

The switch is process-wide (not per thread): the engine is single-threaded by design.
"""
import contextlib

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "scope", "current_scope"]


class _Switch:
    enabled = True
    anomaly = False
    scope = None  # dotted path of the module whose forward is running (for graph drawings)
    writes = 0  # serial of the last in-place write into an array a recorded op holds (``saved``)
    capture = None  # the recorder while a step is being captured (``autograd.capture``)


def is_grad_enabled():
    """Return True when new operations are recorded into the graph."""
    return _Switch.enabled


class _SetGradEnabled(contextlib.ContextDecorator):
    _target = True

    def __init__(self):
        # A stack, not one saved value: the same instance may be entered again before it exits
        # (a decorated function that recurses, or ``with`` on a shared instance).
        self._previous = []

    def __enter__(self):
        self._previous.append(_Switch.enabled)
        _Switch.enabled = self._target
        return self

    def __exit__(self, *exc):
        _Switch.enabled = self._previous.pop()
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
        self._previous = []  # a stack, so that re-entering the same instance nests correctly

    def __enter__(self):
        outer = _Switch.scope
        self._previous.append(outer)
        if self.path:
            _Switch.scope = f"{outer}.{self.path}" if outer else self.path
        return self

    def __exit__(self, *exc):
        _Switch.scope = self._previous.pop()
        return False


def current_scope():
    """The dotted scope label that new ops receive (None outside any scope)."""
    return _Switch.scope
