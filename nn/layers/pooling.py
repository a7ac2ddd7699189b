"""Pooling layers over channels-first inputs ``(N, C, *spatial)``, in Keras's and PyTorch's
flavours, all running ``autograd.max_pool`` / ``autograd.avg_pool`` / the global reductions.

    Keras style    MaxPoolND(rank, pool_size=2, strides=None, padding='valid'), MaxPool1D/2D/3D
                   (also named MaxPooling1D/2D/3D); AvgPoolND, AvgPool1D/2D/3D (also
                   AveragePooling1D/2D/3D)
    PyTorch style  MaxPool1d/2d/3d(kernel_size, stride=None, padding=0),
                   AvgPool1d/2d/3d(kernel_size, stride=None, padding=0, count_include_pad=True)
    global         GlobalAveragePooling and GlobalMaxPooling (any rank; the 1D/2D/3D names are
                   aliases): (N, C, *spatial) -> (N, C)

Keras's ``padding='same'`` pads so that the output has ``ceil(size / stride)`` elements per axis,
the extra element (for an odd total) after. Padded elements never win a max, and averages count
only real elements, as in Keras:

    max:  max_pool(pad(x, lowest))                  avg:  avg_pool(pad(x, 0)) / avg_pool(pad(1, 0))

(the denominator is the fraction of each window that lies inside the input; a constant).
"""
import numpy as np

from autograd import Tensor, avg_pool, global_avg_pool, global_max_pool, max_pool, pad

from ..module import Module, register_layer
from ..naming import unique_name
from autograd.ops.windows import same_padding

from ..validation import flag, int_tuple, positive_int, spatial_axes_names
from .conv import _check_data_format

__all__ = ["MaxPoolND", "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D",
           "MaxPooling3D", "AvgPoolND", "AvgPool1D", "AvgPool2D", "AvgPool3D", "AveragePooling1D",
           "AveragePooling2D", "AveragePooling3D", "MaxPool1d", "MaxPool2d", "MaxPool3d",
           "AvgPool1d", "AvgPool2d", "AvgPool3d", "GlobalAveragePooling", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling",
           "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D"]


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x))


