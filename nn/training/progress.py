"""Keras-like progress output for ``fit`` and ``evaluate``.

``verbose=1``: a tqdm bar per epoch whose postfix shows the running loss and metrics (refreshed
at most every 0.1 s, so the bar costs well under a microsecond per batch), replaced at the end of
the epoch by one summary line; ``verbose=2``: only the summary lines; ``verbose=0``: nothing.

A bar needs a terminal (or a Jupyter kernel) to redraw itself in place. When the output is a
file or a pipe, ``verbose=1`` prints only the summary lines, one per epoch, as ``verbose=2``
does, instead of hundreds of carriage-return frames (Keras does the same).
"""

from __future__ import annotations

import sys
import time
from typing import Callable, Mapping

from tqdm import tqdm

__all__ = ["ProgressReporter", "format_logs", "format_value", "plural", "redraws_in_place"]

REFRESH_SECONDS = 0.1


def format_value(value: object) -> str:
    """A logged number as Keras prints it: 4 decimals, or 4 significant digits when tiny."""
    if isinstance(value, float) or hasattr(value, "dtype"):
        value = float(value)
        if value != 0.0 and abs(value) < 1e-3:
            return f"{value:.4e}"
        return f"{value:.4f}"
    return str(value)


def format_logs(logs: Mapping[str, object], separator: str = " - ") -> str:
    """``name: value`` pairs joined by ``separator``."""
    return separator.join(f"{name}: {format_value(value)}" for name, value in logs.items())


def plural(count: int, noun: str) -> str:
    """``'1 epoch'``, ``'5 epochs'``: a count with its noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_duration(seconds: float) -> str:
    """Seconds as ``12s`` (or ``0.42s`` under ten seconds)."""
    return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.2f}s"


def _per_step(seconds: float, steps: int) -> str:
    per_step = seconds / max(steps, 1)
    return f"{per_step * 1e3:.0f}ms/step" if per_step >= 1e-3 else f"{per_step * 1e6:.0f}us/step"


def redraws_in_place(stream) -> bool:
    """True for a terminal or a Jupyter kernel's output, where a bar can redraw itself; False
    for a file or a pipe."""
    if type(stream).__module__.split(".")[0] == "ipykernel":
        return True
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class ProgressReporter:
    """Prints the progress of one ``fit`` or ``evaluate`` call.

    ``steps`` is the number of batches per pass; ``label`` prefixes each line (``Epoch 3/5``).
    Output goes to ``file`` (the current ``sys.stdout`` by default).
    """

    def __init__(self, verbose: int, steps: int, file=None) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self.steps = steps
        self.file = file
        self.shows_batches = verbose == 1 and redraws_in_place(self._out())
        self._bar = None
        self._refresh_at = 0.0
        self._started = 0.0
        self._label = ""

    def _out(self):
        return self.file if self.file is not None else sys.stdout

    def begin(self, label: str) -> None:
        """Start a pass (an epoch, or the evaluation) called ``label``."""
        self._label = label
        self._started = time.perf_counter()
        if self.shows_batches:
            self._bar = tqdm(
                total=self.steps,
                desc=label,
                unit="batch",
                leave=False,
                file=self._out(),
                mininterval=REFRESH_SECONDS,
            )
            self._refresh_at = self._started + REFRESH_SECONDS

    def batch_end(self, done: int, running_logs: Callable[[], Mapping[str, object]]) -> None:
        """``done`` batches are finished; ``running_logs()`` is called only when the bar refreshes."""
        now = time.perf_counter()
        if now < self._refresh_at:
            return
        self._refresh_at = now + REFRESH_SECONDS
        bar = self._bar
        bar.set_postfix_str(format_logs(running_logs(), ", "), refresh=False)
        bar.update(done - bar.n)

    def end(self, logs: Mapping[str, object]) -> float:
        """Finish the pass: close the bar and print the summary line; returns its seconds."""
        seconds = time.perf_counter() - self._started
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        if self.verbose:
            parts = [self._label, f"{self.steps}/{self.steps}", format_duration(seconds),
                     _per_step(seconds, self.steps)]
            if logs:
                parts.append(format_logs(logs))
            print(" - ".join(p for p in parts if p), file=self._out(), flush=True)
        return seconds

    def close(self) -> None:
        """Close a bar left open by an exception."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None
