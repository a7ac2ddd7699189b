"""Recurrences: a whole sequence of simple-RNN, LSTM or GRU steps as one op each.

A recurrent layer applies the same cell at every time step. Recorded step by step, T steps would
leave T copies of a dozen small ops in the graph, and the backward pass would pay the engine's
bookkeeping for each of them. These ops run the loop over time inside one numpy forward, and their
VJP runs backpropagation through time as one loop too. Every recurrent layer of ``nn`` (PyTorch's
``RNN``, ``LSTM``, ``GRU`` and their cells, Keras's ``SimpleRNN``, ``LSTM``, ``GRU``) is built on
them, so a layer of T steps is one node of the graph.

Inputs are time-major. ``xp`` (T, B, G*H) holds the input projections of every step, ``x_t W + b``
(computed for all steps by one matmul before the loop); ``h0`` and ``c0`` (B, H) are the initial
states (None: zeros); ``kernel`` (H, G*H) is the recurrent weight in kernel layout (PyTorch's
``weight_hh`` transposed). With a boolean ``mask`` (T, B), a step whose mask is False leaves that
sample's state unchanged. ``reverse=True`` runs the steps from T-1 down to 0. The result holds the
state after every step, in time order (``result[t]`` is the state once step t has run)::

    rnn_scan    h_t = act(xp_t + h_{t-1} K)                                       -> (T, B, H)

    lstm_scan   gates i, f, g, o (in that order along the last axis of xp and K):
                z_t = xp_t + h_{t-1} K
                i = rec(z_i)   f = rec(z_f)   g = act(z_g)   o = rec(z_o)
                c_t = f * c_{t-1} + i * g
                h_t = o * act(c_t)                                        -> (2, T, B, H): h, c

    gru_scan    gates r, z, n (PyTorch's order; the reset gate scales the recurrent part of n,
                as in PyTorch and in Keras 3's default reset_after=True):
                a_t = h_{t-1} K + b                  (b, the recurrent bias (3H,), or None)
                r = rec(xp_r + a_r)   z = rec(xp_z + a_z)   n = act(xp_n + r * a_n)
                h_t = (1 - z) * n + z * h_{t-1}                                   -> (T, B, H)

``act`` and ``rec`` (``activation``, ``recurrent_activation``) are each one of ``tanh``,
``sigmoid``, ``relu``, ``hard_sigmoid`` (clip(x / 6 + 1/2, 0, 1)) and ``linear``; the defaults
are tanh and sigmoid. Their derivatives are read off their outputs y: 1 - y^2, y (1 - y),
[y > 0], [0 < y < 1] / 6 and 1.

Derivatives, for one step: d_h and d_c arrive at h_t and c_t (from the output and from step t+1);
K^T sends the gradient of the pre-activations back to h_{t-1}, and the kernel's gradient is the
sum over steps of h_{t-1}^T times that gradient::

    rnn_scan    d_a = d_h act'(h_t)                 d xp_t = d_a     d h_{t-1} = d_a K^T

    lstm_scan   d_c <- d_c + d_h o act'(act(c_t))
                d z = [d_c g rec'(i),  d_c c_{t-1} rec'(f),  d_c i act'(g),  d_h act(c_t) rec'(o)]
                d xp_t = d z        d h_{t-1} = d z K^T        d c_{t-1} = d_c f

    gru_scan    d n' = d_h (1 - z) act'(n)          d z' = d_h (h_{t-1} - n) rec'(z)
                d r' = d n' a_n rec'(r)
                d xp_t = [d r', d z', d n']          d a_t = [d r', d z', d n' r]
                d h_{t-1} = d a_t K^T + d_h z        d b = sum of d a_t

A masked step passes d_h (and d_c) to the step before it unchanged and nothing to its gates.

The states before each step are the result shifted by one step, so the VJP recomputes the gates of
all steps at once (one matmul over T * B rows; elementwise work vectorized over time) and loops
over time only for what is sequential, the gradient carried to the step before. The kernel's
gradient is one matmul over all steps after the loop. Written with ops, the VJP runs on numpy
arrays in an ordinary backward pass and records a graph under ``create_graph``, so second
derivatives come for free.
"""
from collections import namedtuple

import numpy as np

from ..node import Node
from ..primitive import primitive_vjp_all, raw
from .elementwise import clip, relu, tanh, where
from .linalg import matmul
from .shape import concatenate, expand_dims, reshape, stack, transpose

__all__ = ["rnn_scan", "lstm_scan", "gru_scan"]


# ---------------------------------------------------------------------- activations
def _tanh_(a, out):
    return np.tanh(a, out=out)


def _sigmoid_(a, out):
    # sigmoid(x) = (tanh(x / 2) + 1) / 2: no overflow for any x, and one transcendental call
    np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def _relu_(a, out):
    return np.maximum(a, 0, out=out)


def _hard_sigmoid_(a, out):
    np.multiply(a, 1.0 / 6.0, out=out)
    out += 0.5
    return np.clip(out, 0, 1, out=out)


def _identity_(a, out):
    if out is not a:
        np.copyto(out, a)
    return out


def _sigmoid(x):
    return 0.5 * tanh(0.5 * x) + 0.5


