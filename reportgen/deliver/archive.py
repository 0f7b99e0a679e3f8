"""Read reports back as records: extract the embedded JSON, fingerprint it, verify it."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, cast

from reportgen.errors import ReportgenError

# the element every report version writes; attributes may come in any order in older pages
_DATA = re.compile(
    r"<script\b(?=[^>]*\bid=[\"']reportgen-data[\"'])[^>]*>(?P<body>.*?)</script\s*>",
    re.DOTALL | re.IGNORECASE,
)
_OPENING = re.compile(r"<script\b(?=[^>]*\bid=[\"']reportgen-data[\"'])[^>]*>", re.IGNORECASE)
SCHEMAS = ("reportgen/1",)
R = TypeVar("R", bound=Mapping[str, Any])  # a record of any kind


def _no_constant(name: str) -> Any:
    # reportgen never writes NaN or Infinity (allow_nan=False), and they cannot be fingerprinted
    raise ValueError(f"{name} is not JSON")


def _loads(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        # '[' five thousand times runs the decoder out of stack; no record nests that deep
        raise ValueError("arrays or objects are nested too deeply to read") from None


# The largest file read as a report or record: 40 times the default --max-bytes budget (5 MB),
# room for a report built with a raised budget and many images. A larger file cannot be one
# reportgen wrote under any budget it suggests, and reading it whole would take gigabytes.
MAX_REPORT_BYTES = 200_000_000


def read_report_text(path: str | os.PathLike[str]) -> str:
    """Read a report or record file as text, refusing one larger than MAX_REPORT_BYTES."""
    target = Path(path)
    limit = MAX_REPORT_BYTES
    too_big = (
        f"{target}: larger than any report reportgen reads ({limit // 1_000_000} MB); "
        "it is not a report or record reportgen wrote."
    )
    try:
        # the size is asked first, so that a huge file is refused without reading any of it
        if target.stat().st_size > limit:
            raise ReportgenError(too_big)
        # in text mode (newlines as read_text reads them); a device or pipe has no size to
        # ask, so at most one character past the limit is read
        with target.open(encoding="utf-8-sig") as fh:
            text = fh.read(limit + 1)
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
    if len(text) > limit:
        raise ReportgenError(too_big)
    return text


def record_from_html(text: str, *, source: str = "the page") -> dict[str, Any]:
    """Return the record embedded in a report's HTML, or explain why there is none."""
    found = _DATA.search(text)
    if found is None and _OPENING.search(text):
        raise ReportgenError(
            f"{source}: the embedded record (#reportgen-data) has no closing </script>; the "
            "page was cut short after it was written."
        )
    if found is None:
        raise ReportgenError(
            f"{source}: not a reportgen report: it has no "
            '<script type="application/json" id="reportgen-data"> element.'
        )
    try:
        record = _loads(found.group("body"))
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
    if not isinstance(record.get("provenance", {}), dict):
        raise ReportgenError(f"{source}: not a reportgen record: its provenance is not an object.")
    return record


