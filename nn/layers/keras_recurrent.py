"""Recurrent layers, Keras style: ``SimpleRNN``, ``LSTM``, ``GRU`` and the ``Bidirectional``
wrapper. They run the same recurrence as PyTorch's layers (``nn.layers.recurrent``), with
Keras's weights, arguments and masking::

    SimpleRNN  h' = activation(x K + h R + b)                     K (in, units), R (units, units)
    LSTM       z = x K + h R + b,  gates i, f, c, o along the last axis (K (in, 4 units))
               c' = rec(f) * c + rec(i) * activation(c~)       h' = rec(o) * activation(c')
    GRU        gates z, r, h along the last axis (K (in, 3 units)), reset_after=True (Keras 3):
               z = rec(x K_z + b_z + h R_z + b'_z)           r = rec(x K_r + b_r + h R_r + b'_r)
               h~ = activation(x K_h + b_h + r * (h R_h + b'_h))
               h' = z * h + (1 - z) * h~               bias (2, 3 units): input row, recurrent row

``rec`` is ``recurrent_activation`` (sigmoid), ``activation`` tanh; each may be tanh, sigmoid,
relu, hard_sigmoid or linear (None). Weights start as Keras's: ``kernel_initializer`` glorot
uniform, ``recurrent_initializer`` orthogonal, ``bias_initializer`` zeros (and the LSTM's forget
gate bias at one, ``unit_forget_bias=True``). Inputs are (batch, steps, features).

Masking: ``forward(x, mask=None, initial_state=None)`` takes a boolean (batch, steps) mask (from
``Embedding(mask_zero=True)`` in a ``Sequential``, or given). A masked step leaves the state as
it was, so it changes no output of a real step and receives no gradient; the output at a masked
step is the last real step's output (zeros before the first), or zeros with
``zero_output_for_mask=True``, which ``Bidirectional`` sets when it returns sequences, as in
Keras. The mask passes on to the next layer when the layer returns sequences.
"""
import numpy as np

import contextlib
from collections import namedtuple

from autograd import affine, concatenate, flip, stack, swapaxes
from autograd.ops.recurrent import SCAN_ACTIVATIONS

from .. import initializers, regularizers
from ..functional import cast_input
from ..module import Module, Parameter, layer_from_config, layer_to_config, register_layer
from . import activations
from ..validation import flag, float_dtype, positive_int
from .masking import as_mask
from .recurrent import KERAS_TWINS, KINDS, check_sequence, check_state, recurrence, stack_states

__all__ = ["SimpleRNN", "LSTM", "GRU", "Bidirectional"]


def _scan_activation(value, role, where):
    """The name of a supported activation: None is 'linear'; callables are matched by name."""
    if value is None:
        return "linear"
    name = value.lower() if isinstance(value, str) else activations.serialize(value)
    if name not in SCAN_ACTIVATIONS:
        raise ValueError(f"{where}: {role} must be one of {sorted(SCAN_ACTIVATIONS)} (or None), "
                         f"got {value!r}")
    return name


def _initializer_config(spec):
    return spec if spec is None or isinstance(spec, (str, dict)) else initializers.serialize(spec)


# What a layer hands the recurrence: time-major projections (T, B, gates * units), the initial
# state, the recurrent kernel and bias in the recurrence's layout, and the time-major mask.
_Run = namedtuple("_Run", "xp state kernel bias mask")


