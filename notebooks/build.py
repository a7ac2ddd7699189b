"""Build the teaching notebooks from their plain-Python sources in ``notebooks/src/``.

    python notebooks/build.py            # write notebooks/*.ipynb (no outputs)
    python notebooks/build.py --check    # exit 1 if a committed notebook differs from its source
    python notebooks/build.py --execute  # also run each notebook and save it with its outputs

A source file is Python split into cells by lines that start with ``# %%``; a cell whose marker is
``# %% [markdown]`` holds Markdown written as ``#``-comment lines. Committed notebooks carry no
outputs, so they never go stale; ``--execute`` (or opening them in Jupyter) produces the outputs.
"""
import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "src"


def parse_cells(text):
    """Split a percent-format source into (kind, source) cells."""
    cells, kind, lines = [], None, []

    def flush():
        body = "\n".join(lines).strip("\n")
        if kind is not None and body:
            cells.append((kind, body))

    for line in text.splitlines():
        if line.startswith("# %%"):
            flush()
            kind = "markdown" if "[markdown]" in line else "code"
            lines = []
        elif kind == "markdown":
            lines.append(line[2:] if line.startswith("# ") else line.lstrip("#"))
        elif kind is not None:
            lines.append(line)
    flush()
    return cells


def build_notebook(source_path):
    """The notebook (without outputs) for one source file."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, body) in enumerate(parse_cells(source_path.read_text())):
        cell = nbformat.v4.new_markdown_cell(body) if kind == "markdown" else nbformat.v4.new_code_cell(body)
        cell["id"] = f"{source_path.stem[:20]}-{i}"
        nb.cells.append(cell)
    return nb


def notebook_text(nb):
    """Canonical JSON text of a notebook (stable across runs)."""
    return nbformat.writes(nb) + "\n"


def targets():
    """(source, notebook path) pairs, in order."""
    return [(src, HERE / (src.stem + ".ipynb")) for src in sorted(SOURCES.glob("*.py"))]


def execute(nb, timeout=900):
    """Run a notebook in a fresh kernel (from the repository root) and return it with outputs."""
    from nbclient import NotebookClient
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE.parent)}})
    client.execute()
    return nb


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a notebook is out of date")
    parser.add_argument("--execute", action="store_true", help="run the notebooks and keep outputs")
    args = parser.parse_args(argv)
    stale = []
    for source, path in targets():
        nb = build_notebook(source)
        if args.check:
            if not path.exists() or path.read_text() != notebook_text(nb):
                stale.append(path.name)
            continue
        if args.execute:
            nb = execute(nb)
        tmp = path.with_suffix(".ipynb.tmp")
        tmp.write_text(notebook_text(nb))
        tmp.replace(path)
        print(f"wrote {path.relative_to(HERE.parent)}")
    if stale:
        print("out of date (run python notebooks/build.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
