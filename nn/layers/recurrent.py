"""Recurrent layers, PyTorch style (``RNN``, ``LSTM``, ``GRU``, ``RNNCell``, ``LSTMCell``,
``GRUCell``), and the one recurrence that they and the Keras layers (``keras_recurrent``) share.

Every layer projects the inputs of all time steps at once (one matmul, ``x W_ih^T + b``), then
runs the cell over time with one op per layer and direction (``autograd.rnn_scan``,
``lstm_scan``, ``gru_scan``; their docstring has the equations and derivatives). With H the
hidden size, PyTorch's cells are::

    RNN    h' = tanh(W_ih x + b_ih + W_hh h + b_hh)                  (or relu: nonlinearity='relu')
    LSTM   i, f, g, o = W_ii x + b_ii + W_hi h + b_hi, ...           (gates in this order)
           c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
           h' = sigmoid(o) * tanh(c')
    GRU    r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
           z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
           n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
           h' = (1 - z) * n + z * h

Weights have PyTorch's names, layouts and initialization: ``weight_ih_l{k}`` (gates * H, in),
``weight_hh_l{k}`` (gates * H, H), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (gates * H,), with
``_reverse`` for the backward direction, all from U(-1/sqrt(H), 1/sqrt(H)); so a
``load_state_dict`` of a PyTorch model's arrays gives the same outputs.

``nn.LSTM`` and ``nn.GRU`` also answer to Keras's signature: ``LSTM(units, ...)`` (one size, or
``units=``) builds Keras's layer, ``LSTM(input_size, hidden_size, ...)`` PyTorch's.
"""
import math
import warnings
from collections import namedtuple

import numpy as np

from autograd import (concatenate, expand_dims, gru_scan, linear, lstm_scan, reshape, rnn_scan,
                      squeeze, stack, swapaxes, transpose)

from .. import init
from ..functional import cast_input, dropout
from ..module import Module, Parameter, register_layer
from ..validation import flag, float_dtype, positive_int, real_number

__all__ = ["RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "Kind", "KINDS",
           "recurrence", "stack_states", "check_sequence", "check_state", "KERAS_TWINS"]


# ---------------------------------------------------------------------- the shared recurrence
Kind = namedtuple("Kind", "name gates cell_states")
KINDS = {"rnn": Kind("rnn", 1, 1), "lstm": Kind("lstm", 4, 2), "gru": Kind("gru", 3, 1)}


def recurrence(kind, xp, state, kernel, bias=None, *, mask=None, reverse=False,
               activation="tanh", recurrent_activation="sigmoid"):
    """One recurrent layer over time-major input projections ``xp`` (T, B, gates * H): one
    direction, or several side by side, each with its own weights, stacked on a leading axis
    (``xp`` (D, T, B, gates * H), ``kernel`` (D, H, gates * H), one ``reverse`` flag each).
    ``state`` is the initial state (h, or (h, c) for an LSTM; None for zeros), ``kernel`` the
    recurrent weight in kernel layout, ``bias`` the GRU's recurrent bias (the other kinds fold
    theirs into ``xp``), ``mask`` (T, B) booleans.

    Returns ``(hidden states in time order, final states)``: (T, B, H) and the final state h, or
    (h, c), after the last step run (step 0 when ``reverse``), for one direction; (D, T, B, H)
    and a list of each direction's final state for several. A masked step carries the state."""
    several = not isinstance(reverse, bool)
    steps = xp.shape[-3]
    lasts = [0 if r else steps - 1 for r in reverse] if several else [0 if reverse else steps - 1]
    if kind == "lstm":
        h0, c0 = (None, None) if state is None else state
        states = lstm_scan(xp, h0, c0, kernel, mask=mask, reverse=reverse,
                           activation=activation, recurrent_activation=recurrent_activation)
        hs, cs = states[0], states[1]
        finals = [(hs[d, t], cs[d, t]) if several else (hs[t], cs[t]) for d, t in enumerate(lasts)]
    else:
        if kind == "gru":
            hs = gru_scan(xp, state, kernel, bias, mask=mask, reverse=reverse,
                          activation=activation, recurrent_activation=recurrent_activation)
        else:
            hs = rnn_scan(xp, state, kernel, mask=mask, reverse=reverse, activation=activation)
        finals = [hs[d, t] if several else hs[t] for d, t in enumerate(lasts)]
    return hs, (finals if several else finals[0])


