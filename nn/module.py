"""``Parameter`` and ``Module``: the building blocks every layer and model is made of.

A ``Module`` owns parameters (trainable ``Parameter`` tensors), buffers (plain numpy arrays saved
with the weights, such as batch-norm running statistics) and child modules. Assigning one of them
to an attribute registers it, in order, so ``named_parameters()`` can walk the tree and report
dotted paths such as ``0.kernel`` or ``layers.1.weight``. Registered objects also live in the
instance ``__dict__``, so reading ``self.kernel`` inside ``forward`` is an ordinary, fast attribute
access.

Calling a module runs ``forward`` inside ``autograd.scope(name)``, where ``name`` is the attribute
under which its parent registered it: every op recorded on the way gets the module's dotted path as
its ``scope``, which graph drawings use to cluster nodes by module.

A module can be described as JSON (``get_config`` + the class name, see ``layer_to_config``) and
rebuilt from it (``layer_from_config``) for every class decorated with ``register_layer``.
"""
import contextlib
import inspect
from collections.abc import Mapping

import numpy as np

from autograd import Tensor, no_grad, scope
from autograd.saved import writable

from .naming import reserve, restoring_names, to_snake_case, unique_name
from .validation import sample_shape, short_repr

__all__ = ["Parameter", "Module", "register_layer", "layer_from_config", "layer_to_config",
           "weight_shapes_from_config", "LoadResult"]


class Parameter(Tensor):
    """A trainable tensor: floating point and ``requires_grad=True``.

    ``Parameter(data, name=None)``: numpy arrays keep their dtype (which must be floating point),
    Python numbers and lists become float32.
    """

    __slots__ = ()

    def __init__(self, data, name=None):
        if isinstance(data, Tensor):
            data = data.data
        array = data if isinstance(data, np.ndarray) else np.asarray(data)
        if not np.issubdtype(array.dtype, np.floating):
            if isinstance(data, np.ndarray):
                raise TypeError(f"Parameter: data must be floating point, got dtype {array.dtype}")
            array = array.astype(np.float32)
        super().__init__(array, requires_grad=True, name=name)

    def __repr__(self):
        return "Parameter" + super().__repr__()[len("Tensor"):].replace(", requires_grad=True", "")


class LoadResult(tuple):
    """What ``load_state_dict(strict=False)`` skipped: ``(missing_keys, unexpected_keys)``."""

    def __new__(cls, missing_keys, unexpected_keys):
        return super().__new__(cls, (missing_keys, unexpected_keys))

    @property
    def missing_keys(self):
        """Names the module has but the state did not provide."""
        return self[0]

    @property
    def unexpected_keys(self):
        """Names in the state that the module does not have."""
        return self[1]


