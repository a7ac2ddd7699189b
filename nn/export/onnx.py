"""ONNX export: translate a model's recorded graph, op by op, and check it in ONNX Runtime.

    report = export_onnx(model, "model.onnx", example_input)   # also: lucidgrad export

1. The model runs once in eval mode on the example input and its graph is recorded
   (``nn.export.trace``).
2. Every recorded op is translated by its entry in the op table (``nn.export.onnx_ops``);
   values computed from the parameters alone become constants. An op without an entry stops
   the export with an error that names it and lists the supported ops.
3. The graph has named inputs (``input``) and outputs (``output``), float32, with a dynamic
   batch axis (``batch``), opset 17; ``onnx.checker`` checks it in full.
4. ONNX Runtime runs it on the example input and on random inputs of several batch sizes; every
   output must agree with lucidgrad's to 1e-5 of the output's scale (its largest magnitude).
5. Only then is the file written, atomically.
"""
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..files import atomic_path
from ._deps import require
from .onnx_graph import GraphBuilder, node_label
from . import onnx_recurrent  # noqa: F401  (registers rnn_scan, lstm_scan, gru_scan)
from .onnx_ops import ONNX_OPS, supported_ops
from .trace import ExportError, example_inputs_for, run_eval, trace_model

__all__ = ["OPSET", "BATCH_AXIS_NAME", "ExportReport", "OnnxMismatchError", "to_onnx", "export_onnx",
           "check_onnx", "UnsupportedOpError"]

OPSET = 17
IR_VERSION = 8  # the IR version of opset 17 (onnx 1.12), read by every runtime that runs opset 17
BATCH_AXIS_NAME = "batch"
DEFAULT_BATCH_SIZES = (1, 3, 8)
DEFAULT_TOLERANCE = 1e-5
_BATCH_HINT = (". A value that depends on the batch size only through a number read from the "
               "input, such as x.shape[0], is a constant of the traced size in the export.")


class UnsupportedOpError(ExportError):
    """An op in the model's graph has no ONNX translation."""


class OnnxMismatchError(ExportError):
    """ONNX Runtime's outputs differ from lucidgrad's by more than the tolerance."""


@dataclass
class ExportReport:
    """What ``export_onnx`` wrote and how it was checked: ``checks`` holds, for each run in
    ONNX Runtime, ``(batch size, largest error relative to the output's scale)``."""

    path: Path
    opset: int
    input_names: list
    output_names: list
    onnx_ops: dict
    checks: list = field(default_factory=list)

    @property
    def max_error(self):
        """The largest relative error over every check (None when not checked)."""
        return max((error for _, error in self.checks), default=None)


def _names(given, count, stem):
    if given is None:
        return [stem] if count == 1 else [f"{stem}_{i}" for i in range(count)]
    names = [given] if isinstance(given, str) else list(given)
    if len(names) != count or len(set(names)) != count or not all(isinstance(n, str) and n for n in names):
        raise ExportError(f"expected {count} distinct {stem} name(s), got {given!r}")
    return names


