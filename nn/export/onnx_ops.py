"""The op table: how each recorded lucidgrad op becomes ONNX operators (opset 17).

``ONNX_OPS`` maps an op's name (``node.op.name``) to a translator
``translate(graph, node) -> value name`` (or ``(value name, batch axis)``), where ``graph`` is
the ``GraphBuilder`` being filled and ``node`` the recorded value. Elementwise ops with an ONNX
twin are one line in ``UNARY`` or ``BINARY``; every other op is one function registered with
``@onnx_op(name)``. Adding an op (a new layer's, or your own ``autograd.primitive``)::

    @onnx_op("swish")
    def _swish(graph, node):
        x = graph.value(node.inputs[0])
        return graph.emit("Mul", [x, graph.emit("Sigmoid", [x], node)], node)

A translator reads the op's arguments with ``arg(node, position, name, default)`` (positional
operand or keyword parameter), names operands with ``graph.value``, and adds nodes with
``graph.emit``. The batch axis of the result is found by numpy's broadcasting rule from the
operands' unless the translator returns it (ops that move or remove axes: reshape, transpose,
reductions, indexing). Shapes written into the graph must leave that axis dynamic (see
``_reshape``). Then add a case to ``tests/export/test_onnx_ops.py``: every entry is checked
against ONNX Runtime on random shapes.

The names are those the ops record (``node.op.name``): ``conv``, ``max_pool``, ...
The recurrences (``rnn_scan``, ``lstm_scan``, ``gru_scan``) have a module of their own,
``nn.export.onnx_recurrent``, which registers them in this table.
"""
import math

import numpy as np

from autograd.ops.indexing import normalize_index

from .onnx_graph import arg
from .trace import ExportError

__all__ = ["ONNX_OPS", "UNARY", "BINARY", "onnx_op", "supported_ops"]

_INT64 = 7  # onnx.TensorProto.INT64 (onnx itself is imported only when exporting)

ONNX_OPS = {}

UNARY = {
    "relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus", "exp": "Exp",
    "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "negative": "Neg", "sin": "Sin", "cos": "Cos",
    "erf": "Erf", "astype": "Identity",  # exports are float32 throughout
}

BINARY = {
    "add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "power": "Pow",
    "maximum": "Max", "minimum": "Min", "matmul": "MatMul",
}


def onnx_op(*names):
    """Decorator: register ``translate(graph, node)`` as the ONNX translation of the ops
    called ``names`` (a later registration replaces an earlier one)."""
    def register(translate):
        for name in names:
            ONNX_OPS[name] = translate
        return translate
    return register


def supported_ops():
    """The names of every op that can be exported, sorted."""
    return sorted(ONNX_OPS)


def _elementwise(op_type, arity):
    def translate(graph, node):
        return graph.emit(op_type, [graph.value(x) for x in node.inputs[:arity]], node)
    translate.__name__ = f"_to_{op_type}"
    return translate


for _name, _op_type in UNARY.items():
    onnx_op(_name)(_elementwise(_op_type, 1))
for _name, _op_type in BINARY.items():
    onnx_op(_name)(_elementwise(_op_type, 2))