def _hard_sigmoid(x):
    return clip(x * (1.0 / 6.0) + 0.5, 0.0, 1.0)


def _identity(x):
    return x


def _step_slope(condition, y):
    """An indicator of ``condition`` as a constant in the dtype of ``y``."""
    return condition.astype(np.asanyarray(raw(y)).dtype)


def _tanh_slope_(y, out):
    np.multiply(y, y, out)
    return np.subtract(1, out, out)


def _sigmoid_slope_(y, out):
    np.subtract(1, y, out)
    return np.multiply(out, y, out)


def _indicator_(condition, out, scale=1):
    np.copyto(out, condition)
    if scale != 1:
        out *= scale
    return out


# For each activation: ``numpy(a, out)`` writes act(a) into ``out`` (which may be ``a``), for
# the forward pass; ``op(x)`` computes it with ops; ``slope(y)`` is the derivative as a function
# of the output y, with ops; ``numpy_slope(y, out)`` writes the same into ``out``.
Activation = namedtuple("Activation", "numpy op slope numpy_slope")
SCAN_ACTIVATIONS = {
    "tanh": Activation(_tanh_, tanh, lambda y: 1 - y * y, _tanh_slope_),
    "sigmoid": Activation(_sigmoid_, _sigmoid, lambda y: y * (1 - y), _sigmoid_slope_),
    "relu": Activation(_relu_, relu, lambda y: _step_slope(raw(y) > 0, y),
                       lambda y, out: _indicator_(y > 0, out)),
    "hard_sigmoid": Activation(_hard_sigmoid_, _hard_sigmoid,
                               lambda y: _step_slope((raw(y) > 0) & (raw(y) < 1), y) / 6,
                               lambda y, out: _indicator_((y > 0) & (y < 1), out, 1.0 / 6.0)),
    "linear": Activation(_identity_, _identity, lambda y: np.ones_like(raw(y)),
                         lambda y, out: _indicator_(True, out)),
}


def _activation(op, role, name):
    if name not in SCAN_ACTIVATIONS:
        raise ValueError(f"{op}: {role} must be one of {sorted(SCAN_ACTIVATIONS)}, got {name!r}")
    return SCAN_ACTIVATIONS[name]


# ---------------------------------------------------------------------- checks and directions
def _shape(x):
    return None if x is None else np.shape(x.data if isinstance(x, Node) else x)


class _Directions:
    """The directions one scan runs side by side. Operands come without a direction axis (one
    direction, ``single``) or with one in front, D directions with their own weights; step k of
    direction d reads time ``T - 1 - k`` when ``reverse[d]``, else time k. Arrays in "running
    order" are (T, D, ...): entry k holds every direction's k-th step (see ``running``)."""

    def __init__(self, op, gates, xp, states, kernel, bias, mask, reverse):
        xs, ks = _shape(xp), _shape(kernel)
        self.single = len(xs) != 4
        layout = "(steps, batch, {g} * hidden)" if self.single else "(directions, steps, batch, {g} * hidden)"
        if len(xs) not in (3, 4) or xs[-3] == 0:
            raise ValueError(f"{op}: xp must be {layout.format(g=gates)} with at least one step, "
                             f"got shape {xs}")
        lead = () if self.single else xs[:1]
        if len(ks) != len(lead) + 2 or ks[:len(lead)] != lead or ks[-1] != gates * ks[-2]:
            expected = "(hidden, {g} * hidden)" if self.single else "(directions, hidden, {g} * hidden)"
            raise ValueError(f"{op}: the recurrent kernel must be {expected.format(g=gates)}, got "
                             f"shape {ks} (xp {xs})")
        steps, batch, width = xs[-3:]
        hidden = ks[-2]
        if width != gates * hidden:
            raise ValueError(f"{op}: xp has {width} features per step, the kernel {gates} * "
                             f"{hidden} = {gates * hidden} (xp {xs}, kernel {ks})")
        for name, state in states:
            shape = _shape(state)
            if shape is not None and shape != lead + (batch, hidden):
                layout = "(batch, hidden)" if self.single else "(directions, batch, hidden)"
                raise ValueError(f"{op}: {name} must be {layout} = {lead + (batch, hidden)}, got "
                                 f"shape {shape}")
        if bias is not None and _shape(bias) != lead + (gates * hidden,):
            raise ValueError(f"{op}: the recurrent bias must be {lead + (gates * hidden,)}, got "
                             f"shape {_shape(bias)}")
        if mask is not None:
            mask = np.asanyarray(mask)
            if mask.dtype != np.bool_ or mask.shape != (steps, batch):
                raise ValueError(f"{op}: the mask must be booleans of shape (steps, batch) = "
                                 f"{(steps, batch)}, got {mask.dtype} of shape {mask.shape}")
        count = 1 if self.single else xs[0]
        flags = (reverse,) * count if isinstance(reverse, (bool, np.bool_)) else tuple(reverse)
        if len(flags) != count or not all(isinstance(f, (bool, np.bool_)) for f in flags):
            raise ValueError(f"{op}: reverse must be a bool or one bool per direction ({count}), "
                             f"got {reverse!r}")
        self.reverse = tuple(bool(f) for f in flags)
        self.count, self.steps, self.batch, self.hidden = count, steps, batch, hidden
        self.uniform = len(set(self.reverse)) == 1

    def stacked(self, array):
        """``array`` with the direction axis (added for a single direction)."""
        return None if array is None else (array[None] if self.single else array)

    def running(self, array):
        """(D, T, ...) in time order -> (T, D, ...) in running order: a view when every
        direction runs the same way (writing into it writes into ``array``), else a copy."""
        if self.uniform:
            return (array[:, ::-1] if self.reverse[0] else array).swapaxes(0, 1)
        return np.stack([array[d, ::-1] if r else array[d] for d, r in enumerate(self.reverse)],
                        axis=1)

    def into_time_order(self, running, array):
        """Write the running-order ``running`` into the time-ordered ``array`` (nothing to do when
        ``running`` is a view of it)."""
        if not self.uniform:
            for d, r in enumerate(self.reverse):
                array[d] = running[::-1, d] if r else running[:, d]

    def running_buffer(self, array):
        """A running-order array whose entries end up in ``array``: a view of it when the
        directions agree, else a fresh buffer (pass it to ``into_time_order`` afterwards)."""
        if self.uniform:
            return self.running(array)
        return np.empty((array.shape[1], array.shape[0]) + array.shape[2:], array.dtype,
                        like=array)

    def running_mask(self, mask):
        """The (T, B) mask as (T, D or 1, B) in running order, or None."""
        if mask is None:
            return None
        if self.uniform:
            return (mask[::-1] if self.reverse[0] else mask)[:, None]
        return np.stack([mask[::-1] if r else mask for r in self.reverse], axis=1)


