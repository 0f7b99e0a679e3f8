"""Parse error-bucket tags: cells like 'blur; edge_defect' and tag sheets saved by spreadsheets."""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportgen.errors import ReportgenError, format_rows, quoted
from reportgen.read.messages import listed_groups
from reportgen.read.sheet_text import sheet_text
from reportgen.read.textin import (
    has_controls,
    limit_text,
    max_cell_bytes,
    raised,
    visible,
    warn_controls,
)

DEFAULT_SEPARATORS = ";|,"
ID_ALIASES = ("id", "sample_id", "image_id", "uid")
# a review sheet of a prediction file without ids joins on the file's data row numbers
ROW_ID = "row"
BUCKET_ALIASES = ("buckets", "bucket", "tags")
MARKER_COLUMN = "review_sample"
# spreadsheets run a cell that starts with one of these as a formula (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DELIMITERS = (",", ";", "\t")
_MARKER = re.compile(
    r"random n=(?P<n>\d+) of (?P<total>\d+) errors seed=(?P<seed>\d+)"
    r"(?P<stratified> stratified by confusion pair)?(?: split=(?P<split>.*))?"
)


@dataclass(frozen=True)
class Sampling:
    """How a review sheet was drawn by `sample-errors`: a seeded random sample of errors."""

    seed: int
    n: int  # rows drawn
    total_errors: int  # errors there were to draw from (in `split`, when given)
    split: str | None = None
    stratified: bool = True  # allocated across (true, predicted) pairs by their sizes

    def marker(self) -> str:
        """Describe the sampling in the one line every review-sheet row carries."""
        text = f"random n={self.n} of {self.total_errors} errors seed={self.seed}"
        if self.stratified:
            text += " stratified by confusion pair"
        if self.split is not None:
            text += f" split={self.split}"
        return text

    @classmethod
    def from_marker(cls, text: str) -> Sampling | None:
        """Read a marker back; None when the text is not one."""
        match = _MARKER.fullmatch(text.strip("\r\n"))
        if match is None:
            return None
        return cls(
            seed=int(match["seed"]),
            n=int(match["n"]),
            total_errors=int(match["total"]),
            split=match["split"],
            stratified=match["stratified"] is not None,
        )


@dataclass(frozen=True)
class TagSheet:
    """Tags per id, read from a sheet; rows left without tags have an empty list."""

    path: str
    ids: list[str]
    tags: list[list[str]]  # as written, per sheet row
    row_numbers: list[int]  # 1-based data rows, counted after the header
    sampling: Sampling | None  # None: hand-picked, or not known to be a random sample
    id_column: str = "id"  # "row" means the ids are data row numbers of the prediction file
    buckets_column: str = "buckets"


def normalize_tag(tag: str) -> str:
    """Return the key a tag is counted under: case, spacing, '_' and '-' do not matter.

    'Edge_defect', ' edge-defect ' and 'EDGE  defect' all count as 'edge defect'.
    """
    text = unicodedata.normalize("NFKC", tag).casefold()
    return " ".join(text.replace("_", " ").replace("-", " ").split())


def split_tags(cell: object, separators: str = DEFAULT_SEPARATORS) -> list[str]:
    """Split a cell into tags as written, dropping empty parts and repeats of the same key.

    Every character of `separators` separates tags; "" keeps the cell as one tag.
    None, NaN and blank cells give no tags.
    """
    text = _cell_text(cell)
    if text is None:
        return []
    parts = re.split(f"[{re.escape(separators)}]", text) if separators else [text]
    tags: list[str] = []
    seen: set[str] = set()
    for part in parts:
        tag = part.strip()
        key = normalize_tag(tag)
        if key and key not in seen:
            seen.add(key)
            tags.append(tag)
    return tags


def _cell_text(cell: object) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, str):
        return cell
    try:
        if cell != cell:  # NaN, NaT
            return None
    except TypeError:  # pandas.NA refuses to be a bool
        return None
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a column of numeric tags read as floats
    return str(cell)


def unescape_cell(text: str) -> str:
    """Undo the apostrophe that guards a cell against being run as a formula."""
    if text.startswith("'") and text[1:2] and text[1] in FORMULA_STARTS:
        return text[1:]
    return text


