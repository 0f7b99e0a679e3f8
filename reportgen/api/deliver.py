"""Delivery from Python: JUnit, the job summary, email, PDF, as the CLI's options write them.

Each function takes a built Report (or, where only the record is needed, a record dict
such as read_record returns) and writes one file atomically. `Delivery` is what
`reportgen build` and `reportgen compare` do with their output options: it calls these.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

from reportgen.deliver.files import STDOUT, output_name, tell, write_atomic
from reportgen.deliver.pdf import write_pdf
from reportgen.errors import ReportgenError
from reportgen.record.types import RecordBase
from reportgen.report import Report

ReportOrRecord = Report[RecordBase] | Mapping[str, Any]


def _record(report: ReportOrRecord) -> dict[str, Any]:
    """The final record of a report (sealed and fitted to its budget), or the record given."""
    if isinstance(report, Report):
        report.to_html()  # the record is final once the page is made
        return cast(dict[str, Any], report.record)  # the record's TypedDict, as its dict
    return dict(report)


def write_junit(report: ReportOrRecord, path: str | os.PathLike[str]) -> int:
    """Write a report's gates as JUnit XML (one test case per gate); return how many."""
    from reportgen.deliver.ci import junit_xml

    record = _record(report)
    write_atomic(path, junit_xml(record))
    return len((record.get("gates") or {}).get("items") or [])


def write_summary(
    report: ReportOrRecord,
    path: str | os.PathLike[str],
    *,
    report_name: str = "report.html",
    report_url: str | None = None,
    step_summary: bool = True,
) -> str | None:
    """Write a short Markdown summary (headline, gates, top buckets) for a CI job page.

    report_url: an http(s) address of the report to link to. With step_summary, the text is
    appended to the file $GITHUB_STEP_SUMMARY names too; its path is returned (else None).
    """
    from reportgen.deliver.ci import append_step_summary, summary_markdown

    text = summary_markdown(_record(report), report_name=report_name, report_url=report_url)
    write_atomic(path, text)
    return append_step_summary(text) if step_summary else None


def email_message(
    report: Report[RecordBase] | str | os.PathLike[str],
    *,
    to: Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
    report_name: str | None = None,
) -> EmailMessage:
    """Make the review email of a Report or a report page (.html) file.

    The body is a summary mail clients show; the report is attached as report_name
    (default: the file's name, or report.html). The same report gives the same bytes.
    """
    from reportgen.deliver.mail import build_message

    if isinstance(report, Report):
        page, name = report.to_html(), report_name or "report.html"
        record = _record(report)
    else:
        from reportgen.deliver.archive import read_report_text, record_from_html

        page = read_report_text(report)  # bounded: a 1 GiB file is refused unread
        name = report_name or Path(report).name
        record = record_from_html(page, source=name)
    return build_message(
        record, page.encode("utf-8"), report_name=name, to=to, sender=sender, subject=subject
    )


def _message(
    report: Report[RecordBase] | str | os.PathLike[str] | EmailMessage, **given: Any
) -> EmailMessage:
    """The message given, or the one made of a report."""
    if isinstance(report, EmailMessage):
        return report
    return email_message(report, **given)


def write_email(
    report: Report[RecordBase] | str | os.PathLike[str] | EmailMessage,
    path: str | os.PathLike[str],
    *,
    to: Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
    report_name: str | None = None,
) -> list[str]:
    """Write the review email (.eml) of a report; return warnings (no recipient, no date).

    report: a Report, a report page file, or a message from email_message.
    """
    from reportgen.deliver.mail import message_warnings, write_eml

    message = _message(report, to=to, sender=sender, subject=subject, report_name=report_name)
    write_eml(message, path)
    return message_warnings(message, path)


def send_email(
    report: Report[RecordBase] | str | os.PathLike[str] | EmailMessage,
    *,
    to: Sequence[str] = (),
    sender: str | None = None,
    subject: str | None = None,
    report_name: str | None = None,
    smtp_host: str | None = None,
    smtp_port: int | None = None,
    starttls: bool | None = None,
    ssl: bool | None = None,
    smtp_user: str | None = None,
) -> tuple[list[str], str]:
    """Send the review email of a report by SMTP; return the accepted recipients and the host.

    Server settings not given come from $REPORTGEN_SMTP_HOST, _PORT, _STARTTLS and _USER;
    the password only from $REPORTGEN_SMTP_PASSWORD. They are checked before the message is
    made.
    """
    from reportgen.deliver.smtp import send_message, smtp_settings

    settings = smtp_settings(
        host=smtp_host, port=smtp_port, starttls=starttls, ssl=ssl, user=smtp_user
    )
    message = _message(report, to=to, sender=sender, subject=subject, report_name=report_name)
    return send_message(message, settings), settings.host


