"""Write outputs atomically (a temp file in the target folder, then a rename), and deliver them."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError

if TYPE_CHECKING:
    from reportgen.api import Report


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when the output's folder does not exist."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ReportgenError(f"{target}: cannot write here: the folder '{folder}' does not exist.")
    if target.is_dir():
        raise ReportgenError(f"{target}: is a folder; give a file name for the output.")
    return target


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text so that readers see the old file or the whole new one, never a part."""
    target = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ReportgenError(f"{target}: cannot write here: {exc.strerror}.") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    max_bytes: str = "5MB"
    step_summary: str | None = field(default=None, init=False)

    @classmethod
    def pop(cls, options: dict[str, Any], **given: Any) -> Delivery:
        """Take the delivery options out of a command's keyword arguments."""
        names = ("summary_md", "email", "to", "sender", "subject", "pdf", "max_bytes")
        return cls(**given, **{name: options.pop(name) for name in names if name in options})

    def targets(self) -> list[str]:
        """Every file this delivery writes."""
        paths = (self.output, self.json_path, self.summary_md, self.junit, self.email, self.pdf)
        return [p for p in paths if p is not None]

    def check(self) -> None:
        """Fail before any work when an output cannot be written or two outputs collide."""
        seen: dict[str, str] = {}
        for path in self.targets():
            where = str(Path(path).resolve())
            if where in seen:
                raise ReportgenError(f"{path}: two outputs would be written to the same file.")
            seen[where] = path
            check_writable(path)
        if (self.to or self.sender or self.subject) and self.email is None:
            raise ReportgenError("--to, --from and --subject fill in --email FILE.eml; add it.")
        if self.pdf is not None:
            from reportgen.pdf import INSTALL_HINT, find_chromium

            if find_chromium() is None:
                raise ReportgenError(
                    f"--pdf {self.pdf}: printing to PDF needs Chromium, and none was found. "
                    f"{INSTALL_HINT} Without it, open the report in any browser and use Print → "
                    "Save as PDF: the print stylesheet gives the same pages."
                )

    def write(self, report: Report) -> None:
        """Write the report and everything else asked for, each atomically."""
        report.save(self.output, json_path=self.json_path)
        record = report.record
        if self.summary_md is not None:
            from reportgen.ci import append_step_summary, summary_markdown

            text = summary_markdown(record, report_link=Path(self.output).name)
            write_atomic(self.summary_md, text)
            self.step_summary = append_step_summary(text)
        if self.junit is not None:
            from reportgen.ci import junit_xml

            write_atomic(self.junit, junit_xml(record))
        if self.email is not None:
            from reportgen.mail import build_message, write_eml

            message = build_message(
                report.to_html(),
                report_name=Path(self.output).name,
                to=self.to,
                sender=self.sender,
                subject=self.subject,
            )
            write_eml(message, self.email)
        if self.pdf is not None:
            from reportgen.pdf import write_pdf

            write_pdf(self.output, self.pdf)

    def also(self) -> str:
        """Name the other files written, for the one line the command prints."""
        extra = [
            f"{what} {path}"
            for what, path in (
                ("record in", self.json_path),
                ("summary in", self.summary_md),
                ("JUnit in", self.junit),
                ("email in", self.email),
                ("PDF in", self.pdf),
            )
            if path is not None
        ]
        if self.step_summary is not None:
            extra.append("summary appended to $GITHUB_STEP_SUMMARY")
        return "".join(f"; {item}" for item in extra)

    def gate_exit(self, report: Report) -> int:
        """Print one line per gate; 1 when one failed, else 0."""
        import click

        gates = report.record.get("gates")
        if not gates:
            return 0
        from reportgen.gates import reason_lines

        for line in reason_lines(gates):
            click.echo(f"reportgen: {line}", err=True)
        return 0 if gates["passed"] else 1


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes so that readers see the old file or the whole new one, never a part."""
    target = check_writable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ReportgenError(f"{target}: cannot write here: {exc.strerror}.") from exc
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
