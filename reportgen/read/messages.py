"""Wording the read checks share: how many cells, and what the row numbers count."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

import numpy as np

from reportgen.errors import ReportgenError, format_rows, quoted
from reportgen.read.table import SourceInfo

Key = TypeVar("Key")


def cells_text(n: int, kind: str) -> str:
    """Say '1 empty cell' or '3 empty cells'."""
    return f"{n} {kind} {'cell' if n == 1 else 'cells'}"


def counted(n: int, noun: str) -> str:
    """Say '1 value' or '3 values'."""
    return f"{n} {noun if n == 1 else noun + 's'}"


def empty_cells(column: str, empty: np.ndarray, row_numbers: np.ndarray) -> str:
    """Say "<column> has 2 empty cells (rows 3, 7)" for the rows the mask marks."""
    rows = row_numbers[empty].tolist()
    return f"{column} has {cells_text(len(rows), 'empty')} ({format_rows(rows)})"


def refuse_empty(
    where: str, column: str, empty: np.ndarray, row_numbers: np.ndarray, advice: str
) -> None:
    """Raise a usage error naming the empty cells of a column, if the mask marks any."""
    if empty.any():
        raise ReportgenError(f"{where}: {empty_cells(column, empty, row_numbers)}. {advice}")


def listed_groups(groups: Mapping[Key, list[int]], name: Callable[[Key], str] = quoted) -> str:
    """Say the first three groups with their rows, and '…' when there are more."""
    shown = "; ".join(f"{name(k)} ({format_rows(v, limit=3)})" for k, v in list(groups.items())[:3])
    return shown + (" …" if len(groups) > 3 else "")


def row_note(source: SourceInfo) -> str:
    """Say what the row numbers in a message count."""
    if source.path is None:
        return "Rows are positions in the DataFrame, counted from 1."
    if source.format == "jsonl":
        return "Rows are the file's JSON objects, counted from 1."
    if source.format == "parquet":
        return "Rows are counted from 1."
    return "Rows are counted from 1 after the header."