class _KerasRecurrent(Module):
    """What ``SimpleRNN``, ``LSTM`` and ``GRU`` share: weights, masking and outputs."""

    kind = None
    supports_masking = True

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, return_sequences=False, return_state=False,
                 go_backwards=False, zero_output_for_mask=False, input_shape=None, input_dim=None,
                 dtype=np.float32, name=None):
        super().__init__(name=name)
        title = type(self).__name__
        self.units = positive_int(units, "units", title)
        self.activation = _scan_activation(activation, "activation", title)
        self.recurrent_activation = _scan_activation(recurrent_activation, "recurrent_activation",
                                                     title)
        self.use_bias = flag(use_bias, "use_bias", title)
        self._initializer_specs = (kernel_initializer, recurrent_initializer, bias_initializer)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.return_sequences = flag(return_sequences, "return_sequences", title)
        self.return_state = flag(return_state, "return_state", title)
        self.go_backwards = flag(go_backwards, "go_backwards", title)
        self.zero_output_for_mask = flag(zero_output_for_mask, "zero_output_for_mask", title)
        self.dtype = float_dtype(dtype, title)
        self.kernel = self.recurrent_kernel = self.bias = None
        self.built = False
        if input_shape is None and input_dim is not None:
            input_shape = (None, positive_int(input_dim, "input_dim", title))
        self.declared_input_shape = None if input_shape is None else tuple(input_shape)
        if input_shape is not None:
            self.build((None,) + tuple(input_shape))

    # ------------------------------------------------------------------ weights
    @property
    def gates(self):
        """The number of gates: 1, 4 or 3."""
        return KINDS[self.kind].gates

    def build(self, input_shape, dtype=None):
        """Create ``kernel`` (features, gates * units), ``recurrent_kernel`` (units, gates *
        units) and ``bias`` for inputs (batch, steps, features). Returns the output shape."""
        input_shape = tuple(input_shape)
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(f"{type(self).__name__}: cannot build from input shape "
                             f"{input_shape}; expected (batch, steps, features)")
        features = positive_int(input_shape[-1], "the number of features", type(self).__name__)
        width = self.gates * self.units
        self.kernel = Parameter(self.kernel_initializer((features, width), dtype=self.dtype))
        self.recurrent_kernel = Parameter(self.recurrent_initializer((self.units, width),
                                                                     dtype=self.dtype))
        if self.use_bias:
            self.bias = Parameter(self._initial_bias())
        self.built = True
        return self._output_shape(input_shape)

    def _initial_bias(self):
        return self.bias_initializer((self.gates * self.units,), dtype=self.dtype)

    def _output_shape(self, input_shape):
        batch, steps = input_shape[:2]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        return out

    @property
    def input_dim(self):
        """The number of input features (None until built)."""
        return None if self.kernel is None else self.kernel.shape[0]

    def _recurrence_weights(self):
        """(kernel, input bias, recurrent kernel, recurrent bias) in the recurrence's layout."""
        return self.kernel, self.bias, self.recurrent_kernel, None

    # ------------------------------------------------------------------ running
    def forward(self, x, mask=None, initial_state=None, training=None):
        """``x`` (batch, steps, features); ``mask`` (batch, steps) booleans, True for real steps;
        ``initial_state`` a list of the initial states (h, or [h, c] for the LSTM), each (batch,
        units). Returns the output, followed by the final states with ``return_state``."""
        run = self._prepare(x, mask, initial_state)
        hs, final = recurrence(self.kind, run.xp, run.state, run.kernel, run.bias,
                               mask=run.mask, reverse=self.go_backwards,
                               activation=self.activation,
                               recurrent_activation=self.recurrent_activation)
        return self._finish(hs, final, run.mask)

    def _prepare(self, x, mask, initial_state):
        """Check the inputs and compute what the recurrence needs: a ``_Run``."""
        title = self._title()
        x = cast_input(x, self.dtype if self.kernel is None else self.kernel.data.dtype)
        if self.kernel is None:
            check_sequence(x.shape, 1, None, title)
            self.build(x.shape)
        check_sequence(x.shape, 1, self.input_dim, title)
        batch, steps = x.shape[:2]
        mask_tm = None if mask is None else as_mask(mask, batch, steps, title).T
        state = self._initial_state(initial_state, batch, title)
        kernel, input_bias, recurrent_kernel, recurrent_bias = self._recurrence_weights()
        xp = swapaxes(affine(x, kernel, input_bias), 0, 1)  # time-major projections
        return _Run(xp, state, recurrent_kernel, recurrent_bias, mask_tm)

    def _finish(self, hs, final, mask_tm):
        """The layer's result from the recurrence's hidden states and final state."""
        output = self._outputs(hs, mask_tm)
        if not self.return_state:
            return output
        return (output,) + (tuple(final) if self.kind == "lstm" else (final,))

    def _outputs(self, hs, mask_tm):
        """The outputs in the order the steps ran (reversed with ``go_backwards``), with Keras's
        outputs at masked steps; all of them, or the last one."""
        if self.go_backwards:
            hs = flip(hs, 0)
            mask_tm = None if mask_tm is None else mask_tm[::-1]
        if mask_tm is not None:
            shown = mask_tm if self.zero_output_for_mask else np.logical_or.accumulate(mask_tm)
            hs = hs * shown[..., None].astype(hs.dtype)
        return swapaxes(hs, 0, 1) if self.return_sequences else hs[-1]

    def _initial_state(self, initial_state, batch, title):
        if initial_state is None:
            return None
        count = KINDS[self.kind].cell_states
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(states) != count:
            raise ValueError(f"{title}: initial_state must hold {count} state(s) "
                             f"({'[h, c]' if count == 2 else '[h]'}), got {len(states)}")
        names = ("h", "c")
        states = [cast_input(check_state(s, (batch, self.units), f"initial state {names[k]}",
                                         title), self.kernel.data.dtype)
                  for k, s in enumerate(states)]
        return tuple(states) if count == 2 else states[0]

    def compute_mask(self, x, mask=None):
        """The mask passes on with the sequence; a layer returning one step ends it."""
        return mask if self.return_sequences else None

    def penalties(self):
        pairs = ((self.kernel_regularizer, self.kernel),
                 (self.recurrent_regularizer, self.recurrent_kernel),
                 (self.bias_regularizer, self.bias))
        return [reg(p) for reg, p in pairs if reg is not None and p is not None]

    # ------------------------------------------------------------------ description
    def _title(self):
        return f"{type(self).__name__}(units={self.units})"

    def get_config(self):
        kernel, recurrent, bias = (_initializer_config(s) for s in self._initializer_specs)
        config = {
            "units": self.units, "activation": self.activation,
            "recurrent_activation": self.recurrent_activation, "use_bias": self.use_bias,
            "kernel_initializer": kernel, "recurrent_initializer": recurrent,
            "bias_initializer": bias,
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "return_sequences": self.return_sequences, "return_state": self.return_state,
            "go_backwards": self.go_backwards, "zero_output_for_mask": self.zero_output_for_mask,
            "input_shape": self.declared_input_shape,
            "input_dim": None if self.declared_input_shape else self.input_dim,
            "dtype": self.dtype.name, "name": self.name,
        }
        return config

    def extra_repr(self):
        text = f"units={self.units}"
        if self.input_dim is not None:
            text = f"{self.input_dim} -> {self.units}"
        for option in ("return_sequences", "return_state", "go_backwards"):
            if getattr(self, option):
                text += f", {option}=True"
        return text


