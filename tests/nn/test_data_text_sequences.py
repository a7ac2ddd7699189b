"""Training arrays from text: splits, next-character windows, word contexts, padded words, and
their use with fit and with a hand-written loop."""
import math

import numpy as np
import pytest

import autograd as ag
import nn
from nn.data import batches, to_categorical
from nn.data.text import (CharVocabulary, char_windows, padded_words, sample_windows,
                          train_val_test_split, word_contexts)

WORDS = ["emma", "olivia", "ava", "isabella", "sophia", "mia", "amelia", "harper", "evelyn", "abigail"]


@pytest.fixture
def vocabulary():
    return CharVocabulary.from_text(WORDS, specials=(".",))


# ---------------------------------------------------------------- splits

def test_split_sizes_are_the_fractions_and_the_parts_cover_everything_once():
    items = [f"w{i}" for i in range(1003)]
    train, val, test = train_val_test_split(items, (0.8, 0.1, 0.1), seed=0)
    assert (len(train), len(val), len(test)) == (802, 101, 100)  # ends at round(802.4), round(902.7)
    assert sorted(train + val + test) == sorted(items)
    assert train != items[:802]  # shuffled


def test_splits_are_deterministic_by_seed():
    items = list(range(100))
    assert train_val_test_split(items, seed=3) == train_val_test_split(items, seed=3)
    assert train_val_test_split(items, seed=3) != train_val_test_split(items, seed=4)


def test_unshuffled_splits_of_an_array_are_contiguous_stretches():
    ids = np.arange(50)
    first, second = train_val_test_split(ids, (0.9, 0.1), shuffle=False)
    np.testing.assert_array_equal(first, np.arange(45))
    np.testing.assert_array_equal(second, np.arange(45, 50))


def test_split_rejects_bad_fractions():
    for fractions in [(1.0,), (0.8, 0.3), (1.2, -0.2)]:
        with pytest.raises(ValueError, match="sum to 1"):
            train_val_test_split([1, 2, 3], fractions)


# ---------------------------------------------------------------- next-character windows

def test_char_windows_are_the_text_and_the_text_shifted_by_one():
    ids = np.arange(20) * 3
    inputs, targets = char_windows(ids, block_size=4)
    assert inputs.shape == targets.shape == (4, 4) and inputs.dtype == np.int64
    np.testing.assert_array_equal(inputs[1], [12, 15, 18, 21])
    np.testing.assert_array_equal(targets[:, :-1], inputs[:, 1:])
    np.testing.assert_array_equal(targets[:, -1], ids[[4, 8, 12, 16]])
    inputs[0, 0] = -1  # copies, not views of ids
    assert ids[0] == 0


def test_char_windows_with_a_stride():
    inputs, targets = char_windows(np.arange(10), block_size=3, stride=1)
    assert inputs.shape == (7, 3)
    np.testing.assert_array_equal(inputs[:, 0], np.arange(7))
    np.testing.assert_array_equal(targets[-1], [7, 8, 9])
    assert char_windows(np.arange(10), 3, stride=4)[0].shape == (2, 3)


def test_windows_of_a_text_that_is_too_short():
    with pytest.raises(ValueError, match="a text of 4 ids is too short for windows of block_size=4"):
        char_windows(np.arange(4), 4)
    with pytest.raises(ValueError, match="block_size must be a positive integer, got 0"):
        char_windows(np.arange(4), 0)
    with pytest.raises(ValueError, match="1-D array of integer ids"):
        char_windows(np.zeros((2, 5), np.int64), 2)
    with pytest.raises(ValueError, match="stride must be a positive integer"):
        char_windows(np.arange(9), 2, stride=0)


def test_sample_windows_draws_real_windows_reproducibly():
    ids = np.arange(100, 200)
    inputs, targets = sample_windows(ids, 8, 16, rng=0)
    assert inputs.shape == targets.shape == (16, 8)
    np.testing.assert_array_equal(np.diff(inputs, axis=1), 1)  # contiguous stretches of the text
    np.testing.assert_array_equal(targets, inputs + 1)
    assert targets.max() <= 199
    again, _ = sample_windows(ids, 8, 16, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again, inputs)
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        sample_windows(ids, 8, 0)


# ---------------------------------------------------------------- words

def test_word_contexts_are_makemores(vocabulary):
    contexts, targets = word_contexts(["emma"], vocabulary, block_size=3)
    assert [vocabulary.decode(c) for c in contexts] == ["...", "..e", ".em", "emm", "mma"]
    assert vocabulary.decode(targets) == "emma."
    contexts, targets = word_contexts(WORDS, vocabulary, block_size=2)
    assert contexts.shape == (sum(map(len, WORDS)) + len(WORDS), 2) and targets.dtype == np.int64
    starts = np.flatnonzero((contexts == 0).all(axis=1))
    assert len(starts) == len(WORDS)
    assert vocabulary.decode(targets[starts[1]:starts[2]]) == "olivia."


