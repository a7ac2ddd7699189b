"""``Embedding``: a table of vectors looked up by integer token ids, in both styles.

    out[..., :] = weight[ids[...]]          weight (num_embeddings, embedding_dim)

The lookup is the op ``embedding_lookup``, whose gradient adds each output row's gradient into
the row of its id (repeated ids accumulate); a Tensor of ids stays its operand, so an exported
model reads the ids from its input. PyTorch's ``Embedding(num_embeddings, embedding_dim,
padding_idx)`` and Keras's ``Embedding(input_dim, output_dim, mask_zero=...)`` take the same two
sizes first, so one class serves both:

* ``padding_idx`` (PyTorch): that row starts at zero and never receives a gradient;
* ``mask_zero`` (Keras): id 0 marks padding, and ``compute_mask`` gives the (batch, steps) mask
  that a ``Sequential`` hands to the recurrent layers after it (see ``nn.layers.masking``).

The weights start as PyTorch's, from N(0, 1); Keras starts them from U(-0.05, 0.05): pass
``embeddings_initializer='uniform'`` for that (or any initializer name or callable).
"""
import numpy as np

from autograd import Tensor, embedding_lookup
from autograd.ops.indexing import checked_token_ids

from .. import init, initializers, regularizers
from ..module import Module, Parameter, register_layer
from ..validation import flag, float_dtype, positive_int

__all__ = ["Embedding"]

def _initializer(identifier):
    """A Keras initializer from a name, config or callable (Keras's 'uniform' is its
    'random_uniform', U(-0.05, 0.05)); None means PyTorch's N(0, 1) (``nn.init.normal_``)."""
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier.lower() == "uniform":
        identifier = "random_uniform"
    return initializers.get(identifier)


@register_layer
class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``.

    ``Embedding(num_embeddings, embedding_dim, padding_idx=None)`` as in PyTorch, or
    ``Embedding(input_dim, output_dim, mask_zero=False)`` as in Keras. Inputs are integer ids of
    any shape (floats holding whole numbers, as ``fit`` passes them, are accepted too); the
    output adds an axis of size ``embedding_dim``. ``input_shape`` (one sample's shape, e.g.
    ``(steps,)``) lets a ``Sequential`` build and summarize the model before it sees data.
    """

    takes_token_ids = True  # a model starting with it keeps integer inputs integer (``fit``)

    def __init__(self, num_embeddings=None, embedding_dim=None, padding_idx=None, *,
                 mask_zero=False, embeddings_initializer=None, embeddings_regularizer=None,
                 input_dim=None, output_dim=None, input_shape=None, dtype=np.float32, name=None):
        super().__init__(name=name)
        num_embeddings = _one_of("num_embeddings", num_embeddings, "input_dim", input_dim)
        embedding_dim = _one_of("embedding_dim", embedding_dim, "output_dim", output_dim)
        self.num_embeddings = positive_int(num_embeddings, "num_embeddings", "Embedding")
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim", "Embedding")
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx must lie in [{-self.num_embeddings}, "
                                 f"{self.num_embeddings}), got {padding_idx}")
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        self.mask_zero = flag(mask_zero, "mask_zero", "Embedding")
        self.dtype = float_dtype(dtype, "Embedding")
        self.embeddings_initializer = _initializer(embeddings_initializer)
        self._initializer_spec = embeddings_initializer
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.declared_input_shape = None if input_shape is None else tuple(input_shape)
        shape = (self.num_embeddings, self.embedding_dim)
        if self.embeddings_initializer is None:
            self.weight = init.normal_(Parameter(np.empty(shape, self.dtype)))
        else:
            self.weight = Parameter(self.embeddings_initializer(shape, dtype=self.dtype))
        if padding_idx is not None:
            self.weight.data[padding_idx] = 0

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, **options):
        """An embedding holding ``embeddings`` (num_embeddings, embedding_dim), as PyTorch's;
        ``freeze`` keeps them out of training (the weight does not require grad)."""
        table = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if table.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected a 2-D table, got shape "
                             f"{table.shape}")
        layer = cls(*table.shape, padding_idx=padding_idx, dtype=table.dtype, **options)
        layer.weight.data[...] = table
        if freeze:
            layer.weight.requires_grad_(False)
        return layer

    @property
    def embeddings(self):
        """The table (Keras's name for ``weight``)."""
        return self.weight

    def token_ids(self, ids):
        """``ids`` as an int64 numpy array, checked: whole numbers in [0, num_embeddings)."""
        data = ids.data if isinstance(ids, Tensor) else np.asanyarray(ids)
        return checked_token_ids(data, self.num_embeddings, self._title())

    def forward(self, ids):
        checked = self.token_ids(ids)
        # A Tensor of ids stays an operand of the lookup, so that an exported graph reads them
        # from its input; the padding row gets no gradient (see autograd.embedding_lookup).
        return embedding_lookup(self.weight, ids if isinstance(ids, Tensor) else checked,
                                padding_idx=self.padding_idx)

    def compute_mask(self, ids, mask=None):
        """With ``mask_zero``: the boolean mask of the non-zero ids (True for real tokens),
        combined with an incoming mask; otherwise the incoming mask."""
        if not self.mask_zero:
            return mask
        keep = self.token_ids(ids) != 0
        return keep if mask is None else keep & np.asanyarray(mask).astype(bool, copy=False)

    def penalties(self):
        if self.embeddings_regularizer is None:
            return []
        return [self.embeddings_regularizer(self.weight)]

    def get_config(self):
        spec = self._initializer_spec
        if spec is not None and not isinstance(spec, (str, dict)):
            spec = initializers.serialize(spec)
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "padding_idx": self.padding_idx, "mask_zero": self.mask_zero,
                "embeddings_initializer": spec,
                "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
                "input_shape": self.declared_input_shape, "dtype": self.dtype.name,
                "name": self.name}

    def _title(self):
        return f"Embedding({self.num_embeddings}, {self.embedding_dim})"

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.mask_zero:
            text += ", mask_zero=True"
        return text


def _one_of(name, value, alias, alias_value):
    """The size given under its PyTorch ``name`` or its Keras ``alias`` (not both)."""
    if alias_value is None:
        if value is None:
            raise TypeError(f"Embedding: {name} (or {alias}) is required")
        return value
    if value is not None and value != alias_value:
        raise ValueError(f"Embedding: {name}={value} and {alias}={alias_value} disagree")
    return alias_value
