"""Learning curves: the loss and every metric per epoch, training and validation, as a PNG.

matplotlib is imported on first use and drawn with its ``Agg`` canvas directly (no ``pyplot``,
no display needed, no global figure state). The image is written atomically.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Mapping, Sequence

__all__ = ["plot_learning_curves"]


def _curves(history) -> dict[str, Sequence[float]]:
    values = getattr(history, "history", history)
    if not isinstance(values, Mapping):
        raise TypeError(
            f"plot_learning_curves: expected a History or a dict of lists, got {type(history).__name__}"
        )
    return {name: list(series) for name, series in values.items()}


def plot_learning_curves(history, path: str | os.PathLike, title: str | None = None) -> Path:
    """Draw one panel per quantity (loss first, then each metric), training and ``val_`` curves
    together, and save the figure as a PNG at ``path``. Returns the path.

    ``history`` is a ``History`` or its ``.history`` dict. The learning rate (``lr``), when
    logged, gets its own panel.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .files import atomic_path

    curves = _curves(history)
    names = [n for n in curves if not n.startswith("val_")]
    names += [n[4:] for n in curves if n.startswith("val_") and n[4:] not in curves]
    names.sort(key=lambda n: (n != "loss", n == "lr"))
    if not names:
        raise ValueError("plot_learning_curves: the history is empty; train for an epoch first")

    figure = Figure(figsize=(5.0 * len(names), 4.0), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    for axis, name in zip(axes, names):
        for key, label, style in ((name, "training", "o-"), (f"val_{name}", "validation", "s--")):
            series = curves.get(key)
            if series:
                epochs = range(1, len(series) + 1)
                axis.plot(epochs, series, style, label=label, markersize=4)
        axis.set_title(name)
        axis.set_xlabel("epoch")
        axis.grid(True, alpha=0.3)
        axis.legend()
        axis.xaxis.get_major_locator().set_params(integer=True)
    if title:
        figure.suptitle(title)
    figure.tight_layout()

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    target = Path(path)
    with atomic_path(target) as temporary:
        temporary.write_bytes(buffer.getvalue())
    return target
