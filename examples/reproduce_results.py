"""Reproduce the accuracy table of the README by running ``lucidgrad train`` for each row.

    python examples/reproduce_results.py                 # every row (MLP rows take seconds each,
                                                         # the convnet rows several minutes)
    python examples/reproduce_results.py --only mlp      # rows whose name contains "mlp"

Needs the datasets (``LUCIDGRAD_DATA`` or the download cache). Prints each command, its test
accuracy and time, then a Markdown table.
"""
import argparse
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# (row name, train arguments)
RUNS = [
    ("mnist mlp rmsprop seed 0", "--dataset mnist --seed 0"),
    ("mnist mlp rmsprop seed 1", "--dataset mnist --seed 1"),
    ("mnist mlp rmsprop seed 2", "--dataset mnist --seed 2"),
    ("mnist mlp sgd momentum", "--dataset mnist --optimizer sgd --lr 0.05 --momentum 0.9"),
    ("mnist mlp adam", "--dataset mnist --optimizer adam"),
    ("fashion-mnist mlp rmsprop", "--dataset fashion-mnist --epochs 20"),
    ("mnist cnn", "--dataset mnist --model cnn --optimizer adam --epochs 8"),
    ("fashion-mnist cnn", "--dataset fashion-mnist --model cnn --optimizer adam --epochs 10"),
]


def run(arguments, output_dir):
    """Run one training command; returns (test accuracy, seconds)."""
    command = [sys.executable, "-m", "nn", "train", *arguments.split(), "--quiet",
               "--output-dir", str(output_dir)]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr}")
    match = re.search(r"Test accuracy: ([0-9.]+)", result.stdout)
    return float(match.group(1)), seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only rows whose name contains this text")
    parser.add_argument("--output-root", default="runs/results", help="where the models are saved")
    args = parser.parse_args(argv)
    rows = []
    for name, arguments in RUNS:
        if args.only not in name:
            continue
        accuracy, seconds = run(arguments, Path(args.output_root) / name.replace(" ", "-"))
        print(f"{name}: lucidgrad train {arguments} -> test accuracy {accuracy:.4f} ({seconds:.0f} s)",
              flush=True)
        rows.append((name, arguments, accuracy, seconds))
    print("\n| run | command | test accuracy | time |\n|---|---|---|---|")
    for name, arguments, accuracy, seconds in rows:
        print(f"| {name} | `lucidgrad train {arguments}` | {accuracy:.2%} | {seconds:.0f} s |")


if __name__ == "__main__":
    main()
