"""The files a run reads and writes, checked against each other before any work.

`check_files` refuses an output that is one of the run's inputs or another of its outputs;
`existing_outputs` and `stale_outputs` tell, after a failure, which outputs are still the
ones an earlier run left.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.deliver.files import STDOUT, check_writable
from reportgen.errors import ReportgenError

# suffixes of the files an image root holds: an output never replaces one of them
IMAGE_SUFFIXES = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".svg", ".svgz"}
)


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
