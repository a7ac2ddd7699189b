"""Multi-head attention, in PyTorch's flavour (``MultiheadAttention``) and Keras's
(``MultiHeadAttention``), over one implementation: ``multi_head_attention``.

With ``H`` heads of size ``d``, queries, keys and values are projected once for all heads, split
into heads, attended head by head with the ``scaled_dot_product_attention`` op, merged and
projected back::

    q = query W_q + b_q      k = key W_k + b_k      v = value W_v + b_v        (H * d features)
    head_h = softmax(q_h k_h^T / sqrt(d) + mask) v_h                          (h = 1 .. H)
    out = [head_1, ..., head_H] W_o + b_o

The flavours store the same projections in different layouts, so weights copied from either
framework give the same outputs:

    PyTorch  in_proj_weight (3E, E) holds W_q, W_k, W_v as rows (PyTorch's linear layout, y = x W^T),
             in_proj_bias (3E,), out_proj.weight (E, E), out_proj.bias (E,); d = E / num_heads.
             With kdim or vdim different from E: q_proj_weight (E, E), k_proj_weight (E, kdim),
             v_proj_weight (E, vdim) instead of in_proj_weight.
    Keras    query.kernel (E_q, H, key_dim), query.bias (H, key_dim), the same for key (E_k) and
             value (E_v, H, value_dim), attention_output.kernel (H, value_dim, E_out) and
             attention_output.bias (E_out,).

They also read masks the other way round. PyTorch's boolean ``attn_mask`` is True where attention
is NOT allowed and ``key_padding_mask`` is True at padded keys; float masks are added to the
scores (-inf forbids). Keras's ``attention_mask`` is True (1) where attention IS allowed, and
forbidden positions get -1e9 added (Keras's large negative number), so a query that may see no
key at all attends uniformly instead of returning NaN (PyTorch returns NaN there).
"""
import math

import numpy as np

from autograd import Tensor, affine, causal_mask, linear, scaled_dot_product_attention

from .. import initializers, regularizers
from ..functional import cast_input
from ..module import Module, Parameter, register_layer
from ..validation import flag, float_dtype, positive_int, real_number, sample_shape
from ._weight_options import kernel_and_bias_penalties
from .dense import Linear

__all__ = ["multi_head_attention", "MultiheadAttention", "MultiHeadAttention"]

KERAS_LARGE_NEGATIVE = -1e9


