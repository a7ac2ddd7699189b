"""The API reference: one page per public module of ``autograd`` and ``nn``, made at build time.

A module is public when no part of its dotted name starts with an underscore (the rule the test
suite applies as well). Its page shows the module's docstring and, from their docstrings, the
names of its ``__all__`` that it defines; the names it re-exports (``autograd.exp`` is defined in
``autograd.ops.elementwise``) are listed with a link to the page that documents them, so that
every object is documented once. A new module gets its page, and its place in the navigation
under "API reference", without any change here.

The names are read from the imported modules: ``__all__`` is the contract, and some functions and
layer classes are made by factories that only a running module shows (``griffe_extensions.py``
beside this file lets mkdocstrings document those).
"""
import importlib
import pkgutil
import sys
import types
from collections import defaultdict
from pathlib import Path

import griffe
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("autograd", "nn")
API_DIR = "api"
NAV_TITLE = "API reference"


def public_module_names():
    """Every public module of the packages, packages before their modules, in name order."""
    names = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        for info in pkgutil.walk_packages(module.__path__, package + "."):
            if not any(part.startswith("_") for part in info.name.split(".")):
                names.append(info.name)
    return sorted(set(names), key=lambda name: name.split("."))


class ModuleEntry:
    """What one module's page shows: the names it defines, and those it takes from elsewhere."""

    def __init__(self, name, static):
        self.name = name
        self.module = importlib.import_module(name)
        self.exports = list(self.module.__all__)
        self.static = static
        self.defined = []        # names documented on this page
        self.borrowed = []       # (name, object) for names documented elsewhere

    def classify(self):
        """Split ``__all__`` into the names defined here and the names re-exported."""
        first_name = {}
        for name in self.exports:
            obj = getattr(self.module, name)
            if isinstance(obj, types.ModuleType):
                self.borrowed.append((name, obj))
                continue
            member = self.static.members.get(name)
            defined_in_source = (member is not None and not member.is_alias
                                 and not member.is_module)
            defined_at_run_time = getattr(obj, "__module__", None) == self.name
            if defined_in_source or defined_at_run_time:
                if id(obj) in first_name and not isinstance(obj, (int, float, str, bool)):
                    self.borrowed.append((name, obj))      # a second name for the same object
                    continue
                first_name[id(obj)] = name
                self.defined.append(name)
            else:
                self.borrowed.append((name, obj))


def load_entries():
    """The classified modules, by name."""
    sys.path.insert(0, str(ROOT))
    loader = griffe.GriffeLoader(search_paths=[str(ROOT)])
    packages = {package: loader.load(package) for package in PACKAGES}
    entries = {}
    for name in public_module_names():
        static = packages[name.split(".")[0]]
        for part in name.split(".")[1:]:
            static = static.members[part]
        entries[name] = ModuleEntry(name, static)
        entries[name].classify()
    adopt_orphans(entries)
    return entries


def documented_paths(entries):
    """id(object) -> the dotted path where it is documented (its first definition)."""
    paths = {}
    for entry in entries.values():
        paths.setdefault(id(entry.module), entry.name)
        for name in entry.defined:
            obj = getattr(entry.module, name)
            paths.setdefault(id(obj), f"{entry.name}.{name}")
    return paths


def adopt_orphans(entries):
    """A name re-exported from a private module, or from a module whose ``__all__`` leaves it
    out, is documented by the first public module that exports it."""
    paths = documented_paths(entries)
    for entry in entries.values():
        for name, obj in list(entry.borrowed):
            if id(obj) not in paths:
                entry.borrowed.remove((name, obj))
                entry.defined.append(name)
                paths[id(obj)] = f"{entry.name}.{name}"


def page_path(module_name, module_names):
    """``api/nn/layers/index.md`` for a package (the page of its section), ``api/nn/losses.md``
    for a module."""
    parts = "/".join(module_name.split("."))
    is_package = any(other.startswith(module_name + ".") for other in module_names)
    return f"{API_DIR}/{parts}/index.md" if is_package else f"{API_DIR}/{parts}.md"


def page_text(entry, paths):
    """The Markdown of one module's page."""
    lines = ["---", f"title: {entry.name}", "---", "", f"::: {entry.name}", "    options:"]
    if entry.defined:
        lines.append("      members:")
        lines += [f"        - {name}" for name in entry.defined]
    else:
        lines.append("      members: false")
    if entry.borrowed:
        by_home = defaultdict(list)
        for name, obj in entry.borrowed:
            path = paths[id(obj)]
            home = path if isinstance(obj, types.ModuleType) else path.rpartition(".")[0]
            by_home[home].append((name, path))
        lines += ["", "## Names from other modules", "",
                  f"`{entry.name}` also exports these names; each is documented where it is "
                  "defined.", ""]
        for home, names in by_home.items():
            links = ", ".join(f"[`{name}`][{path}]" for name, path in names)
            lines.append(f"- from [`{home}`][{home}]: {links}")
    return "\n".join(lines) + "\n"


def nav_tree(module_names):
    """The navigation entries of the reference: a section per package, its modules inside."""
    def section(package):
        children = [page_path(package, module_names)]
        for name in module_names:
            if name.rpartition(".")[0] != package:
                continue
            is_package = any(other.startswith(name + ".") for other in module_names)
            children.append({name: section(name)} if is_package
                            else page_path(name, module_names))
        return children
    return [{package: section(package)} for package in PACKAGES]


_entries = {}


def on_config(config):
    """Put the module pages into the navigation, in the "API reference" section."""
    _entries.clear()
    _entries.update(load_entries())
    for item in config.nav or []:
        if isinstance(item, dict) and NAV_TITLE in item:
            overview = [entry for entry in item[NAV_TITLE] if isinstance(entry, str)]
            item[NAV_TITLE] = overview + nav_tree(list(_entries))
            return config
    raise KeyError(f"mkdocs.yml: the nav needs a section named {NAV_TITLE!r}")


def on_files(files, config):
    """Add the generated module pages to the site."""
    paths = documented_paths(_entries)
    for name, entry in _entries.items():
        files.append(File.generated(config, page_path(name, list(_entries)),
                                    content=page_text(entry, paths)))
    return files
