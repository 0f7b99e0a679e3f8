"""Which rows a report describes: the evaluation split chosen from a split column's values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from reportgen.analysis.splits import MISSING, split_order, split_text
from reportgen.analysis.suggestions import TRAIN_NAMES
from reportgen.errors import ReportgenError
from reportgen.read.table import PredictionTable, restrict

DEV_NAMES = ("dev", "val", "valid", "validation")
TEST_NAMES = ("test",)
ALL = "all"  # --eval-split all: every row, train and empty split cells included
# how the evaluated rows were chosen
RULES = ("no-split", "all", "named", "dev", "test", "not-train")


@dataclass(frozen=True)
class Evaluation:
    """The rows a report describes: which splits, chosen by which rule, out of how many rows."""

    column: str | None  # the split column; None when the file has none
    rule: str  # one of RULES
    requested: str | None  # --eval-split as given
    splits: tuple[str, ...]  # the evaluated splits, in split order (every split for "all")
    counts: dict[str, int] = field(default_factory=dict)  # rows per split, every split
    empty: int = 0  # rows with an empty split cell
    total: int = 0  # every row (after --dropna)

    @property
    def restricts(self) -> bool:
        """Whether some rows are left out (any rule but no-split and all)."""
        return self.rule not in ("no-split", "all")

    @property
    def rows(self) -> int:
        """How many rows the report describes."""
        if not self.restricts:
            return self.total
        return sum(self.counts.get(name, 0) for name in self.splits)

    @property
    def key(self) -> str | None:
        """The evaluated splits as one text (a review sheet's marker); None for every row."""
        return " + ".join(self.splits) if self.restricts else None

    def chosen(self) -> frozenset[str] | None:
        """The split texts whose rows are kept; None when every row is."""
        return frozenset(self.splits) if self.restricts else None

    def mask(self, values: pd.Series) -> np.ndarray:
        """Which rows of a split column the report describes."""
        return self.keeps(split_text(values))

    def keeps(self, text: np.ndarray) -> np.ndarray:
        """Which rows the report describes, from each row's split as split_text writes it."""
        if not self.restricts:
            return np.ones(len(text), dtype=bool)
        return np.isin(text, list(self.splits))

    def recount(self, counts: Mapping[str, int], empty: int) -> Evaluation:
        """The same choice over other rows (one step's); refused when it leaves none."""
        again = Evaluation(
            self.column,
            self.rule,
            self.requested,
            tuple(s for s in self.splits if s in counts) if self.rule == ALL else self.splits,
            {name: int(counts[name]) for name in split_order(list(counts))},
            int(empty),
            int(sum(counts.values())) + int(empty),
        )
        if again.rows == 0:
            raise ReportgenError(
                f"the evaluated rows ({', '.join(repr(s) for s in self.splits)} of split column "
                f"'{self.column}') are not among the rows this report shows; name the split to "
                "report on with --eval-split."
            )
        return again


def count_splits(values: pd.Series) -> tuple[dict[str, int], int]:
    """Rows per split value (as text) and the rows with an empty split cell."""
    return count_texts(split_text(values))


def count_texts(text: np.ndarray) -> tuple[dict[str, int], int]:
    """Rows per split (each row's split as split_text writes it) and the empty split cells."""
    names, counts = np.unique(text, return_counts=True)
    found = {str(n): int(c) for n, c in zip(names, counts, strict=True)}
    empty = found.pop(MISSING, 0)
    return found, empty


def choose_evaluation(
    counts: Mapping[str, int],
    empty: int,
    *,
    column: str | None,
    requested: str | None,
    where: str,
    total: int | None = None,
) -> Evaluation:
    """Choose the rows to describe: the split asked for, else dev, else test, else not train.

    `counts` holds the rows of each split over every row of the file, `empty` the rows with an
    empty split cell. Never train rows unless asked: a file of train rows only (or of empty
    split cells only) is refused, as are two development (or test) splits at once. `total` is
    the file's rows, used when there is no split column. `where` names the file in messages.
    """
    ordered = {name: int(counts[name]) for name in split_order(list(counts))}
    every = sum(ordered.values()) + int(empty)
    if column is None:
        every = int(total or 0)

    def made(rule: str, splits: list[str]) -> Evaluation:
        return Evaluation(column, rule, requested, tuple(splits), ordered, int(empty), every)

    if column is None:
        if requested not in (None, ALL):
            raise ReportgenError(
                f"{where}: --eval-split {requested}: the file has no split column; name it "
                "with --split COLUMN."
            )
        return made("no-split", [])
    if requested == ALL:
        return made("all", list(ordered))
    if requested is not None:
        if requested not in ordered or requested == MISSING:
            raise ReportgenError(
                f"{where}: --eval-split {requested}: no row of split column '{column}' has the "
                f"value '{requested}'; {_values(ordered, empty)}. Name one of those, or pass "
                "--eval-split all for every row."
            )
        return made("named", [requested])
    for rule, names in (("dev", DEV_NAMES), ("test", TEST_NAMES)):
        found = [name for name in ordered if name.strip().casefold() in names]
        if len(found) > 1:
            listed = " and ".join(f"'{name}'" for name in found)
            raise ReportgenError(
                f"{where}: split column '{column}' has {len(found)} "
                f"{'development' if rule == 'dev' else 'test'} splits, {listed}, and the report "
                f"describes one set of rows; name it with --eval-split {found[0]} (or "
                "--eval-split all for every row)."
            )
        if found:
            return made(rule, found)
    others = [name for name in ordered if name.strip().casefold() not in TRAIN_NAMES]
    if others:
        return made("not-train", others)
    what = (
        f"holds only training rows ({_values(ordered, empty, lead=False)})"
        if ordered
        else f"is empty in all {every:,} rows"
    )
    raise ReportgenError(
        f"{where}: split column '{column}' {what}, and a report describes evaluation rows, never "
        "training rows unless asked: pass --eval-split all to report on every row"
        + (f", or --eval-split {next(iter(ordered))} for that split" if ordered else "")
        + ", or name another split column with --split."
    )


def choose_rows(table: PredictionTable, requested: str | None) -> Evaluation:
    """Choose the rows a report on this table describes."""
    column = table.columns.split
    counts, empty = ({}, 0) if column is None else count_splits(table.frame[column])
    return choose_evaluation(
        counts,
        empty,
        column=column,
        requested=requested,
        where=table.source.path or "the DataFrame",
        total=table.n,
    )


def evaluated_rows(table: PredictionTable, evaluation: Evaluation) -> PredictionTable:
    """Keep the rows the evaluation describes."""
    if not evaluation.restricts or table.columns.split is None:
        return table
    return restrict(table, evaluation.mask(table.frame[table.columns.split]))


def recount_rows(evaluation: Evaluation, table: PredictionTable) -> Evaluation:
    """The same evaluation counted over these rows (the step a report shows)."""
    if table.columns.split is None:
        return replace(evaluation, total=table.n)
    return evaluation.recount(*count_splits(table.frame[table.columns.split]))


def _values(ordered: Mapping[str, int], empty: int, *, lead: bool = True) -> str:
    """List a split column's values with their rows: "its values are 'dev' (125 rows), ..."."""

    def rows(n: int) -> str:
        return f"{n:,} {'row' if n == 1 else 'rows'}"

    names = sorted(ordered)
    parts = [f"'{name}' ({rows(ordered[name])})" for name in names[:20]]
    if len(names) > 20:
        parts.append(f"… ({len(names)} values in all)")
    if empty:
        parts.append(f"{rows(empty)} with an empty cell")
    listed = ", ".join(parts) if parts else "no value"
    return f"its values are {listed}" if lead else listed
