"""Out-of-core reading: fold a large file batch by batch into exact counts and kept rows.

Counts and sums are exact: confusion matrices (overall, per split, per step), calibration
bins, regression error sums, and rows counted by slice values or by a binary task's scores
while those take few values. Shown rows are the same as the in-memory path's (bottom-k of a
seeded row key; largest errors by rank). What needs every row at once (most threshold curves,
numeric slices, the error tree, residual quantiles and figures) is computed from an analysis
sample: the `sample_rows` rows with the smallest keys, which is every row when the file has
no more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.calibration import CalibrationSums
from reportgen.analysis.classification import PairCounts
from reportgen.analysis.splits import split_text
from reportgen.analysis.stats import Moments, power_of_two_scale
from reportgen.analysis.suggestions import CONFIDENT
from reportgen.errors import ReportgenError, quoted
from reportgen.read.load import LoadOptions
from reportgen.read.stream.batches import Source, open_source, read_batches
from reportgen.read.stream.fold import Keep, Labels, PairTally, ValueCounts, keyed
from reportgen.read.table import ColumnMap, PredictionTable, restrict
from reportgen.read.validate import MAX_CLASSES_FOR_INTEGERS

SAMPLE_ROWS = 1_000_000
STREAM_ABOVE = 1_000_000_000  # bytes: larger files are streamed unless told otherwise
MAX_STRIP_LABELS = 200  # past this many labels, per-pair examples would keep too many rows
MAX_TAGGED = 200_000
MAX_SLICE_COMBOS = 100_000  # distinct (slice values, wrong) kept exactly; past it, the sample
MAX_SCORE_COMBOS = 200_000  # distinct (true, predicted, scores) of a binary task, likewise
Marks = tuple[str, set[str]] | None  # what a tag sheet joins on (id or row) and its values


@dataclass
class Streamed:
    """What a streamed read knows: exact counts and sums, and the rows it kept."""

    source: Source
    task: str
    rows_read: int
    rows_dropped: int
    n: int
    labels: list[str] = field(default_factory=list)
    label_kind: str = ""
    pairs: PairCounts | None = None  # exact confusion counts (sparse), final label order
    split_matrices: dict[str, PairCounts] = field(default_factory=dict)  # every row's
    split_rows: dict[str, int] = field(default_factory=dict)  # every row's, by split text
    split_labels: list[str] = field(default_factory=list)  # the labels of every row
    confidence_sums: tuple[float, int, float, int] | None = None  # right sum, n, wrong sum, n
    confident_errors: int | None = None  # errors with confidence >= suggestions.CONFIDENT
    # tag-sheet keys (ids or row numbers) found on rows outside the evaluated ones
    tagged_outside: frozenset[str] = frozenset()
    calibration: CalibrationSums | None = None
    slice_counts: pd.Series | None = None  # rows by slice values and wrong, when few enough
    score_counts: pd.Series | None = None  # binary: rows by labels and scores, when few enough
    step_matrices: dict[str, PairCounts] = field(default_factory=dict)  # by step value's text
    step_values: dict[str, Any] = field(default_factory=dict)  # a value as written, per text
    regression: dict[str, Any] = field(default_factory=dict)
    shown: PredictionTable | None = None  # every kept row: samples to show pick from these
    sample: PredictionTable | None = None  # the analysis sample
    sampled: bool = False  # True when the analysis sample is not every row


def should_stream(
    path: str | os.PathLike[str], stream: bool | None, fmt: str | None = None
) -> bool:
    """Stream when asked, or when the file is larger than STREAM_ABOVE and not told otherwise."""
    if stream is not None:
        return stream
    try:
        large = os.path.getsize(path) > STREAM_ABOVE
    except OSError:
        return False
    # JSON Lines is read whole, whatever its size
    named = str(path).lower().endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz"))
    return large and fmt != "jsonl" and not named


def read_streamed(
    path: str | os.PathLike[str],
    options: LoadOptions,
    *,
    seed: int,
    max_samples: int,
    per_pair: int,
    largest: int,
    tag_sheet: tuple[str, str] | None = None,
    sample_rows: int = SAMPLE_ROWS,
    batch_rows: int | None = None,
    evaluated: frozenset[str] | None = None,
    step: str | None = None,
    only_step: set[str] | None = None,
    splits_only: bool = False,
) -> Streamed:
    """Read the file in batches and fold it: one pass, memory bounded by the kept rows.

    `evaluated` keeps only the rows of those splits (None: every row); `splits_only` reads
    just the labels and the split column and counts the rows of each split (no rows at all
    when there is no split column).
    """
    from reportgen.read.stream import batches as batching

    source = open_source(os.fspath(path), options, digest=not splits_only)
    if splits_only:
        source = narrowed(source)
        if source.columns.split is None:
            return Streamed(source, "", 0, 0, 0)
    fold = Fold(
        seed=seed,
        limits=Limits(sample_rows, max_samples, per_pair, largest),
        marks=tag_marks(tag_sheet, source.columns.id),
        evaluated=evaluated,
        step=step,
        only_step=only_step,
        splits_only=splits_only,
    )
    size = batching.BATCH_ROWS if batch_rows is None else batch_rows
    for table in read_batches(source, options, batch_rows=size):
        fold.add(table)
    return fold.finish(source, options)


def narrowed(source: Source) -> Source:
    """The same source reading only the labels and the split column."""
    from dataclasses import replace

    cols = source.columns
    return replace(source, columns=ColumnMap(cols.y_true, cols.y_pred, split=cols.split))


def label_text_of(value: Any) -> str:
    """A step value as text, the same for 5, 5.0 and '5'."""
    from reportgen.read.table import label_text

    if isinstance(value, str):
        try:
            return label_text(float(value)) if value.strip() else value
        except ValueError:
            return value
    return label_text(value)


def tag_marks(tag_sheet: tuple[str, str] | None, id_column: str | None) -> Marks:
    """What a tag sheet joins on (id or row) and the values it names."""
    if tag_sheet is None:
        return None
    from reportgen.read.tags import read_tag_sheet

    sheet = read_tag_sheet(tag_sheet[0], separators=tag_sheet[1], id_fallback=id_column)
    return (sheet.id_column, set(sheet.ids))


@dataclass(frozen=True)
class Limits:
    """How many rows each kept set holds."""

    sample: int
    errors: int
    per_pair: int
    largest: int


class Fold:
    """Mergeable partial aggregates of some rows: add batches, merge folds, finish once."""

    def __init__(
        self,
        *,
        seed: int,
        limits: Limits,
        marks: Marks = None,
        evaluated: frozenset[str] | None = None,
        step: str | None = None,
        only_step: set[str] | None = None,
        splits_only: bool = False,
    ) -> None:
        self.seed, self.limits, self.marks, self.evaluated = seed, limits, marks, evaluated
        self.splits_only = splits_only  # a first pass: count each split's rows, nothing else
        # --step: count each step's pairs (step_mats), or keep one step's rows (only_step)
        self.step, self.only_step = step, only_step
        self.step_mats: dict[str, PairTally] = {}
        self.step_values: dict[str, Any] = {}
        self.task = ""
        self.labels = Labels()
        self.split_labels = Labels()  # the split check looks at every row, whatever is reported
        self.split_rows: dict[str, int] = {}  # rows per split (of the step shown), every split
        self.seen: set[str] = set()  # every label of every row, before --eval-split
        self.pairs = PairTally()
        self.split_mats: dict[str, PairTally] = {}
        self.conf = np.zeros(2, dtype=np.float64)  # confidence sums: right, wrong
        self.calibration = CalibrationSums()
        self.slice_counts = ValueCounts(MAX_SLICE_COMBOS)  # by slice values and wrong
        self.score_counts = ValueCounts(MAX_SCORE_COMBOS)  # binary: by labels and scores
        self.conf_n = np.zeros(2, dtype=np.int64)
        self.confident_wrong = 0  # counted over every row, for the label-review suggestion
        self.tagged_outside: set[str] = set()  # sheet keys on rows outside the evaluated ones
        self.keeps = {
            "sample": Keep(limits.sample),
            "errors": Keep(limits.errors),
            "pairs": Keep(limits.per_pair),
            "correct": Keep(1),
            "tagged": Keep(MAX_TAGGED),
            "under": Keep(limits.largest),
            "over": Keep(limits.largest),
        }
        self.sums: dict[str, Any] = dict.fromkeys(("abs", "sq", "ape", "max"), 0.0)
        self.sums |= {"zeros": 0, "under": 0, "over": 0, "low": np.inf, "high": -np.inf}
        # residuals and true values near 1e300 are summed divided by a power of two (exact):
        # "abs", "sq" and the moments are in those units, rescaled when a batch needs more
        # (0: nothing added yet; any batch's scale, even 2**-996 for values near 1e-300, wins)
        self.sums |= {"scale": 0.0, "truth_scale": 0.0}
        self.residuals, self.truth = Moments(), Moments()
        # the moments of |r| and r² give the MAE and RMSE intervals of the whole file
        self.absolute, self.squared = Moments(), Moments()
        self.rows_read = self.rows_dropped = self.n = 0

    def add(self, table: PredictionTable) -> None:
        """Fold one checked batch in."""
        if self.task and table.task != self.task:
            raise ReportgenError(
                f"parts of the file read as {self.task} and others as {table.task}; pass --task."
            )
        self.task = table.task
        self.rows_read += table.rows_read
        self.rows_dropped += table.rows_dropped
        self.seen.update(table.labels)
        split = table.columns.split
        if self.evaluated is not None and split is None:
            from reportgen.analysis.evaluation import choose_evaluation

            # the same message as the in-memory path's
            choose_evaluation(
                {},
                0,
                column=None,
                requested=" + ".join(sorted(self.evaluated)),
                where=table.source.path or "",
            )
        # the splits are counted over the step the report shows, as in memory
        if self.step is not None and self.only_step is not None and table.n:
            keys = table.frame[self.step].map(label_text_of)
            table = restrict(table, keys.isin(self.only_step).to_numpy())
        if split is not None and table.n:
            text = split_text(table.frame[split])
            names, counts = np.unique(text, return_counts=True)
            for name, count in zip(names, counts, strict=True):
                self.split_rows[str(name)] = self.split_rows.get(str(name), 0) + int(count)
            if self.splits_only:
                return
            if table.task == "classification":
                self._add_splits(table, text)
            if self.evaluated is not None:
                inside = np.isin(text, list(self.evaluated))
                if self.marks is not None and not inside.all():
                    # sheet ids on other splits' rows are counted apart, not as unknown ids
                    self.tagged_outside.update(_marked_keys(restrict(table, ~inside), self.marks))
                table = restrict(table, inside)
        if self.splits_only:
            return
        self.n += table.n
        if table.n == 0:
            return
        if table.task == "classification":
            self._add_labels(table)
        else:
            self._add_numbers(table)

    def _add_labels(self, table: PredictionTable) -> None:
        cols = table.columns
        everything = np.arange(table.n)
        g = self.labels.codes_for(table)
        t, p = g[table.true_codes], g[table.pred_codes]
        k = len(self.labels.texts)
        self.pairs.add(t, p)
        if self.step is not None and self.only_step is None:
            values = table.frame[self.step]
            found, uniques = pd.factorize(values, use_na_sentinel=True)
            for i, value in enumerate(uniques):
                key = label_text_of(value)
                self.step_values.setdefault(key, value)
                self.step_mats.setdefault(key, PairTally()).add(t[found == i], p[found == i])
        right = t == p
        if table.confidence is not None:
            self.conf += (table.confidence[right].sum(), table.confidence[~right].sum())
            self.conf_n += (int(right.sum()), int((~right).sum()))
            self.confident_wrong += int(((~right) & (table.confidence >= CONFIDENT)).sum())
        frame = _cells(table).assign(_t=t, _p=p)
        if table.confidence is not None:
            code = self.labels.code
            self.calibration.add(
                {lab: t == code.get(lab, -1) for lab in cols.proba},
                {lab: frame[f"_proba:{lab}"].to_numpy(dtype=np.float64) for lab in cols.proba},
                table.confidence,
                right,
            )
        if table.confidence is not None:
            self._add_scores(frame, t, p, list(cols.proba))
        if cols.slices:
            self.slice_counts.add(table.frame[list(cols.slices)].assign(_wrong=~right))
        base = keyed(table, self.seed, everything)
        wrong = np.flatnonzero(~right)
        self._offer("errors", frame, base, wrong)
        if k <= MAX_STRIP_LABELS:
            self._offer("pairs", frame, base, wrong, t[wrong] * 1_000_003 + p[wrong])
            hit = np.flatnonzero(right)
            self._offer("correct", frame, base, hit, t[hit])
        self._offer("sample", frame, base, everything)
        if cols.buckets is not None or self.marks is not None:
            marked = _tagged(table, cols.buckets, cols.id, self.marks)
            self._offer("tagged", frame, base.assign(_key=base["_row"]), marked)

    def _add_scores(
        self, frame: pd.DataFrame, t: np.ndarray, p: np.ndarray, labels: list[str]
    ) -> None:
        """Count rows by true and predicted label and scores, while the task looks binary."""
        if len(self.labels.texts) > 2:
            self.score_counts.give_up()
        if self.score_counts.parts is None:
            return
        texts = np.array(self.labels.texts, dtype=object)
        self.score_counts.add(
            pd.DataFrame(
                {"_t": texts[t], "_p": texts[p]}
                | {f"_proba:{lab}": frame[f"_proba:{lab}"].to_numpy() for lab in labels}
            )
        )

    def _add_splits(self, table: PredictionTable, text: np.ndarray) -> None:
        """Count each split's (true, predicted) pairs over every row of the batch."""
        g = self.split_labels.codes_for(table)
        t, p = g[table.true_codes], g[table.pred_codes]
        for name, idx in pd.Series(np.arange(table.n)).groupby(text).groups.items():
            self.split_mats.setdefault(str(name), PairTally()).add(t[idx], p[idx])

    def _scale_numbers(self, scale: float, truth_scale: float) -> None:
        """Bring the regression sums to larger units (powers of two), so new batches fit."""
        s = self.sums
        if scale == 0.0:
            return  # neither fold has numbers yet
        # from 0 (nothing added yet) the factor is 0, and the sums it multiplies are 0 too
        f, g = s["scale"] / scale, s["truth_scale"] / truth_scale
        if f != 1.0:
            s["abs"] *= f
            s["sq"] *= f * f
            self.residuals.rescale(f)
            self.absolute.rescale(f)
            self.squared.rescale(f * f)
        if g != 1.0:
            self.truth.rescale(g)
        s["scale"], s["truth_scale"] = scale, truth_scale

    def _add_numbers(self, table: PredictionTable) -> None:
        assert table.y_true_values is not None and table.y_pred_values is not None
        yt, yp = table.y_true_values, table.y_pred_values
        r = yt - yp
        s = self.sums
        self._scale_numbers(
            max(s["scale"], power_of_two_scale(r)), max(s["truth_scale"], power_of_two_scale(yt))
        )
        a = np.abs(r)
        scaled = r / s["scale"]
        a_scaled = np.abs(scaled)
        sq = scaled * scaled
        self.residuals.add(scaled)
        self.truth.add(yt / s["truth_scale"])
        self.absolute.add(a_scaled)
        self.squared.add(sq)
        s["abs"] += float(a_scaled.sum())
        s["sq"] += float(sq.sum())
        s["zeros"] += int((yt == 0).sum())
        with np.errstate(over="ignore"):  # an error of 1e300 on a true value near zero
            s["ape"] += float((a / np.maximum(np.abs(yt), np.finfo(np.float64).eps)).sum())
        s["max"] = max(s["max"], float(a.max()))
        s["under"] += int((r > 0).sum())
        s["over"] += int((r < 0).sum())
        s["low"] = min(s["low"], float(min(yt.min(), yp.min())))
        s["high"] = max(s["high"], float(max(yt.max(), yp.max())))
        frame = _cells(table).assign(_yt=yt, _yp=yp)
        base = keyed(table, self.seed, np.arange(table.n))
        self._offer("sample", frame, base, np.arange(table.n))
        pos, neg = np.flatnonzero(r > 0), np.flatnonzero(r < 0)
        self._offer("under", frame, base.assign(_key=-r), pos)
        self._offer("over", frame, base.assign(_key=r), neg)

    def _offer(
        self,
        name: str,
        frame: pd.DataFrame,
        base: pd.DataFrame,
        positions: np.ndarray,
        group: Any = 0,
    ) -> None:
        """Offer the rows at positions to a Keep, copying only those it could keep."""
        keep = self.keeps[name]
        admitted = keep.admits(base["_key"].to_numpy()[positions])
        if not admitted.all():
            positions = positions[admitted]
            group = group if np.isscalar(group) else np.asarray(group)[admitted]
        keep.offer(_with(frame, base, positions, group))

    def merge(self, other: Fold) -> Fold:
        """Fold another part's aggregates into this one (the order of parts does not matter)."""
        if other.task and self.task and other.task != self.task:
            raise ReportgenError(
                f"parts of the file read as {self.task} and others as {other.task}; pass --task."
            )
        self.task = self.task or other.task
        self.rows_read += other.rows_read
        self.rows_dropped += other.rows_dropped
        self.n += other.n
        remap = self.labels.absorb(other.labels)
        self.pairs.merge(other.pairs, remap)
        split_remap = self.split_labels.absorb(other.split_labels)
        for name, m in other.split_mats.items():
            self.split_mats.setdefault(name, PairTally()).merge(m, split_remap)
        for name, count in other.split_rows.items():
            self.split_rows[name] = self.split_rows.get(name, 0) + count
        for key, m in other.step_mats.items():
            self.step_mats.setdefault(key, PairTally()).merge(m, remap)
            self.step_values.setdefault(key, other.step_values[key])
        self.seen |= other.seen
        self.conf += other.conf
        self.calibration.merge(other.calibration)
        self.score_counts.merge(other.score_counts)
        self.slice_counts.merge(other.slice_counts)
        self.conf_n += other.conf_n
        self.confident_wrong += other.confident_wrong
        self.tagged_outside |= other.tagged_outside
        # both folds in the larger units first
        scale = max(self.sums["scale"], other.sums["scale"])
        truth_scale = max(self.sums["truth_scale"], other.sums["truth_scale"])
        self._scale_numbers(scale, truth_scale)
        other._scale_numbers(scale, truth_scale)
        for key in ("abs", "sq", "ape", "zeros", "under", "over"):
            self.sums[key] += other.sums[key]
        self.sums["max"] = max(self.sums["max"], other.sums["max"])
        self.sums["low"] = min(self.sums["low"], other.sums["low"])
        self.sums["high"] = max(self.sums["high"], other.sums["high"])
        self.residuals.merge(other.residuals)
        self.absolute.merge(other.absolute)
        self.squared.merge(other.squared)
        self.truth.merge(other.truth)
        for name, keep in self.keeps.items():
            for frame in other.keeps[name].frames:
                if "_t" in frame and len(remap):
                    frame = frame.assign(_t=remap[frame["_t"]], _p=remap[frame["_p"]])
                    if name == "pairs":
                        frame = frame.assign(_group=frame["_t"] * 1_000_003 + frame["_p"])
                    elif name == "correct":
                        frame = frame.assign(_group=frame["_t"])
                keep.offer(frame)
        return self

    def finish(self, source: Source, options: LoadOptions) -> Streamed:
        """Order the labels as the in-memory path does and build the tables to lay out."""
        cols = source.columns
        if self.splits_only:
            out = Streamed(source, self.task, self.rows_read, self.rows_dropped, 0)
            out.split_rows = dict(self.split_rows)
            return out
        if self.n == 0 and self.evaluated is not None and self.rows_read:
            from reportgen.analysis.evaluation import choose_evaluation
            from reportgen.analysis.splits import MISSING

            counts = dict(self.split_rows)
            empty = counts.pop(MISSING, 0)
            for name in sorted(self.evaluated):  # a split asked for that no row has
                choose_evaluation(
                    counts, empty, column=cols.split, requested=name, where=source.info.path or ""
                )
            raise ReportgenError(
                f"{source.where}: no row is in the evaluated splits "
                f"({', '.join(sorted(self.evaluated))}); name the split to report on with "
                "--eval-split."
            )
        if self.n == 0:
            raise ReportgenError(
                f"{source.where}: has column names but no rows; there is nothing to report on."
                if self.rows_read == 0
                else f"{source.where}: every row has an empty true or predicted label; nothing "
                "is left after --dropna."
            )
        out = Streamed(source, self.task, self.rows_read, self.rows_dropped, self.n)
        out.split_rows = dict(self.split_rows)
        keeps = self.keeps
        if self.task == "classification":
            ordered, remap = self.labels.order()
            k = len(ordered)
            if self.labels.numeric and options.task == "auto" and k > MAX_CLASSES_FOR_INTEGERS:
                raise ReportgenError(
                    f"{source.where}: the first rows looked like class labels, but "
                    f"'{cols.y_true}' and '{cols.y_pred}' hold {k} distinct integers over the "
                    "whole file; pass --task regression (or --task classification) to say which."
                )
            unknown = [lab for lab in cols.proba if lab not in self.seen]
            if unknown:
                raise ReportgenError(
                    f"{source.where}: probability columns name labels that never occur in "
                    f"'{cols.y_true}' or '{cols.y_pred}': "
                    f"{', '.join(quoted(cols.proba[u]) for u in unknown[:5])}."
                )
            out.labels, out.label_kind = ordered, "numeric" if self.labels.numeric else "string"
            out.step_matrices = {key: m.result(remap, k) for key, m in self.step_mats.items()}
            out.step_values = dict(self.step_values)
            out.pairs = self.pairs.result(remap, k)
            split_order, split_remap = self.split_labels.order()
            ks = len(split_order)
            out.split_labels = split_order
            out.split_matrices = {s: m.result(split_remap, ks) for s, m in self.split_mats.items()}
            if cols.slices:
                out.slice_counts = self.slice_counts.result()
            if k == 2 and cols.proba:
                out.score_counts = self.score_counts.result()
            if cols.proba:
                out.calibration = self.calibration
                out.confidence_sums = (
                    float(self.conf[0]),
                    int(self.conf_n[0]),
                    float(self.conf[1]),
                    int(self.conf_n[1]),
                )
                out.confident_errors = self.confident_wrong
            out.tagged_outside = frozenset(self.tagged_outside)
            shown = [keeps[name] for name in ("sample", "errors", "pairs", "correct", "tagged")]
            out.shown = _table(out, _union(shown), remap)
            out.sample = _table(out, keeps["sample"].rows(), remap)
        else:
            out.regression = {
                **self.sums,
                "residual": self.residuals,
                "truth": self.truth,
                "absolute": self.absolute,
                "squared": self.squared,
            }
            shown = [keeps[name] for name in ("sample", "under", "over")]
            out.shown = _table(out, _union(shown), None)
            out.sample = _table(out, keeps["sample"].rows(), None)
        out.sampled = out.sample.n < self.n
        return out


