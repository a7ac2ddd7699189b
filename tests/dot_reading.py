"""Reading the DOT text of graph drawings in tests: node statements, edges and clusters; and
``needs_dot``, the mark of tests that run Graphviz's ``dot`` program."""
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
