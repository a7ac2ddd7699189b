"""``plot_model``: a Keras-style diagram of a model's layers, one box per layer.

Each box shows the layer's name and class (``dense (Dense)``, as in ``summary``), its settings (``784 -> 512, activation=relu``), its
output shape (batch axis ``None``) and its parameter count; arrows follow the data between layers.
Output shapes and arrows come from running one zero sample through the model in inference mode
while each direct child notes what it received and returned, so models written PyTorch-style (any
``forward``) are drawn as they really run, skip connections included. Without a known input shape
the boxes of a ``Sequential`` are simply chained in order.
"""
import graphviz
import numpy as np

from autograd import Node, Tensor, enable_grad
from autograd.viz import GraphDrawing
from autograd.viz.labels import escape, html_label

from .containers import Sequential
from .module import Module
from .training.summary import count_parameters, find_input_shape, layer_label

__all__ = ["plot_model"]

INPUT = "input"
RANKDIRS = ("TB", "LR", "BT", "RL")
HEADER_FILL = "#e9e1f7"
INPUT_FILL = "#d7ecd0"


def plot_model(model, input_shape=None, *, rankdir="TB", show_shapes=True, show_params=True,
               title=None):
    """A ``graphviz.Digraph`` with one box per layer (direct child) of ``model``.

    ``input_shape`` is one sample's shape without the batch axis, e.g. ``(784,)``; by default the
    shape the model was built or trained with, or one declared by a layer (``input_shape=``).
    ``rankdir`` is ``'TB'`` (top to bottom, Keras's default) or ``'LR'``, ``'BT'``, ``'RL'``.
    Render it with ``autograd.viz.render(diagram, 'model.svg')`` or show it in Jupyter.
    """
    if not isinstance(model, Module):
        raise TypeError(f"plot_model: expected an nn.Module, got {type(model).__name__}")
    if rankdir not in RANKDIRS:
        raise ValueError(f"plot_model: rankdir must be one of {', '.join(RANKDIRS)}, "
                         f"got {rankdir!r}")
    rows = model.named_layers() or [("", model)]
    shape = _known_input_shape(model, input_shape)
    if shape is not None:
        shapes, edges = _trace_layers(model, rows, shape)
    else:
        shapes = {}
        edges = _chained(rows) if isinstance(model, Sequential) else []

    graph = GraphDrawing(name=graphviz.nohtml(title or model.name or type(model).__name__),
                         graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "12",
                                     "labelloc": "t", "nodesep": "0.3", "ranksep": "0.35"},
                         node_attr={"fontname": "Helvetica", "fontsize": "11", "shape": "plain"},
                         edge_attr={"color": "#555555", "arrowsize": "0.7"})
    graph.attr(label=_caption(model, title, shape, edges, rows))
    if shape is not None:
        graph.node(INPUT, _box(INPUT, None, _batch_shape((1,) + shape), None, show_shapes, False,
                               INPUT_FILL))
    for number, (name, module) in enumerate(rows):
        trainable, frozen = count_parameters(module)
        graph.node(f"layer{number}",
                   _box(layer_label(name, module), module.extra_repr(), shapes.get(name, "?"),
                        trainable + frozen, show_shapes, show_params, HEADER_FILL))
    ids = {name: f"layer{number}" for number, (name, _) in enumerate(rows)}
    ids[INPUT] = INPUT
    for source, target in edges:
        graph.edge(ids[source], ids[target])
    return graph


def _known_input_shape(model, input_shape):
    """One sample's shape: the argument, else what the model saw or a layer declared."""
    if input_shape is not None:
        shape = (input_shape,) if isinstance(input_shape, (int, np.integer)) else tuple(input_shape)
        if not all(isinstance(n, (int, np.integer)) and n > 0 for n in shape):
            raise ValueError(f"plot_model: input_shape must be positive ints (one sample, no batch "
                             f"axis), got {input_shape!r}")
        input_shape = tuple(int(n) for n in shape)
    return find_input_shape(model, input_shape)


def _chained(rows):
    names = [name for name, _ in rows]
    return list(zip(names, names[1:]))


