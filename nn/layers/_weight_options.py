"""The options Keras's weighted layers share (``Dense`` and the convolutions): the activation,
whether there is a bias, and the kernel and bias initializers and regularizers. Set, serialized
and turned into weight penalties in one place."""
from .. import initializers, regularizers
from . import activations
from ..validation import flag


def set_weight_options(layer, activation, use_bias, kernel_initializer, bias_initializer,
                       kernel_regularizer, bias_regularizer):
    """Resolve the options (names, configs or objects) and store them on ``layer``."""
    layer.activation = activations.get(activation)
    layer.use_bias = flag(use_bias, "use_bias", getattr(layer, "label", type(layer).__name__))
    layer.kernel_initializer = initializers.get(kernel_initializer)
    layer.bias_initializer = initializers.get(bias_initializer)
    layer.kernel_regularizer = regularizers.get(kernel_regularizer)
    layer.bias_regularizer = regularizers.get(bias_regularizer)


def weight_options_config(layer):
    """The options of ``layer`` as JSON-able values, for its ``get_config``."""
    return {
        "activation": activations.serialize(layer.activation),
        "use_bias": layer.use_bias,
        "kernel_initializer": initializers.serialize(layer.kernel_initializer),
        "bias_initializer": initializers.serialize(layer.bias_initializer),
        "kernel_regularizer": regularizers.serialize(layer.kernel_regularizer),
        "bias_regularizer": regularizers.serialize(layer.bias_regularizer),
    }


def kernel_and_bias_penalties(layer):
    """``[kernel_regularizer(kernel), bias_regularizer(bias)]`` of ``layer``, each term only where
    both the regularizer and the parameter exist."""
    pairs = ((layer.kernel_regularizer, layer.kernel), (layer.bias_regularizer, layer.bias))
    return [regularizer(param) for regularizer, param in pairs
            if regularizer is not None and param is not None]
