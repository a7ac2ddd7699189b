"""Subcommands of the ``lucidgrad`` command line, one module each.

A command module ``nn/commands/<name>.py`` exposes ``add_arguments(parser)``, which declares its
options on an ``argparse`` parser, and ``run(args) -> int``, which does the work and returns the
exit status. The first line of the module's docstring is its one-line help. ``nn.cli`` lists the
modules it knows in ``nn.cli.COMMANDS``.
"""
from . import generate, graph, train

__all__ = ["generate", "graph", "train"]
