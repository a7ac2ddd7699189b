"""Helpers for the ONNX export tests: wrap a function of the input as a model, export it, and
check it in ONNX Runtime against lucidgrad (``check_onnx`` raises on any mismatch)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import nn

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from nn.export import check_onnx, to_onnx  # noqa: E402

# Each example builds a graph and an ONNX Runtime session: a few examples per property keep the
# suite fast, and the shapes and attributes still vary from run to run.
FEW = settings(max_examples=12, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                      HealthCheck.data_too_large])


class Function(nn.Module):
    """A model computing ``fn(x)``, with ``params`` (name -> array) as its parameters."""

    def __init__(self, fn, **params):
        super().__init__()
        for name, value in params.items():
            setattr(self, name, None if value is None else nn.Parameter(np.asarray(value, dtype=np.float32)))
        self.fn = fn

    def forward(self, x):
        return self.fn(self, x)


def exported(model, x, batch_sizes=(1, 4), op_types=(), tolerance=1e-5):
    """Export ``model`` traced on ``x``, check it in ONNX Runtime at the example's and at
    ``batch_sizes`` (to ``tolerance`` of the output's scale), and assert that the graph uses
    ``op_types``; returns the ModelProto."""
    proto = to_onnx(model, x)
    checks = check_onnx(model, proto, x, batch_sizes, tolerance)
    assert [batch for batch, _ in checks] == [len(x), *batch_sizes]
    used = {node.op_type for node in proto.graph.node}
    assert set(op_types) <= used, f"expected {op_types} in the graph, got {sorted(used)}"
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch"
    return proto


def batch_of(rng, sample_shape, batch=3, low=-2.0, high=2.0):
    """A float32 batch of uniform samples."""
    return rng.uniform(low, high, (batch,) + tuple(sample_shape)).astype(np.float32)