def _trace_layers(model, rows, shape):
    """Run one zero sample through ``model``; return ``({layer: output shape}, [(from, to)])``.

    Each direct child, while it runs, records where its inputs came from: the model input, the
    child that last returned that very tensor, or (through ops the model applies between
    children, such as a residual ``+``) the children that fed those ops.
    """
    producer = {}   # id(tensor) -> the input or the child that most recently returned it
    returned = []   # keeps every returned tensor alive, so the ids above stay unique
    shapes, edges = {}, {}

    def recording(name, module):
        original = type(module).forward

        def forward(*args, **kwargs):
            for source in _sources(list(args) + list(kwargs.values()), producer):
                if source != name:
                    edges[source, name] = None
            out = original(module, *args, **kwargs)
            for tensor in _tensors(out):
                producer[id(tensor)] = name
                returned.append(tensor)
            shapes[name] = _batch_shape(_shape_of(out))
            return out

        return forward

    dtype = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
    x = Tensor(np.zeros((1,) + shape, dtype=dtype), requires_grad=True)  # so every op records
    producer[id(x)] = INPUT
    wrapped = [(name, m) for name, m in rows if m is not model and "forward" not in m.__dict__]
    for name, module in wrapped:
        module.__dict__["forward"] = recording(name, module)
    try:
        with model.mode(False), enable_grad():
            out = model(x)
    finally:
        for _, module in wrapped:
            module.__dict__.pop("forward", None)
    if len(rows) == 1 and rows[0][1] is model:
        shapes[""] = _batch_shape(_shape_of(out))
        edges[INPUT, ""] = None
    return shapes, list(edges)


def _sources(values, producer):
    """The recorded producers that ``values`` were computed from, in first-seen order."""
    found = {}
    stack = list(reversed(_tensors(values)))
    seen = set()
    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        if id(tensor) in producer:
            found[producer[id(tensor)]] = None
        else:
            stack.extend(x for x in reversed(tensor.inputs) if isinstance(x, Node))
    return list(found)


def _tensors(value):
    """The graph objects in ``value`` (a tensor, or nested lists/tuples/dicts of them)."""
    if isinstance(value, Node):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    return []


def _shape_of(out):
    tensors = _tensors(out)
    if len(tensors) == 1 and not isinstance(out, (list, tuple, dict)):
        return tuple(np.shape(tensors[0].data))
    return [tuple(np.shape(t.data)) for t in tensors]


def _batch_shape(shape):
    """``(None, 512)``: the traced batch axis of size 1 shown as ``None``, as Keras does."""
    if isinstance(shape, list):
        return "[" + ", ".join(str(_batch_shape(s)) for s in shape) + "]"
    return (None,) + tuple(shape[1:]) if shape else ()


def _box(title, settings, output_shape, parameters, show_shapes, show_params, fill):
    """A layer box: a table with the title, the settings, the output shape and the count."""
    rows = [f'<TR><TD COLSPAN="2" BGCOLOR="{fill}"><B>{escape(title)}</B></TD></TR>']
    if settings:
        text = settings if len(settings) <= 60 else settings[:59] + "…"
        rows.append(f'<TR><TD COLSPAN="2">{escape(text)}</TD></TR>')
    if show_shapes:
        rows.append(f'<TR><TD ALIGN="LEFT">output</TD><TD>{escape(output_shape)}</TD></TR>')
    if show_params and parameters is not None:
        rows.append(f'<TR><TD ALIGN="LEFT">params</TD><TD>{parameters:,}</TD></TR>')
    return ('<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="4" COLOR="#6a4c9c" '
            'BGCOLOR="white" STYLE="rounded">' + "".join(rows) + "</TABLE>>")


def _caption(model, title, shape, edges, rows):
    trainable, frozen = count_parameters(model)
    heading = title or model.name or type(model).__name__
    counts = f"{trainable + frozen:,} parameters ({trainable:,} trainable)"
    note = ""
    if shape is None and not edges and len(rows) > 1:
        note = "input shape unknown: pass input_shape= to draw the data flow"
    return html_label(f"<B>{escape(heading)}</B>", escape(counts), escape(note))
