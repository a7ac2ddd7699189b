"""Training arrays from text: next-character windows over running text, makemore-style word
examples (context windows or padded sequences with a mask), and seeded train/val/test splits.

Every function returns plain int64 numpy arrays whose first axis is the example axis, so they go
straight into ``Model.fit`` and into ``nn.data.batches`` for a hand-written loop::

    ids = vocabulary.encode(text)
    inputs, targets = char_windows(ids, block_size=64)            # (n, 64) each
    for x, y in batches(inputs, targets, batch_size=32, shuffle=True, seed=0): ...
"""

from __future__ import annotations

from typing import Sequence, TypeVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..batching import _is_positive_int
from .vocabulary import CharVocabulary

__all__ = ["train_val_test_split", "char_windows", "sample_windows", "word_contexts",
           "padded_words"]

Items = TypeVar("Items", list, tuple, np.ndarray)


def train_val_test_split(items: Items, fractions: Sequence[float] = (0.8, 0.1, 0.1),
                         seed: int | None = 0, shuffle: bool = True) -> tuple[Items, ...]:
    """Split ``items`` (a list, tuple or array) into consecutive parts of the given ``fractions``.

    With ``shuffle`` the items are first put in the order of a permutation drawn from ``seed``,
    so the same seed always gives the same parts; without it, the parts are contiguous stretches
    (what running text needs: shuffled windows of one text would overlap across the parts). Part
    ``k`` ends at ``round(n * (f_0 + ... + f_k))``. Returns one part per fraction, of the input's
    type (lists for a list or tuple).
    """
    fractions = [float(f) for f in fractions]
    if len(fractions) < 2 or min(fractions) < 0 or abs(sum(fractions) - 1) > 1e-9:
        raise ValueError(f"train_val_test_split: fractions must be two or more non-negative "
                         f"numbers that sum to 1, got {fractions}")
    n = len(items)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    ends = [round(n * f) for f in np.cumsum(fractions)[:-1]] + [n]
    starts = [0] + ends[:-1]
    if isinstance(items, np.ndarray):
        return tuple(items[order[a:b]] for a, b in zip(starts, ends))
    return tuple([items[i] for i in order[a:b]] for a, b in zip(starts, ends))


def _as_ids(ids, where: str) -> np.ndarray:
    array = np.asarray(ids)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise ValueError(f"{where}: expected a 1-D array of integer ids, got shape {array.shape} "
                         f"and dtype {array.dtype}")
    return array.astype(np.int64, copy=False)


def _positive(value, name: str, where: str) -> int:
    if not _is_positive_int(value):
        raise ValueError(f"{where}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _offsets_within(counts: np.ndarray) -> np.ndarray:
    """``0 .. c - 1`` for each count ``c``, concatenated: the position of each item in its group."""
    return np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)


def _check_block_size(block_size, length: int, where: str) -> int:
    _positive(block_size, "block_size", where)
    if length < block_size + 1:
        raise ValueError(f"{where}: a text of {length} ids is too short for windows of "
                         f"block_size={block_size} (it needs at least block_size + 1 ids)")
    return int(block_size)