def _axes(axis, ndim):
    """``axis`` (None, int or tuple; negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(sorted(int(a) % ndim for a in axes))


# ---------------------------------------------------------------------------- activations

# The activations with one ONNX ``alpha``: op name -> (ONNX operator, our parameter, default).
_WITH_ALPHA = {"leaky_relu": ("LeakyRelu", "negative_slope", 0.01), "elu": ("Elu", "alpha", 1.0)}


@onnx_op(*_WITH_ALPHA)
def _with_alpha(graph, node):
    op_type, parameter, default = _WITH_ALPHA[node.op.name]
    alpha = float(arg(node, 1, parameter, default))
    return graph.emit(op_type, [graph.value(node.inputs[0])], node, alpha=alpha)


@onnx_op("gelu")
def _gelu(graph, node):
    """x * Phi(x) from Erf (or the tanh formula); opset 17 has no Gelu operator."""
    x = graph.value(node.inputs[0])
    if arg(node, 1, "approximate", "none") == "tanh":
        cube = graph.emit("Mul", [graph.emit("Mul", [x, x], node), x], node)
        inner = graph.emit("Add", [x, graph.emit("Mul", [cube, graph.constant(0.044715)], node)], node)
        t = graph.emit("Tanh", [graph.emit("Mul", [inner, graph.constant(math.sqrt(2 / math.pi))], node)], node)
    else:
        t = graph.emit("Erf", [graph.emit("Mul", [x, graph.constant(1 / math.sqrt(2))], node)], node)
    half = graph.emit("Mul", [graph.emit("Add", [t, graph.constant(1.0)], node), graph.constant(0.5)], node)
    return graph.emit("Mul", [x, half], node)


@onnx_op("log1p")
def _log1p(graph, node):
    return graph.emit("Log", [graph.emit("Add", [graph.value(node.inputs[0]), graph.constant(1.0)], node)], node)


@onnx_op("clip")
def _clip(graph, node):
    bounds = [arg(node, 1, "a_min"), arg(node, 2, "a_max")]
    inputs = [graph.value(node.inputs[0])] + ["" if b is None else graph.value(b) for b in bounds]
    while inputs[-1] == "":
        inputs.pop()
    return graph.emit("Clip", inputs, node)


@onnx_op("where")
def _where(graph, node):
    condition, x, y = node.inputs[:3]
    mask = np.asarray(getattr(condition, "data", condition)).astype(bool)
    return graph.emit("Where", [graph.constant(mask, "where/condition"), graph.value(x),
                                graph.value(y)], node)


_SOFTMAX = {"softmax": "Softmax", "log_softmax": "LogSoftmax"}


@onnx_op(*_SOFTMAX)
def _softmax(graph, node):
    axis = int(arg(node, 1, "axis", -1)) % len(node.shape)
    return graph.emit(_SOFTMAX[node.op.name], [graph.value(node.inputs[0])], node, axis=axis)


@onnx_op("layer_norm")
def _layer_norm(graph, node):
    """One LayerNormalization over the trailing axes (ones for a missing weight)."""
    x = node.inputs[0]
    count = int(arg(node, None, "normalized_ndim", 1))
    weight, bias = arg(node, 1, "weight"), arg(node, 2, "bias")
    normalized = tuple(node.shape[len(node.shape) - count:])
    scale = graph.value(weight) if weight is not None else graph.constant(np.ones(normalized))
    inputs = [graph.value(x), scale] + ([graph.value(bias)] if bias is not None else [])
    return graph.emit("LayerNormalization", inputs, node, axis=-count,
                      epsilon=float(arg(node, None, "eps", 1e-5)))


@onnx_op("attention_weights")
def _attention_weights(graph, node):
    """softmax(q k^T * scale + mask): MatMul, Mul, the masks as Where or Add, Softmax."""
    q, k = node.inputs[:2]
    rank = len(k.shape)
    keys = graph.emit("Transpose", [graph.value(k)], node,
                      perm=list(range(rank - 2)) + [rank - 1, rank - 2])
    scores = graph.emit("MatMul", [graph.value(q), keys], node)
    scores = graph.emit("Mul", [scores, graph.constant(float(arg(node, None, "scale")))], node)
    hidden = graph.constant(np.float32(-np.inf), "attention/hidden")
    keep = None
    if arg(node, None, "causal", False):
        keep = np.tril(np.ones(node.shape[-2:], dtype=bool))
    mask = arg(node, None, "mask")
    if mask is not None and np.asarray(mask).dtype == np.bool_:
        keep = np.asarray(mask) if keep is None else keep & np.asarray(mask)
    elif mask is not None:
        scores = graph.emit("Add", [scores, graph.constant(mask, "attention/mask")], node)
    if keep is not None:
        scores = graph.emit("Where", [graph.constant(keep, "attention/keep"), scores, hidden], node)
    return graph.emit("Softmax", [scores], node, axis=len(node.shape) - 1)


# ---------------------------------------------------------------------------- dense layers

@onnx_op("affine")
def _affine(graph, node):
    """x @ kernel + bias, kernel (in, out): one Gemm for 2-D x, else MatMul and Add."""
    x, kernel, bias = node.inputs[0], node.inputs[1], arg(node, 2, "bias")
    inputs = [graph.value(x), graph.value(kernel)]
    if len(x.shape) == 2:
        return graph.emit("Gemm", inputs + ([graph.value(bias)] if bias is not None else []), node)
    product = graph.emit("MatMul", inputs, node)
    return product if bias is None else graph.emit("Add", [product, graph.value(bias)], node)


@onnx_op("linear")
def _linear(graph, node):
    """x @ weight.T + bias, weight (out, in): Gemm with transB for 2-D x."""
    x, weight, bias = node.inputs[0], node.inputs[1], arg(node, 2, "bias")
    if len(x.shape) == 2:
        inputs = [graph.value(x), graph.value(weight)] + ([graph.value(bias)] if bias is not None else [])
        return graph.emit("Gemm", inputs, node, transB=1)
    transposed = graph.emit("Transpose", [graph.value(weight)], node, perm=[1, 0])
    product = graph.emit("MatMul", [graph.value(x), transposed], node)
    return product if bias is None else graph.emit("Add", [product, graph.value(bias)], node)


# ---------------------------------------------------------------------------- convolution, pooling

def _windows(node, position):
    """The window geometry the conv and pooling ops record (kernel, stride, dilation, padding
    pairs, input and output spatial sizes)."""
    windows = arg(node, position, "windows")
    if windows is None:
        raise ExportError(f"{node.op.name}: the recorded node has no window geometry")
    return windows


def _pads(pairs):
    """ONNX pads: every axis's start, then every axis's end."""
    return [lo for lo, _ in pairs] + [hi for _, hi in pairs]


@onnx_op("conv")
def _conv(graph, node):
    x, weight, bias = node.inputs[0], node.inputs[1], arg(node, 2, "b")
    w = _windows(node, 3)
    inputs = [graph.value(x), graph.value(weight)] + ([graph.value(bias)] if bias is not None else [])
    return graph.emit("Conv", inputs, node, kernel_shape=w.kernel, strides=w.stride,
                      dilations=w.dilation, pads=_pads(w.padding), group=int(arg(node, 4, "groups", 1)))


@onnx_op("conv_transpose")
def _conv_transpose(graph, node):
    """The adjoint of a conv whose input had the spatial size of this op's output."""
    x, weight = node.inputs[:2]
    w = _windows(node, 2)
    extra = [size - ((out - 1) * s - lo - hi + d * (k - 1) + 1)
             for size, out, s, (lo, hi), d, k in zip(w.spatial, w.out, w.stride, w.padding,
                                                      w.dilation, w.kernel)]
    return graph.emit("ConvTranspose", [graph.value(x), graph.value(weight)], node,
                      kernel_shape=w.kernel, strides=w.stride, dilations=w.dilation,
                      pads=_pads(w.padding), output_padding=extra,
                      group=int(arg(node, 3, "groups", 1)))


