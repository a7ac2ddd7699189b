"""The benchmark scripts keep running: a quick pass of two workload modules through
``benchmarks/run_all.py``, each in its own process, must print their rows with ratios."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_run_all_quick_prints_rows_from_isolated_modules():
    result = subprocess.run(
        [sys.executable, "benchmarks/run_all.py", "--quick", "--only", "optim_step", "tensor_ops"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "[optim_step] done" in out and "[tensor_ops] done" in out
    rows = [line for line in out.splitlines() if re.search(r"\| \d+\.\d\dx$", line)]
    assert any(line.startswith("RMSprop step") and "nn.optim" in line for line in rows)
    assert any(line.startswith("matmul") and "lucidgrad" in line for line in rows)


def test_run_all_reports_a_module_that_cannot_run_and_goes_on():
    result = subprocess.run(
        [sys.executable, "benchmarks/run_all.py", "--quick", "--only", "mnist_epoch", "optim_step"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={"PATH": "", "PYTHONPATH": ""})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[mnist_epoch] skipped: RuntimeError: set LUCIDGRAD_DATA" in result.stdout
    assert "[optim_step] done" in result.stdout
