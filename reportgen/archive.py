"""Read reports back as records: extract the embedded JSON, fingerprint it, verify it."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

from reportgen.errors import ReportgenError

# the element every report version writes; attributes may come in any order in older pages
_DATA = re.compile(
    r"<script\b(?=[^>]*\bid=[\"']reportgen-data[\"'])[^>]*>(?P<body>.*?)</script\s*>",
    re.DOTALL | re.IGNORECASE,
)
SCHEMAS = ("reportgen/1",)


def record_from_html(text: str, *, source: str = "the page") -> dict[str, Any]:
    """Return the record embedded in a report's HTML, or explain why there is none."""
    found = _DATA.search(text)
    if found is None:
        raise ReportgenError(
            f"{source}: not a reportgen report: it has no "
            '<script type="application/json" id="reportgen-data"> element.'
        )
    try:
        record = json.loads(found.group("body"))
    except ValueError as exc:
        raise ReportgenError(
            f"{source}: the embedded record (#reportgen-data) is not valid JSON: {exc}; "
            "the page was changed or cut short after it was written."
        ) from exc
    return _checked(record, source)


def _checked(record: Any, source: str) -> dict[str, Any]:
    if not isinstance(record, dict) or "schema" not in record:
        raise ReportgenError(f"{source}: not a reportgen record: it has no 'schema' key.")
    schema = record["schema"]
    if schema not in SCHEMAS:
        raise ReportgenError(
            f"{source}: record schema '{schema}' is not one this version reads "
            f"({', '.join(SCHEMAS)}); use the reportgen version that wrote it."
        )
    return record


def read_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a record from a report (.html) or a record file written by --json."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ReportgenError(f"{target}: no such file.") from exc
    except IsADirectoryError as exc:
        raise ReportgenError(f"{target}: is a folder, not a report.") from exc
    except UnicodeDecodeError as exc:
        raise ReportgenError(
            f"{target}: not a reportgen report or record: it is not UTF-8 text."
        ) from exc
    except OSError as exc:
        raise ReportgenError(f"{target}: cannot read: {exc.strerror}.") from exc
    if text.lstrip().startswith("{"):
        try:
            return _checked(json.loads(text), str(target))
        except ValueError as exc:
            raise ReportgenError(f"{target}: not valid JSON: {exc}.") from exc
    return record_from_html(text, source=str(target))


def canonical(record: dict[str, Any]) -> bytes:
    """Serialise a record the one way its fingerprint is taken over."""
    return json.dumps(
        record, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def fingerprint(record: dict[str, Any]) -> str:
    """SHA-256 of the record without its own fingerprint field."""
    copy = dict(record)
    prov = dict(copy.get("provenance", {}))
    prov.pop("fingerprint", None)
    copy["provenance"] = prov
    return "sha256:" + hashlib.sha256(canonical(copy)).hexdigest()
