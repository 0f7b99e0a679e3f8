"""Wording the read checks share: how many cells, and what the row numbers count."""

from __future__ import annotations

from reportgen.read.table import SourceInfo


def cells_text(n: int, kind: str) -> str:
    """Say '1 empty cell' or '3 empty cells'."""
    return f"{n} {kind} {'cell' if n == 1 else 'cells'}"


def row_note(source: SourceInfo) -> str:
    """Say what the row numbers in a message count."""
    if source.path is None:
        return "Rows are positions in the DataFrame, counted from 1."
    if source.format == "jsonl":
        return "Rows are the file's JSON objects, counted from 1."
    if source.format == "parquet":
        return "Rows are counted from 1."
    return "Rows are counted from 1 after the header."
