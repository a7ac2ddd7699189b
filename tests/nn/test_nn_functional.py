"""``nn.functional`` as PyTorch users call it: argument names, order, layouts and results.

Each function is checked against a numpy formula (always) and against ``torch.nn.functional``
(when PyTorch is installed), and its gradient against finite differences in float64.
"""
import numpy as np
import pytest

import nn.functional as F
from autograd import Tensor, gradcheck

RNG = np.random.default_rng(0)


def value(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def reference_cross_entropy(x, target, weight=None, ignore_index=-100, reduction="mean",
                            smoothing=0.0):
    """PyTorch's documented formula, classes on axis 1, written out with loops over samples."""
    classes = x.shape[1]
    weight = np.ones(classes) if weight is None else weight
    log_p = np.moveaxis(log_softmax(x, 1), 1, -1).reshape(-1, classes)
    target = target.reshape(-1)
    losses, counted = [], 0.0
    for row, y in zip(log_p, target):
        if y == ignore_index:
            losses.append(0.0)
            continue
        nll = -weight[y] * row[y]
        smooth = -(weight * row).sum() / classes
        losses.append((1 - smoothing) * nll + smoothing * smooth)
        counted += weight[y]
    losses = np.array(losses)
    if reduction == "mean":
        return losses.sum() / counted
    return losses.sum() if reduction == "sum" else losses.reshape((x.shape[0],) + x.shape[2:])


# ---------------------------------------------------------------------- cross-entropy
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("options", [{}, {"weight": True}, {"smoothing": 0.2},
                                     {"weight": True, "smoothing": 0.3}])
def test_cross_entropy_with_weights_ignored_targets_and_smoothing(options, reduction):
    x = RNG.normal(size=(4, 5, 3))
    target = RNG.integers(0, 5, (4, 3))
    target[0, 1] = target[2, 2] = -100
    weight = RNG.random(5) + 0.5 if options.get("weight") else None
    smoothing = options.get("smoothing", 0.0)
    got = F.cross_entropy(Tensor(x), target, weight, reduction=reduction,
                          label_smoothing=smoothing)
    expected = reference_cross_entropy(x, target, weight, reduction=reduction,
                                       smoothing=smoothing)
    np.testing.assert_allclose(value(got), expected, rtol=1e-10)
    assert gradcheck(lambda t: F.cross_entropy(t, target, weight, reduction=reduction,
                                               label_smoothing=smoothing), [x])


def test_cross_entropy_on_probabilities_and_on_one_sample():
    x = RNG.normal(size=(3, 4))
    probabilities = RNG.random((3, 4))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    expected = -(probabilities * log_softmax(x, 1)).sum(axis=1).mean()
    np.testing.assert_allclose(value(F.cross_entropy(Tensor(x), probabilities)), expected)
    assert gradcheck(lambda t: F.cross_entropy(t, probabilities, label_smoothing=0.1), [x])
    single = F.cross_entropy(Tensor(x[0]), np.array(2), reduction="none")
    assert single.shape == () and np.isclose(value(single), -log_softmax(x[:1], 1)[0, 2])


def test_nll_loss_picks_the_log_probability_of_the_target():
    log_p = log_softmax(RNG.normal(size=(4, 3, 2)), 1)
    target = np.array([[0, 2], [1, 1], [2, -100], [0, 1]])
    weight = np.array([0.5, 1.0, 2.0])
    picked = [(-weight[y] * log_p[n, y, d], weight[y]) for n in range(4) for d in range(2)
              if (y := target[n, d]) != -100]
    expected = sum(p for p, _ in picked) / sum(w for _, w in picked)
    np.testing.assert_allclose(value(F.nll_loss(Tensor(log_p), target, weight)), expected)
    np.testing.assert_allclose(value(F.cross_entropy(Tensor(log_p), target, weight)), expected)
    assert gradcheck(lambda t: F.nll_loss(t, target, weight, reduction="sum"), [log_p])


def test_cross_entropy_errors_name_the_problem():
    x = Tensor(RNG.normal(size=(2, 3)))
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, 3\).*from 0 to 3"):
        F.cross_entropy(x, np.array([0, 3]))
    with pytest.raises(ValueError, match=r"target must hold class indices of shape \(2,\)"):
        F.cross_entropy(x, np.array([[0], [1], [2]]))
    with pytest.raises(TypeError, match="pass reduction='sum' by keyword"):
        F.cross_entropy(x, np.array([0, 1]), "sum")
    with pytest.raises(TypeError):
        F.cross_entropy(x, np.array([0, 1]), None, None)  # no deprecated positional slots
    with pytest.raises(ValueError, match=r"weight must have shape \(3,\)"):
        F.cross_entropy(x, np.array([0, 1]), np.ones(2))


