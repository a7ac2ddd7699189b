"""Capture a model's inference graph: run it once in eval mode and read the recorded nodes.

The engine records an op only when an operand requires grad and recording is on, so the trace
runs the model under ``enable_grad`` with example inputs that require grad, in eval mode (dropout
off, batch norm on its running statistics); ``Module.mode`` restores every module's mode.

The result lists the recorded values in topological order (operands before results). Each is
marked as depending on a model input or not: values computed from the parameters alone (a
reshaped batch-norm scale, say) are constants of the exported graph.

Only the public ``Node`` API is read: ``op.name``, ``inputs``, ``params``, ``is_leaf``,
``data``, ``shape``, ``scope``.
"""
from dataclasses import dataclass

import numpy as np

from autograd import Tensor, enable_grad, no_grad
from autograd.viz.traversal import data_flow_order

from ..training.summary import find_input_shape

__all__ = ["ExportError", "Trace", "trace_model", "example_inputs_for", "made_up_inputs", "run_eval"]


class ExportError(ValueError):
    """A model, or one of its ops, that cannot be exported as asked."""


@dataclass
class Trace:
    """One recorded run of a model.

    ``inputs`` and ``outputs`` are the Tensors fed in and returned; ``nodes`` the recorded
    values reachable from the outputs, operands first; ``input_dependent`` the ids of the values
    computed (directly or not) from an input; ``parameter_names`` maps the id of each parameter
    to its dotted name in the model.
    """

    inputs: list
    outputs: list
    nodes: list
    input_dependent: set
    parameter_names: dict


def example_inputs_for(model, example_input=None, batch=2, seed=0):
    """The example inputs as a tuple of float32 arrays: ``example_input`` (an array, a Tensor or
    a tuple of them), else ``batch`` made-up samples (``made_up_inputs``) of the input shape the
    model knows (saved with it, or declared by its first layer)."""
    if example_input is None:
        shape = find_input_shape(model, None)
        if shape is None or any(n is None for n in shape):
            raise ExportError(
                f"{type(model).__name__} has never been run and declares no input shape, so "
                "there is nothing to trace: pass an example input (a batch of the model's inputs)")
        return (made_up_inputs(model, tuple(int(n) for n in shape), batch, seed),)
    items = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    arrays = []
    for item in items:
        array = np.asarray(item.data if isinstance(item, Tensor) else item)
        if array.dtype.kind not in "fiu" or array.ndim == 0:
            raise ExportError(f"an example input must be a numeric array with a batch axis, got "
                              f"dtype {array.dtype} and shape {array.shape}")
        arrays.append(array.astype(np.float32))
    return tuple(arrays)


def made_up_inputs(model, shape, batch=2, seed=0):
    """``batch`` made-up float32 samples of ``shape``: token ids (whole numbers below the
    smallest embedding table's size) for a model that takes them, else uniform [0, 1)."""
    rng = np.random.default_rng(seed)
    size = (batch,) + tuple(shape)
    tables = [m.num_embeddings for m in model.modules()
              if getattr(m, "takes_token_ids", False) and hasattr(m, "num_embeddings")]
    if tables:
        return rng.integers(0, min(tables), size).astype(np.float32)
    return rng.random(size, dtype=np.float32)


def trace_model(model, inputs):
    """Run ``model(*inputs)`` once in eval mode, recording every op; returns a ``Trace``.

    Raises ``ExportError`` when the model returns something other than Tensors, or an output
    that does not depend on the inputs (computed under ``no_grad`` or through raw numpy).
    """
    tensors = [Tensor(np.array(x, dtype=np.float32), requires_grad=True) for x in inputs]
    with model.mode(False), enable_grad():
        result = model(*tensors)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for i, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            raise ExportError(f"{type(model).__name__} returned {type(out).__name__} as output "
                              f"{i}; only Tensors computed by lucidgrad ops can be exported")
    nodes = [node for node in data_flow_order(outputs) if not node.is_leaf]
    input_ids = {id(t) for t in tensors}
    dependent = set(input_ids)
    for node in nodes:
        if any(id(x) in dependent for x in node.inputs if isinstance(x, Tensor)):
            dependent.add(id(node))
    for i, out in enumerate(outputs):
        if id(out) not in dependent:
            raise ExportError(
                f"output {i} of {type(model).__name__} does not depend on the input: the graph "
                "from the input to it was not recorded (was it computed under no_grad, from "
                ".data / numpy arrays, or by an op that carries no gradient?), so it cannot be "
                "traced")
    names = {id(p): name for name, p in model.named_parameters()}
    return Trace(tensors, outputs, nodes, dependent, names)


def run_eval(model, inputs):
    """``model(*inputs)`` in eval mode without recording, as a list of float arrays."""
    with model.mode(False), no_grad():
        result = model(*(Tensor(np.asarray(x, dtype=np.float32)) for x in inputs))
    outputs = result if isinstance(result, (tuple, list)) else [result]
    return [np.asarray(out.data if isinstance(out, Tensor) else out) for out in outputs]

