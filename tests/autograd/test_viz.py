"""Graph drawings: the DOT structure of known expressions (boxes, ops, edges, labels, styles),
the node budget on huge graphs, module clusters from scope labels, determinism, real PNG/SVG
files, and the error when the Graphviz ``dot`` program is missing."""
import math
import re
import struct
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import autograd as ag
from autograd import Tensor, Value
from autograd.viz import GraphvizNotFoundError, draw_graph, render
from autograd.viz.examples import neuron
from dot_reading import clusters, find, needs_dot, statements

RED = "#d62728"


# ---------------------------------------------------------------------- reading DOT text
def value_ids(nodes):
    return sorted((n for n in nodes if re.fullmatch(r"n\d+", n)), key=lambda n: int(n[1:]))


def op_ids(nodes):
    return [n for n in nodes if n.endswith("_op")]


def label_of(nodes, node_id):
    return re.search(r"label=<(.*)>", nodes[node_id]).group(1)


# ---------------------------------------------------------------------- reading image files
def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_root(path):
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    return root


# ---------------------------------------------------------------------- scalar graphs
def test_neuron_structure_labels_and_gradients():
    o = neuron()
    nodes, edges = statements(draw_graph(o, legend=False).source)
    assert len(value_ids(nodes)) == 10  # x1 w1 x2 w2 b, x1*w1 x2*w2, their sum, n, o
    assert sorted(op_ids(nodes)) == ["n2_op", "n5_op", "n6_op", "n8_op", "n9_op"]
    assert len(nodes) == 15
    assert len(edges) == 14  # 4 binary ops (2 operands + result) and tanh (1 + result)

    # independent numbers: n = 2*(-3) + 0*1 + 6.8813735870195432, o = tanh(n)
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.881373587019543
    o_data = math.tanh(n)
    dn = 1 - o_data ** 2
    expected = {"x1": (2.0, -3.0 * dn), "w1": (-3.0, 2.0 * dn), "x2": (0.0, 1.0 * dn),
                "w2": (1.0, 0.0), "b": (6.881373587019543, dn), "n": (n, dn), "o": (o_data, 1.0)}
    for name, (data, grad) in expected.items():
        label = label_of(nodes, find(nodes, f"<B>{name}</B>"))
        assert f"data {data:.4g}" in label
        assert f"grad {grad:.4g}" in label

    # data flows operands -> op -> result: o's op is fed by n and feeds o
    o_id, n_id = find(nodes, "<B>o</B>"), find(nodes, "<B>n</B>")
    assert (n_id, f"{o_id}_op") in edges and (f"{o_id}_op", o_id) in edges
    assert "tanh" in label_of(nodes, f"{o_id}_op")


def test_leaves_parameters_constants_and_outputs_look_different():
    w = Value(2.0, name="w")                          # leaf that requires grad
    x = Value(3.0, requires_grad=False, name="x")     # data input
    y = (w * x + 1.5).relu()
    y.name = "y"
    nodes, edges = statements(draw_graph(y).source)
    fill = {name: re.search(r'fillcolor="([^"]+)"', nodes[find(nodes, f"<B>{name}</B>")]).group(1)
            for name in ("w", "x", "y")}
    middle = value_ids(nodes)[2]  # w*x
    fill["middle"] = re.search(r'fillcolor="([^"]+)"', nodes[middle]).group(1)
    assert len(set(fill.values())) == 4
    constant = find(nodes, "label=<1.5>")
    assert constant.endswith("_c1") and (constant, f"{value_ids(nodes)[3]}_op") in edges
    assert "legend" in nodes
    for description in ("output", "parameter", "input", "intermediate", "constant", "operation"):
        assert description in nodes["legend"]
    assert "legend" not in statements(draw_graph(y, legend=False).source)[0]


