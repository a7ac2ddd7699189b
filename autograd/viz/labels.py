"""The text inside a drawing's boxes, as Graphviz HTML-like labels.

A value box reads, line by line: its name (bold), then for a scalar ``data 0.7071`` and for a
tensor its dtype and shape and a short preview ``data [0.1, -2, 0.5, …]``, then the gradient the
same way. A NaN or Inf is written in red. All user text (names, op names) is escaped.
"""
import html
from numbers import Number

import numpy as np

from ..node import Node

__all__ = ["escape", "html_label", "red", "number_text", "array_preview", "shape_text",
           "nonfinite_note", "ValueText", "op_label", "constant_label", "chain_label", "module_label",
           "overflow_label"]


RED = "#d62728"
PREVIEW_ITEMS = 4


def escape(text):
    """``text`` made safe inside an HTML-like label."""
    return html.escape(str(text), quote=False)


def html_label(*lines):
    """Join already-escaped lines into one HTML-like label (empty lines are skipped)."""
    return "<" + "<BR/>".join(line for line in lines if line) + ">"


def red(text):
    return f'<FONT COLOR="{RED}">{text}</FONT>'


def number_text(x, digits=4):
    """One number in ``digits`` significant digits (``nan`` and ``inf`` spelled out)."""
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.{digits}g}"


def array_preview(array):
    """``[1, 2, 3, …]``: the first few elements of ``array``; a 0-d array as a bare number."""
    if array.ndim == 0:
        return number_text(array.item())
    flat = array.reshape(-1)
    if flat.size <= PREVIEW_ITEMS:
        return "[" + ", ".join(number_text(x) for x in flat) + "]"
    return "[" + ", ".join(number_text(x) for x in flat[:PREVIEW_ITEMS - 1]) + ", …]"


def shape_text(array):
    """``float32 (128, 784)``, or ``float32 scalar`` for a 0-d array."""
    shape = tuple(array.shape)
    return f"{escape(array.dtype)} {escape(shape) if shape else 'scalar'}"


def nonfinite_note(array):
    """``"2 nan, 1 inf"`` for the non-finite elements of a float array, ``""`` if there are none."""
    if not np.issubdtype(array.dtype, np.inexact):
        return ""
    nans = int(np.isnan(array).sum())
    infs = int(np.isinf(array).sum())
    parts = [f"{nans:,} nan" if nans else "", f"{infs:,} inf" if infs else ""]
    return ", ".join(p for p in parts if p)


def _raw(x):
    """The plain number or ndarray behind a gradient (a ``Value``/``Tensor`` under create_graph)."""
    return x.data if isinstance(x, Node) else x


class ValueText:
    """The label of one value box and what the styling needs to know about it."""

    __slots__ = ("label", "nonfinite", "zero_grad")

    def __init__(self, node, name=None, show_data=True, show_grad=True):
        lines = [f"<B>{escape(name)}</B>" if name else ""]
        data = node.data
        data_line, data_bad = _quantity_line("data", data)
        if isinstance(data, np.ndarray):
            lines.append(shape_text(data))
        if show_data:
            lines.append(data_line)
        grad = _raw(node.grad) if node.grad is not None else None
        grad_bad = zero = False
        if grad is not None:
            grad_line, grad_bad = _quantity_line("grad", grad)
            zero = not np.any(grad)
            if show_grad:
                lines.append(grad_line)
        self.label = html_label(*lines) if any(lines) else html_label(" ")
        self.nonfinite = data_bad or grad_bad
        self.zero_grad = zero


def _quantity_line(title, x):
    """``"grad [0.1, 0.2]"`` (red when it holds a NaN or Inf) and whether it does."""
    if isinstance(x, np.ndarray):
        text = f"{title} {escape(array_preview(x))}"
        note = nonfinite_note(x)
        if note:
            return red(f"{text} ({note})"), True
        return text, False
    text = f"{title} {escape(number_text(x))}"
    if isinstance(x, Number) and not np.isfinite(x):
        return red(text), True
    return text, False


def op_label(op_name):
    """The label of an op ellipse: its name."""
    return html_label(escape(op_name))


def constant_label(value):
    """A constant operand: a number, an array preview, or a shortened repr."""
    if isinstance(value, Number) or isinstance(value, np.generic):
        return html_label(escape(number_text(value, digits=6)))
    if isinstance(value, np.ndarray):
        return html_label(shape_text(value), escape(array_preview(value)))
    text = repr(value)
    return html_label(escape(text if len(text) <= 30 else text[:29] + "…"))


def chain_label(op_counts):
    """The box standing for a folded chain: ``… 99,998 more multiply ops …``, or with several ops
    ``… 1,998 more ops …`` over a line counting each (``multiply 999, tanh 999``)."""
    total = sum(n for _, n in op_counts)
    if len(op_counts) == 1:
        return html_label(f"… {total:,} more {escape(op_counts[0][0])} ops …")
    return html_label(f"… {total:,} more ops …", _count_rows(op_counts))


def _count_rows(counts, per_row=4):
    items = [f"{escape(name)} {n:,}" for name, n in counts]
    return "<BR/>".join(", ".join(items[i:i + per_row]) for i in range(0, len(items), per_row))


def module_label(title, op_count, parameter_count, parameter_size, output):
    """The box standing for a collapsed module: its path and type, output shape, what it holds."""
    lines = [f"<B>{escape(title)}</B>"]
    if output is not None and isinstance(output.data, np.ndarray):
        lines.append("out " + shape_text(output.data))
    holds = f"{op_count:,} op{'s' if op_count != 1 else ''}"
    if parameter_count:
        holds += (f", {parameter_count:,} parameter{'s' if parameter_count != 1 else ''}"
                  f" ({parameter_size:,} numbers)")
    lines.append(holds)
    return html_label(*lines)


def overflow_label(count, op_counts, leaf_count, budget):
    """The box counting everything beyond the node budget, by op."""
    counts = list(op_counts)
    if leaf_count:
        counts.append(("leaves" if leaf_count != 1 else "leaf", leaf_count))
    return html_label(f"<B>… {count:,} more values not drawn …</B>", _count_rows(counts),
                      f"(max_nodes={budget:,})")