def stack_states(states):
    """Initial states of several directions stacked on a leading axis (None: all zeros; a
    missing one among given ones is filled with zeros)."""
    if all(s is None for s in states):
        return None
    if isinstance(next(s for s in states if s is not None), tuple):
        return tuple(stack_states([None if s is None else s[i] for s in states]) for i in range(2))
    given = next(s for s in states if s is not None)
    return stack([s if s is not None else np.zeros(given.shape, given.dtype) for s in states])


def check_sequence(shape, steps_axis, features, where):
    """Raise a clear error unless an input of ``shape`` (three axes, steps on ``steps_axis``,
    features last) has ``features`` features and at least one step."""
    layout = "(batch, steps, features)" if steps_axis == 1 else "(steps, batch, features)"
    if len(shape) != 3:
        raise ValueError(f"{where}: expected inputs of shape {layout}, got shape {shape}")
    if shape[steps_axis] == 0:
        raise ValueError(f"{where}: the sequences are empty (input shape {shape}, {layout}); a "
                         "recurrent layer needs at least one step")
    if features is not None and shape[2] != features:
        raise ValueError(f"{where}: expected {features} features per step, got input of shape "
                         f"{shape} {layout}")


def check_state(state, shape, name, where):
    """``state`` cast to a Tensor of the expected ``shape``, or a clear error."""
    actual = tuple(np.shape(state.data if hasattr(state, "data") else state))
    if actual != tuple(shape):
        raise ValueError(f"{where}: {name} must have shape {tuple(shape)}, got {actual}")
    return state


def _uniform_parameter(shape, bound, dtype):
    """A parameter drawn from U(-bound, bound) (``nn.init.uniform_``), as PyTorch's recurrent
    layers initialize every weight and bias with bound 1/sqrt(hidden_size)."""
    return init.uniform_(Parameter(np.empty(shape, dtype)), -bound, bound)


# Keras's LSTM and GRU, registered by nn.layers.keras_recurrent: ``nn.LSTM(units)`` builds them.
KERAS_TWINS = {}


def _keras_style(args, kwargs):
    """True for Keras's signature (``LSTM(units, ...)``), False for PyTorch's
    (``LSTM(input_size, hidden_size, ...)``)."""
    if "input_size" in kwargs or "hidden_size" in kwargs:
        return False
    if "units" in kwargs:
        return True
    return not (len(args) >= 2 and isinstance(args[1], (int, np.integer))
                and not isinstance(args[1], bool))


