"""Truncated backpropagation through time (``examples/truncated_bptt.py``): the carried state must
be detached between chunks, the chunks continue each other, and the example trains on small
generated text."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor
from nn.data.text import CharVocabulary
from nn.models import CharRNN
from nn.models.language import next_token_loss

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "truncated_bptt.py"


@pytest.fixture(scope="module")
def example():
    spec = importlib.util.spec_from_file_location("truncated_bptt", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chunks_continue_each_other_row_by_row(example):
    rows = example.stream_rows(np.arange(23), 2)
    assert rows.tolist() == [list(range(11)), list(range(11, 22))]
    pieces = list(example.chunks(rows, 4))
    assert len(pieces) == 2
    np.testing.assert_array_equal(pieces[1][0][0], [4, 5, 6, 7])
    np.testing.assert_array_equal(pieces[1][1][0], [5, 6, 7, 8])


def test_the_carried_state_must_be_detached(example):
    vocabulary = CharVocabulary.from_text("abc", specials=(".",))
    ag.seed(0)
    model = CharRNN(vocabulary, embedding_dim=3, hidden_size=4)
    x, y = np.array([[1, 2, 3, 0]]), np.array([[2, 3, 0, 1]])
    logits, state = model.step(Tensor(x))
    next_token_loss(y, logits).backward()
    logits, _ = model.step(Tensor(x), state)  # the state still holds the freed first chunk
    with pytest.raises(ag.GraphReleasedError):
        next_token_loss(y, logits).backward()
    logits, state = model.step(Tensor(x))
    next_token_loss(y, logits).backward()
    logits, _ = model.step(Tensor(x), example.detached(state))
    next_token_loss(y, logits).backward()  # only this chunk's graph: fine


def test_the_example_learns_generated_text(example, monkeypatch):
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("abcd"), size=rng.integers(2, 6))) for _ in range(400)]
    monkeypatch.setattr(example, "load_words", lambda: words)
    lines = []
    ours, baseline = example.main(["--steps", "200", "--bptt", "8", "--batch", "8",
                                   "--hidden", "16", "--lr", "0.01"], print_fn=lines.append)
    assert ours < baseline  # it learns more than which letter follows which
    assert lines[-1].startswith("sample: ")
