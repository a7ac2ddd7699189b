"""Shared helpers for the benchmark scripts: timing, result tables and environment headers.

Thread counts matter more than anything else on a small machine. numpy's BLAS reads its thread
count from the environment once, when numpy is imported, so it cannot be changed from inside a
script. Run every benchmark with the same settings for all implementations, for example::

    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 python benchmarks/mnist_baselines.py

and compare only numbers printed under the same header. PyTorch's intra-op thread count can be set
at run time, which is what `set_threads` does.
"""

from __future__ import annotations

import importlib
import os
import platform
import statistics
import time
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def time_call(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> list[float]:
    """Call `fn` `warmup` times untimed, then `repeat` times; return each timed call's seconds."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def alternate(blocks: dict[str, Callable[[], T]], rounds: int) -> dict[str, list[T]]:
    """Call every block once per round, taking turns, so that a change in the machine's load falls
    on all of them alike; return each block's results in order, by name."""
    results: dict[str, list[T]] = {name: [] for name in blocks}
    for _ in range(rounds):
        for name, block in blocks.items():
            results[name].append(block())
    return results


def median(values: Sequence[float]) -> float:
    """Return the median of a non-empty sequence of numbers."""
    if not values:
        raise ValueError("median of an empty sequence")
    return statistics.median(values)


def optional_import(name: str):
    """Import and return module `name`, or None when it is not installed."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def set_threads(n: int) -> None:
    """Use `n` intra-op threads in PyTorch when it is installed; numpy's are fixed at import."""
    torch = optional_import("torch")
    if torch is not None:
        torch.set_num_threads(n)


def default_threads() -> int:
    """Thread count to use by default: OMP_NUM_THREADS when set, else the number of CPUs."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    return int(value) if value.isdigit() and int(value) > 0 else (os.cpu_count() or 1)


def thread_environment(threads: int) -> dict[str, str]:
    """This process's environment with every thread-count variable set to `threads`: for a child
    process, since numpy's BLAS reads them only when it is imported."""
    return dict(os.environ, **{name: str(threads) for name in THREAD_VARIABLES})


def thread_settings() -> dict[str, str]:
    """Return the thread-count environment variables, with "unset" for missing ones."""
    return {name: os.environ.get(name, "unset") for name in THREAD_VARIABLES}


def _numpy_blas_description(numpy) -> str:
    """Name and version of the BLAS numpy was built against, or "unknown"."""
    try:
        config = numpy.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        return f"{blas.get('name', '?')} {blas.get('version', '?')}"
    except Exception:  # older numpy or an unusual build: the header is informational only
        return "unknown"


def print_header(title: str) -> None:
    """Print the title, library versions and every thread setting that affects timings."""
    import numpy

    print(f"== {title} ==")
    print(f"python {platform.python_version()}, numpy {numpy.__version__} "
          f"(BLAS: {_numpy_blas_description(numpy)})")
    torch = optional_import("torch")
    if torch is None:
        print("torch: not installed")
    else:
        print(f"torch {torch.__version__}, intra-op threads {torch.get_num_threads()}")
    env = ", ".join(f"{name}={value}" for name, value in thread_settings().items())
    print(f"cpus {os.cpu_count()}; {env}")
    threadpoolctl = optional_import("threadpoolctl")
    if threadpoolctl is not None:  # reports the thread counts the native libraries really use
        pools = ", ".join(f"{pool['internal_api']}={pool['num_threads']}"
                          for pool in threadpoolctl.threadpool_info())
        print(f"native thread pools: {pools}")
    print()


def format_seconds(seconds: float) -> str:
    """Render a duration with a unit that keeps three significant digits readable."""
    if seconds >= 1.0:
        return f"{seconds:.3f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.1f} us"


class Table:
    """Collects timing rows and prints them aligned, each with its ratio to the workload's baseline.

    The baseline of a workload is the row added with `baseline=True`, or else its first row.
    """

    COLUMNS = ("workload", "impl", "median", "ratio vs baseline")

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, float, bool]] = []

    def add(self, workload: str, impl: str, seconds: float, baseline: bool = False) -> None:
        """Record the median `seconds` of implementation `impl` on `workload`."""
        self.rows.append((workload, impl, seconds, baseline))

    def baseline_seconds(self, workload: str) -> float:
        """Seconds of the baseline row of `workload`."""
        rows = [row for row in self.rows if row[0] == workload]
        marked = [row for row in rows if row[3]]
        return (marked or rows)[0][2]

    def lines(self) -> list[str]:
        """The table as aligned text lines, header first."""
        cells = [self.COLUMNS]
        for workload, impl, seconds, _ in self.rows:
            ratio = seconds / self.baseline_seconds(workload)
            cells.append((workload, impl, format_seconds(seconds), f"{ratio:.2f}x"))
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.COLUMNS))]
        rendered = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
                    for row in cells]
        rendered.insert(1, "-+-".join("-" * width for width in widths))
        return rendered

    def print(self) -> None:
        """Print the table."""
        print("\n".join(self.lines()))