@dataclass
class Delivery:
    """Where a built report goes besides its HTML: JSON, summaries, JUnit, email, PDF."""

    output: str
    json_path: str | None = None
    summary_md: str | None = None
    junit: str | None = None
    email: str | None = None
    to: tuple[str, ...] = ()
    sender: str | None = None
    subject: str | None = None
    pdf: str | None = None
    report_url: str | None = None
    max_bytes: str = "5MB"
    # one line per file written ('wrote out/record.json: the record (JSON)'), in order
    written: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list, init=False)

    def check(self) -> None:
        """Fail before any work when the delivery options do not fit together.

        Whether each file can be written, and is no input or other output, is `check_files`'s.
        """
        if (self.to or self.sender or self.subject) and self.email is None:
            raise ReportgenError("--to, --from and --subject fill in --email FILE.eml; add it.")
        if self.report_url is not None:
            from reportgen.deliver.ci import check_report_url

            check_report_url(self.report_url)
            if self.summary_md is None:
                raise ReportgenError(
                    "--report-url is the link in the job summary; add --summary-md FILE."
                )
        if self.pdf is not None and self.output == STDOUT:
            raise ReportgenError(
                f"--pdf {self.pdf}: Chromium prints the HTML file, and -o - writes it to standard "
                "output; give -o a file name."
            )
        if self.pdf is not None:
            from reportgen.deliver.pdf import INSTALL_HINT, find_chromium

            if find_chromium() is None:
                raise ReportgenError(
                    f"--pdf {self.pdf}: printing to PDF needs Chromium, and none was found. "
                    f"{INSTALL_HINT} Without it, open the report in any browser and use Print → "
                    "Save as PDF: the print stylesheet gives the same pages."
                )

    @property
    def report_name(self) -> str:
        """The report's file name, as the summary and the email's attachment call it."""
        return "report.html" if self.output == STDOUT else Path(self.output).name

    def write(self, report: Report[RecordBase], *, about: str = "the report") -> None:
        """Write the report and everything else asked for, each atomically, listing each file."""
        report.save(self.output, json_path=self.json_path)
        self._wrote(self.output, about)
        if self.json_path is not None:
            self._wrote(self.json_path, "the record (JSON)")
        if self.summary_md is not None:
            from reportgen.deliver.ci import SUMMARY_VARIABLE, append_step_summary, summary_markdown

            text = summary_markdown(
                _record(report), report_name=self.report_name, report_url=self.report_url
            )
            write_atomic(self.summary_md, text)
            self._wrote(self.summary_md, "the job summary (Markdown)")
            step = append_step_summary(text)  # after the line above: a failure still lists it
            if step is not None:
                self._wrote(step, f"the job summary (${SUMMARY_VARIABLE})", verb="appended")
        if self.junit is not None:
            from reportgen.words.common import plural

            cases = write_junit(report, self.junit)
            self._wrote(self.junit, f"the gates as JUnit XML ({plural(cases, 'test case')})")
        if self.email is not None:
            self.warnings += write_email(
                report,
                self.email,
                to=self.to,
                sender=self.sender,
                subject=self.subject,
                report_name=self.report_name,
            )
            self._wrote(self.email, "the email, the report attached")
        if self.pdf is not None:
            write_pdf(self.output, self.pdf)
            self._wrote(self.pdf, "the report as PDF")

    def _wrote(self, path: str, what: str, *, verb: str = "wrote") -> None:
        self.written.append(f"{verb} {output_name(path)}: {what}")

    def gate_exit(self, report: Report[RecordBase]) -> int:
        """Print one line per gate; 1 when one failed, else 0."""
        gates = report.record.get("gates")
        if not gates:
            return 0
        from reportgen.gate_checks import reason_lines

        for line in reason_lines(cast(dict[str, Any], gates)):  # gate_checks reads plain dicts
            tell(f"reportgen: {line}")
        return 0 if gates["passed"] else 1
