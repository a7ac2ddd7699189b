"""The ``lucidgrad`` command line: ``lucidgrad <command> [options]``, also ``python -m nn``.

Each command lives in ``nn/commands/<name>.py`` and is listed in ``COMMANDS``. Without a command,
``train`` runs, so ``python -m nn --epochs 1`` trains the default model.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType
from typing import Sequence

from .commands import export, generate, graph, train

__all__ = ["COMMANDS", "DEFAULT_COMMAND", "build_parser", "main"]

COMMANDS = {"train": train, "graph": graph, "generate": generate, "export": export}
DEFAULT_COMMAND = "train"


def _summary(module: ModuleType) -> str:
    return (module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else ""


def build_parser(commands: dict[str, ModuleType] = COMMANDS) -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="lucidgrad",
        description="Train and inspect lucidgrad models. Without a command, 'train' runs.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="command")
    for name, module in commands.items():
        summary = _summary(module)
        sub = subparsers.add_parser(name, help=summary, description=summary)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` (default: ``sys.argv[1:]``), run the command and return its exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, DEFAULT_COMMAND)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("lucidgrad: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