def test_padded_words_frame_each_word_with_the_boundary(vocabulary):
    inputs, targets, mask = padded_words(["ava", "sophia"], vocabulary)
    assert inputs.shape == targets.shape == mask.shape == (2, 7)
    assert vocabulary.decode(inputs[0]) == ".ava..." and vocabulary.decode(targets[0]) == "ava...."
    assert vocabulary.decode(inputs[1]) == ".sophia" and vocabulary.decode(targets[1]) == "sophia."
    np.testing.assert_array_equal(mask.sum(axis=1), [4, 7])
    assert vocabulary.decode(targets[0][mask[0]]) == "ava."
    np.testing.assert_array_equal(targets[:, :-1][mask[:, 1:]], inputs[:, 1:][mask[:, 1:]])


def test_padded_words_with_a_pad_token_and_a_length():
    vocabulary = CharVocabulary.from_text(WORDS, specials=("<pad>", "."))
    inputs, targets, mask = padded_words(["mia"], vocabulary, pad="<pad>", length=6)
    assert vocabulary.decode(inputs[0]) == ".mia<pad><pad>"
    assert vocabulary.decode(targets[0]) == "mia.<pad><pad>"
    np.testing.assert_array_equal(mask[0], [1, 1, 1, 1, 0, 0])
    with pytest.raises(ValueError, match="length must be an integer of at least 4"):
        padded_words(["mia"], vocabulary, length=3)


def test_words_that_cannot_be_framed(vocabulary):
    with pytest.raises(ValueError, match=r"boundary token '#' is not in the vocabulary"):
        padded_words(["emma"], vocabulary, boundary="#")
    with pytest.raises(ValueError, match=r"word 1 \('e.m'\) contains the boundary token"):
        word_contexts(["ava", "e.m"], vocabulary, 3)
    with pytest.raises(ValueError, match="word 0 is ''"):
        padded_words([""], vocabulary)
    with pytest.raises(ValueError, match=r"unknown character 'z' \(U\+007A\) at position 0 of text 1"):
        padded_words(["ava", "zed"], vocabulary)
    skipping = CharVocabulary.from_text("ab", specials=(".",), unknown="skip")
    with pytest.raises(ValueError, match=r"word 0 \('zz'\) has no known characters"):
        padded_words(["zz"], skipping)


# ---------------------------------------------------------------- with fit and a loop

def test_word_contexts_train_with_fit(vocabulary):
    """The makemore MLP on one-hot contexts: fit brings the loss well below uniform guessing."""
    ag.seed(0)
    contexts, targets = word_contexts(WORDS * 20, vocabulary, block_size=3)
    x = to_categorical(contexts, len(vocabulary)).reshape(len(contexts), -1)
    model = nn.Sequential([nn.Dense(32, activation="tanh", input_shape=(x.shape[1],)),
                           nn.Dense(len(vocabulary), activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, targets, epochs=20, batch_size=64, verbose=0)
    assert history.history["loss"][-1] < 0.6 * math.log(len(vocabulary))


def test_padded_words_train_in_a_hand_written_loop(vocabulary):
    """A bigram as a linear layer on one-hot inputs, trained on the masked steps only."""
    ag.seed(0)
    inputs, targets, mask = padded_words(WORDS, vocabulary)
    size = len(vocabulary)
    layer = nn.Linear(size, size)
    optimizer = nn.optim.Adam(layer.parameters(), lr=0.05)
    loss_fn = nn.losses.CrossEntropyLoss()
    losses = []
    for epoch in range(30):
        for x, y, m in batches(inputs, targets, mask, batch_size=4, shuffle=True, seed=epoch):
            logits = layer(ag.Tensor(to_categorical(x[m], size)))
            loss = loss_fn(logits, y[m])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    assert np.mean(losses[:3]) > math.log(size) - 0.5 and np.mean(losses[-3:]) < 2.0


def test_text_arrays_work_with_the_data_loader(vocabulary):
    from nn.data import DataLoader, TensorDataset
    inputs, targets, mask = padded_words(WORDS, vocabulary)
    loader = DataLoader(TensorDataset(inputs, targets, mask), batch_size=4, shuffle=True, seed=0)
    seen = [(x.shape, y.dtype, m.dtype) for x, y, m in loader]
    assert len(seen) == 3 and seen[0] == ((4, inputs.shape[1]), np.int64, np.bool_)
    assert sum(m.sum() for _, _, m in loader) == mask.sum()