class Module:
    """Base class of layers and models: override ``forward``; call the module to run it.

    Subclasses must call ``super().__init__()`` before assigning parameters, buffers or child
    modules. ``training`` (set recursively by ``train()`` / ``eval()``) switches layers such as
    ``Dropout`` and ``BatchNorm`` between their training and inference behaviour. ``name`` is
    the one given, or a Keras-style automatic one (``dense``, ``dense_1``, ...; ``nn.naming``).
    """

    _local_name = ""  # the attribute name under which the parent registered this module
    _scope_label = None  # autograd.scope(_local_name), made once (scopes may be re-entered)
    built = True  # False for layers whose parameter shapes wait for the first input

    def __init__(self, name=None):
        d = self.__dict__
        d["_parameters"] = {}
        d["_buffers"] = {}
        d["_modules"] = {}
        d["training"] = True
        if name is None:
            name = unique_name(to_snake_case(type(self).__name__))
        elif not isinstance(name, str) or not name:
            raise TypeError(f"{type(self).__name__}: name must be a non-empty string, got {name!r}")
        d["name"] = name  # Keras-style: given, or automatic (dense, dense_1, ...; see nn.naming)

    # ------------------------------------------------------------------ running
    def forward(self, *args, **kwargs):
        """The computation of this module; subclasses override it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        label = self._scope_label
        if label is None:  # a root module adds nothing to the path
            return self.forward(*args, **kwargs)
        with label:
            return self.forward(*args, **kwargs)

    def build(self, input_shape, dtype=np.float32):
        """Create every lazily sized parameter for inputs of ``input_shape`` (batch axis first;
        ``None`` entries count as 1) by running a batch of zeros through the module in inference
        mode, without recording a graph. Returns the output shape (``None`` for the batch axis
        when it was given as ``None``)."""
        shape = sample_shape(input_shape, "input_shape", f"{type(self).__name__}.build",
                             allow_unknown=True, batch_axis=True)
        zeros = np.zeros(tuple(1 if n is None else int(n) for n in shape), dtype=dtype)
        modes = [(m, m.training) for m in self.modules()]
        self.eval()
        try:
            with no_grad():
                out = self(Tensor(zeros))
        finally:
            for m, mode in modes:
                m.__dict__["training"] = mode
        out_shape = tuple(np.shape(out.data if isinstance(out, Tensor) else out))
        if shape and shape[0] is None and out_shape:
            out_shape = (None,) + out_shape[1:]
        return out_shape

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        registries = d.get("_parameters"), d.get("_modules"), d.get("_buffers")
        if isinstance(value, (Parameter, Module)) and registries[0] is None:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before assigning "
                                 f"the {type(value).__name__} {name!r}")
        if registries[0] is None:
            object.__setattr__(self, name, value)
            return
        params, modules, buffers = registries
        if isinstance(value, Parameter):
            self._unregister(name)
            params[name] = value
        elif isinstance(value, Module):
            self._unregister(name)
            modules[name] = value
            value._registered_as(name)
        elif name in params:
            if value is not None:
                raise TypeError(f"{type(self).__name__}.{name} is a parameter: assign a Parameter "
                                f"(or None to remove it), got {type(value).__name__}")
            del params[name]
        elif name in modules:
            if value is not None:
                raise TypeError(f"{type(self).__name__}.{name} is a child module: assign a Module "
                                f"(or None to remove it), got {type(value).__name__}")
            del modules[name]
        elif name in buffers:
            if value is not None:
                value = _buffer_array(value, f"{type(self).__name__}.{name}")
                buffers[name] = value
            else:
                del buffers[name]
        object.__setattr__(self, name, value)

    def _registered_as(self, name):
        """Remember the name the parent registered this module under (its ops' scope label)."""
        self.__dict__["_local_name"] = name
        self.__dict__["_scope_label"] = scope(name) if name else None

    def __delattr__(self, name):
        self._unregister(name)
        object.__delattr__(self, name)

    def _unregister(self, name):
        for registry in (self._parameters, self._modules, self._buffers):
            registry.pop(name, None)

    def register_buffer(self, name, array):
        """Register ``array`` (a numpy array, saved in ``state_dict`` but not trained) as
        attribute ``name``; e.g. batch-norm running statistics."""
        if "_buffers" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}: call super().__init__() before register_buffer")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"register_buffer: name must be a non-empty string without dots, got {name!r}")
        array = _buffer_array(array, f"{type(self).__name__}.register_buffer({name!r})")
        self._unregister(name)
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def register_parameter(self, name, param):
        """Register ``param`` (a ``Parameter``, or None for an absent one) as attribute ``name``."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter, got {type(param).__name__}")
        if param is None:
            self._unregister(name)
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def add_module(self, name, module):
        """Register ``module`` as the child called ``name`` (names may be digits, as in
        ``Sequential``)."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: expected a Module, got {type(module).__name__}")
        if not isinstance(name, str) or not name or "." in name:
            raise ValueError(f"add_module: name must be a non-empty string without dots, got {name!r}")
        setattr(self, name, module)

    # ------------------------------------------------------------------ walking the tree
    def named_modules(self, prefix=""):
        """``(dotted path, module)`` for this module (path ``prefix``) and every descendant,
        depth first, each module once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = list(module._modules.items())
            for name, child in reversed(children):
                stack.append((f"{path}.{name}" if path else name, child))

    def modules(self):
        """This module and every descendant, each once."""
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """``(name, module)`` for the direct children, in registration order."""
        return iter(list(self._modules.items()))

    def named_layers(self):
        """``(name, module)`` for the layers a summary or a diagram shows: the direct children,
        each ``ModuleList`` replaced by its items (``blocks.0``, ``blocks.1``, ...), since a list
        of modules is never called itself."""
        layers = []
        for name, child in self._modules.items():
            if getattr(child, "holds_layers_only", False):
                layers += [(f"{name}.{inner}", module) for inner, module in child.named_layers()]
            else:
                layers.append((name, child))
        return layers

    def children(self):
        """The direct child modules, in registration order."""
        return iter(list(self._modules.values()))

    def named_parameters(self, prefix=""):
        """``(dotted path, Parameter)`` for every parameter of the tree, each once, in
        registration order (a module's own parameters before its children's)."""
        seen = set()
        for path, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{path}.{name}" if path else name), p

    def parameters(self):
        """Every ``Parameter`` of the tree, each once, in registration order (a list)."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix=""):
        """``(dotted path, array)`` for every buffer of the tree."""
        for path, module in self.named_modules(prefix):
            for name, array in module._buffers.items():
                yield (f"{path}.{name}" if path else name), array

    def buffers(self):
        """Every buffer array of the tree (a list)."""
        return [b for _, b in self.named_buffers()]

    # ------------------------------------------------------------------ modes and gradients
    def train(self, mode=True):
        """Set training mode on this module and every descendant; returns self."""
        mode = bool(mode)
        for module in self.modules():
            module.__dict__["training"] = mode
        return self

    def eval(self):
        """Set inference mode (``train(False)``); returns self."""
        return self.train(False)

    @contextlib.contextmanager
    def mode(self, training):
        """Context manager: the whole tree in training (True) or inference (False) mode inside
        the block; on the way out every module gets back the mode it had before (modules may
        differ, e.g. a frozen batch norm kept in eval mode inside a training model)."""
        before = [(module, module.training) for module in self.modules()]
        self.train(training)
        try:
            yield self
        finally:
            for module, training_before in before:
                module.__dict__["training"] = training_before

    def zero_grad(self):
        """Forget the gradient of every parameter (``.grad = None``)."""
        for p in self.parameters():
            p.grad = None

    def penalties(self):
        """This module's own regularization terms (0-d Tensors); layers with
        ``kernel_regularizer``-style arguments override it."""
        return []

    def regularization_loss(self):
        """The sum of every module's ``penalties()``: a 0-d Tensor (0 when there are none)."""
        total = None
        for module in self.modules():
            for term in module.penalties():
                total = term if total is None else total + term
        if total is None:
            first = next(self.named_parameters(), None)
            return Tensor(np.zeros((), dtype=np.float32 if first is None else first[1].dtype))
        return total

    # ------------------------------------------------------------------ Keras-style weights
    def _weight_arrays(self):
        """``(dotted name, array)`` in Keras's order: module by module (tree order), each
        module's parameters, then its buffers (a Dense: kernel, bias; a BatchNormalization:
        gamma, beta, moving mean, moving variance)."""
        seen = set()
        for path, module in self.named_modules():
            own = [(name, p.data) for name, p in module._parameters.items()]
            own += list(module._buffers.items())
            for name, array in own:
                if id(array) not in seen:
                    seen.add(id(array))
                    yield (f"{path}.{name}" if path else name), array

    def get_weights(self):
        """Copies of every parameter and buffer as a list of numpy arrays, in Keras's order
        (module by module: parameters, then buffers), as ``keras.Model.get_weights``."""
        return [array.copy() for _, array in self._weight_arrays()]

    def set_weights(self, weights):
        """Copy the arrays of ``weights`` (a list in ``get_weights`` order) into the parameters
        and buffers, in place. Their number and shapes must match and their values be finite
        real numbers (as for ``load_state_dict``); nothing changes otherwise."""
        targets = list(self._weight_arrays())
        where = f"{type(self).__name__} {self.name!r}.set_weights"
        if isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__len__"):
            raise TypeError(f"{where}: expected a list of arrays, got {type(weights).__name__}")
        if len(weights) != len(targets):
            raise ValueError(f"{where}: expected {len(targets)} arrays ("
                             + ", ".join(name for name, _ in targets) + f"), got {len(weights)}")
        arrays = []
        for (name, target), value in zip(targets, weights):
            array = np.asarray(value.data if isinstance(value, Tensor) else value)
            if array.shape != target.shape:
                raise ValueError(f"{where}: {name} has shape {target.shape}, the array given "
                                 f"for it has shape {array.shape}")
            converted, problem = _loadable(array, target)
            if problem is not None:
                error = TypeError if problem.startswith("dtype") else ValueError
                raise error(f"{where}: {name} needs finite numbers: {problem}")
            arrays.append(converted)
        for (_, target), array in zip(targets, arrays):
            with writable(target):  # arrays a graph saved are read-only until then
                target[...] = array

    def count_params(self):
        """The number of scalars in all parameters and buffers (Keras's ``count_params``:
        trainable and non-trainable). The module must be built."""
        if not all(m.built for m in self.modules()):
            raise ValueError(f"{type(self).__name__} {self.name!r}.count_params: the layer is not "
                             "built yet (its weight shapes wait for the first input); call "
                             "build(input_shape) or run a batch through it first")
        return sum(array.size for _, array in self._weight_arrays())

    # ------------------------------------------------------------------ saving and loading
    def state_dict(self):
        """A dict of dotted name -> numpy array (a copy) for every parameter and buffer."""
        state = {name: p.data.copy() for name, p in self.named_parameters()}
        state.update((name, array.copy()) for name, array in self.named_buffers())
        return state

    def load_state_dict(self, state, strict=True):
        """Copy the arrays in ``state`` (dotted name -> array) into the parameters and buffers,
        in place (optimizers holding the parameters keep working).

        Every entry is checked before anything is written: shapes must match, values must be
        real numbers that the target's dtype can hold without changing kind (no strings,
        objects, booleans or complex numbers; floats do not go into integer buffers), and
        floating-point values must be finite after the conversion. With ``strict`` every name
        must match too; otherwise the missing and unexpected names are returned as
        ``LoadResult(missing_keys, unexpected_keys)``. Nothing is changed when an error is
        raised.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict into {type(self).__name__}: expected a dict of "
                            f"name -> array, got {type(state).__name__}")
        targets = {name: p.data for name, p in self.named_parameters()}
        targets.update(self.named_buffers())
        missing = [name for name in targets if name not in state]
        unexpected = [name for name in state if name not in targets]
        mismatched, unusable, arrays = [], [], {}
        for name, target in targets.items():
            if name not in state:
                continue
            array, problem = _loadable(state[name], target)
            if problem is not None:
                (mismatched if problem.startswith("expected shape") else unusable).append(
                    f"{name}: {problem}")
            else:
                arrays[name] = array
        problems = []
        if strict and missing:
            problems.append("missing: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected: " + ", ".join(map(str, unexpected)))
        if mismatched:
            problems.append("shape mismatch: " + "; ".join(mismatched))
        if unusable:
            problems.append("unusable values: " + "; ".join(unusable))
        if problems:
            hint = ("" if self.built else " (the module is not built yet: run a batch through it "
                    "or call build(input_shape) first)")
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + " | ".join(problems) + hint)
        for name, array in arrays.items():
            with writable(targets[name]):  # arrays a graph saved are read-only until then
                targets[name][...] = array
        return LoadResult(missing, unexpected)

    # ------------------------------------------------------------------ description
    def get_config(self):
        """The constructor arguments as a JSON-able dict; layers override it. The default works
        for modules whose constructor needs no arguments."""
        signature = inspect.signature(type(self).__init__)
        required = [p.name for p in list(signature.parameters.values())[1:]
                    if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        if required:
            raise NotImplementedError(f"{type(self).__name__}.get_config: the constructor needs "
                                      f"{required}; override get_config() to return them")
        return {}

    @classmethod
    def from_config(cls, config):
        """Build the module from the dict ``get_config`` returned."""
        return cls(**config)

    @classmethod
    def weight_shapes_from_config(cls, config):
        """The shapes of the parameters and buffers a module built from ``config`` owns once
        built, by dotted name, found without creating any: ``{'kernel': (784, 512), 'bias':
        (512,)}``, ``{}`` when it owns none. A size that waits for the first input (a lazily
        built layer) is None. Raises as the constructor does for a config it refuses.

        Returns None when the class cannot tell, the default for classes that do not override
        it. ``load_model`` compares these shapes with a file's arrays before building anything.
        """
        return None

    def extra_repr(self):
        """The text inside the parentheses of this module's ``repr`` line."""
        return ""

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [head]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"


