"""ONNX translations of the recurrences: ``rnn_scan``, ``lstm_scan`` and ``gru_scan`` become
ONNX's ``RNN``, ``LSTM`` and ``GRU`` operators, one per direction.

Our scans take the input projections ``xp`` (T, B, gates * H) already computed (``x W + b``, an
ordinary ``linear``/``affine`` node before the scan) and the recurrent kernel K (H, gates * H) in
kernel layout. ONNX's operators compute ``X W^T + Wb + H R^T + Rb`` per step themselves, with
W (gates * H, inputs) and R (gates * H, H) in its own gate order. So each direction becomes::

    X = xp                       (T, B, gates * H): the projections are the operator's input
    W = a permutation matrix     row r picks our gate column of ONNX's row r (exact: x * 1 + 0s)
    R = K[:, columns]^T          the recurrent kernel, its gates in ONNX's order
    B = [0, b[columns]]          the GRU's recurrent bias (Rb); the others fold theirs into xp
    initial_h, initial_c         the initial states, when given (ONNX's default is zeros too)

Gate orders: ours i, f, g, o (LSTM) and r, z, n (GRU), ONNX's i, o, f, c and z, r, h. Our GRU
scales ``h K_n + b_n`` by the reset gate, which is ONNX's ``linear_before_reset=1``. Activations
other than tanh/sigmoid become the ``activations`` attribute (``hard_sigmoid`` is ONNX's
HardSigmoid with alpha 1/6 and beta 1/2, ``linear`` Affine with alpha 1 and beta 0).

ONNX's Y (T, directions, B, H) is squeezed and stacked into our layout: (T, B, H), or
(D, T, B, H) with a direction axis. ONNX's LSTM returns the cell state of the last step only,
where ``lstm_scan`` returns it for every step (2, T, B, H); the layers read only the last, so
the translator follows the graph's reads of the result: when nothing reads another step's cell
state, the cell states of the other steps repeat the last one (unread), else the direction is
unrolled into one-step LSTM operators, which give every step's cell state.

A step ``mask`` (Keras masking) is not exported: it is computed from the input data outside the
recorded graph, and ONNX's ``sequence_lens`` outputs zeros past a sequence's end where our scans
carry the state; exporting it would bake the traced example's padding into every input.
"""
import numpy as np

from .onnx_graph import arg, node_label
from .onnx_ops import onnx_op
from .trace import ExportError

__all__ = ["ONNX_GATE_ORDER", "ONNX_ACTIVATIONS", "elements_read"]

# For each scan: ONNX's gates as indices into ours.
ONNX_GATE_ORDER = {"rnn_scan": (0,), "lstm_scan": (0, 3, 1, 2), "gru_scan": (1, 0, 2)}

# Our activation names -> (ONNX activation, alpha, beta); None where ONNX takes no argument.
ONNX_ACTIVATIONS = {
    "tanh": ("Tanh", None, None), "sigmoid": ("Sigmoid", None, None), "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5), "linear": ("Affine", 1.0, 0.0),
}


def elements_read(trace, node):
    """A boolean array of ``node``'s shape: True for the elements that the rest of the recorded
    graph (or the model's output) reads. Follows chains of ``getitem``; any other use of a value
    reads all of it."""
    read = np.zeros(node.shape, dtype=bool)
    positions = np.arange(read.size).reshape(read.shape)
    outputs = {id(out) for out in trace.outputs}
    pending = [(node, positions)]
    while pending:
        value, where = pending.pop()
        if id(value) in outputs:
            read.flat[where.ravel()] = True
        for user in trace.nodes:
            if not any(operand is value for operand in user.inputs):
                continue
            picked = None
            if user.op.name == "getitem" and user.inputs[0] is value:
                try:
                    picked = where[arg(user, 1, "index")]
                except (IndexError, TypeError, ValueError):
                    picked = None
            if picked is None or np.shape(picked) != tuple(user.shape):
                read.flat[where.ravel()] = True
            else:
                pending.append((user, picked))
    return read


