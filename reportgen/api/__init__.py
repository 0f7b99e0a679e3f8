"""The Python entry points: everything the command line does, as functions.

build_report and compare_reports return a Report; sample_errors a ReviewSheet; read_record,
extract and verify read reports back; write_junit, write_summary, write_email, send_email and
write_pdf deliver them; load_config applies a config file as the CLI does.
"""

from __future__ import annotations

from reportgen.api.build import build_report
from reportgen.api.common import normalize_created
from reportgen.api.compare import compare_reports
from reportgen.api.deliver import (
    email_message,
    send_email,
    write_email,
    write_junit,
    write_summary,
)
from reportgen.api.records import Check, extract, read_record, verify
from reportgen.api.review import ReviewSheet, sample_errors
from reportgen.config_options import load_config
from reportgen.deliver.pdf import write_pdf
from reportgen.report import Report

__all__ = [
    "Check",
    "Report",
    "ReviewSheet",
    "build_report",
    "compare_reports",
    "email_message",
    "extract",
    "load_config",
    "normalize_created",
    "read_record",
    "sample_errors",
    "send_email",
    "verify",
    "write_email",
    "write_junit",
    "write_pdf",
    "write_summary",
]