def _loadable(value, target):
    """``(value converted to target's dtype, None)``, or ``(None, why it cannot be loaded)``."""
    if isinstance(value, Tensor):
        value = value.data
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        return None, f"cannot be read as an array ({error})"
    if array.shape != target.shape:
        return None, f"expected shape {target.shape}, got {array.shape}"
    if array.dtype.kind not in "fiu" or not np.can_cast(array.dtype, target.dtype, "same_kind"):
        return None, f"dtype {array.dtype} cannot be stored in this {target.dtype} array"
    with np.errstate(over="ignore", invalid="ignore"):
        array = array.astype(target.dtype, copy=True)
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        return None, f"holds NaN or infinite values (as {target.dtype})"
    return array, None


def _buffer_array(value, where):
    if isinstance(value, Tensor):
        value = value.data
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where}: a buffer must be a numpy array, got {type(value).__name__}")
    return value


# ---------------------------------------------------------------------- JSON descriptions
_LAYER_CLASSES = {}


def register_layer(cls=None, *, name=None):
    """Class decorator: make ``cls`` rebuildable by ``layer_from_config`` under its class name
    (a later class with the same name replaces the earlier one), or under ``name`` when two
    classes share a class name (``@register_layer(name="keras.LSTM")``)."""
    if cls is None:
        return lambda decorated: register_layer(decorated, name=name)
    if not (isinstance(cls, type) and issubclass(cls, Module)):
        raise TypeError(f"register_layer: expected a Module subclass, got {cls!r}")
    key = name or cls.__name__
    _LAYER_CLASSES[key] = cls
    cls._registered_name = key
    return cls


