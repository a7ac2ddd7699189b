"""Decide which values a drawing shows one by one and which it folds into summary boxes.

Three kinds of summary box, applied in this order:

* ``module``: with ``depth=d``, every module nested deeper than ``d`` becomes one box;
* ``chain``: over the node budget, the longest chains of ops (``multiply`` feeding ``multiply`` feeding
  ``tanh``..., each result used only by the next op, all in one module) keep their first and last
  value and fold the rest into a "… 99,998 more multiply ops …" box;
* ``overflow``: still over budget, the boxes nearest the outputs (breadth-first) are kept and
  everything farther away goes into a single box that counts what it holds.

Nothing is dropped silently: every value is either drawn or counted in a box.
"""
from collections import deque

__all__ = ["Group", "Plan", "collapse_modules", "collapse_chains", "apply_budget"]


MIN_CHAIN_HIDDEN = 3  # fold a chain only when that hides at least this many values


class Group:
    """Values drawn as one summary box: ``kind`` is ``module``, ``chain`` or ``overflow``;
    ``path`` is the module cluster the box sits in; ``key`` the module path of a ``module`` box."""

    __slots__ = ("number", "kind", "members", "path", "key")

    def __init__(self, number, kind, path=None, key=None):
        self.number, self.kind, self.path, self.key = number, kind, path, key
        self.members = []


class Plan:
    """The fate of every indexed value: drawn itself, or a member of a ``Group``."""

    def __init__(self, index):
        self.index = index
        self.group_of = {}  # position -> Group
        self.groups = []

    def new_group(self, kind, path=None, key=None):
        group = Group(len(self.groups), kind, path, key)
        self.groups.append(group)
        return group

    def hide(self, position, group):
        self.group_of[position] = group
        group.members.append(position)

    def merge(self, group, into):
        """Move every member of ``group`` into ``into`` (``group`` is then empty, not drawn)."""
        for position in group.members:
            self.group_of[position] = into
        into.members.extend(group.members)
        group.members = []

    def is_visible(self, position):
        return position not in self.group_of

    def live_groups(self):
        return [g for g in self.groups if g.members]

    def drawn_count(self):
        """How many boxes the drawing has now: visible values plus summary boxes."""
        return len(self.index) - len(self.group_of) + len(self.live_groups())


def collapse_modules(plan, paths, depth):
    """Fold each module nested deeper than ``depth`` (``0`` = every top-level module) into a box."""
    boxes = {}
    for i, path in enumerate(paths):
        if path is None:
            continue
        parts = path.split(".")
        if len(parts) <= depth:
            continue
        key = ".".join(parts[:depth + 1])
        if key not in boxes:
            parent = key.rpartition(".")[0] or None
            boxes[key] = plan.new_group("module", path=parent, key=key)
        plan.hide(i, boxes[key])


def collapse_chains(plan, paths, budget):
    """Fold the longest chains of ops until the drawing fits ``budget`` boxes.

    In a chain each result feeds only the next op (its first such operand), so folding its
    middle hides no branch; the ops may differ (``multiply``, ``tanh``, ``multiply``, ``tanh``...)."""
    excess = plan.drawn_count() - budget
    if excess <= 0:
        return
    index = plan.index
    outputs = set(index.outputs)
    successor = {}
    for i, node in enumerate(index.nodes):
        if node.op is None or not plan.is_visible(i):
            continue
        for j in index.graph_operands(i):
            before = index.nodes[j]
            if (before.op is not None and index.uses[j] == 1 and j not in outputs
                    and plan.is_visible(j) and paths[j] == paths[i]):
                successor[j] = i
                break
    follows = set(successor.values())
    chains = []
    for start in successor:
        if start in follows:
            continue
        chain = [start]
        while chain[-1] in successor:
            chain.append(successor[chain[-1]])
        if len(chain) - 2 >= MIN_CHAIN_HIDDEN:
            chains.append(chain)
    chains.sort(key=lambda chain: (-len(chain), chain[0]))
    for chain in chains:
        if excess <= 0:
            break
        group = plan.new_group("chain", path=paths[chain[0]])
        for i in chain[1:-1]:
            plan.hide(i, group)
        excess -= len(chain) - 3  # hides len - 2 values, adds one box


def apply_budget(plan, budget):
    """Keep the ``budget - 1`` boxes nearest the outputs; fold the rest into one overflow box."""
    if plan.drawn_count() <= budget:
        return
    index = plan.index

    # An item is a visible value (its position, >= 0) or a summary box (-1 - group number).
    def item(position):
        group = plan.group_of.get(position)
        return position if group is None else -1 - group.number

    def item_operands(it):
        members = [it] if it >= 0 else plan.groups[-1 - it].members
        return [item(j) for m in members for j in index.graph_operands(m)]

    queue = deque(dict.fromkeys(item(o) for o in index.outputs))
    seen = set(queue)
    kept = set()
    while queue and len(kept) < budget - 1:
        it = queue.popleft()
        kept.add(it)
        for operand in item_operands(it):
            if operand not in seen:
                seen.add(operand)
                queue.append(operand)

    overflow = plan.new_group("overflow")
    for group in plan.groups[:-1]:
        if group.members and -1 - group.number not in kept:
            plan.merge(group, overflow)
    for i in range(len(index)):
        if plan.is_visible(i) and i not in kept:
            plan.hide(i, overflow)
    overflow.members.sort()
