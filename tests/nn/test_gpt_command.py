"""``lucidgrad train --model gpt`` on the text datasets (small generated text stands in for the
word list and the poems) and ``lucidgrad generate`` from the saved GPT."""
import numpy as np
import pytest

from nn import cli
from nn.commands import train as train_command
from nn.models import GPT


def generated_texts(count, low, high, letters="abcde", seed=0):
    rng = np.random.default_rng(seed)
    return ["".join(rng.choice(list(letters), size=rng.integers(low, high))) for _ in range(count)]


@pytest.fixture
def small_corpora(monkeypatch):
    """Both text datasets replaced by small generated texts (train, validation, test)."""
    words, poems = generated_texts(300, 2, 7), generated_texts(60, 20, 60, "abcdef\n", seed=1)
    for name, texts, split, window in (("words", words, (240, 270), None),
                                       ("tang300", poems, (48, 54), 16)):
        choice = train_command.DATASETS[name]
        monkeypatch.setitem(train_command.DATASETS, name, train_command.DatasetChoice(
            choice.title, lambda *_, t=texts, s=split: (t[:s[0]], t[s[0]:s[1]], t[s[1]:]), 0,
            False, text=True, boundary=choice.boundary, window=window, unit=choice.unit,
            samples=choice.samples, sample_length=choice.sample_length))


def test_train_a_gpt_on_words_then_generate(small_corpora, tmp_path, capsys):
    assert cli.main(["train", "--dataset", "words", "--model", "gpt", "--epochs", "1",
                     "--output-dir", str(tmp_path), "--verbose", "2"]) == 0
    out = capsys.readouterr().out
    assert "blocks.3 (TransformerEncoderLayer)" in out and "Training with adamw" in out
    assert "nats per character (count-based bigram baseline: " in out
    samples = out.split("20 sampled words:\n")[1].splitlines()[:20]
    assert len(samples) == 20 and all(set(word) <= set("abcde") for word in samples)
    assert cli.main(["generate", "--model", str(tmp_path / "model.npz"), "--num", "3",
                     "--seed", "1", "--top-k", "3", "--temperature", "0.7"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


def test_train_a_gpt_on_poems_read_as_running_text(small_corpora, tmp_path, capsys):
    assert cli.main(["train", "--dataset", "tang300", "--model", "gpt", "--epochs", "1",
                     "--output-dir", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "3 sampled poems:" in out and "bigram baseline" in out
    model = __import__("nn").load_model(tmp_path / "model.npz")
    assert isinstance(model, GPT) and model.context_size == 16 and model.boundary == "|"


def test_a_gpt_needs_text(capsys):
    assert cli.main(["train", "--dataset", "moons", "--model", "gpt"]) == 2
    assert "this model reads text; choose --dataset tang300 or words" in capsys.readouterr().err