class _Pooling(Module):
    """Windowed max or mean over the spatial axes; subclasses set ``kind`` ('max' or 'avg')
    and the geometry through ``_set_geometry``."""

    kind = None
    count_include_pad = True

    @classmethod
    def weight_shapes_from_config(cls, config):
        return {}  # no parameters, no buffers

    def _set_geometry(self, rank, pool_size, strides, padding):
        where = self.label
        self.rank = positive_int(rank, "rank", where)
        self.pool_size = int_tuple(pool_size, self.rank, "pool size", where)
        self.strides = self.pool_size if strides is None else int_tuple(strides, self.rank,
                                                                         "strides", where)
        if isinstance(padding, str):
            if padding.lower() not in ("valid", "same"):
                raise ValueError(f"{where}: padding must be 'valid', 'same' or an int, got {padding!r}")
            self.padding = padding.lower()
        else:
            self.padding = int_tuple(padding, self.rank, "padding", where, minimum=0)
            if any(p > k // 2 for p, k in zip(self.padding, self.pool_size)):
                raise ValueError(f"{where}: padding {self.padding} must be at most half the pool "
                                 f"size {self.pool_size}")

    @property
    def label(self):
        """The layer as error messages name it."""
        return type(self).__name__

    def forward(self, x):
        x = _as_tensor(x)
        if x.ndim != self.rank + 2:
            raise ValueError(f"{self.label}: expected input of shape (N, C, "
                             f"{spatial_axes_names(self.rank)}) ({self.rank + 2} axes, channels "
                             f"first), got shape {x.shape}")
        try:
            return self._pool(x)
        except ValueError as error:  # e.g. a window larger than the (padded) input
            raise ValueError(f"{self.label}: {error}") from None

    def _pool(self, x):
        padding = self.padding
        if padding == "valid":
            padding = 0
        elif padding == "same":
            return self._pool_same(x)
        if self.kind == "max":
            return max_pool(x, self.pool_size, self.strides, padding)
        return avg_pool(x, self.pool_size, self.strides, padding,
                        count_include_pad=self.count_include_pad)

    def _pool_same(self, x):
        pairs = tuple(same_padding(size, k, s, 1)
                      for size, k, s in zip(x.shape[2:], self.pool_size, self.strides))
        widths = ((0, 0), (0, 0)) + pairs
        if self.kind == "max":
            lowest = np.finfo(x.dtype).min if np.issubdtype(x.dtype, np.floating) else np.iinfo(x.dtype).min
            return max_pool(pad(x, widths, constant_values=lowest), self.pool_size, self.strides)
        means = avg_pool(pad(x, widths), self.pool_size, self.strides)
        if not any(lo or hi for lo, hi in pairs):
            return means
        inside = np.pad(np.ones((1, 1) + x.shape[2:], dtype=means.dtype), widths)
        return means / avg_pool(inside, self.pool_size, self.strides)


# ---------------------------------------------------------------------------- Keras style

class _KerasPooling(_Pooling):
    """Keras-style pooling with ``rank`` spatial axes: ``pool_size`` (default 2), ``strides``
    (default: the pool size) and ``padding`` ('valid', 'same', or an int / one int per axis,
    at most half the pool size, added on both sides)."""

    _takes_rank = True

    def __init__(self, rank, pool_size=2, strides=None, padding="valid", data_format=None,
                 name=None):
        super().__init__(name=unique_name(f"{self.kind}_pool{rank}d") if name is None else name)
        self._set_geometry(rank, pool_size, strides, padding)
        _check_data_format(data_format, self.label)

    @property
    def label(self):
        return f"{type(self).__name__} {self.name!r}"

    def get_config(self):
        config = {"rank": self.rank} if self._takes_rank else {}
        padding = self.padding if isinstance(self.padding, str) else list(self.padding)
        config.update({"pool_size": list(self.pool_size), "strides": list(self.strides),
                       "padding": padding, "name": self.name})
        return config

    def extra_repr(self):
        return f"pool_size={self.pool_size}, strides={self.strides}, padding={self.padding!r}"


@register_layer
class MaxPoolND(_KerasPooling):
    """Keras-style max pooling with ``rank`` spatial axes (see ``_KerasPooling``)."""
    kind = "max"


@register_layer
class AvgPoolND(_KerasPooling):
    """Keras-style average pooling with ``rank`` spatial axes (see ``_KerasPooling``); with
    ``padding='same'`` a window is averaged over its elements inside the input only."""
    kind = "avg"


class _FixedRankPooling:
    """Mixin for the Keras-style pooling classes whose rank is fixed by the class."""

    _takes_rank = False
    fixed_rank = None

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, name=None):
        super().__init__(self.fixed_rank, pool_size, strides, padding, data_format, name)


@register_layer
class MaxPool1D(_FixedRankPooling, MaxPoolND):
    """Keras-style max pooling over ``(N, C, L)``."""
    fixed_rank = 1


@register_layer
class MaxPool2D(_FixedRankPooling, MaxPoolND):
    """Keras-style max pooling over ``(N, C, H, W)``."""
    fixed_rank = 2


@register_layer
class MaxPool3D(_FixedRankPooling, MaxPoolND):
    """Keras-style max pooling over ``(N, C, D, H, W)``."""
    fixed_rank = 3


@register_layer
class AvgPool1D(_FixedRankPooling, AvgPoolND):
    """Keras-style average pooling over ``(N, C, L)``."""
    fixed_rank = 1


@register_layer
class AvgPool2D(_FixedRankPooling, AvgPoolND):
    """Keras-style average pooling over ``(N, C, H, W)``."""
    fixed_rank = 2


@register_layer
class AvgPool3D(_FixedRankPooling, AvgPoolND):
    """Keras-style average pooling over ``(N, C, D, H, W)``."""
    fixed_rank = 3


MaxPooling1D, MaxPooling2D, MaxPooling3D = MaxPool1D, MaxPool2D, MaxPool3D
AveragePooling1D, AveragePooling2D, AveragePooling3D = AvgPool1D, AvgPool2D, AvgPool3D


