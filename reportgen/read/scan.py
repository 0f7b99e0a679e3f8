"""Scan a text file once before it is parsed: its hash, control bytes, cell and line sizes."""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

from reportgen.errors import ReportgenError
from reportgen.read.textin import (
    CHUNK,
    CONTROL_BYTES,
    GZIP_ERRORS,
    GZIP_MAGIC,
    LINE_FACTOR,
    limit_text,
    max_cell_bytes,
    max_line_bytes,
    raised,
)


@dataclass(frozen=True)
class Scan:
    """What one pass over a text file found: its raw SHA-256 and whether it holds controls."""

    sha256: str
    controls: bool


class _Hashing:
    """A raw file that hashes what is read from it, so one pass both hashes and decompresses."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.mode = "rb"

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data

    def rest(self) -> None:
        for chunk in iter(lambda: self.raw.read(1 << 20), b""):
            self.digest.update(chunk)


def scan_file(path: Path, fmt: str, where: str) -> Scan:
    """Check every cell and line of a CSV, TSV or JSON Lines file against the limits.

    One pass in bounded memory (chunks of CHUNK bytes), which also yields the file's
    SHA-256, so the check costs little beyond the hash that is taken anyway.
    """
    with path.open("rb") as raw:
        hashing = _Hashing(raw)
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            source: Any = gzip.GzipFile(fileobj=hashing, mode="rb")  # type: ignore[call-overload]
        else:
            raw.seek(0)
            source = hashing
        try:
            size = chunk_size()
            controls = scan_chunks(iter(lambda: source.read(size), b""), fmt, where)
        except GZIP_ERRORS:
            controls = False  # a corrupt gzip: the parser reports it in its own words
        hashing.rest()
    return Scan(hashing.digest.hexdigest(), controls)


def chunk_size() -> int:
    """Bytes to scan at a time: one cell limit (within 64 KiB and 4 MiB)."""
    return max(1 << 16, min(CHUNK, max_cell_bytes()))


def scan_chunks(chunks: Iterable[bytes], fmt: str, where: str) -> bool:
    """Check cells and lines chunk by chunk; return whether any control character occurs.

    CSV and TSV cells end at a separator or newline outside double quotes (quotes are
    counted, so "" inside a quoted cell keeps the parity); JSON Lines records end at a
    newline, which JSON text cannot hold inside a string. A chunk no longer than the cell
    limit and without quotes cannot hold a whole cell over the limit, so only the cells
    that cross its edges are measured, with memchr-speed searches (the common case).
    """
    cell_limit, line_limit = max_cell_bytes(), max_line_bytes()
    sep = {"csv": b",", "tsv": b"\t"}.get(fmt)
    offset = 0  # bytes before this chunk
    newlines = 0  # newlines before this chunk (physical lines, in quotes or not)
    last_cell = 0  # absolute position just after the last cell boundary
    last_line = 0  # absolute position just after the last record end
    line_of = {"cell": 1, "line": 1}  # the line each of those two positions is on
    quoted = 0  # parity of the double quotes seen so far
    controls = False
    for chunk in chunks:
        data = np.frombuffer(chunk, dtype=np.uint8)
        ends = int(np.count_nonzero(data == 10))
        if not controls:
            controls = _has_control_bytes(data, chunk, ends)
        quotes = chunk.count(b'"') if sep is not None and b'"' in chunk else 0
        if quotes or quoted or len(chunk) > cell_limit:
            bounds, lines = _bounds(data, sep, quoted)
        else:
            bounds, lines = _edge_bounds(chunk, sep)
        quoted = (quoted + quotes) & 1
        for starts, stops, limit, what in (
            (last_cell, bounds, cell_limit, "cell"),
            (last_line, lines, line_limit, "line"),
        ):
            if what == "cell" and sep is None:
                continue  # JSON Lines: cells are checked once parsed
            edges = np.concatenate(([starts - offset], stops + 1))
            lengths = np.diff(edges) - 1
            if len(lengths) and lengths.max() > limit:
                at = int(edges[int(np.argmax(lengths > limit))])
            elif len(data) - edges[-1] > limit:
                at = int(edges[-1])
            else:
                continue
            if at < 0:  # the cell or line began in an earlier chunk
                line = line_of[what]
            else:
                line = newlines + int(np.count_nonzero(data[: min(at, len(data))] == 10)) + 1
            # a cell still inside quotes at the chunk's end most often has a stray quote
            raise _too_long(where, what, limit, line, fmt, open_quote=bool(quoted))
        # the newlines after a chunk's last boundary are few: count those, not the ones before
        if len(bounds):
            last_cell = offset + int(bounds[-1]) + 1
            line_of["cell"] = newlines + ends - chunk.count(b"\n", int(bounds[-1]) + 1) + 1
        if len(lines):
            last_line = offset + int(lines[-1]) + 1
            line_of["line"] = newlines + ends - chunk.count(b"\n", int(lines[-1]) + 1) + 1
        newlines += ends
        offset += len(data)
    return controls


def _has_control_bytes(data: np.ndarray, chunk: bytes, newlines: int) -> bool:
    """Whether a chunk holds a control byte: counted cheaply, looked up only when in doubt."""
    if b"\x7f" in chunk:
        return True
    if int(np.count_nonzero(data < 32)) == newlines:
        return False  # every byte below space is a newline
    return bool(CONTROL_BYTES[data].any())  # tabs or carriage returns: look closer


def _bounds(data: np.ndarray, sep: bytes | None, quoted: int) -> tuple[np.ndarray, np.ndarray]:
    """Every cell boundary and record end of a chunk outside quotes (quoted: parity before)."""
    ends = data == 10
    if sep is None:
        lines = np.flatnonzero(ends)
        return lines, lines
    quotes = np.flatnonzero(data == 34)
    bounds = np.flatnonzero(ends | (data == sep[0]))
    if len(quotes) or quoted:
        outside = ((np.searchsorted(quotes, bounds) + quoted) & 1) == 0
        bounds = bounds[outside]
    return bounds, bounds[data[bounds] == 10]


def _edge_bounds(chunk: bytes, sep: bytes | None) -> tuple[np.ndarray, np.ndarray]:
    """The first and last cell boundary and record end of a chunk without quotes."""
    lines = [i for i in (chunk.find(b"\n"), chunk.rfind(b"\n")) if i >= 0]
    cells = list(lines)
    if sep is not None:
        cells += [i for i in (chunk.find(sep), chunk.rfind(sep)) if i >= 0]
    return np.unique(np.array(cells, dtype=np.int64)), np.unique(np.array(lines, dtype=np.int64))


def _too_long(
    where: str, what: str, limit: int, line: int, fmt: str, *, open_quote: bool = False
) -> ReportgenError:
    """Explain a cell or line over the limit, and how to raise it."""
    cell = max_cell_bytes()
    stray = (
        " The cell is inside double quotes that do not close within the limit: if a quote "
        'there is a stray one, remove it or double it ("").'
        if open_quote
        else ""
    )
    if what == "cell":
        said = f"has a cell longer than {limit_text(limit)}, the limit per cell"
    else:
        kind = "a JSON record" if fmt == "jsonl" else "a line"
        said = (
            f"holds {kind} longer than {limit_text(limit)}, the limit per line "
            f"({LINE_FACTOR} times the cell limit of {limit_text(cell)})"
        )
    return ReportgenError(
        f"{where}: line {line} {said}; reading stopped there. A compressed file can hold a "
        "cell far larger than the file looks (a decompression bomb), so cells are bounded. "
        "If the data is meant to be this long, raise the limit with --max-cell-bytes (e.g. "
        f"--max-cell-bytes {raised(cell)}). Lines are counted from 1, the header "
        f"being line 1.{stray}"
    )


def check_cells(values: Iterable[Any], column: str, where: str, rows: np.ndarray) -> None:
    """Refuse a text cell over the limit in a parsed column (JSON Lines, Parquet, batches)."""
    limit = max_cell_bytes()
    for i, value in enumerate(values):
        if isinstance(value, str) and len(value) * 4 > limit and len(value.encode()) > limit:
            raise ReportgenError(
                f"{where}: column '{column}' row {int(rows[i])} has a cell longer than "
                f"{limit_text(limit)}, the limit per cell. If the data is meant to be this "
                f"long, raise the limit with --max-cell-bytes (e.g. --max-cell-bytes "
                f"{raised(limit)})."
            )
