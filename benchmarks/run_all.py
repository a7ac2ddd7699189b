"""Run every benchmark workload and print one table: ours, the numpy floor, and the peers that
happen to be installed (PyTorch, micrograd), with medians and ratios.

    python benchmarks/run_all.py            # full run (several minutes; MNIST needs LUCIDGRAD_DATA)
    python benchmarks/run_all.py --quick    # a smaller version of every workload

Run with the same thread settings for every implementation (see ``benchmarks/harness.py``).
Each workload module runs in a fresh Python process, so what one leaves behind (the million-op
chain leaves a large, fragmented heap) cannot slow down the next.
"""
import argparse
import importlib
import json
import subprocess
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
    "benchmarks.mlp_loop",
    "benchmarks.mnist_epoch",
    "benchmarks.lenet_step",
    "benchmarks.transformer_step",
    "benchmarks.recurrent_step",
]


_ROWS_MARK = "ROWS "


def run_child(name, quick):
    """In this process: run one module's ``collect`` and print its rows as one JSON line."""
    table = Table()
    try:
        importlib.import_module(name).collect(table, quick=quick)
    except Exception as error:  # a missing dataset or peer: one line, not a traceback
        print(f"{type(error).__name__}: {error}")
        sys.exit(1)
    print(_ROWS_MARK + json.dumps(table.rows), flush=True)


def run_isolated(name, quick, table):
    """Run module ``name`` in a fresh process; add its rows to ``table``. Returns an error
    message, or None on success (then the child's own output is passed through)."""
    command = [sys.executable, __file__, "--child", name] + (["--quick"] if quick else [])
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = result.stdout.splitlines()
    rows = [json.loads(line[len(_ROWS_MARK):]) for line in lines if line.startswith(_ROWS_MARK)]
    if result.returncode != 0 or not rows:
        return (lines or ["no output"])[-1]
    print("\n".join(line for line in lines if not line.startswith(_ROWS_MARK)))
    for row in rows[0]:
        table.add(*row)
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--only", nargs="*", default=None,
                        help="module names to run (e.g. tensor_ops mnist_epoch)")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: run one module here
    args = parser.parse_args(argv)
    if args.child:
        run_child(args.child, args.quick)
        return
    print_header("lucidgrad benchmarks" + (" (quick)" if args.quick else ""))
    table = Table()
    for name in MODULES:
        short = name.rsplit(".", 1)[1]
        if args.only is not None and short not in args.only:
            continue
        start = time.perf_counter()
        # a missing dataset or peer skips one workload, not the run
        error = run_isolated(name, args.quick, table)
        if error is not None:
            print(f"[{short}] skipped: {error}")
            continue
        print(f"[{short}] done in {time.perf_counter() - start:.1f} s")
    print()
    table.print()


if __name__ == "__main__":
    main()
