"""The weight penalties of layers that take ``kernel_regularizer`` and ``bias_regularizer``."""


def kernel_and_bias_penalties(layer):
    """``[kernel_regularizer(kernel), bias_regularizer(bias)]`` of ``layer``, each term only where
    both the regularizer and the parameter exist."""
    pairs = ((layer.kernel_regularizer, layer.kernel), (layer.bias_regularizer, layer.bias))
    return [regularizer(param) for regularizer, param in pairs
            if regularizer is not None and param is not None]