def test_a_left_out_optional_operand_is_not_drawn():
    x = Tensor(np.ones((4, 2)))
    kernel = Tensor(np.ones((2, 3)), requires_grad=True)
    nodes, edges = statements(draw_graph(ag.affine(x, kernel, None)).source)
    assert not any(n.endswith("_c2") for n in nodes) and "None" not in "".join(nodes.values())
    op = next(n for n in nodes if n.endswith("_op"))
    assert sum(1 for _, target in edges if target == op) == 2


def test_nonfinite_values_and_gradients_are_red_when_asked():
    x, z = Value(0.0, name="x"), Value(-1.0, name="z")
    y = x.sqrt() + z.log()  # sqrt'(0) = inf for x; log(-1) = nan in the data; z's grad is -1
    y.name = "y"
    y.backward()
    nodes, _ = statements(draw_graph(y).source)
    x_line, z_line, y_line = (nodes[find(nodes, f"<B>{n}</B>")] for n in ("x", "z", "y"))
    assert f'color="{RED}"' in x_line and f'<FONT COLOR="{RED}">grad inf</FONT>' in x_line
    assert f'<FONT COLOR="{RED}">data nan</FONT>' in y_line and f'color="{RED}"' in y_line
    assert RED not in z_line and "grad -1" in z_line
    assert "NaN or Inf" in nodes["legend"]
    plain, _ = statements(draw_graph(y, highlight_nonfinite=False).source)
    assert not any(f'color="{RED}"' in line for n, line in plain.items() if n != "legend")


def test_nonfinite_tensor_elements_are_counted():
    x = Tensor(np.array([1.0, 0.0, -1.0, 4.0, 9.0]), requires_grad=True, name="x")
    with np.errstate(divide="ignore", invalid="ignore"):
        y = ag.log(x)
        y.backward(np.ones(5))
    nodes, _ = statements(draw_graph(y).source)
    label = label_of(nodes, value_ids(nodes)[-1])
    assert "1 nan, 1 inf" in label and RED in label


def test_zero_gradients_are_dashed_when_asked():
    a, b = Value(0.0, name="a"), Value(5.0, name="b")
    y = a * b
    y.backward()  # dy/db = a = 0
    nodes, _ = statements(draw_graph(y).source)
    assert "dashed" in nodes[find(nodes, "<B>b</B>")]
    assert "dashed" not in nodes[find(nodes, "<B>a</B>")]
    plain, _ = statements(draw_graph(y, highlight_zero_grad=False).source)
    assert "dashed" not in plain[find(plain, "<B>b</B>")]


def test_show_data_and_show_grad_switch_lines_off():
    o = neuron()
    source = draw_graph(o, show_data=False, show_grad=False, legend=False).source
    assert "data " not in source and "grad " not in source
    assert "<B>x1</B>" in source


def test_several_outputs_share_their_common_part():
    x = Value(1.5, name="x")
    shared = x.exp()
    a, b = shared * 2, shared + 1
    nodes, edges = statements(draw_graph([a, b], legend=False).source)
    assert len(value_ids(nodes)) == 4  # x, exp, a, b: the shared exp is drawn once
    outputs = [n for n in value_ids(nodes) if "penwidth=2" in nodes[n]]
    assert len(outputs) == 2
    exp_id = value_ids(nodes)[1]
    assert sum(1 for tail, _ in edges if tail == exp_id) == 2


def test_names_and_op_names_are_escaped():
    weird = ag.primitive(lambda x: x * 2.0)  # its op is called "<lambda>"
    weird.defvjp(lambda g, ans, x: g * 2.0)
    x = Tensor([1.0, 2.0], requires_grad=True, name='a<b & "c">')
    source = draw_graph(weird(x)).source
    assert "&lt;lambda&gt;" in source and "a&lt;b &amp;" in source
    assert "<lambda>" not in source


