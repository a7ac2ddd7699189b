"""``lucidgrad graph``: the neuron example, saved models (graph, depth, architecture), output
formats, and the errors for a missing file, a missing ``dot`` program and bad options."""
import argparse
import re
import shutil
import struct
import xml.etree.ElementTree as ET

import pytest

import nn
from nn.commands import graph as graph_command

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' not installed")


def run(*argv):
    parser = argparse.ArgumentParser()
    graph_command.add_arguments(parser)
    return graph_command.run(parser.parse_args(list(argv)))


@pytest.fixture
def saved_mlp(tmp_path):
    nn.seed(0)
    model = nn.Sequential([nn.Dense(16, activation="relu", input_shape=(6,)),
                           nn.Dense(3, activation="softmax")])
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    path = tmp_path / "mlp.npz"
    model.save(path)
    return path


@needs_dot
def test_default_draws_the_neuron_as_png(tmp_path, capsys):
    out = tmp_path / "graph.png"
    assert run("--output", str(out)) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width > 50 and height > 50
    assert str(out) in capsys.readouterr().out


@needs_dot
def test_svg_format_from_the_suffix(tmp_path):
    out = tmp_path / "neuron.svg"
    assert run("-o", str(out), "--rankdir", "TB") == 0
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    text = ET.tostring(root, encoding="unicode")
    assert "grad 0.5" in text and "tanh" in text


def test_dot_format_shows_the_neuron_with_gradients(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # the DOT text needs no Graphviz
    monkeypatch.chdir(tmp_path)
    assert run("--format", "dot") == 0
    source = (tmp_path / "graph.dot").read_text(encoding="utf-8")
    for name, grad in (("x1", "-1.5"), ("w1", "1"), ("x2", "0.5"), ("w2", "0"), ("b", "0.5")):
        assert re.search(rf"<B>{name}</B><BR/>data [^<]*<BR/>grad {re.escape(grad)}>", source)
    assert "rankdir=LR" in source


def test_missing_dot_exits_with_install_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert run("-o", str(tmp_path / "graph.png")) == 1
    error = capsys.readouterr().err
    assert "apt-get install graphviz" in error and "--format dot" in error
    assert not (tmp_path / "graph.png").exists()


def test_saved_model_training_graph(tmp_path, saved_mlp):
    out = tmp_path / "mlp.dot"
    assert run("--model", str(saved_mlp), "-o", str(out)) == 0
    source = out.read_text(encoding="utf-8")
    for text in ("cluster_0", "cluster_1", "0: Dense", "<B>0.kernel</B>", "<B>1.bias</B>",
                 "label=<softmax_cross_entropy>", "float32 (4, 16)"):
        assert text in source
    assert re.search(r"<B>0\.kernel</B><BR/>float32 \(6, 16\)<BR/>data [^<]*<BR/>grad \[", source)


def test_saved_model_depth_and_budget(tmp_path, saved_mlp):
    out = tmp_path / "mlp.dot"
    assert run("--model", str(saved_mlp), "-o", str(out), "--depth", "0") == 0
    source = out.read_text(encoding="utf-8")
    assert "box3d" in source and "kernel" not in source
    assert run("--model", str(saved_mlp), "-o", str(out), "--max-nodes", "3") == 0
    assert "more values not drawn" in out.read_text(encoding="utf-8")


def test_saved_model_architecture(tmp_path, saved_mlp):
    out = tmp_path / "layers.dot"
    assert run("--model", str(saved_mlp), "--architecture", "-o", str(out)) == 0
    source = out.read_text(encoding="utf-8")
    assert re.search(r"<B>dense(_\d+)? \(Dense\)</B>", source)  # the layer's Keras name, saved
    assert "(None, 16)" in source and f"{6 * 16 + 16:,}" in source
    assert "rankdir=TB" in source
    assert run("--model", str(saved_mlp), "--architecture", "-o", str(out), "--rankdir", "LR") == 0
    assert "rankdir=LR" in out.read_text(encoding="utf-8")


def test_uncompiled_model_draws_its_forward_pass():
    nn.seed(0)
    model = nn.Sequential([nn.Dense(3, input_shape=(2,))])
    out = graph_command.model_graph(model)
    assert out.shape == (graph_command.PREVIEW_BATCH, 3)
    assert model[0].kernel.grad is not None


def test_errors_are_reported(tmp_path, capsys):
    assert run("--model", str(tmp_path / "missing.npz")) == 2
    assert "no model file" in capsys.readouterr().err
    assert run("--architecture") == 2
    assert "--model" in capsys.readouterr().err
    for bad in (["--max-nodes", "0"], ["--depth", "-1"], ["--input-shape", "a,b"],
                ["--format", "gif"]):
        with pytest.raises(SystemExit):
            run(*bad)


def test_the_lucidgrad_command_line_knows_graph(tmp_path):
    cli = pytest.importorskip("nn.cli")
    out = tmp_path / "g.dot"
    assert cli.main(["graph", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("digraph")