# ---------------------------------------------------------------------------- PyTorch style

class _TorchPooling(_Pooling):
    """PyTorch-style pooling: ``kernel_size``, ``stride`` (default: the kernel size) and
    ``padding`` (an int or one int per axis, both sides, at most half the kernel)."""

    rank = None

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self._set_geometry(type(self).rank, kernel_size, stride, padding)

    @property
    def kernel_size(self):
        """The window size per spatial axis."""
        return self.pool_size

    @property
    def stride(self):
        """The step between windows per spatial axis."""
        return self.strides

    def get_config(self):
        return {"kernel_size": list(self.pool_size), "stride": list(self.strides),
                "padding": list(self.padding)}

    def extra_repr(self):
        return f"kernel_size={self.pool_size}, stride={self.strides}, padding={self.padding}"


class _TorchAvgPooling(_TorchPooling):
    kind = "avg"

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__(kernel_size, stride, padding)
        self.count_include_pad = flag(count_include_pad, "count_include_pad", self.label)

    def get_config(self):
        return {**super().get_config(), "count_include_pad": self.count_include_pad}


class _TorchMaxPooling(_TorchPooling):
    kind = "max"


@register_layer
class MaxPool1d(_TorchMaxPooling):
    """PyTorch-style max pooling over ``(N, C, L)``."""
    rank = 1


@register_layer
class MaxPool2d(_TorchMaxPooling):
    """PyTorch-style max pooling over ``(N, C, H, W)``."""
    rank = 2


@register_layer
class MaxPool3d(_TorchMaxPooling):
    """PyTorch-style max pooling over ``(N, C, D, H, W)``."""
    rank = 3


@register_layer
class AvgPool1d(_TorchAvgPooling):
    """PyTorch-style average pooling over ``(N, C, L)``."""
    rank = 1


@register_layer
class AvgPool2d(_TorchAvgPooling):
    """PyTorch-style average pooling over ``(N, C, H, W)``."""
    rank = 2


@register_layer
class AvgPool3d(_TorchAvgPooling):
    """PyTorch-style average pooling over ``(N, C, D, H, W)``."""
    rank = 3


# ---------------------------------------------------------------------------- global pooling

class _GlobalPooling(Module):
    """A reduction over every spatial axis of ``(N, C, *spatial)``: ``(N, C)``, or
    ``(N, C, 1, ..., 1)`` with ``keepdims``."""

    reduce = None
    prefix = None

    @classmethod
    def weight_shapes_from_config(cls, config):
        return {}  # no parameters, no buffers

    def __init__(self, keepdims=False, data_format=None, name=None):
        super().__init__(name=unique_name(self.prefix) if name is None else name)
        _check_data_format(data_format, self.label)
        self.keepdims = flag(keepdims, "keepdims", self.label)

    @property
    def label(self):
        """The layer as error messages name it."""
        return f"{type(self).__name__} {self.name!r}"

    def forward(self, x):
        x = _as_tensor(x)
        if x.ndim < 3:
            raise ValueError(f"{self.label}: expected input of shape (N, C, *spatial) with at "
                             f"least one spatial axis, got shape {x.shape}")
        return self.reduce(x, keepdims=self.keepdims)

    def get_config(self):
        return {"keepdims": self.keepdims, "name": self.name}

    def extra_repr(self):
        return "keepdims=True" if self.keepdims else ""


@register_layer
class GlobalAveragePooling(_GlobalPooling):
    """The mean over all spatial axes of ``(N, C, *spatial)``."""
    reduce = staticmethod(global_avg_pool)
    prefix = "global_average_pooling"


@register_layer
class GlobalMaxPooling(_GlobalPooling):
    """The maximum over all spatial axes of ``(N, C, *spatial)`` (tied maxima share the
    gradient equally)."""
    reduce = staticmethod(global_max_pool)
    prefix = "global_max_pooling"


GlobalAveragePooling1D = GlobalAveragePooling2D = GlobalAveragePooling3D = GlobalAveragePooling
GlobalMaxPooling1D = GlobalMaxPooling2D = GlobalMaxPooling3D = GlobalMaxPooling
