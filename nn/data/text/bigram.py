"""A count-based character bigram model: the baseline every character-level model must beat.

It predicts each token from the one before it alone, with probabilities from counted pairs::

    P(next = j | current = i) = (count(i, j) + smoothing) / (count(i, *) + smoothing * V)

``smoothing`` (add-one by default) keeps pairs never seen in training from getting probability 0.
It trains on the same arrays as the neural models (``padded_words`` or ``char_windows``), and
reports loss in the same unit: the mean negative log-likelihood in nats per predicted token.
"""

from __future__ import annotations

import numpy as np

from ..batching import _is_positive_int
from .vocabulary import CharVocabulary

__all__ = ["BigramLanguageModel"]


class BigramLanguageModel:
    """Bigram counts over a vocabulary of ``vocab_size`` tokens, with add-``smoothing``.

    ``fit(inputs, targets, mask)`` counts the pairs ``(inputs[i], targets[i])`` where ``mask`` is
    true; ``nll`` scores pairs the same way; ``sample_words`` and ``generate`` draw new text.
    """

    def __init__(self, vocab_size: int, smoothing: float = 1.0) -> None:
        if not _is_positive_int(vocab_size):
            raise ValueError(f"BigramLanguageModel: vocab_size must be a positive integer, got "
                             f"{vocab_size!r}")
        if isinstance(smoothing, bool) or not np.isfinite(smoothing) or smoothing < 0:
            raise ValueError(f"BigramLanguageModel: smoothing must be a number >= 0, got "
                             f"{smoothing!r}")
        self.vocab_size, self.smoothing = int(vocab_size), float(smoothing)
        self.counts = np.zeros((self.vocab_size, self.vocab_size), dtype=np.int64)

    def _pairs(self, inputs, targets, mask, where: str) -> tuple[np.ndarray, np.ndarray]:
        """The (current, next) id pairs selected by ``mask``, checked."""
        inputs, targets = np.asarray(inputs), np.asarray(targets)
        if inputs.shape != targets.shape:
            raise ValueError(f"BigramLanguageModel.{where}: inputs and targets must have the same "
                             f"shape, got {inputs.shape} and {targets.shape}")
        for name, ids in (("inputs", inputs), ("targets", targets)):
            if ids.size and ids.dtype.kind not in "iu":
                raise ValueError(f"BigramLanguageModel.{where}: {name} must be integer ids, got "
                                 f"dtype {ids.dtype}")
            if ids.size and (ids.min() < 0 or ids.max() >= self.vocab_size):
                raise ValueError(f"BigramLanguageModel.{where}: {name} hold ids outside "
                                 f"[0, {self.vocab_size}): min {ids.min()}, max {ids.max()}")
        if mask is None:
            return inputs.reshape(-1), targets.reshape(-1)
        mask = np.asarray(mask)
        if mask.shape != inputs.shape or mask.dtype != bool:
            raise ValueError(f"BigramLanguageModel.{where}: mask must be a bool array of shape "
                             f"{inputs.shape}, got {mask.dtype} of shape {mask.shape}")
        return inputs[mask], targets[mask]

    def fit(self, inputs, targets, mask=None) -> "BigramLanguageModel":
        """Count the pairs ``(inputs, targets)`` (arrays of one shape; ``mask`` selects the real
        ones), replacing earlier counts. Returns the model."""
        current, following = self._pairs(inputs, targets, mask, "fit")
        self.counts = np.zeros_like(self.counts)
        np.add.at(self.counts, (current, following), 1)
        return self

    @property
    def probabilities(self) -> np.ndarray:
        """``(V, V)`` float64: row ``i`` is the distribution of the token that follows ``i``."""
        smoothed = self.counts + self.smoothing
        totals = smoothed.sum(axis=1, keepdims=True)
        # A token never seen before anything (and no smoothing): predict uniformly.
        return np.divide(smoothed, totals, out=np.full(smoothed.shape, 1.0 / self.vocab_size),
                         where=totals > 0)

    def nll(self, inputs, targets, mask=None) -> float:
        """Mean negative log-likelihood of the pairs, in nats per predicted token (``inf`` when a
        pair has probability 0, which only happens without smoothing)."""
        current, following = self._pairs(inputs, targets, mask, "nll")
        if current.size == 0:
            raise ValueError("BigramLanguageModel.nll: no pairs to score")
        with np.errstate(divide="ignore"):
            return float(-np.log(self.probabilities[current, following]).mean())

    def generate(self, start: int, max_length: int, seed: int | None = None,
                 stop: int | None = None) -> np.ndarray:
        """Sample up to ``max_length`` ids after ``start``, each from the row of the one before;
        sampling ends early after the id ``stop`` (included). Returns the sampled ids."""
        rng = np.random.default_rng(seed)
        return self._generate(start, max_length, rng, stop)

    def _generate(self, start: int, max_length: int, rng: np.random.Generator,
                  stop: int | None) -> np.ndarray:
        if not 0 <= start < self.vocab_size:
            raise ValueError(f"BigramLanguageModel.generate: start id {start} is outside "
                             f"[0, {self.vocab_size})")
        if not _is_positive_int(max_length):
            raise ValueError(f"BigramLanguageModel.generate: max_length must be a positive "
                             f"integer, got {max_length!r}")
        cumulative = np.cumsum(self.probabilities, axis=1)
        out, current = [], start
        for u in rng.random(max_length):
            current = min(int(np.searchsorted(cumulative[current], u, side="right")),
                          self.vocab_size - 1)
            out.append(current)
            if current == stop:
                break
        return np.array(out, dtype=np.int64)

    def sample_words(self, vocabulary: CharVocabulary, count: int, boundary: str = ".",
                     seed: int | None = None, max_length: int = 50) -> list[str]:
        """``count`` words, each sampled from the boundary token until the next boundary token
        (or ``max_length`` characters), as makemore samples names."""
        if len(vocabulary) != self.vocab_size:
            raise ValueError(f"BigramLanguageModel.sample_words: the vocabulary has "
                             f"{len(vocabulary)} tokens, the model {self.vocab_size}")
        edge = vocabulary.token_id(boundary)
        rng = np.random.default_rng(seed)
        words = []
        for _ in range(count):
            ids = self._generate(edge, max_length + 1, rng, stop=edge)
            words.append(vocabulary.decode(ids[:-1] if ids[-1] == edge else ids[:max_length]))
        return words
