"""Attention heatmaps: which keys each query looked at, one panel per head.

The weights come from the attention layers (``MultiheadAttention(..., need_weights=True,
average_attn_weights=False)``, ``MultiHeadAttention(..., return_attention_scores=True)``) or
``autograd.scaled_dot_product_attention(..., return_weights=True)``; row ``i`` of a panel is query
``i``'s distribution over the keys (each row sums to 1). With token labels on both axes a causal
model shows its triangle, and a head that copies the previous character shows a diagonal.

matplotlib is imported on first use and drawn on its ``Agg`` canvas (no display needed, no global
figure state), as for the learning curves.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from autograd import Tensor

from .plotting import save_png

__all__ = ["attention_figure", "plot_attention"]


def _weights(weights) -> np.ndarray:
    """``(heads, L, S)`` from ``(L, S)``, ``(heads, L, S)`` or a batch of one ``(1, heads, L, S)``."""
    array = np.asarray(weights.data if isinstance(weights, Tensor) else weights, dtype=np.float64)
    if array.ndim == 4 and array.shape[0] == 1:
        array = array[0]
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3:
        raise ValueError(f"attention_figure: expected weights (L, S), (heads, L, S) or (1, heads, "
                         f"L, S), got shape {array.shape}; pick one sample of the batch first")
    return array


def _labels(labels, count, singular, plural):
    if labels is None:
        return None
    labels = [str(label) for label in labels]
    if len(labels) != count:
        raise ValueError(f"attention_figure: {len(labels)} {singular} labels for {count} "
                         f"{plural} (one label per row or column)")
    return labels


def attention_figure(weights, queries=None, keys=None, title=None, columns=4):
    """A matplotlib ``Figure``: one heatmap per head of ``weights`` (rows: queries, columns:
    keys; darker is more attention). ``queries`` and ``keys`` label the rows and columns (the
    characters of the sequence, say; ``keys`` defaults to ``queries`` when the shapes agree),
    ``columns`` heads per row of panels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    array = _weights(weights)
    heads, length, source = array.shape
    queries = _labels(queries, length, "query", "queries")
    if keys is None and queries is not None and source == length:
        keys = queries
    keys = _labels(keys, source, "key", "keys")
    columns = max(1, min(int(columns), heads))
    rows = -(-heads // columns)
    side = 0.25 * max(length, source) + 1.2
    figure = Figure(figsize=(columns * side + 0.8, rows * side + 0.6), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.subplots(rows, columns, squeeze=False)
    image = None
    for head in range(rows * columns):
        axis = axes[head // columns][head % columns]
        if head >= heads:
            axis.set_visible(False)
            continue
        image = axis.imshow(array[head], cmap="Blues", vmin=0.0, vmax=1.0, aspect="equal")
        if heads > 1:
            axis.set_title(f"head {head}", fontsize=9)
        for labels, ticks, set_ticks, set_labels in (
                (queries, length, axis.set_yticks, axis.set_yticklabels),
                (keys, source, axis.set_xticks, axis.set_xticklabels)):
            if labels is not None:
                set_ticks(range(ticks))
                set_labels(labels, fontsize=8)
        axis.set_xlabel("key", fontsize=8)
        axis.set_ylabel("query", fontsize=8)
    figure.colorbar(image, ax=axes.ravel().tolist(), shrink=0.8, label="attention weight")
    if title:
        figure.suptitle(title)
    return figure


def plot_attention(weights, path: str | os.PathLike, queries=None, keys=None, title=None,
                   columns=4) -> Path:
    """Draw ``attention_figure(...)`` and save it as a PNG at ``path`` (atomically); returns the
    path."""
    return save_png(attention_figure(weights, queries, keys, title, columns), path,
                    bbox_inches="tight")