def _steps(count, reverse):
    return range(count - 1, -1, -1) if reverse else range(count)


def _as_dtype(dtype, *arrays):
    return [None if a is None else np.asanyarray(a).astype(dtype, copy=False) for a in arrays]


def _initial(state, shape, like):
    """The initial state, or zeros; arrays are made ``like=`` an operand, so that a captured step
    (``autograd.capture``) sees them."""
    return np.zeros(shape, like.dtype, like=like) if state is None else state


class Saved:
    """What a scan's forward pass keeps for its backward pass (as PyTorch's ``save_for_backward``):
    values it computes anyway, in running order: the activated gates of every step, ``act(c_t)``
    for the LSTM and the recurrent pre-activations ``a_t`` for the GRU. An ordinary backward pass
    reads them from here; under ``create_graph`` the VJP recomputes them with ops instead, so
    that the gradient's own graph reaches the inputs through them."""

    __slots__ = ("gates", "extra")

    def __init__(self):
        self.gates = self.extra = None  # gates: one array, or the GRU's (r and z, n)


def _default_pair(activation, recurrent_activation):
    """tanh and sigmoid, the usual pair: both are then one tanh call over all the gates, since
    sigmoid(x) = tanh(x / 2) / 2 + 1/2."""
    return activation == "tanh" and recurrent_activation == "sigmoid"


def _tanh_and_sigmoids(sigmoid_columns, width, like):
    """``(scale, offset)`` rows of ``width`` that turn ``z`` into sigmoid(z) on the columns of
    ``sigmoid_columns`` and tanh(z) elsewhere in four calls: ``z *= scale; tanh(z); z *= scale;
    z += offset`` (scale 1/2 and offset 1/2 on the sigmoid columns, 1 and 0 elsewhere)."""
    scale = np.ones(width, like.dtype, like=like)
    offset = np.zeros(width, like.dtype, like=like)
    for columns in sigmoid_columns:
        scale[columns] = 0.5
        offset[columns] = 0.5
    return scale, offset


# ---------------------------------------------------------------------- forward passes (numpy)
def _rnn_forward(xp, h0, kernel, mask=None, reverse=False, activation="tanh"):
    directions = _Directions("rnn_scan", 1, xp, [("h0", h0)], kernel, None, mask, reverse)
    act = _activation("rnn_scan", "activation", activation).numpy
    dtype = np.result_type(*(a for a in (xp, h0, kernel) if a is not None))
    xp, h0, kernel = (directions.stacked(a) for a in _as_dtype(dtype, xp, h0, kernel))
    D, T, B, H = directions.count, directions.steps, directions.batch, directions.hidden
    out = np.empty((D, T, B, H), dtype, like=xp)
    x_run, out_run = directions.running(xp), directions.running_buffer(out)
    mask_run = directions.running_mask(mask)
    h = _initial(h0, (D, B, H), xp)
    for k in range(T):
        a = out_run[k]
        np.matmul(h, kernel, a)
        a += x_run[k]
        act(a, a)
        if mask_run is not None:
            np.copyto(a, h, where=~mask_run[k, :, :, None])
        h = a
    directions.into_time_order(out_run, out)
    return out[0] if directions.single else out


