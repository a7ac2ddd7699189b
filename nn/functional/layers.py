"""Stateless forms of the layers: each takes its parameters as arguments.

Everything is composed of autograd ops, so gradients (and second derivatives) come from the
engine. The layers in ``nn.layers`` are thin wrappers that own the parameters and call these.
"""
import numpy as np

from autograd import Tensor, affine, linear as _linear
from autograd.capture import traced
from autograd.randomness import dropout_mask

__all__ = ["cast_input", "dense", "linear", "dropout", "batch_norm", "flatten"]


def cast_input(x, dtype):
    """``x`` as a Tensor of ``dtype``: arrays and lists are converted, a Tensor of another dtype
    goes through the (differentiable) ``astype`` op, a Tensor of that dtype is returned as is."""
    if isinstance(x, Tensor):
        return x if x.data.dtype == dtype else x.astype(dtype)
    return Tensor(np.asarray(x, dtype=dtype))


def dense(x, kernel, bias=None, activation=None):
    """Keras's dense layer: ``activation(x @ kernel + bias)`` with ``kernel`` of shape (in, out)."""
    y = affine(x, kernel, bias)
    return y if activation is None else activation(y)


def linear(input, weight, bias=None):
    """PyTorch's linear layer: ``input @ weight.T + bias`` with ``weight`` of shape (out, in)."""
    return _linear(input, weight, bias)


def dropout(input, p=0.5, training=True, inplace=False, *, rng=None):
    """Inverted dropout (PyTorch's ``F.dropout``; ``p`` is Keras's ``rate``): in training, zero
    each element with probability ``p`` and scale the survivors by 1 / (1 - p), so the expected
    value is unchanged; otherwise return the input.

    The mask is a constant drawn from ``rng`` (default ``autograd.generator()``); the gradient is
    the same mask times the incoming gradient. ``inplace`` is accepted for PyTorch code, but the
    result is always a new tensor (the graph keeps the input).
    """
    x, rate = input, p
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: p must lie in [0, 1), got {rate}")
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if not training or rate == 0:
        return x
    return x * dropout_mask(x.shape, rate, x.data.dtype, rng)


def batch_norm(x, gamma=None, beta=None, moving_mean=None, moving_variance=None, *, training=True,
               momentum=0.99, epsilon=1e-3, axis=1, unbiased_moving_variance=False):
    """Batch normalization over every axis except ``axis`` (the features or channels axis):

        y = gamma * (x - mean) / sqrt(var + epsilon) + beta

    In training ``mean`` and ``var`` (biased) are the statistics of this batch, and the
    ``moving_mean`` / ``moving_variance`` arrays (numpy, updated in place when given) follow them
    with Keras's momentum convention: ``moving = momentum * moving + (1 - momentum) * batch``
    (PyTorch's ``momentum`` m is Keras's 1 - m). PyTorch stores the unbiased batch variance,
    n / (n - 1) * var, in its running variance: ``unbiased_moving_variance=True``.
    In inference the moving statistics are used instead.
    """
    if not isinstance(x, Tensor):
        x = Tensor(x)
    ndim = x.ndim
    if ndim < 2:
        raise ValueError(f"batch_norm: input must have a batch axis and a feature axis, got shape {x.shape}")
    # the moving statistics live outside the graph: a captured step must record their use too
    moving_mean, moving_variance = traced(moving_mean), traced(moving_variance)
    axis = axis % ndim
    channels = x.shape[axis]
    reduce_axes = tuple(i for i in range(ndim) if i != axis)
    stat_shape = tuple(channels if i == axis else 1 for i in range(ndim))
    if training:
        mean = x.mean(axis=reduce_axes, keepdims=True)
        var = x.var(axis=reduce_axes, keepdims=True)
        if moving_mean is not None:
            _update_moving(moving_mean, mean.data.reshape(channels), momentum)
        if moving_variance is not None:
            batch_var = var.data.reshape(channels)
            count = x.size // channels
            if unbiased_moving_variance and count > 1:
                batch_var = batch_var * (count / (count - 1))
            _update_moving(moving_variance, batch_var, momentum)
        normalized = (x - mean) * (var + epsilon) ** -0.5
    else:
        if moving_mean is None or moving_variance is None:
            raise ValueError("batch_norm: inference needs moving_mean and moving_variance")
        inv_std = (1.0 / np.sqrt(moving_variance + epsilon)).astype(x.data.dtype, copy=False)
        normalized = (x - moving_mean.reshape(stat_shape)) * inv_std.reshape(stat_shape)
    last = axis == ndim - 1  # a (C,) vector already broadcasts along the last axis
    if gamma is not None:
        normalized = normalized * (gamma if last else gamma.reshape(stat_shape))
    if beta is not None:
        normalized = normalized + (beta if last else beta.reshape(stat_shape))
    return normalized


def _update_moving(moving, batch, momentum):
    """moving <- momentum * moving + (1 - momentum) * batch, in place."""
    moving *= momentum
    moving += (1.0 - momentum) * batch


def flatten(x):
    """Keep the batch axis, merge all the others: (N, d1, d2, ...) -> (N, d1 * d2 * ...)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if x.ndim == 0:
        raise ValueError("flatten: input needs a batch axis, got a 0-d tensor")
    return x.reshape((x.shape[0], -1))
