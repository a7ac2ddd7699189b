"""How each kind of box looks, and the legend that explains it.

==============  =====================================================
kind            look
==============  =====================================================
output          blue box, thick border
parameter       amber box (``nn.Parameter`` or any leaf that requires grad)
input           green box (a leaf that does not require grad: data)
intermediate    white box (computed by an op)
constant        small grey box (a plain number or array operand)
op              grey ellipse with the op's name
summary         yellow note: values folded to stay within ``max_nodes``
module          lilac 3-D box: a module collapsed by ``depth``
==============  =====================================================

Over any of these, a NaN or Inf in the data or gradient turns the border and text red, and an
all-zero gradient makes the border grey and dashed.
"""
from .labels import escape

__all__ = ["KINDS", "DESCRIPTIONS", "GRAPH_ATTRS", "NODE_ATTRS", "EDGE_ATTRS", "node_attrs",
           "cluster_attrs", "legend_label"]


FONT = "Helvetica"

KINDS = {
    "output": {"shape": "box", "style": "filled,rounded", "fillcolor": "#cfe0fc",
               "color": "#2f5fa8", "penwidth": "2"},
    "parameter": {"shape": "box", "style": "filled,rounded", "fillcolor": "#fde9b6",
                  "color": "#b7860b"},
    "input": {"shape": "box", "style": "filled,rounded", "fillcolor": "#d7ecd0",
              "color": "#4f7f45"},
    "intermediate": {"shape": "box", "style": "filled,rounded", "fillcolor": "#ffffff",
                     "color": "#5b5b5b"},
    "constant": {"shape": "box", "style": "filled", "fillcolor": "#eeeeee", "color": "#b0b0b0",
                 "fontsize": "9"},
    "op": {"shape": "ellipse", "style": "filled", "fillcolor": "#eef1f5", "color": "#7a8594",
           "fontsize": "10"},
    "summary": {"shape": "note", "style": "filled", "fillcolor": "#fff4c7", "color": "#a08a2e"},
    "module": {"shape": "box3d", "style": "filled", "fillcolor": "#e9e1f7", "color": "#6a4c9c"},
}

NONFINITE = {"color": "#d62728", "fillcolor": "#ffe0e0", "penwidth": "2"}
ZERO_GRAD = {"color": "#9a9a9a"}

DESCRIPTIONS = {
    "output": "output",
    "parameter": "parameter / leaf that requires grad",
    "input": "input (leaf without grad)",
    "intermediate": "intermediate value",
    "constant": "constant operand",
    "op": "operation",
    "summary": "folded values (node budget)",
    "module": "collapsed module",
}

GRAPH_ATTRS = {"fontname": FONT, "fontsize": "12", "labelloc": "t", "nodesep": "0.25",
               "ranksep": "0.35"}
NODE_ATTRS = {"fontname": FONT, "fontsize": "11", "margin": "0.08,0.04", "height": "0.3"}
EDGE_ATTRS = {"color": "#555555", "arrowsize": "0.6"}
CLUSTER_ATTRS = {"style": "rounded,filled", "color": "#8c8ca8", "fontname": FONT,
                 "fontsize": "11", "labeljust": "l"}
CLUSTER_FILLS = ("#f6f6fb", "#ececf6", "#e2e2f1")


def node_attrs(kind, nonfinite=False, zero_grad=False):
    """Graphviz attributes of a box of ``kind``, with the NaN/Inf and zero-gradient highlights."""
    attrs = dict(KINDS[kind])
    if zero_grad:
        attrs.update(ZERO_GRAD)
        attrs["style"] += ",dashed"
    if nonfinite:
        attrs.update(NONFINITE)
    return attrs


def cluster_attrs(title, level):
    """Attributes of the cluster box of a module nested ``level`` deep (0 = top level)."""
    attrs = dict(CLUSTER_ATTRS, label=title)
    attrs["fillcolor"] = CLUSTER_FILLS[min(level, len(CLUSTER_FILLS) - 1)]
    return attrs


def legend_label(kinds, nonfinite=False, zero_grad=False):
    """A small table with a swatch and a description for each kind drawn (in ``KINDS`` order)."""
    def row(swatch, text):
        return (f'<TR><TD {swatch} WIDTH="18"> </TD>'
                f'<TD ALIGN="LEFT">{text}</TD></TR>')

    rows = ['<TR><TD COLSPAN="2" ALIGN="LEFT"><B>legend</B></TD></TR>']
    for kind in KINDS:
        if kind in kinds:
            look = KINDS[kind]
            rows.append(row(f'BORDER="1" COLOR="{look["color"]}" BGCOLOR="{look["fillcolor"]}"',
                            escape(DESCRIPTIONS[kind])))
    if nonfinite:
        look = f'BORDER="1" COLOR="{NONFINITE["color"]}" BGCOLOR="{NONFINITE["fillcolor"]}"'
        rows.append(row(look, f'<FONT COLOR="{NONFINITE["color"]}">NaN or Inf</FONT>'))
    if zero_grad:
        rows.append(row('BORDER="1" STYLE="dashed" COLOR="#9a9a9a"', "all-zero gradient"))
    return ('<<TABLE BORDER="1" COLOR="#c8c8c8" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")