@register_layer
class SimpleRNN(_KerasRecurrent):
    """Keras's fully connected RNN: ``h' = activation(x kernel + h recurrent_kernel + bias)``."""

    kind = "rnn"

    def __init__(self, units, activation="tanh", use_bias=True, **options):
        super().__init__(units, activation=activation, recurrent_activation="sigmoid",
                         use_bias=use_bias, **options)

    def get_config(self):
        config = super().get_config()
        del config["recurrent_activation"]
        return config


@register_layer(name="keras.LSTM")
class LSTM(_KerasRecurrent):
    """Keras's LSTM (gates i, f, c, o). ``unit_forget_bias`` starts the forget gate's bias at 1.
    With ``return_state`` the output is followed by the final ``h`` and ``c``."""

    kind = "lstm"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 unit_forget_bias=True, **options):
        self.unit_forget_bias = flag(unit_forget_bias, "unit_forget_bias", "LSTM")
        super().__init__(units, activation, recurrent_activation, use_bias, **options)

    def _initial_bias(self):
        bias = super()._initial_bias()
        if self.unit_forget_bias:
            bias[self.units:2 * self.units] = 1
        return bias

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


@register_layer(name="keras.GRU")
class GRU(_KerasRecurrent):
    """Keras's GRU, ``reset_after=True`` (Keras 3's default, the form PyTorch and cuDNN use):
    gates z, r, h; ``bias`` is (2, 3 units), the input bias and the recurrent bias."""

    kind = "gru"

    # Keras orders the gates z, r, h; the recurrence takes r, z, n (PyTorch's order).
    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 reset_after=True, **options):
        if not reset_after:
            raise ValueError("GRU: only reset_after=True (Keras 3's default, and PyTorch's GRU) "
                             "is supported; the reset_after=False variant applies the reset gate "
                             "before the recurrent matmul")
        self.reset_after = True
        super().__init__(units, activation, recurrent_activation, use_bias, **options)

    def _initial_bias(self):
        return self.bias_initializer((2, 3 * self.units), dtype=self.dtype)

    def _recurrence_weights(self):
        u = self.units
        order = np.r_[u:2 * u, 0:u, 2 * u:3 * u]  # z, r, h -> r, z, n
        bias = (None, None) if self.bias is None else (self.bias[0][order], self.bias[1][order])
        return (self.kernel[:, order], bias[0], self.recurrent_kernel[:, order], bias[1])

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}


