"""Sample text from a saved language model, printing each character as it is drawn.

``lucidgrad generate --model runs/words-lstm/model.npz`` prints 20 new words from the character
model that ``lucidgrad train --dataset words --model lstm`` saved. The model file holds the
vocabulary (in its JSON architecture), so nothing else is needed.

A model can be sampled when it has a ``vocabulary`` (a ``CharVocabulary``) and either a
``step(ids, state)`` method or a forward pass from (1, steps) ids to (1, steps, vocabulary)
logits (see ``nn.sampling``). A model with a ``boundary`` token (``.``, which starts and ends
each word) writes words: each sample starts after the boundary and the prompt and ends at the
next boundary, or after ``--length`` characters. A model without one continues the prompt for
``--length`` characters.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import non_negative_int, positive_int

__all__ = ["add_arguments", "run", "generate"]


def _temperature(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``generate`` command's options on ``parser``."""
    parser.add_argument("--model", metavar="PATH", required=True,
                        help="a model file written by lucidgrad train on a text dataset")
    parser.add_argument("--num", "-n", type=positive_int, default=20,
                        help="how many samples (words, or continuations) to print (default: 20)")
    parser.add_argument("--length", type=positive_int, default=50,
                        help="the most characters per sample (default: 50)")
    parser.add_argument("--temperature", type=_temperature, default=1.0,
                        help="divide the logits by this before sampling; below 1 is more "
                             "conservative, 0 always takes the most likely character "
                             "(default: 1)")
    parser.add_argument("--top-k", type=positive_int, default=None,
                        help="sample only among the K most likely characters (default: all)")
    parser.add_argument("--seed", type=non_negative_int, default=None,
                        help="random seed, for the same samples again (default: a fresh one)")
    parser.add_argument("--prompt", default="",
                        help="text every sample starts with (default: none)")


def run(args: argparse.Namespace) -> int:
    """Load the model and print the samples; returns the exit status."""
    try:
        model = _load(args.model)
        generate(model, args.num, args.length, args.temperature, args.top_k, args.seed,
                 args.prompt, out=sys.stdout)
    except (_UsageError, ValueError, TypeError, OSError) as error:
        print(f"lucidgrad generate: error: {error}", file=sys.stderr)
        return 2
    return 0


class _UsageError(Exception):
    """A model or option that cannot be used for generation."""


def _load(path):
    from ..serialization import load_model

    if not Path(path).is_file():
        raise _UsageError(f"no model file at {path}")
    model = load_model(path, compile=False)
    if getattr(model, "vocabulary", None) is None:
        raise _UsageError(f"{path} holds a {type(model).__name__} without a vocabulary; "
                          "generate needs a language model trained on text (e.g. lucidgrad "
                          "train --dataset words --model lstm)")
    return model


def generate(model, num=20, length=50, temperature=1.0, top_k=None, seed=None, prompt="",
             out=None):
    """Write ``num`` samples of at most ``length`` characters from ``model`` to ``out`` (a text
    stream; default stdout), one per line, each character as soon as it is drawn. Returns the
    samples as a list of strings."""
    import numpy as np

    from ..sampling import sample_ids

    out = sys.stdout if out is None else out
    vocabulary = model.vocabulary
    boundary = getattr(model, "boundary", None)
    try:
        start = list(vocabulary.encode(prompt))
    except ValueError as error:
        raise _UsageError(f"the prompt cannot be encoded: {error}") from None
    stop = None
    if boundary is not None:
        stop = vocabulary.token_id(boundary)
        start = [stop] + start
    if not start:
        raise _UsageError("this model has no boundary token to start from; give --prompt")
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(num):
        out.write(prompt)
        out.flush()
        pieces = [prompt]
        for token in sample_ids(model, start, length, temperature, top_k, rng, stop):
            if token == stop:
                break
            text = vocabulary.decode([token])
            pieces.append(text)
            out.write(text)
            out.flush()
        out.write("\n")
        out.flush()
        samples.append("".join(pieces))
    return samples