def to_onnx(model, example_input=None, input_names=None, output_names=None):
    """The ONNX ``ModelProto`` of ``model``, traced on ``example_input`` (see ``export_onnx``),
    checked by ``onnx.checker``; nothing is run in ONNX Runtime and nothing is written."""
    onnx = require("onnx", "ONNX export")
    inputs = example_inputs_for(model, example_input)
    # With a batch of one, a size-1 axis and the batch axis look alike; trace with two samples.
    traced_inputs = [np.concatenate([x, x]) if len(x) == 1 else x for x in inputs]
    trace = trace_model(model, traced_inputs)
    in_names = _names(input_names, len(trace.inputs), "input")
    out_names = _names(output_names, len(trace.outputs), "output")
    if set(in_names) & set(out_names):
        raise ExportError(f"input and output names must differ, got {in_names} and {out_names}")

    graph = GraphBuilder(onnx, trace)
    for tensor, name in zip(trace.inputs, in_names):
        graph.fresh(name)
        graph.bind(tensor, name, 0)
    for name in out_names:
        graph.fresh(name)
    for node in trace.nodes:
        if id(node) in trace.input_dependent:
            _translate(graph, node)
    outputs = _name_outputs(graph, trace, out_names)

    helper = onnx.helper
    float32 = onnx.TensorProto.FLOAT
    graph_proto = helper.make_graph(
        graph.nodes, type(model).__name__,
        [helper.make_tensor_value_info(name, float32, _dims(t.shape, 0))
         for t, name in zip(trace.inputs, in_names)],
        [helper.make_tensor_value_info(name, float32, _dims(t.shape, graph.batch_axis(t)))
         for t, name in outputs],
        initializer=graph.initializers)
    proto = helper.make_model(graph_proto, producer_name="lucidgrad",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    proto.ir_version = IR_VERSION
    proto.doc_string = f"{type(model).__name__} exported by lucidgrad"
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as error:  # the checker raises several types; all mean a broken graph
        raise ExportError(f"the translated graph fails onnx.checker: {error}") from None
    return proto


def _translate(graph, node):
    translate = ONNX_OPS.get(node.op.name)
    if translate is None:
        raise UnsupportedOpError(
            f"cannot export op {node.op.name!r} (recorded in {node_label(node)!r}, output shape "
            f"{tuple(node.shape)}): it has no ONNX translation. Supported ops: "
            f"{', '.join(supported_ops())}. Add one with nn.export.onnx_op({node.op.name!r}).")
    graph.current = node
    result = translate(graph, node)
    name, batch_axis = result if isinstance(result, tuple) else (result, _broadcast_batch_axis(graph, node))
    graph.bind(node, name, batch_axis)


def _broadcast_batch_axis(graph, node):
    """The batch axis of an op's result by numpy's broadcasting rule: the operand's batch axis,
    counted from the right, where the result has the same size."""
    ndim = len(node.shape)
    for operand in node.inputs:
        axis = graph.batch_axis(operand)
        if axis is None:
            continue
        j = axis + ndim - len(operand.shape)
        if 0 <= j < ndim and node.shape[j] == operand.shape[axis]:
            return j
    return None


def _name_outputs(graph, trace, out_names):
    """Give each output value its requested name: rename the node that computes it, or add an
    Identity (for an input returned as is, or a value returned twice)."""
    produced = {out for node in graph.nodes for out in node.output}
    renamed = {}
    outputs = []
    for tensor, wanted in zip(trace.outputs, out_names):
        current = graph.value(tensor)
        if current in produced and current not in renamed:
            renamed[current] = wanted
        else:
            graph.emit("Identity", [renamed.get(current, current)], wanted, output=wanted)
        outputs.append((tensor, wanted))
    for node in graph.nodes:
        for names in (node.input, node.output):
            for i, name in enumerate(names):
                if name in renamed:
                    names[i] = renamed[name]
    return outputs


def _dims(shape, batch_axis):
    return [BATCH_AXIS_NAME if i == batch_axis else int(n) for i, n in enumerate(shape)]


def export_onnx(model, path, example_input=None, *, input_names=None, output_names=None,
                check=True, batch_sizes=DEFAULT_BATCH_SIZES, tolerance=DEFAULT_TOLERANCE):
    """Export ``model`` to the ONNX file ``path`` and return an ``ExportReport``.

    ``example_input`` is a batch of inputs (an array or Tensor, or a tuple of them for a model
    with several inputs); without it, uniform [0, 1) samples of the input shape the model
    declares or was saved with. The model runs once in eval mode and its recorded graph is
    translated op by op. With ``check`` (the default) ONNX Runtime must reproduce lucidgrad's
    outputs on the example and on random inputs of ``batch_sizes`` to ``tolerance`` times the
    output's scale, or ``OnnxMismatchError`` is raised. The file is written atomically, and only
    after every check passed.
    """
    inputs = example_inputs_for(model, example_input)
    proto = to_onnx(model, inputs, input_names, output_names)
    data = proto.SerializeToString()
    report = ExportReport(Path(path), OPSET, [i.name for i in proto.graph.input],
                          [o.name for o in proto.graph.output],
                          dict(sorted(Counter(n.op_type for n in proto.graph.node).items())))
    if check:
        report.checks = check_onnx(model, data, inputs, batch_sizes, tolerance)
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return report


def check_onnx(model, onnx_model, example_input=None, batch_sizes=DEFAULT_BATCH_SIZES,
               tolerance=DEFAULT_TOLERANCE, seed=0):
    """Run ``onnx_model`` (a path, bytes or ``ModelProto``) in ONNX Runtime on the example input
    and on random inputs with ``batch_sizes`` samples (between the example's smallest and largest
    value, so they stay in the domain the example is in; whole numbers for an example of whole
    numbers, such as token ids),
    and compare every output with ``model``'s in eval mode.

    Returns ``[(batch size, error), ...]`` where ``error`` is the largest absolute difference
    over the output's largest finite magnitude (NaN and infinities must sit in the same places
    with the same signs); raises ``OnnxMismatchError`` when one exceeds
    ``tolerance`` or a shape differs.
    """
    ort = require("onnxruntime", "Checking an ONNX export")
    if hasattr(onnx_model, "SerializeToString"):
        onnx_model = onnx_model.SerializeToString()
    elif not isinstance(onnx_model, bytes):
        onnx_model = Path(onnx_model).read_bytes()
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.log_severity_level = 4  # failures are reported below, with the batch size
    try:
        session = ort.InferenceSession(onnx_model, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime's own exception types
        raise ExportError(f"ONNX Runtime cannot load the model: {error}") from None
    examples = example_inputs_for(model, example_input)
    rng = np.random.default_rng(seed)
    runs = [examples] + [tuple(_random_like(rng, x, batch) for x in examples) for batch in batch_sizes]
    names = [i.name for i in session.get_inputs()]
    output_names = [o.name for o in session.get_outputs()]
    checks = []
    for inputs in runs:
        expected = run_eval(model, inputs)
        try:
            found = session.run(None, dict(zip(names, inputs)))
        except Exception as error:  # onnxruntime's own exception types
            raise OnnxMismatchError(f"ONNX Runtime cannot run the exported graph on a batch of "
                                    f"{len(inputs[0])}: {error}{_BATCH_HINT}") from None
        worst = 0.0
        for name, want, got in zip(output_names, expected, found):
            if want.shape != got.shape:
                raise OnnxMismatchError(f"output {name!r} with a batch of {len(inputs[0])}: ONNX "
                                        f"Runtime gives shape {got.shape}, lucidgrad "
                                        f"{want.shape}{_BATCH_HINT}")
            error, scale = _relative_error(want, got)
            if not error <= tolerance:
                raise OnnxMismatchError(
                    f"output {name!r} with a batch of {len(inputs[0])}: ONNX Runtime differs from "
                    f"lucidgrad by {error:.3g} of the output's scale {scale:.3g} (tolerance "
                    f"{tolerance:g})")
            worst = max(worst, error)
        checks.append((len(inputs[0]), worst))
    return checks


def _random_like(rng, example, batch):
    """``batch`` random samples shaped as the example's, between its smallest and largest value:
    whole numbers when the example holds only whole numbers (token ids), else uniform floats."""
    low, high = example.min(), example.max()
    shape = (batch,) + example.shape[1:]
    if np.array_equal(example, np.round(example)):
        return rng.integers(low, high, shape, endpoint=True).astype(np.float32)
    return rng.uniform(low, high, shape).astype(np.float32)


def _relative_error(want, got):
    """``(largest |got - want| / scale, scale)`` with ``scale`` the largest finite ``|want|``;
    an infinite error where NaNs or infinities differ."""
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)) or not np.array_equal(want[~finite], got[~finite],
                                                                          equal_nan=True):
        return float("inf"), float("nan")
    if not finite.any():
        return 0.0, 0.0
    scale = float(np.max(np.abs(want[finite])))
    return float(np.max(np.abs(got[finite] - want[finite]))) / (scale or 1.0), scale
