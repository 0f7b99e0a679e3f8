"""The Fold: partial aggregates of some rows, added batch by batch and merged part by part."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reportgen.analysis.calibration_sums import CalibrationSums
from reportgen.analysis.splits import split_text
from reportgen.analysis.stats import Moments, power_of_two_scale
from reportgen.analysis.suggestions import CONFIDENT
from reportgen.errors import ReportgenError
from reportgen.read.stream.streamed import Limits
from reportgen.read.stream.tagged import Marks, marked_keys, tagged_rows
from reportgen.read.stream.tallies import Keep, Labels, PairTally, ValueCounts, keyed
from reportgen.read.table import PredictionTable, restrict

MAX_STRIP_LABELS = 200  # past this many labels, per-pair examples would keep too many rows
MAX_TAGGED = 200_000
MAX_SLICE_COMBOS = 100_000  # distinct (slice values, wrong) kept exactly; past it, the sample
MAX_SCORE_COMBOS = 200_000  # distinct (true, predicted, scores) of a binary task, likewise


def label_text_of(value: Any) -> str:
    """A step value as text, the same for 5, 5.0 and '5'."""
    from reportgen.read.table import label_text

    if isinstance(value, str):
        try:
            return label_text(float(value)) if value.strip() else value
        except ValueError:
            return value
    return label_text(value)


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
                    self.tagged_outside.update(marked_keys(restrict(table, ~inside), self.marks))
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
            marked = tagged_rows(table, cols.buckets, cols.id, self.marks)
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
