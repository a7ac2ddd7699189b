"""The teaching notebooks are current (built from ``notebooks/src``) and run top to bottom.

They run on a small data budget (``LUCIDGRAD_NOTEBOOK_BUDGET=small``) so the suite stays fast;
users running them get the full budget.
"""
import importlib.util
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("notebook_build", ROOT / "notebooks" / "build.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)

TARGETS = build.targets()
# the datasets a notebook loads, by the loader it calls (notebooks must not download in tests)
NEEDS = {"load_mnist(": "MNIST", "load_fashion_mnist(": "FASHION_MNIST"}
TEXTS = {"load_words(": "WORDS", "load_tang_poems(": "TANG_POEMS"}


def missing_datasets(source):
    """The datasets ``source`` loads that are not on this machine (nothing is downloaded)."""
    from nn.data import datasets

    text = source.read_text()
    return ([name for call, name in NEEDS.items()
             if call in text and datasets.dataset_dir(getattr(datasets, name)) is None]
            + [name for call, name in TEXTS.items() if call in text and not _text_found(name)])


def _text_found(name):
    from nn.data import DatasetError
    from nn.data import text

    try:
        text.find_text_file(getattr(text, name))
    except DatasetError:
        return False
    return True


def test_there_are_notebooks():
    assert len(TARGETS) >= 7


@pytest.mark.parametrize("source,path", TARGETS, ids=[p.name for _, p in TARGETS])
def test_committed_notebook_matches_its_source(source, path):
    assert path.exists(), f"{path.name} missing: run python notebooks/build.py"
    assert path.read_text() == build.notebook_text(build.build_notebook(source)), \
        f"{path.name} is out of date: run python notebooks/build.py"


@pytest.mark.parametrize("source,path", TARGETS, ids=[p.name for _, p in TARGETS])
def test_notebook_runs_top_to_bottom(source, path, monkeypatch):
    missing = missing_datasets(source)
    if missing:
        hint = ("install Debian's wamerican (the word list) or fortunes-zh (the Tang poems)"
                if set(missing) <= set(TEXTS.values()) else
                "set LUCIDGRAD_DATA to a folder with mnist/ (and fashion-mnist/)")
        pytest.skip(f"{path.name} needs {' and '.join(missing)}: {hint} to run it")
    monkeypatch.setenv("LUCIDGRAD_NOTEBOOK_BUDGET", "small")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    # one BLAS thread per kernel, as conftest gives parallel workers, also when the suite runs in
    # one process: on a busy machine BLAS threads waiting for a core made small products 100x slower
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = build.execute(build.build_notebook(source), timeout=600)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
