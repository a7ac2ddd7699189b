"""Masks of padded time steps, and how they travel through a ``Sequential``.

A mask is a boolean array (batch, steps): True where a step holds data, False where it is padding.
``Embedding(mask_zero=True)`` makes one from its token ids (id 0 is padding), ``Masking`` from the
steps whose features all equal ``mask_value``; a recurrent layer takes one as ``mask=`` and lets
the padded steps change neither its state nor any gradient.

In a ``Sequential`` the mask follows the data, as in Keras (``Sequential.forward(x, mask=None)``
also takes one to start with):

* a layer that makes or changes a mask has ``compute_mask(inputs, mask)``, which returns the mask
  of its output (a recurrent layer returns the mask when it returns sequences, else None);
* a layer whose ``forward`` has a ``mask`` parameter receives the current mask;
* a layer with ``supports_masking = True`` that does neither passes the mask on unchanged
  (``Dropout``, the activation layers and ``Dense``, which act on each step alone);
* any other layer that receives a mask stops the model with an error naming it, rather than let
  the padded steps count silently (put a layer that consumes the mask first, or drop
  ``mask_zero``).
"""
import inspect

import numpy as np

from autograd import Tensor

from ..module import Module, register_layer

__all__ = ["Masking", "as_mask", "apply_layer", "takes_mask"]

_TAKES_MASK = {}


def takes_mask(layer):
    """True when ``layer.forward`` has a ``mask`` parameter."""
    cls = type(layer)
    known = _TAKES_MASK.get(cls)
    if known is None:
        known = _TAKES_MASK[cls] = "mask" in inspect.signature(cls.forward).parameters
    return known


def as_mask(mask, batch, steps, where):
    """``mask`` as a numpy boolean array of shape (batch, steps), or a clear error."""
    data = np.asanyarray(mask.data if isinstance(mask, Tensor) else mask)
    if data.dtype != np.bool_:
        if data.dtype.kind in "iu" and np.isin(data, (0, 1)).all():
            data = data.astype(bool)
        else:
            raise TypeError(f"{where}: a mask must hold booleans (True for the steps to use), got "
                            f"dtype {data.dtype}")
    if data.shape != (batch, steps):
        raise ValueError(f"{where}: the mask must have shape (batch, steps) = {(batch, steps)}, "
                         f"got {data.shape}")
    return data


def apply_layer(layer, x, mask, where):
    """Run ``layer`` on ``x`` in a model whose current mask is ``mask`` (None for no mask);
    returns ``(output, the mask of the output)``."""
    compute = getattr(layer, "compute_mask", None)
    if mask is None:
        out = layer(x)
    elif takes_mask(layer):
        out = layer(x, mask=mask)
    elif getattr(layer, "supports_masking", False):
        out = layer(x)
    else:
        raise ValueError(
            f"{where} ({type(layer).__name__}) does not support masking, but receives the mask of "
            f"padded steps from an earlier layer (an Embedding with mask_zero=True or Masking). "
            f"Put a layer that consumes the mask (a recurrent layer) before it, or drop the mask")
    if compute is not None:
        return out, compute(x, mask)
    return out, mask if getattr(layer, "supports_masking", False) else None


@register_layer
class Masking(Module):
    """Keras's ``Masking``: marks the steps whose features all equal ``mask_value`` as padding.

    The output is the input with those steps set to zero; the mask (batch, steps) goes to the next
    layers of a ``Sequential`` (see ``compute_mask``). Inputs are (batch, steps, features).
    """

    supports_masking = True

    def __init__(self, mask_value=0.0, input_shape=None, name=None):
        super().__init__(name=name)
        self.mask_value = float(mask_value)
        self.declared_input_shape = None if input_shape is None else tuple(input_shape)

    def _step_mask(self, x):
        data = x.data if isinstance(x, Tensor) else np.asanyarray(x)
        if data.ndim < 3:
            raise ValueError(f"Masking: expected inputs (batch, steps, features), got shape "
                             f"{data.shape}")
        return np.any(data != self.mask_value, axis=tuple(range(2, data.ndim)))

    def forward(self, x, mask=None):
        x = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
        keep = self._step_mask(x)
        return x * keep.reshape(keep.shape + (1,) * (x.ndim - 2)).astype(x.dtype)

    def compute_mask(self, x, mask=None):
        """The steps whose features are not all ``mask_value`` (combined with an incoming mask)."""
        keep = self._step_mask(x)
        return keep if mask is None else keep & np.asanyarray(mask).astype(bool, copy=False)

    def get_config(self):
        return {"mask_value": self.mask_value, "input_shape": self.declared_input_shape,
                "name": self.name}

    def extra_repr(self):
        return f"mask_value={self.mask_value:g}"
