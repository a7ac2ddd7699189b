"""``draw_graph``: a Graphviz drawing of the graph behind a ``Value`` or ``Tensor``.

The drawing is built in three steps, each in its own module: index the graph (``traversal``),
decide what to fold into summary boxes (``modules`` and ``summarize``), then emit DOT here, with
the box text from ``labels`` and the looks from ``styles``. Node ids are ``n<k>`` for the value
numbered ``k`` in data-flow order, ``n<k>_op`` for the op that computed it, ``n<k>_c<j>`` for its
constant operand ``j`` and ``s<k>`` for summary boxes, so the same graph always gives the same
DOT text.
"""
from collections import Counter

import graphviz

from ..engine import collector_paused
from ..node import Node
from .labels import (chain_label, constant_label, escape, html_label, module_label, op_label,
                     overflow_label, ValueText)
from .modules import ModuleInfo, module_paths
from .render import GraphDrawing
from .styles import (EDGE_ATTRS, GRAPH_ATTRS, NODE_ATTRS, cluster_attrs, legend_label,
                     node_attrs)
from .summarize import Plan, apply_budget, collapse_chains, collapse_modules
from .traversal import GraphIndex

__all__ = ["draw_graph", "RANKDIRS"]


RANKDIRS = ("LR", "TB", "RL", "BT")
OP_KINDS_SHOWN = 8


def draw_graph(output, *, rankdir="LR", show_data=True, show_grad=True, highlight_nonfinite=True,
               highlight_zero_grad=True, max_nodes=200, model=None, depth=None, title=None,
               legend=True):
    """Draw the computation graph that produced ``output`` as a ``graphviz.Digraph``.

    ``output`` is a ``Value`` or ``Tensor``, or a list of them (drawn together, shared parts once).
    Each value is a box (its name; the number for a scalar; dtype, shape and a short preview for
    a tensor; its gradient when it has one, e.g. leaves after ``backward()`` or values that called
    ``retain_grad()``), each op an ellipse, and edges follow the data: operands -> op -> result.
    The box colours tell outputs, parameters (leaves that require grad), inputs, intermediates
    and constants apart (see ``autograd.viz.styles``; ``legend=True`` adds a key). Graphs already
    released by ``backward()`` still draw: the structure stays, only saved buffers are freed.

    Options:
        rankdir: ``'LR'`` (left to right), ``'TB'``, ``'RL'`` or ``'BT'``.
        show_data, show_grad: include the data / gradient lines in the boxes.
        highlight_nonfinite: red boxes for values whose data or gradient holds NaN or Inf.
        highlight_zero_grad: grey dashed boxes for values whose gradient is all zeros.
        max_nodes: the most boxes drawn (op ellipses and constants not counted); beyond it, long
            chains of ops fold into "… N more multiply ops …" boxes, then everything farthest from
            the outputs folds into one box that counts it by op. ``None`` draws everything.
        model: an ``nn.Module``: names parameters (``0.kernel``) and titles module clusters with
            their class (``0: Dense``). Without it, clusters come from the scope labels alone.
        depth: draw modules nested deeper than this as a single box each (``0``: every
            top-level module is one box); ``None`` keeps every op.
        title: a caption above the drawing.

    Ops recorded inside a module's forward carry its path (``value.scope``) and are drawn inside
    nested ``cluster_<path>`` boxes. Render with ``autograd.viz.render(graph, 'graph.svg')``;
    ``.source`` is the DOT text and needs no Graphviz install.
    """
    outputs = _as_outputs(output)
    _check_options(rankdir, max_nodes, depth)
    with collector_paused():
        return _draw(outputs, rankdir, max_nodes, model, depth, title, legend, {
            "show_data": show_data, "show_grad": show_grad,
            "highlight_nonfinite": highlight_nonfinite,
            "highlight_zero_grad": highlight_zero_grad})


