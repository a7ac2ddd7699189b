"""Models that leave lucidgrad: ONNX export, and weights exchanged with PyTorch and Keras.

    export_onnx(model, "model.onnx", example_input)    ONNX (opset 17), checked in ONNX Runtime
    save_torch_weights(model, "model.safetensors")     PyTorch's names and layouts, safetensors
    load_torch_weights(model, "model.safetensors")     ... and back (a file, or a torch state dict)
    load_keras_weights(model, "model.weights.h5")      Keras 3 weights (.weights.h5 or .keras)

How to add an ONNX translation for a new op: see ``nn.export.onnx_ops``. The file formats'
packages (onnx, onnxruntime, safetensors, h5py) are imported when first needed; install them
with ``pip install "lucidgrad[export]"``.
"""
from ._deps import INSTALL_HINT, MissingDependencyError
from .keras_weights import (KerasWeightsError, keras_weights_to_state, load_keras_weights,
                            read_keras_weights)
from .onnx import (BATCH_AXIS_NAME, OPSET, ExportReport, OnnxMismatchError, UnsupportedOpError,
                   check_onnx, export_onnx, to_onnx)
from .onnx_graph import GraphBuilder, arg
from .onnx_ops import ONNX_OPS, onnx_op, supported_ops
from .safetensors import SafetensorsError, load_safetensors, save_safetensors
from .torch_weights import (from_torch_state_dict, load_torch_weights, save_torch_weights,
                            to_torch_state_dict)
from .trace import ExportError, trace_model

__all__ = ["export_onnx", "to_onnx", "check_onnx", "ExportReport", "ExportError",
           "UnsupportedOpError", "OnnxMismatchError", "MissingDependencyError", "INSTALL_HINT",
           "OPSET", "BATCH_AXIS_NAME", "ONNX_OPS", "onnx_op", "supported_ops", "GraphBuilder",
           "arg", "trace_model", "save_safetensors", "load_safetensors", "SafetensorsError",
           "to_torch_state_dict", "from_torch_state_dict", "save_torch_weights",
           "load_torch_weights", "read_keras_weights", "keras_weights_to_state",
           "load_keras_weights", "KerasWeightsError"]
