"""What every character-level language model trains and is scored with, whatever its layers.

Words become padded sequences as makemore builds them: ``.word`` is read and ``word.`` predicted,
one next character per step, the boundary ``.`` ending every word. Padded steps have the target
``IGNORED`` and count for nothing. ``next_token_loss`` is the mean cross-entropy over the counted
steps, in nats per character (``compile(loss=next_token_loss)``), and ``mean_nll`` the same
over a whole data set, the number to put next to ``BigramLanguageModel.nll``. Texts longer than
a model's context (the Tang poems) are read as one running text in fixed windows instead
(``text_windows``), every target counted.
"""
import numpy as np

from autograd import Tensor, no_grad, softmax_cross_entropy

from ..data.text import char_windows, padded_words

__all__ = ["IGNORED", "next_token_loss", "word_sequences", "text_windows", "mean_nll"]

IGNORED = -1  # the target of a padded step


def next_token_loss(targets, logits):
    """The mean cross-entropy of ``logits`` (batch, steps, vocabulary) against the next tokens
    ``targets`` (batch, steps), over the steps whose target is not ``IGNORED``: nats per
    predicted token (Keras argument order, for ``compile``)."""
    targets = np.asanyarray(targets.data if isinstance(targets, Tensor) else targets)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"next_token_loss: targets of shape {targets.shape} do not fit logits of "
                         f"shape {logits.shape}")
    classes = logits.shape[-1]
    if targets.size and (targets.min() < IGNORED or targets.max() >= classes):
        raise ValueError(f"next_token_loss: targets must lie in [0, {classes}) or be IGNORED "
                         f"({IGNORED}), got values from {targets.min()} to {targets.max()}")
    # Array operations only (no counts read into Python), so that a captured training step
    # replays them for every new batch. An IGNORED target matches no class: its row stays 0,
    # which gives it no loss and no gradient.
    one_hot = (targets[..., None] == np.arange(classes)).astype(logits.dtype)
    total = softmax_cross_entropy(logits, one_hot, axis=-1, reduction="sum")
    counted = np.maximum((targets != IGNORED).sum(), 1)
    return total * (1.0 / counted).astype(logits.dtype)


def word_sequences(words, vocabulary, boundary=".", length=None):
    """``(inputs, targets)`` for words: ``.word`` predicts ``word.``, padded on the right to
    ``length`` steps (default: the longest word plus one; the targets of padded steps are
    ``IGNORED``). See ``nn.data.text.padded_words``."""
    inputs, targets, mask = padded_words(words, vocabulary, boundary, length=length)
    return inputs, np.where(mask, targets, IGNORED)


def text_windows(texts, vocabulary, boundary, length, stride=None):
    """``(inputs, targets)`` for longer texts (poems): the texts joined into one running text,
    each one preceded and followed by ``boundary``, cut into windows of ``length`` characters
    that start every ``stride`` characters (default: ``length``, no overlap); ``targets`` are
    the inputs shifted by one (``nn.data.text.char_windows``)."""
    running = boundary + boundary.join(texts) + boundary
    return char_windows(vocabulary.encode(running), length, stride)


def mean_nll(model, inputs, targets, batch_size=256):
    """The mean negative log-likelihood of ``targets`` (``IGNORED`` steps left out) under
    ``model``, in nats per token, over all the batches (inference mode, no graph)."""
    total, count = 0.0, 0
    with model.mode(False), no_grad():
        for start in range(0, len(inputs), batch_size):
            batch = slice(start, start + batch_size)
            counted = int((targets[batch] != IGNORED).sum())
            if counted:
                total += float(next_token_loss(targets[batch], model(Tensor(inputs[batch]))).data) * counted
                count += counted
    return total / count