def _draw(outputs, rankdir, max_nodes, model, depth, title, legend, options):
    index = GraphIndex(outputs)
    info = ModuleInfo(model)
    paths = module_paths(index, info)
    plan = Plan(index)
    if depth is not None:
        collapse_modules(plan, paths, depth)
    if max_nodes is not None:
        collapse_chains(plan, paths, max_nodes)
        apply_budget(plan, max_nodes)
    return _DotBuilder(index, paths, plan, info, options, max_nodes).build(rankdir, title, legend)


def _as_outputs(output):
    outputs = list(output) if isinstance(output, (list, tuple)) else [output]
    if not outputs:
        raise ValueError("draw_graph: got an empty list of outputs")
    for out in outputs:
        if not isinstance(out, Node):
            raise TypeError("draw_graph: expected a Value or Tensor (or a list of them), "
                            f"got {type(out).__name__}")
    return outputs


def _check_options(rankdir, max_nodes, depth):
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}, "
                         f"got {rankdir!r}")
    if max_nodes is not None and (not isinstance(max_nodes, int) or max_nodes < 1):
        raise ValueError(f"draw_graph: max_nodes must be a positive int or None, got {max_nodes!r}")
    if depth is not None and (not isinstance(depth, int) or depth < 0):
        raise ValueError(f"draw_graph: depth must be a non-negative int or None, got {depth!r}")


