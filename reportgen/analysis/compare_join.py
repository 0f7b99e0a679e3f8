"""Join two prediction tables row for row (by id or by order) and choose the rows a
comparison describes (by build's --eval-split rule)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reportgen.analysis.evaluation import ALL, Evaluation, choose_evaluation, count_texts
from reportgen.analysis.splits import MISSING, split_text
from reportgen.errors import ReportgenError, as_written
from reportgen.read.table import PredictionTable, label_text, restrict

SHOWN_IDS = 5  # ids quoted in a join error
# True values of a regression file written by two tools may differ in the last digits.
TRUE_RTOL = 1e-9

# ---------------------------------------------------------------- join


@dataclass(frozen=True)
class Joined:
    """Both tables on the same rows in the same order, labels coded against their union."""

    a: PredictionTable
    b: PredictionTable  # row i of b is row i of a
    method: str  # "id" or "row order"
    labels: list[str]  # the union, in display order (classification)
    label_kind: str
    # every joined row, when a and b keep only some of them (the evaluated rows); else None
    whole: tuple[PredictionTable, PredictionTable] | None = None
    kept: np.ndarray | None = None  # which of the whole rows a and b keep

    @property
    def matched(self) -> int:
        """How many rows the two files share (before any are left out)."""
        return self.a.n if self.whole is None else self.whole[0].n


def take(table: PredictionTable, order: np.ndarray) -> PredictionTable:
    """Reorder (or select) a table's rows by position."""

    def pick(values: np.ndarray | None) -> np.ndarray | None:
        return None if values is None else values[order]

    return replace(
        table,
        frame=table.frame.iloc[order].reset_index(drop=True),
        row_numbers=table.row_numbers[order],
        true_codes=table.true_codes[order] if table.labels else table.true_codes,
        pred_codes=table.pred_codes[order] if table.labels else table.pred_codes,
        confidence=pick(table.confidence),
        proba=None if table.proba is None else table.proba[order],
        y_true_values=pick(table.y_true_values),
        y_pred_values=pick(table.y_pred_values),
    )


def union_labels(a: PredictionTable, b: PredictionTable) -> tuple[list[str], str]:
    """Order the labels of both tables as loading does: numbers numerically, else as text."""
    every = set(a.labels) | set(b.labels)
    if a.label_kind == "numeric" and b.label_kind == "numeric":
        return sorted(every, key=float), "numeric"
    return sorted(every), "string"


def recode(table: PredictionTable, labels: list[str], kind: str) -> PredictionTable:
    """Code a table's labels against a larger label list (probability columns are dropped)."""
    position = {lab: i for i, lab in enumerate(labels)}
    remap = np.array([position[lab] for lab in table.labels], dtype=np.int64)
    return replace(
        table,
        labels=list(labels),
        label_kind=kind,
        true_codes=remap[table.true_codes],
        pred_codes=remap[table.pred_codes],
        proba=None,
        proba_columns=[],
    )


def _quote_ids(ids: list[str]) -> str:
    """Quote the first few ids for a message."""
    shown = ", ".join(f"'{as_written(i)}'" for i in ids[:SHOWN_IDS])
    return shown + (", …" if len(ids) > SHOWN_IDS else "")


def _where(name: str, table: PredictionTable) -> str:
    """Name a side for a message: its name, and its file when the name does not say it."""
    path = table.source.path
    if not path or name == path or name.endswith(f"/{path}"):
        return name
    return f"{name} ({path})"


