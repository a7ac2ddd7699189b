"""The documentation site builds, strictly, and shows what it should.

``mkdocs build --strict`` fails on any warning: a broken link or image, a page missing from the
navigation, a reference the API reference cannot resolve, a docstring mkdocstrings cannot read.
The notebooks on the site are copies executed with the full data budget
(``python notebooks/build.py --docs``); they must still hold the cells of their sources and have
run cleanly, which is checked without running them (``test_notebooks.py`` runs the sources).
Each page's code examples are run by ``test_examples.py``. The build takes about 10 s (it
executes nothing), so it runs with the default suite.
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebooks = load("notebook_build", ROOT / "notebooks" / "build.py")


def test_executed_notebook_copies_are_current():
    stale = notebooks.stale_docs_copies()
    assert not stale, ("the notebooks on the documentation site are out of date: run "
                       f"python notebooks/build.py --docs NAME for {stale}")


def test_every_notebook_is_on_the_site():
    config = (ROOT / "mkdocs.yml").read_text()
    for _, path in notebooks.targets():
        assert f"notebooks/{path.name}" in config, f"{path.name} is not in mkdocs.yml's nav"


def test_executed_copies_show_figures():
    """The figures are in the copies (a kernel whose backend hid them would pass the rest)."""
    shown = 0
    for _, path in notebooks.targets():
        nb = nbformat.read(notebooks.docs_path(path), as_version=4)
        shown += sum("image/png" in output.get("data", {}) or "image/svg+xml" in output.get("data", {})
                     for cell in nb.cells for output in cell.get("outputs", []))
    assert shown >= 10


def built_page(site, source):
    """Where MkDocs writes the page made from ``source`` (``guide/tour.md`` ->
    ``guide/tour/index.html``, ``api/nn/index.md`` -> ``api/nn/index.html``)."""
    source = Path(source)
    folder = source.parent if source.stem == "index" else source.with_suffix("")
    return site / folder / "index.html"


def test_site_builds_strict_and_complete(tmp_path):
    for package in ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter"):
        pytest.importorskip(package, reason="the docs extra is not installed")
    site = tmp_path / "site"
    # run from elsewhere, so that caches land in the temporary directory, not in the checkout
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    problems = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0, "mkdocs build --strict failed:\n" + "\n".join(
        problems or result.stderr.splitlines()[-30:])

    api = load("api_reference", ROOT / "docs" / "hooks" / "api_reference.py")
    names = api.public_module_names()
    assert {"autograd", "autograd.ops.elementwise", "nn", "nn.layers.dense"} <= set(names)
    for name in names:
        page = built_page(site, api.page_path(name, names))
        assert page.exists(), f"no reference page for {name}"
        assert f'id="{name}"' in page.read_text(), f"the page of {name} does not document it"

    elementwise = (site / "api" / "autograd" / "ops" / "elementwise" / "index.html").read_text()
    assert 'id="autograd.ops.elementwise.tanh"' in elementwise
    # made at run time by a factory, so found only by inspecting the running module
    convolution = (site / "api" / "nn" / "functional" / "convolution" / "index.html").read_text()
    assert 'id="nn.functional.convolution.conv2d"' in convolution

    for _, path in notebooks.targets():
        page = (site / "notebooks" / path.stem / "index.html").read_text()
        copy = nbformat.read(notebooks.docs_path(path), as_version=4)
        figures = sum("image/png" in output.get("data", {})
                      for cell in copy.cells for output in cell.get("outputs", []))
        assert "jp-OutputArea-output" in page, f"{path.name} is shown without its outputs"
        assert page.count("data:image/png;base64") >= figures, f"{path.name} lost figures"

    for page in site.rglob("*.html"):
        assert "fonts.googleapis.com" not in page.read_text(), f"{page} loads fonts from the web"
