"""Export the models ``lucidgrad train`` makes to ONNX and compare their MNIST test accuracy in
lucidgrad and in ONNX Runtime.

    python examples/onnx_accuracy.py                     # the seed MLP and the LeNet-style CNN
    python examples/onnx_accuracy.py --models cnn --model-dir runs   # models already trained
    python examples/onnx_accuracy.py --epochs 1          # train shorter where a model is missing

For each model it uses ``<model-dir>/mnist-<model>/model.npz`` (training it first with
``lucidgrad train --model <model>`` when the file is missing), exports it with
``lucidgrad export`` (which checks the export in ONNX Runtime), then classifies the 10,000 test
images with both engines and prints the two accuracies, how many predictions differ and the
largest difference between the predicted probabilities. Needs the MNIST files
(``LUCIDGRAD_DATA`` or the download cache) and ``pip install "lucidgrad[export]"``.
"""
import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import nn  # noqa: E402
from nn.data import load_mnist  # noqa: E402


def lucidgrad(*arguments):
    """Run one ``lucidgrad`` command in a fresh process; stop with its output if it fails."""
    command = [sys.executable, "-m", "nn", *map(str, arguments)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return result.stdout


def onnx_probabilities(path, x, batch_size=1000):
    """The ONNX model's outputs for ``x``, run by ONNX Runtime in batches."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + batch_size]})[0]
                           for i in range(0, len(x), batch_size)])


def compare(model_name, model_dir, epochs, x_test, labels):
    folder = Path(model_dir) / f"mnist-{model_name}"
    model_file = folder / "model.npz"
    if not model_file.exists():
        extra = [] if epochs is None else ["--epochs", epochs]
        print(f"training {model_name} ({'default epochs' if epochs is None else f'{epochs} epochs'})...")
        start = time.perf_counter()
        lucidgrad("train", "--dataset", "mnist", "--model", model_name, "--quiet",
                  "--output-dir", folder, *extra)
        print(f"  trained in {time.perf_counter() - start:.0f} s")
    onnx_file = folder / "model.onnx"
    print(lucidgrad("export", model_file, onnx_file).strip())

    model = nn.load_model(model_file)
    x = x_test.reshape((-1,) + tuple(model._input_shape)).astype(np.float32) / np.float32(255)
    ours = model.predict(x, batch_size=1000)
    theirs = onnx_probabilities(onnx_file, x)
    ours_accuracy = float(np.mean(ours.argmax(axis=1) == labels))
    theirs_accuracy = float(np.mean(theirs.argmax(axis=1) == labels))
    differ = int(np.sum(ours.argmax(axis=1) != theirs.argmax(axis=1)))
    gap = float(np.max(np.abs(ours - theirs)))
    print(f"{model_name}: test accuracy {ours_accuracy:.2%} in lucidgrad, {theirs_accuracy:.2%} in "
          f"ONNX Runtime; {differ} of {len(labels)} predictions differ; largest probability "
          f"difference {gap:.2g}")
    return ours_accuracy, theirs_accuracy


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["mlp", "cnn"], choices=["mlp", "cnn"])
    parser.add_argument("--model-dir", default="runs",
                        help="where the trained models are (or go): <dir>/mnist-<model>/model.npz")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs for a model that must be trained (default: the model's own)")
    args = parser.parse_args()
    (_, _), (x_test, labels) = load_mnist()
    results = {name: compare(name, args.model_dir, args.epochs, x_test, labels) for name in args.models}
    if any(abs(a - b) > 0 for a, b in results.values()):
        raise SystemExit("the accuracies differ")


if __name__ == "__main__":
    main()