def _lstm_forward(xp, h0, c0, kernel, mask=None, reverse=False, activation="tanh",
                  recurrent_activation="sigmoid", saved=None):
    directions = _Directions("lstm_scan", 4, xp, [("h0", h0), ("c0", c0)], kernel, None, mask,
                             reverse)
    act = _activation("lstm_scan", "activation", activation).numpy
    rec = _activation("lstm_scan", "recurrent_activation", recurrent_activation).numpy
    dtype = np.result_type(*(a for a in (xp, h0, c0, kernel) if a is not None))
    xp, h0, c0, kernel = (directions.stacked(a) for a in _as_dtype(dtype, xp, h0, c0, kernel))
    D, T, B, H = directions.count, directions.steps, directions.batch, directions.hidden
    out = np.empty((2, D, T, B, H), dtype, like=xp)
    x_run = directions.running(xp)
    h_run, c_run = directions.running_buffer(out[0]), directions.running_buffer(out[1])
    mask_run = directions.running_mask(mask)
    gates = np.empty((T, D, B, 4 * H), dtype, like=xp)  # i, f, g, o, activated, running order
    act_c = np.empty((T, D, B, H), dtype, like=xp)       # act(c_t)
    fused = None
    if _default_pair(activation, recurrent_activation):
        fused = _tanh_and_sigmoids((slice(0, 2 * H), slice(3 * H, 4 * H)), 4 * H, gates)
    product = np.empty((D, B, H), dtype, like=xp)
    h, c = _initial(h0, (D, B, H), xp), _initial(c0, (D, B, H), xp)
    for k in range(T):
        z = gates[k]
        np.matmul(h, kernel, z)
        z += x_run[k]
        i, f, cell, o = z[..., :H], z[..., H:2 * H], z[..., 2 * H:3 * H], z[..., 3 * H:]
        if fused is not None:
            scale, offset = fused
            np.multiply(z, scale, z)
            np.tanh(z, z)
            np.multiply(z, scale, z)
            np.add(z, offset, z)
        else:
            rec(z[..., :2 * H], z[..., :2 * H])
            act(cell, cell)
            rec(o, o)
        c_new, h_new = c_run[k], h_run[k]
        np.multiply(f, c, c_new)
        np.multiply(i, cell, product)
        c_new += product
        act(c_new, act_c[k])
        np.multiply(o, act_c[k], h_new)
        if mask_run is not None:
            skipped = ~mask_run[k, :, :, None]
            np.copyto(c_new, c, where=skipped)
            np.copyto(h_new, h, where=skipped)
        h, c = h_new, c_new
    directions.into_time_order(h_run, out[0])
    directions.into_time_order(c_run, out[1])
    if saved is not None:
        saved.gates, saved.extra = gates, act_c
    return out[:, 0] if directions.single else out


def _gru_forward(xp, h0, kernel, bias, mask=None, reverse=False, activation="tanh",
                 recurrent_activation="sigmoid", saved=None):
    directions = _Directions("gru_scan", 3, xp, [("h0", h0)], kernel, bias, mask, reverse)
    act = _activation("gru_scan", "activation", activation).numpy
    rec = _activation("gru_scan", "recurrent_activation", recurrent_activation).numpy
    dtype = np.result_type(*(a for a in (xp, h0, kernel, bias) if a is not None))
    xp, h0, kernel, bias = (directions.stacked(a) for a in _as_dtype(dtype, xp, h0, kernel, bias))
    D, T, B, H = directions.count, directions.steps, directions.batch, directions.hidden
    out = np.empty((D, T, B, H), dtype, like=xp)
    x_run, out_run = directions.running(xp), directions.running_buffer(out)
    mask_run = directions.running_mask(mask)
    resets = np.empty((T, D, B, 2 * H), dtype, like=xp)     # r, z, activated, running order
    news = np.empty((T, D, B, H), dtype, like=xp)           # n, activated
    recurrent = np.empty((T, D, B, 3 * H), dtype, like=xp)  # a_t = h_{t-1} K + b
    fast = _default_pair(activation, recurrent_activation)
    bias = None if bias is None else bias[:, None, :]
    h = _initial(h0, (D, B, H), xp)
    for k in range(T):
        a = recurrent[k]
        np.matmul(h, kernel, a)
        if bias is not None:
            a += bias
        x, r_z, n = x_run[k], resets[k], news[k]
        np.add(x[..., :2 * H], a[..., :2 * H], r_z)
        if fast:  # sigmoid(x) = tanh(x / 2) / 2 + 1/2
            np.multiply(r_z, 0.5, r_z)
            np.tanh(r_z, r_z)
            np.multiply(r_z, 0.5, r_z)
            np.add(r_z, 0.5, r_z)
        else:
            rec(r_z, r_z)
        np.multiply(r_z[..., :H], a[..., 2 * H:], n)
        n += x[..., 2 * H:]
        act(n, n)
        h_new = out_run[k]
        np.subtract(h, n, h_new)  # h_t = n + z (h_{t-1} - n)
        h_new *= r_z[..., H:]
        h_new += n
        if mask_run is not None:
            np.copyto(h_new, h, where=~mask_run[k, :, :, None])
        h = h_new
    directions.into_time_order(out_run, out)
    if saved is not None:
        saved.gates, saved.extra = (resets, news), recurrent
    return out[0] if directions.single else out


# ---------------------------------------------------------------------- VJPs
def _replay(ans, saved):
    """True when the forward's saved values can serve this backward pass: an ordinary one (under
    ``create_graph`` ``ans`` is a graph object, and they must be recomputed with ops)."""
    return saved is not None and saved.gates is not None and not isinstance(ans, Node)