# ---------------------------------------------------------------------- PyTorch's layers
class _TorchRecurrent(Module):
    """``RNN``, ``LSTM`` and ``GRU`` (PyTorch): stacked, optionally bidirectional layers."""

    kind = None
    nonlinearity = "tanh"  # RNN's choice; the gated cells have their own activations

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, dtype=np.float32):
        super().__init__()
        title = type(self).__name__
        self.input_size = positive_int(input_size, "input_size", title)
        self.hidden_size = positive_int(hidden_size, "hidden_size", title)
        self.num_layers = positive_int(num_layers, "num_layers", title)
        dropout = real_number(dropout, "dropout", title, 0.0, 1.0, high_open=True)
        if dropout and num_layers == 1:
            warnings.warn(f"{title}: dropout applies between stacked layers, so it does nothing "
                          "with num_layers=1", UserWarning, stacklevel=3)
        self.bias = flag(bias, "bias", title)
        self.batch_first = flag(batch_first, "batch_first", title)
        self.dropout = dropout
        self.bidirectional = flag(bidirectional, "bidirectional", title)
        self.dtype = float_dtype(dtype, title)
        gates = KINDS[self.kind].gates
        bound = 1.0 / math.sqrt(self.hidden_size)
        self._weight_names = []
        for layer in range(self.num_layers):
            inputs = self.input_size if layer == 0 else self.hidden_size * self.directions
            for suffix in self._suffixes():
                names = [f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}"]
                shapes = [(gates * self.hidden_size, inputs), (gates * self.hidden_size, self.hidden_size)]
                if self.bias:
                    names += [f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}"]
                    shapes += [(gates * self.hidden_size,)] * 2
                for name, shape in zip(names, shapes):
                    setattr(self, name, _uniform_parameter(shape, bound, self.dtype))
                self._weight_names.append(names)

    @property
    def directions(self):
        """2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    def _suffixes(self):
        return ("", "_reverse") if self.bidirectional else ("",)

    @property
    def all_weights(self):
        """The parameters of every layer and direction, as PyTorch lists them."""
        return [[getattr(self, name) for name in names] for names in self._weight_names]

    def _direction(self, layer, direction):
        """(weight_ih, weight_hh, bias_ih, bias_hh) of one layer and direction."""
        names = self._weight_names[layer * self.directions + direction]
        values = [getattr(self, name) for name in names]
        return values if self.bias else values + [None, None]

    def forward(self, input, hx=None):
        title = self._title()
        x = cast_input(input, self.dtype)
        if x.ndim not in (2, 3):
            raise ValueError(f"{title}: expected input of shape (steps, batch, features)"
                             f"{' with batch_first=True: (batch, steps, features)' if self.batch_first else ''}"
                             f" or unbatched (steps, features), got {x.shape}")
        batched = x.ndim == 3
        if not batched:
            x = expand_dims(x, 0 if self.batch_first else 1)
        check_sequence(x.shape, 1 if self.batch_first else 0, self.input_size, title)
        batch = x.shape[0] if self.batch_first else x.shape[1]
        initial = self._initial_states(hx, batch, batched, title)
        kind = KINDS[self.kind]
        activation = "relu" if self.nonlinearity == "relu" else "tanh"
        layer_input, finals = x, []
        for layer in range(self.num_layers):
            weights = [self._direction(layer, d) for d in range(self.directions)]
            w_ih = weights[0][0] if len(weights) == 1 else concatenate([w[0] for w in weights])
            input_bias = None
            if self.bias:  # only the GRU needs b_hh apart (inside r * (...)): fold the others'
                biases = [w[2] if kind.name == "gru" else w[2] + w[3] for w in weights]
                input_bias = biases[0] if len(biases) == 1 else concatenate(biases)
            xp = linear(layer_input, w_ih, input_bias)  # every direction's projections at once
            first_axes = (1, 0) if layer == 0 and self.batch_first else (0, 1)
            states = initial[layer * self.directions:(layer + 1) * self.directions]
            if len(weights) == 1:
                xp = swapaxes(xp, 0, 1) if first_axes == (1, 0) else xp  # go time-major
                hs, final = recurrence(kind.name, xp, states[0], transpose(weights[0][1]),
                                       weights[0][3] if kind.name == "gru" else None,
                                       activation=activation)
                layer_input, layer_finals = hs, [final]
            else:  # both directions in one scan: (2, T, B, gates * H)
                width = xp.shape[-1] // 2
                xp = transpose(reshape(xp, xp.shape[:-1] + (2, width)), (2,) + first_axes + (3,))
                kernel = stack([transpose(w[1]) for w in weights])
                bias = stack([w[3] for w in weights]) if kind.name == "gru" and self.bias else None
                hs, layer_finals = recurrence(kind.name, xp, stack_states(states), kernel, bias,
                                              reverse=(False, True), activation=activation)
                layer_input = concatenate([hs[0], hs[1]], axis=-1)
            finals.extend(layer_finals)
            if self.dropout and self.training and layer < self.num_layers - 1:
                layer_input = dropout(layer_input, self.dropout)
        output = swapaxes(layer_input, 0, 1) if self.batch_first else layer_input
        return self._pack(output, finals, batched)

    def _initial_states(self, hx, batch, batched, title):
        """One initial state per layer and direction (None for zeros)."""
        count = self.num_layers * self.directions
        if hx is None:
            return [None] * count
        shape = (count, batch, self.hidden_size) if batched else (count, self.hidden_size)
        parts = hx if self.kind == "lstm" else (hx,)
        if self.kind == "lstm" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{title}: hx must be a tuple (h_0, c_0), got {type(hx).__name__}")
        names = ("h_0", "c_0") if self.kind == "lstm" else ("hx",)
        tensors = []
        for name, part in zip(names, parts):
            part = cast_input(check_state(part, shape, name, title), self.dtype)
            tensors.append(part if batched else expand_dims(part, 1))
        states = []
        for k in range(count):
            pieces = [t[k] for t in tensors]
            states.append(tuple(pieces) if self.kind == "lstm" else pieces[0])
        return states

    def _pack(self, output, finals, batched):
        if not batched:
            output = squeeze(output, 0 if self.batch_first else 1)
        if self.kind == "lstm":
            h_n, c_n = stack([f[0] for f in finals]), stack([f[1] for f in finals])
            return output, ((h_n, c_n) if batched else (squeeze(h_n, 1), squeeze(c_n, 1)))
        h_n = stack(finals)
        return output, (h_n if batched else squeeze(h_n, 1))

    def _title(self):
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def get_config(self):
        config = {"input_size": self.input_size, "hidden_size": self.hidden_size,
                  "num_layers": self.num_layers, "bias": self.bias,
                  "batch_first": self.batch_first, "dropout": self.dropout,
                  "bidirectional": self.bidirectional, "dtype": self.dtype.name}
        if self.kind == "rnn":
            config["nonlinearity"] = self.nonlinearity
        return config

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.kind == "rnn" and self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout:g}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


@register_layer
class RNN(_TorchRecurrent):
    """PyTorch's Elman RNN: ``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu), stacked
    ``num_layers`` deep. ``forward(input, hx=None)`` returns ``(output, h_n)``: output
    (steps, batch, directions * hidden) (batch first with ``batch_first``), h_n
    (num_layers * directions, batch, hidden)."""

    kind = "rnn"

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, dtype=np.float32):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype)


class _KerasDispatch:
    """``__new__`` for the names PyTorch and Keras share (``LSTM``, ``GRU``): called with
    Keras's signature, the class builds the Keras layer registered in ``KERAS_TWINS`` under its
    name instead (subclasses do not dispatch)."""

    def __new__(cls, *args, **kwargs):
        twin = KERAS_TWINS.get(cls.__dict__.get("_twin"))
        if twin is not None and (args or kwargs) and _keras_style(args, kwargs):
            return twin(*args, **kwargs)
        return super().__new__(cls)


@register_layer
class LSTM(_KerasDispatch, _TorchRecurrent):
    """PyTorch's LSTM (gates i, f, g, o; see the module docstring), stacked ``num_layers`` deep.
    ``forward(input, hx=None)`` with ``hx = (h_0, c_0)`` returns ``(output, (h_n, c_n))``.

    Called Keras's way, ``LSTM(units, ...)``, it builds Keras's layer instead."""

    kind = "lstm"
    _twin = "LSTM"


@register_layer
class GRU(_KerasDispatch, _TorchRecurrent):
    """PyTorch's GRU (gates r, z, n; the reset gate scales ``W_hn h + b_hn``), stacked
    ``num_layers`` deep. ``forward(input, hx=None)`` returns ``(output, h_n)``.

    Called Keras's way, ``GRU(units, ...)``, it builds Keras's layer instead."""

    kind = "gru"
    _twin = "GRU"


# ---------------------------------------------------------------------- PyTorch's cells
class _TorchCell(Module):
    """One step of a recurrent cell: the layer's recurrence run for a single step."""

    kind = None

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", dtype=np.float32):
        super().__init__()
        title = type(self).__name__
        self.input_size = positive_int(input_size, "input_size", title)
        self.hidden_size = positive_int(hidden_size, "hidden_size", title)
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"{title}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        self.dtype = float_dtype(dtype, title)
        gates = KINDS[self.kind].gates * self.hidden_size
        bound = 1.0 / math.sqrt(self.hidden_size)
        bias = flag(bias, "bias", title)
        self.weight_ih = _uniform_parameter((gates, self.input_size), bound, self.dtype)
        self.weight_hh = _uniform_parameter((gates, self.hidden_size), bound, self.dtype)
        self.bias_ih = _uniform_parameter((gates,), bound, self.dtype) if bias else None
        self.bias_hh = _uniform_parameter((gates,), bound, self.dtype) if bias else None

    def forward(self, input, hx=None):
        title = f"{type(self).__name__}({self.input_size}, {self.hidden_size})"
        x = cast_input(input, self.dtype)
        if x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            raise ValueError(f"{title}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {x.shape}")
        batched = x.ndim == 2
        if not batched:
            x = expand_dims(x, 0)
        shape = (x.shape[0], self.hidden_size)
        state = None
        if hx is not None:
            parts = hx if self.kind == "lstm" else (hx,)
            if self.kind == "lstm" and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise TypeError(f"{title}: hx must be a tuple (h, c), got {type(hx).__name__}")
            names = ("h", "c") if self.kind == "lstm" else ("hx",)
            parts = [cast_input(check_state(p, shape if batched else shape[1:], name, title),
                                self.dtype) for name, p in zip(names, parts)]
            parts = parts if batched else [expand_dims(p, 0) for p in parts]
            state = tuple(parts) if self.kind == "lstm" else parts[0]
        bias = self.bias_ih
        if self.kind != "gru" and bias is not None:
            bias = self.bias_ih + self.bias_hh
        xp = expand_dims(linear(x, self.weight_ih, bias), 0)
        _, final = recurrence(self.kind, xp, state, transpose(self.weight_hh),
                              self.bias_hh if self.kind == "gru" else None,
                              activation="relu" if self.nonlinearity == "relu" else "tanh")
        if not batched:
            final = tuple(squeeze(f, 0) for f in final) if self.kind == "lstm" else squeeze(final, 0)
        return final

    def get_config(self):
        config = {"input_size": self.input_size, "hidden_size": self.hidden_size,
                  "bias": self.bias_ih is not None, "dtype": self.dtype.name}
        if self.kind == "rnn":
            config["nonlinearity"] = self.nonlinearity
        return config

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias_ih is None:
            text += ", bias=False"
        if self.kind == "rnn" and self.nonlinearity != "tanh":
            text += f", nonlinearity={self.nonlinearity!r}"
        return text


@register_layer
class RNNCell(_TorchCell):
    """One step of PyTorch's Elman RNN: ``forward(input, hx=None)`` returns h'."""

    kind = "rnn"


@register_layer
class LSTMCell(_TorchCell):
    """One step of PyTorch's LSTM: ``forward(input, hx=None)`` with ``hx = (h, c)`` returns
    ``(h', c')``."""

    kind = "lstm"

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__(input_size, hidden_size, bias, dtype=dtype)


@register_layer
class GRUCell(_TorchCell):
    """One step of PyTorch's GRU: ``forward(input, hx=None)`` returns h'."""

    kind = "gru"

    def __init__(self, input_size, hidden_size, bias=True, dtype=np.float32):
        super().__init__(input_size, hidden_size, bias, dtype=dtype)
