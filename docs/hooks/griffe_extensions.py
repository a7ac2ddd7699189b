"""Griffe extensions for the API reference (mkdocstrings reads the code through Griffe).

``RuntimeMembers``: functions and classes that exist only at run time. A few of lucidgrad's public functions and layer classes are made by factories when their module
runs (``conv1d, conv2d, conv3d = (_convolution(rank) for rank in (1, 2, 3))``), so reading the
source, as Griffe does, does not find them. For each name of a module's ``__all__`` that the
source does not define but the running module does (the object's ``__module__`` is that
module), this adds what inspecting the running module finds, docstring and signature included.

``LiteralBlocks``: lucidgrad's docstrings introduce an indented example with a reStructuredText
``::`` at the end of a sentence. The indented lines are a code block in Markdown too; this turns
the ``::`` into the ``:`` a reader expects.
"""
import importlib
import re

import griffe


def modules(package):
    """A Griffe package and its public modules (``__main__`` is not imported), not following
    imports."""
    yield package
    for name, member in package.members.items():
        if not name.startswith("_") and not member.is_alias and member.is_module:
            yield from modules(member)


class RuntimeMembers(griffe.Extension):
    """Fill in the public names that only the running module defines."""

    def on_package(self, *, pkg, loader, **kwargs):
        for module in modules(pkg):
            running = importlib.import_module(module.path)
            missing = [name for name in getattr(running, "__all__", ())
                       if name not in module.members
                       and getattr(getattr(running, name), "__module__", None) == module.path]
            if not missing:
                continue
            inspected = griffe.inspect(module.path, filepath=module.filepath,
                                       docstring_parser=loader.docstring_parser,
                                       docstring_options=loader.docstring_options)
            for name in missing:
                module.set_member(name, inspected[name])


class LiteralBlocks(griffe.Extension):
    """``an example::`` followed by an indented block reads ``an example:`` on the site."""

    LITERAL = re.compile(r"(?<=\S)::$", re.MULTILINE)

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = self.LITERAL.sub(":", obj.docstring.value)
