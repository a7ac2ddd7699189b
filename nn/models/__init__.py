"""Named models for ``lucidgrad train --model NAME``, in one table: ``MODELS``.

Each entry says how to build the model (``build(input_shape, num_classes, **options)``, which
returns an uncompiled ``Model`` and ignores options it does not know), how the command must shape
the samples before they reach it (``input_layout``: ``'flat'`` gives (n, height * width) rows,
``'images'`` gives channels-first (n, 1, height, width) images), and the command's training
defaults where they differ from the seed recipe's (``optimizer``, ``epochs``, ``lr_decay``).
"""
from dataclasses import dataclass, field
from typing import Callable

from .lenet import lenet
from .mlp import mlp

__all__ = ["MODELS", "ModelEntry", "build_model", "mlp", "lenet"]


@dataclass(frozen=True)
class ModelEntry:
    """How ``lucidgrad train`` builds, feeds and trains one named model."""

    build: Callable
    input_layout: str = "flat"
    training: dict = field(default_factory=dict)


MODELS = {
    "mlp": ModelEntry(mlp),
    "cnn": ModelEntry(lenet, "images", {"optimizer": "adam", "epochs": 8, "lr_decay": 0.7}),
}


def build_model(name, input_shape, num_classes, **options):
    """Build the model named ``name`` for samples of ``input_shape`` and ``num_classes``."""
    entry = MODELS.get(name)
    if entry is None:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return entry.build(tuple(input_shape), int(num_classes), **options)