# ---------------------------------------------------------------------- tensor graphs
def test_tensor_labels_show_dtype_shape_preview_and_gradients():
    x = Tensor(np.arange(12, dtype=np.float64).reshape(3, 4), name="x")
    w = Tensor(np.full((4, 2), 0.05), requires_grad=True, name="w")
    h = ag.tanh(x @ w).retain_grad()
    loss = (h * 2).sum()
    loss.backward()
    nodes, edges = statements(draw_graph(loss, legend=False).source)
    assert len(op_ids(nodes)) == 4  # matmul, tanh, multiply, sum
    x_label = label_of(nodes, find(nodes, "<B>x</B>"))
    assert "float64 (3, 4)" in x_label and "data [0, 1, 2, …]" in x_label
    assert "grad" not in x_label  # an input without grad
    expected = x.data.T @ (2 * (1 - np.tanh(x.data @ w.data) ** 2))  # chain rule by hand
    preview = ", ".join(f"{g:.4g}" for g in expected.reshape(-1)[:3])
    assert f"grad [{preview}, …]" in label_of(nodes, find(nodes, "<B>w</B>"))
    h_id = find(nodes, "label=<tanh>")[:-len("_op")]
    assert "grad [2, 2, 2, …]" in label_of(nodes, h_id)  # retained: d(sum(2h))/dh = 2
    matmul_id = find(nodes, "label=<matmul>")[:-len("_op")]
    assert "grad" not in label_of(nodes, matmul_id)  # interior, not retained
    assert (matmul_id, f"{h_id}_op") in edges
    assert "float64 scalar" in label_of(nodes, value_ids(nodes)[-1])


def test_retained_interior_gradient_is_shown():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h ** 2).sum().backward()
    nodes, _ = statements(draw_graph(h ** 2, legend=False).source)
    # a fresh (h ** 2) output, but h is the same object: its gradient 2 * h = [6, -12, 18]
    assert "grad [6, -12, 18]" in label_of(nodes, value_ids(nodes)[1])


def test_create_graph_gradients_are_drawn_as_numbers():
    x = Tensor([2.0], requires_grad=True, name="x")
    (x ** 3).sum().backward(create_graph=True)
    assert isinstance(x.grad, Tensor)
    nodes, _ = statements(draw_graph(x.grad, legend=False).source)
    assert len(value_ids(nodes)) > 1
    assert "data [12]" in label_of(nodes, value_ids(nodes)[-1])


def test_released_graph_draws_the_same_structure():
    def build():
        w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="w")
        return ag.relu(w @ w - 5.0).sum()

    before = build()
    loss = build()
    loss.backward()  # frees the saved buffers, keeps op and inputs
    with pytest.raises(ag.GraphReleasedError):
        loss.backward()
    options = {"show_grad": False, "highlight_zero_grad": False}
    assert draw_graph(loss, **options).source == draw_graph(before, **options).source
    assert "grad [" in draw_graph(loss).source


def test_same_graph_gives_the_same_dot_text():
    def build():
        x = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), name="x")
        w = Tensor(np.ones((3, 3)), requires_grad=True, name="w")
        h = ag.relu(x @ w)
        return (h * h + ag.exp(h)).mean()

    first, second = draw_graph(build()).source, draw_graph(build()).source
    assert first == second
    assert "0x" not in first  # no memory addresses
    assert draw_graph(build(), rankdir="TB").source != first


def test_bad_arguments_are_reported():
    x = Value(1.0)
    with pytest.raises(TypeError, match="Value or Tensor"):
        draw_graph(3.0)
    with pytest.raises(ValueError, match="empty"):
        draw_graph([])
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(x, rankdir="up")
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(x, max_nodes=0)
    with pytest.raises(ValueError, match="depth"):
        draw_graph(x, depth=-1)
    with pytest.raises(TypeError, match="named_parameters"):
        draw_graph(x, model=object())