def read_record(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a record from a report (.html) or a record file written by --json."""
    return _record_of(read_report_text(path), Path(path))


def _record_of(text: str, target: Path) -> dict[str, Any]:
    """The record in a file's text: the whole of a JSON record, or the one a page embeds."""
    if text.lstrip().startswith("{"):
        try:
            return _checked(_loads(text), str(target))
        except ValueError as exc:
            raise ReportgenError(f"{target}: not valid JSON: {exc}.") from exc
    return record_from_html(text, source=str(target))


def _first_nonfinite(node: Any, path: str) -> tuple[str, float] | None:
    """The first NaN or infinity in a record, with its place ('regression.rmse')."""
    if isinstance(node, float):
        return None if math.isfinite(node) else (path, node)
    if isinstance(node, dict):
        items: Any = ((f"{path}.{k}" if path else str(k), v) for k, v in node.items())
    elif isinstance(node, (list, tuple)):
        items = ((f"{path}[{i}]", v) for i, v in enumerate(node))
    else:
        return None
    for where, value in items:
        found = _first_nonfinite(value, where)
        if found is not None:
            return found
    return None


def require_finite(record: Mapping[str, Any], *, source: str | None = None) -> None:
    """Refuse a record holding NaN or infinity: JSON has neither, and no reader could use it.

    Every serialisation of a record (the --json file, the page's copy, the fingerprint) goes
    through here, so a number out of floating-point range is a message, never a traceback.
    """
    found = _first_nonfinite(record, "")
    if found is None:
        return
    where, value = found
    if source is None:
        prov = record.get("provenance")
        given = prov.get("input") if isinstance(prov, dict) else None
        source = str(given.get("path")) if isinstance(given, dict) and given.get("path") else None
    raise ReportgenError(
        f"{source or 'the input'}: the report's {where} came out as {value}: the numbers in "
        "the file are too large (or too small) for floating-point arithmetic to summarise. "
        "Rescale the columns (divide them by a power of ten) and build again."
    )


def canonical(record: Mapping[str, Any]) -> bytes:
    """Serialise a record the one way its fingerprint is taken over."""
    require_finite(record)
    return json.dumps(
        record, ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")
    ).encode("utf-8")


def fingerprint(record: Mapping[str, Any]) -> str:
    """SHA-256 of the record without its own fingerprint field."""
    copy = dict(record)
    prov = dict(copy.get("provenance", {}))
    prov.pop("fingerprint", None)
    copy["provenance"] = prov
    return "sha256:" + hashlib.sha256(canonical(copy)).hexdigest()


# what changes the numbers or the bytes of a report (matplotlib: figure bytes differ by version)
LIBRARIES = ("numpy", "pandas", "scikit-learn", "matplotlib", "pyarrow", "jinja2", "pillow")


def library_versions() -> dict[str, str]:
    """Versions of Python and of the libraries whose output ends up in the report."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def _split_page(page: str) -> tuple[str, str, str]:
    """Cut a page into what precedes the record's JSON, the JSON, and what follows it."""
    found = _DATA.search(page)
    if found is None:
        raise ReportgenError("the page has no #reportgen-data element to seal.")
    start, end = found.span("body")
    return page[:start], page[start:end], page[end:]


def page_digest(page: str) -> str:
    """SHA-256 of the visible page: everything except the embedded record's JSON."""
    before, _body, after = _split_page(page)
    return "sha256:" + hashlib.sha256((before + after).encode("utf-8")).hexdigest()


def seal(page: str, record: R) -> tuple[str, R]:
    """Return the page with the sealed record embedded, and the sealed record.

    The sealed record is a new value: `record` with the page digest and its fingerprint in
    its provenance. The record given is not edited.
    """
    from reportgen.render import embed_json

    provenance = {
        key: value
        for key, value in record["provenance"].items()
        if key not in ("page_sha256", "fingerprint")
    }
    provenance["page_sha256"] = page_digest(page)
    sealed = {**record, "provenance": provenance}
    provenance["fingerprint"] = fingerprint(sealed)
    before, _body, after = _split_page(page)
    return before + str(embed_json(sealed)) + after, cast(R, sealed)


def verify(path: str | os.PathLike[str], inputs: list[str]) -> list[tuple[bool, str]]:
    """Check a report's record and page against their seals and, given files, its inputs."""
    from reportgen.read.readers import sha256_of

    target = Path(path)
    text = read_report_text(target)  # once: the record and the page digest come from it
    record = _record_of(text, target)
    is_page = not text.lstrip().startswith("{")
    prov = record.get("provenance", {})
    checks: list[tuple[bool, str]] = []
    stored = prov.get("fingerprint")
    if stored is None:
        checks.append(
            (
                False,
                "the record has no fingerprint (reportgen 0.1 did not write one): "
                "nothing to check it against",
            )
        )
    else:
        now = fingerprint(record)
        checks.append(
            (True, f"record intact ({stored})")
            if now == stored
            else (
                False,
                f"record changed after it was written: it hashes to {now}, "
                f"its fingerprint says {stored}",
            )
        )
    if is_page and stored is not None:
        digest, page_stored = page_digest(text), prov.get("page_sha256")
        checks.append(
            (True, f"page intact ({digest})")
            if digest == page_stored
            else (
                False,
                f"page changed after it was written: its visible part hashes to "
                f"{digest}, the record says {page_stored}",
            )
        )
    known = _recorded_inputs(record)
    for item in inputs:
        file = Path(item)
        if not file.is_file():
            raise ReportgenError(f"--input {item}: no such file.")
        digest = sha256_of(file)
        match = [entry for entry in known if entry.get("sha256") == digest]
        if match:
            what = match[0].get("role") or "input"
            checks.append((True, f"{item} is the {what} it was built from (SHA-256 {digest})"))
        else:
            names = (
                ", ".join(f"{e.get('path')} ({str(e.get('sha256'))[:12]}…)" for e in known)
                or "none recorded"
            )
            checks.append(
                (
                    False,
                    f"{item} is not a file this report was built from: its SHA-256 is "
                    f"{digest[:12]}…; the report records {names}",
                )
            )
    return checks


def _recorded_inputs(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Every input file the record names, with its role and SHA-256."""
    prov = record.get("provenance", {})
    found: list[dict[str, Any]] = []
    if isinstance(prov.get("inputs"), list):
        found += [dict(item) for item in prov["inputs"] if isinstance(item, dict)]
    elif isinstance(prov.get("input"), dict):
        found.append({"role": "prediction file", **prov["input"]})
    others = prov.get("other_inputs")
    if isinstance(others, list):
        found += [dict(item) for item in others if isinstance(item, dict)]
    config = prov.get("config")
    if isinstance(config, dict):
        found.append({"role": "config file", **config})
    gates = record.get("gates")
    baseline = gates.get("baseline") if isinstance(gates, dict) else None
    if isinstance(baseline, dict) and baseline.get("sha256"):
        found.append({"role": "gate baseline", **baseline})
    return [entry for entry in found if entry.get("sha256")]
