"""A small GPT: a decoder-only Transformer that predicts the next token of a sequence.

Tokens ``x_1 .. x_T`` (integer ids, ``T <= context_length``) become vectors, pass through
``num_layers`` pre-norm Transformer blocks whose self-attention is causal (step ``t`` sees steps
``1 .. t`` only), and come out as logits over the vocabulary for the token after each step::

    h_0 = E[x_t] + P[t]                                  token and learned position embeddings
    h_l = block_l(h_{l-1})                               pre-norm, causal (TransformerEncoderLayer)
          a = h + attention(LayerNorm(h))                  attention: num_heads heads
          h' = a + W_2 gelu(W_1 LayerNorm(a))              feed-forward: 4 * embed_dim units
    logits_t = LayerNorm(h_L) W_head^T                   W_head = E when tie_weights

Trained with the mean cross-entropy of every next token (``nn.models.language.next_token_loss``),
all ``T`` positions of a window at once: the causal mask is what keeps position ``t`` from
reading the answer. Initialization follows GPT-2: weights from N(0, 0.02), the two projections that write
into the residual stream from N(0, 0.02 / sqrt(2 num_layers)), biases zero, layer norms one.

The defaults are the CPU configuration of a well-known tiny-GPT project (4 layers, 4 heads,
128-dimensional embeddings, a context of 64 characters).
"""
import math

import numpy as np

from autograd import no_grad

from .. import init
from ..containers import ModuleList
from ..data.text import CharVocabulary
from ..layers import (Dropout, Embedding, LayerNorm, Linear, PositionalEmbedding,
                      TransformerEncoderLayer)
from ..module import register_layer
from ..training import Model
from ..validation import flag, float_dtype, positive_int

__all__ = ["GPT", "gpt"]

INIT_STD = 0.02


