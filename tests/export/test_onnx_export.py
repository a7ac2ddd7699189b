"""Whole-model ONNX exports (the seed MLP and the LeNet-style CNN), the ``lucidgrad export``
command, and the errors: unsupported ops, untraceable models, mismatches, missing packages."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from nn import cli
from nn.models import build_model
from onnx_checks import Function, batch_of, onnx

import onnxruntime as ort  # noqa: E402  (onnx_checks skips the module without it)
from nn.export import (ExportError, MissingDependencyError, OnnxMismatchError, UnsupportedOpError,
                       export_onnx, onnx_op, to_onnx)
from nn.export import onnx_ops

PROJECT_ROOT = Path(nn.__file__).resolve().parents[1]


def _randomized_batch_norms(model, seed=0):
    """Give every batch norm non-trivial running statistics, as a trained model has."""
    rng = np.random.default_rng(seed)
    for name, array in model.named_buffers():
        array[...] = rng.uniform(0.5, 2.0, array.shape) if "var" in name else rng.normal(size=array.shape)
    return model


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


@pytest.mark.parametrize("name, sample", [("mlp", (784,)), ("cnn", (1, 28, 28))])
def test_seed_models_export_with_a_dynamic_batch_axis(tmp_path, name, sample):
    model = _randomized_batch_norms(build_model(name, sample, 10))
    rng = np.random.default_rng(1)
    path = tmp_path / f"{name}.onnx"
    report = export_onnx(model, path, rng.random((4,) + sample, dtype=np.float32))
    assert report.path == path and report.opset == 17
    assert report.input_names == ["input"] and report.output_names == ["output"]
    assert [batch for batch, _ in report.checks] == [4, 1, 3, 8]
    assert report.max_error <= 1e-5
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert proto.opset_import[0].version == 17
    for value, size in ((proto.graph.input[0], sample), (proto.graph.output[0], (10,))):
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == list(size)
    expected_ops = {"mlp": {"Gemm", "Relu", "Softmax"},
                    "cnn": {"Conv", "Relu", "MaxPool", "Reshape", "Gemm", "Softmax"}}[name]
    assert expected_ops <= set(report.onnx_ops)
    assert {i.name for i in proto.graph.initializer} >= {"0.kernel", "0.bias"}
    for batch in (1, 7, 33):  # any batch size, straight from the file
        x = rng.random((batch,) + sample, dtype=np.float32)
        got, want = _run(path, x), model.predict(x)
        assert got.shape == (batch, 10)
        assert np.max(np.abs(got - want)) <= 1e-5 * np.max(np.abs(want))


def test_pytorch_style_model_and_custom_names(tmp_path):
    model = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), nn.BatchNorm1d(4), nn.ReLU(),
                          nn.MaxPool1d(2), nn.Flatten(), nn.Linear(4 * 4, 3))
    _randomized_batch_norms(model, 2)
    x = batch_of(np.random.default_rng(2), (2, 8))
    report = export_onnx(model, tmp_path / "m.onnx", x, input_names="signal", output_names=["logits"])
    assert report.input_names == ["signal"] and report.output_names == ["logits"]
    assert model.training  # the export does not leave the model in eval mode


def test_models_with_several_inputs_and_outputs(tmp_path):
    class TwoWay(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(3, 2), nn.Linear(4, 2)

        def forward(self, x, y):
            total = self.a(x) + self.b(y)
            return ag.softmax(total), total

    model = TwoWay()
    rng = np.random.default_rng(3)
    report = export_onnx(model, tmp_path / "two.onnx", (batch_of(rng, (3,)), batch_of(rng, (4,))))
    assert report.input_names == ["input_0", "input_1"]
    assert report.output_names == ["output_0", "output_1"]
    assert report.max_error <= 1e-5


def test_a_model_that_returns_its_input_or_one_value_twice():
    model = Function(lambda m, x: (x, ag.relu(x), ag.relu(x)))
    x = batch_of(np.random.default_rng(4), (3,))
    proto = to_onnx(Function(lambda m, x: x), x)
    assert [n.op_type for n in proto.graph.node] == ["Identity"]
    proto = to_onnx(model, x)
    assert [o.name for o in proto.graph.output] == ["output_0", "output_1", "output_2"]


def test_an_op_without_translation_is_named_with_the_supported_list(tmp_path):
    @ag.primitive
    def cube(x):
        return x ** 3

    cube.defvjp(lambda g, ans, x: 3 * g * x ** 2)
    model = nn.Sequential(nn.Linear(3, 2), Function(lambda m, x: cube(x)))
    path = tmp_path / "cube.onnx"
    with pytest.raises(UnsupportedOpError) as error:
        export_onnx(model, path, batch_of(np.random.default_rng(0), (3,)))
    message = str(error.value)
    assert "'cube'" in message and "recorded in '1/cube'" in message and "(3, 2)" in message
    assert "Supported ops: " in message and "conv" in message and "softmax" in message
    assert "nn.export.onnx_op('cube')" in message
    assert not path.exists()

    @onnx_op("cube")  # ...and one table entry makes it exportable
    def _cube(graph, node):
        x = graph.value(node.inputs[0])
        return graph.emit("Mul", [graph.emit("Mul", [x, x], node), x], node)

    try:
        report = export_onnx(model, path, batch_of(np.random.default_rng(0), (3,)))
        assert report.onnx_ops == {"Gemm": 1, "Mul": 2} and path.exists()
    finally:
        del onnx_ops.ONNX_OPS["cube"]


def test_models_that_cannot_be_traced():
    never_run = nn.Sequential([nn.Dense(3), nn.Dense(2)])
    with pytest.raises(ExportError, match="never been run and declares no input shape"):
        to_onnx(never_run)
    with pytest.raises(ExportError, match="does not depend on the input"):
        to_onnx(Function(lambda m, x: ag.Tensor(np.ones(3, dtype=np.float32))), np.ones((2, 3)))
    with pytest.raises(ExportError, match="does not depend on the input"):
        to_onnx(Function(lambda m, x: ag.Tensor(np.tanh(x.data))), np.ones((2, 3)))
    with pytest.raises(ExportError, match="returned ndarray"):
        to_onnx(Function(lambda m, x: x.data), np.ones((2, 3)))
    with pytest.raises(ExportError, match="merges or splits the batch axis"):
        to_onnx(Function(lambda m, x: x.reshape(-1)), np.ones((2, 3)))
    with pytest.raises(ExportError, match="picks from the batch axis"):
        to_onnx(Function(lambda m, x: x[0]), np.ones((2, 3)))
    with pytest.raises(ExportError, match="numeric array with a batch axis"):
        to_onnx(Function(lambda m, x: x), np.float32(1.0))


def test_a_model_declaring_its_input_shape_needs_no_example(tmp_path):
    model = build_model("mlp", (5,), 3, hidden_units=(4,))
    report = export_onnx(model, tmp_path / "m.onnx")
    assert report.checks[0][0] == 2 and report.max_error <= 1e-5


def test_a_wrong_translation_is_caught_and_nothing_is_written(tmp_path, monkeypatch):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"the previous file")
    monkeypatch.setitem(onnx_ops.ONNX_OPS, "relu", onnx_ops.ONNX_OPS["sigmoid"])
    with pytest.raises(OnnxMismatchError, match="ONNX Runtime differs from lucidgrad by"):
        export_onnx(nn.Sequential(nn.Linear(3, 2), nn.ReLU()), path, np.ones((2, 3), np.float32))
    assert path.read_bytes() == b"the previous file"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # no temporary file left


def test_a_constant_of_the_traced_batch_size_fails_the_check(tmp_path):
    model = Function(lambda m, x: x + ag.Tensor(np.ones((x.shape[0], 3), dtype=np.float32)))
    with pytest.raises(OnnxMismatchError, match=r"batch of 1: .*such as x\.shape\[0\]"):
        export_onnx(model, tmp_path / "unused.onnx", np.ones((2, 3), np.float32))
    assert not list(tmp_path.iterdir())


def test_missing_packages_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(MissingDependencyError, match=r"ONNX export needs the 'onnx' package.*"
                                                     r'pip install "lucidgrad\[export\]"'):
        to_onnx(Function(lambda m, x: x), np.ones((2, 3)))


def test_importing_nn_imports_none_of_the_export_packages():
    code = ("import sys, nn, nn.export; from nn import cli; cli.build_parser(); "
            "loaded = [m for m in ('onnx', 'onnxruntime', 'safetensors', 'h5py', 'torch') "
            "if m in sys.modules]; print(loaded)")
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True,
                            text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_export_command(tmp_path, capsys):
    model = _randomized_batch_norms(build_model("cnn", (1, 12, 12), 4, filters=(3,), dense_units=8))
    model.save(tmp_path / "model.npz")
    status = cli.main(["export", str(tmp_path / "model.npz"), str(tmp_path / "model.onnx"),
                       "--batch-sizes", "1,5"])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert f"wrote {tmp_path / 'model.onnx'} (ONNX opset 17" in printed
    assert "Conv" in printed and "at batch sizes 2, 1, 5" in printed
    x = np.random.default_rng(5).random((6, 1, 12, 12), dtype=np.float32)
    np.testing.assert_allclose(_run(tmp_path / "model.onnx", x), model.predict(x), atol=1e-6)

    assert cli.main(["export", str(tmp_path / "model.npz"), str(tmp_path / "w.safetensors")]) == 0
    assert "with PyTorch's names and layouts" in capsys.readouterr().out


@pytest.mark.parametrize("arguments, message", [
    (["missing.npz", "out.onnx"], "no model file at missing.npz"),
    (["model.npz", "out.txt"], "name it .onnx or .safetensors"),
    (["junk.npz", "out.onnx"], "is not an .npz archive"),
])
def test_export_command_errors(tmp_path, monkeypatch, capsys, arguments, message):
    monkeypatch.chdir(tmp_path)
    build_model("mlp", (3,), 2, hidden_units=(2,)).save("model.npz")
    Path("junk.npz").write_bytes(b"not a zip")
    assert cli.main(["export", *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not Path("out.onnx").exists()
