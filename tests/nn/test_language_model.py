"""Character language models: CharRNN, the masked next-token loss, sampling (temperature, top-k,
seeds, both ways of running a model), ``lucidgrad generate`` and ``lucidgrad train --dataset
words`` on small generated words."""
import io

import numpy as np
import pytest

import autograd as ag
import nn
from autograd import Tensor
from nn import cli
from nn.commands import train as train_command
from nn.commands.generate import generate
from nn.data.text import CharVocabulary
from nn.models import CharRNN
from nn.models.language import IGNORED, mean_nll, next_token_loss, word_sequences
from nn.sampling import next_token_probabilities, sample_ids

# every test here trains: once with fit's steps captured and replayed, once eagerly
pytestmark = pytest.mark.usefixtures("fit_modes")

WORDS = ["abba", "baba", "cab", "acca", "bac", "abc", "cabba", "bbc", "aab", "caca"] * 4
VOCABULARY = CharVocabulary.from_text(WORDS, specials=(".",))


def small_model(seed=0, **options):
    ag.seed(seed)
    return CharRNN(VOCABULARY, embedding_dim=4, hidden_size=8, **options)


def test_forward_and_step_agree_and_carry_the_state():
    model = small_model(cell="gru")
    ids = np.array([[0, 1, 2, 3, 1], [0, 2, 2, 1, 3]])
    whole = model(Tensor(ids)).data
    first, state = model.step(Tensor(ids[:, :2]))
    rest, _ = model.step(Tensor(ids[:, 2:]), state)
    np.testing.assert_allclose(np.concatenate([first.data, rest.data], axis=1), whole, rtol=1e-5)
    assert whole.shape == (2, 5, len(VOCABULARY))


def test_word_sequences_read_dot_word_and_predict_word_dot():
    inputs, targets = word_sequences(["ab", "c"], VOCABULARY)
    decode = VOCABULARY.decode
    assert decode(inputs[0]) == ".ab" and decode(targets[0]) == "ab."
    assert decode(inputs[1][:2]) == ".c" and list(targets[1]) == [3, 0, IGNORED]


def test_next_token_loss_counts_only_real_steps():
    logits = Tensor(np.random.default_rng(0).normal(size=(2, 3, 4)), requires_grad=True)
    targets = np.array([[1, 2, IGNORED], [3, IGNORED, IGNORED]])
    loss = next_token_loss(targets, logits)
    log_p = logits.data - np.log(np.exp(logits.data).sum(-1, keepdims=True))
    expected = -(log_p[0, 0, 1] + log_p[0, 1, 2] + log_p[1, 0, 3]) / 3
    np.testing.assert_allclose(loss.data, expected)
    loss.backward()
    assert np.all(logits.grad[0, 2] == 0) and np.all(logits.grad[1, 1:] == 0)
    with pytest.raises(ValueError, match=r"targets of shape \(2,\) do not fit logits"):
        next_token_loss(np.array([1, 2]), logits)


def test_mean_nll_is_per_token_over_all_batches():
    model = small_model()
    inputs, targets = word_sequences(WORDS[:7], VOCABULARY)
    whole = float(next_token_loss(targets, model(Tensor(inputs))).data)
    assert mean_nll(model, inputs, targets, batch_size=3) == pytest.approx(whole, rel=1e-5)


def test_the_model_file_carries_the_vocabulary(tmp_path):
    model = small_model(num_layers=2)
    model.save(tmp_path / "lm.npz")
    loaded = nn.load_model(tmp_path / "lm.npz")
    assert loaded.vocabulary == VOCABULARY and loaded.boundary == "."
    ids = Tensor(np.array([[0, 1, 2]]))
    np.testing.assert_array_equal(loaded(ids).data, model(ids).data)


# ---------------------------------------------------------------------- sampling
def test_probabilities_with_temperature_and_top_k():
    logits = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    np.testing.assert_allclose(next_token_probabilities(logits), [0.1, 0.2, 0.3, 0.4])
    np.testing.assert_allclose(next_token_probabilities(logits, top_k=2), [0, 0, 3 / 7, 4 / 7])
    sharp = next_token_probabilities(logits, temperature=0.5)
    np.testing.assert_allclose(sharp, np.array([1, 4, 9, 16]) / 30)
    np.testing.assert_array_equal(next_token_probabilities(logits, temperature=0), [0, 0, 0, 1])
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        next_token_probabilities(logits, temperature=-1)
    with pytest.raises(ValueError, match="top_k must be a positive integer"):
        next_token_probabilities(logits, top_k=0)


