"""Containers: ``Sequential`` (a stack of layers with the Keras training API) and ``ModuleList``.

Children are registered under the names "0", "1", ..., so parameters read ``0.kernel``,
``1.bias`` and so on, and op scopes name the layer that recorded them.
"""
from .layers.masking import apply_layer
from .module import (Module, layer_from_config, layer_to_config, register_layer,
                     weight_shapes_from_config)
from .training.model import Model

__all__ = ["Sequential", "ModuleList"]


def _layer_args(layers, where):
    if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
        layers = layers[0]
    elif len(layers) == 1 and layers[0] is None:
        layers = ()
    for layer in layers:
        if not isinstance(layer, Module):
            raise TypeError(f"{where}: expected Module instances, got {type(layer).__name__}")
    return list(layers)


@register_layer
class Sequential(Model):
    """Layers applied one after the other: ``Sequential([Dense(512, activation='relu',
    input_shape=(784,)), Dense(10, activation='softmax')])`` (Keras) or ``Sequential(Linear(2, 16),
    ReLU(), Linear(16, 2))`` (PyTorch); more with ``add(layer)``.

    When the first layer declares its input shape (``input_shape=`` / ``input_dim=``), every layer
    is built as soon as it is added (by running a batch of zeros), so all parameters exist before
    training starts. Supports ``len``, iteration and indexing (a slice gives a new ``Sequential``
    sharing the layers, whose ops keep the scope labels of this model).

    Layers are registered under their positions (parameters read ``0.kernel``, as in PyTorch)
    and carry Keras names (``dense``, ``dense_1``, ... unless given ``name=``), which must be
    unique within the model; the model itself is ``sequential``, ``sequential_1``, ...

    A mask of padded steps (from ``Embedding(mask_zero=True)`` or ``Masking``, or given as
    ``forward(x, mask=...)``) follows the data from layer to layer, as in Keras; see
    ``nn.layers.masking``.
    """

    def __init__(self, *layers, name=None):
        super().__init__(name=name)
        self._layer_list = []
        for layer in _layer_args(layers, "Sequential"):
            self._append(layer)
        self._build_if_shape_known()

    def _append(self, layer):
        for other in self._layer_list:
            if other.name == layer.name and other is not layer:
                raise ValueError(
                    f"Sequential {self.name!r}: layer names must be unique, and {layer.name!r} is "
                    f"already the name of layer {self._layer_list.index(other)} "
                    f"({type(other).__name__}); pass another name= to the "
                    f"{type(layer).__name__}")
        self.add_module(str(len(self._layer_list)), layer)
        self._layer_list.append(layer)

    def add(self, layer):
        """Append ``layer`` at the end."""
        if not isinstance(layer, Module):
            raise TypeError(f"Sequential.add: expected a Module, got {type(layer).__name__}")
        self._append(layer)
        self._build_if_shape_known()

    def pop(self):
        """Remove and return the last layer."""
        if not self._layer_list:
            raise IndexError("Sequential.pop: the model has no layers")
        layer = self._layer_list.pop()
        delattr(self, str(len(self._layer_list)))
        return layer

    def _build_if_shape_known(self):
        if not self._layer_list:
            return
        shape = getattr(self._layer_list[0], "declared_input_shape", None)
        if shape is not None and not all(m.built for m in self.modules()):
            self.build((None,) + tuple(shape))

    @property
    def layers(self):
        """The layers, in order (a new list)."""
        return list(self._layer_list)

    def forward(self, x, mask=None):
        for index, layer in enumerate(self._layer_list):
            if mask is None and not hasattr(layer, "compute_mask"):
                x = layer(x)  # the usual case, without masks
            else:
                x, mask = apply_layer(layer, x, mask, f"Sequential: layer {index}")
        return x

    def __len__(self):
        return len(self._layer_list)

    def __iter__(self):
        return iter(list(self._layer_list))

    def __getitem__(self, index):
        if isinstance(index, slice):
            part = Sequential(self._layer_list[index])
            for name, layer in self._modules.items():  # keep the scope labels this model gave
                layer._registered_as(name)
            return part
        return self._layer_list[index]

    def get_config(self):
        return {"name": self.name, "layers": [layer_to_config(layer) for layer in self._layer_list]}

    @classmethod
    def from_config(cls, config):
        """Rebuild the model from ``get_config()``'s dict. Nothing is built: layers whose config
        gives their sizes are created with their weights, lazily built ones wait for the first
        batch (or ``build``), as after the original model was made."""
        layers = [layer_from_config(c) for c in _layer_configs(config)]
        model = cls(name=config.get("name"))
        for layer in layers:
            model._append(layer)
        return model

    @classmethod
    def weight_shapes_from_config(cls, config):
        shapes = {}
        for index, layer in enumerate(_layer_configs(config)):
            try:
                own = weight_shapes_from_config(layer)
            except (TypeError, ValueError) as error:  # say which layer
                raise ValueError(f"layers[{index}]: {error}") from None
            if own is None:
                return None
            shapes.update((f"{index}.{name}", shape) for name, shape in own.items())
        return shapes


def _layer_configs(config):
    """The list of layer descriptions in a ``Sequential`` config, checked."""
    layers = config.get("layers", [])
    if not isinstance(layers, list):
        raise ValueError(f"Sequential: the config's layers must be a list of layer descriptions, "
                         f"got {type(layers).__name__}")
    if not isinstance(config.get("name"), (str, type(None))):
        raise ValueError(f"Sequential: name must be a string or None, got {config.get('name')!r}")
    return layers


class ModuleList(Module):
    """A list of modules, registered under "0", "1", ... (for models written PyTorch-style).

    A ModuleList is never called itself, so its modules carry its name in their scope label:
    a Linear at ``self.layers[1]`` labels its ops ``layers.1``, and summaries list its modules
    one by one (``holds_layers_only``, see ``Module.named_layers``).
    """

    holds_layers_only = True

    def __init__(self, modules=()):
        super().__init__()
        self._items = []
        for module in modules:
            self.append(module)

    def _registered_as(self, name):
        super()._registered_as(name)
        for i, module in enumerate(self._items):
            module._registered_as(self._scoped(i))

    def _scoped(self, index):
        return f"{self._local_name}.{index}" if self._local_name else str(index)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        index = len(self._items)
        self.add_module(str(index), module)
        module._registered_as(self._scoped(index))
        self._items.append(module)
        return self

    def extend(self, modules):
        """Append each of ``modules``; returns self."""
        for module in modules:
            self.append(module)
        return self

    def __len__(self):
        return len(self._items)

    def __iter__(self):
        return iter(list(self._items))

    def __getitem__(self, index):
        return self._items[index]

    def forward(self, *args):
        raise TypeError("ModuleList is not callable; iterate over it in your module's forward")
