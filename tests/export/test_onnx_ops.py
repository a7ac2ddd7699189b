"""Every entry of the ONNX op table, exported on random shapes and attributes and run in ONNX
Runtime: the outputs must match lucidgrad's to 1e-5 of their scale, at several batch sizes."""
import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import autograd as ag
import nn
from onnx_checks import FEW, Function, batch_of, exported

from nn.export import ONNX_OPS, supported_ops
from nn.export.onnx_ops import BINARY, UNARY

seeds = st.integers(0, 2**32 - 1)
sample_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)

# Unary ops on inputs inside their domain, and the ONNX operator each should become.
UNARY_CASES = {
    "relu": (ag.relu, "Relu"), "sigmoid": (ag.sigmoid, "Sigmoid"), "tanh": (ag.tanh, "Tanh"),
    "softplus": (ag.softplus, "Softplus"), "exp": (ag.exp, "Exp"),
    "log": (lambda x: ag.log(ag.abs(x) + 0.5), "Log"), "sqrt": (lambda x: ag.sqrt(ag.abs(x) + 0.1), "Sqrt"),
    "abs": (ag.abs, "Abs"), "negative": (lambda x: -x, "Neg"), "sin": (ag.sin, "Sin"),
    "cos": (ag.cos, "Cos"), "erf": (ag.erf, "Erf"), "astype": (lambda x: x.astype(np.float64), "Identity"),
    "log1p": (lambda x: ag.log1p(ag.abs(x)), "Log"),
    "leaky_relu": (lambda x: ag.leaky_relu(x, 0.2), "LeakyRelu"),
    "elu": (lambda x: ag.elu(x, alpha=0.7), "Elu"),
    "gelu": (ag.gelu, "Erf"), "gelu_tanh": (lambda x: ag.gelu(x, approximate="tanh"), "Tanh"),
}


def test_every_op_in_the_table_has_a_test_case():
    covered = set(UNARY_CASES) | set(BINARY) | {
        "affine", "linear", "conv", "conv_transpose", "max_pool", "avg_pool", "sum", "mean",
        "max", "min", "prod", "logsumexp",
        "var", "std", "softmax", "log_softmax", "reshape", "transpose", "swapaxes", "squeeze",
        "expand_dims", "broadcast_to", "concatenate", "stack", "pad", "getitem", "clip", "where",
        "layer_norm", "attention_weights", "flip", "rnn_scan", "lstm_scan", "gru_scan",
        "embedding_lookup"}
    assert set(ONNX_OPS) <= covered, f"untested entries: {sorted(set(ONNX_OPS) - covered)}"
    assert set(UNARY) <= set(UNARY_CASES)
    assert supported_ops() == sorted(ONNX_OPS)


@pytest.mark.parametrize("name", sorted(UNARY_CASES))
@FEW
@given(shape=sample_shapes, seed=seeds)
def test_unary_ops(name, shape, seed):
    fn, op_type = UNARY_CASES[name]
    x = batch_of(np.random.default_rng(seed), shape)
    exported(Function(lambda m, x: fn(x)), x, op_types=[op_type] if op_type else [])


@pytest.mark.parametrize("name", sorted(BINARY))
@FEW
@given(data=st.data())
def test_binary_ops_with_parameters_and_constants_on_either_side(name, data):
    op = getattr(ag, {"negative": "negative"}.get(name, name))
    shape = data.draw(sample_shapes, label="sample shape")
    rng = np.random.default_rng(data.draw(seeds, label="seed"))
    if name == "matmul":
        inner = shape[-1]
        weight = rng.normal(size=(inner, data.draw(st.integers(1, 4)))).astype(np.float32)
        model = Function(lambda m, x: ag.matmul(x, m.w), w=weight)
        exported(model, batch_of(rng, shape), op_types=["MatMul"])
        return
    # the other operand broadcasts against one sample: a trailing part of its shape, 1s allowed
    k = data.draw(st.integers(0, len(shape)), label="operand rank")
    other = tuple(data.draw(st.sampled_from([1, n])) for n in shape[len(shape) - k:])
    low = 0.5 if name in ("power", "divide") else -2.0
    value = rng.uniform(low, 2.0, other).astype(np.float32)
    x = batch_of(rng, shape, low=low)
    if data.draw(st.booleans(), label="operand is a parameter"):
        model = Function(lambda m, x: op(x, m.w) if m.w is not None else x, w=value)
        flipped = Function(lambda m, x: op(m.w, x), w=value)
    else:
        model = Function(lambda m, x: op(x, value))
        flipped = Function(lambda m, x: op(value, x))
    exported(model, x, op_types=[BINARY[name]])
    exported(flipped, x, op_types=[BINARY[name]])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@FEW
