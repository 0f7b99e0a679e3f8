"""The code stays ruff- and mypy-clean (both come with the test extras)."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(tool: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *tool], cwd=ROOT, capture_output=True, text=True)


def test_ruff_is_clean() -> None:
    if shutil.which("ruff") is None and run(["ruff", "--version"]).returncode != 0:
        pytest.fail("ruff is missing: install the test extras (pip install -e '.[test]')")
    proc = run(["ruff", "check", "reportgen", "tests", "examples", "benchmarks"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_is_clean() -> None:
    proc = run(["mypy"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