def _join_keys(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The id values to match: numbers as numbers when both columns hold them, else text."""

    def numeric(values: pd.Series) -> bool:
        dtype = values.dtype
        return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)

    if numeric(a) and numeric(b):
        return a.to_numpy(), b.to_numpy()

    def text(values: pd.Series) -> np.ndarray:
        if not numeric(values):
            return values.astype("str").to_numpy(dtype=object)
        # a number as labels write it (1.0 is '1'), once per distinct value
        codes, uniques = pd.factorize(values)
        texts = np.array([label_text(u) for u in uniques] + [""], dtype=object)
        return np.asarray(texts[codes])

    return text(a), text(b)


def join_tables(a: PredictionTable, b: PredictionTable, *, names: tuple[str, str]) -> Joined:
    """Align b's rows to a's by id (or by row order when neither has ids); check the truths."""
    name_a, name_b = names
    if a.task != b.task:
        raise ReportgenError(
            f"{_where(name_a, a)} looks like a {a.task} file and {_where(name_b, b)} like a "
            f"{b.task} file; both must be the same kind. Pass --task classification or --task "
            "regression to read both the same way."
        )
    id_a, id_b = a.columns.id, b.columns.id
    if id_a is not None and id_b is not None:
        ids_a, ids_b = _join_keys(a.frame[id_a], b.frame[id_b])
        if ids_a.size == ids_b.size and np.array_equal(ids_a, ids_b):
            where_b = np.arange(ids_a.size)  # the same ids in the same order: nothing to hash
        else:
            where_b = pd.Index(ids_b).get_indexer(pd.Index(ids_a))
        only_a, only_b = [], []
        # ids are unique on each side (loading checks), so b has extras only if a misses some
        if (where_b < 0).any() or ids_a.size != ids_b.size:
            where_a = pd.Index(ids_a).get_indexer(pd.Index(ids_b))
            only_a = [str(v) for v in ids_a[where_b < 0]]
            only_b = [str(v) for v in ids_b[where_a < 0]]
        if only_a or only_b:
            parts = []
            if only_a:
                parts.append(
                    f"{len(only_a):,} of {a.n:,} ids of {name_a} are missing from {name_b} "
                    f"({_quote_ids(only_a)})"
                )
            if only_b:
                parts.append(
                    f"{len(only_b):,} of {b.n:,} ids of {name_b} are missing from {name_a} "
                    f"({_quote_ids(only_b)})"
                )
            raise ReportgenError(
                f"the ids of {_where(name_a, a)}, column '{id_a}', and of {_where(name_b, b)}, "
                f"column '{id_b}', do not match up: {'; '.join(parts)}. A comparison needs "
                "predictions for the same rows: keep only the shared ids in both files, or name "
                "the right id column with --id."
            )
        b = take(b, where_b)
        method = "id"
    elif id_a is None and id_b is None:
        if a.n != b.n or not np.array_equal(a.row_numbers, b.row_numbers):
            raise ReportgenError(
                f"neither file has an id column, so rows can only be matched by their order, "
                f"and {_where(name_a, a)} has {a.n:,} rows while {_where(name_b, b)} has "
                f"{b.n:,}{' (after --dropna)' if a.rows_dropped or b.rows_dropped else ''}. "
                "Add an id column to both files (name it with --id), or compare files with the "
                "same rows in the same order."
            )
        method = "row order"
    else:
        has, lacks = (name_a, name_b) if id_a is not None else (name_b, name_a)
        raise ReportgenError(
            f"{has} has an id column ('{id_a or id_b}') and {lacks} has none, so the rows "
            f"cannot be matched by id. Add the same ids to {lacks}, or name its id column "
            "with --id."
        )
    labels: list[str] = []
    kind = ""
    if a.task == "classification":
        labels, kind = union_labels(a, b)
        a, b = recode(a, labels, kind), recode(b, labels, kind)
        differ = a.true_codes != b.true_codes
        shown_a = [labels[int(c)] for c in a.true_codes[differ][:3]]
        shown_b = [labels[int(c)] for c in b.true_codes[differ][:3]]
    else:
        assert a.y_true_values is not None and b.y_true_values is not None
        differ = ~np.isclose(a.y_true_values, b.y_true_values, rtol=TRUE_RTOL, atol=0.0)
        shown_a = [as_written(v) for v in a.y_true_values[differ][:3]]
        shown_b = [as_written(v) for v in b.y_true_values[differ][:3]]
    if differ.any():
        rows = np.flatnonzero(differ)
        which = _which(a, method, rows[:3])
        examples = "; ".join(
            f"{w}: {name_a} {ta}, {name_b} {tb}"
            for w, ta, tb in zip(which, shown_a, shown_b, strict=True)
        )
        column = (
            f"'{a.columns.y_true}'"
            if a.columns.y_true == b.columns.y_true
            else f"'{a.columns.y_true}' ({name_a}) and '{b.columns.y_true}' ({name_b})"
        )
        matched = "with the same id" if method == "id" else "in the same position"
        raise ReportgenError(
            f"the true values differ between {_where(name_a, a)} and {_where(name_b, b)}: "
            f"column {column} disagrees on {int(differ.sum()):,} of {a.n:,} rows {matched} "
            f"({examples}{'; …' if rows.size > 3 else ''}). A comparison needs both models "
            "scored against the same truth; check that the files come from the same data set "
            "and version, or name the right column with --y-true."
        )
    return Joined(a=a, b=b, method=method, labels=labels, label_kind=kind)


def _which(a: PredictionTable, method: str, rows: np.ndarray) -> list[str]:
    """Name joined rows for a message: by id, or by row number when joined by order."""
    if method == "id":
        ids = a.frame[a.columns.id].astype("str").to_numpy()[rows]
        return [f"id '{as_written(k)}'" for k in ids]
    return [f"row {int(r)}" for r in a.row_numbers[rows]]


# ---------------------------------------------------------------- the evaluated rows


@dataclass(frozen=True)
class JoinedSplits:
    """Each side's split column and each joined row's split, when either file has one."""

    columns: tuple[str | None, str | None]  # the baseline's and the candidate's split column
    text: np.ndarray | None  # per joined row, as split_text writes it; None without a column

    @property
    def where(self) -> int | None:
        """Which side the split column comes from: 0, 1, or None when both have one (or none)."""
        has = [c is not None for c in self.columns]
        return has.index(True) if sum(has) == 1 else None


def joined_splits(joined: Joined, *, names: tuple[str, str]) -> JoinedSplits:
    """Read the split of each joined row; refuse two files that split the same row differently.

    A split column on one side only serves both: the rows are the same rows (same ids, same
    truth), so a row's split is a property of the row, not of the model.
    """
    a, b = joined.a, joined.b
    col_a, col_b = a.columns.split, b.columns.split
    text_a = None if col_a is None else split_text(a.frame[col_a])
    text_b = None if col_b is None else split_text(b.frame[col_b])
    if text_a is not None and text_b is not None:
        differ = text_a != text_b
        if differ.any():
            rows = np.flatnonzero(differ)
            name_a, name_b = names

            def shown(value: str) -> str:
                return "an empty cell" if value == MISSING else f"'{value}'"

            examples = "; ".join(
                f"{w}: {name_a} {shown(ta)}, {name_b} {shown(tb)}"
                for w, ta, tb in zip(
                    _which(a, joined.method, rows[:3]),
                    text_a[rows[:3]],
                    text_b[rows[:3]],
                    strict=True,
                )
            )
            column = (
                f"'{col_a}'" if col_a == col_b else f"'{col_a}' ({name_a}) and '{col_b}' ({name_b})"
            )
            matched = "with the same id" if joined.method == "id" else "in the same position"
            raise ReportgenError(
                f"the splits differ between {_where(name_a, a)} and {_where(name_b, b)}: split "
                f"column {column} disagrees on {int(differ.sum()):,} of {a.n:,} rows {matched} "
                f"({examples}{'; …' if rows.size > 3 else ''}). A comparison describes the same "
                "rows for both models, so each row must be in one split: check that both files "
                "come from the same split of the data, or name the right column with --split."
            )
    return JoinedSplits((col_a, col_b), text_a if text_a is not None else text_b)


def keep_rows(joined: Joined, kept: np.ndarray) -> Joined:
    """Keep the joined rows where `kept` holds, labels coded against the union of those rows."""
    if kept.all():
        return joined
    a, b = restrict(joined.a, kept), restrict(joined.b, kept)
    labels, kind = joined.labels, joined.label_kind
    if a.task == "classification":
        # as a report on these rows alone would: a label no kept row has is not shown
        labels, kind = union_labels(a, b)
        a, b = recode(a, labels, kind), recode(b, labels, kind)
    return replace(
        joined, a=a, b=b, labels=labels, label_kind=kind, whole=(joined.a, joined.b), kept=kept
    )


def evaluated_rows(
    joined: Joined, *, names: tuple[str, str], requested: str | None, named: str | None
) -> tuple[Joined, Evaluation, JoinedSplits]:
    """Choose the joined rows a comparison describes, by build's rule, and keep only those.

    `requested` is --eval-split as given, `named` the --split column as given (None: the
    auto-detected one). The split column may come from either file, or both when they agree.
    """
    splits = joined_splits(joined, names=names)
    column = splits.columns[0] if splits.columns[0] is not None else splits.columns[1]
    tables = (joined.a, joined.b)
    sides = [_where(n, t) for n, t, c in zip(names, tables, splits.columns, strict=True) if c]
    if column is None or splits.text is None:
        both = (_where(names[0], joined.a), _where(names[1], joined.b))
        if named is not None:
            raise ReportgenError(
                f"no column '{named}' (named with --split) in {both[0]} or {both[1]}; name the "
                "split column of one of the two files."
            )
        if requested not in (None, ALL):
            raise ReportgenError(
                f"--eval-split {requested}: neither {both[0]} nor {both[1]} has a split column; "
                "name it with --split COLUMN."
            )
        evaluation = choose_evaluation(
            {}, 0, column=None, requested=requested, where="", total=joined.a.n
        )
        return joined, evaluation, splits
    counts, empty = count_texts(splits.text)
    evaluation = choose_evaluation(
        counts, empty, column=column, requested=requested, where=" and ".join(sides)
    )
    return keep_rows(joined, evaluation.keeps(splits.text)), evaluation, splits
