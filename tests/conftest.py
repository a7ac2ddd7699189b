"""Shared test configuration: the hypothesis profiles.

``dev`` (the default) keeps the suite quick for local runs; ``ci`` tries more examples and is
derandomized so that a failure reproduces on every run. Choose one with the environment variable
``HYPOTHESIS_PROFILE=ci``. Neither has a deadline: the first example of a test pays for imports
and warm-up, which would make per-example deadlines flaky. Tests that set ``max_examples``
themselves keep their own count under both profiles.
"""
import os

# One BLAS thread per test process. The suite runs in parallel worker processes (pytest -n), and
# every worker's BLAS starting a thread per core makes matrix products many times slower. numpy
# reads these variables when it is first imported, which has not happened yet at this point.
if "PYTEST_XDIST_WORKER" in os.environ:
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,
)
settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _engine_switches_are_restored():
    """Every test must leave the engine's process-wide switches as it found them: recording on,
    anomaly detection off, no module scope open. A test that leaks one fails here, and the
    switches are reset so that the leak does not make the following tests fail too."""
    from autograd.grad_mode import _Switch

    yield
    leaked = {"grad enabled": _Switch.enabled, "detect_anomaly": _Switch.anomaly, "scope": _Switch.scope}
    _Switch.enabled, _Switch.anomaly, _Switch.scope = True, False, None
    expected = {"grad enabled": True, "detect_anomaly": False, "scope": None}
    assert leaked == expected, f"the test left the engine switches changed: {leaked}"