# ---------------------------------------------------------------------- scale and the node budget
def test_hundred_thousand_op_chain_draws_with_a_counted_summary():
    x = Value(0.5, name="x")
    y = x
    for _ in range(100_000):
        y = y * 1.00001
    graph = draw_graph(y)  # no RecursionError
    nodes, edges = statements(graph.source)
    assert "99,998 more multiply ops" in graph.source
    assert "3 of 100,001 values drawn" in graph.source
    assert value_ids(nodes) == ["n0", "n1", "n100000"]
    summary = find(nodes, "more multiply ops")
    assert ("n1", summary) in edges and (summary, "n100000_op") in edges
    assert len(nodes) < 20


def test_chains_of_mixed_ops_fold_with_a_count_per_op():
    x, w = Value(0.3, name="x"), Value(0.9, name="w")
    y = x
    for _ in range(1000):
        y = (y * w).tanh()
    source = draw_graph(y, max_nodes=30).source
    nodes, edges = statements(source)
    assert "1,998 more ops" in source and "multiply 999" in source and "tanh 999" in source
    assert len(value_ids(nodes)) <= 30
    summary = find(nodes, "more ops")
    w_id = find(nodes, "<B>w</B>")
    assert (w_id, summary) in edges  # w feeds the folded ops too


def test_overflow_box_counts_everything_it_hides():
    leaves = [Value(float(i), name=f"a{i}") for i in range(300)]
    products = [leaves[i] * leaves[(i + 1) % 300] for i in range(300)]
    total = Value.sum(products)
    graph = draw_graph(total, max_nodes=50)
    nodes, edges = statements(graph.source)
    drawn = len(value_ids(nodes))
    assert drawn == 49  # plus the overflow box: 50 boxes
    hidden = re.search(r"… (\d+(?:,\d{3})*) more values not drawn", graph.source).group(1)
    hidden = int(hidden.replace(",", ""))
    assert drawn + hidden == 601
    shown_muls = sum(1 for line in nodes.values() if "label=<multiply>" in line)
    hidden_muls = int(re.search(r"multiply (\d+(?:,\d{3})*)", graph.source).group(1).replace(",", ""))
    assert hidden_muls == 300 - shown_muls
    assert f"49 of 601 values drawn" in graph.source
    summary = find(nodes, "more values not drawn")
    assert any(head.endswith("_op") for tail, head in edges if tail == summary)


def test_no_budget_draws_everything():
    leaves = [Value(float(i)) for i in range(300)]
    nodes, _ = statements(draw_graph(Value.sum(leaves), max_nodes=None).source)
    assert len(value_ids(nodes)) == 301


# ---------------------------------------------------------------------- module clusters
def scoped_graph():
    """x -> enc (two nested blocks) -> head, labelled with scopes as nn modules do."""
    x = Tensor(np.ones((2, 3)), name="x")
    w1 = Tensor(np.full((3, 3), 0.1), requires_grad=True, name="w1")
    w2 = Tensor(np.full((3, 1), 0.2), requires_grad=True, name="w2")
    with ag.scope("enc"):
        with ag.scope("0"):
            h = x @ w1
        with ag.scope("1"):
            h = ag.relu(h)
    with ag.scope("head"):
        out = h @ w2
    return out.sum()


def test_scoped_ops_are_clustered_by_module_path():
    source = draw_graph(scoped_graph(), legend=False).source
    nodes, _ = statements(source)
    members, parents = clusters(source)
    assert set(members) == {"cluster_enc", "cluster_enc.0", "cluster_enc.1", "cluster_head"}
    assert parents["cluster_enc.0"] == parents["cluster_enc.1"] == "cluster_enc"
    assert parents["cluster_enc"] is None and parents["cluster_head"] is None
    w1, w2, x = (find(nodes, f"<B>{n}</B>") for n in ("w1", "w2", "x"))
    assert w1 in members["cluster_enc.0"]  # used only inside enc.0
    assert w2 in members["cluster_head"]
    assert x not in sum(members.values(), [])  # inputs stay outside
    first, second = (n for n, line in nodes.items() if "label=<matmul>" in line)
    assert first in members["cluster_enc.0"] and first[:-3] in members["cluster_enc.0"]
    assert second in members["cluster_head"] and second[:-3] in members["cluster_head"]
    assert find(nodes, "label=<relu>") in members["cluster_enc.1"]
    assert 'label="enc.1"' in source


