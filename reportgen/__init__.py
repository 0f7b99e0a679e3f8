"""reportgen: turn a model's prediction file into one self-contained HTML error-analysis report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError

__version__ = "0.1.0"
__all__ = ["Report", "ReportgenError", "__version__", "build_report", "compare_reports"]

if TYPE_CHECKING:
    from reportgen.api import Report, build_report, compare_reports


def __getattr__(name: str) -> Any:
    # pandas and matplotlib load only when the API is used, so `reportgen --help` stays fast.
    if name in ("build_report", "compare_reports", "Report"):
        from reportgen import api

        return getattr(api, name)
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
