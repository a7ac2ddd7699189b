"""``CharVocabulary``: characters (and a few special tokens) to integer ids and back."""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np

__all__ = ["CharVocabulary"]

_POLICIES = ("error", "skip")


def _token_list(specials: Sequence[str]) -> list[str]:
    """``specials`` as a list; a bare string is refused rather than split into characters."""
    if isinstance(specials, str):
        raise TypeError(f"CharVocabulary: specials must be a sequence of tokens, not the string "
                        f"{specials!r} (write ({specials!r},) for one token)")
    return list(specials)


class CharVocabulary:
    """A character-level vocabulary: ids ``0 .. len - 1`` for the special tokens, then characters.

    ``specials`` come first, in the order given: for example ``"."``, the start/end-of-word token
    of makemore-style word models, or ``"<pad>"``. A one-character special is also what that
    character in a text encodes to; a longer one (``"<pad>"``) never comes out of ``encode`` and
    is placed by the code that builds sequences.

    ``unknown`` says what ``encode`` does with a character that is not in the vocabulary:
    ``'error'`` (the default) raises ``ValueError`` naming the character and its position,
    ``'skip'`` drops it, and any other string is a replacement token, which must be one of the
    tokens (``from_text`` adds it to the specials when the text lacks it).

    ``to_config()`` is plain JSON (for model files); ``CharVocabulary.from_config`` rebuilds it.
    """

    def __init__(self, characters: Iterable[str], specials: Sequence[str] = (),
                 unknown: str = "error") -> None:
        characters, specials = list(characters), _token_list(specials)
        for char in characters:
            if not isinstance(char, str) or len(char) != 1:
                raise ValueError(f"CharVocabulary: characters must be single characters, got "
                                 f"{char!r}")
        for token in specials:
            if not isinstance(token, str) or not token:
                raise ValueError(f"CharVocabulary: special tokens must be non-empty strings, got "
                                 f"{token!r}")
        tokens = specials + characters
        repeated = sorted(t for t, count in Counter(tokens).items() if count > 1)
        if repeated:
            raise ValueError(f"CharVocabulary: tokens must be distinct; repeated: {repeated}")
        if not isinstance(unknown, str) or not unknown:
            raise ValueError(f"CharVocabulary: unknown must be 'error', 'skip' or a token, got "
                             f"{unknown!r}")
        if unknown not in _POLICIES and unknown not in tokens:
            raise ValueError(f"CharVocabulary: the replacement token {unknown!r} is not in the "
                             "vocabulary; add it to the specials")
        self._characters, self._specials = tuple(characters), tuple(specials)
        self._unknown = unknown
        self._tokens = tuple(tokens)
        self._ids = {token: i for i, token in enumerate(tokens)}
        # The one-character tokens as sorted code points, for a vectorized lookup in encode.
        singles = sorted((ord(t), i) for i, t in enumerate(tokens) if len(t) == 1)
        self._codes = np.array([code for code, _ in singles], dtype=np.uint32)
        self._code_ids = np.array([i for _, i in singles], dtype=np.int64)

    @classmethod
    def from_text(cls, text: str | Iterable[str], specials: Sequence[str] = (),
                  unknown: str = "error") -> "CharVocabulary":
        """The vocabulary of every character in ``text`` (a string or an iterable of strings, such
        as a word list), sorted by code point, after the ``specials``. Characters that are also
        one-character specials keep the special's id; a replacement token ``unknown`` that is in
        neither is appended to the specials."""
        pieces = [text] if isinstance(text, str) else list(text)
        for piece in pieces:
            if not isinstance(piece, str):
                raise TypeError(f"CharVocabulary.from_text: expected strings, got "
                                f"{type(piece).__name__}")
        specials = _token_list(specials)
        present = set("".join(pieces))
        if unknown not in _POLICIES and unknown not in specials and unknown not in present:
            specials.append(unknown)
        characters = sorted(present - set(specials))
        return cls(characters, specials, unknown)

    @classmethod
    def from_config(cls, config: dict) -> "CharVocabulary":
        """Rebuild a vocabulary from ``to_config()``'s dictionary."""
        if not isinstance(config, dict) or "characters" not in config:
            raise ValueError("CharVocabulary.from_config: expected a dict with 'characters', "
                             f"'specials' and 'unknown', got {config!r}")
        return cls(config["characters"], config.get("specials", ()), config.get("unknown", "error"))

    @classmethod
    def coerce(cls, value, owner: str) -> "CharVocabulary":
        """``value`` as a vocabulary: a ``CharVocabulary`` as it is, or its config (what model
        files hold) rebuilt; anything else is a ``TypeError`` naming ``owner``."""
        if isinstance(value, dict):
            value = cls.from_config(value)
        if not isinstance(value, cls):
            raise TypeError(f"{owner}: vocabulary must be a CharVocabulary or its config, got "
                            f"{type(value).__name__}")
        return value

    def to_config(self) -> dict:
        """A JSON-able dictionary that ``from_config`` turns back into this vocabulary."""
        return {"characters": list(self._characters), "specials": list(self._specials),
                "unknown": self._unknown}

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token, indexed by id."""
        return self._tokens

    @property
    def specials(self) -> tuple[str, ...]:
        """The special tokens (ids ``0 .. len(specials) - 1``)."""
        return self._specials

    @property
    def characters(self) -> tuple[str, ...]:
        """The ordinary characters, in id order."""
        return self._characters

    @property
    def unknown(self) -> str:
        """The unknown-character policy: 'error', 'skip' or the replacement token."""
        return self._unknown

    def __len__(self) -> int:
        """The number of tokens (the size of an embedding or output layer over them)."""
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        """Whether ``token`` is one of the tokens."""
        return token in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CharVocabulary) and other.to_config() == self.to_config()

    def __repr__(self) -> str:
        return (f"CharVocabulary({len(self)} tokens, specials={list(self._specials)}, "
                f"unknown={self._unknown!r})")

    def token_id(self, token: str) -> int:
        """The id of ``token``; ``KeyError`` naming it when it is not in the vocabulary."""
        try:
            return self._ids[token]
        except (KeyError, TypeError):
            raise KeyError(f"CharVocabulary: {token!r} is not a token of this vocabulary") from None

    def encode(self, text: str) -> np.ndarray:
        """The ids of the characters of ``text``, as a 1-D int64 array (see ``unknown``)."""
        if not isinstance(text, str):
            raise TypeError(f"CharVocabulary.encode: expected a string, got {type(text).__name__}")
        ids = self._lookup(text)
        return self._resolve_unknown(ids, text, where="")

    def encode_each(self, texts: Iterable[str]) -> list[np.ndarray]:
        """``[encode(t) for t in texts]``, in one vectorized pass (fast for long word lists)."""
        texts = list(texts)
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"CharVocabulary.encode_each: expected strings, got "
                                f"{type(t).__name__}")
        if not texts:
            return []
        ids = self._lookup("".join(texts))
        pieces = np.split(ids, np.cumsum([len(t) for t in texts])[:-1])
        if ids.min(initial=0) >= 0:
            return pieces
        return [self._resolve_unknown(piece, t, where=f" of text {k}")
                for k, (piece, t) in enumerate(zip(pieces, texts))]

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """The text of a 1-D sequence of ids (special tokens appear as their strings)."""
        array = np.asarray(ids)
        if array.ndim != 1:
            raise ValueError(f"CharVocabulary.decode: expected a 1-D sequence of ids, got shape "
                             f"{array.shape}")
        if array.size and array.dtype.kind not in "iu":
            raise TypeError(f"CharVocabulary.decode: ids must be integers, got dtype {array.dtype}")
        bad = np.flatnonzero((array < 0) | (array >= len(self)))
        if bad.size:
            raise ValueError(f"CharVocabulary.decode: id {array[bad[0]]} at position {bad[0]} is "
                             f"out of range for a vocabulary of {len(self)} tokens")
        return "".join(self._tokens[i] for i in array.tolist())

    def _lookup(self, text: str) -> np.ndarray:
        """The id of each character of ``text``, or -1 where it has none."""
        codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        ids = np.full(len(codes), -1, dtype=np.int64)
        if len(self._codes):
            slots = np.minimum(np.searchsorted(self._codes, codes), len(self._codes) - 1)
            found = self._codes[slots] == codes
            ids[found] = self._code_ids[slots[found]]
        return ids

    def _resolve_unknown(self, ids: np.ndarray, text: str, where: str) -> np.ndarray:
        """Apply the unknown-character policy to looked-up ``ids`` (-1 where unknown)."""
        missing = ids < 0
        if not missing.any():
            return ids
        if self._unknown == "skip":
            return ids[~missing]
        if self._unknown != "error":
            ids[missing] = self._ids[self._unknown]
            return ids
        position = int(np.flatnonzero(missing)[0])
        char = text[position]
        raise ValueError(f"CharVocabulary.encode: unknown character {char!r} (U+{ord(char):04X}) "
                         f"at position {position}{where}; the vocabulary has {len(self)} tokens. "
                         "Build it from this text, or pass unknown='skip' or a replacement token")
