"""Reproduce the accuracy table of the README by running ``lucidgrad train`` for each row.

    python examples/reproduce_results.py                 # every row (MLP rows take seconds each,
                                                         # the convnet and LSTM rows minutes)
    python examples/reproduce_results.py --only mlp      # rows whose name contains "mlp"
    python examples/reproduce_results.py --recipe-seeds 10   # the seed recipe on seeds 0-9,
                                                             # with their mean and spread

Needs the datasets (``LUCIDGRAD_DATA`` or the download cache). Prints each command, its test
accuracy and time, then a Markdown table.
"""
import argparse
import re
import statistics
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
    ("mnist cnn", "--dataset mnist --model cnn"),
    ("fashion-mnist cnn", "--dataset fashion-mnist --model cnn"),
    ("sequential mnist lstm", "--dataset mnist --model lstm"),
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


def recipe_over_seeds(count, output_root):
    """Run the seed recipe on MNIST with seeds 0..count-1; print each accuracy, then the mean,
    the sample standard deviation and the range."""
    accuracies = []
    for seed in range(count):
        arguments = f"--dataset mnist --seed {seed}"
        accuracy, seconds = run(arguments, Path(output_root) / f"recipe-seed-{seed}")
        print(f"lucidgrad train {arguments} -> test accuracy {accuracy:.4f} ({seconds:.0f} s)", flush=True)
        accuracies.append(accuracy)
    mean = statistics.fmean(accuracies)
    spread = statistics.stdev(accuracies) if count > 1 else 0.0
    print(f"\nseed recipe over seeds 0-{count - 1}: mean {mean:.2%}, standard deviation "
          f"{spread:.2%}, range {min(accuracies):.2%} to {max(accuracies):.2%}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only rows whose name contains this text")
    parser.add_argument("--output-root", default="runs/results", help="where the models are saved")
    parser.add_argument("--recipe-seeds", type=int, default=None, metavar="N",
                        help="instead of the table, run the seed recipe on seeds 0..N-1")
    args = parser.parse_args(argv)
    if args.recipe_seeds is not None:
        if args.recipe_seeds < 1:
            parser.error("--recipe-seeds needs at least 1")
        recipe_over_seeds(args.recipe_seeds, args.output_root)
        return
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
