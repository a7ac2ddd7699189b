"""The pictures in the README and the documentation (``docs/images/``) show what the engine draws
today: each is drawn again by ``examples/make_readme_images.py``'s own code, rendered, and
compared with the committed file by what it shows (every node, edge and cluster with its texts),
not byte for byte, since Graphviz versions place and size things differently."""
import importlib.util
from pathlib import Path

import pytest

from dot_reading import needs_dot, svg_structure

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"


def image_maker():
    spec = importlib.util.spec_from_file_location(
        "make_readme_images", ROOT / "examples" / "make_readme_images.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_committed_image_is_made_by_the_command():
    assert sorted(image_maker().drawings()) == sorted(p.name for p in IMAGES.glob("*.svg"))


def test_the_readme_shows_the_images():
    readme = (ROOT / "README.md").read_text()
    assert "docs/images/neuron.svg" in readme and "docs/images/mlp.svg" in readme


@needs_dot
@pytest.mark.parametrize("name", sorted(p.name for p in IMAGES.glob("*.svg")))
def test_committed_image_is_current(name, tmp_path):
    from autograd import render

    drawing = image_maker().drawings()[name]
    fresh = svg_structure(Path(render(drawing, tmp_path / name)).read_text())
    committed = svg_structure((IMAGES / name).read_text())
    gone = [item for item in committed if item not in fresh]
    new = [item for item in fresh if item not in committed]
    assert fresh == committed, (
        f"docs/images/{name} is out of date: run python examples/make_readme_images.py\n"
        f"  shown now but not drawn any more: {gone[:5]}\n  drawn now but not shown: {new[:5]}")
