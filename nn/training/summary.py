"""``model_summary``: a Keras-like table of a model's layers, output shapes and parameter counts.

Output shapes are found by running a batch of one zero sample through the model in inference
mode without recording a graph, noting what each direct child returns. Parameter counts follow
Keras: a layer's count includes its buffers (batch-norm running statistics), which are reported
as non-trainable, as are parameters that do not require a gradient.

Each row names its layer as Keras does, ``dense (Dense)``: a layer of a ``Sequential`` by its
Keras name (``layer.name``), a layer of a model written PyTorch-style by the attribute it was
assigned to (``fc1 (Linear)``), the name its author gave it in the code.
"""

from __future__ import annotations

import numpy as np

from autograd import Tensor, no_grad

from ..module import Module
from ..validation import sample_shape

__all__ = ["model_summary", "count_parameters", "layer_label"]

_COLUMNS = ("Layer (type)", "Output Shape", "Param #")
_WIDTHS = (34, 26, 12)  # at least; a longer name or shape widens its column


def count_parameters(module: Module) -> tuple[int, int]:
    """``(trainable, non_trainable)`` element counts of a module's parameters and buffers."""
    trainable = non_trainable = 0
    for _, p in module.named_parameters():
        if p.requires_grad:
            trainable += p.data.size
        else:
            non_trainable += p.data.size
    for _, array in module.named_buffers():
        non_trainable += array.size
    return trainable, non_trainable


def _bytes(module: Module, trainable: bool | None) -> int:
    total = 0
    for _, p in module.named_parameters():
        if trainable is None or p.requires_grad == trainable:
            total += p.data.nbytes
    if trainable is not True:
        total += sum(array.nbytes for _, array in module.named_buffers())
    return total


def _format_size(size: float) -> str:
    """Bytes as Keras prints them: ``0.00 B``, ``1.55 MB`` (powers of 1024)."""
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.2f} {unit}"
        size /= 1024


def find_input_shape(model: Module, input_shape) -> tuple | None:
    """One sample's shape: ``input_shape`` when given, else the shape the model was built or
    trained with, else the first ``input_shape`` declared by a layer; None when none is known."""
    if input_shape is not None:
        return sample_shape(input_shape, "input_shape", "summary")
    known = getattr(model, "_input_shape", None)
    if known is not None:
        return tuple(known)
    for module in model.modules():
        declared = getattr(module, "declared_input_shape", None)
        if declared is not None:
            return tuple(declared)
    return None


def _output_shapes(model: Module, input_shape: tuple, rows: list) -> dict:
    """Run one zero sample through ``model``; returns {id(child): output shape} for ``rows``."""
    shapes = {}
    modules = [module for _, module in rows]

    def recording(module):
        original = type(module).forward

        def forward(*args, **kwargs):
            out = original(module, *args, **kwargs)
            shapes[id(module)] = _shape_of(out)
            return out

        return forward

    dtype = np.dtype(np.float32)
    for p in model.parameters():
        dtype = p.data.dtype
        break
    wrapped = [m for m in modules if m is not model and "forward" not in m.__dict__]
    for module in wrapped:
        module.__dict__["forward"] = recording(module)
    try:
        with model.mode(False), no_grad():
            out = model(Tensor(np.zeros((1,) + tuple(input_shape), dtype=dtype)))
        shapes[id(model)] = _shape_of(out)
    finally:
        for module in wrapped:
            module.__dict__.pop("forward", None)
    return shapes


def _shape_of(out) -> tuple | str:
    if isinstance(out, (tuple, list)):
        return "[" + ", ".join(str(_shape_of(o)) for o in out) + "]"
    data = out.data if isinstance(out, Tensor) else np.asarray(out)
    return (None,) + tuple(data.shape[1:]) if data.ndim else ()


def _row(cells, widths) -> str:
    """Name and shape left-aligned, the count right-aligned (as Keras aligns them)."""
    name, shape, count = (str(cell) for cell in cells)
    return f"{name:<{widths[0]}}{shape:<{widths[1]}}{count:>{widths[2]}}".rstrip()


def layer_label(registered_name: str, module: Module) -> str:
    """``'dense (Dense)'``: how summaries and diagrams name a child layer. ``registered_name``
    is the name its parent registered it under: a position (``'0'``, in a ``Sequential``) gives
    way to the layer's Keras name, an attribute name (``'fc1'``) is shown as written."""
    kind = type(module).__name__
    if not registered_name:
        return kind
    shown = module.name if registered_name.isdigit() else registered_name
    return f"{shown} ({kind})"


def model_summary(model: Module, input_shape=None) -> str:
    """The summary table of ``model`` as text (see the module docstring).

    ``input_shape`` is one sample's shape (no batch axis); by default it is the shape seen by
    ``fit``/``predict``/``build``, or the ``input_shape`` declared by a layer.
    """
    rows = model.named_layers() or [("", model)]
    shape = find_input_shape(model, input_shape)
    if shape is None:
        raise ValueError(
            f"summary: the input shape of this {type(model).__name__} is unknown; pass "
            "summary(input_shape=...) (one sample's shape, e.g. (784,)), give the first layer "
            "input_shape=..., or call build()/fit() first"
        )
    shapes = _output_shapes(model, shape, rows)

    table = []
    for name, module in rows:
        trainable, frozen = count_parameters(module)
        table.append((layer_label(name, module), shapes.get(id(module), "?"),
                      f"{trainable + frozen:,}"))
    widths = [max([minimum] + [len(str(row[i])) + 2 for row in table])
              for i, minimum in enumerate(_WIDTHS)]
    width = sum(widths)
    lines = [f'Model: "{model.name}"', "_" * width, _row(_COLUMNS, widths), "=" * width]
    for index, row in enumerate(table):
        lines.append(_row(row, widths))
        lines.append("" if index < len(table) - 1 else "=" * width)
    trainable, frozen = count_parameters(model)
    lines.append(f"Total params: {trainable + frozen:,} ({_format_size(_bytes(model, None))})")
    lines.append(f"Trainable params: {trainable:,} ({_format_size(_bytes(model, True))})")
    lines.append(f"Non-trainable params: {frozen:,} ({_format_size(_bytes(model, False))})")
    lines.append("_" * width)
    return "\n".join(lines)
