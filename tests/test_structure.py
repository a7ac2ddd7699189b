"""The shape of the code: no import cycles inside ``autograd`` or ``nn``, an ``__all__`` in every
public module, and a deliberate list of public names at the top of ``autograd``."""
import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("autograd", "nn")


def module_files():
    """module name -> path, for every module of the packages."""
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def imported_modules(name, path, known):
    """The modules of ``known`` that ``name`` imports anywhere in its body (functions included:
    an import deferred into a function still makes the two modules depend on each other)."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            # ``from pkg import sub`` imports the submodule; ``from pkg import name``, the module
            submodules = {f"{module}.{alias.name}" for alias in node.names} & known.keys()
            targets.update(submodules or {module})
    return {t for t in targets if t in known and t != name}


def find_cycle(graph):
    """One import cycle as a list of modules, or None (iterative depth-first search)."""
    state = {}
    for start in sorted(graph):
        if start in state:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        state[start] = "open"
        path = [start]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = "done"
                stack.pop()
                path.pop()
            elif state.get(child) == "open":
                return path[path.index(child):] + [child]
            elif child not in state:
                state[child] = "open"
                path.append(child)
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycles(package):
    files = module_files()
    graph = {name: imported_modules(name, path, files) for name, path in files.items()
             if name == package or name.startswith(package + ".")}
    graph = {name: {t for t in targets if t in graph} for name, targets in graph.items()}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def public_modules():
    for package in PACKAGES:
        yield package
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                yield info.name


@pytest.mark.parametrize("name", sorted(set(public_modules())))
def test_every_public_module_declares_all(name):
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_autograd_public_names_are_the_documented_list():
    import autograd
    # submodules become attributes of their package once imported; a few share a name with the
    # function they define (``autograd.tensor``, ``autograd.gradcheck``), which wins
    submodules = {info.name for info in pkgutil.iter_modules(autograd.__path__)} - set(autograd.__all__)
    public = {n for n in dir(autograd) if not n.startswith("_")} - submodules
    drawing = {"draw_graph", "draw_capture", "render", "GraphvizNotFoundError"}  # loaded on first use
    assert public == set(autograd.__all__) - drawing
    assert "np" not in public and "unbroadcast" in public
    readme = (ROOT / "README.md").read_text()
    undocumented = [n for n in autograd.__all__ if f"`{n}`" not in readme]
    assert not undocumented, f"public names the README does not list: {undocumented}"