def multi_head_attention(q, k, v, num_heads, *, batch_first=True, mask=None, causal=False,
                         dropout=0.0, need_weights=False):
    """Attention of projected queries over projected keys and values, head by head.

    ``q`` is ``(N, L, H * d)``, ``k`` ``(N, S, H * d)`` and ``v`` ``(N, S, H * dv)`` (``(L, N,
    ...)`` and ``(S, N, ...)`` with ``batch_first=False``). ``mask`` broadcasts to the scores'
    shape ``(N, H, L, S)``: boolean (attend where True) or added to the scores. ``causal`` lets
    query ``i`` see keys ``j <= i``; ``dropout`` zeroes attention weights (training). Returns
    ``(out, weights)``: ``out`` in the layout of ``q`` with ``H * dv`` features, ``weights``
    ``(N, H, L, S)`` (before dropout) when ``need_weights``, else None.
    """
    split = (0, 2, 1, 3) if batch_first else (1, 2, 0, 3)  # (N or L, L or N, H, d) -> (N, H, L, d)

    def heads(t):
        return t.reshape(t.shape[:2] + (num_heads, t.shape[2] // num_heads)).transpose(split)

    out, weights = scaled_dot_product_attention(heads(q), heads(k), heads(v), mask=mask,
                                                causal=causal, dropout=dropout,
                                                return_weights=True)
    out = out.transpose(tuple(int(a) for a in np.argsort(split)))
    return out.reshape(out.shape[:2] + (-1,)), (weights if need_weights else None)


def _dropout_rate(rate, where):
    return real_number(rate, "dropout", where, 0.0, 1.0, high_open=True)


def _mask_array(mask, name, where):
    """A mask as a numpy array, boolean or floating (anything else is an error naming it)."""
    array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if array.dtype != np.bool_ and not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{where}: {name} must be boolean or floating, got dtype {array.dtype}")
    return array


# ---------------------------------------------------------------------- PyTorch
@register_layer
class MultiheadAttention(Module):
    """PyTorch's multi-head attention: ``attn(query, key, value)`` returns ``(attn_output,
    attn_weights)``.

    Inputs are ``(L, N, E)`` (``(N, L, E)`` with ``batch_first=True``) or unbatched ``(L, E)``;
    key and value ``(S, N, kdim)`` and ``(S, N, vdim)``. Weights are initialized as PyTorch does:
    Xavier-uniform projections, zero biases, ``out_proj`` a ``Linear`` with a zeroed bias.
    ``dropout`` applies to the attention weights in training mode.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, kdim=None, vdim=None,
                 batch_first=False, dtype=np.float32):
        super().__init__()
        where = "MultiheadAttention"
        self.embed_dim = positive_int(embed_dim, "embed_dim", where)
        self.num_heads = positive_int(num_heads, "num_heads", where)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{where}: embed_dim {self.embed_dim} is not divisible by num_heads "
                             f"{self.num_heads} (each head gets embed_dim / num_heads features)")
        self.head_dim = self.embed_dim // self.num_heads
        self.kdim = self.embed_dim if kdim is None else positive_int(kdim, "kdim", where)
        self.vdim = self.embed_dim if vdim is None else positive_int(vdim, "vdim", where)
        self.dropout = _dropout_rate(dropout, where)
        self.batch_first = flag(batch_first, "batch_first", where)
        self.dtype = float_dtype(dtype, where)
        e = self.embed_dim
        glorot = initializers.glorot_uniform  # Xavier-uniform: fan_in + fan_out of the matrix
        self.same_embed_dim = self.kdim == e and self.vdim == e
        if self.same_embed_dim:
            self.in_proj_weight = Parameter(glorot((3 * e, e), dtype=self.dtype))
        else:
            self.q_proj_weight = Parameter(glorot((e, e), dtype=self.dtype))
            self.k_proj_weight = Parameter(glorot((e, self.kdim), dtype=self.dtype))
            self.v_proj_weight = Parameter(glorot((e, self.vdim), dtype=self.dtype))
        bias = flag(bias, "bias", where)
        self.in_proj_bias = Parameter(np.zeros(3 * e, dtype=self.dtype)) if bias else None
        self.out_proj = Linear(e, e, bias=bias, dtype=self.dtype)
        if bias:
            self.out_proj.bias.data[...] = 0

    def _projections(self, query, key, value):
        e, b = self.embed_dim, self.in_proj_bias
        if self.same_embed_dim and query is key and key is value:  # self-attention: one product
            qkv = linear(query, self.in_proj_weight, b)
            return qkv[..., :e], qkv[..., e:2 * e], qkv[..., 2 * e:]
        if self.same_embed_dim:
            w = self.in_proj_weight
            weights = w[:e], w[e:2 * e], w[2 * e:]
        else:
            weights = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        biases = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return tuple(linear(x, w, bias) for x, w, bias in zip((query, key, value), weights, biases))

    def _check(self, query, key, value):
        where = f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{where}: query, key and value must all be 3-D (batched) or all 2-D "
                             f"(unbatched), got shapes {query.shape}, {key.shape} and {value.shape}")
        for name, x, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):
            if x.shape[-1] != size:
                raise ValueError(f"{where}: expected {name} with {size} features on the last axis, "
                                 f"got shape {x.shape}")
        batch_axis = 0 if self.batch_first else 1
        if query.ndim == 3 and not query.shape[batch_axis] == key.shape[batch_axis] == \
                value.shape[batch_axis]:
            raise ValueError(f"{where}: query, key and value must have the same batch size on axis "
                             f"{batch_axis}, got shapes {query.shape}, {key.shape} and {value.shape}")
        sequence_axis = -2 if query.ndim == 2 else 1 - batch_axis
        if key.shape[sequence_axis] != value.shape[sequence_axis]:
            raise ValueError(f"{where}: key and value must have the same length, got shapes "
                             f"{key.shape} and {value.shape}")
        return where

    def _mask(self, where, attn_mask, key_padding_mask, batch, length, source, dtype):
        """One additive mask broadcasting to ``(N, H, L, S)`` (or None): -inf where PyTorch's
        boolean masks say True, float masks as they are."""
        total = None
        if attn_mask is not None:
            mask = _mask_array(attn_mask, "attn_mask", where)
            heads = (batch * self.num_heads, length, source)
            if mask.shape == heads:
                mask = mask.reshape(batch, self.num_heads, length, source)
            elif mask.shape != (length, source):
                raise ValueError(f"{where}: attn_mask must have shape {(length, source)} or "
                                 f"{heads} (batch * num_heads, L, S), got {mask.shape}")
            total = _additive(mask, dtype)
        if key_padding_mask is not None:
            mask = _mask_array(key_padding_mask, "key_padding_mask", where)
            if mask.shape != (batch, source):
                raise ValueError(f"{where}: key_padding_mask must have shape {(batch, source)} "
                                 f"(batch, source length), got {mask.shape}")
            padding = _additive(mask, dtype).reshape(batch, 1, 1, source)
            total = padding if total is None else total + padding
        return total

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        """``(attn_output, attn_weights)``: the output in the layout of ``query``, and with
        ``need_weights`` the attention weights ``(N, L, S)`` averaged over heads (``(N, H, L,
        S)`` with ``average_attn_weights=False``; no batch axis for unbatched input), else
        None. In training with dropout they are the weights before dropout (PyTorch returns
        them after). ``is_causal`` applies the causal mask; PyTorch treats it as a hint and
        also wants ``attn_mask``, here a given ``attn_mask`` is applied as well."""
        self_attention = query is key and key is value
        query = cast_input(query, self.dtype)
        key = query if self_attention else cast_input(key, self.dtype)
        value = query if self_attention else cast_input(value, self.dtype)
        where = self._check(query, key, value)
        unbatched = query.ndim == 2
        if unbatched:  # (L, E) -> a batch of one in the layout the layer expects
            axis = 0 if self.batch_first else 1
            query, key, value = (x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])
                                 for x in (query, key, value))
            if self_attention:
                key = value = query
            if key_padding_mask is not None:
                key_padding_mask = _mask_array(key_padding_mask, "key_padding_mask", where)[None]
        if self.batch_first:
            (batch, length), source = query.shape[:2], key.shape[1]
        else:
            (length, batch), source = query.shape[:2], key.shape[0]
        mask = self._mask(where, attn_mask, key_padding_mask, batch, length, source,
                          query.data.dtype)
        q, k, v = self._projections(query, key, value)
        out, weights = multi_head_attention(
            q, k, v, self.num_heads, batch_first=self.batch_first, mask=mask, causal=is_causal,
            dropout=self.dropout if self.training else 0.0, need_weights=need_weights)
        out = self.out_proj(out)
        if weights is not None and average_attn_weights:
            weights = weights.mean(axis=1)
        if unbatched:
            out = out.reshape(out.shape[:axis] + out.shape[axis + 1:])
            weights = None if weights is None else weights.reshape(weights.shape[1:])
        return out, weights

    def get_config(self):
        return {"embed_dim": self.embed_dim, "num_heads": self.num_heads, "dropout": self.dropout,
                "bias": self.in_proj_bias is not None, "kdim": self.kdim, "vdim": self.vdim,
                "batch_first": self.batch_first, "dtype": self.dtype.name}

    def extra_repr(self):
        text = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if not self.same_embed_dim:
            text += f", kdim={self.kdim}, vdim={self.vdim}"
        return text + f", dropout={self.dropout}, batch_first={self.batch_first}"


def _additive(mask, dtype):
    """A PyTorch-convention mask as numbers to add: -inf where a boolean mask is True."""
    if mask.dtype == np.bool_:
        return np.where(mask, -np.inf, 0.0).astype(dtype)
    return mask.astype(dtype, copy=False)


# ---------------------------------------------------------------------- Keras
class _HeadDense(Module):
    """A projection with a multi-axis kernel (Keras's ``EinsumDense`` for attention): the kernel
    ``(*in_axes, *out_axes)`` is applied as the matrix ``(prod(in_axes), prod(out_axes))``."""

    def __init__(self, kernel_shape, inputs, bias_shape, owner):
        super().__init__()
        self.kernel = Parameter(owner.kernel_initializer(kernel_shape, dtype=owner.dtype))
        self.bias = None
        if owner.use_bias:
            self.bias = Parameter(owner.bias_initializer(bias_shape, dtype=owner.dtype))
        self.kernel_regularizer = owner.kernel_regularizer
        self.bias_regularizer = owner.bias_regularizer
        self.matrix_shape = (math.prod(kernel_shape[:inputs]), math.prod(kernel_shape[inputs:]))

    def forward(self, x):
        bias = None if self.bias is None else self.bias.reshape(-1)
        return affine(x, self.kernel.reshape(self.matrix_shape), bias)

    def penalties(self):
        return kernel_and_bias_penalties(self)


@register_layer
class MultiHeadAttention(Module):
    """Keras's multi-head attention: ``mha(query, value, key=None)`` returns the output ``(N, L,
    E_out)``, and with ``return_attention_scores=True`` also the scores ``(N, H, L, S)``.

    Inputs are batch first, ``(N, L, E_q)`` and ``(N, S, E_v)``; ``key`` defaults to ``value``,
    and ``value`` to ``query`` (self-attention, so the layer also works in ``Sequential``). Each
    head projects to ``key_dim`` features (``value_dim`` for values, default ``key_dim``); the
    output has ``output_shape`` features (default: the query's). Built from the first call
    (or ``build``, or the ``input_shape`` of one query sample). Masks: ``attention_mask`` ``(N, L, S)`` (True or 1 where attention is
    allowed), ``query_mask`` ``(N, L)`` and ``value_mask``/``key_mask`` ``(N, S)`` (True at
    real, unpadded steps), and ``use_causal_mask``. ``dropout`` applies to the attention
    scores in training; the scores returned are those before dropout, as in Keras.
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, input_shape=None,
                 dtype=np.float32, name=None, input_dims=None):
        super().__init__(name=name)
        where = "MultiHeadAttention"
        self.num_heads = positive_int(num_heads, "num_heads", where)
        self.key_dim = positive_int(key_dim, "key_dim", where)
        self.value_dim = self.key_dim if value_dim is None else positive_int(value_dim,
                                                                             "value_dim", where)
        self.dropout = _dropout_rate(dropout, where)
        self.use_bias = flag(use_bias, "use_bias", where)
        if output_shape is not None:
            shape = (output_shape,) if isinstance(output_shape, (int, np.integer)) \
                else tuple(output_shape)
            output_shape = tuple(positive_int(n, "output_shape", where) for n in shape)
        self.output_shape = output_shape
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dtype = float_dtype(dtype, where)
        self.input_dims = None
        self.built = False
        self.declared_input_shape = (None if input_shape is None else  # for Sequential
                                     sample_shape(input_shape, "input_shape", where))
        if input_dims is not None:
            self._create(*input_dims)
        elif input_shape is not None:
            self.build((None,) + self.declared_input_shape)

    def _create(self, query_dim, value_dim, key_dim):
        heads, d, dv = self.num_heads, self.key_dim, self.value_dim
        out = self.output_shape or (int(query_dim),)
        self.input_dims = (int(query_dim), int(value_dim), int(key_dim))
        self.query = _HeadDense((query_dim, heads, d), 1, (heads, d), self)
        self.key = _HeadDense((key_dim, heads, d), 1, (heads, d), self)
        self.value = _HeadDense((value_dim, heads, dv), 1, (heads, dv), self)
        self.attention_output = _HeadDense((heads, dv) + out, 2, out, self)
        self.built = True

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Create the weights for inputs of these shapes (batch axis first; the last axis of
        each must be known). ``value_shape`` defaults to ``query_shape``, ``key_shape`` to
        ``value_shape``. Returns the output shape."""
        value_shape = query_shape if value_shape is None else value_shape
        key_shape = value_shape if key_shape is None else key_shape
        dims = [tuple(s)[-1] if len(tuple(s)) else None for s in (query_shape, value_shape,
                                                                   key_shape)]
        if any(n is None for n in dims):
            raise ValueError(f"MultiHeadAttention: cannot build from shapes {query_shape}, "
                             f"{value_shape} and {key_shape} (the feature axes must be known)")
        self._create(*dims)
        return tuple(query_shape)[:-1] + (self.output_shape or (dims[0],))

    def _check(self, query, value, key):
        where = f"MultiHeadAttention(num_heads={self.num_heads}, key_dim={self.key_dim})"
        if not query.ndim == value.ndim == key.ndim == 3:
            raise ValueError(f"{where}: query, value and key must be 3-D (batch, length, "
                             f"features), got shapes {query.shape}, {value.shape} and {key.shape}")
        for name, x, size in zip(("query", "value", "key"), (query, value, key), self.input_dims):
            if x.shape[-1] != size:
                raise ValueError(f"{where}: the layer was built for {name} with {size} features, "
                                 f"got shape {x.shape}")
        if not query.shape[0] == value.shape[0] == key.shape[0] or value.shape[1] != key.shape[1]:
            raise ValueError(f"{where}: query, value and key must share the batch size, and value "
                             f"and key the length; got shapes {query.shape}, {value.shape} and "
                             f"{key.shape}")
        return where

    def _mask(self, where, shapes, attention_mask, query_mask, value_mask, key_mask, causal,
              dtype):
        """Keras's masks combined into one additive mask ``(N, 1, L, S)`` (or None)."""
        (batch, length), source = shapes
        keep = None
        given = (("query_mask", query_mask, (batch, length), (slice(None), slice(None), None)),
                 ("value_mask", value_mask, (batch, source), (slice(None), None, slice(None))),
                 ("key_mask", key_mask, (batch, source), (slice(None), None, slice(None))),
                 ("attention_mask", attention_mask, (batch, length, source), (Ellipsis,)))
        for name, mask, shape, index in given:
            if mask is None:
                continue
            array = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
            if array.dtype != np.bool_ and not np.issubdtype(array.dtype, np.number):
                raise TypeError(f"{where}: {name} must be boolean or 0/1 numbers, got dtype "
                                f"{array.dtype}")
            if array.shape != shape:
                raise ValueError(f"{where}: {name} must have shape {shape}, got {array.shape}")
            array = array.astype(bool)[index]
            keep = array if keep is None else keep & array
        if causal:
            triangle = causal_mask(length, source)
            keep = triangle if keep is None else keep & triangle
        if keep is None:
            return None
        additive = np.where(keep, 0.0, KERAS_LARGE_NEGATIVE).astype(dtype)
        return additive.reshape((-1, 1) + additive.shape[-2:]) if additive.ndim == 3 else additive

    def forward(self, query, value=None, key=None, query_mask=None, value_mask=None,
                key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
                use_causal_mask=False):
        """The attention output, or ``(output, scores)`` with ``return_attention_scores``."""
        if key_mask is None:
            key_mask = value_mask
        self_attention = value is None or value is query
        query = cast_input(query, self.dtype)
        value = query if self_attention else cast_input(value, self.dtype)
        key = value if key is None or key is value else cast_input(key, self.dtype)
        if not self.built:
            self.build(query.shape, value.shape, key.shape)
        where = self._check(query, value, key)
        mask = self._mask(where, (query.shape[:2], value.shape[1]), attention_mask, query_mask,
                          value_mask, key_mask, use_causal_mask, query.data.dtype)
        active = self.training if training is None else training
        dropout = self.dropout if active else 0.0
        q, k, v = self.query(query), self.key(key), self.value(value)
        out, weights = multi_head_attention(q, k, v, self.num_heads, mask=mask, dropout=dropout,
                                            need_weights=return_attention_scores)
        out = self.attention_output(out)
        if self.output_shape is not None and len(self.output_shape) > 1:
            out = out.reshape(out.shape[:2] + self.output_shape)
        if not return_attention_scores:
            return out
        return out, weights

    def get_config(self):
        return {"num_heads": self.num_heads, "key_dim": self.key_dim,
                "value_dim": self.value_dim, "dropout": self.dropout, "use_bias": self.use_bias,
                "output_shape": None if self.output_shape is None else list(self.output_shape),
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "input_shape": self.declared_input_shape, "dtype": self.dtype.name,
                "name": self.name, "input_dims": None if self.input_dims is None else list(self.input_dims)}

    def extra_repr(self):
        text = f"num_heads={self.num_heads}, key_dim={self.key_dim}"
        if self.value_dim != self.key_dim:
            text += f", value_dim={self.value_dim}"
        return text + (f", dropout={self.dropout}" if self.dropout else "")
