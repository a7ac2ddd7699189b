"""Sampling text from a language model, one token at a time.

``sample_ids`` yields each token as soon as it is drawn, so a caller can print characters while
they are sampled. A model is sampled in one of two ways:

* a model with ``step(ids, state) -> (logits, state)`` (a recurrent one, such as ``CharRNN``)
  reads the prompt once and then only each new token, carrying its state;
* any other model maps (1, steps) ids to (1, steps, vocabulary) logits and reads the whole
  context again for every token (its last ``context_size`` tokens when it has that attribute,
  as a GPT with a fixed positional table does).

Each token is drawn from ``softmax(logits / temperature)`` over the ``top_k`` largest logits
(all of them when ``top_k`` is None); ``temperature=0`` always takes the most likely token.
"""
import numpy as np

from autograd import Tensor, no_grad

__all__ = ["sample_ids", "next_token_probabilities"]


def next_token_probabilities(logits, temperature=1.0, top_k=None):
    """The distribution to draw the next token from, given the last step's ``logits`` (a 1-D
    array over the vocabulary): float64, summing to 1."""
    logits = np.asarray(logits, dtype=np.float64)
    if temperature < 0:
        raise ValueError(f"sampling: temperature must be >= 0, got {temperature}")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer))
                              or top_k < 1):
        raise ValueError(f"sampling: top_k must be a positive integer or None, got {top_k!r}")
    if temperature == 0:
        probabilities = np.zeros_like(logits)
        probabilities[int(np.argmax(logits))] = 1.0
        return probabilities
    scaled = logits / temperature
    if top_k is not None and top_k < len(scaled):
        threshold = np.partition(scaled, -top_k)[-top_k]
        scaled = np.where(scaled >= threshold, scaled, -np.inf)
    scaled -= scaled.max()
    weights = np.exp(scaled)
    return weights / weights.sum()


def sample_ids(model, prompt, max_tokens, temperature=1.0, top_k=None, rng=None, stop=None):
    """Yield up to ``max_tokens`` token ids sampled from ``model`` after the ids of ``prompt``
    (at least one), one at a time; after yielding ``stop`` (an id) it ends. ``rng`` is a
    ``numpy.random.Generator`` or a seed. The model runs in inference mode, without a graph."""
    prompt = [int(i) for i in prompt]
    if not prompt:
        raise ValueError("sample_ids: the prompt needs at least one token")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    with model.mode(False), no_grad():
        if hasattr(model, "step"):
            yield from _sample_with_state(model, prompt, max_tokens, temperature, top_k, rng, stop)
        else:
            yield from _sample_with_context(model, prompt, max_tokens, temperature, top_k, rng,
                                            stop)


def _draw(logits, temperature, top_k, rng):
    probabilities = next_token_probabilities(logits, temperature, top_k)
    return int(min(np.searchsorted(np.cumsum(probabilities), rng.random(), side="right"),
                   len(probabilities) - 1))


def _sample_with_state(model, prompt, max_tokens, temperature, top_k, rng, stop):
    logits, state = model.step(Tensor(np.array([prompt])))
    for _ in range(max_tokens):
        token = _draw(logits.data[0, -1], temperature, top_k, rng)
        yield token
        if token == stop:
            return
        logits, state = model.step(Tensor(np.array([[token]])), state)


def _sample_with_context(model, prompt, max_tokens, temperature, top_k, rng, stop):
    context = list(prompt)
    window = getattr(model, "context_size", None)
    for _ in range(max_tokens):
        ids = context[-window:] if window else context
        logits = model(Tensor(np.array([ids])))
        token = _draw(logits.data[0, -1], temperature, top_k, rng)
        yield token
        if token == stop:
            return
        context.append(token)
