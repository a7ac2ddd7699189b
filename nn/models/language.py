"""What every character-level language model trains and is scored with, whatever its layers.

Words become padded sequences as makemore builds them: ``.word`` is read and ``word.`` predicted,
one next character per step, the boundary ``.`` ending every word. Padded steps have the target
``IGNORED`` and count for nothing. ``next_token_loss`` is the mean cross-entropy over the counted
steps, in nats per character (``compile(loss=next_token_loss)``), and ``mean_nll`` the same
over a whole data set, the number to put next to ``BigramLanguageModel.nll``.
"""
import numpy as np

from autograd import Tensor, no_grad, softmax_cross_entropy

from ..data.text import padded_words

__all__ = ["IGNORED", "next_token_loss", "word_sequences", "mean_nll"]

IGNORED = -1  # the target of a padded step


def next_token_loss(targets, logits):
    """The mean cross-entropy of ``logits`` (batch, steps, vocabulary) against the next tokens
    ``targets`` (batch, steps), over the steps whose target is not ``IGNORED``: nats per
    predicted token (Keras argument order, for ``compile``)."""
    targets = np.asanyarray(targets.data if isinstance(targets, Tensor) else targets)
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"next_token_loss: targets of shape {targets.shape} do not fit logits of "
                         f"shape {logits.shape}")
    counted = targets != IGNORED
    one_hot = np.zeros(logits.shape, dtype=logits.dtype)
    one_hot[counted, targets[counted]] = 1  # rows of padded steps stay 0: no loss, no gradient
    total = softmax_cross_entropy(logits, one_hot, axis=-1, reduction="sum")
    return total * (1.0 / max(int(counted.sum()), 1))


def word_sequences(words, vocabulary, boundary="."):
    """``(inputs, targets)`` for words: ``.word`` predicts ``word.``, padded on the right (the
    targets of padded steps are ``IGNORED``). See ``nn.data.text.padded_words``."""
    inputs, targets, mask = padded_words(words, vocabulary, boundary)
    return inputs, np.where(mask, targets, IGNORED)


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