class _DotBuilder:
    """Collects boxes per module cluster and edges in order, then writes the ``Digraph``."""

    def __init__(self, index, paths, plan, info, options, budget):
        self.index, self.paths, self.plan, self.info = index, paths, plan, info
        self.options, self.budget = options, budget
        self.outputs = set(index.outputs)
        self.cluster_nodes = {None: []}  # module path (None: top level) -> [(id, label, attrs)]
        self.edges = {}                  # (tail, head) -> None, an ordered set
        self.kinds = set()
        self.saw_nonfinite = self.saw_zero_grad = False

    # ------------------------------------------------------------------ collecting
    def add_node(self, path, node_id, label, kind, nonfinite=False, zero_grad=False, **extra):
        self.kinds.add(kind)
        self.saw_nonfinite |= nonfinite
        self.saw_zero_grad |= zero_grad
        attrs = dict(node_attrs(kind, nonfinite, zero_grad), **extra)
        self.cluster_nodes.setdefault(path, []).append((node_id, label, attrs))

    def box_of(self, position):
        group = self.plan.group_of.get(position)
        return f"n{position}" if group is None else f"s{group.number}"

    def add_value(self, i):
        node, path = self.index.nodes[i], self.paths[i]
        if i in self.outputs:
            kind = "output"
        elif node.op is not None:
            kind = "intermediate"
        else:
            named = id(node) in self.info.parameter_names  # a frozen parameter is still one
            kind = "parameter" if node.requires_grad or named else "input"
        name = self.info.parameter_names.get(id(node)) or node.name
        text = ValueText(node, name, self.options["show_data"], self.options["show_grad"])
        self.add_node(path, f"n{i}", text.label, kind,
                      nonfinite=self.options["highlight_nonfinite"] and text.nonfinite,
                      zero_grad=self.options["highlight_zero_grad"] and text.zero_grad)
        if node.op is None:
            return
        op_id = f"n{i}_op"
        self.add_node(path, op_id, op_label(node.op.name), "op")
        for slot, (position, constant) in enumerate(self.index.operands(i)):
            if position is not None:
                self.edges[self.box_of(position), op_id] = None
            else:
                constant_id = f"n{i}_c{slot}"
                self.add_node(path, constant_id, constant_label(constant), "constant")
                self.edges[constant_id, op_id] = None
        self.edges[op_id, f"n{i}"] = None

    def connect_hidden(self, i, group):
        """Edges into a summary box from whatever feeds its members from outside."""
        box = f"s{group.number}"
        for j in self.index.graph_operands(i):
            source = self.box_of(j)
            if source != box:
                self.edges[source, box] = None

    def add_group(self, group):
        nodes = self.index.nodes
        members = group.members
        if group.kind == "chain":
            label, kind = chain_label(_ranked_op_counts(nodes, members)), "summary"
        elif group.kind == "module":
            ops = [m for m in members if nodes[m].op is not None]
            parameters = [nodes[m] for m in members if nodes[m].op is None and (
                nodes[m].requires_grad or id(nodes[m]) in self.info.parameter_names)]
            output = nodes[ops[-1]] if ops else None
            label = module_label(self.info.cluster_title(group.key), len(ops), len(parameters),
                                 sum(_size(p) for p in parameters), output)
            kind = "module"
        else:
            leaves = sum(1 for m in members if nodes[m].op is None)
            label = overflow_label(len(members), _ranked_op_counts(nodes, members), leaves,
                                   self.budget)
            kind = "summary"
        holds_output = any(m in self.outputs for m in members)
        self.add_node(group.path, f"s{group.number}", label, kind,
                      **({"penwidth": "2.5"} if holds_output else {}))

    # ------------------------------------------------------------------ writing
    def build(self, rankdir, title, legend):
        for i in range(len(self.index)):
            group = self.plan.group_of.get(i)
            if group is None:
                self.add_value(i)
            else:
                self.connect_hidden(i, group)
        for group in self.plan.live_groups():
            self.add_group(group)

        graph = GraphDrawing(name=graphviz.nohtml(title or "computation graph"),
                             graph_attr=dict(GRAPH_ATTRS, rankdir=rankdir),
                             node_attr=NODE_ATTRS, edge_attr=EDGE_ATTRS)
        caption = self.caption(title)
        if caption:
            graph.attr(label=caption)
        if legend:
            graph.node("legend", legend_label(self.kinds, self.saw_nonfinite, self.saw_zero_grad),
                       shape="plain", fontsize="9")
        self.write_nodes(graph, None)
        self.children = self.cluster_children()
        for child in self.children[None]:
            graph.subgraph(self.cluster(child, 0))
        for tail, head in self.edges:
            graph.edge(tail, head)
        return graph

    def caption(self, title):
        folded = [g for g in self.plan.live_groups() if g.kind != "module"]
        lines = [f"<B>{escape(title)}</B>" if title else ""]
        if folded:
            hidden = sum(len(g.members) for g in folded)
            lines.append(f"{len(self.index) - hidden:,} of {len(self.index):,} values drawn; "
                         f"{hidden:,} folded into {len(folded)} summary "
                         f"box{'es' if len(folded) != 1 else ''} (max_nodes={self.budget:,})")
        return html_label(*lines) if any(lines) else None

    def write_nodes(self, graph, path):
        for node_id, label, attrs in self.cluster_nodes.get(path, []):
            graph.node(node_id, label, **attrs)

    def cluster_children(self):
        """Module path -> its nested module paths, in order of first appearance."""
        children = {None: []}
        for path in self.cluster_nodes:
            if path is None:
                continue
            parts = path.split(".")
            for k in range(1, len(parts) + 1):
                prefix, parent = ".".join(parts[:k]), ".".join(parts[:k - 1]) or None
                if prefix not in children:
                    children[prefix] = []
                    children[parent].append(prefix)
        return children

    def cluster(self, path, level):
        title = graphviz.nohtml(self.info.cluster_title(path))
        sub = GraphDrawing(name=f"cluster_{path}", graph_attr=cluster_attrs(title, level))
        self.write_nodes(sub, path)
        for child in self.children[path]:
            sub.subgraph(self.cluster(child, level + 1))
        return sub


def _ranked_op_counts(nodes, members):
    """``[(op name, count)]`` over the members computed by an op, most frequent first; past
    ``OP_KINDS_SHOWN`` kinds the rest are counted together as ``other ops``."""
    counts = Counter(nodes[m].op.name for m in members if nodes[m].op is not None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if len(ranked) > OP_KINDS_SHOWN:
        others = sum(n for _, n in ranked[OP_KINDS_SHOWN - 1:])
        ranked = ranked[:OP_KINDS_SHOWN - 1] + [("other ops", others)]
    return ranked


def _size(node):
    return getattr(node.data, "size", 1)