KERAS_TWINS.update(LSTM=LSTM, GRU=GRU)


@register_layer
class Bidirectional(Module):
    """Keras's ``Bidirectional(layer, merge_mode='concat')``: a copy of ``layer`` reads the
    sequence forwards, another (``go_backwards=True``, or ``backward_layer``) backwards, each with
    fresh weights, and their outputs are merged: 'concat' (along features), 'sum', 'ave', 'mul',
    or None (a list of both). With ``return_sequences`` the backward outputs are put back in time
    order and masked steps output zeros, as in Keras. ``initial_state`` lists the forward layer's
    states, then the backward layer's."""

    supports_masking = True
    MERGE_MODES = ("concat", "sum", "ave", "mul", None)

    def __init__(self, layer, merge_mode="concat", backward_layer=None, input_shape=None,
                 name=None):
        super().__init__(name=name)
        for role, candidate in (("layer", layer), ("backward_layer", backward_layer)):
            if candidate is not None and not isinstance(candidate, _KerasRecurrent):
                raise TypeError(f"Bidirectional: {role} must be a Keras recurrent layer "
                                f"(SimpleRNN, LSTM(units), GRU(units)), got "
                                f"{type(candidate).__name__}; PyTorch's layers take "
                                "bidirectional=True instead")
        if merge_mode not in self.MERGE_MODES:
            raise ValueError(f"Bidirectional: merge_mode must be one of {self.MERGE_MODES}, got "
                             f"{merge_mode!r}")
        self.merge_mode = merge_mode
        self.forward_layer = _copy(layer, "forward_")
        if backward_layer is None:
            self.backward_layer = _copy(layer, "backward_", go_backwards=not layer.go_backwards)
        else:
            self.backward_layer = _copy(backward_layer, "backward_")
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError("Bidirectional: the forward and backward layers must differ in "
                             "go_backwards")
        for attribute in ("return_sequences", "return_state"):
            if getattr(forward, attribute) != getattr(backward, attribute):
                raise ValueError(f"Bidirectional: the forward and backward layers must agree on "
                                 f"{attribute}")
        for sub in (forward, backward):
            sub.zero_output_for_mask = sub.return_sequences
        self.return_sequences, self.return_state = forward.return_sequences, forward.return_state
        self.declared_input_shape = forward.declared_input_shape
        self.built = forward.built and backward.built
        if input_shape is not None:
            self.declared_input_shape = tuple(input_shape)
            self.build((None,) + self.declared_input_shape)

    def build(self, input_shape, dtype=None):
        """Build both layers for inputs of ``input_shape``; returns the output shape."""
        shape = self.forward_layer.build(input_shape)
        self.backward_layer.build(input_shape)
        self.built = True
        if self.merge_mode == "concat":
            shape = shape[:-1] + (2 * shape[-1],)
        return shape

    def forward(self, x, mask=None, initial_state=None, training=None):
        forward_state = backward_state = None
        if initial_state is not None:
            half = len(initial_state) // 2
            forward_state, backward_state = initial_state[:half], initial_state[half:]
        if self._shares_one_scan():
            y, y_back = self._both_in_one_scan(x, mask, forward_state, backward_state)
        else:
            y = self.forward_layer(x, mask=mask, initial_state=forward_state)
            y_back = self.backward_layer(x, mask=mask, initial_state=backward_state)
        states = ()
        if self.return_state:
            states = tuple(y[1:]) + tuple(y_back[1:])
            y, y_back = y[0], y_back[0]
        if self.return_sequences:
            y_back = flip(y_back, 1)
        merged = self._merge(y, y_back)
        if not self.return_state:
            return merged
        return (*merged, *states) if self.merge_mode is None else (merged, *states)

    def _shares_one_scan(self):
        """True when both halves run the same cell (kind, units, activations, bias), so that
        one scan can run them side by side."""
        forward, backward = self.forward_layer, self.backward_layer
        same = ("units", "activation", "recurrent_activation", "use_bias")
        return type(forward) is type(backward) and all(
            getattr(forward, a) == getattr(backward, a) for a in same)

    def _both_in_one_scan(self, x, mask, forward_state, backward_state):
        """Both halves' results from one scan over their stacked weights (what each half's own
        ``forward`` would return)."""
        forward, backward = self.forward_layer, self.backward_layer
        with forward._scope_label or _NO_SCOPE:
            run_f = forward._prepare(x, mask, forward_state)
        with backward._scope_label or _NO_SCOPE:
            run_b = backward._prepare(x, mask, backward_state)
        bias = None if run_f.bias is None else stack([run_f.bias, run_b.bias])
        hs, (final_f, final_b) = recurrence(
            forward.kind, stack([run_f.xp, run_b.xp]), stack_states([run_f.state, run_b.state]),
            stack([run_f.kernel, run_b.kernel]), bias, mask=run_f.mask,
            reverse=(forward.go_backwards, backward.go_backwards),
            activation=forward.activation, recurrent_activation=forward.recurrent_activation)
        with forward._scope_label or _NO_SCOPE:
            y = forward._finish(hs[0], final_f, run_f.mask)
        with backward._scope_label or _NO_SCOPE:
            y_back = backward._finish(hs[1], final_b, run_b.mask)
        return y, y_back

    def _merge(self, y, y_back):
        mode = self.merge_mode
        if mode == "concat":
            return concatenate([y, y_back], axis=-1)
        if mode == "sum":
            return y + y_back
        if mode == "ave":
            return (y + y_back) * 0.5
        if mode == "mul":
            return y * y_back
        return [y, y_back]

    def compute_mask(self, x, mask=None):
        """The mask passes on when the layer returns sequences."""
        return mask if self.return_sequences else None

    def get_config(self):
        return {"layer": layer_to_config(self.forward_layer), "merge_mode": self.merge_mode,
                "backward_layer": layer_to_config(self.backward_layer),
                "input_shape": self.declared_input_shape, "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        layer = layer_from_config(config.pop("layer"))
        backward = config.pop("backward_layer", None)
        return cls(layer, backward_layer=None if backward is None else layer_from_config(backward),
                   **config)

    def extra_repr(self):
        return f"merge_mode={self.merge_mode!r}"


_NO_SCOPE = contextlib.nullcontext()


def _copy(layer, prefix, **changes):
    """A new layer from ``layer``'s configuration (fresh weights), with ``changes``, named as
    Keras names the halves of a ``Bidirectional``: ``forward_lstm``, ``backward_lstm``."""
    name = layer.name
    for known in ("forward_", "backward_"):
        if name.startswith(known):
            name = name[len(known):]
    return type(layer).from_config({**layer.get_config(), **changes, "name": prefix + name})
