"""The count-based bigram baseline: counts, smoothing, loss in nats, sampling."""
import math
import re
from pathlib import Path

import numpy as np
import pytest

from nn.data.text import (WORDS, BigramLanguageModel, CharVocabulary, load_words, padded_words,
                          train_val_test_split)


@pytest.fixture
def vocabulary():
    return CharVocabulary.from_text("ab", specials=(".",))  # ids: . 0, a 1, b 2


def test_counts_and_add_one_probabilities(vocabulary):
    model = BigramLanguageModel(3).fit(*padded_words(["ab", "a"], vocabulary))
    # pairs: .a ab b. | .a a.   (the padding of "a" is masked out)
    np.testing.assert_array_equal(model.counts, [[0, 2, 0], [1, 0, 1], [1, 0, 0]])
    np.testing.assert_allclose(model.probabilities[0], [1 / 5, 3 / 5, 1 / 5])
    np.testing.assert_allclose(model.probabilities[2], [2 / 4, 1 / 4, 1 / 4])
    np.testing.assert_allclose(model.probabilities.sum(axis=1), 1)


def test_nll_is_the_mean_negative_log_probability_in_nats(vocabulary):
    model = BigramLanguageModel(3, smoothing=0.5).fit(*padded_words(["ab", "a"], vocabulary))
    p = model.probabilities
    expected = -np.mean(np.log([p[0, 1], p[1, 2], p[2, 0]]))
    assert model.nll(*padded_words(["ab"], vocabulary)) == pytest.approx(expected, rel=1e-12)
    # unmasked arrays are scored pair by pair, as char_windows give them
    pairs = -np.log(p[[0, 1], [1, 2]]).mean()
    assert model.nll(np.array([0, 1]), np.array([1, 2])) == pytest.approx(pairs)


def test_without_smoothing_unseen_pairs_are_impossible(vocabulary):
    model = BigramLanguageModel(3, smoothing=0).fit(*padded_words(["ab"], vocabulary))
    assert model.nll(*padded_words(["ab"], vocabulary)) == 0.0  # every step is certain
    assert model.nll(*padded_words(["ba"], vocabulary)) == math.inf
    assert model.sample_words(vocabulary, 5, seed=0) == ["ab"] * 5


def test_fit_replaces_earlier_counts(vocabulary):
    model = BigramLanguageModel(3)
    model.fit(*padded_words(["ab"], vocabulary))
    model.fit(*padded_words(["ba"], vocabulary))
    assert model.counts.sum() == 3 and model.counts[0, 2] == 1 and model.counts[0, 1] == 0


def test_sampling_is_reproducible_and_bounded(vocabulary):
    model = BigramLanguageModel(3).fit(*padded_words(["ab", "ba", "aab"], vocabulary))
    words = model.sample_words(vocabulary, 50, seed=1, max_length=4)
    assert words == model.sample_words(vocabulary, 50, seed=1, max_length=4)
    assert words != model.sample_words(vocabulary, 50, seed=2, max_length=4)
    assert all(len(w) <= 4 and set(w) <= {"a", "b"} for w in words)
    assert any(len(w) == 4 for w in words) and "" in words  # "." right after "." is possible
    ids = model.generate(1, 10, seed=0, stop=0)
    assert len(ids) <= 10 and (ids[-1] == 0 or len(ids) == 10) and 0 not in ids[:-1]


def test_bad_input_gets_clear_errors(vocabulary):
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        BigramLanguageModel(0)
    with pytest.raises(ValueError, match="smoothing must be a number >= 0"):
        BigramLanguageModel(3, smoothing=-1)
    model = BigramLanguageModel(3)
    with pytest.raises(ValueError, match=r"same shape, got \(2,\) and \(3,\)"):
        model.fit([0, 1], [1, 2, 0])
    with pytest.raises(ValueError, match=r"targets hold ids outside \[0, 3\): min 1, max 3"):
        model.fit([0, 1], [1, 3])
    with pytest.raises(ValueError, match="mask must be a bool array"):
        model.fit([0, 1], [1, 2], mask=[1, 0])
    with pytest.raises(ValueError, match="no pairs to score"):
        model.nll([], [])
    with pytest.raises(ValueError, match="the vocabulary has 4 tokens, the model 3"):
        model.sample_words(CharVocabulary.from_text("abc", specials=(".",)), 1)
    with pytest.raises(ValueError, match=r"start id 5 is outside \[0, 3\)"):
        model.generate(5, 3)


@pytest.mark.skipif(not Path(WORDS.system_path).is_file(),
                    reason="Debian's wamerican is not installed (/usr/share/dict/american-english)")
def test_the_baseline_on_the_real_word_list(monkeypatch):
    monkeypatch.delenv("LUCIDGRAD_DATA", raising=False)
    words = load_words()
    vocabulary = CharVocabulary.from_text(words, specials=(".",))
    train, _, test = train_val_test_split(words, (0.8, 0.1, 0.1), seed=0)
    model = BigramLanguageModel(len(vocabulary)).fit(*padded_words(train, vocabulary))
    test_nll = model.nll(*padded_words(test, vocabulary))
    assert 2.3 < test_nll < 2.6 < math.log(len(vocabulary))  # 2.47 with wamerican 2020.12.07


def test_the_example_script_prints_splits_losses_and_samples(tmp_path, capsys):
    import runpy
    words = tmp_path / "words"
    words.write_text("\n".join(a + b for a in ["em", "oli", "av", "isa", "so"] for b in "abcd"))
    script = Path(__file__).resolve().parents[2] / "examples" / "bigram_words.py"
    runpy.run_path(str(script))["main"](["--words", str(words), "--samples", "3"])
    out = capsys.readouterr().out
    assert "20 words, 12 tokens; split train 16, val 2, test 2" in out
    assert re.search(r"bigram test loss: \d\.\d{4} nats per character", out)
    assert len(out.splitlines()[-1].split()) == 1 + 3
