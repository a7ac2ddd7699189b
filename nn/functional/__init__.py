"""Stateless functions: the layers' computations, and PyTorch's ``torch.nn.functional``.

``import nn.functional as F`` gives the forms PyTorch users reach for, with PyTorch's argument
names, order, defaults and layouts (channels first, ``dim=``, classes on axis 1):

    layers        linear, dropout, conv1d/2d/3d, conv_transpose1d/2d/3d
    pooling       max_pool1d/2d/3d, avg_pool1d/2d/3d
    activations   relu, leaky_relu, elu, gelu, silu, sigmoid, tanh, softplus, logsigmoid,
                  softmax, log_softmax
    losses        cross_entropy, nll_loss, mse_loss, l1_loss, smooth_l1_loss, huber_loss,
                  binary_cross_entropy, binary_cross_entropy_with_logits
    other         pad, one_hot

plus the Keras-style forms the ``nn.layers`` use (``dense``, ``batch_norm``, ``flatten``,
``cast_input``). Everything is composed of autograd ops, so gradients (and second derivatives)
come from the engine.
"""
from .activations import (elu, gelu, leaky_relu, log_softmax, logsigmoid, one_hot, relu,
                          sigmoid, silu, softmax, softplus, tanh)
from .convolution import (avg_pool1d, avg_pool2d, avg_pool3d, conv1d, conv2d, conv3d,
                          conv_transpose1d, conv_transpose2d, conv_transpose3d, max_pool1d,
                          max_pool2d, max_pool3d, pad)
from .layers import batch_norm, cast_input, dense, dropout, flatten, linear
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)

__all__ = [
    "cast_input", "dense", "linear", "dropout", "batch_norm", "flatten",
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d", "pad",
    "relu", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus", "logsigmoid",
    "softmax", "log_softmax", "one_hot",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits",
]