@onnx_op("max_pool")
def _max_pool(graph, node):
    w = _windows(node, 1)
    return graph.emit("MaxPool", [graph.value(node.inputs[0])], node, kernel_shape=w.kernel,
                      strides=w.stride, dilations=w.dilation, pads=_pads(w.padding))


@onnx_op("avg_pool")
def _avg_pool(graph, node):
    """Window sums over the divisor the op recorded: the kernel size (count_include_pad) or
    the real elements of each window; any other divisor is a constant rescaling."""
    w = _windows(node, 1)
    taps = w.taps
    divisor = np.asarray(arg(node, 2, "divisor", taps), dtype=np.float64)
    include_pad = 1 if np.all(divisor == taps) else 0
    if any(d != 1 for d in w.dilation):
        raise ExportError("avg_pool: dilated average pooling has no opset-17 ONNX operator")
    pooled = graph.emit("AveragePool", [graph.value(node.inputs[0])], node, kernel_shape=w.kernel,
                        strides=w.stride, pads=_pads(w.padding), count_include_pad=include_pad)
    if include_pad or np.array_equal(np.broadcast_to(divisor, w.out), w.real_counts()):
        return pooled
    return graph.emit("Mul", [pooled, graph.constant(taps / divisor)], node)


# ---------------------------------------------------------------------------- reductions

def _reduced_batch_axis(batch_axis, axes, keepdims):
    if batch_axis is None or batch_axis in axes:
        return None
    return batch_axis if keepdims else batch_axis - sum(a < batch_axis for a in axes)


