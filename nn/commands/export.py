"""Export a saved model: ONNX for inference engines, or PyTorch weights as safetensors.

``lucidgrad export MODEL.npz MODEL.onnx`` loads a file written by ``Model.save``, traces the
model once in eval mode, translates its graph to ONNX (opset 17, a dynamic batch axis, input
``input`` and output ``output``) and checks it in ONNX Runtime on random inputs of several batch
sizes before writing it. ``lucidgrad export MODEL.npz MODEL.safetensors`` writes the weights with
PyTorch's names and layouts instead (see ``nn.export.torch_weights``). Needs the export extra:
``pip install "lucidgrad[export]"``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .arguments import positive_int
from .graph import _UsageError, _load, _shape

__all__ = ["add_arguments", "run"]

FORMATS = (".onnx", ".safetensors")


def _batch_sizes(text: str) -> tuple:
    sizes = tuple(positive_int(part) for part in text.split(",") if part.strip())
    if not sizes:
        raise argparse.ArgumentTypeError(f"expected batch sizes such as 1,8,32; got {text!r}")
    return sizes


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``export`` command's options on ``parser``."""
    parser.add_argument("model", metavar="MODEL.npz", help="a model file written by Model.save")
    parser.add_argument("output", metavar="OUTPUT",
                        help="the file to write: .onnx (the model) or .safetensors (its weights "
                             "with PyTorch's names and layouts)")
    parser.add_argument("--input-shape", type=_shape, metavar="SHAPE",
                        help="one sample's shape, e.g. 784 or 1,28,28 (default: the shape saved "
                             "with the model)")
    parser.add_argument("--batch-sizes", type=_batch_sizes, default=(1, 3, 8), metavar="N,N,...",
                        help="batch sizes ONNX Runtime checks the export at (default: 1,3,8)")
    parser.add_argument("--no-check", action="store_true",
                        help="write the ONNX file without running it in ONNX Runtime first")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the made-up example inputs (default: 0)")


def run(args: argparse.Namespace) -> int:
    """Export as ``args`` says; returns 0, 1 when a package is missing, 2 for bad input."""
    from ..export import ExportError, MissingDependencyError, export_onnx, save_torch_weights
    from ..export.trace import made_up_inputs
    from ..serialization import ModelFileError

    suffix = Path(args.output).suffix.lower()
    try:
        if suffix not in FORMATS:
            raise _UsageError(f"cannot tell the format of {args.output}: name it .onnx or "
                              ".safetensors")
        model = _load(args.model)
        if suffix == ".safetensors":
            save_torch_weights(model, args.output)
            print(f"wrote {args.output}: {len(model.state_dict())} weights with PyTorch's names "
                  "and layouts")
            return 0
        example = None
        if args.input_shape is not None:  # token ids for a model that starts with an Embedding
            example = made_up_inputs(model, args.input_shape, seed=args.seed)
        report = export_onnx(model, args.output, example, check=not args.no_check,
                             batch_sizes=args.batch_sizes)
    except MissingDependencyError as error:
        print(f"lucidgrad export: {error}", file=sys.stderr)
        return 1
    except (_UsageError, ExportError, ModelFileError, OSError) as error:
        print(f"lucidgrad export: error: {error}", file=sys.stderr)
        return 2
    ops = ", ".join(f"{op} x{count}" if count > 1 else op for op, count in report.onnx_ops.items())
    print(f"wrote {report.path} (ONNX opset {report.opset}, input {report.input_names[0]!r} with "
          f"a dynamic batch axis, output {report.output_names[0]!r}): {ops}")
    if report.checks:
        sizes = ", ".join(str(batch) for batch, _ in report.checks)
        print(f"ONNX Runtime agrees with lucidgrad to {report.max_error:.2g} of the output's "
              f"scale at batch sizes {sizes}")
    return 0