def _cells(table: PredictionTable) -> pd.DataFrame:
    """The shown cells of a batch, with what the final tables need beside them."""
    frame = table.frame.reset_index(drop=True)
    if table.confidence is not None:
        frame = frame.assign(_conf=table.confidence)
        assert table.proba is not None
        code = {label: i for i, label in enumerate(table.labels)}
        for label, column in table.columns.proba.items():
            values = (
                table.proba[:, code[label]]
                if label in code
                else pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
            )
            frame[f"_proba:{label}"] = values
    return frame


def _with(
    frame: pd.DataFrame, base: pd.DataFrame, positions: np.ndarray, group: Any
) -> pd.DataFrame:
    """Candidate rows for a Keep: the cells at positions, their row, key and group."""
    rows = frame.iloc[positions].reset_index(drop=True)
    keys = base.iloc[positions].reset_index(drop=True)
    groups = np.full(len(positions), group) if np.isscalar(group) else np.asarray(group)
    return pd.concat([keys, rows], axis=1).assign(_group=groups)


def _marked_keys(table: PredictionTable, marks: Marks) -> set[str]:
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


def _tagged(
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


def _union(keeps: list[Keep]) -> pd.DataFrame:
    """Every row kept by any rule, once, in file order."""
    parts = [k.rows() for k in keeps if k.frames]
    whole = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if whole.empty:
        return whole
    whole = whole.drop_duplicates("_row").sort_values("_row", kind="stable")
    return whole.reset_index(drop=True)


def _table(out: Streamed, rows: pd.DataFrame, remap: np.ndarray | None) -> PredictionTable:
    """Turn kept rows into a table coded like the whole file's."""
    cols = out.source.columns
    shown = cols.shown()
    frame = rows[shown].reset_index(drop=True) if not rows.empty else pd.DataFrame(columns=shown)
    table = PredictionTable(
        source=out.source.info,
        columns=cols,
        task=out.task,
        frame=frame,
        row_numbers=rows["_row"].to_numpy(dtype=np.int64)
        if not rows.empty
        else np.zeros(0, np.int64),
        rows_read=out.rows_read,
        rows_dropped=out.rows_dropped,
    )
    if out.task == "regression":
        empty = np.zeros(0, dtype=np.float64)
        table.y_true_values = empty if rows.empty else rows["_yt"].to_numpy(dtype=np.float64)
        table.y_pred_values = empty if rows.empty else rows["_yp"].to_numpy(dtype=np.float64)
        return table
    assert remap is not None
    table.labels, table.label_kind = out.labels, out.label_kind
    if rows.empty:
        return table
    table.true_codes = remap[rows["_t"].to_numpy(dtype=np.int64)]
    table.pred_codes = remap[rows["_p"].to_numpy(dtype=np.int64)]
    if cols.proba:
        table.confidence = rows["_conf"].to_numpy(dtype=np.float64)
        k = len(out.labels)
        proba = np.full((len(rows), k), np.nan, order="F")
        present = []
        for i, label in enumerate(out.labels):
            name = f"_proba:{label}"
            if label in cols.proba and name in rows:
                proba[:, i] = rows[name].to_numpy(dtype=np.float64)
                present.append(i)
        table.proba, table.proba_columns = proba, present
    return table