def escape_cell(text: str) -> str:
    """Guard a cell that a spreadsheet would run as a formula with a leading apostrophe.

    Plain numbers such as '-1' are left alone: they cannot run, and labels are often negative.
    """
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def read_tag_sheet(
    path: str | os.PathLike[str],
    *,
    id_column: str | None = None,
    buckets_column: str | None = None,
    separators: str = DEFAULT_SEPARATORS,
    id_fallback: str | None = None,
) -> TagSheet:
    """Read a CSV or TSV tag sheet as spreadsheet programs save it.

    UTF-8 with or without a byte-order mark (or UTF-16 with one, as Excel's 'Unicode
    Text'), delimiter `,` `;` or tab found from the header, any line ends, quoted cells.
    Without `id_column`, the id column is the one named like an id (id, sample_id, ...),
    else `id_fallback` (typically the prediction file's id column) when the sheet has it,
    else `row` (data row numbers of a prediction file without ids).
    """
    where = str(path)
    text = sheet_text(Path(path), where)
    header_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    id_names = [*ID_ALIASES, ROW_ID] + ([id_fallback] if id_fallback is not None else [])
    delimiter = _sniff(
        header_line,
        [id_column] if id_column is not None else id_names,
        [buckets_column] if buckets_column is not None else BUCKET_ALIASES,
    )
    # strict: a stray or unclosed quote is an error, not rows silently run together
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    limit = csv.field_size_limit(max_cell_bytes())  # the cell limit, counted in characters
    try:
        records = list(reader)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise ReportgenError(
                f"{where}: line {reader.line_num} has a cell longer than "
                f"{limit_text(max_cell_bytes())}, the limit per cell. If it is meant to be this "
                f"long, raise the limit with --max-cell-bytes (e.g. --max-cell-bytes "
                f"{raised(max_cell_bytes())})."
            ) from exc
        raise ReportgenError(
            f"{where}: could not be read as CSV: line {reader.line_num}: {exc}. Most often a "
            'cell has an unclosed quote or text after its closing quote ("a"b); quote the '
            'whole cell and double the quotes inside it ("a""b").'
        ) from exc
    finally:
        csv.field_size_limit(limit)
    if has_controls(text):
        records = _visible_records(records, where)
    names = [name.replace("\ufeff", "") for name in records[0]]
    id_col = _find(names, id_column, ID_ALIASES, "id", where)
    if id_col is None and id_fallback is not None and id_fallback in names:
        id_col = id_fallback
    if id_col is None:
        id_col = _find(names, None, (ROW_ID,), "id", where)
    if id_col is None:
        raise ReportgenError(
            f"{where}: no id column found; looked for {', '.join(ID_ALIASES)}"
            + (f", {id_fallback}" if id_fallback is not None else "")
            + f" (or {ROW_ID}, for the data row numbers of a prediction file without ids). "
            f"The sheet has "
            f"columns: {_list_names(names)}. Rename the id column to one of those, or name it "
            "explicitly."
        )
    tag_col = _find(names, buckets_column, BUCKET_ALIASES, "tags", where)
    if tag_col is None:
        raise ReportgenError(
            f"{where}: no tags column found; looked for {', '.join(BUCKET_ALIASES)}. The sheet "
            f"has columns: {_list_names(names)}. Rename the tags column to one of those, or name "
            "it explicitly."
        )
    if tag_col == id_col:
        raise ReportgenError(f"{where}: column '{id_col}' was named for both the ids and the tags.")
    for col in (id_col, tag_col):
        if names.count(col) > 1:  # a name given explicitly (or the fallback) may be repeated
            places = [str(i) for i, n in enumerate(names, start=1) if n == col]
            raise ReportgenError(
                f"{where}: the header has column '{col}' {len(places)} times (columns "
                f"{', '.join(places[:-1])} and {places[-1]}, counted from 1); which one was "
                "meant cannot be told. Rename or remove the others."
            )
    # the marker is optional: a missing or doubled one only means "not known to be random"
    marker_cols = [n for n in names if n.strip().lower() == MARKER_COLUMN]
    marker_col = marker_cols[0] if len(marker_cols) == 1 else None
    at = {name: i for i, name in reversed(list(enumerate(names)))}

    def cell(record: list[str], name: str | None) -> str:
        i = at[name] if name is not None else len(record)
        return unescape_cell(record[i]) if i < len(record) else ""  # short rows: empty

    ids: list[str] = []
    tags: list[list[str]] = []
    rows: list[int] = []
    markers: list[str] = []
    first_row: dict[str, int] = {}
    conflicts: dict[str, list[int]] = {}
    unnamed: list[int] = []
    for number, record in enumerate(records[1:], start=1):
        sample_id, written = cell(record, id_col), split_tags(cell(record, tag_col), separators)
        if sample_id.strip() == "":
            if written:
                unnamed.append(number)
            continue  # blank rows, as spreadsheets leave below the data
        markers.append(cell(record, marker_col))
        if sample_id in first_row:
            before = first_row[sample_id]
            if _keys(tags[before]) != _keys(written):
                conflicts.setdefault(sample_id, [rows[before]]).append(number)
            continue
        first_row[sample_id] = len(ids)
        ids.append(sample_id)
        tags.append(written)
        rows.append(number)
    note = "Rows are counted from 1 after the header."
    if unnamed:
        raise ReportgenError(
            f"{where}: {len(unnamed)} {'row has' if len(unnamed) == 1 else 'rows have'} tags in "
            f"column '{tag_col}' but no id in column '{id_col}' ({format_rows(unnamed)}). Fill "
            f"in the ids, or clear those tags. {note}"
        )
    if conflicts:
        raise ReportgenError(
            f"{where}: {len(conflicts)} {'id is' if len(conflicts) == 1 else 'ids are'} listed "
            f"more than once in column '{id_col}' with different tags in column '{tag_col}': "
            f"{listed_groups(conflicts)}. Keep one row per id. {note}"
        )
    if not ids:
        what = "has column names but no rows" if len(records) == 1 else "has no row with an id"
        raise ReportgenError(f"{where}: {what}; expected one row per id with its tags.")
    return TagSheet(
        path=str(path),
        ids=ids,
        tags=tags,
        row_numbers=rows,
        sampling=_sampling(markers, len(ids)) if marker_col is not None else None,
        id_column=id_col,
        buckets_column=tag_col,
    )


