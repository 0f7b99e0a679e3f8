"""Keep a report under a size budget: fewer sample rows first, then no thumbnails."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from reportgen.errors import ReportgenError

DEFAULT_MAX_BYTES = 5_000_000
_UNITS = {"": 1, "b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}  # fmt: skip
DROPPED = "left out to keep the report under its size budget (--max-bytes)"


def parse_size(text: str | int, *, where: str | None = None) -> int:
    """Read a size such as 5MB, 800KB, 2MiB or a number of bytes; 0 means no budget.

    Messages begin with `where` (default: the --max-bytes option and the text given).
    """
    where = f"--max-bytes {text}" if where is None else where
    negative = ReportgenError(f"{where}: a size cannot be negative.")
    if isinstance(text, int):
        if text < 0:
            raise negative
        return text
    found = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*", text.lower())
    if found is None:
        raise ReportgenError(
            f"{where}: not a size; give bytes or a unit, e.g. 5MB, 800KB, 0 for no limit."
        )
    number = float(found.group(1))
    if number < 0:
        raise negative
    if number * _UNITS[_unit(found.group(2))] >= 1e18:  # 400 digits are inf as a float
        raise ReportgenError(f"{where}: too large; give at most 1000000GB, or 0 for no limit.")
    value = int(number * _UNITS[_unit(found.group(2))])
    if number > 0 and value == 0:
        # 0 means no budget at all: a size that rounds down to it must not turn the limit off
        raise ReportgenError(f"{where}: less than one byte; 0 means no limit.")
    return value


def _unit(text: str | None) -> str:
    """The unit of a size as _UNITS names it: 'm' and 'mb' are 'mb'."""
    unit = text or ""
    return unit if unit.endswith("b") or unit == "" else unit + "b"


def size_text(n: int) -> str:
    """Say a byte count the way the budget option is written (5 MB, 820 KB)."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB".replace(".0 MB", " MB")
    if n >= 1_000:
        return f"{n / 1_000:.0f} KB"
    return "1 byte" if n == 1 else f"{n} bytes"


def sample_tables(node: Any) -> Iterator[dict[str, Any]]:
    """Every table of shown rows in a record (a dict with rows, shown and total)."""
    if isinstance(node, dict):
        if isinstance(node.get("rows"), list) and "shown" in node and "total" in node:
            yield node
            return
        for value in node.values():
            yield from sample_tables(value)
    elif isinstance(node, list):
        for value in node:
            yield from sample_tables(value)


def _keep(table: dict[str, Any], limit: int) -> None:
    """Keep at most `limit` rows: evenly spread over a random sample, the first of a ranking."""
    rows = table["rows"]
    if len(rows) <= limit:
        return
    if "seed" in table and limit > 0:
        step = (len(rows) - 1) / max(limit - 1, 1)
        rows = [rows[round(i * step)] for i in range(limit)] if limit > 1 else rows[:1]
    else:
        rows = rows[:limit]
    table["rows"] = rows
    table["shown"] = len(rows)


def _referenced(record: dict[str, Any]) -> set[str]:
    return {
        row["image"]["source"]
        for table in sample_tables(record)
        for row in table["rows"]
        if isinstance(row.get("image"), dict) and row["image"].get("shown")
    }


def fit(
    render: Callable[[], str],
    record: dict[str, Any],
    thumbnails: dict[str, dict[str, Any]],
    max_bytes: int,
) -> str:
    """Render, and while the page is over budget cut sample rows, then thumbnails; say what."""
    budget: dict[str, Any] = record.setdefault(
        "budget", {"max_bytes": max_bytes, "cuts": [], "over": None}
    )
    # a second fit (the record changed after a first render) keeps the cuts already made and
    # the budget they were made for, but not a verdict about the old page
    budget["over"] = None
    if max_bytes > 0:
        budget["max_bytes"] = max_bytes
    page = render()
    if max_bytes <= 0 or len(page.encode("utf-8")) <= max_bytes:
        return page
    tables = list(sample_tables(record))
    most = max((len(t["rows"]) for t in tables), default=0)
    asked = record["provenance"]["options"].get("max_samples", most)
    limits = []
    while most > 5:
        most = max(5, most // 2)
        limits.append(most)
    size = len(page.encode("utf-8"))
    cuts: dict[str, int | bool] = {}

    def apply(limit: int | None) -> None:
        if limit is None:
            _drop_thumbnails(record, thumbnails)
            cuts["thumbnails"] = True
        else:
            for table in tables:
                _keep(table, limit)
            cuts["rows"] = limit
        for source in set(thumbnails) - _referenced(record):
            del thumbnails[source]
        budget["cuts"] = _describe(cuts, asked)

    # only the cuts that remove something: no "thumbnails are left out" on a page without any
    stages: list[int | None] = list(limits)
    if thumbnails or _referenced(record):
        stages.append(None)
    if any(table["rows"] for table in tables):
        stages.append(0)
    for limit in stages:
        apply(limit)
        page = render()
        if len(page.encode("utf-8")) <= max_bytes:
            return page
    now = size_text(len(page.encode("utf-8")))
    budget["over"] = (
        f"Even so, the page is {now}, over the {size_text(max_bytes)} budget (size "
        f"{size_text(size)} before the cuts): its figures and tables alone are that large"
        if stages
        else f"The page is {now}, over the {size_text(max_bytes)} budget, and it has no sample "
        "rows or thumbnails to cut: its figures and tables alone are that large"
    )
    return render()


def _drop_thumbnails(record: dict[str, Any], thumbnails: dict[str, dict[str, Any]]) -> None:
    for table in sample_tables(record):
        for row in table["rows"]:
            image = row.get("image")
            if isinstance(image, dict) and image.get("shown"):
                image["shown"] = False
                image["reason"] = DROPPED
    thumbnails.clear()


def _describe(cuts: dict[str, int | bool], asked: int) -> list[str]:
    """Say what was cut, one phrase per kind of cut."""
    said = []
    if "rows" in cuts:
        limit = int(cuts["rows"])
        said.append(
            f"sample tables show at most {limit} rows each (asked for {asked})"
            if limit
            else "sample tables are left out"
        )
    if cuts.get("thumbnails"):
        said.append("thumbnails are left out")
    return said
