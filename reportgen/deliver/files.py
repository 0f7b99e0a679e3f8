"""Write outputs atomically (a temp file in the target folder, then a rename).

Every output goes through `write_bytes_atomic`: a regular file or a new path is written to a
temp file beside it and renamed over it (readers see the old file or the whole new one); a
symbolic link is followed and its target written that way (the link stays a link); a
character device (/dev/null) or a FIFO is opened and written directly, never replaced; '-'
is standard output.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
from pathlib import Path

from reportgen.errors import ReportgenError

STDOUT = "-"  # an output named '-' is written to standard output
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