def _directions_of(op, gates, args, mask, reverse):
    """The ``_Directions`` of a scan's operands (already checked by its forward pass)."""
    xp, kernel = args[0], args[2 if op == "rnn_scan" or op == "gru_scan" else 3]
    return _Directions(op, gates, xp, [], kernel, None, None, reverse)


def _per_direction(backward, directions, g, ans, args, state_slots, **options):
    """The VJP of stacked directions from a one-direction ``backward``: run it on each
    direction's slice of the operands and stack the gradients (None operands stay None)."""
    if directions.single:
        return backward(g, ans, *args, reverse=directions.reverse[0], **options)
    lstm = len(state_slots) == 2
    pieces = []
    for d in range(directions.count):
        sliced = [None if a is None else a[d] for a in args]
        pieces.append(backward(g[:, d] if lstm else g[d], ans[:, d] if lstm else ans[d], *sliced,
                               reverse=directions.reverse[d], **options))
    return {i: stack([p[i] for p in pieces]) for i in pieces[0]}


def _rnn_vjp(g, ans, args, needs, mask=None, reverse=False, activation="tanh"):
    directions = _directions_of("rnn_scan", 1, args, mask, reverse)
    grads = _per_direction(_rnn_backward, directions, g, ans, args, ("h0",), mask=mask,
                           act=SCAN_ACTIVATIONS[activation], needs=needs)
    return [grads[i] for i in needs]


def _gated_vjp(op, gates, numpy_backward, ops_backward, state_slots):
    """The VJP of the LSTM or GRU scan: the numpy backward with the saved gates in an ordinary
    backward pass, the op-written one (per direction) under create_graph."""
    def vjp(g, ans, args, needs, mask=None, reverse=False, activation="tanh",
            recurrent_activation="sigmoid", saved=None):
        act, rec = SCAN_ACTIVATIONS[activation], SCAN_ACTIVATIONS[recurrent_activation]
        directions = _directions_of(op, gates, args, mask, reverse)
        if _replay(ans, saved):
            grads = numpy_backward(g, ans, *args, mask, directions, act, rec, saved, needs)
        else:
            grads = _per_direction(ops_backward, directions, g, ans, args, state_slots,
                                   mask=mask, act=act, rec=rec, needs=needs)
        return [grads[i] for i in needs]

    return vjp


class _MaskFactors:
    """A (T, B) mask as (T, B, 1) factors: ``keep`` is 1 where a step runs and 0 where it is
    skipped, ``skip`` is 1 - keep, ``runs`` the booleans."""

    def __init__(self, mask, dtype):
        self.runs = mask[..., None]
        self.keep = self.runs.astype(dtype)
        self.skip = 1 - self.keep


# ------------------------------------------------- the derivatives with ops (any order, any mode)
def _previous(states, initial, reverse):
    """The state before every step, (T, B, H): the result shifted by one step, with the initial
    state at the first step run."""
    if initial is None:
        shape = _shape(states)
        first = np.zeros((1,) + shape[1:], np.asanyarray(raw(states)).dtype)
    else:
        first = expand_dims(initial, 0)
    if reverse:
        return concatenate([states[1:], first], axis=0)
    return concatenate([first, states[:-1]], axis=0)


def _kernel_gradient(previous, d_pre):
    """sum over steps of h_{t-1}^T d_pre_t: one matmul over all T * B rows."""
    hidden, width = _shape(previous)[-1], _shape(d_pre)[-1]
    return matmul(transpose(reshape(previous, (-1, hidden))), reshape(d_pre, (-1, width)))


def _masked(mask, ans, through, *coefficients):
    """``(mask factors, through, coefficients)`` for a VJP: without a mask, None and the
    arguments as given; with one, the coefficients zeroed at the skipped steps and ``through``
    (the gate the state passes through to the step before) 1 there, so that a skipped step
    hands its gradient back unchanged."""
    if mask is None:
        return None, through, coefficients
    masks = _MaskFactors(mask, np.asanyarray(raw(ans)).dtype)
    return masks, where(masks.runs, through, 1.0), [c * masks.keep for c in coefficients]


def _rnn_backward(g, ans, xp, h0, kernel, *, reverse, mask, act, needs):
    """The simple RNN's VJP for one direction, with ops (or numpy for numpy operands)."""
    graph = isinstance(ans, Node)
    mat, stacked = (matmul, stack) if graph else (np.matmul, np.stack)
    steps = _shape(ans)[0]
    masks = None if mask is None else _MaskFactors(mask, np.asanyarray(raw(ans)).dtype)
    kernel_t = transpose(kernel)
    d_pre, carry = [None] * steps, None
    for t in _steps(steps, not reverse):  # the last step run first
        d_h = g[t] if carry is None else g[t] + carry
        if masks is None:
            d_pre[t] = d_h * act.slope(ans[t])
            carry = mat(d_pre[t], kernel_t)
        else:
            d_pre[t] = d_h * act.slope(ans[t]) * masks.keep[t]
            carry = mat(d_pre[t], kernel_t) + d_h * masks.skip[t]
    d_pre = stacked(d_pre)
    grads = {0: d_pre, 1: carry}
    if 2 in needs:
        grads[2] = _kernel_gradient(_previous(ans, h0, reverse), d_pre)
    return grads


