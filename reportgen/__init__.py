"""reportgen: turn a model's prediction file into one self-contained HTML error-analysis report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError

__version__ = "0.1.0"
__all__ = [
    "Check",
    "Report",
    "ReportgenError",
    "ReviewSheet",
    "__version__",
    "build_report",
    "compare_reports",
    "email_message",
    "extract",
    "load_config",
    "read_record",
    "sample_errors",
    "send_email",
    "verify",
    "write_email",
    "write_junit",
    "write_pdf",
    "write_summary",
]
# everything the command line does, as Python functions: reportgen.api holds them
API = frozenset(__all__) - {"ReportgenError", "__version__"}

if TYPE_CHECKING:
    from reportgen.api import (
        Check,
        Report,
        ReviewSheet,
        build_report,
        compare_reports,
        email_message,
        extract,
        load_config,
        read_record,
        sample_errors,
        send_email,
        verify,
        write_email,
        write_junit,
        write_pdf,
        write_summary,
    )


def __getattr__(name: str) -> Any:
    # pandas and matplotlib load only when the API is used, so `reportgen --help` stays fast.
    if name in API:
        from reportgen import api

        return getattr(api, name)
    raise AttributeError(f"module 'reportgen' has no attribute {name!r}")
