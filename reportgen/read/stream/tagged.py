"""Rows a tag sheet marks, found batch by batch: what the sheet joins on and the keys rows carry."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportgen.read.table import PredictionTable

Marks = tuple[str, set[str]] | None  # what a tag sheet joins on (id or row) and its values


def tag_marks(tag_sheet: tuple[str, str] | None, id_column: str | None) -> Marks:
    """What a tag sheet joins on (id or row) and the values it names."""
    if tag_sheet is None:
        return None
    from reportgen.read.tags import read_tag_sheet

    sheet = read_tag_sheet(tag_sheet[0], separators=tag_sheet[1], id_fallback=id_column)
    return (sheet.id_column, set(sheet.ids))


def marked_keys(table: PredictionTable, marks: Marks) -> set[str]:
    """The tag-sheet keys (ids or row numbers) these rows carry."""
    if marks is None:
        return set()
    joined_on, ids = marks
    if joined_on == "row":
        text = pd.Series(table.row_numbers).astype("str")
    elif table.columns.id is not None:
        text = table.frame[table.columns.id].astype("str")
    else:
        return set()
    return set(text[text.isin(ids).to_numpy()].tolist())


def tagged_rows(
    table: PredictionTable,
    column: str | None,
    id_column: str | None,
    marks: Marks,
) -> np.ndarray:
    """Rows that carry tags: an id (or row number) the tag sheet names, or a bucket cell."""
    if marks is not None:
        joined_on, ids = marks
        if joined_on == "row":
            text = pd.Series(table.row_numbers).astype("str")
        elif id_column is not None:
            text = table.frame[id_column].astype("str")
        else:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(text.isin(ids).to_numpy())
    assert column is not None
    cells = table.frame[column]
    text = cells.astype("str").str.strip()
    return np.flatnonzero((cells.notna() & (text != "")).to_numpy())