def _lstm_backward_ops(g, ans, xp, h0, c0, kernel, *, reverse, mask, act, rec, needs):
    """The LSTM's VJP for one direction, written with ops (differentiable again)."""
    H = _shape(kernel)[0]
    steps = _shape(xp)[0]
    hs, cs = ans[0], ans[1]
    h_prev, c_prev = _previous(hs, h0, reverse), _previous(cs, c0, reverse)
    z = xp + matmul(h_prev, kernel)
    i_f, cell, o = rec.op(z[..., :2 * H]), act.op(z[..., 2 * H:3 * H]), rec.op(z[..., 3 * H:])
    i, f = i_f[..., :H], i_f[..., H:]
    act_c = act.op(cs)
    to_c = o * act.slope(act_c)  # d c_t / d h_t, through h_t = o act(c_t)
    coefficients = concatenate([cell * rec.slope(i), c_prev * rec.slope(f), i * act.slope(cell),
                                act_c * rec.slope(o)], axis=-1)
    masks, through_f, (to_c, coefficients) = _masked(mask, ans, f, to_c, coefficients)
    kernel_t = transpose(kernel)
    g_h, g_c = g[0], g[1]
    d_z, carry_h, carry_c = [None] * steps, None, None
    for t in _steps(steps, not reverse):  # the last step run first
        d_h = g_h[t] if carry_h is None else g_h[t] + carry_h
        d_c = g_c[t] if carry_c is None else g_c[t] + carry_c
        d_c = d_c + d_h * to_c[t]
        d_z[t] = concatenate([d_c, d_c, d_c, d_h], axis=-1) * coefficients[t]
        carry_h = matmul(d_z[t], kernel_t)
        if masks is not None:
            carry_h = carry_h + d_h * masks.skip[t]
        carry_c = d_c * through_f[t]
    d_z = stack(d_z)
    grads = {0: d_z, 1: carry_h, 2: carry_c}
    if 3 in needs:
        grads[3] = _kernel_gradient(h_prev, d_z)
    return grads


def _gru_backward_ops(g, ans, xp, h0, kernel, bias, *, reverse, mask, act, rec, needs):
    """The GRU's VJP for one direction, written with ops (differentiable again)."""
    H = _shape(kernel)[0]
    steps = _shape(xp)[0]
    h_prev = _previous(ans, h0, reverse)
    a = matmul(h_prev, kernel)
    if bias is not None:
        a = a + bias
    r_z = rec.op(xp[..., :2 * H] + a[..., :2 * H])
    r, z = r_z[..., :H], r_z[..., H:]
    a_n = a[..., 2 * H:]
    n = act.op(xp[..., 2 * H:] + r * a_n)
    d_n = (1 - z) * act.slope(n)  # d (pre-activation of n) / d h_t
    d_zg = (h_prev - n) * rec.slope(z)
    d_r = d_n * a_n * rec.slope(r)
    to_x = concatenate([d_r, d_zg, d_n], axis=-1)
    to_a = concatenate([d_r, d_zg, d_n * r], axis=-1)
    _, through_z, (to_x, to_a) = _masked(mask, ans, z, to_x, to_a)
    kernel_t = transpose(kernel)
    d_hs, d_a, carry = [None] * steps, [None] * steps, None
    for t in _steps(steps, not reverse):  # the last step run first
        d_h = g[t] if carry is None else g[t] + carry
        d_hs[t] = d_h
        d_a[t] = concatenate([d_h, d_h, d_h], axis=-1) * to_a[t]
        carry = matmul(d_a[t], kernel_t) + d_h * through_z[t]
    d_hs, d_a = stack(d_hs), stack(d_a)
    grads = {0: concatenate([d_hs, d_hs, d_hs], axis=-1) * to_x, 1: carry}
    if 2 in needs:
        grads[2] = _kernel_gradient(h_prev, d_a)
    if 3 in needs:
        grads[3] = reshape(d_a, (-1, 3 * H)).sum(axis=0)
    return grads


# ------------------------------------------------- the same derivatives in numpy (ordinary backward)
def _kernel_gradient_numpy(states, initial, d_pre, reverse):
    """sum over steps of h_{t-1}^T d_pre_t for one direction, as two matmuls: the steps that
    follow another step, and the first step run (whose h_{t-1} is the initial state; nothing when
    that is zeros)."""
    hidden, width = states.shape[-1], d_pre.shape[-1]
    later, earlier = (slice(None, -1), slice(1, None)) if reverse else (slice(1, None), slice(None, -1))
    grad = states[earlier].reshape(-1, hidden).T @ d_pre[later].reshape(-1, width)
    if initial is not None:
        grad += initial.T @ d_pre[-1 if reverse else 0]
    return grad


def _kernel_gradients(directions, states, initial, d_pre):
    """``_kernel_gradient_numpy`` of every direction, stacked (time-ordered operands)."""
    return np.stack([_kernel_gradient_numpy(states[d], None if initial is None else initial[d],
                                            d_pre[d], r) for d, r in enumerate(directions.reverse)])


def _unstacked(directions, grads):
    return {i: g[0] for i, g in grads.items()} if directions.single else grads