def _reduction(op_type):
    def translate(graph, node):
        x = node.inputs[0]
        axes = _axes(arg(node, 1, "axis"), len(x.shape))
        keepdims = bool(arg(node, 2, "keepdims", False))
        out = graph.reduce(op_type, graph.value(x), axes, keepdims, node)
        return out, _reduced_batch_axis(graph.batch_axis(x), axes, keepdims)
    translate.__name__ = f"_to_{op_type}"
    return translate


for _name, _op_type in {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax",
                        "min": "ReduceMin", "prod": "ReduceProd",
                        "logsumexp": "ReduceLogSumExp"}.items():
    onnx_op(_name)(_reduction(_op_type))


@onnx_op("var")
def _variance(graph, node):
    """The mean squared deviation over the axes, times n / (n - ddof); returns (name, batch axis)."""
    x = node.inputs[0]
    axes = _axes(arg(node, 1, "axis"), len(x.shape))
    ddof, keepdims = arg(node, 2, "ddof", 0), bool(arg(node, 3, "keepdims", False))
    batch_axis = graph.batch_axis(x)
    if ddof and batch_axis in axes:
        raise ExportError(f"{node.op.name}: ddof={ddof} over the batch axis depends on the batch "
                          "size, which the exported graph leaves dynamic")
    value = graph.value(x)
    centered = graph.emit("Sub", [value, graph.reduce("ReduceMean", value, axes, True, node)], node)
    out = graph.reduce("ReduceMean", graph.emit("Mul", [centered, centered], node), axes, keepdims, node)
    if ddof:
        count = math.prod(x.shape[a] for a in axes)
        out = graph.emit("Mul", [out, graph.constant(count / (count - ddof))], node)
    return out, _reduced_batch_axis(batch_axis, axes, keepdims)


@onnx_op("std")
def _std(graph, node):
    out, batch_axis = _variance(graph, node)
    return graph.emit("Sqrt", [out], node), batch_axis


# ---------------------------------------------------------------------------- shapes

@onnx_op("reshape")
def _reshape(graph, node):
    """Reshape to the traced output shape, with -1 on the batch axis. The batch axis must stay
    a whole axis: the axes before it hold as many elements before and after."""
    x = node.inputs[0]
    target = list(node.shape)
    batch_axis = graph.batch_axis(x)
    if batch_axis is not None:
        before = math.prod(x.shape[:batch_axis])
        after = math.prod(x.shape[batch_axis + 1:])
        for j, n in enumerate(target):
            if n == x.shape[batch_axis] and math.prod(target[:j]) == before \
                    and math.prod(target[j + 1:]) == after:
                target[j] = -1
                batch_axis = j
                break
        else:
            raise ExportError(
                f"reshape from {tuple(x.shape)} to {tuple(node.shape)} merges or splits the batch "
                f"axis ({batch_axis}), which the exported graph leaves dynamic; keep the batch "
                "axis whole (e.g. reshape to (batch, -1))")
    out = graph.emit("Reshape", [graph.value(x), graph.ints(target, f"{node.op.name}/shape")], node)
    return out, batch_axis


def _permuted(graph, node, perm):
    x = node.inputs[0]
    batch_axis = graph.batch_axis(x)
    out = graph.emit("Transpose", [graph.value(x)], node, perm=list(perm))
    return out, None if batch_axis is None else list(perm).index(batch_axis)


@onnx_op("transpose")
def _transpose(graph, node):
    ndim = len(node.shape)
    axes = arg(node, 1, "axes")
    perm = list(reversed(range(ndim))) if axes is None else [int(a) % ndim for a in axes]
    return _permuted(graph, node, perm)


