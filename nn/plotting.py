"""Learning curves: the loss and every metric per epoch, training and validation (and the test
result, when given), as a PNG.

matplotlib is imported on first use and drawn with its ``Agg`` canvas directly (no ``pyplot``,
no display needed, no global figure state). The image is written atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["plot_learning_curves", "learning_curve_figure", "save_png"]


def _curves(history) -> dict[str, Sequence[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping):
        raise TypeError(
            f"plot_learning_curves: expected a History or a dict of lists, got {type(history).__name__}"
        )
    return {name: list(series) for name, series in values.items()}


_AXIS_LABELS = {"loss": "loss", "lr": "learning rate", "acc": "accuracy"}


def learning_curve_figure(history, title: str | None = None, test_results=None):
    """A matplotlib ``Figure`` with one panel per quantity (loss first, then each metric, the
    learning rate ``lr`` last), training and ``val_`` curves together.

    Axes are labelled (epoch; the quantity), the ticks are whole epochs, and each curve's last
    value is written next to it, so even a one-epoch run (single points) reads clearly.
    ``test_results`` (a dict such as ``{'loss': 0.07, 'accuracy': 0.98}``, or ``evaluate``'s
    ``return_dict=True`` result) marks the test value of each quantity after the last epoch.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    curves = _curves(history)
    tests = dict(test_results or {})
    names = [n for n in curves if not n.startswith("val_")]
    names += [n[4:] for n in curves if n.startswith("val_") and n[4:] not in curves]
    names.sort(key=lambda n: (n != "loss", n == "lr"))
    if not names or not any(curves.values()):
        raise ValueError("plot_learning_curves: the history is empty; train for an epoch first")
    epochs = max(len(series) for series in curves.values())

    figure = Figure(figsize=(5.0 * len(names), 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for axis, name in zip(axes, names):
        for key, label, style in ((name, "training", "o-"), (f"val_{name}", "validation", "s--")):
            series = curves.get(key)
            if series:
                line, = axis.plot(range(1, len(series) + 1), series, style, label=label,
                                  markersize=5)
                _note(axis, len(series), series[-1], line.get_color())
        if name in tests:  # the legend gives its value
            axis.plot([epochs], [tests[name]], "*", color="black", markersize=12,
                      label=f"test: {_short(tests[name])}")
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.set_ylabel(_AXIS_LABELS.get(name, name.replace("_", " ")))
        axis.set_xlim(0.5, epochs + 0.5)  # room around the points, even a single epoch's
        axis.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
        axis.margins(y=0.15)  # room for the values written above the last points
        axis.grid(True, alpha=0.3)
        axis.legend()
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def _short(value: float) -> str:
    return f"{value:.4g}"


def _note(axis, x, y, color):
    """Write ``y`` just above the point (x, y)."""
    axis.annotate(_short(y), (x, y), textcoords="offset points", xytext=(0, 7), ha="center",
                  fontsize=8, color=color)


def plot_learning_curves(history, path: str | os.PathLike, title: str | None = None,
                         test_results=None) -> Path:
    """Draw ``learning_curve_figure(history, title, test_results)`` and save it as a PNG at
    ``path`` (atomically). ``history`` is a ``History`` or its ``.history`` dict. Returns the
    path."""
    return save_png(learning_curve_figure(history, title, test_results), path)


def save_png(figure, path: str | os.PathLike, **savefig_options) -> Path:
    """Render a matplotlib ``figure`` as PNG and write it at ``path`` atomically (a reader never
    sees half a file); ``savefig_options`` go to ``figure.savefig``. Returns the path."""
    from .files import atomic_path

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", **savefig_options)
    target = Path(path)
    with atomic_path(target) as temporary:
        temporary.write_bytes(buffer.getvalue())
    return target
