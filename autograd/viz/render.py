"""Turning a drawing into an image with Graphviz's ``dot`` program.

Building a drawing needs only the ``graphviz`` Python package (``.source`` is the DOT text);
rendering it (``render``, Jupyter's inline SVG) also needs the Graphviz programs. Without them,
``GraphvizNotFoundError`` says how to install them.
"""
import contextlib
from pathlib import Path

import graphviz

__all__ = ["render", "GraphDrawing", "GraphvizNotFoundError", "FORMATS"]


FORMATS = ("png", "svg", "pdf", "dot")

INSTALL_HINT = """\
drawing the graph needs the Graphviz '{program}' program, which is not on PATH.
Install Graphviz, then start a new shell:
  Debian/Ubuntu:  sudo apt-get install graphviz
  Fedora:         sudo dnf install graphviz
  macOS:          brew install graphviz
  conda:          conda install -c conda-forge graphviz
  Windows:        winget install graphviz   (then add its bin folder to PATH)
Without it, graph.source still gives the DOT text, which any Graphviz viewer can show."""


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Raised when an image is requested but the Graphviz ``dot`` program is not installed."""

    def __init__(self, program="dot"):
        RuntimeError.__init__(self, INSTALL_HINT.format(program=program))


@contextlib.contextmanager
def _friendly_missing_dot(program):
    """Turn graphviz's bare "failed to execute" error into one that says how to install dot."""
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(program) from None


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose rendering (``pipe``, ``render``, Jupyter's inline SVG via
    ``_repr_mimebundle_``) raises ``GraphvizNotFoundError`` with install instructions when the
    ``dot`` program is missing."""

    def pipe(self, *args, **kwargs):
        """The rendered graph as bytes (text with ``encoding=``); see ``graphviz.Digraph.pipe``."""
        with _friendly_missing_dot(self.engine):
            return super().pipe(*args, **kwargs)

    def render(self, *args, **kwargs):
        """Save the source and render it to a file; see ``graphviz.Digraph.render``."""
        with _friendly_missing_dot(self.engine):
            return super().render(*args, **kwargs)

    def _repr_svg_(self):
        """Inline SVG for notebook front ends that ask for ``_repr_svg_``."""
        return self.pipe(format="svg", encoding="utf-8")


def render(graph, path, format=None):
    """Write ``graph`` (any ``graphviz`` graph) as an image file and return its ``Path``.

    ``format`` is ``'png'``, ``'svg'`` or ``'pdf'``, or ``'dot'`` for the DOT text (which needs
    no Graphviz install); by default it comes from the file suffix (``graph.svg``), else PNG.
    Only that file is written (no ``.gv`` source next to an image). Raises
    ``GraphvizNotFoundError`` when an image is asked for and the ``dot`` program is not installed.
    """
    path = Path(path)
    if format is None:
        suffix = path.suffix[1:].lower()
        format = suffix if suffix in FORMATS else "png"
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}, got {format!r}")
    if not hasattr(graph, "pipe"):
        raise TypeError("render: expected a graphviz graph (e.g. from draw_graph), "
                        f"got {type(graph).__name__}")
    if format == "dot":
        content = graph.source.encode("utf-8")
    else:
        with _friendly_missing_dot(getattr(graph, "engine", "dot")):
            content = graph.pipe(format=format)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path
