"""Optimizers, learning-rate schedules and gradient clipping, on numpy arrays in place.

An optimizer updates the ``.data`` array of each parameter from its ``.grad`` array; it needs
nothing from the engine beyond that, so any object with those two attributes can be optimized.
``get`` builds one from a Keras name ('sgd', 'rmsprop', 'adam', 'adamw', 'adagrad').
"""
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .clipping import clip_grad_norm, clip_grad_value
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .schedules import (CosineDecay, ExponentialDecay, LearningRateSchedule, LinearWarmup,
                        ReduceLROnPlateau, StepDecay)
from .sgd import SGD

__all__ = [
    "Adagrad", "Adam", "AdamW", "CosineDecay", "ExponentialDecay", "LearningRateSchedule",
    "LinearWarmup", "Optimizer", "RMSprop", "ReduceLROnPlateau", "SGD", "StepDecay",
    "clip_grad_norm", "clip_grad_value", "get",
]

OPTIMIZERS = {cls.name: cls for cls in (SGD, RMSprop, Adam, AdamW, Adagrad)}

# What a Keras name means beyond the class's own defaults: Keras's RMSprop puts eps inside the root
_KERAS_FLAVOUR = {"rmsprop": {"eps_inside_sqrt": True}}

# Keras's keyword names for the same hyperparameters
_KERAS_KEYWORDS = {"learning_rate": "lr", "epsilon": "eps", "beta_1": "beta1", "beta_2": "beta2"}


def get(identifier, **kwargs):
    """An optimizer from a name, a config dict, a class or an existing optimizer.

    Names are Keras's, case-insensitive ('sgd', 'rmsprop', 'adam', 'adamw', 'adagrad'), and
    mean Keras's optimizer: ``get('rmsprop', lr=1e-3)`` builds ``RMSprop(lr=1e-3,
    eps_inside_sqrt=True)``, Keras's RMSprop (the class itself, ``RMSprop(...)``, is PyTorch's).
    Keras keyword names (``learning_rate``, ``epsilon``, ``beta_1``, ``beta_2``) are accepted.
    Pass ``params=`` to attach parameters now, or call ``add_params`` later. A dict is a config
    from ``Optimizer.get_config()`` and is rebuilt exactly as it says. An ``Optimizer`` instance
    is returned as it is (keyword arguments are then an error).
    """
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise ValueError(f"optim.get: got an {type(identifier).__name__} instance and "
                             f"keyword arguments {sorted(kwargs)}; configure the instance instead")
        return identifier
    if isinstance(identifier, dict):  # a saved config: no Keras flavour beyond what it says
        config = dict(identifier)
        cls, kwargs = _named(config.pop("name", None)), {**config, **kwargs}
    elif isinstance(identifier, type) and issubclass(identifier, Optimizer):
        cls = identifier
    else:
        cls = _named(identifier)
        kwargs = {**_KERAS_FLAVOUR.get(cls.name, {}), **kwargs}
    for keras_name, name in _KERAS_KEYWORDS.items():
        if keras_name in kwargs and keras_name != "learning_rate":
            if name in kwargs:
                raise ValueError(f"optim.get: give {name} or {keras_name}, not both")
            kwargs[name] = kwargs.pop(keras_name)
    return cls(**kwargs)


def _named(name):
    """The optimizer class called ``name`` (case-insensitive), or a ValueError listing them."""
    if isinstance(name, str) and name.lower() in OPTIMIZERS:
        return OPTIMIZERS[name.lower()]
    raise ValueError(f"optim.get: unknown optimizer {name!r}; expected one of "
                     f"{sorted(OPTIMIZERS)}, an Optimizer class or instance, or a config dict")
