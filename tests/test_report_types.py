"""A user's type checker sees a report's record as its kind's TypedDict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

USER_CODE = """
from reportgen.api import build_report
from reportgen.record.classification_types import ClassificationRecord
from reportgen.record.types import RecordBase
from reportgen.report import Report


def headline(report: Report[RecordBase]) -> str:
    return report.record["summary"]["headline"][0]["value"]


report: Report[ClassificationRecord] = build_report("predictions.csv")
accuracy: float = report.record["classification"]["accuracy"]
title: str = headline(report)
wrong = report.record["classification"]["acuracy"]
"""


@pytest.mark.slow
def test_a_report_record_type_checks_key_by_key(tmp_path: Path) -> None:
    user = tmp_path / "user.py"
    user.write_text(USER_CODE, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(user)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        # this checkout's reportgen, whatever is installed
        env={**os.environ, "MYPYPATH": str(ROOT)},
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    # the misspelt key, and only it: the record's keys, a kind passed as the shared header
    assert len(errors) == 1, proc.stdout + proc.stderr
    assert "acuracy" in errors[0] and f"{user.name}:15:" in errors[0]
