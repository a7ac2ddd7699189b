"""Pictures of computation graphs: ``draw_graph`` builds a Graphviz drawing of the graph behind a
``Value`` or ``Tensor`` (clustered by module for ``nn`` models), ``render`` writes it as PNG, SVG
or PDF. Building needs only the ``graphviz`` Python package; images need the Graphviz ``dot``
program (``GraphvizNotFoundError`` says how to install it).

    from autograd.viz import draw_graph, render
    graph = draw_graph(loss, model=model)
    render(graph, "loss.svg")      # or display ``graph`` in Jupyter, or read ``graph.source``

``draw_capture`` draws a captured step (``autograd.capture``) as its buffers and numpy calls.
"""
from .capture_graph import draw_capture
from .graph import draw_graph
from .render import GraphDrawing, GraphvizNotFoundError, render

__all__ = ["draw_graph", "draw_capture", "render", "GraphDrawing", "GraphvizNotFoundError"]
