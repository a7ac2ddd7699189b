"""``Dropout``: inverted dropout, active only in training mode."""
import numpy as np

from ..functional import dropout
from ..module import Module, register_layer
from ..validation import real_number, seed_value

__all__ = ["Dropout"]


@register_layer
class Dropout(Module):
    """Zero each input element with probability ``rate`` during training and scale the survivors
    by 1 / (1 - rate) (so no rescaling is needed at inference); the identity in eval mode.

    Masks come from ``autograd.generator()`` (reseeded by ``autograd.seed``), or from the layer's
    own generator when ``seed`` is given.
    """

    supports_masking = True

    def __init__(self, rate, seed=None, name=None):
        super().__init__(name=name)
        self.rate = real_number(rate, "rate", "Dropout", 0.0, 1.0, high_open=True)
        self.seed = seed = seed_value(seed, "Dropout")
        self._rng = None if seed is None else np.random.default_rng(seed)

    def forward(self, x, training=None):
        """``training`` overrides the module's mode for this call (Keras's ``training=`` flag)."""
        active = self.training if training is None else training
        return dropout(x, self.rate, active, rng=self._rng)

    @classmethod
    def weight_shapes_from_config(cls, config):
        return {}  # no parameters, no buffers

    def get_config(self):
        return {"rate": self.rate, "seed": self.seed, "name": self.name}

    def extra_repr(self):
        return f"rate={self.rate}"
