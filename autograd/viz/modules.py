"""Which module each value of a drawing belongs to, for clusters and ``depth`` collapsing.

An op result knows the module that recorded it (``value.scope``, a dotted path such as ``0`` or
``encoder.1``). A parameter is created outside any forward pass, so its module comes from the
model's ``named_parameters()`` when a model is given (``0.kernel`` belongs to ``0``); without a
model, a trainable leaf whose every use lies in one module is drawn inside that module.
"""

__all__ = ["ModuleInfo", "owner_path", "module_paths"]


class ModuleInfo:
    """What a model tells a drawing: dotted parameter names and module class names by path."""

    def __init__(self, model=None):
        self.model = model
        self.parameter_names = {}  # id(parameter) -> dotted name, e.g. "0.kernel"
        self.module_types = {}     # dotted module path -> class name, e.g. "0" -> "Dense"
        if model is None:
            return
        if not hasattr(model, "named_parameters"):
            raise TypeError("draw_graph(model=...): expected an nn.Module with named_parameters(), "
                            f"got {type(model).__name__}")
        self.parameter_names = {id(p): name for name, p in model.named_parameters()}
        if hasattr(model, "named_modules"):
            self.module_types = {path: type(module).__name__
                                 for path, module in model.named_modules() if path}

    def cluster_title(self, path):
        """``"0: Dense"`` when the model names the module's class, else just the path."""
        kind = self.module_types.get(path)
        return f"{path}: {kind}" if kind else path


def owner_path(parameter_name):
    """The module path of a dotted parameter name (``"0.kernel"`` -> ``"0"``; top level -> None)."""
    path, _, _ = parameter_name.rpartition(".")
    return path or None


def module_paths(index, info):
    """The module path (or None) of every indexed value, by position."""
    nodes = index.nodes
    paths = [node.scope for node in nodes]
    user_scopes = {}  # leaf position -> scopes of the ops that read it
    for i, node in enumerate(nodes):
        if node.op is not None:
            for j in index.graph_operands(i):
                if nodes[j].op is None:
                    user_scopes.setdefault(j, set()).add(node.scope)
    for j, node in enumerate(nodes):
        if node.op is not None:
            continue
        name = info.parameter_names.get(id(node))
        if name is not None:
            paths[j] = owner_path(name)
        elif paths[j] is None and info.model is None and node.requires_grad:
            scopes = user_scopes.get(j, set())
            if len(scopes) == 1:
                paths[j] = next(iter(scopes))
    return paths
