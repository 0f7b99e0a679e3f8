"""Shared test helpers: paths, the example file, and a CLI runner."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DIGITS = ROOT / "examples" / "digits" / "predictions.csv"


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
