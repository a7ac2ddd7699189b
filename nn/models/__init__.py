"""Named models for ``lucidgrad train --model NAME``, in one table: ``MODELS``.

Each entry says how to build the model (``build(input_shape, num_classes, **options)``, which
returns an uncompiled ``Model`` and ignores options it does not know), how the command must shape
the samples before they reach it (``input_layout``: ``'flat'`` gives (n, height * width) rows,
``'images'`` gives channels-first (n, 1, height, width) images, ``'sequence'`` gives (n, height,
width): one image row per time step, ``'tokens'`` marks a model that reads token ids only and so
trains on text alone), and the command's training defaults where they differ from the seed
recipe's (``optimizer``, ``epochs``, ``lr_decay``, ``batch_size``).

A model that can also learn text has a ``language_model`` builder, called as
``language_model(input_shape, vocabulary_size, vocabulary=..., **options)`` for the text
datasets (``--dataset words``, ``--dataset tang300``), with its own ``language_training``
defaults (``lr`` too); it
returns a model whose ``forward`` maps (batch, steps) token ids to (batch, steps, vocabulary)
logits and that keeps ``vocabulary`` (and ``boundary``) for ``lucidgrad generate``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from .char_rnn import CharRNN, char_rnn
from .gpt import GPT, gpt
from .lenet import lenet
from .mlp import mlp
from .sequence import recurrent_classifier

__all__ = ["MODELS", "ModelEntry", "build_model", "mlp", "lenet", "recurrent_classifier",
           "CharRNN", "char_rnn", "GPT", "gpt"]


@dataclass(frozen=True)
class ModelEntry:
    """How ``lucidgrad train`` builds, feeds and trains one named model."""

    build: Callable
    input_layout: str = "flat"
    training: dict = field(default_factory=dict)
    language_model: Callable | None = None
    language_training: dict = field(default_factory=dict)


MODELS = {
    "mlp": ModelEntry(mlp),
    "cnn": ModelEntry(lenet, "images", {"optimizer": "adam", "epochs": 8, "lr_decay": 0.7}),
    "lstm": ModelEntry(recurrent_classifier, "sequence",
                       {"optimizer": "adam", "epochs": 5, "batch_size": 64},
                       language_model=char_rnn,
                       language_training={"optimizer": "adam", "lr": 3e-3, "epochs": 10,
                                          "batch_size": 64}),
    "gpt": ModelEntry(gpt, "tokens", language_model=gpt,
                      language_training={"optimizer": "adamw", "lr": 2e-3, "epochs": 8,
                                         "lr_decay": 0.8, "batch_size": 64}),
}


def build_model(name, input_shape, num_classes, **options):
    """Build the model named ``name`` for samples of ``input_shape`` and ``num_classes``."""
    entry = MODELS.get(name)
    if entry is None:
        raise ValueError(f"unknown model {name!r}; choose from {sorted(MODELS)}")
    return entry.build(tuple(input_shape), int(num_classes), **options)