@given(data=st.data())
def test_softmax_over_any_axis(name, data):
    shape = data.draw(sample_shapes)
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    x = batch_of(np.random.default_rng(data.draw(seeds)), shape, low=-5, high=5)
    fn = getattr(ag, name)
    exported(Function(lambda m, x: fn(x, axis=axis)), x,
             op_types=["Softmax" if name == "softmax" else "LogSoftmax"])


@FEW
@given(data=st.data())
def test_dense_layers_affine_and_linear(data):
    rng = np.random.default_rng(data.draw(seeds))
    n_in, n_out = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 6))
    lead = data.draw(st.lists(st.integers(1, 3), max_size=1).map(tuple), label="extra axes")
    bias = data.draw(st.booleans(), label="bias")
    x = batch_of(rng, lead + (n_in,))
    dense = nn.Dense(n_out, use_bias=bias, activation=data.draw(st.sampled_from([None, "relu", "tanh"])))
    dense.build((None, n_in))
    exported(dense, x, op_types=["Gemm" if not lead else "MatMul"])
    linear = nn.Linear(n_in, n_out, bias=bias)
    exported(linear, x, op_types=["Gemm" if not lead else "MatMul"])


def _padding(data, rank):
    return data.draw(st.one_of(
        st.sampled_from(["valid", "same"]),
        st.integers(0, 2),
        st.tuples(*[st.tuples(st.integers(0, 2), st.integers(0, 2)) for _ in range(rank)])),
        label="padding")


def _conv_geometry(data):
    """A random generator, rank, groups, channels in and out, and kernel size."""
    rng = np.random.default_rng(data.draw(seeds))
    rank = data.draw(st.integers(1, 3), label="rank")
    groups = data.draw(st.integers(1, 2), label="groups")
    c_in, c_out = groups * data.draw(st.integers(1, 2)), groups * data.draw(st.integers(1, 2))
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(rank))
    return rng, rank, groups, c_in, c_out, kernel


