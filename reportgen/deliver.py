"""Write outputs atomically: a temp file in the target folder, then a rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from reportgen.errors import ReportgenError


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