def _mask_run_factors(directions, mask, dtype):
    """(runs, keep, skip) in running order, (T, D or 1, B, 1), or Nones without a mask."""
    runs = directions.running_mask(mask)
    if runs is None:
        return None, None, None
    runs = runs[..., None]
    keep = runs.astype(dtype)
    return runs, keep, 1 - keep


def _lstm_backward_numpy(g, ans, xp, h0, c0, kernel, mask, directions, act, rec, saved, needs):
    """``_lstm_backward_ops`` for an ordinary backward pass: the same formulas, all directions at
    once, one step at a time in numpy with the forward's saved gates (running order), writing
    into preallocated arrays."""
    gates, act_c = saved.gates, saved.extra
    steps, count, batch, width = gates.shape
    H, dtype = width // 4, gates.dtype
    stacked = directions.stacked
    hs, cs = stacked(ans[0]), stacked(ans[1])
    g_h, g_c = directions.running(stacked(g[0])), directions.running(stacked(g[1]))
    c_run = directions.running(cs)
    kernel_t = np.swapaxes(stacked(kernel), -1, -2).astype(dtype, order="C")
    h0, c0 = (stacked(a) for a in _as_dtype(dtype, h0, c0))
    c_initial = _initial(c0, (count, batch, H), gates)
    runs, keep, skip = _mask_run_factors(directions, mask, dtype)
    default = act.numpy is _tanh_ and rec.numpy is _sigmoid_
    d_x = np.empty((count, steps, batch, width), dtype, like=gates)  # time order
    d_run = directions.running_buffer(d_x)
    slopes = np.empty((count, batch, 4, H), dtype, like=gates)
    to_c = np.empty((count, batch, H), dtype, like=gates)
    carry_h = carry_c = None
    for k in range(steps - 1, -1, -1):
        gate = gates[k]
        i, f, cell, o = gate[..., :H], gate[..., H:2 * H], gate[..., 2 * H:3 * H], gate[..., 3 * H:]
        d_h = g_h[k] if carry_h is None else g_h[k] + carry_h
        act.numpy_slope(act_c[k], to_c)  # d_c += d_h o act'(act(c_t))
        to_c *= o
        to_c *= d_h
        if keep is not None:
            to_c *= keep[k]
        d_c = g_c[k] + to_c
        if carry_c is not None:
            d_c += carry_c
        flat = slopes.reshape(count, batch, width)
        if default:  # y (1 - y) for every gate, then 1 - g^2 for the tanh gate
            np.subtract(1, gate, flat)
            flat *= gate
            _tanh_slope_(cell, slopes[:, :, 2])
        else:
            rec.numpy_slope(gate[..., :2 * H], slopes[:, :, :2].reshape(count, batch, 2 * H))
            act.numpy_slope(cell, slopes[:, :, 2])
            rec.numpy_slope(o, slopes[:, :, 3])
        d_gate = d_run[k].reshape(count, batch, 4, H)
        np.multiply(slopes[:, :, 0], cell, d_gate[:, :, 0])
        np.multiply(slopes[:, :, 1], c_initial if k == 0 else c_run[k - 1], d_gate[:, :, 1])
        np.multiply(slopes[:, :, 2], i, d_gate[:, :, 2])
        np.multiply(slopes[:, :, 3], act_c[k], d_gate[:, :, 3])
        d_gate[:, :, :3] *= d_c[:, :, None, :]
        d_gate[:, :, 3] *= d_h
        if keep is None:
            carry_h = np.matmul(d_run[k], kernel_t)
            carry_c = d_c * f
        else:
            d_run[k] *= keep[k]
            carry_h = np.matmul(d_run[k], kernel_t)
            carry_h += d_h * skip[k]
            carry_c = d_c * np.where(runs[k], f, 1)
    directions.into_time_order(d_run, d_x)
    grads = {0: d_x, 1: carry_h, 2: carry_c}
    if 3 in needs:
        grads[3] = _kernel_gradients(directions, hs, h0, d_x)
    return _unstacked(directions, grads)


