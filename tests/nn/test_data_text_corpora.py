"""The word list and Tang-poem loaders, on small generated files; then on the real files of
Debian's wamerican and fortunes-zh packages when they are installed."""
import re
from pathlib import Path

import pytest

from nn.data import DatasetError
from nn.data.text import (TANG_POEMS, WORDS, Poem, TextSource, find_text_file, load_tang_poems,
                          load_words, parse_tang_poems, parse_words, split_fortunes, strip_ansi)

WORD_LIST = "A\nAachen\naardvark\naardvark's\nabacus\nabacus\nzebra\nÅngström\nétude\nx2\n\nzoo\n"

GREEN, YELLOW, RESET = "\x1b[32m", "\x1b[33m", "\x1b[m"
FORTUNES = (
    f"{GREEN}《静夜思》{RESET}\n{YELLOW}作者：李白{RESET}\n床前明月光，疑是地上霜。\n"
    "举头望明月，低头思故乡。\n%\n"
    f"{GREEN}《无题》{RESET}\n  \n相见时难别亦难，\n东风无力百花残。  \n%\n"
    f"\x1b[1;31m《登鹳雀楼》\x1b[0m\n作者: 王之涣\n白日依山尽，黄河入海流。\n%\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- the word list

def test_parse_words_keeps_distinct_lowercase_ascii_words_sorted():
    assert parse_words(WORD_LIST) == ["aardvark", "abacus", "zebra", "zoo"]


def test_load_words_from_a_file_or_a_directory(tmp_path):
    file = write(tmp_path / "american-english", WORD_LIST)
    assert load_words(file) == ["aardvark", "abacus", "zebra", "zoo"]
    assert load_words(tmp_path) == load_words(file)


def test_load_words_looks_in_lucidgrad_data_first(tmp_path, monkeypatch):
    (tmp_path / "text").mkdir()
    write(tmp_path / "text" / "american-english", "emma\nolivia\n")
    monkeypatch.setenv("LUCIDGRAD_DATA", str(tmp_path))
    assert load_words() == ["emma", "olivia"]


def test_a_missing_file_names_the_debian_package(tmp_path, monkeypatch):
    with pytest.raises(DatasetError, match=r"Debian's wamerican package \(apt-get install wamerican\)"):
        load_words(tmp_path / "nowhere.txt")
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    absent = TextSource("the poems", "poems.txt", str(tmp_path / "gone" / "poems.txt"), "fortunes-zh")
    with pytest.raises(DatasetError, match=r"Could not find the poems \(poems.txt\); searched: .*gone"):
        find_text_file(absent)
    with pytest.raises(DatasetError, match="apt-get install fortunes-zh"):
        load_tang_poems(tmp_path)  # a directory without tang300


def test_unreadable_or_empty_files_are_dataset_errors(tmp_path):
    (tmp_path / "latin1").write_bytes("caf\xe9\n".encode("latin-1"))
    with pytest.raises(DatasetError, match="not UTF-8 text"):
        load_words(tmp_path / "latin1")
    with pytest.raises(DatasetError, match="no lowercase words in it"):
        load_words(write(tmp_path / "names", "Emma\nOlivia\n"))
    with pytest.raises(DatasetError, match="no poems in it"):
        load_tang_poems(write(tmp_path / "empty", "%\n\n%\n"))


# ---------------------------------------------------------------- the poems

def test_strip_ansi_removes_colours_and_other_escapes():
    assert strip_ansi(f"{GREEN}green{RESET} \x1b[1;31mbold red\x1b[0m \x1b[2Jclear \x1bMup") == \
        "green bold red clear up"
    assert strip_ansi("plain 100% text") == "plain 100% text"


def test_split_fortunes_splits_on_percent_lines_only():
    assert split_fortunes("one\n%\ntwo\n50% off\n%  \n\n%\nthree") == ["one", "two\n50% off", "three"]


def test_parse_tang_poems():
    first, second, third = parse_tang_poems(FORTUNES)
    assert first == Poem("静夜思", "李白", ("床前明月光，疑是地上霜。", "举头望明月，低头思故乡。"))
    assert second.title == "无题" and second.author == ""
    assert second.lines == ("相见时难别亦难，", "东风无力百花残。")  # blank line dropped, stripped
    assert third.title == "登鹳雀楼" and third.author == "王之涣"
    assert first.body == "床前明月光，疑是地上霜。\n举头望明月，低头思故乡。"
    assert first.format() == "《静夜思》\n作者：李白\n" + first.body
    assert parse_tang_poems(first.format()) == [first]


def test_load_tang_poems_from_a_file(tmp_path):
    poems = load_tang_poems(write(tmp_path / "tang300", FORTUNES))
    assert [p.title for p in poems] == ["静夜思", "无题", "登鹳雀楼"]
    assert load_tang_poems(tmp_path) == poems


# ---------------------------------------------------------------- the real files

@pytest.mark.skipif(not Path(WORDS.system_path).is_file(),
                    reason="Debian's wamerican is not installed (/usr/share/dict/american-english)")
def test_the_real_word_list(monkeypatch):
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    words = load_words()
    assert len(words) > 60000  # 63,875 in wamerican 2020.12.07
    assert words == sorted(set(words)) and all(re.fullmatch("[a-z]+", w) for w in words)
    assert {"aardvark", "zygote", "language"} <= set(words)


@pytest.mark.skipif(not Path(TANG_POEMS.system_path).is_file(),
                    reason="Debian's fortunes-zh is not installed (/usr/share/games/fortunes/tang300)")
def test_the_real_tang_poems(monkeypatch):
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    poems = load_tang_poems()
    assert len(poems) == 313  # fortunes-zh 2.98
    assert poems[0].title == "感遇・其一" and poems[0].author == "张九龄"
    assert all(p.author and p.lines for p in poems)
    assert not any("\x1b" in p.format() or "[m" in p.format() for p in poems)