@FEW
@given(data=st.data())
def test_conv_in_1_to_3_dimensions(data):
    rng, rank, groups, c_in, c_out, kernel = _conv_geometry(data)
    stride = data.draw(st.integers(1, 2), label="stride")
    dilation = data.draw(st.integers(1, 2), label="dilation")
    padding = _padding(data, rank)
    span = max(d * (k - 1) + 1 for k, d in zip(kernel, (dilation,) * rank))
    spatial = tuple(data.draw(st.integers(span, span + 3)) for _ in range(rank))
    weight = rng.normal(size=(c_out, c_in // groups) + kernel).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32) if data.draw(st.booleans(), label="bias") else None
    model = Function(lambda m, x: ag.conv(x, m.w, m.b, stride=stride, padding=padding,
                                          dilation=dilation, groups=groups), w=weight, b=bias)
    exported(model, batch_of(rng, (c_in,) + spatial), op_types=["Conv"])


@FEW
@given(data=st.data())
def test_conv_transpose(data):
    rng, rank, groups, c_in, c_out, kernel = _conv_geometry(data)
    stride = data.draw(st.integers(1, 3), label="stride")
    padding = data.draw(st.integers(0, min(kernel) - 1), label="padding")
    extra = data.draw(st.integers(0, stride - 1), label="output_padding")
    spatial = tuple(data.draw(st.integers(1, 4)) for _ in range(rank))
    assume(all((n - 1) * stride - 2 * padding + k + extra >= 1 for n, k in zip(spatial, kernel)))
    weight = rng.normal(size=(c_in, c_out // groups) + kernel).astype(np.float32)
    bias = rng.normal(size=c_out).astype(np.float32)
    model = Function(lambda m, x: ag.conv_transpose(x, m.w, m.b, stride=stride, padding=padding,
                                                    output_padding=extra, groups=groups),
                     w=weight, b=bias)
    exported(model, batch_of(rng, (c_in,) + spatial), op_types=["ConvTranspose"])


@pytest.mark.parametrize("kind", ["max", "avg"])
@FEW
@given(data=st.data())
def test_pooling_in_1_to_3_dimensions(kind, data):
    rng = np.random.default_rng(data.draw(seeds))
    rank = data.draw(st.integers(1, 3), label="rank")
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(rank))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(rank))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    spatial = tuple(data.draw(st.integers(k, k + 3)) for k in kernel)
    x = batch_of(rng, (2,) + spatial)
    if kind == "max":
        model = Function(lambda m, x: ag.max_pool(x, kernel, stride, padding))
        exported(model, x, op_types=["MaxPool"])
    else:
        include = data.draw(st.booleans(), label="count_include_pad")
        model = Function(lambda m, x: ag.avg_pool(x, kernel, stride, padding, count_include_pad=include))
        exported(model, x, op_types=["AveragePool"])


@pytest.mark.parametrize("layer", [
    lambda: nn.MaxPool2D(3, strides=2, padding="same"), lambda: nn.AvgPool2D(3, strides=2, padding="same"),
    lambda: nn.AvgPool1D(2, padding="same"), lambda: nn.MaxPool3D(2, strides=1, padding="same"),
    lambda: nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
    lambda: nn.GlobalAveragePooling(), lambda: nn.GlobalMaxPooling(keepdims=True)])
def test_pooling_layers(layer):
    layer = layer()
    rank = getattr(layer, "rank", 2)
    x = batch_of(np.random.default_rng(0), (3,) + (5,) * rank)
    exported(layer, x)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "logsumexp", "var", "std"])
@FEW
@given(data=st.data())
def test_reductions_over_any_axes(name, data):
    shape = data.draw(sample_shapes)
    ndim = len(shape) + 1
    axes = data.draw(st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                              unique_by=lambda a: a % ndim).map(tuple), label="axes")
    keepdims = data.draw(st.booleans(), label="keepdims")
    options = {"ddof": data.draw(st.integers(0, 1))} if name in ("var", "std") and \
        0 not in [a % ndim for a in axes] and math.prod(shape[a % ndim - 1] for a in axes) > 1 else {}
    fn = getattr(ag, name)
    x = batch_of(np.random.default_rng(data.draw(seeds)), shape, low=0.5, high=1.5)
    exported(Function(lambda m, x: fn(x, axis=axes, keepdims=keepdims, **options)), x)


@FEW
@given(data=st.data())
def test_reshape_flatten_transpose_keep_the_batch_axis_dynamic(data):
    shape = data.draw(st.lists(st.integers(1, 4), min_size=2, max_size=3).map(tuple))
    rng = np.random.default_rng(data.draw(seeds))
    perm = tuple(data.draw(st.permutations(range(len(shape) + 1))))
    x = batch_of(rng, shape)
    # the batch axis travels with the transpose and comes back before the flatten
    model = Function(lambda m, x: ag.transpose(x, perm).transpose(tuple(np.argsort(perm)))
                     .reshape((x.shape[0], -1)) @ m.w,
                     w=rng.normal(size=(math.prod(shape), 2)))
    exported(model, x, op_types=["Transpose", "Reshape"])
    swapped = Function(lambda m, x: ag.swapaxes(x, 0, -1).sum(axis=0))
    exported(swapped, x, op_types=["Transpose"])
    exported(nn.Flatten(), x, op_types=["Reshape"])
    split = Function(lambda m, x: x.reshape((x.shape[0],) + shape[:1] + (1, -1)).squeeze(axis=2))
    exported(split, x, op_types=["Reshape", "Squeeze"])


def test_squeeze_expand_dims_and_broadcast_to():
    x = batch_of(np.random.default_rng(1), (1, 3))
    exported(Function(lambda m, x: ag.expand_dims(x, (1, -1))), x, op_types=["Unsqueeze"])
    exported(Function(lambda m, x: ag.squeeze(x, 1)), x, op_types=["Squeeze"])
    # squeeze() squeezes the axes of size 1 at trace time (at batch 1 numpy would take the batch too)
    exported(Function(lambda m, x: ag.squeeze(x)), x, batch_sizes=(2, 5), op_types=["Squeeze"])
    exported(Function(lambda m, x: ag.broadcast_to(x, (2, x.shape[0], 4, 3))), x, op_types=["Expand"])


