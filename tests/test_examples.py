"""Every Python example of the README and of the documentation site runs as written.

Each ```` ```python ```` block of ``README.md`` and of the pages under ``docs/`` is one test. Sybil's
Markdown parser finds the blocks; each block runs in a namespace of its own (so it must import
what it uses, as a reader copying it would) and in a temporary working directory (examples that
save files leave nothing behind). A block whose first line starts with ``>>>`` is a doctest: what
it prints is checked as well.

Blocks that load MNIST run on a small budget: ``load_mnist`` hands them the first 2,000 training
and 500 test images. Where MNIST is not on the machine (the suite never downloads), they get
random images and labels of MNIST's shapes and types instead, so that the code still runs; their
numbers are then meaningless, and the test says so in its output.
"""
import functools
from pathlib import Path

import numpy as np
import pytest
from sybil import Document
from sybil.parsers.markdown import PythonCodeBlockParser

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
TRAIN_BUDGET, TEST_BUDGET = 2_000, 500


def code_blocks(path):
    """The Python blocks of one Markdown file: (line, [Sybil examples in it]) in order."""
    parser = PythonCodeBlockParser()
    document = Document.parse(str(path), parser)
    blocks = [(region.start, region.end) for region in parser.codeblock_parser(document)]
    examples = list(document.examples())
    return [(document.text.count("\n", 0, start) + 1,
             [e for e in examples if start <= e.start < end])
            for start, end in blocks]


BLOCKS = [(path, line, examples) for path in PAGES for line, examples in code_blocks(path)]


def test_the_examples_are_found():
    assert len(BLOCKS) >= 10
    assert any(path.name == "README.md" for path, _, _ in BLOCKS)


@functools.cache
def small_mnist():
    """The small budget of MNIST (read once per test process); random stand-ins when MNIST is
    not on this machine."""
    from nn.data import datasets

    if datasets.dataset_dir(datasets.MNIST) is None:
        rng = np.random.default_rng(0)
        return ((rng.integers(0, 256, (TRAIN_BUDGET, 28, 28), dtype=np.uint8),
                 rng.integers(0, 10, TRAIN_BUDGET, dtype=np.uint8)),
                (rng.integers(0, 256, (TEST_BUDGET, 28, 28), dtype=np.uint8),
                 rng.integers(0, 10, TEST_BUDGET, dtype=np.uint8)))
    (x_train, y_train), (x_test, y_test) = datasets.load_idx_dataset(datasets.MNIST, None, False)
    return ((x_train[:TRAIN_BUDGET].copy(), y_train[:TRAIN_BUDGET].copy()),
            (x_test[:TEST_BUDGET].copy(), y_test[:TEST_BUDGET].copy()))


def load_small_mnist(path=None, download=True):
    """What the examples' ``load_mnist()`` returns in the tests: fresh copies of the budget."""
    from nn.data import datasets

    if datasets.dataset_dir(datasets.MNIST) is None:
        print("MNIST is not on this machine: the example runs on random stand-in images")
    return tuple(tuple(array.copy() for array in split) for split in small_mnist())


@pytest.mark.parametrize("path,line,examples", BLOCKS,
                         ids=[f"{path.relative_to(ROOT)}:{line}" for path, line, _ in BLOCKS])
def test_example_runs(path, line, examples, tmp_path, monkeypatch):
    import nn.data
    from nn.data import datasets

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setattr(datasets, "load_mnist", load_small_mnist)
    monkeypatch.setattr(nn.data, "load_mnist", load_small_mnist)
    examples[0].document.namespace.clear()
    for example in examples:
        example.evaluate()
