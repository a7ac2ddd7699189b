"""A character-level language model (``--model lstm --dataset words`` of ``lucidgrad train``).

Built PyTorch style from ``Embedding``, ``LSTM`` (or ``GRU``) and ``Linear``::

    logits[:, t] = Linear(LSTM(Embedding(ids))[:, t])   scores the token that follows ids[:, t]

It keeps its ``CharVocabulary`` and its word boundary token in its configuration, so a saved
model file (JSON architecture, no pickle) holds everything ``lucidgrad generate`` needs.
``step(ids, state)`` runs the network on new tokens from a carried recurrent state, which is how
sampling goes one character at a time (``nn.sampling``). ``lucidgrad train --dataset words
--model lstm`` trains it with ``nn.models.language.next_token_loss``.
"""
from ..data.text import CharVocabulary
from ..layers import GRU, LSTM, Embedding, Linear
from ..module import register_layer
from ..training import Model

__all__ = ["CharRNN", "char_rnn"]

_CELLS = {"lstm": LSTM, "gru": GRU}


@register_layer
class CharRNN(Model):
    """Embedding -> ``num_layers`` of LSTM (or GRU, ``cell='gru'``) -> Linear, over the tokens of
    ``vocabulary`` (a ``CharVocabulary`` or its ``to_config()``). ``boundary`` is the token that
    starts and ends a word (kept only when the vocabulary has it).

    ``forward(ids)`` maps (batch, steps) ids to (batch, steps, vocabulary) logits;
    ``step(ids, state=None)`` also takes and returns the recurrent state.
    """

    def __init__(self, vocabulary, embedding_dim=32, hidden_size=256, num_layers=1, cell="lstm",
                 dropout=0.0, boundary=".", name=None):
        super().__init__(name=name)
        vocabulary = CharVocabulary.coerce(vocabulary, "CharRNN")
        if cell not in _CELLS:
            raise ValueError(f"CharRNN: cell must be one of {sorted(_CELLS)}, got {cell!r}")
        self.vocabulary = vocabulary
        self.boundary = boundary if boundary is not None and boundary in vocabulary else None
        self.cell = cell
        self.embedding = Embedding(len(vocabulary), embedding_dim)
        self.rnn = _CELLS[cell](embedding_dim, hidden_size, num_layers, batch_first=True,
                                dropout=dropout)
        self.head = Linear(hidden_size, len(vocabulary))

    def forward(self, ids):
        logits, _ = self.step(ids)
        return logits

    def step(self, ids, state=None):
        """``(logits, state)`` for ``ids`` (batch, steps), continuing from ``state`` (None: a
        fresh start): the recurrent layer's final state, to pass to the next call."""
        out, state = self.rnn(self.embedding(ids), state)
        return self.head(out), state

    def get_config(self):
        return {"vocabulary": self.vocabulary.to_config(),
                "embedding_dim": self.embedding.embedding_dim,
                "hidden_size": self.rnn.hidden_size, "num_layers": self.rnn.num_layers,
                "cell": self.cell, "dropout": self.rnn.dropout, "boundary": self.boundary,
                "name": self.name}


def char_rnn(input_shape, num_classes, vocabulary=None, **options):
    """``CharRNN`` for ``lucidgrad train`` (``input_shape`` and ``num_classes`` come from the
    data; the vocabulary decides the sizes)."""
    if vocabulary is None:
        raise ValueError("char_rnn: a language model needs the vocabulary of its text")
    known = ("embedding_dim", "hidden_size", "num_layers", "cell", "dropout", "boundary")
    return CharRNN(vocabulary, **{k: v for k, v in options.items() if k in known})