@FEW
@given(data=st.data())
def test_concatenate_and_stack(data):
    rng = np.random.default_rng(data.draw(seeds))
    shape = data.draw(sample_shapes)
    axis = data.draw(st.integers(1, len(shape)), label="axis")
    other_shape = list(shape)
    other_shape[axis - 1] = data.draw(st.integers(1, 3))
    model = Function(lambda m, x: ag.concatenate([x, ag.tanh(x).sum(axis=axis, keepdims=True) + m.w,
                                                  ag.relu(x)], axis=axis),
                     w=rng.normal(size=other_shape))
    exported(model, batch_of(rng, shape), op_types=["Concat"])
    stack_axis = data.draw(st.integers(1, len(shape) + 1), label="stack axis")
    stacked = Function(lambda m, x: ag.stack([x, -x, ag.tanh(x)], axis=stack_axis))
    exported(stacked, batch_of(rng, shape), op_types=["Concat", "Unsqueeze"])


@FEW
@given(shape=sample_shapes, seed=seeds, data=st.data())
def test_flip(shape, seed, data):
    """Any set of axes, the batch axis included (the scan tests cover rnn_scan, lstm_scan and
    gru_scan, in test_onnx_recurrent.py)."""
    axes = data.draw(st.none() | st.lists(st.integers(-len(shape) - 1, len(shape)), min_size=1,
                                          max_size=len(shape) + 1, unique_by=lambda a: a % (len(shape) + 1))
                     .map(tuple), label="axes")
    x = batch_of(np.random.default_rng(seed), shape)
    exported(Function(lambda m, x: ag.flip(x, axes) * 2.0), x, op_types=["Slice"])


@FEW
@given(rows=st.integers(1, 6), dim=st.integers(1, 4), id_shape=st.lists(st.integers(1, 4), max_size=2),
       padding=st.booleans(), seed=seeds)
def test_embedding_lookup_reads_the_ids_from_the_input(rows, dim, id_shape, padding, seed):
    """Token ids (whole numbers; the check draws whole numbers too) of any shape, through
    nn.Embedding, padding row or not."""
    rng = np.random.default_rng(seed)
    layer = nn.Embedding(rows, dim, padding_idx=0 if padding else None)
    ids = rng.integers(0, rows, (3,) + tuple(id_shape)).astype(np.float32)
    exported(Function(lambda m, x: layer(x) * 2.0), ids, op_types=["Gather", "Cast"])


def test_pad_clip_where_maximum():
    rng = np.random.default_rng(2)
    x = batch_of(rng, (2, 3))
    exported(Function(lambda m, x: ag.pad(x, ((0, 0), (1, 0), (2, 3)), constant_values=-1.5)), x, op_types=["Pad"])
    exported(Function(lambda m, x: ag.pad(x, 1)), x, op_types=["Pad"])
    exported(Function(lambda m, x: ag.clip(x, -0.5, 0.7)), x, op_types=["Clip"])
    exported(Function(lambda m, x: ag.clip(x, a_max=0.2)), x, op_types=["Clip"])
    mask = rng.random((2, 3)) > 0.5
    exported(Function(lambda m, x: ag.where(mask, x, 2 * x)), x, op_types=["Where"])
    exported(Function(lambda m, x: ag.maximum(x, 0.25) + ag.minimum(x, -x)), x, op_types=["Max", "Min"])


@FEW
@given(data=st.data())
def test_basic_indexing_of_the_sample_axes(data):
    shape = data.draw(st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple))
    parts = []
    for n in shape:
        parts.append(data.draw(st.one_of(
            st.integers(-n, n - 1),
            st.builds(slice, st.none() | st.integers(-n, n), st.none() | st.integers(-n, n),
                      st.none() | st.sampled_from([1, 2, -1, -2])),
            st.none().map(lambda _: slice(None)))))
        if data.draw(st.booleans()):
            parts.append(None)
    index = (slice(None),) + tuple(parts)
    x = batch_of(np.random.default_rng(data.draw(seeds)), shape)
    if 0 in x[index].shape:
        return  # an empty selection: nothing to compare
    exported(Function(lambda m, x: x[index]), x)