class _Scan:
    """What every translation reads from a recorded scan node."""

    def __init__(self, graph, node, operands):
        name = node.op.name
        self.graph, self.node, self.name = graph, node, name
        self.label = node_label(node)
        if arg(node, None, "mask") is not None:
            raise ExportError(
                f"{name} (recorded in {self.label!r}): a step mask (Keras masking: "
                "Embedding(mask_zero=True), Masking, or mask=) cannot be exported. The mask is "
                "computed from the input data outside the recorded graph, so the exported graph "
                "would apply the traced example's padding to every input, and ONNX's "
                "sequence_lens zeroes the outputs past a sequence's end where this op carries the "
                "state. Export the model without masking (e.g. mask_zero=False).")
        self.operands = dict(zip(operands, node.inputs))
        xp = self.operands["xp"]
        self.single = len(xp.shape) == 3
        self.count = 1 if self.single else xp.shape[0]
        self.steps = xp.shape[-3]
        kernel = self.operands["kernel"]
        self.hidden = kernel.shape[-2]
        order = ONNX_GATE_ORDER[name]
        self.columns = np.concatenate([np.arange(g * self.hidden, (g + 1) * self.hidden)
                                       for g in order])
        reverse = arg(node, None, "reverse", False)
        self.reverse = (bool(reverse),) * self.count if np.ndim(reverse) == 0 else tuple(map(bool, reverse))
        self.batch_axis = self._batch_axis()

    def _batch_axis(self):
        """The batch axis of the result (the B axis), after checking that every operand has its
        batch axis on its own B axis (or none)."""
        found = False
        for role in ("xp", "h0", "c0"):
            operand = self.operands.get(role)
            axis = self.graph.batch_axis(operand)
            if axis is None:
                continue
            if axis != len(operand.shape) - 2:
                raise ExportError(
                    f"{self.name} (recorded in {self.label!r}): {role} of shape "
                    f"{tuple(operand.shape)} has the exported graph's batch axis (axis 0 of "
                    f"the input) on its axis {axis}, where the scan wants the batch on axis "
                    f"{len(operand.shape) - 2} and the steps on axis {len(operand.shape) - 3}. "
                    "An exported model takes its inputs batch first: use batch_first=True, or "
                    "swap the input's axes inside the model")
            found = True
        return len(self.node.shape) - 2 if found else None

    # ------------------------------------------------------------------ one direction's operands
    def leading(self, role, d):
        """Operand ``role`` of direction ``d`` with ONNX's leading axis of one direction."""
        graph, value = self.graph, self.graph.value(self.operands[role])
        if self.single:
            return graph.emit("Unsqueeze", [value, graph.ints([0], f"{self.label}/axes")], self.node)
        return graph.emit("Gather", [value, graph.ints([d], f"{self.label}/direction")], self.node,
                          axis=0)

    def inputs(self, d):
        """ONNX's X (T, B, gates * H), W, R and B (or '') for direction ``d``."""
        graph, node, width = self.graph, self.node, len(self.columns)
        x = graph.value(self.operands["xp"])
        if not self.single:
            x = graph.emit("Squeeze", [self.leading("xp", d), graph.ints([0], f"{self.label}/axes")],
                           node)
        w = graph.constant(np.eye(width)[self.columns][None], f"{self.label}/W")
        picked = graph.emit("Gather", [self.leading("kernel", d),
                                       graph.ints(self.columns, f"{self.label}/gates")], node, axis=2)
        r = graph.emit("Transpose", [picked], node, perm=[0, 2, 1])
        b = ""
        if self.operands.get("bias") is not None:
            recurrent = graph.emit("Gather", [self.leading("bias", d),
                                              graph.ints(self.columns, f"{self.label}/gates")],
                                   node, axis=1)
            b = graph.emit("Concat", [graph.constant(np.zeros((1, width)), f"{self.label}/Wb"),
                                      recurrent], node, axis=1)
        return x, w, r, b

    def state(self, role, d):
        """The initial state ``role`` of direction ``d`` as (1, B, H), or '' (zeros)."""
        return "" if self.operands.get(role) is None else self.leading(role, d)

    def attributes(self, roles):
        """``hidden_size`` and, unless they are ONNX's defaults, the activations of ``roles``
        (our parameter names, in the order ONNX lists its functions)."""
        names = [arg(self.node, None, role, "sigmoid" if role == "recurrent_activation" else "tanh")
                 for role in roles]
        functions = [ONNX_ACTIVATIONS[n] for n in names]
        attributes = {"hidden_size": self.hidden}
        defaults = {"rnn_scan": ["Tanh"], "lstm_scan": ["Sigmoid", "Tanh", "Tanh"],
                    "gru_scan": ["Sigmoid", "Tanh"]}[self.name]
        if [f[0] for f in functions] != defaults:
            attributes["activations"] = [f[0] for f in functions]
            alphas = [f[1] for f in functions if f[1] is not None]
            betas = [f[2] for f in functions if f[2] is not None]
            attributes["activation_alpha"] = alphas or None
            attributes["activation_beta"] = betas or None
        return attributes

    def direction(self, d):
        return "reverse" if self.reverse[d] else "forward"

    # ------------------------------------------------------------------ results
    def stacked(self, per_direction):
        """Each direction's (T, 1, B, H) as our (T, B, H) or (D, T, B, H)."""
        graph, node = self.graph, self.node
        if self.single:
            return graph.emit("Squeeze", [per_direction[0], graph.ints([1], f"{self.label}/axes")],
                              node)
        moved = [graph.emit("Transpose", [y], node, perm=[1, 0, 2, 3]) for y in per_direction]
        return moved[0] if len(moved) == 1 else graph.emit("Concat", moved, node, axis=0)

    def emit(self, op_type, inputs, outputs, d, **attributes):
        """One ONNX recurrence of direction ``d``; returns its outputs' names ('' where left
        out)."""
        names = [self.graph.fresh(f"{self.label}/{out}") if out else "" for out in outputs]
        while inputs and inputs[-1] == "":
            inputs = inputs[:-1]
        kept = names[:max(i for i, n in enumerate(names) if n) + 1]
        self.graph.emit_outputs(op_type, inputs, kept, direction=self.direction(d), **attributes)
        return names