@register_layer
class GPT(Model):
    """A GPT for token ids ``(N, T)`` (or ``(T,)``), returning next-token logits ``(N, T,
    vocab_size)`` (see the module docstring).

    ``dropout`` applies to the embeddings, the attention weights and each block's two residual
    branches in training. ``bias=False`` removes the biases of the linear layers and layer
    norms; ``tie_weights`` shares the token embedding with the output projection.
    ``activation`` is the feed-forward nonlinearity: ``'gelu_tanh'`` (GPT-2's tanh form of the
    GELU, the default), ``'gelu'`` (the exact erf form, slower here) or ``'relu'``.

    A GPT trained on text keeps its ``vocabulary`` (a ``CharVocabulary`` or its config) and the
    ``boundary`` token that starts and ends a word (``'.'`` for the word list), in its model
    file too, so ``lucidgrad generate`` can sample from it; ``context_size`` is how many tokens
    it reads at most.
    """

    def __init__(self, vocab_size, context_length=64, num_layers=4, num_heads=4, embed_dim=128,
                 dropout=0.0, bias=True, tie_weights=True, activation="gelu_tanh",
                 vocabulary=None, boundary=None, dtype=np.float32, name=None):
        super().__init__(name=name)
        if vocabulary is not None:
            vocabulary = CharVocabulary.coerce(vocabulary, "GPT")
            if len(vocabulary) != vocab_size:
                raise ValueError(f"GPT: vocab_size {vocab_size} differs from the vocabulary's "
                                 f"{len(vocabulary)} tokens")
        self.vocabulary = vocabulary
        self.boundary = boundary if vocabulary is not None and boundary in vocabulary else None
        self.vocab_size = positive_int(vocab_size, "vocab_size", "GPT")
        self.context_length = positive_int(context_length, "context_length", "GPT")
        self.num_layers = positive_int(num_layers, "num_layers", "GPT")
        self.num_heads = positive_int(num_heads, "num_heads", "GPT")
        self.embed_dim = positive_int(embed_dim, "embed_dim", "GPT")
        self.tie_weights = flag(tie_weights, "tie_weights", "GPT")
        self.dtype = float_dtype(dtype, "GPT")
        self.token_embedding = Embedding(self.vocab_size, self.embed_dim, dtype=self.dtype)
        self.position_embedding = PositionalEmbedding(self.context_length, self.embed_dim,
                                                      dtype=self.dtype)
        self.dropout = Dropout(dropout)
        self.blocks = ModuleList(
            TransformerEncoderLayer(self.embed_dim, self.num_heads, 4 * self.embed_dim, dropout,
                                    activation=activation, batch_first=True, norm_first=True,
                                    bias=bias, dtype=self.dtype)
            for _ in range(self.num_layers))
        self.norm = LayerNorm(self.embed_dim, bias=bias, dtype=self.dtype)
        self.head = Linear(self.embed_dim, self.vocab_size, bias=False, dtype=self.dtype)
        if self.tie_weights:
            self.head.weight = self.token_embedding.weight
        self._input_shape = (self.context_length,)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weights as GPT-2 does (see the module docstring), from
        ``autograd.generator()``."""
        residual_std = INIT_STD / math.sqrt(2 * self.num_layers)
        writers = {id(p) for block in self.blocks
                   for p in (block.self_attn.out_proj.weight, block.linear2.weight)}
        for module in self.modules():
            for name, p in module._parameters.items():
                if name.endswith("bias"):
                    init.zeros_(p)
                elif isinstance(module, LayerNorm):
                    init.ones_(p)
                else:
                    init.normal_(p, 0.0, residual_std if id(p) in writers else INIT_STD)

    def _embed(self, tokens):
        tokens = self.token_embedding.token_ids(tokens)
        if tokens.ndim not in (1, 2) or tokens.shape[-1] == 0:
            raise ValueError(f"GPT: expected token ids of shape (batch, length) or (length,), got "
                             f"shape {tokens.shape}")
        if tokens.shape[-1] > self.context_length:
            raise ValueError(f"GPT: a sequence of {tokens.shape[-1]} tokens (input shape "
                             f"{tokens.shape}) is longer than the context of "
                             f"{self.context_length} tokens")
        return self.dropout(self.position_embedding(self.token_embedding(tokens)))

    def forward(self, tokens):
        x = self._embed(tokens)
        for block in self.blocks:
            x = block(x, is_causal=True)
        return self.head(self.norm(x))

    def attention_maps(self, tokens):
        """The attention weights of every block for ``tokens``: a list of ``(N, heads, T, T)``
        arrays (``(heads, T, T)`` for one unbatched sequence), row ``t`` of a head being what
        step ``t`` looked at. Computed in inference mode without a graph, for pictures (see
        ``nn.attention_maps.plot_attention``)."""
        maps = []
        with no_grad(), self.mode(False):
            x = self._embed(tokens)
            for block in self.blocks:
                seen = block.norm1(x) if block.norm_first else x
                _, weights = block.self_attn(seen, seen, seen, need_weights=True,
                                             average_attn_weights=False, is_causal=True)
                maps.append(weights.data)
                x = block(x, is_causal=True)
        return maps

    def get_config(self):
        block = self.blocks[0]
        return {"vocab_size": self.vocab_size, "context_length": self.context_length,
                "num_layers": self.num_layers, "num_heads": self.num_heads,
                "embed_dim": self.embed_dim, "dropout": self.dropout.rate,
                "bias": block.linear1.bias is not None, "tie_weights": self.tie_weights,
                "activation": block.activation_name,
                "vocabulary": None if self.vocabulary is None else self.vocabulary.to_config(),
                "boundary": self.boundary, "dtype": self.dtype.name, "name": self.name}

    @property
    def context_size(self):
        """The most tokens the model reads (the length of its position table)."""
        return self.context_length

    def extra_repr(self):
        return (f"vocab_size={self.vocab_size}, context_length={self.context_length}, "
                f"num_layers={self.num_layers}, num_heads={self.num_heads}, "
                f"embed_dim={self.embed_dim}")


def gpt(input_shape, vocab_size, vocabulary=None, boundary=".", **options):
    """The ``MODELS`` builder (``lucidgrad train --model gpt`` on a text dataset): a GPT over
    ``vocab_size`` tokens (those of ``vocabulary``) that reads ``input_shape[0]`` tokens at
    most; ``options`` are ``GPT``'s keyword arguments (others are ignored)."""
    known = ("num_layers", "num_heads", "embed_dim", "dropout", "bias", "tie_weights",
             "activation")
    settings = {key: value for key, value in options.items() if key in known}
    return GPT(int(vocab_size), int(input_shape[0]), vocabulary=vocabulary, boundary=boundary,
               **settings)