def test_indexing_with_an_array_ellipsis_and_new_axes():
    x = batch_of(np.random.default_rng(3), (4, 5))
    exported(Function(lambda m, x: x[:, [3, 0, 3]]), x, op_types=["Gather"])
    exported(Function(lambda m, x: x[..., np.array([[1, -1], [0, 2]])]), x, op_types=["Gather"])
    exported(Function(lambda m, x: x[:, 2, [1, 4]]), x, op_types=["Gather", "Squeeze"])
    exported(Function(lambda m, x: x[:, np.array([True, False, True, True])]), x, op_types=["Gather"])
    exported(Function(lambda m, x: x[:, None, ..., 1:4, None]), x, op_types=["Slice", "Unsqueeze"])
    exported(Function(lambda m, x: x[...]), x)


@pytest.mark.parametrize("layer", [
    lambda: nn.BatchNormalization(num_features=3), lambda: nn.BatchNorm1d(3),
    lambda: nn.BatchNorm2d(3), lambda: nn.BatchNorm3d(3, affine=False),
    lambda: nn.BatchNormalization(center=False, num_features=3)])
def test_batch_norm_in_eval_mode(layer):
    layer = layer()
    rng = np.random.default_rng(4)
    for name, array in layer.named_buffers():
        array[...] = rng.uniform(0.5, 2.0, array.shape) if "var" in name else rng.normal(size=array.shape)
    for p in layer.parameters():
        p.data[...] = rng.normal(size=p.shape)
    spatial = {"BatchNorm2d": (4, 4), "BatchNorm3d": (2, 3, 2)}.get(type(layer).__name__, (5,))
    exported(layer, batch_of(rng, (3,) + spatial), op_types=["Sub", "Mul"])


def test_dropout_is_the_identity_in_eval_mode():
    model = nn.Sequential([nn.Dropout(0.5), nn.Dense(3, input_shape=(4,)), nn.Dropout(0.3)])
    proto = exported(model, batch_of(np.random.default_rng(5), (4,)))
    assert [n.op_type for n in proto.graph.node] == ["Gemm"]
    assert model.training  # the export restored the training mode


@FEW
@given(data=st.data())
def test_layer_norm_over_trailing_axes(data):
    rng = np.random.default_rng(data.draw(seeds))
    shape = data.draw(st.lists(st.integers(2, 4), min_size=1, max_size=3).map(tuple))
    count = data.draw(st.integers(1, len(shape)))
    normalized = shape[len(shape) - count:]
    weight, bias = (rng.normal(size=normalized) if data.draw(st.booleans()) else None
                    for _ in range(2))
    model = Function(lambda m, x: ag.layer_norm(x, m.w, m.b, count, eps=1e-3), w=weight, b=bias)
    exported(model, batch_of(rng, shape), op_types=["LayerNormalization"])


@pytest.mark.parametrize("mask", ["none", "causal", "boolean", "additive"])
def test_attention_weights_with_their_masks(mask):
    rng = np.random.default_rng(6)
    keep = rng.random((4, 4)) < 0.7
    keep[:, 0] = True
    options = {"none": {}, "causal": {"causal": True}, "boolean": {"mask": keep},
               "additive": {"mask": rng.normal(size=(4, 4))}}[mask]
    model = Function(lambda m, x: ag.attention_weights(x, x @ m.w, **options),
                     w=rng.normal(size=(3, 3)))
    exported(model, batch_of(rng, (2, 4, 3)), op_types=["Softmax", "MatMul"])


def test_transformer_layers_export():
    nn.seed(7)
    model = nn.Sequential([nn.PositionalEmbedding(8, input_shape=(6, 8)),
                           nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True),
                           nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, norm_first=True,
                                                      activation="gelu"),
                           nn.LayerNormalization(), nn.MultiHeadAttention(2, 4)])
    exported(model, batch_of(np.random.default_rng(7), (6, 8)),
             op_types=["LayerNormalization", "Softmax", "Erf"])