# ---------------------------------------------------------------------- other losses
def test_regression_losses():
    x, y = RNG.normal(size=(3, 4)), RNG.normal(size=(3, 4))
    error = x - y
    np.testing.assert_allclose(value(F.mse_loss(Tensor(x), y)), np.mean(error ** 2))
    np.testing.assert_allclose(value(F.l1_loss(Tensor(x), y, reduction="sum")),
                               np.abs(error).sum())
    smooth = np.where(np.abs(error) < 0.5, 0.5 * error ** 2 / 0.5, np.abs(error) - 0.25)
    np.testing.assert_allclose(value(F.smooth_l1_loss(Tensor(x), y, reduction="none", beta=0.5)),
                               smooth)
    huber = np.where(np.abs(error) <= 0.5, 0.5 * error ** 2, 0.5 * (np.abs(error) - 0.25))
    np.testing.assert_allclose(value(F.huber_loss(Tensor(x), y, delta=0.5)), huber.mean())
    for loss in (F.mse_loss, F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        assert gradcheck(lambda t: loss(t, y), [x])


def test_binary_cross_entropies():
    p, y = RNG.uniform(0.05, 0.95, (3, 4)), (RNG.random((3, 4)) > 0.5).astype(float)
    weight = RNG.random(4)
    expected = -(weight * (y * np.log(p) + (1 - y) * np.log(1 - p))).mean()
    np.testing.assert_allclose(value(F.binary_cross_entropy(Tensor(p), y, weight)), expected)
    assert np.isclose(value(F.binary_cross_entropy(Tensor(np.array([0.0])), np.array([1.0]))),
                      100.0)  # log clamped at -100, as PyTorch
    with pytest.raises(ValueError, match=r"probabilities in \[0, 1\].*with_logits"):
        F.binary_cross_entropy(Tensor(np.array([1.5])), np.array([1.0]))
    logits, pos_weight = RNG.normal(size=(3, 4)) * 3, RNG.random(4) + 0.5
    s = 1 / (1 + np.exp(-logits))
    expected = -(pos_weight * y * np.log(s) + (1 - y) * np.log(1 - s)).sum()
    got = F.binary_cross_entropy_with_logits(Tensor(logits), y, reduction="sum",
                                             pos_weight=pos_weight)
    np.testing.assert_allclose(value(got), expected)
    assert gradcheck(lambda t: F.binary_cross_entropy(t, y, weight), [p])
    assert gradcheck(lambda t: F.binary_cross_entropy_with_logits(t, y, weight,
                                                                  pos_weight=pos_weight), [logits])


# ---------------------------------------------------------------------- activations
def test_activations():
    x = RNG.normal(size=(3, 5)) * 4
    sigmoid = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(value(F.silu(Tensor(x))), x * sigmoid)
    np.testing.assert_allclose(value(F.logsigmoid(Tensor(x))), np.log(sigmoid))
    np.testing.assert_allclose(value(F.relu(Tensor(x), inplace=True)), np.maximum(x, 0))
    expected = np.where(2 * x > 3, x, np.log1p(np.exp(2 * x)) / 2)
    np.testing.assert_allclose(value(F.softplus(Tensor(x), beta=2, threshold=3)), expected)
    np.testing.assert_allclose(value(F.softmax(Tensor(x), dim=0)),
                               np.exp(x) / np.exp(x).sum(axis=0))
    np.testing.assert_allclose(value(F.log_softmax(Tensor(x), 1)), log_softmax(x, 1))
    with pytest.raises(TypeError, match=r"softmax: pass dim="):
        F.softmax(Tensor(x))
    for f in (F.silu, F.logsigmoid, F.gelu, F.elu, lambda t: F.softplus(t, beta=2, threshold=3),
              lambda t: F.log_softmax(t, dim=0)):
        assert gradcheck(f, [x])
    labels = F.one_hot(np.array([[2, 0], [1, 3]]))
    assert labels.dtype == np.int64 and labels.shape == (2, 2, 4)
    np.testing.assert_array_equal(value(labels)[1, 1], [0, 0, 0, 1])


# ---------------------------------------------------------------------- convolution and pooling
def test_conv_and_pool_forms_match_the_engine_and_accept_one_sample():
    import autograd

    x = RNG.normal(size=(2, 3, 7, 6))
    weight, bias = RNG.normal(size=(4, 3, 3, 2)), RNG.normal(size=4)
    out = F.conv2d(Tensor(x), weight, bias, (2, 1), 1)
    np.testing.assert_allclose(value(out), value(autograd.conv(x, weight, bias, stride=(2, 1), padding=1)))
    single = F.conv2d(Tensor(x[1]), weight, bias, (2, 1), 1)
    np.testing.assert_allclose(value(single), value(out)[1])
    assert F.conv1d(Tensor(x[:, :, 0]), weight[..., 0], padding="same").shape == (2, 4, 6)
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        F.conv2d(Tensor(x), weight, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: expected input of shape \(N, C, H, W\)"):
        F.conv2d(Tensor(x[0, 0, 0]), weight)
    transposed = F.conv_transpose2d(Tensor(x), RNG.normal(size=(3, 2, 3, 3)), None, 2, 1, 1)
    assert transposed.shape == (2, 2, 14, 12)
    np.testing.assert_allclose(value(F.max_pool2d(Tensor(x), 2)),
                               x[:, :, :6].reshape(2, 3, 3, 2, 3, 2).max(axis=(3, 5)))
    np.testing.assert_allclose(value(F.avg_pool1d(Tensor(x[0, :, 0]), 2)),
                               x[0, :, 0].reshape(3, 3, 2).mean(axis=2))
    sums = F.avg_pool2d(Tensor(x), 2, divisor_override=3)
    np.testing.assert_allclose(value(sums), x[:, :, :6].reshape(2, 3, 3, 2, 3, 2).sum(axis=(3, 5)) / 3)
    with pytest.raises(NotImplementedError, match=r"max_pool2d: ceil_mode=True is not supported"):
        F.max_pool2d(Tensor(x), 2, ceil_mode=True)
    assert gradcheck(lambda t, w: F.conv2d(t, w, padding="same", dilation=2), [x[0], weight])
    assert gradcheck(lambda t: F.avg_pool2d(t, 3, 2, 1, count_include_pad=False), [x])


@pytest.mark.parametrize("mode, numpy_mode", [("constant", "constant"), ("reflect", "reflect"),
                                              ("replicate", "edge"), ("circular", "wrap")])
def test_pad_lists_pairs_from_the_last_axis(mode, numpy_mode):
    x = RNG.normal(size=(2, 3, 4))
    got = F.pad(Tensor(x), (1, 2, 2, 0), mode=mode)
    np.testing.assert_array_equal(value(got), np.pad(x, ((0, 0), (2, 0), (1, 2)), mode=numpy_mode))
    assert gradcheck(lambda t: F.pad(t, (1, 2, 2, 0), mode=mode), [x])


def test_pad_constant_value_and_cropping():
    x = RNG.normal(size=(3, 4))
    got = F.pad(Tensor(x), (-1, 2, 0, -1), value=7.0)
    expected = np.pad(x[:2, 1:], ((0, 0), (0, 2)), constant_values=7.0)
    np.testing.assert_array_equal(value(got), expected)
    with pytest.raises(ValueError, match="even number of entries"):
        F.pad(Tensor(x), (1, 2, 3))
    with pytest.raises(ValueError, match="reflect padding"):
        F.pad(Tensor(x), (4, 0), mode="reflect")


# ---------------------------------------------------------------------- against PyTorch
def _torch_cases():
    x = RNG.normal(size=(2, 3, 7, 6))
    w = RNG.normal(size=(4, 3, 3, 2))
    wt = RNG.normal(size=(3, 2, 3, 3))
    seq = RNG.normal(size=(2, 3, 9))
    a = RNG.normal(size=(3, 4)) * 5
    p = RNG.uniform(0.01, 0.99, (3, 4))
    y = (RNG.random((3, 4)) > 0.5).astype(float)
    labels = RNG.integers(0, 3, (2, 7, 6))
    labels[0, 0, 0] = -100
    cls_w = RNG.random(3) + 0.5
    return [
        ("conv2d", (x, w, RNG.normal(size=4)), {"stride": (2, 1), "padding": 1, "dilation": (1, 2)}),
        ("conv2d", (x, w), {"padding": "same"}),
        ("conv2d", (x[0], w), {"padding": "valid"}),
        ("conv1d", (seq, w[..., 0]), {"stride": 2, "groups": 1}),
        ("conv_transpose2d", (x, wt), {"stride": 2, "padding": 1, "output_padding": 1}),
        ("conv_transpose1d", (seq, wt[..., 0]), {"stride": 3, "dilation": 2}),
        ("max_pool2d", (x, 3), {"stride": 2, "padding": 1}),
        ("max_pool1d", (seq[0], 2), {}),
        ("avg_pool2d", (x, 3, 2, 1), {"count_include_pad": False}),
        ("avg_pool2d", (x, (2, 3)), {"divisor_override": 5}),
        ("avg_pool3d", (x[None], 2), {}),
        ("pad", (x, (1, 2, 0, 1)), {"mode": "reflect"}),
        ("pad", (seq, (1, 2)), {"mode": "circular"}),
        ("softplus", (a,), {"beta": 0.5, "threshold": 2}),
        ("gelu", (a,), {"approximate": "tanh"}),
        ("leaky_relu", (a, 0.2), {}),
        ("log_softmax", (a,), {"dim": 0}),
        ("cross_entropy", (x[:, :3], labels), {"weight": cls_w, "label_smoothing": 0.1}),
        ("cross_entropy", (a, RNG.integers(0, 4, 3)), {"reduction": "none"}),
        ("nll_loss", (x[:, :3], labels), {"weight": cls_w, "reduction": "sum"}),
        ("binary_cross_entropy", (p, y), {"weight": RNG.random(4)}),
        ("binary_cross_entropy_with_logits", (a, y), {"pos_weight": RNG.random(4) + 0.5}),
        ("smooth_l1_loss", (a, p), {"beta": 2.0, "reduction": "sum"}),
        ("huber_loss", (a, p), {"delta": 2.0}),
        ("mse_loss", (a, p), {"reduction": "none"}),
    ]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # PyTorch's note on its own speed
@pytest.mark.parametrize("name, args, kwargs", _torch_cases(),
                         ids=[case[0] for case in _torch_cases()])
def test_same_results_and_gradients_as_pytorch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    torch_f = getattr(torch.nn.functional, name)
    ours = Tensor(args[0], requires_grad=True)
    theirs = torch.tensor(args[0], requires_grad=True)

    def to_torch(a):
        return torch.from_numpy(a) if isinstance(a, np.ndarray) else a

    expected = torch_f(theirs, *map(to_torch, args[1:]),
                       **{k: to_torch(v) for k, v in kwargs.items()})
    got = getattr(F, name)(ours, *args[1:], **kwargs)
    np.testing.assert_allclose(value(got), expected.detach().numpy(), rtol=1e-9, atol=1e-12)
    seed = RNG.normal(size=expected.shape)
    (got * seed).sum().backward()
    (expected * torch.from_numpy(seed)).sum().backward()
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