def test_depth_collapses_deeper_modules_into_boxes():
    source = draw_graph(scoped_graph(), depth=0, legend=False).source
    nodes, edges = statements(source)
    boxes = [n for n, line in nodes.items() if "box3d" in line]
    assert len(boxes) == 2
    enc = find(nodes, "<B>enc</B>")
    assert "2 ops, 1 parameter (9 numbers)" in nodes[enc] and "out float64 (2, 3)" in nodes[enc]
    x = find(nodes, "<B>x</B>")
    head = find(nodes, "<B>head</B>")
    assert (x, enc) in edges and (enc, head) in edges
    assert "relu" not in source and "cluster" not in source
    assert "values drawn" not in source  # depth is asked for, not a budget note

    nested = draw_graph(scoped_graph(), depth=1, legend=False).source
    members, _ = clusters(nested)
    assert set(members) == {"cluster_enc", "cluster_head"}  # head is top level: drawn in full
    assert len([n for n in members["cluster_enc"] if n.startswith("s")]) == 2  # enc.0, enc.1


# ---------------------------------------------------------------------- rendering
@needs_dot
def test_render_writes_real_png_and_svg(tmp_path):
    graph = draw_graph(neuron(), title="neuron")
    png = render(graph, tmp_path / "neuron.png")
    width, height = png_size(png)
    assert width > 50 and height > 50
    svg = render(graph, tmp_path / "picture", format="svg")
    root = svg_root(svg)
    assert "x1" in ET.tostring(root, encoding="unicode")
    pdf = render(graph, tmp_path / "neuron.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["neuron.pdf", "neuron.png", "picture"]


@needs_dot
def test_clustered_and_summarized_graphs_render(tmp_path):
    x = Value(0.5)
    for _ in range(1000):
        x = x * 1.001
    svg_root(render(draw_graph(x), tmp_path / "chain.svg"))
    svg_root(render(draw_graph(scoped_graph(), depth=1), tmp_path / "scoped.svg"))


@needs_dot
def test_jupyter_display_gives_svg():
    bundle = draw_graph(neuron())._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert "<svg" in draw_graph(neuron())._repr_svg_()


def test_dot_format_needs_no_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot program anywhere
    graph = draw_graph(neuron())
    path = render(graph, tmp_path / "neuron.dot")
    assert path.read_text(encoding="utf-8") == graph.source


def test_missing_dot_raises_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    graph = draw_graph(neuron())
    assert graph.source.startswith("digraph")  # building still works
    with pytest.raises(GraphvizNotFoundError) as caught:
        render(graph, tmp_path / "neuron.png")
    message = str(caught.value)
    for hint in ("apt-get install graphviz", "brew install graphviz", "conda install",
                 "winget install graphviz", "graph.source"):
        assert hint in message
    assert isinstance(caught.value, graphviz.ExecutableNotFound)
    assert not (tmp_path / "neuron.png").exists()
    with pytest.raises(GraphvizNotFoundError):
        graph.pipe(format="svg")
    with pytest.raises(GraphvizNotFoundError):
        graph._repr_mimebundle_()


def test_render_rejects_unknown_formats_and_objects(tmp_path):
    graph = draw_graph(Value(1.0))
    with pytest.raises(ValueError, match="format"):
        render(graph, tmp_path / "g.gif", format="gif")
    with pytest.raises(TypeError, match="graphviz graph"):
        render("digraph {}", tmp_path / "g.svg")


@needs_dot
def test_titles_with_markup_characters_render(tmp_path):
    graph = draw_graph(Value(1.0, name="<a>"), title='<b> & "c"')
    assert graph.source.startswith('digraph "<b> & \\"c\\"" {')
    svg_root(render(graph, tmp_path / "title.svg"))
