"""Shared test helpers: paths, the example file, a CLI runner, and the quick lane's `slow` mark."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# pytest rewrites the asserts of every test module it imports and caches the rewritten code in
# tests/__pycache__ (git-ignored). Environments that set PYTHONDONTWRITEBYTECODE (container
# images often do) turn that cache off, and every run then parses and rewrites all 50 test
# modules again: collection took 17-20 s instead of 7 s on the busy 2-core machine. Keep the
# cache (and the bytecode of reportgen's own modules, git-ignored as well) for test runs.
sys.dont_write_bytecode = False

# Property tests draw the same examples on every machine and every run, so that a fresh
# machine's CI cannot fail on an example no one has seen (a random draw found a last-bit R²
# underflow only in CI). REPORTGEN_HYPOTHESIS=explore draws fresh examples to look for more.
settings.register_profile("reportgen", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", print_blob=True)
settings.load_profile(os.environ.get("REPORTGEN_HYPOTHESIS", "reportgen"))

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "examples" / "digits" / "predictions.csv"

# The libraries whose versions change the numbers or the figures: printed in pytest's header, so
# a failure report from any machine says what it ran with.
KEY_LIBRARIES = ("numpy", "pandas", "scikit-learn", "scipy", "matplotlib", "pyarrow")

# Tests marked `slow` and left out of the quick lane (`python -m pytest -m "not slow"`): every
# browser check, every test that starts Spark (those taking the `spark` fixture: the rest of
# test_spark.py, such as the message without PySpark, stays in the quick lane), and the tests
# below, each of which had a case that took 2 s or more in a full run on the idle 2-core
# development machine (the CI examples run whole workflows; the regeneration tests rerun the
# example scripts). Tests in new files mark themselves with @pytest.mark.slow instead of
# joining this table.
SLOW_FIXTURES = {"spark"}
SLOW_TESTS = {
    "test_ci_examples.py": {
        "test_github_workflow_runs_and_uploads_even_when_gates_fail",
        "test_gitlab_job_runs_and_keeps_artifacts_and_junit",
    },
    "test_examples.py": {"test_example_data_regenerates"},
    "test_stream.py": {"test_step_streamed_equals_in_memory"},
}


def pytest_report_header(config: pytest.Config) -> str:
    """Name the versions of the key libraries before any test runs."""
    versions = []
    for name in KEY_LIBRARIES:
        try:
            versions.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name} (not installed)")
    return "libraries: " + ", ".join(versions)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow tests `slow`: browser checks, tests that start Spark, the SLOW_TESTS table."""
    for item in items:
        module = item.path.name
        name = getattr(item, "originalname", item.name)
        if (
            item.get_closest_marker("browser") is not None
            or SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
            or name in SLOW_TESTS.get(module, set())
        ):
            item.add_marker(pytest.mark.slow)


def embedded_record(page: str) -> dict[str, Any]:
    """Parse the record embedded in a report page."""
    match = re.search(
        r'<script type="application/json" id="reportgen-data">(.*?)</script>', page, flags=re.S
    )
    assert match, "no embedded record"
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.fixture(autouse=True)
def _no_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
