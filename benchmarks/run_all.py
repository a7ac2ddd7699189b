"""Run every benchmark workload and print one table: ours, the numpy floor, and the peers that
happen to be installed (PyTorch, micrograd), with medians and ratios.

    python benchmarks/run_all.py            # full run (several minutes; MNIST needs LUCIDGRAD_DATA)
    python benchmarks/run_all.py --quick    # a smaller version of every workload

Run with the same thread settings for every implementation (see ``benchmarks/harness.py``).
"""
import argparse
import importlib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import Table, print_header  # noqa: E402

# Each module exposes ``collect(table, quick=False)`` that adds its rows.
MODULES = [
    "benchmarks.scalar_engine",
    "benchmarks.tensor_ops",
    "benchmarks.optim_step",
    "benchmarks.mnist_epoch",
    "benchmarks.lenet_step",
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--only", nargs="*", default=None,
                        help="module names to run (e.g. tensor_ops mnist_epoch)")
    args = parser.parse_args(argv)
    print_header("lucidgrad benchmarks" + (" (quick)" if args.quick else ""))
    table = Table()
    for name in MODULES:
        short = name.rsplit(".", 1)[1]
        if args.only is not None and short not in args.only:
            continue
        module = importlib.import_module(name)
        start = time.perf_counter()
        try:
            module.collect(table, quick=args.quick)
        except Exception as error:  # a missing dataset or peer skips one workload, not the run
            print(f"[{short}] skipped: {type(error).__name__}: {error}")
            continue
        print(f"[{short}] done in {time.perf_counter() - start:.1f} s")
    print()
    table.print()


if __name__ == "__main__":
    main()