@onnx_op("swapaxes")
def _swapaxes(graph, node):
    ndim = len(node.shape)
    a, b = int(arg(node, 1, "axis1")) % ndim, int(arg(node, 2, "axis2")) % ndim
    perm = list(range(ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return _permuted(graph, node, perm)


@onnx_op("squeeze")
def _squeeze(graph, node):
    x = node.inputs[0]
    axis = arg(node, 1, "axis")
    axes = tuple(i for i, n in enumerate(x.shape) if n == 1) if axis is None else _axes(axis, len(x.shape))
    batch_axis = graph.batch_axis(x)
    if batch_axis in axes:
        raise ExportError(f"squeeze: removing axis {batch_axis} of shape {tuple(x.shape)} removes "
                          "the batch axis (traced with a batch of 1?); trace with a larger batch "
                          "or squeeze named axes")
    out = graph.emit("Squeeze", [graph.value(x), graph.ints(axes, "squeeze/axes")], node)
    return out, _reduced_batch_axis(batch_axis, axes, False)


@onnx_op("expand_dims")
def _expand_dims(graph, node):
    x = node.inputs[0]
    axes = _axes(arg(node, 1, "axis"), len(node.shape))
    batch_axis = graph.batch_axis(x)
    if batch_axis is not None:
        kept = [i for i in range(len(node.shape)) if i not in axes]
        batch_axis = kept[batch_axis]
    out = graph.emit("Unsqueeze", [graph.value(x), graph.ints(axes, "expand_dims/axes")], node)
    return out, batch_axis


@onnx_op("broadcast_to")
def _broadcast_to(graph, node):
    """Expand to the traced shape, with 1 (keep the operand's size) on the batch axis."""
    x = node.inputs[0]
    target = list(node.shape)
    batch_axis = graph.batch_axis(x)
    if batch_axis is not None:
        batch_axis += len(target) - len(x.shape)
        target[batch_axis] = 1
    out = graph.emit("Expand", [graph.value(x), graph.ints(target, "broadcast_to/shape")], node)
    return out, batch_axis


def _first_batch_axis(graph, tensors):
    return next((axis for axis in map(graph.batch_axis, tensors) if axis is not None), None)


@onnx_op("concatenate")
def _concatenate(graph, node):
    axis = int(node.params.get("axis", 0)) % len(node.shape)
    out = graph.emit("Concat", [graph.value(t) for t in node.inputs], node, axis=axis)
    return out, _first_batch_axis(graph, node.inputs)


@onnx_op("stack")
def _stack(graph, node):
    axis = int(node.params.get("axis", 0)) % len(node.shape)
    axes = graph.ints([axis], "stack/axes")
    parts = [graph.emit("Unsqueeze", [graph.value(t), axes], node) for t in node.inputs]
    batch_axis = _first_batch_axis(graph, node.inputs)
    if batch_axis is not None and batch_axis >= axis:
        batch_axis += 1
    return graph.emit("Concat", parts, node, axis=axis), batch_axis


@onnx_op("flip")
def _flip(graph, node):
    """Slice with step -1 along the flipped axes (from the last element to before the first)."""
    axes = _axes(arg(node, 1, "axis"), len(node.shape))
    lowest = np.iinfo(np.int64).min
    inputs = [graph.value(node.inputs[0]), graph.ints([-1] * len(axes), "flip/starts"),
              graph.ints([lowest] * len(axes), "flip/ends"), graph.ints(axes, "flip/axes"),
              graph.ints([-1] * len(axes), "flip/steps")]
    return graph.emit("Slice", inputs, node), graph.batch_axis(node.inputs[0])


@onnx_op("pad")
def _pad(graph, node):
    x = node.inputs[0]
    ndim = len(x.shape)
    widths = np.asarray(arg(node, 1, "pad_width"), dtype=np.int64)
    widths = np.broadcast_to(widths.reshape(-1, 2) if widths.ndim else np.full((1, 2), widths), (ndim, 2))
    value = graph.constant(arg(node, 2, "constant_values", 0))
    return graph.emit("Pad", [graph.value(x), graph.ints(_pads(widths.tolist()), "pad/pads"), value],
                      node, mode="constant")


# ---------------------------------------------------------------------------- indexing

@onnx_op("getitem")
def _getitem(graph, node):
    """``x[index]`` with slices, integers, ``None``, ``...`` and at most one integer (or 1-D
    boolean) array, as Slice, Squeeze, Gather and Unsqueeze. The batch axis may only be taken
    whole (``:``)."""
    x = node.inputs[0]
    shape = tuple(x.shape)
    parts = _expanded_index(arg(node, 1, "index"), len(shape), node)
    batch_axis = graph.batch_axis(x)
    slices, squeezed, arrays, new_axes = [], [], [], []
    axis = out_axis = 0
    out_batch = None
    advanced = []  # positions in the index of integers and arrays (numpy's advanced indices)
    for position, part in enumerate(parts):
        if part is None:
            new_axes.append(out_axis)
            out_axis += 1
            continue
        if axis == batch_axis and not (isinstance(part, slice) and part.indices(shape[axis]) == (0, shape[axis], 1)):
            raise ExportError(f"getitem: index {parts} picks from the batch axis ({axis}) of shape "
                              f"{shape}; an exported graph can only take the batch axis whole")
        if isinstance(part, slice):
            start, stop, step = part.indices(shape[axis])
            if (start, stop, step) != (0, shape[axis], 1):
                slices.append((axis, start, stop if stop >= 0 else -shape[axis] - 1, step))
            if axis == batch_axis:
                out_batch = out_axis
            out_axis += 1
        elif isinstance(part, np.ndarray):
            arrays.append((axis, part % shape[axis]))
            advanced.append(position)
            out_axis += part.ndim
        else:
            index = int(part) % shape[axis]
            slices.append((axis, index, index + 1, 1))
            squeezed.append(axis)
            advanced.append(position)
        axis += 1
    if len(arrays) > 1 or (arrays and advanced != list(range(advanced[0], advanced[-1] + 1))):
        raise ExportError(f"getitem: index {parts} uses several index arrays, or integers apart "
                          "from the index array (numpy moves such results to the front); only one "
                          "array, with any integers next to it, can be exported")
    value = graph.value(x)
    if slices:
        columns = list(zip(*slices))
        value = graph.emit("Slice", [value] + [graph.ints(c, f"getitem/{what}") for c, what in
                                               zip(columns[1:3], ("starts", "ends"))]
                           + [graph.ints(columns[0], "getitem/axes"), graph.ints(columns[3], "getitem/steps")], node)
    if squeezed:
        value = graph.emit("Squeeze", [value, graph.ints(squeezed, "getitem/squeeze")], node)
    if arrays:
        array_axis, indices = arrays[0]
        array_axis -= sum(a < array_axis for a in squeezed)
        value = graph.emit("Gather", [value, graph.int_array(indices, "getitem/indices")], node,
                           axis=array_axis)
    if new_axes:
        value = graph.emit("Unsqueeze", [value, graph.ints(new_axes, "getitem/new_axes")], node)
    if not (slices or squeezed or arrays or new_axes):
        value = graph.emit("Identity", [value], node)
    return value, out_batch


@onnx_op("embedding_lookup")
def _embedding_lookup(graph, node):
    """Gather the table's rows at the ids, which the graph holds as floats: Cast to int64."""
    table, ids = node.inputs[:2]
    indices = graph.emit("Cast", [graph.value(ids)], node, to=_INT64)
    return graph.emit("Gather", [graph.value(table), indices], node, axis=0), graph.batch_axis(ids)


def _expanded_index(index, ndim, node):
    """``index`` as a tuple with one entry per input axis (plus ``None`` entries): lists become
    arrays, 1-D boolean masks integer arrays, ``...`` and missing trailing axes full slices."""
    index = normalize_index(index)  # Tensors and lists in it become arrays
    parts = list(index) if isinstance(index, tuple) else [index]
    for i, part in enumerate(parts):
        if isinstance(part, np.ndarray):
            if part.dtype == np.bool_:
                if part.ndim != 1:
                    raise ExportError(f"getitem: a {part.ndim}-D boolean mask cannot be exported "
                                      "(only 1-D masks, which pick along one axis)")
                parts[i] = np.flatnonzero(part)
            elif part.dtype.kind not in "iu":
                raise ExportError(f"getitem: index arrays must hold integers, got {part.dtype}")
        elif not (part is None or part is Ellipsis or isinstance(part, (slice, int, np.integer))):
            raise ExportError(f"getitem: cannot export the index {part!r} ({node.op.name})")
    ellipses = [i for i, p in enumerate(parts) if p is Ellipsis]
    if len(ellipses) > 1:
        raise ExportError("getitem: an index can hold only one '...'")
    taken = sum(1 for p in parts if p is not None and p is not Ellipsis)
    fill = [slice(None)] * (ndim - taken)
    if ellipses:
        return tuple(parts[:ellipses[0]] + fill + parts[ellipses[0] + 1:])
    return tuple(parts + fill)
