"""The Python entry points: build_report, compare_reports and the Report they return."""

from __future__ import annotations

from reportgen.api.build import build_report
from reportgen.api.common import normalize_created
from reportgen.api.compare import compare_reports
from reportgen.report import Report

__all__ = ["Report", "build_report", "compare_reports", "normalize_created"]
