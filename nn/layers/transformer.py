"""``TransformerEncoderLayer``: PyTorch's Transformer encoder block, self-attention then a
position-wise feed-forward network, each wrapped in a residual connection and a layer norm.

Post-norm (``norm_first=False``, the original Transformer and PyTorch's default)::

    x = norm1(x + dropout1(self_attn(x, x, x)))
    x = norm2(x + dropout2(linear2(dropout(activation(linear1(x))))))

Pre-norm (``norm_first=True``, GPT-2 and most models since; it trains without warmup tricks
because the residual path stays an identity)::

    x = x + dropout1(self_attn(norm1(x)))
    x = x + dropout2(linear2(dropout(activation(linear1(norm2(x))))))

The submodules have PyTorch's names and layouts (``self_attn.in_proj_weight``, ``linear1.weight``,
``norm1.weight``, ...), so a state dict copied from ``torch.nn.TransformerEncoderLayer`` gives
the same outputs.
"""
import numpy as np

from ..module import Module, register_layer
from ..validation import flag
from . import activations
from .attention import MultiheadAttention
from .dense import Linear
from .dropout import Dropout
from .layer_norm import LayerNorm

__all__ = ["TransformerEncoderLayer"]


@register_layer
class TransformerEncoderLayer(Module):
    """PyTorch's encoder layer: ``layer(src, src_mask=None, src_key_padding_mask=None,
    is_causal=False)``.

    ``src`` is ``(S, N, d_model)`` (``(N, S, d_model)`` with ``batch_first=True``) or unbatched
    ``(S, d_model)``; the masks are those of ``MultiheadAttention`` (``attn_mask`` and
    ``key_padding_mask``). ``activation`` is ``'relu'`` or ``'gelu'`` (exact, as PyTorch's), or
    the name of another built-in activation. ``bias=False`` removes the biases of the linear
    layers and the layer norms.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 dtype=np.float32):
        super().__init__()
        if not isinstance(activation, str):
            raise TypeError(f"TransformerEncoderLayer: activation must be a name such as 'relu' "
                            f"or 'gelu', got {type(activation).__name__}")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, dtype=dtype)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, dtype=dtype)
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation_name = activation.lower()
        self.activation = activations.get(self.activation_name)
        if self.activation is None:
            raise ValueError("TransformerEncoderLayer: activation 'linear' leaves the "
                             "feed-forward network linear; choose 'relu' or 'gelu'")
        self.norm_first = flag(norm_first, "norm_first", "TransformerEncoderLayer")

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """The encoded sequence, in the layout of ``src``."""
        x = src
        if self.norm_first:
            x = x + self._attention_block(self.norm1(x), src_mask, src_key_padding_mask,
                                          is_causal)
            return x + self._feed_forward_block(self.norm2(x))
        x = self.norm1(x + self._attention_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward_block(x))

    def _attention_block(self, x, mask, key_padding_mask, is_causal):
        out, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=key_padding_mask,
                                need_weights=False, is_causal=is_causal)
        return self.dropout1(out)

    def _feed_forward_block(self, x):
        return self.dropout2(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def get_config(self):
        attention = self.self_attn
        return {"d_model": attention.embed_dim, "nhead": attention.num_heads,
                "dim_feedforward": self.linear1.out_features, "dropout": self.dropout.rate,
                "activation": self.activation_name, "layer_norm_eps": self.norm1.eps,
                "batch_first": attention.batch_first, "norm_first": self.norm_first,
                "bias": self.linear1.bias is not None, "dtype": attention.dtype.name}

    def extra_repr(self):
        attention = self.self_attn
        return (f"d_model={attention.embed_dim}, nhead={attention.num_heads}, "
                f"dim_feedforward={self.linear1.out_features}, norm_first={self.norm_first}, "
                f"activation={self.activation_name!r}")
