"""Records from Python: read one back from a report or --json file, extract it, verify a report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, NamedTuple


class Check(NamedTuple):
    """One check verify made: whether it passed, and what it checked, in words."""

    ok: bool
    text: str


def read_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read the record from a report page (.html) or a record file written with --json.

    Old reports (schema reportgen/1) are read too. Raises ReportgenError when the file holds
    no record.
    """
    from reportgen.deliver.archive import read_record as read

    return read(path)


def extract(report: str | os.PathLike[str], output: str | os.PathLike[str] | None = None) -> str:
    """Return the record of a report page as JSON text, as --json writes it; write it to output.

    output: a file (written atomically), '-' for standard output, or None to only return it.
    """
    from reportgen.deliver.files import write_atomic
    from reportgen.record.blocks import dumps

    text = dumps(read_record(report))
    if output is not None:
        write_atomic(output, text)
    return text


def verify(
    path: str | os.PathLike[str], inputs: Sequence[str | os.PathLike[str]] = ()
) -> list[Check]:
    """Check that a report's record and page are as written, and what it was built from.

    inputs: files the report should have been built from (both files of a comparison, a tag
    sheet, a playbook, the config). Returns every check; all passed when all are ok. The
    fingerprint catches changes made after the report was written; it is a checksum, not a
    signature.
    """
    from reportgen.deliver.archive import verify as check

    return [Check(ok, text) for ok, text in check(path, [str(p) for p in inputs])]
