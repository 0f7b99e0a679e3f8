"""Write outputs atomically (a temp file in the target folder, then a rename), and deliver them.

Every output goes through `write_bytes_atomic`: a regular file or a new path is written to a
temp file beside it and renamed over it (readers see the old file or the whole new one); a
symbolic link is followed and its target written that way (the link stays a link); a
character device (/dev/null) or a FIFO is opened and written directly, never replaced; '-'
is standard output. Before any work, `check_files` refuses an output that is one of the run's
inputs or another of its outputs.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reportgen.errors import ReportgenError

if TYPE_CHECKING:
    from reportgen.api import Report

STDOUT = "-"  # an output named '-' is written to standard output
# suffixes of the files an image root holds: an output never replaces one of them
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".svg", ".svgz"}
)
# what a failed write says beyond the system's words, when there is something to do
_WRITE_HINTS = {
    errno.ENOSPC: "free some space, or write the output to another disk",
    errno.EDQUOT: "free some space, or write the output to another disk",
    errno.EROFS: "write the output to a writable folder",
    errno.EACCES: "write the output to a folder you may write to",
    errno.EPERM: "write the output to a folder you may write to",
}


def os_words(exc: OSError) -> str:
    """Say what an OSError was, in words: 'No space left on device (ENOSPC)'."""
    words = exc.strerror or str(exc) or type(exc).__name__
    code = errno.errorcode.get(exc.errno) if exc.errno is not None else None
    return f"{words} ({code})" if code else words


def write_error(path: str | os.PathLike[str], exc: OSError, *, doing: str = "write") -> str:
    """The message for an output that could not be written: the file, the error, what to do."""
    hint = _WRITE_HINTS.get(exc.errno) if exc.errno is not None else None
    return f"{path}: cannot {doing} it: {os_words(exc)}. Nothing was left half-written" + (
        f"; {hint}." if hint else "."
    )


def _special(path: str | os.PathLike[str]) -> os.stat_result | None:
    """Stat an output path, following links; None when nothing is there yet."""
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None  # a new path, or a link to one
    except OSError as exc:
        raise ReportgenError(f"{path}: cannot write here: {os_words(exc)}.") from exc


def output_target(path: str | os.PathLike[str]) -> tuple[Path, bool]:
    """Where an output goes and whether it is written directly (a device or FIFO), or refuse.

    A symbolic link is followed: its target is what gets written, and the link stays a link.
    """
    given = Path(path)
    found = _special(given)
    if found is not None:
        mode = found.st_mode
        if stat.S_ISDIR(mode):
            raise ReportgenError(f"{given}: is a folder; give a file name for the output.")
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            return given, True  # written in place, as a shell's '>' would: never replaced
        if not stat.S_ISREG(mode):
            kind = "a block device (a disk)" if stat.S_ISBLK(mode) else "not a regular file"
            raise ReportgenError(
                f"{given}: is {kind}; an output may be a file, a new path, a character device "
                "such as /dev/null, a FIFO, or - for standard output."
            )
    target = Path(os.path.realpath(given)) if given.is_symlink() else given
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        if target != given:
            raise ReportgenError(
                f"{given}: cannot write here: it is a link to '{os.readlink(given)}', whose "
                "folder does not exist."
            )
        raise ReportgenError(f"{given}: cannot write here: the folder '{folder}' does not exist.")
    return target, False


def output_name(path: str) -> str:
    """An output as the 'wrote' lines name it: its path, or 'standard output' for -."""
    return "standard output" if path == STDOUT else path


def tell(line: str) -> None:
    """Print one of our lines on stderr, bidirectional controls from user text made visible.

    A label or file name holding U+202E would otherwise reverse the rest of the terminal line.
    """
    import click

    from reportgen.bidi import visible

    click.echo(visible(line), err=True)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Fail early, before any work, when an output cannot be written where it is named."""
    if str(path) == STDOUT:
        return Path(STDOUT)
    target, direct = output_target(path)
    if direct:
        return target
    folder = target.parent if str(target.parent) else Path(".")
    if target.exists() and not os.access(target, os.W_OK):
        raise ReportgenError(
            f"{path}: the file is read-only, so it is left as it is; make it writable "
            "(chmod u+w) or give another file."
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ReportgenError(
            f"{path}: cannot write here: the folder '{folder}' is not writable; give another "
            "folder."
        )
    return target


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write text (UTF-8) so that readers see the old file or the whole new one, never a part."""
    write_bytes_atomic(path, text.encode("utf-8"))


def _write_fd(fd: int, data: bytes) -> None:
    """Write all of data to an open file descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _write_stdout(data: bytes) -> None:
    """Write an output to standard output."""
    stream = sys.stdout
    try:
        stream.flush()
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:
            stream.write(data.decode("utf-8"))
            stream.flush()
    except BrokenPipeError as exc:
        # the reader left (`| head`): quiet the interpreter's own flush at exit, then say so
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        raise ReportgenError(
            "standard output (-): the reader closed the pipe before the whole output was written."
        ) from exc
    except OSError as exc:
        raise ReportgenError(write_error("standard output (-)", exc)) from exc


def _write_direct(target: Path, data: bytes) -> None:
    """Write to a character device or FIFO in place: opened, written, closed, never renamed."""
    try:
        fd = os.open(target, os.O_WRONLY)
    except OSError as exc:
        raise ReportgenError(write_error(target, exc, doing="open")) from exc
    try:
        _write_fd(fd, data)
    except OSError as exc:
        raise ReportgenError(f"{target}: cannot write it: {os_words(exc)}.") from exc
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write bytes so that readers see the old file or the whole new one, never a part."""
    if str(path) == STDOUT:
        _write_stdout(data)
        return
    target, direct = output_target(path)
    if direct:
        _write_direct(target, data)
        return
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise ReportgenError(write_error(path, exc)) from exc
    try:
        try:
            _write_fd(fd, data)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise ReportgenError(write_error(path, exc)) from exc
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
    folder: bool = False  # an input folder (the image root): its images are inputs


def _is_device(path: str) -> bool:
    """Whether a path is a character device (/dev/null): writing to it destroys no file."""
    try:
        return stat.S_ISCHR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def _file_below(path: str, folder: str, suffixes: frozenset[str] | None = None) -> bool:
    """Whether an output path is an existing file (with one of these suffixes) below a folder."""
    target = Path(path)
    if not target.is_file() or (suffixes is not None and target.suffix.lower() not in suffixes):
        return False
    try:
        Path(os.path.realpath(target)).relative_to(os.path.realpath(folder))
    except (ValueError, OSError):
        return False
    return True


def _two_names(a: Place, b: Place) -> str:
    """Name two places that are one file: 'x is both -o and --json', or both with their paths."""
    if a.path == b.path:
        return f"{a.path} is both {a.option} and {b.option}"
    return f"{a.option} {a.path} and {b.option} {b.path} are one file"


def check_files(outputs: Sequence[Place], inputs: Sequence[Place]) -> None:
    """Refuse, before any work, an output that is an input or another output, or unwritable.

    Every command goes through this one check with all the files it reads and writes, so an
    option that names a file cannot be left out of it.
    """
    for target in outputs:
        if target.path == STDOUT or _is_device(target.path):
            continue  # standard output and /dev/null hold no file to lose
        for source in inputs:
            if source.folder:
                if _file_below(target.path, source.path, IMAGE_SUFFIXES):
                    raise ReportgenError(
                        f"{target.option} {target.path} is an image below {source.option} "
                        f"{source.path}: this run would overwrite a picture the report may "
                        "show. Give the output another name or folder."
                    )
            elif os.path.isdir(source.path):  # a folder of Parquet parts, as Spark reads
                if _file_below(target.path, source.path, frozenset({".parquet"})):
                    raise ReportgenError(
                        f"{target.option} {target.path} is a file in {source.option} "
                        f"{source.path}: this run would overwrite {source.what or 'an input'}. "
                        "Give the output another name or folder."
                    )
            elif same_file(target.path, source.path):
                raise ReportgenError(
                    f"{_two_names(target, source)}: this run would overwrite "
                    f"{source.what or 'one of its inputs'}. Give one of them another file."
                )
    for i, target in enumerate(outputs):
        for earlier in outputs[:i]:
            if target.path == STDOUT and earlier.path == STDOUT:
                raise ReportgenError(
                    f"{earlier.option} and {target.option} are both - (standard output): two "
                    "outputs would be written to the same file. Give one of them a file."
                )
            if STDOUT in (target.path, earlier.path) or _is_device(target.path):
                continue
            if same_file(target.path, earlier.path):
                raise ReportgenError(
                    f"{_two_names(earlier, target)}: two outputs would be written to the same "
                    "file. Give one of them another file."
                )
    for target in outputs:
        check_writable(target.path)


def _state(path: str) -> tuple[int, int, int] | None:
    """A regular file's inode, size and modification time (None for anything else)."""
    try:
        now = os.stat(path)
    except OSError:
        return None
    return (now.st_ino, now.st_size, now.st_mtime_ns) if stat.S_ISREG(now.st_mode) else None


def stale_outputs(before: dict[str, tuple[int, int, int]]) -> list[str]:
    """The outputs still as they were before the run (same file, size and time): not from it."""
    return [path for path, was in before.items() if _state(path) == was]


def existing_outputs(outputs: Sequence[Place]) -> dict[str, tuple[int, int, int]]:
    """Note which outputs exist as regular files before the run, to name them if it fails."""
    found: dict[str, tuple[int, int, int]] = {}
    for place in outputs:
        if place.path == STDOUT or place.option.startswith("$"):
            continue  # standard output; an appended job summary is not replaced by a run
        state = _state(place.path)
        if state is not None:
            found[place.path] = state
    return found


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

    def write(self, report: Report, *, about: str = "the report") -> None:
        """Write the report and everything else asked for, each atomically, listing each file."""
        report.save(self.output, json_path=self.json_path)
        self._wrote(self.output, about)
        if self.json_path is not None:
            self._wrote(self.json_path, "the record (JSON)")
        record = report.record
        if self.summary_md is not None:
            from reportgen.deliver.ci import SUMMARY_VARIABLE, append_step_summary, summary_markdown

            text = summary_markdown(
                record, report_name=self.report_name, report_url=self.report_url
            )
            write_atomic(self.summary_md, text)
            self._wrote(self.summary_md, "the job summary (Markdown)")
            step = append_step_summary(text)
            if step is not None:
                self._wrote(step, f"the job summary (${SUMMARY_VARIABLE})", verb="appended")
        if self.junit is not None:
            from reportgen.deliver.ci import junit_xml
            from reportgen.words.common import plural

            write_atomic(self.junit, junit_xml(record))
            cases = len((record.get("gates") or {}).get("items") or [])
            self._wrote(self.junit, f"the gates as JUnit XML ({plural(cases, 'test case')})")
        if self.email is not None:
            from reportgen.deliver.mail import build_message, message_warnings, write_eml

            message = build_message(
                report.to_html(),
                report_name=self.report_name,
                to=self.to,
                sender=self.sender,
                subject=self.subject,
            )
            write_eml(message, self.email)
            self._wrote(self.email, "the email, the report attached")
            self.warnings += message_warnings(message, self.email)
        if self.pdf is not None:
            from reportgen.deliver.pdf import write_pdf

            write_pdf(self.output, self.pdf)
            self._wrote(self.pdf, "the report as PDF")

    def _wrote(self, path: str, what: str, *, verb: str = "wrote") -> None:
        self.written.append(f"{verb} {output_name(path)}: {what}")

    def gate_exit(self, report: Report) -> int:
        """Print one line per gate; 1 when one failed, else 0."""
        gates = report.record.get("gates")
        if not gates:
            return 0
        from reportgen.gates import reason_lines

        for line in reason_lines(gates):
            tell(f"reportgen: {line}")
        return 0 if gates["passed"] else 1
