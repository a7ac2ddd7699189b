"""CharVocabulary: ids, round trips, special tokens, the unknown-character policies, JSON."""
import json

import numpy as np
import pytest

from nn.data.text import CharVocabulary


def test_from_text_sorts_the_characters_and_round_trips():
    vocabulary = CharVocabulary.from_text("hello world")
    assert vocabulary.tokens == (" ", "d", "e", "h", "l", "o", "r", "w")
    ids = vocabulary.encode("hello world")
    assert ids.dtype == np.int64 and ids.shape == (11,)
    np.testing.assert_array_equal(ids[:5], [3, 2, 4, 4, 5])
    assert vocabulary.decode(ids) == "hello world"
    assert vocabulary.decode([]) == "" and vocabulary.encode("").shape == (0,)


def test_a_word_list_with_a_boundary_token_first():
    vocabulary = CharVocabulary.from_text(["emma", "olivia", "ava"], specials=(".",))
    assert vocabulary.tokens == (".", "a", "e", "i", "l", "m", "o", "v")
    assert len(vocabulary) == 8 and vocabulary.token_id(".") == 0 and "v" in vocabulary
    assert vocabulary.specials == (".",) and vocabulary.characters[0] == "a"
    np.testing.assert_array_equal(vocabulary.encode(".emma."), [0, 2, 5, 5, 1, 0])


def test_a_one_character_special_that_is_also_in_the_text_keeps_its_id():
    vocabulary = CharVocabulary.from_text("a.b", specials=(".",))
    assert vocabulary.tokens == (".", "a", "b")
    np.testing.assert_array_equal(vocabulary.encode("a.b"), [1, 0, 2])


def test_longer_special_tokens_never_come_out_of_encode():
    vocabulary = CharVocabulary.from_text("<pad>", specials=("<pad>", "."))
    assert vocabulary.tokens[:2] == ("<pad>", ".")
    np.testing.assert_array_equal(vocabulary.encode("pad"), [vocabulary.token_id(c) for c in "pad"])
    assert vocabulary.decode([0, 1, vocabulary.token_id("a")]) == "<pad>.a"


def test_any_unicode_text_round_trips():
    text = "床前明月光，疑是地上霜。\n𠀀 é"  # CJK, full-width punctuation, a non-BMP character
    vocabulary = CharVocabulary.from_text(text)
    assert vocabulary.decode(vocabulary.encode(text)) == text
    assert len(vocabulary) == len(set(text))


def test_unknown_characters_raise_by_default_naming_the_character_and_position():
    vocabulary = CharVocabulary.from_text("abc")
    with pytest.raises(ValueError, match=r"unknown character 'é' \(U\+00E9\) at position 3"):
        vocabulary.encode("abcé")
    with pytest.raises(ValueError, match=r"unknown character 'z' \(U\+007A\) at position 1 of text 1"):
        vocabulary.encode_each(["ab", "az"])


def test_unknown_characters_can_be_skipped_or_replaced():
    skipping = CharVocabulary.from_text("abc", unknown="skip")
    np.testing.assert_array_equal(skipping.encode("axbyc"), [0, 1, 2])
    replacing = CharVocabulary.from_text("abc", unknown="<unk>")
    assert replacing.specials == ("<unk>",)  # added because the text lacks it
    assert replacing.decode(replacing.encode("axb")) == "a<unk>b"
    literal = CharVocabulary.from_text("a<unk>", unknown="<unk>")  # the text spells it out
    assert literal.specials == ("<unk>",) and literal.encode("<unk>").tolist() == \
        [literal.token_id(c) for c in "<unk>"]
    question = CharVocabulary.from_text("ab?", unknown="?")
    assert question.specials == () and question.decode(question.encode("a!")) == "a?"
    with pytest.raises(ValueError, match=r"replacement token '\?' is not in the vocabulary"):
        CharVocabulary("ab", unknown="?")


def test_encode_each_equals_encoding_one_by_one():
    words = ["emma", "x", "olivia", "", "ava"]
    for unknown in ("skip", "<unk>"):
        vocabulary = CharVocabulary.from_text("emaolivx", unknown=unknown)
        together = vocabulary.encode_each(words + ["zeta"])
        alone = [vocabulary.encode(w) for w in words + ["zeta"]]
        assert len(together) == len(alone)
        for a, b in zip(together, alone):
            np.testing.assert_array_equal(a, b)
    assert CharVocabulary.from_text("a").encode_each([]) == []


def test_config_is_json_and_rebuilds_an_equal_vocabulary():
    vocabulary = CharVocabulary.from_text(["tang", "poem"], specials=("<pad>", "."), unknown="<unk>")
    config = json.loads(json.dumps(vocabulary.to_config()))
    rebuilt = CharVocabulary.from_config(config)
    assert rebuilt == vocabulary and rebuilt.tokens == vocabulary.tokens
    assert rebuilt.unknown == "<unk>" and rebuilt != CharVocabulary.from_text("tang")
    assert "CharVocabulary(11 tokens" in repr(rebuilt)
    with pytest.raises(ValueError, match="expected a dict with 'characters'"):
        CharVocabulary.from_config(["a", "b"])


def test_bad_vocabularies_and_ids_get_clear_errors():
    with pytest.raises(ValueError, match=r"tokens must be distinct; repeated: \['a'\]"):
        CharVocabulary("aba")
    with pytest.raises(ValueError, match="single characters, got 'ab'"):
        CharVocabulary(["ab"])
    with pytest.raises(ValueError, match="non-empty strings, got ''"):
        CharVocabulary("a", specials=("",))
    with pytest.raises(TypeError, match=r"specials must be a sequence of tokens, not the string '<pad>'"):
        CharVocabulary.from_text("abc", specials="<pad>")
    with pytest.raises(TypeError, match="expected strings, got int"):
        CharVocabulary.from_text(["a", 3])
    vocabulary = CharVocabulary.from_text("abc")
    with pytest.raises(TypeError, match="expected a string, got list"):
        vocabulary.encode(["a"])
    with pytest.raises(ValueError, match="id 3 at position 1 is out of range for a vocabulary of 3"):
        vocabulary.decode([0, 3])
    with pytest.raises(ValueError, match=r"expected a 1-D sequence of ids, got shape \(1, 2\)"):
        vocabulary.decode([[0, 1]])
    with pytest.raises(TypeError, match="ids must be integers, got dtype float64"):
        vocabulary.decode([0.0, 1.0])
    with pytest.raises(KeyError, match="'z' is not a token"):
        vocabulary.token_id("z")
