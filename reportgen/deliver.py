"""Write outputs atomically (a temp file in the target folder, then a rename), and deliver them."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
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


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name one file: the same resolved path, or one file under two names."""
    if Path(a).resolve() == Path(b).resolve():
        return True
    try:  # hard links, case-insensitive file systems, bind mounts
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): then they are not one file
        return False


@dataclass(frozen=True)
class Place:
    """A file a run reads or writes, named as the user gave it: its option and where it was set."""

    option: str  # '--json', or '--json (set in reportgen.toml [build])'
    path: str
    what: str = ""  # for an input: what overwriting it would destroy


def check_outputs_against_inputs(outputs: Sequence[Place], inputs: Sequence[Place]) -> None:
    """Refuse, before any work, to write an output over a file the run reads."""
    for source in inputs:
        for target in outputs:
            if same_file(target.path, source.path):
                both = (
                    f"{target.path} is both {target.option} and {source.option}"
                    if target.path == source.path
                    else f"{target.option} {target.path} and {source.option} {source.path} are "
                    "one file"
                )
                raise ReportgenError(
                    f"{both}: this run would overwrite {source.what or 'one of its inputs'}. "
                    "Give one of them another file."
                )


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
    written: list[str] = field(default_factory=list, init=False)
    warnings: list[str] = field(default_factory=list, init=False)

    @classmethod
    def pop(cls, options: dict[str, Any], **given: Any) -> Delivery:
        """Take the delivery options out of a command's keyword arguments."""
        names = ("summary_md", "email", "to", "sender", "subject", "pdf", "report_url", "max_bytes")
        return cls(**given, **{name: options.pop(name) for name in names if name in options})

    def targets(self) -> list[str]:
        """Every file this delivery writes."""
        paths = (self.output, self.json_path, self.summary_md, self.junit, self.email, self.pdf)
        return [p for p in paths if p is not None]

    def outputs(self, name: Callable[[str, str], str] | None = None) -> list[Place]:
        """Every file written or appended to; name(parameter, option) may say where it was set."""
        from reportgen.ci import SUMMARY_VARIABLE

        options = (
            ("output", "-o", self.output),
            ("json_path", "--json", self.json_path),
            ("summary_md", "--summary-md", self.summary_md),
            ("junit", "--junit", self.junit),
            ("email", "--email", self.email),
            ("pdf", "--pdf", self.pdf),
        )
        places = [
            Place(name(param, option) if name else option, path)
            for param, option, path in options
            if path is not None
        ]
        step = os.environ.get(SUMMARY_VARIABLE)
        if self.summary_md is not None and step:
            places.append(Place(f"${SUMMARY_VARIABLE} (where --summary-md is appended)", step))
        return places

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
        if self.report_url is not None:
            from reportgen.ci import check_report_url

            check_report_url(self.report_url)
            if self.summary_md is None:
                raise ReportgenError(
                    "--report-url is the link in the job summary; add --summary-md FILE."
                )
        if self.pdf is not None:
            from reportgen.pdf import INSTALL_HINT, find_chromium

            if find_chromium() is None:
                raise ReportgenError(
                    f"--pdf {self.pdf}: printing to PDF needs Chromium, and none was found. "
                    f"{INSTALL_HINT} Without it, open the report in any browser and use Print → "
                    "Save as PDF: the print stylesheet gives the same pages."
                )

    def write(self, report: Report, *, about: str = "the report") -> None:
        """Write the report and everything else asked for, each atomically, listing each file."""
        report.save(self.output, json_path=self.json_path)
        self._wrote(self.output, about)
        if self.json_path is not None:
            self._wrote(self.json_path, "the record (JSON)")
        record = report.record
        if self.summary_md is not None:
            from reportgen.ci import SUMMARY_VARIABLE, append_step_summary, summary_markdown

            text = summary_markdown(
                record, report_name=Path(self.output).name, report_url=self.report_url
            )
            write_atomic(self.summary_md, text)
            self._wrote(self.summary_md, "the job summary (Markdown)")
            step = append_step_summary(text)
            if step is not None:
                self._wrote(step, f"the job summary (${SUMMARY_VARIABLE})", verb="appended")
        if self.junit is not None:
            from reportgen.ci import junit_xml
            from reportgen.describe import plural

            write_atomic(self.junit, junit_xml(record))
            cases = len((record.get("gates") or {}).get("items") or [])
            self._wrote(self.junit, f"the gates as JUnit XML ({plural(cases, 'test case')})")
        if self.email is not None:
            from reportgen.mail import build_message, message_warnings, write_eml

            message = build_message(
                report.to_html(),
                report_name=Path(self.output).name,
                to=self.to,
                sender=self.sender,
                subject=self.subject,
            )
            write_eml(message, self.email)
            self._wrote(self.email, "the email, the report attached")
            self.warnings += message_warnings(message, self.email)
        if self.pdf is not None:
            from reportgen.pdf import write_pdf

            write_pdf(self.output, self.pdf)
            self._wrote(self.pdf, "the report as PDF")

    def _wrote(self, path: str, what: str, *, verb: str = "wrote") -> None:
        self.written.append(f"{verb} {path}: {what}")

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
