"""Reading graph drawings in tests: the node statements, edges and clusters of DOT text, what a
rendered SVG shows (``svg_structure``); and ``needs_dot``, the mark of tests that run Graphviz's
``dot`` program."""
import re
import shutil

import pytest

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def statements(source):
    """``(nodes, edges)``: node id -> its full statement line, and the (tail, head) pairs."""
    nodes, edges = {}, []
    for line in source.splitlines():
        line = line.strip()
        edge = re.fullmatch(r'("?[\w.]+"?) -> ("?[\w.]+"?)', line)
        if edge:
            edges.append((edge.group(1).strip('"'), edge.group(2).strip('"')))
            continue
        node = re.match(r'(\w+) \[', line)
        if node and node.group(1) not in ("graph", "node", "edge"):
            nodes[node.group(1)] = line
    return nodes, edges


def clusters(source):
    """Cluster name -> ids of the nodes declared directly inside it, and name -> parent."""
    members, parents, stack = {}, {}, []
    for line in source.splitlines():
        line = line.strip()
        opened = re.match(r'subgraph "?(cluster_[^" ]*)"? \{', line)
        if opened:
            name = opened.group(1)
            parents[name] = stack[-1] if stack else None
            members[name] = []
            stack.append(name)
        elif line == "}" and stack:
            stack.pop()
        elif stack:
            node = re.match(r'(\w+) \[', line)
            if node and node.group(1) not in ("graph", "node", "edge"):
                members[stack[-1]].append(node.group(1))
    return members, parents


def find(nodes, text):
    """The one node whose statement contains ``text``."""
    found = [n for n, line in nodes.items() if text in line]
    assert len(found) == 1, f"{text!r} in {found}"
    return found[0]


def svg_structure(svg_text):
    """What an SVG that Graphviz rendered shows, without where: for every node, edge and cluster,
    its kind, its title (the node's id, ``a->b`` for an edge) and its texts, as a sorted list; and
    the graph's own texts first. Positions, sizes and fonts, which differ between Graphviz
    versions, are left out."""
    import xml.etree.ElementTree as ElementTree

    svg = "{http://www.w3.org/2000/svg}"
    root = ElementTree.fromstring(svg_text)
    graph = root.find(f"{svg}g")
    items = []
    for group in graph.iter(f"{svg}g"):
        kind = group.get("class")
        if kind not in ("node", "edge", "cluster"):
            continue
        title = (group.findtext(f"{svg}title") or "").strip()
        texts = tuple(t.strip() for t in
                      ("".join(text.itertext()) for text in group.iter(f"{svg}text")) if t.strip())
        items.append((kind, title, texts))
    own = tuple((text.text or "").strip() for text in graph.findall(f"{svg}text"))
    return [("graph", (graph.findtext(f"{svg}title") or "").strip(), own)] + sorted(items)
