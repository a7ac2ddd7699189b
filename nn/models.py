"""Named model builders, used by the ``lucidgrad train`` command (``--model NAME``).

A builder is registered with ``@register_model(name, input_layout=...)`` and called as
``builder(input_shape, num_classes, **options)``; it returns an uncompiled ``Model``.
``input_layout`` tells the command how to shape the images before they reach the model:
``'flat'`` gives (n, height * width) rows; ``'images'`` gives (n, 1, height, width) (channels
first). Builders ignore options they do not know. ``training`` holds the command's defaults for
this model where they differ from the seed recipe's (``optimizer``, ``epochs``, ``lr_decay``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

__all__ = ["ModelSpec", "register_model", "build_model", "model_names", "model_spec", "mlp"]

LAYOUTS = ("flat", "images")


@dataclass(frozen=True)
class ModelSpec:
    """A registered builder and the input layout it expects."""

    name: str
    builder: Callable
    input_layout: str = "flat"
    training: dict = field(default_factory=dict)


_REGISTRY: dict[str, ModelSpec] = {}
TRAINING_SETTINGS = ("optimizer", "epochs", "lr_decay")


def register_model(name: str, input_layout: str = "flat", training: dict | None = None) -> Callable:
    """Decorator: register ``builder(input_shape, num_classes, **options) -> Model`` as ``name``,
    with the ``lucidgrad train`` defaults in ``training`` (keys from ``TRAINING_SETTINGS``)."""
    if input_layout not in LAYOUTS:
        raise ValueError(f"register_model: input_layout must be one of {LAYOUTS}, got {input_layout!r}")
    training = dict(training or {})
    unknown = sorted(set(training) - set(TRAINING_SETTINGS))
    if unknown:
        raise ValueError(f"register_model: unknown training settings {unknown}; "
                         f"expected some of {TRAINING_SETTINGS}")

    def decorate(builder: Callable) -> Callable:
        _REGISTRY[name] = ModelSpec(name, builder, input_layout, training)
        return builder

    return decorate


def model_names() -> list[str]:
    """The registered model names, sorted."""
    return sorted(_REGISTRY)


def model_spec(name: str) -> ModelSpec:
    """The registration of ``name``; ValueError listing the known names otherwise."""
    spec = _REGISTRY.get(name)
    if spec is None:
        raise ValueError(f"unknown model {name!r}; choose from {model_names()}")
    return spec


def build_model(name: str, input_shape: tuple, num_classes: int, **options):
    """Build the model registered as ``name`` for samples of ``input_shape`` and ``num_classes``."""
    return model_spec(name).builder(tuple(input_shape), int(num_classes), **options)


@register_model("mlp")
def mlp(input_shape: tuple, num_classes: int, hidden_units=(512,), activation="relu", **_):
    """The seed recipe: ``Dense(512, relu)`` then ``Dense(num_classes, softmax)``.

    ``hidden_units`` changes the hidden layers (``(16, 16)`` gives a 2-16-16-2 net for the moons).
    """
    from .containers import Sequential
    from .layers import Dense

    layers = []
    for index, units in enumerate(hidden_units):
        shape = {"input_shape": tuple(input_shape)} if index == 0 else {}
        layers.append(Dense(units, activation=activation, **shape))
    shape = {} if layers else {"input_shape": tuple(input_shape)}
    layers.append(Dense(num_classes, activation="softmax", **shape))
    return Sequential(layers)


from . import conv_models  # noqa: E402,F401  (registers "cnn")