class _WholeContext(nn.Module):
    """A model without ``step``: sampled by reading the whole context every time."""

    def __init__(self, model):
        super().__init__()
        self.inner = model
        self.vocabulary, self.boundary = model.vocabulary, model.boundary

    def forward(self, ids):
        return self.inner(ids)


def test_both_ways_of_sampling_draw_the_same_tokens():
    model = small_model()
    stateful = list(sample_ids(model, [0, 1], 12, rng=3))
    whole = list(sample_ids(_WholeContext(model), [0, 1], 12, rng=3))
    assert stateful == whole and len(stateful) <= 12
    greedy = list(sample_ids(model, [0], 10, temperature=0))
    assert greedy == list(sample_ids(model, [0], 10, top_k=1, rng=9))


def test_sampling_stops_after_the_stop_token_and_is_seeded():
    model = small_model()
    runs = [list(sample_ids(model, [0], 200, rng=5, stop=0)) for _ in range(2)]
    assert runs[0] == runs[1]
    assert 0 not in runs[0][:-1]
    assert runs[0][-1] == 0 or len(runs[0]) == 200


def test_generate_streams_one_character_at_a_time():
    class Stream(io.StringIO):
        writes = 0

        def write(self, text):
            Stream.writes += 1
            return super().write(text)

    model = small_model()
    out = Stream()
    samples = generate(model, num=3, length=8, seed=0, prompt="a", out=out)
    lines = out.getvalue().splitlines()
    assert lines == samples and all(s.startswith("a") and len(s) <= 9 for s in samples)
    assert Stream.writes >= sum(len(s) for s in samples)  # each character written on its own
    assert generate(small_model(), 3, 8, seed=0, prompt="a", out=io.StringIO()) == samples


# ---------------------------------------------------------------------- the commands
@pytest.fixture
def small_words(monkeypatch):
    """The words dataset replaced by small generated words (train, validation, test)."""
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcde"), size=rng.integers(2, 7))) for _ in range(300)]
    choice = train_command.DATASETS["words"]
    monkeypatch.setitem(train_command.DATASETS, "words", train_command.DatasetChoice(
        choice.title, lambda *_: (words[:240], words[240:270], words[270:]), 0, False, text=True))


def test_train_on_words_reports_the_bigram_baseline_and_samples(small_words, tmp_path, capsys):
    assert cli.main(["train", "--dataset", "words", "--model", "lstm", "--epochs", "2",
                     "--output-dir", str(tmp_path), "--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert "nats per character (count-based bigram baseline: " in out
    samples = out.split("20 sampled words:\n")[1].splitlines()[:20]
    assert all(set(word) <= set("abcde") for word in samples)
    assert cli.main(["generate", "--model", str(tmp_path / "model.npz"), "--num", "4",
                     "--seed", "1", "--temperature", "0.8", "--top-k", "3"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4


def test_train_refuses_a_model_that_cannot_learn_text(small_words, capsys):
    assert cli.main(["train", "--dataset", "words", "--model", "cnn"]) == 2
    assert "--model cnn cannot learn text; choose one of ['gpt', 'lstm']" in capsys.readouterr().err


def test_generate_explains_what_it_needs(tmp_path, capsys):
    model = nn.Sequential([nn.Dense(2, input_shape=(3,))])
    model.save(tmp_path / "dense.npz")
    assert cli.main(["generate", "--model", str(tmp_path / "dense.npz")]) == 2
    assert "without a vocabulary" in capsys.readouterr().err
    small_model().save(tmp_path / "lm.npz")
    assert cli.main(["generate", "--model", str(tmp_path / "lm.npz"), "--prompt", "xyz"]) == 2
    assert "the prompt cannot be encoded" in capsys.readouterr().err
    assert cli.main(["generate", "--model", str(tmp_path / "missing.npz")]) == 2
