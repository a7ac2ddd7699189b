"""PyTorch references for the Transformer benchmarks: the same small GPT as ``nn.models.GPT``
(built from ``torch.nn.TransformerEncoderLayer``), and weight copying from lucidgrad's models.

Both models have the same parameter names, so ``copy_weights`` moves a lucidgrad state dict
across; the GPT's position table is the only name that differs.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

__all__ = ["TorchGPT", "copy_weights", "torch_activation", "torch_name"]


def torch_activation(name: str):
    """PyTorch's form of one of lucidgrad's activation names."""
    if name == "gelu_tanh":
        return lambda x: nn.functional.gelu(x, approximate="tanh")
    return name


class TorchGPT(nn.Module):
    """Token and position embeddings, pre-norm causal encoder layers, a final LayerNorm and a
    head tied to the token embedding: ``nn.models.GPT`` in PyTorch."""

    def __init__(self, vocab_size, context_length, num_layers, num_heads, embed_dim,
                 activation="gelu_tanh", dropout=0.0):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, embed_dim)
        self.position_table = nn.Parameter(torch.zeros(context_length, embed_dim))
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            nn.TransformerEncoderLayer(embed_dim, num_heads, 4 * embed_dim, dropout,
                                       torch_activation(activation), batch_first=True,
                                       norm_first=True)
            for _ in range(num_layers))
        self.norm = nn.LayerNorm(embed_dim)
        self.head = nn.Linear(embed_dim, vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight
        mask = torch.triu(torch.ones(context_length, context_length, dtype=torch.bool), 1)
        self.register_buffer("causal_mask", mask)

    def forward(self, tokens):
        length = tokens.shape[1]
        x = self.dropout(self.token_embedding(tokens) + self.position_table[:length])
        mask = self.causal_mask[:length, :length]
        for block in self.blocks:
            x = block(x, src_mask=mask, is_causal=True)
        return self.head(self.norm(x))


_RENAMED = {"position_embedding.table": "position_table"}


def torch_name(name: str) -> str:
    """The name in ``TorchGPT`` of the lucidgrad parameter called ``name``."""
    return _RENAMED.get(name, name)


def copy_weights(ours, theirs: nn.Module) -> None:
    """Copy every parameter of the lucidgrad module ``ours`` into the PyTorch module ``theirs``
    (same names, except the GPT's position table)."""
    state = {torch_name(name): array for name, array in ours.state_dict().items()}
    targets = dict(theirs.named_parameters())
    with torch.no_grad():
        for name, array in state.items():
            targets[name].copy_(torch.from_numpy(np.ascontiguousarray(array)))
