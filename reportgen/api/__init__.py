"""The Python entry points: everything the command line does, as functions.

build_report and compare_reports return a Report; sample_errors a ReviewSheet; read_record,
extract and verify read reports back; write_junit, write_summary, write_email, send_email and
write_pdf deliver them; load_config applies a config file as the CLI does. `reportgen`
lists them (reportgen.__all__) and loads this module on first use.
"""

from __future__ import annotations

# `name as name`: exported names (mypy strict), listed once, in reportgen/__init__.py
from reportgen.api.build import build_report as build_report
from reportgen.api.common import normalize_created as normalize_created
from reportgen.api.compare import compare_reports as compare_reports
from reportgen.api.deliver import email_message as email_message
from reportgen.api.deliver import send_email as send_email
from reportgen.api.deliver import write_email as write_email
from reportgen.api.deliver import write_junit as write_junit
from reportgen.api.deliver import write_summary as write_summary
from reportgen.api.records import Check as Check
from reportgen.api.records import extract as extract
from reportgen.api.records import read_record as read_record
from reportgen.api.records import verify as verify
from reportgen.api.review import ReviewSheet as ReviewSheet
from reportgen.api.review import sample_errors as sample_errors
from reportgen.config_options import load_config as load_config
from reportgen.deliver.pdf import write_pdf as write_pdf
from reportgen.report import Report as Report
