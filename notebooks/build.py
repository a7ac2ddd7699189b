"""Build the teaching notebooks from their plain-Python sources in ``notebooks/src/``.

    python notebooks/build.py            # write notebooks/*.ipynb (no outputs)
    python notebooks/build.py --check    # exit 1 if a committed notebook differs from its source
    python notebooks/build.py --execute  # also run each notebook and save it with its outputs
    python notebooks/build.py --docs     # run each one (full data budget) into docs/notebooks/

A source file is Python split into cells by lines that start with ``# %%``; a cell whose marker is
``# %% [markdown]`` holds Markdown written as ``#``-comment lines. Committed notebooks carry no
outputs, so they never go stale; ``--execute`` (or opening them in Jupyter) produces the outputs.

The documentation site shows the notebooks with their outputs and figures. Those executed copies
live in ``docs/notebooks/`` and are made by ``--docs`` (it needs MNIST and Fashion-MNIST, and takes
minutes); the test suite checks that their cells are still those of the sources and that they ran
without an error, and ``--check`` reports them too. Pass notebook names to rebuild only those.
"""
import argparse
import os
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SOURCES = HERE / "src"
DOCS = ROOT / "docs" / "notebooks"
# the file name IPython gives the code of a cell, in tracebacks: <temporary dir>/ipykernel_<pid>/<hash>.py
CELL_FILE = re.compile(r"[^\s\"']*ipykernel_\d+[/\\]\d+\.py")


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
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return nb


def docs_path(notebook_path):
    """Where the executed copy of a notebook lives in the documentation."""
    return DOCS / notebook_path.name


def cells_of(nb):
    """A notebook's cells as (kind, source) pairs: what its source file decides."""
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def execution_problems(nb):
    """What shows that an executed notebook did not run cleanly top to bottom (empty if it did):
    an error output, a code cell never run, or cells run out of order."""
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    problems = [f"cell {i} raised {o.get('ename')}: {o.get('evalue')}"
                for i, cell in enumerate(code) for o in cell.get("outputs", [])
                if o.get("output_type") == "error"]
    counts = [cell.get("execution_count") for cell in code]
    if counts != list(range(1, len(code) + 1)):
        problems.append(f"execution counts {counts}, not 1..{len(code)} in order")
    return problems


def stale_docs_copies():
    """The executed copies in ``docs/notebooks/`` that are missing, run with an error, or whose
    cells differ from their sources; and the copies whose source is gone."""
    stale = []
    for source, path in targets():
        copy = docs_path(path)
        if not copy.exists():
            stale.append(f"{copy.name} (missing)")
            continue
        executed = nbformat.read(copy, as_version=4)
        problems = execution_problems(executed)
        if cells_of(executed) != cells_of(build_notebook(source)):
            stale.append(f"{copy.name} (its cells differ from {source.name})")
        elif problems:
            stale.append(f"{copy.name} ({'; '.join(problems)})")
    known = {docs_path(path).name for _, path in targets()}
    stale += [f"{p.name} (no source)" for p in sorted(DOCS.glob("*.ipynb")) if p.name not in known]
    return stale


def scrub_paths(nb):
    """Remove the places of this machine from outputs (warnings and tracebacks name files), so
    that the committed copies read the same wherever they were made: this checkout's location
    goes, and a notebook cell's temporary file becomes ``<cell>``."""
    def scrub(text):
        text = text.replace(str(ROOT) + os.sep, "")
        return CELL_FILE.sub("<cell>", text)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            for key in ("text", "evalue", "traceback"):
                if key in output:
                    output[key] = (scrub(output[key]) if isinstance(output[key], str)
                                   else [scrub(line) for line in output[key]])
            for mime, data in output.get("data", {}).items():
                if mime.startswith("text/") and isinstance(data, str):
                    output["data"][mime] = scrub(data)
    return nb


def write(path, nb):
    """Write a notebook atomically."""
    tmp = path.with_suffix(".ipynb.tmp")
    tmp.write_text(notebook_text(nb))
    tmp.replace(path)
    print(f"wrote {path.relative_to(ROOT)}")


def build_docs_copies(names=()):
    """Execute the notebooks (all, or those named) and write them with outputs to docs/notebooks/."""
    DOCS.mkdir(parents=True, exist_ok=True)
    os.environ["LUCIDGRAD_NOTEBOOK_BUDGET"] = "full"   # the kernel inherits this environment
    os.environ.pop("MPLBACKEND", None)                 # so that the kernel shows figures inline
    for source, path in targets():
        if names and path.name not in names and path.stem not in names:
            continue
        nb = execute(build_notebook(source), timeout=3600)
        problems = execution_problems(nb)
        if problems:
            raise SystemExit(f"{path.name} did not run cleanly: {'; '.join(problems)}")
        write(docs_path(path), scrub_paths(nb))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a notebook is out of date")
    parser.add_argument("--execute", action="store_true", help="run the notebooks and keep outputs")
    parser.add_argument("--docs", action="store_true",
                        help="run the notebooks and write them with outputs to docs/notebooks/")
    parser.add_argument("names", nargs="*", help="with --docs: only these notebooks")
    args = parser.parse_args(argv)
    if args.docs:
        build_docs_copies(args.names)
        return 0
    stale = []
    for source, path in targets():
        nb = build_notebook(source)
        if args.check:
            if not path.exists() or path.read_text() != notebook_text(nb):
                stale.append(path.name)
            continue
        if args.execute:
            nb = execute(nb)
        write(path, nb)
    if stale:
        print("out of date (run python notebooks/build.py): " + ", ".join(stale))
    stale_copies = stale_docs_copies() if args.check else []
    if stale_copies:
        print("executed copies out of date (run python notebooks/build.py --docs NAME): "
              + ", ".join(stale_copies))
        return 1
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