def char_windows(ids, block_size: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-length next-character examples from one long text of ``ids``.

    Window ``i`` starts at ``i * stride`` (``stride`` defaults to ``block_size``: windows that
    do not overlap); its inputs are ``block_size`` ids and its targets the same ids shifted by
    one, ``targets[i, t] == inputs[i, t + 1]``. Returns ``(inputs, targets)``, two
    ``(n, block_size)`` int64 arrays (copies, each ``n * block_size * 8`` bytes).
    """
    ids = _as_ids(ids, "char_windows")
    block_size = _check_block_size(block_size, len(ids), "char_windows")
    stride = block_size if stride is None else _positive(stride, "stride", "char_windows")
    windows = sliding_window_view(ids, block_size + 1)[::stride]
    return windows[:, :-1].copy(), windows[:, 1:].copy()


def sample_windows(ids, block_size: int, batch_size: int,
                   rng: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """One random batch of next-character windows: ``batch_size`` windows of ``ids`` starting at
    uniformly drawn offsets (the batches of a training loop that runs for a number of steps
    rather than epochs). ``rng`` is a ``numpy.random.Generator`` or a seed. Returns ``(inputs,
    targets)``, two ``(batch_size, block_size)`` int64 arrays."""
    ids = _as_ids(ids, "sample_windows")
    block_size = _check_block_size(block_size, len(ids), "sample_windows")
    batch_size = _positive(batch_size, "batch_size", "sample_windows")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    starts = rng.integers(0, len(ids) - block_size, size=batch_size)
    positions = starts[:, None] + np.arange(block_size)
    return ids[positions], ids[positions + 1]


def _encode_words(words: Sequence[str], vocabulary: CharVocabulary, boundary: str,
                  where: str) -> tuple[list[np.ndarray], int]:
    """Each word's ids and the boundary's id, checking that no word is empty or holds it."""
    if boundary not in vocabulary:
        raise ValueError(f"{where}: the boundary token {boundary!r} is not in the vocabulary; "
                         f"build it with specials=({boundary!r},)")
    words = list(words)
    for k, word in enumerate(words):
        if not isinstance(word, str) or not word:
            raise ValueError(f"{where}: word {k} is {word!r}; words must be non-empty strings")
        if boundary in word:
            raise ValueError(f"{where}: word {k} ({word!r}) contains the boundary token "
                             f"{boundary!r}")
    encoded = vocabulary.encode_each(words)
    empty = next((k for k, ids in enumerate(encoded) if ids.size == 0), None)
    if empty is not None:
        raise ValueError(f"{where}: word {empty} ({words[empty]!r}) has no known characters")
    return encoded, vocabulary.token_id(boundary)


def word_contexts(words: Sequence[str], vocabulary: CharVocabulary, block_size: int,
                  boundary: str = ".") -> tuple[np.ndarray, np.ndarray]:
    """makemore-style examples: each character of each word, and the end of the word, predicted
    from the ``block_size`` tokens before it, where the word is preceded by ``block_size``
    boundary tokens and followed by one. ``"emma"`` with block size 3 gives the contexts ``...``,
    ``..e``, ``.em``, ``emm``, ``mma`` and the targets ``e m m a .``.

    Returns ``(contexts, targets)``: ``(n, block_size)`` and ``(n,)`` int64 arrays, ``n`` being the
    number of characters plus the number of words.
    """
    encoded, edge = _encode_words(words, vocabulary, boundary, "word_contexts")
    block_size = _positive(block_size, "block_size", "word_contexts")
    if not encoded:
        return np.zeros((0, block_size), np.int64), np.zeros(0, np.int64)
    lead, end = np.full(block_size, edge, np.int64), np.array([edge], np.int64)
    sequence = np.concatenate([piece for ids in encoded for piece in (lead, ids, end)])
    predicted = np.array([len(ids) + 1 for ids in encoded])          # targets per word
    framed_starts = np.concatenate([[0], np.cumsum(predicted + block_size)[:-1]])
    first_target = np.repeat(framed_starts + block_size, predicted)
    positions = first_target + _offsets_within(predicted)
    contexts = sliding_window_view(sequence, block_size)[positions - block_size]
    return np.ascontiguousarray(contexts), sequence[positions]


def padded_words(words: Sequence[str], vocabulary: CharVocabulary, boundary: str = ".",
                 pad: str | None = None, length: int | None = None
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole words as padded sequences, for recurrent and attention models.

    Row ``k`` of ``inputs`` is the boundary token then the word's characters; row ``k`` of
    ``targets`` the word's characters then the boundary token (the next token at every step);
    both are padded on the right to ``length`` (default: the longest word plus one) with the
    ``pad`` token (default: the boundary token, as makemore does). ``mask`` is True at the steps
    that hold a real target, so the mean loss over ``mask`` counts every character and every
    word's end once.

    Returns ``(inputs, targets, mask)``: two ``(n, length)`` int64 arrays and a bool array.
    """
    encoded, edge = _encode_words(words, vocabulary, boundary, "padded_words")
    pad_id = edge if pad is None else vocabulary.token_id(pad)
    steps = np.array([len(ids) + 1 for ids in encoded], dtype=np.int64)
    longest = int(steps.max(initial=1))
    if length is None:
        length = longest
    elif not _is_positive_int(length) or length < longest:
        raise ValueError(f"padded_words: length must be an integer of at least {longest} (the "
                         f"longest word plus its boundary), got {length!r}")
    n = len(encoded)
    inputs = np.full((n, length), pad_id, dtype=np.int64)
    targets = np.full((n, length), pad_id, dtype=np.int64)
    if n:
        chars = np.concatenate(encoded)
        rows = np.repeat(np.arange(n), steps - 1)
        columns = _offsets_within(steps - 1)
        inputs[:, 0] = edge
        inputs[rows, columns + 1] = chars
        targets[rows, columns] = chars
        targets[np.arange(n), steps - 1] = edge
    mask = np.arange(length) < steps[:, None]
    return inputs, targets, mask
