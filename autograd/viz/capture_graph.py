"""``draw_capture``: what the graph becomes at run time, drawn.

A captured step (``autograd.capture``) is a list of numpy calls and the buffers they read and
write. Drawn, each buffer is a box (its dtype and shape; the step's inputs, the arrays it reads
from outside, such as parameters, and those it updates in place are marked) and each call an oval naming the numpy
function and the op it belongs to, in the order the replay runs them. The picture of
``draw_graph`` (ops and values) turns into this one (calls and buffers).
"""
import numpy as np

from ..capture import _root
from .labels import escape, html_label
from .render import GraphDrawing
from .styles import EDGE_ATTRS, GRAPH_ATTRS, NODE_ATTRS

__all__ = ["draw_capture"]

_CALL = {"shape": "ellipse", "style": "filled", "fillcolor": "#e8eefc", "color": "#4a6fb5"}
_BUFFER = {"shape": "box", "style": "rounded,filled", "fillcolor": "#ffffff", "color": "#777777"}
_INPUT = {**_BUFFER, "fillcolor": "#e6f4ea", "color": "#2e7d32"}
_STATE = {**_BUFFER, "fillcolor": "#fff4e0", "color": "#b26a00"}


def draw_capture(step, max_calls=80, rankdir="TB", title=None):
    """Draw a captured step: ``step`` is a ``capture`` object (its latest recording is drawn)
    or a ``Recording``. At most ``max_calls`` calls are drawn (the rest are counted in a note).
    Returns a Graphviz drawing, like ``draw_graph``."""
    recording = getattr(step, "recording", step)
    if recording is None or not hasattr(recording, "calls"):
        raise ValueError("draw_capture: nothing recorded yet; call the captured function once")
    inputs = {id(_root(b)) for b in recording.inputs}
    owned = recording._owned_roots
    written = {id(_root(out)) for call in recording.calls for out in call.outputs()}
    graph = GraphDrawing(name=title or "captured step")
    graph.attr("graph", rankdir=rankdir, **GRAPH_ATTRS)
    graph.attr("node", **NODE_ATTRS)
    graph.attr("edge", **EDGE_ATTRS)
    drawn = set()

    def buffer_node(array):
        root = _root(array)
        key = f"b{id(root)}"
        if key not in drawn:
            drawn.add(key)
            kind = ("input" if id(root) in inputs else "buffer" if id(root) in owned else
                    "state (updated in place)" if id(root) in written else "read from outside")
            attrs = {"input": _INPUT, "buffer": _BUFFER}.get(kind, _STATE)
            graph.node(key, html_label(escape(f"{root.dtype}{list(root.shape)}"),
                                       f"<FONT POINT-SIZE='9'>{escape(kind)}</FONT>"), **attrs)
        return key

    calls = recording.calls
    for index, call in enumerate(calls[:max_calls]):
        name = f"c{index}"
        graph.node(name, html_label(escape(f"{index}: {call.name()}"),
                                    f"<FONT POINT-SIZE='9'>{escape(call.label)}</FONT>"), **_CALL)
        for array in _read_arrays(call):
            graph.edge(buffer_node(array), name)
        for out in call.outputs():
            graph.edge(name, buffer_node(out))
    if len(calls) > max_calls:
        graph.node("more", f"... {len(calls) - max_calls} more calls", shape="note")
    return graph


def _read_arrays(call):
    """The arrays a call reads (its array arguments, ``out=`` excluded)."""
    for value in call.args:
        yield from _arrays_in(value)
    for key, value in call.kwargs.items():
        if key != "out":
            yield from _arrays_in(value)


def _arrays_in(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays_in(item)

