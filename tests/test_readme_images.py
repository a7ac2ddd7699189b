"""The pictures in the README and the documentation (``docs/images/``) show what the engine draws
today: each is drawn again by ``examples/make_readme_images.py``'s own code, rendered, and
compared with the committed file by what it shows (every node, edge and cluster with its texts),
not byte for byte, since Graphviz versions place and size things differently. The numbers in the
labels (data and gradients, 4 significant digits) may differ in their last digit from machine to
machine (BLAS sums in a different order), so numbers are compared to 1%; names, ops, shapes and
the graph's structure must match exactly."""
import importlib.util
import math
import re
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


NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?")


def same_text(a, b):
    """Equal, but for numbers within 1% of each other."""
    if NUMBER.split(a) != NUMBER.split(b):
        return False
    return all(math.isclose(float(x), float(y), rel_tol=1e-2, abs_tol=1e-12)
               for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)))


def differences(fresh, committed):
    """The items of two drawings' structures that do not match, as (committed, fresh) pairs."""
    if [item[:2] for item in fresh] != [item[:2] for item in committed]:
        return [(item, None) for item in committed if item[:2] not in {f[:2] for f in fresh}] + \
               [(None, item) for item in fresh if item[:2] not in {c[:2] for c in committed}]
    return [(old, new) for old, new in zip(committed, fresh)
            if len(old[2]) != len(new[2]) or not all(map(same_text, old[2], new[2]))]


def test_numbers_in_labels_are_compared_loosely_and_words_exactly():
    assert same_text("grad [9.924e-06, -0.00133, 0, …]", "grad [9.923e-06, -0.00133, 0, …]")
    assert not same_text("grad [9.924e-06]", "grad [8.924e-06]")
    assert not same_text("mul", "multiply") and not same_text("(128, 10)", "(128, 11)")


@needs_dot
@pytest.mark.parametrize("name", sorted(p.name for p in IMAGES.glob("*.svg")))
def test_committed_image_is_current(name, tmp_path):
    from autograd import render

    drawing = image_maker().drawings()[name]
    fresh = svg_structure(Path(render(drawing, tmp_path / name)).read_text())
    committed = svg_structure((IMAGES / name).read_text())
    wrong = differences(fresh, committed)
    assert not wrong, (f"docs/images/{name} is out of date: run python examples/make_readme_images.py"
                       "\n" + "\n".join(f"  shown: {old}\n  drawn: {new}" for old, new in wrong[:5]))