def layer_to_config(layer):
    """``{'class_name': ..., 'config': layer.get_config(), 'name': layer.name}`` for a registered
    layer class (``name`` saves the layer's name also for classes whose config has none)."""
    cls = type(layer)
    name = cls.__dict__.get("_registered_name", cls.__name__)
    if _LAYER_CLASSES.get(name) is not cls:
        raise ValueError(f"layer_to_config: {cls.__name__} is not registered; decorate the class "
                         "with nn.module.register_layer to save it as JSON")
    return {"class_name": name, "config": layer.get_config(), "name": layer.name}


def layer_from_config(config):
    """Rebuild a layer from ``{'class_name': ..., 'config': {...}, 'name': ...}`` (see
    ``layer_to_config``); the saved name is restored, and automatic names made later skip it."""
    cls, arguments = _described_class(config)
    saved_name = config.get("name") or arguments.get("name")
    if not saved_name:  # a file from before layers had names: they get automatic ones
        return cls.from_config(arguments)
    if not isinstance(saved_name, str):
        raise ValueError(f"layer_from_config: the name of a {config['class_name']} must be a "
                         f"string, got {short_repr(saved_name)}")
    with restoring_names():
        layer = cls.from_config(arguments)
    layer.name = saved_name
    reserve(saved_name)  # layers made after loading get names of their own
    return layer


def weight_shapes_from_config(config):
    """``weight_shapes_from_config`` of the layer ``{'class_name': ..., 'config': {...}}``
    describes (None when its class cannot tell), without building it."""
    cls, arguments = _described_class(config)
    return cls.weight_shapes_from_config(arguments)


def _described_class(config):
    """The registered class and the constructor arguments of a layer description."""
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise ValueError(f"layer_from_config: expected a dict with 'class_name' and 'config', "
                         f"got {short_repr(config)}")
    name = config["class_name"]
    cls = _LAYER_CLASSES.get(name)
    if cls is None:
        raise ValueError(f"layer_from_config: unknown layer class {short_repr(name)}; registered: "
                         f"{sorted(_LAYER_CLASSES)}")
    arguments = config.get("config")
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict) or not all(isinstance(key, str) for key in arguments):
        raise ValueError(f"layer_from_config: the config of a {name} must be a dict of "
                         f"argument names, got {short_repr(arguments)}")
    return cls, dict(arguments)
