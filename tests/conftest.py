"""Shared test configuration: the hypothesis profiles.

``dev`` (the default) keeps the suite quick for local runs; ``ci`` tries more examples and is
derandomized so that a failure reproduces on every run. Choose one with the environment variable
``HYPOTHESIS_PROFILE=ci``. Neither has a deadline: the first example of a test pays for imports
and warm-up, which would make per-example deadlines flaky. Tests that set ``max_examples``
themselves keep their own count under both profiles.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

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
