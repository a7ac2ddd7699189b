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

# Keras's keyword names for the same hyperparameters
_KERAS_KEYWORDS = {"learning_rate": "lr", "epsilon": "eps", "beta_1": "beta1", "beta_2": "beta2"}


def get(identifier, **kwargs):
    """An optimizer from a name, a config dict, a class or an existing optimizer.

    ``get('rmsprop', lr=1e-3)`` builds ``RMSprop(lr=1e-3)``; names are Keras's, case-insensitive
    ('sgd', 'rmsprop', 'adam', 'adamw', 'adagrad'), and Keras keyword names (``learning_rate``,
    ``epsilon``, ``beta_1``, ``beta_2``) are accepted. Pass ``params=`` to attach parameters
    now, or call ``add_params`` later. A dict is a config from ``Optimizer.get_config()``. An
    ``Optimizer`` instance is returned as it is (keyword arguments are then an error).
    """
    if isinstance(identifier, Optimizer):
        if kwargs:
            raise ValueError(f"optim.get: got an {type(identifier).__name__} instance and "
                             f"keyword arguments {sorted(kwargs)}; configure the instance instead")
        return identifier
    if isinstance(identifier, dict):
        config = dict(identifier)
        name = config.pop("name", None)
        return get(name, **config, **kwargs)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        cls = identifier
    elif isinstance(identifier, str) and identifier.lower() in OPTIMIZERS:
        cls = OPTIMIZERS[identifier.lower()]
    else:
        raise ValueError(f"optim.get: unknown optimizer {identifier!r}; expected one of "
                         f"{sorted(OPTIMIZERS)}, an Optimizer class or instance, or a config dict")
    for keras_name, name in _KERAS_KEYWORDS.items():
        if keras_name in kwargs and keras_name != "learning_rate":
            if name in kwargs:
                raise ValueError(f"optim.get: give {name} or {keras_name}, not both")
            kwargs[name] = kwargs.pop(keras_name)
    return cls(**kwargs)
