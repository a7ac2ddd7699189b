"""Index a recorded graph: every value reachable from the outputs, numbered in data-flow order.

The walk is iterative (an explicit stack instead of recursion), so a chain of a million ops indexes
without ``RecursionError``. Values are numbered in the order a depth-first walk finishes them,
operands in the order they were written, so the same graph always gets the same numbers and an
operand always comes before the values computed from it. The numbers, never ``id()``, name the
nodes of a drawing, which keeps the DOT text identical from run to run.
"""
from ..node import Node

__all__ = ["GraphIndex", "data_flow_order"]


class GraphIndex:
    """The values reachable from ``outputs``, in data-flow order.

    ``nodes[i]`` is a graph object (``Value`` or ``Tensor``); ``links[i]`` the positions of its
    operands that are graph objects (each ``< i``), in operand order; ``uses[i]`` counts the
    operand slots that read ``nodes[i]``; ``outputs`` are the positions of the outputs, in the
    order given.
    """

    def __init__(self, outputs):
        self.nodes = data_flow_order(outputs)
        position = self._position = {id(node): i for i, node in enumerate(self.nodes)}
        self.links = [tuple(position[id(x)] for x in node.inputs if isinstance(x, Node))
                      for node in self.nodes]
        uses = self.uses = [0] * len(self.nodes)
        for links in self.links:
            for j in links:
                uses[j] += 1
        self.outputs = list(dict.fromkeys(position[id(out)] for out in outputs))

    def __len__(self):
        return len(self.nodes)

    def graph_operands(self, i):
        """Positions of the operands of ``nodes[i]`` that are graph objects, in operand order."""
        return self.links[i]

    def operands(self, i):
        """``(position, None)`` for each graph operand of ``nodes[i]`` and ``(None, value)`` for
        each plain constant (a number, an array, an index...), in operand order; an optional
        operand left out (None, such as a missing bias) is not drawn."""
        return [(self._position[id(x)], None) if isinstance(x, Node) else (None, x)
                for x in self.nodes[i].inputs if x is not None]


def data_flow_order(outputs):
    """Every graph object reachable from ``outputs`` (leaves too), in depth-first post-order:
    operands, in the order they were written, before the values that use them."""
    order = []
    finished = set()
    for root in outputs:
        if id(root) in finished:
            continue
        stack = [(root, iter(root.inputs))]
        while stack:
            node, operands = stack[-1]
            for operand in operands:
                if isinstance(operand, Node) and id(operand) not in finished:
                    stack.append((operand, iter(operand.inputs)))
                    break
            else:
                stack.pop()
                finished.add(id(node))
                order.append(node)
    return order