def _per_direction(graph, node, op_type, operands, roles, **extra):
    """One ONNX ``op_type`` (RNN or GRU) per direction, fed X, W, R, B (or '') and initial_h;
    ``roles`` name the activations in ONNX's order, ``extra`` adds attributes."""
    scan = _Scan(graph, node, operands)
    attributes = scan.attributes(roles)
    ys = []
    for d in range(scan.count):
        x, w, r, b = scan.inputs(d)
        y, = scan.emit(op_type, [x, w, r, b, "", scan.state("h0", d)], ["Y"], d, **attributes,
                       **extra)
        ys.append(y)
    return scan.stacked(ys), scan.batch_axis


@onnx_op("rnn_scan")
def _rnn_scan(graph, node):
    """ONNX RNN per direction: h_t = act(X W^T + h_{t-1} R^T)."""
    return _per_direction(graph, node, "RNN", ("xp", "h0", "kernel"), ["activation"])


@onnx_op("gru_scan")
def _gru_scan(graph, node):
    """ONNX GRU per direction, with linear_before_reset=1 (the reset gate scales h K_n + b_n)."""
    return _per_direction(graph, node, "GRU", ("xp", "h0", "kernel", "bias"),
                          ["recurrent_activation", "activation"], linear_before_reset=1)


@onnx_op("lstm_scan")
def _lstm_scan(graph, node):
    """ONNX LSTM per direction; see the module docstring for the cell states of every step."""
    scan = _Scan(graph, node, ("xp", "h0", "c0", "kernel"))
    attributes = scan.attributes(["recurrent_activation", "activation", "activation"])
    cells_read = elements_read(graph.trace, node)[1]
    if scan.single:
        cells_read = cells_read[None]
    hs, cs = [], []
    for d in range(scan.count):
        last = 0 if scan.reverse[d] else scan.steps - 1
        other_steps = np.delete(cells_read[d], last, axis=0)
        if other_steps.any():
            h, c = _lstm_unrolled(scan, d, attributes)
        else:
            h, c = _lstm_direction(scan, d, attributes)
        hs.append(h)
        cs.append(c)
    both = [graph.emit("Unsqueeze", [scan.stacked(parts), graph.ints([0], f"{scan.label}/axes")],
                       node) for parts in (hs, cs)]
    return graph.emit("Concat", both, node, axis=0), scan.batch_axis


def _lstm_direction(scan, d, attributes):
    """One LSTM operator over all steps: the hidden states (T, 1, B, H) and, for the cell
    states, the last one repeated over the steps (nothing reads the others)."""
    graph, node = scan.graph, scan.node
    x, w, r, _ = scan.inputs(d)
    y, _, y_c = scan.emit("LSTM", [x, w, r, "", "", scan.state("h0", d), scan.state("c0", d)],
                          ["Y", "", "Y_c"], d, **attributes)
    last = graph.emit("Unsqueeze", [y_c, graph.ints([0], f"{scan.label}/axes")], node)
    repeat = graph.ints([scan.steps, 1, 1, 1], f"{scan.label}/steps")
    return y, graph.emit("Expand", [last, repeat], node)


def _lstm_unrolled(scan, d, attributes):
    """One one-step LSTM operator per step, in the order the steps run: the hidden and cell
    states of every step, each (T, 1, B, H)."""
    graph, node = scan.graph, scan.node
    x, w, r, _ = scan.inputs(d)
    h, c = scan.state("h0", d), scan.state("c0", d)
    hs, cs = [None] * scan.steps, [None] * scan.steps
    order = range(scan.steps - 1, -1, -1) if scan.reverse[d] else range(scan.steps)
    for t in order:
        x_t = graph.emit("Slice", [x, graph.ints([t], f"{scan.label}/start"),
                                   graph.ints([t + 1], f"{scan.label}/end"),
                                   graph.ints([0], f"{scan.label}/axes")], node)
        _, h, c = scan.emit("LSTM", [x_t, w, r, "", "", h, c], ["", "Y_h", "Y_c"], d,
                            **attributes)
        hs[t], cs[t] = h, c
    # a one-step forward and reverse run agree; Y_h and Y_c are (1, B, H): add the step axis
    axes = graph.ints([0], f"{scan.label}/axes")
    return tuple(graph.emit("Concat", [graph.emit("Unsqueeze", [s, axes], node) for s in states],
                            node, axis=0) for states in (hs, cs))
