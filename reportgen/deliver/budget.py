"""Keep a report under a size budget: fewer sample rows, then no thumbnails (or pictures first)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Generic, TypeGuard, TypeVar, cast

from reportgen.errors import ReportgenError
from reportgen.record.types import (
    BudgetBlock,
    JSONValue,
    PageThumbnail,
    RecordBase,
    SampleRowBlock,
    SampleTableBlock,
)

DEFAULT_MAX_BYTES = 5_000_000
_UNITS = {"": 1, "b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000,
          "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}  # fmt: skip
T = TypeVar("T")
R = TypeVar("R", bound=RecordBase)  # a record of any kind
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


def sample_tables(node: object) -> Iterator[SampleTableBlock]:
    """Every table of shown rows in a record (a dict with rows, shown and total)."""
    if isinstance(node, dict):
        if _is_table(node):
            yield node
            return
        for value in node.values():
            yield from sample_tables(value)
    elif isinstance(node, list):
        for value in node:
            yield from sample_tables(value)


def _is_table(node: Mapping[str, object]) -> TypeGuard[SampleTableBlock]:
    """Whether a dict of the record is a table of shown rows, found by its shape.

    A comparison's paired tables have this shape too; the cuts read only the keys they share
    (rows, shown, seed, and a row's image), so one walk serves every kind of record.
    """
    return isinstance(node.get("rows"), list) and "shown" in node and "total" in node


def _with_tables(node: T, change: Callable[[SampleTableBlock], SampleTableBlock]) -> T:
    """Return `node` with every sample table replaced by `change(table)`; `node` is not edited.

    Containers holding no table are shared with `node`, so a cut costs what it changes.
    """
    if isinstance(node, dict):
        if _is_table(node):
            return cast(T, change(node))
        items = {key: _with_tables(value, change) for key, value in node.items()}
        same = all(items[key] is value for key, value in node.items())
        return node if same else cast(T, items)
    if isinstance(node, list):
        values = [_with_tables(value, change) for value in node]
        return node if all(a is b for a, b in zip(values, node, strict=True)) else cast(T, values)
    return node


def _keep(limit: int) -> Callable[[SampleTableBlock], SampleTableBlock]:
    """Keep at most `limit` rows: evenly spread over a random sample, the first of a ranking."""

    def change(table: SampleTableBlock) -> SampleTableBlock:
        rows = table["rows"]
        if len(rows) <= limit:
            return table
        if "seed" in table and limit > 0:
            step = (len(rows) - 1) / max(limit - 1, 1)
            rows = [rows[round(i * step)] for i in range(limit)] if limit > 1 else rows[:1]
        else:
            rows = rows[:limit]
        return {**table, "rows": rows, "shown": len(rows)}

    return change


def _without_thumbnails(table: SampleTableBlock) -> SampleTableBlock:
    """Say of every shown image in a table that the budget left it out."""

    def row_of(row: SampleRowBlock) -> SampleRowBlock:
        image = row.get("image")
        if isinstance(image, dict) and image.get("shown"):
            return {**row, "image": {**image, "shown": False, "reason": DROPPED}}
        return row

    return {**table, "rows": [row_of(row) for row in table["rows"]]}


def _pictures(table: SampleTableBlock) -> int:
    """How many of a table's rows show a picture."""
    return sum(
        isinstance(i := row.get("image"), dict) and bool(i.get("shown")) for row in table["rows"]
    )


def _pictures_on(limit: int) -> Callable[[SampleTableBlock], SampleTableBlock]:
    """Keep the pictures of a table's first `limit` rows that show one; the rest say why not."""

    def change(table: SampleTableBlock) -> SampleTableBlock:
        rows, seen = [], 0
        for row in table["rows"]:
            image = row.get("image")
            if isinstance(image, dict) and image.get("shown"):
                seen += 1
                if seen > limit:
                    row = {**row, "image": {**image, "shown": False, "reason": DROPPED}}
            rows.append(row)
        return {**table, "rows": rows}

    return change


def _referenced(record: object) -> set[str]:
    """The image sources the record's shown rows still show."""
    return {
        image["source"]
        for table in sample_tables(record)
        for row in table["rows"]
        if isinstance(image := row.get("image"), dict) and image.get("shown")
    }


@dataclass(frozen=True)
class Fitted(Generic[R]):
    """A page under its budget, with the record and thumbnails it was rendered from."""

    page: str
    record: R  # the record given, with the rows kept and its `budget` block
    thumbnails: dict[str, PageThumbnail]  # the thumbnails the kept rows show


def fit(
    render: Callable[[R, dict[str, PageThumbnail]], str],
    record: R,
    thumbnails: Mapping[str, PageThumbnail],
    max_bytes: int,
    *,
    pictures_first: bool = False,
) -> Fitted[R]:
    """Render, and while the page is over budget cut sample rows, then thumbnails; say what.

    With `pictures_first` (a page whose pictures are most of its bytes, as a detection
    report's boxed pictures are), pictures go first: fewer rows keep theirs, then none does,
    and only then are rows cut. `render(record, thumbnails)` makes the page. The record and
    thumbnails given are not edited: the cut ones come back, new, in the result. A record of
    any kind walks the same way (its sample tables are found by their shape), so the result
    has its type.
    """
    # a second fit (of a record fitted before) keeps the cuts already made and the budget
    # they were made for, but not a verdict about the old page
    header: RecordBase = record  # mypy reads a key of a TypedDict type variable as object
    fresh: BudgetBlock = {"max_bytes": max_bytes, "cuts": [], "over": None}
    budget: BudgetBlock = {**(header.get("budget") or fresh), "over": None}
    if max_bytes > 0:
        budget["max_bytes"] = max_bytes
    current = _with_budget(record, budget)
    shown: dict[str, PageThumbnail] = dict(thumbnails)
    page = render(current, shown)
    if max_bytes <= 0 or len(page.encode("utf-8")) <= max_bytes:
        return Fitted(page, current, shown)
    tables = list(sample_tables(current))
    most = max((len(t["rows"]) for t in tables), default=0)
    asked = current["provenance"]["options"].get("max_samples", most)
    limits = []
    while most > 5:
        most = max(5, most // 2)
        limits.append(most)
    size = len(page.encode("utf-8"))
    cuts: dict[str, int | bool] = {}
    # only the cuts that remove something: no "thumbnails are left out" on a page without any
    stages: list[int | tuple[int] | None] = list(limits)
    if shown or _referenced(current):
        stages.append(None)
        if pictures_first:
            pictures = max((_pictures(t) for t in tables), default=0)
            halves = []
            while pictures > 1:
                pictures //= 2
                halves.append((pictures,))
            stages = [*halves, None, *limits]
    if any(table["rows"] for table in tables):
        stages.append(0)
    for limit in stages:
        # each cut starts from the last one (rows halved again), never from the caller's record
        if limit is None:
            current = _with_tables(current, _without_thumbnails)
            cuts["thumbnails"] = True
        elif isinstance(limit, tuple):
            current = _with_tables(current, _pictures_on(limit[0]))
            cuts["pictures"] = limit[0]
        else:
            current = _with_tables(current, _keep(limit))
            cuts["rows"] = limit
        kept = _referenced(current)
        shown = {source: data for source, data in shown.items() if source in kept}
        budget = {**budget, "cuts": _describe(cuts, asked)}
        current = _with_budget(current, budget)
        page = render(current, shown)
        if len(page.encode("utf-8")) <= max_bytes:
            return Fitted(page, current, shown)
    now = size_text(len(page.encode("utf-8")))
    over = (
        f"Even so, the page is {now}, over the {size_text(max_bytes)} budget (size "
        f"{size_text(size)} before the cuts): its figures and tables alone are that large"
        if stages
        else f"The page is {now}, over the {size_text(max_bytes)} budget, and it has no sample "
        "rows or thumbnails to cut: its figures and tables alone are that large"
    )
    current = _with_budget(current, {**budget, "over": over})
    return Fitted(render(current, shown), current, shown)


def _with_budget(record: R, budget: BudgetBlock) -> R:
    """A new record of the same kind, with its `budget` block replaced."""
    # a TypedDict spread loses its kind for mypy: the keys are the record's, the type too
    return cast(R, {**record, "budget": budget})


def _describe(cuts: dict[str, int | bool], asked: JSONValue) -> list[str]:
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
    elif "pictures" in cuts:
        said.append(f"thumbnails are shown for the first {int(cuts['pictures'])} rows of a table")
    return said