def _visible_records(records: list[list[str]], where: str) -> list[list[str]]:
    """Show control characters as escapes, as the prediction file's are, and say how many."""
    counts: dict[str, int] = {}
    names = records[0]
    for record in records:
        for i, value in enumerate(record):
            if has_controls(value):
                name = names[i] if i < len(names) else f"column {i + 1}"
                counts[name] = counts.get(name, 0) + 1
    warn_controls(counts, where)
    return [[visible(value) for value in record] for record in records]


def _keys(tags: list[str]) -> frozenset[str]:
    return frozenset(normalize_tag(t) for t in tags)


def _sampling(markers: list[str], rows: int) -> Sampling | None:
    """The sampling every row names alike; None when rows disagree, carry none, or were added."""
    if not markers or any(m != markers[0] for m in markers):
        return None
    sampling = Sampling.from_marker(markers[0])
    if sampling is None or rows > sampling.n:
        return None  # rows beyond the sample were copied in by hand
    return sampling


def _sniff(header: str, id_names: Sequence[str], tag_names: Sequence[str]) -> str:
    """Choose the delimiter under which the header names the columns we need, then the widest."""

    def score(delimiter: str) -> tuple[int, int]:
        names = next(csv.reader([header], delimiter=delimiter), [])
        keys = {n.replace("\ufeff", "").strip().lower() for n in names}
        found = sum(any(w.strip().lower() in keys for w in want) for want in (id_names, tag_names))
        return found, len(names)

    return max(DELIMITERS, key=score)


def _find(
    names: list[str], explicit: str | None, aliases: Sequence[str], what: str, where: str
) -> str | None:
    if explicit is not None:
        if explicit in names:
            return explicit
        raise ReportgenError(
            f"{where}: no column '{explicit}' (named as the {what} column). The sheet has "
            f"columns: {_list_names(names)}."
        )
    matches = list(dict.fromkeys(n for n in names if n.strip().lower() in aliases))
    if len(matches) > 1 or (matches and names.count(matches[0]) > 1):
        both = (
            " and ".join(map(quoted, matches))
            if len(matches) > 1
            else f"{quoted(matches[0])} twice"
        )
        raise ReportgenError(
            f"{where}: the header has {both}, each could be the {what} column. Name the right "
            "one explicitly, or rename the other."
        )
    return matches[0] if matches else None


def _list_names(names: Sequence[str], limit: int = 40) -> str:
    if not names or names == [""]:
        return "(none)"
    shown = ", ".join(quoted(n) for n in names[:limit])
    return shown + (f", … ({len(names)} in all)" if len(names) > limit else "")