def _gru_backward_numpy(g, ans, xp, h0, kernel, bias, mask, directions, act, rec, saved, needs):
    """``_gru_backward_ops`` for an ordinary backward pass: the same formulas, all directions at
    once, one step at a time in numpy with the forward's saved gates (running order), writing
    into preallocated arrays."""
    (resets, news), recurrent = saved.gates, saved.extra
    steps, count, batch, H = news.shape
    dtype = news.dtype
    stacked = directions.stacked
    hs = stacked(ans)
    g_run, h_run = directions.running(stacked(g)), directions.running(hs)
    kernel_t = np.swapaxes(stacked(kernel), -1, -2).astype(dtype, order="C")
    (h0,) = (stacked(a) for a in _as_dtype(dtype, h0))
    h_initial = _initial(h0, (count, batch, H), news)
    runs, keep, skip = _mask_run_factors(directions, mask, dtype)
    d_x = np.empty((count, steps, batch, 3 * H), dtype, like=news)  # time order
    d_a = np.empty((count, steps, batch, 3 * H), dtype, like=news)
    dx_run, da_run = directions.running_buffer(d_x), directions.running_buffer(d_a)
    slopes = np.empty((count, batch, 2 * H), dtype, like=news)
    d_n = np.empty((count, batch, H), dtype, like=news)
    scratch = np.empty((count, batch, H), dtype, like=news)
    carry = None
    for k in range(steps - 1, -1, -1):
        r_z, n, dx, da = resets[k], news[k], dx_run[k], da_run[k]
        r, z = r_z[..., :H], r_z[..., H:]
        d_h = g_run[k] if carry is None else g_run[k] + carry
        d_in = d_h if keep is None else d_h * keep[k]
        rec.numpy_slope(r_z, slopes)
        act.numpy_slope(n, d_n)           # d_n = d_h (1 - z) act'(n)
        np.subtract(1, z, scratch)
        d_n *= scratch
        d_n *= d_in
        d_zg = dx[..., H:2 * H]           # d_z = d_h (h_{t-1} - n) rec'(z)
        np.subtract(h_initial if k == 0 else h_run[k - 1], n, d_zg)
        d_zg *= slopes[..., H:]
        d_zg *= d_in
        np.multiply(d_n, recurrent[k][..., 2 * H:], dx[..., :H])  # d_r = d_n a_n rec'(r)
        dx[..., :H] *= slopes[..., :H]
        dx[..., 2 * H:] = d_n
        da[..., :2 * H] = dx[..., :2 * H]
        np.multiply(d_n, r, da[..., 2 * H:])
        carry = np.matmul(da, kernel_t)
        np.multiply(d_in, z, scratch)
        carry += scratch
        if keep is not None:
            carry += d_h * skip[k]
    directions.into_time_order(dx_run, d_x)
    directions.into_time_order(da_run, d_a)
    grads = {0: d_x, 1: carry}
    if 2 in needs:
        grads[2] = _kernel_gradients(directions, hs, h0, d_a)
    if 3 in needs:
        grads[3] = d_a.sum(axis=(1, 2))
    return _unstacked(directions, grads)


_rnn_scan = primitive_vjp_all(_rnn_forward, _rnn_vjp, name="rnn_scan")
_lstm_scan = primitive_vjp_all(_lstm_forward, _gated_vjp(
    "lstm_scan", 4, _lstm_backward_numpy, _lstm_backward_ops, ("h0", "c0")), name="lstm_scan")
_gru_scan = primitive_vjp_all(_gru_forward, _gated_vjp(
    "gru_scan", 3, _gru_backward_numpy, _gru_backward_ops, ("h0",)), name="gru_scan")


def _mask_param(mask):
    return None if mask is None else np.asanyarray(mask.data if isinstance(mask, Node) else mask)


def _reverse_param(reverse):
    return bool(reverse) if isinstance(reverse, (bool, int, np.bool_)) else tuple(bool(r) for r in reverse)


def rnn_scan(xp, h0, kernel, *, mask=None, reverse=False, activation="tanh"):
    """The states of a simple (Elman) RNN over a sequence, (T, B, H): ``h_t = act(xp_t + h_{t-1}
    kernel)``. ``xp`` (T, B, H) are the input projections (bias included), ``h0`` (B, H) or None
    (zeros), ``kernel`` (H, H); ``mask`` (T, B) booleans, False where a step is skipped. Several
    directions run at once with a direction axis in front of every operand and the result, and
    one ``reverse`` flag per direction."""
    return _rnn_scan(xp, h0, kernel, mask=_mask_param(mask), reverse=_reverse_param(reverse),
                     activation=activation)


def lstm_scan(xp, h0, c0, kernel, *, mask=None, reverse=False, activation="tanh",
              recurrent_activation="sigmoid"):
    """The hidden and cell states of an LSTM over a sequence, stacked as (2, T, B, H): ``[0]`` the
    hidden states h_t, ``[1]`` the cell states c_t. ``xp`` (T, B, 4H) are the input projections
    (biases included) in gate order i, f, g, o; ``h0``, ``c0`` (B, H) or None; ``kernel``
    (H, 4H); ``mask`` (T, B) booleans, False where a step is skipped. Several directions run at
    once with a direction axis in front of every operand (the result is then (2, D, T, B, H))
    and one ``reverse`` flag per direction."""
    return _lstm_scan(xp, h0, c0, kernel, mask=_mask_param(mask), reverse=_reverse_param(reverse),
                      activation=activation, recurrent_activation=recurrent_activation,
                      saved=Saved())


def gru_scan(xp, h0, kernel, bias=None, *, mask=None, reverse=False, activation="tanh",
             recurrent_activation="sigmoid"):
    """The states of a GRU over a sequence, (T, B, H). ``xp`` (T, B, 3H) are the input projections
    (input bias included) in gate order r, z, n; ``h0`` (B, H) or None; ``kernel`` (H, 3H);
    ``bias`` (3H,) the recurrent bias, added before the reset gate scales the n part (or None);
    ``mask`` (T, B) booleans, False where a step is skipped. Several directions run at once with
    a direction axis in front of every operand and the result, and one ``reverse`` flag per
    direction."""
    return _gru_scan(xp, h0, kernel, bias, mask=_mask_param(mask), reverse=_reverse_param(reverse),
                     activation=activation, recurrent_activation=recurrent_activation,
                     saved=Saved())
