"""Draw a computation graph as an image: a small neuron, or a saved model's training graph.

Without ``--model`` the drawing is the classic neuron ``tanh(x1*w1 + x2*w2 + b)`` after
``backward()``, every value showing its data and gradient. With ``--model PATH`` (a file written
by ``Model.save``) a small batch of made-up inputs runs through the model and, when the file holds
a compiled loss, through the loss too; the graph is drawn clustered by layer, with the gradients
of one ``backward()``. ``--architecture`` draws the model's layers instead (one box per layer).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from .arguments import non_negative_int, positive_int

__all__ = ["add_arguments", "run", "model_graph"]

FORMATS = ("png", "svg", "pdf", "dot")
RANKDIRS = ("LR", "TB", "RL", "BT")
PREVIEW_BATCH = 4


def _shape(text: str) -> tuple:
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        shape = ()
    if not shape or any(n < 1 for n in shape):
        raise argparse.ArgumentTypeError(
            f"expected one sample's shape as positive integers, e.g. 784 or 1,28,28; got {text!r}")
    return shape


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the ``graph`` command's options on ``parser``."""
    parser.add_argument("--model", metavar="PATH",
                        help="a model file written by Model.save (default: the neuron example)")
    parser.add_argument("--output", "-o", metavar="FILE",
                        help="the file to write (default: graph.<format>)")
    parser.add_argument("--format", choices=FORMATS,
                        help="image format; 'dot' writes the DOT text and needs no Graphviz "
                             "(default: from --output's suffix, else png)")
    parser.add_argument("--rankdir", choices=RANKDIRS,
                        help="layout direction: LR (left to right), TB, RL or BT (default: LR "
                             "for graphs, TB for --architecture)")
    parser.add_argument("--max-nodes", type=positive_int, default=200,
                        help="the most boxes drawn; the rest is folded into counted summary "
                             "boxes (default: 200)")
    parser.add_argument("--depth", type=non_negative_int, default=None,
                        help="draw modules nested deeper than this as one box each "
                             "(0: one box per layer; default: every op)")
    parser.add_argument("--input-shape", type=_shape, metavar="SHAPE",
                        help="one sample's shape for --model, e.g. 784 or 1,28,28 "
                             "(default: the shape saved with the model)")
    parser.add_argument("--architecture", action="store_true",
                        help="with --model: draw the layers (one box each) instead of the graph")
    parser.add_argument("--title", help="a caption above the drawing")


def run(args: argparse.Namespace) -> int:
    """Build the requested drawing and write it; returns the exit status."""
    from autograd.viz import GraphvizNotFoundError, draw_graph, render

    output, fmt = _output_and_format(args.output, args.format)
    try:
        if args.model is None:
            if args.architecture:
                raise _UsageError("--architecture needs --model PATH")
            from autograd.viz.examples import neuron

            graph = draw_graph(neuron(), rankdir=args.rankdir or "LR", max_nodes=args.max_nodes,
                               title=args.title or "o = tanh(x1*w1 + x2*w2 + b)")
        else:
            model = _load(args.model)
            if args.architecture:
                from ..architecture import plot_model

                graph = plot_model(model, args.input_shape, title=args.title,
                                   rankdir=args.rankdir or "TB")
            else:
                out = model_graph(model, args.input_shape)
                graph = draw_graph(out, model=model, rankdir=args.rankdir or "LR",
                                   max_nodes=args.max_nodes, depth=args.depth,
                                   title=args.title or Path(args.model).name)
        written = render(graph, output, format=fmt)
    except GraphvizNotFoundError as error:
        print(f"lucidgrad graph: {error}\n(or write the DOT text instead: --format dot)",
              file=sys.stderr)
        return 1
    except (_UsageError, OSError, ValueError, TypeError) as error:
        print(f"lucidgrad graph: error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {written}")
    return 0


class _UsageError(Exception):
    """A problem with the command line itself."""


def _output_and_format(output, fmt):
    if output is None:
        return Path(f"graph.{fmt or 'png'}"), fmt or "png"
    output = Path(output)
    if fmt is None:
        suffix = output.suffix[1:].lower()
        fmt = suffix if suffix in FORMATS else "png"
    return output, fmt


def _load(path):
    """``nn.load_model(path)``, with a clear message when the file is missing."""
    if not Path(path).is_file():
        raise _UsageError(f"no model file at {path}")
    try:
        from ..serialization import load_model
    except ImportError:
        raise _UsageError("this lucidgrad cannot read model files (nn.serialization.load_model "
                          "is missing)") from None
    return load_model(path)


def model_graph(model, input_shape=None, batch=PREVIEW_BATCH, seed=0):
    """Run ``batch`` made-up samples through ``model`` (and its compiled loss, if any) in training
    mode, call ``backward()`` and return the output to draw: the loss, else the predictions.

    The inputs are uniform in [0, 1) from a fixed ``seed``; the targets are one-hot class 0
    (or label 0 for losses that take integer labels).
    """
    from autograd import Tensor

    shape = _sample_shape(model, input_shape)
    dtype = next((p.data.dtype for p in model.parameters()), np.dtype(np.float32))
    rng = np.random.default_rng(seed)
    x = Tensor(rng.random((batch,) + shape).astype(dtype), name="x")
    model.train()
    prediction = model(x)
    out = _loss_or_none(model, prediction)
    if out is None:
        out = prediction
        out.backward(np.ones_like(out.data))
    else:
        out.backward()
    return out


def _sample_shape(model, input_shape):
    if input_shape is not None:
        return tuple(input_shape)
    known = getattr(model, "_input_shape", None)
    if known is None:
        known = next((m.declared_input_shape for m in model.modules()
                      if getattr(m, "declared_input_shape", None) is not None), None)
    if known is None:
        raise _UsageError("the model file does not say what its inputs look like; "
                          "pass --input-shape (one sample's shape, e.g. 784)")
    return tuple(known)


def _loss_or_none(model, prediction):
    """The compiled loss on made-up targets, or None when the model has no (usable) loss."""
    loss = getattr(model, "loss", None)
    if not callable(loss) or prediction.ndim < 1:
        return None
    one_hot = np.zeros(prediction.shape, dtype=prediction.dtype)
    one_hot[..., 0] = 1
    labels = np.zeros(prediction.shape[:1], dtype=np.int64)
    for targets in (one_hot, labels):
        try:
            return loss(targets, prediction)
        except (ValueError, TypeError):
            continue
    return None
