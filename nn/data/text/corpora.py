"""Real text for language models, from two Debian packages (no download):

- the English word list of ``wamerican`` (``/usr/share/dict/american-english``), kept to the
  words of lowercase ASCII letters only: 63,875 words in wamerican 2020.12.07;
- the 300 Tang poems of ``fortunes-zh`` (``/usr/share/games/fortunes/tang300``): 313 poems, a
  fortune file whose titles and authors carry terminal colour codes.

Each loader takes a ``path`` (the file, or a directory holding it under its usual name). Without
one it looks for ``$LUCIDGRAD_DATA/text/<name>``, then at the Debian location. A missing file
raises ``DatasetError`` naming the package to install (``apt-get install wamerican fortunes-zh``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..idx import DatasetError

__all__ = ["TextSource", "WORDS", "TANG_POEMS", "Poem", "find_text_file", "parse_words",
           "load_words", "strip_ansi", "split_fortunes", "parse_tang_poems", "load_tang_poems"]


@dataclass(frozen=True)
class TextSource:
    """A text file that an operating-system package installs."""

    title: str
    """Human-readable name, used in messages."""
    file_name: str
    """The file's name, also under ``$LUCIDGRAD_DATA/text/`` and in a ``path`` directory."""
    system_path: str
    """Where the package installs it."""
    package: str
    """The Debian package that provides it."""


WORDS = TextSource("the English word list", "american-english",
                   "/usr/share/dict/american-english", "wamerican")
TANG_POEMS = TextSource("the 300 Tang poems", "tang300",
                        "/usr/share/games/fortunes/tang300", "fortunes-zh")

_WORD = re.compile(r"[a-z]+")
# ANSI escape sequences: CSI (ESC [ parameters intermediates final), e.g. the colours ESC[32m and
# ESC[m, and the two-byte escapes ESC followed by one of @ A-Z [ \ ] ^ _.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]")
_AUTHOR_PREFIXES = ("作者：", "作者:")


def find_text_file(source: TextSource, path: str | os.PathLike | None = None) -> Path:
    """The file of ``source``: ``path`` if given (a file, or a directory holding
    ``source.file_name``), else the first of ``$LUCIDGRAD_DATA/text/<file_name>`` and
    ``source.system_path`` that exists. ``DatasetError`` otherwise, saying what was searched and
    which package provides the file."""
    if path is not None:
        given = Path(path).expanduser()
        candidates = [given / source.file_name if given.is_dir() else given]
    else:
        candidates = []
        if os.environ.get("LUCIDGRAD_DATA"):
            data = Path(os.environ["LUCIDGRAD_DATA"]).expanduser()
            candidates.append(data / "text" / source.file_name)
        candidates.append(Path(source.system_path))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(c) for c in candidates)
    raise DatasetError(f"Could not find {source.title} ({source.file_name}); searched: {searched}. "
                       f"Install Debian's {source.package} package (apt-get install "
                       f"{source.package}), or pass path= to a copy of the file.")


def _read_text(file: Path, source: TextSource) -> str:
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(f"{file}: not UTF-8 text ({error}); expected {source.title}") from None
    except OSError as error:
        raise DatasetError(f"{file}: cannot be read ({error})") from error


def parse_words(text: str) -> list[str]:
    """The distinct lines of ``text`` that are words of lowercase ASCII letters, sorted.
    Proper nouns, possessives ("dog's") and accented words are left out."""
    return sorted({line for line in text.splitlines() if _WORD.fullmatch(line)})


def load_words(path: str | os.PathLike | None = None) -> list[str]:
    """The English word list of Debian's ``wamerican`` package, as ``parse_words`` keeps it:
    63,875 distinct lowercase words, ``a`` to ``zygotes``, in wamerican 2020.12.07.
    See the module docstring for where the file is looked for."""
    file = find_text_file(WORDS, path)
    words = parse_words(_read_text(file, WORDS))
    if not words:
        raise DatasetError(f"{file}: no lowercase words in it; expected {WORDS.title}")
    return words


def strip_ansi(text: str) -> str:
    """``text`` without ANSI terminal escape sequences (colours, cursor movement)."""
    return _ANSI.sub("", text)


def split_fortunes(text: str) -> list[str]:
    """The records of a fortune file: the text between lines that hold only ``%``, without
    records that are empty or blank."""
    records, current = [], []
    for line in text.splitlines():
        if line.strip() == "%":
            records.append("\n".join(current))
            current = []
        else:
            current.append(line)
    records.append("\n".join(current))
    return [record for record in records if record.strip()]


@dataclass(frozen=True)
class Poem:
    """One poem: its title (without the 《》 brackets), its author, and its lines."""

    title: str
    author: str
    lines: tuple[str, ...]

    @property
    def body(self) -> str:
        """The lines of the poem joined by newlines."""
        return "\n".join(self.lines)

    def format(self) -> str:
        """The poem as the fortune file shows it: 《title》, 作者：author, then the lines."""
        head = [f"《{self.title}》"] + ([f"作者：{self.author}"] if self.author else [])
        return "\n".join(head + list(self.lines))


def _parse_poem(record: str) -> Poem:
    lines = [line.strip() for line in strip_ansi(record).splitlines()]
    lines = [line for line in lines if line]
    title = lines[0]
    if title.startswith("《") and title.endswith("》"):
        title = title[1:-1]
    rest, author = lines[1:], ""
    if rest and rest[0].startswith(_AUTHOR_PREFIXES):
        author, rest = rest[0][len("作者"):].lstrip("：:").strip(), rest[1:]
    return Poem(title, author, tuple(rest))


def parse_tang_poems(text: str) -> list[Poem]:
    """The poems of a ``tang300``-style fortune file: colour codes stripped, one ``Poem`` per
    record, whose first line is the title, an optional ``作者：`` line the author, and the other
    non-blank lines the poem, each stripped of surrounding whitespace."""
    return [_parse_poem(record) for record in split_fortunes(strip_ansi(text))]


def load_tang_poems(path: str | os.PathLike | None = None) -> list[Poem]:
    """The 300 Tang poems of Debian's ``fortunes-zh`` package (313 records in version 2.98), as
    ``Poem`` objects in the file's order. See the module docstring for where the file is looked
    for."""
    file = find_text_file(TANG_POEMS, path)
    poems = parse_tang_poems(_read_text(file, TANG_POEMS))
    if not poems:
        raise DatasetError(f"{file}: no poems in it; expected {TANG_POEMS.title}")
    return poems
