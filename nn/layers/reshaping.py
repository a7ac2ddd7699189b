"""``Flatten``: merge every axis but the batch axis."""
from ..functional import flatten
from ..module import Module, register_layer
from ..validation import sample_shape

__all__ = ["Flatten"]


@register_layer
class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1 * d2 * ...). ``input_shape`` (without the batch axis) may be
    given on the first layer of a ``Sequential`` so the model can be built at once."""

    def __init__(self, input_shape=None, name=None):
        super().__init__(name=name)
        self.declared_input_shape = (None if input_shape is None else
                                     sample_shape(input_shape, "input_shape", "Flatten"))

    def forward(self, x):
        return flatten(x)

    @classmethod
    def weight_shapes_from_config(cls, config):
        return {}  # no parameters, no buffers

    def get_config(self):
        shape = self.declared_input_shape
        return {"input_shape": None if shape is None else list(shape), "name": self.name}
