"""``GraphBuilder``: the ONNX graph under construction, as the op translators see it.

A translator (see ``nn.export.onnx_ops``) turns one recorded node into ONNX nodes through this
object: ``value(operand)`` names an operand (a translated node, a model input, a parameter or a
constant), ``emit(...)`` adds an ONNX node, ``ints(...)`` / ``constant(...)`` add constant
tensors, and ``batch_axis(operand)`` says which axis of a value is the batch axis (the axis the
exported graph leaves dynamic), or None.

Everything is exported in float32, as inference engines expect: floating constants and
parameters are converted; boolean constants (``where`` conditions) stay boolean.
"""
import numpy as np

from autograd import Tensor

from .trace import ExportError

__all__ = ["GraphBuilder", "arg", "node_label"]


def arg(node, position, name, default=None):
    """An argument of the op that recorded ``node``: the positional operand at ``position`` if
    it was passed positionally, else the keyword parameter ``name``, else ``default``."""
    if position is not None and len(node.inputs) > position:
        return node.inputs[position]
    return node.params.get(name, default)


def node_label(node):
    """How error messages and value names refer to a node: ``'<scope>/<op>'`` or ``'<op>'``."""
    return f"{node.scope}/{node.op.name}" if node.scope else node.op.name


class GraphBuilder:
    """Nodes, constants and value names of one ONNX graph; ``trace`` is the recorded run."""

    def __init__(self, onnx, trace):
        self._helper = onnx.helper
        self._numpy_helper = onnx.numpy_helper
        self.trace = trace
        self.nodes = []
        self.initializers = []
        self._names = {}        # id(Tensor) -> value name, for inputs, parameters and translated nodes
        self._batch_axes = {}   # value name -> batch axis (or None)
        self._used = set()
        self.current = None     # the node being translated (names its constants)

    # ------------------------------------------------------------------ names
    def fresh(self, hint):
        """A value name not used yet, made from ``hint``."""
        base = str(hint) or "value"
        name, k = base, 1
        while name in self._used:
            name, k = f"{base}_{k}", k + 1
        self._used.add(name)
        return name

    def bind(self, tensor, name, batch_axis):
        """Record that ``tensor`` is the ONNX value ``name``, with the given batch axis."""
        self._names[id(tensor)] = name
        self._batch_axes[name] = batch_axis

    def value(self, operand, hint=None):
        """The ONNX value name of ``operand``: a translated node or a model input; a parameter
        (an initializer under its dotted name); a value computed from parameters alone (folded
        into a constant); or a plain number / array (a constant)."""
        if hint is None:
            hint = f"{node_label(self.current)}/const" if self.current is not None else "const"
        if isinstance(operand, Tensor):
            name = self._names.get(id(operand))
            if name is not None:
                return name
            if id(operand) in self.trace.input_dependent:
                raise ExportError(f"internal: {node_label(operand)} is used before it was translated")
            label = self.trace.parameter_names.get(id(operand))
            if label is None:
                label = node_label(operand) if not operand.is_leaf else hint
            name = self.constant(operand.data, label)
            self._names[id(operand)] = name
            return name
        return self.constant(operand, hint)

    def batch_axis(self, operand):
        """The batch axis of ``operand`` in the exported graph, or None (constants, and values
        whose batch axis was reduced away)."""
        if not isinstance(operand, Tensor):
            return None
        name = self._names.get(id(operand))
        return None if name is None else self._batch_axes.get(name)

    # ------------------------------------------------------------------ constants and nodes
    def constant(self, value, hint="const"):
        """Add ``value`` as a constant tensor (float32 unless boolean); returns its name."""
        array = np.asarray(value)
        if array.dtype != np.bool_:
            if array.dtype.kind not in "fiub":
                raise ExportError(f"cannot export a constant of dtype {array.dtype} ({hint})")
            array = array.astype(np.float32)
        return self._add_initializer(array, hint)

    def ints(self, values, hint):
        """Add a 1-D int64 constant (shapes, axes, pads, indices); returns its name."""
        return self.int_array(np.reshape(values, -1), hint)

    def int_array(self, values, hint):
        """Add an int64 constant of any shape (gather indices); returns its name."""
        return self._add_initializer(np.asarray(values, dtype=np.int64), hint)

    def _add_initializer(self, array, hint):
        name = self.fresh(hint)
        self.initializers.append(self._numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def emit(self, op_type, inputs, hint, output=None, **attributes):
        """Add one ONNX node of ``op_type`` reading ``inputs`` (value names; '' for an omitted
        optional input); returns the name of its output (``output``, or a fresh name made from
        ``hint``, a string or the node being translated)."""
        if output is None:
            output = self.fresh(hint if isinstance(hint, str) else node_label(hint))
        return self.emit_outputs(op_type, inputs, [output], **attributes)[0]

    def emit_outputs(self, op_type, inputs, outputs, **attributes):
        """Add one ONNX node of ``op_type`` with several outputs (value names; '' for an
        optional output left out, as ONNX's RNN, LSTM and GRU allow); returns ``outputs``."""
        clean = {key: _attribute(value) for key, value in attributes.items() if value is not None}
        name = next(out for out in outputs if out)
        self.nodes.append(self._helper.make_node(op_type, list(inputs), list(outputs), name=name,
                                                 **clean))
        return list(outputs)

    def reduce(self, op_type, x, axes, keepdims, hint):
        """A ``Reduce*`` node over ``axes`` (opset 17: ReduceSum takes the axes as an input,
        the others as an attribute)."""
        if op_type == "ReduceSum":
            label = hint if isinstance(hint, str) else node_label(hint)
            return self.emit(op_type, [x, self.ints(axes, f"{label}/axes")], hint,
                             keepdims=int(keepdims))
        return self.emit(op_type, [x], hint, axes=list(axes), keepdims=int(keepdims))


def _attribute(value):
    """Attribute values as ONNX's helper wants them: Python ints, floats, strings, lists."""
    if isinstance(value, (tuple, list)):
        return [_attribute(v) for v in value]
    if isinstance(value, (np.integer, bool)):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
