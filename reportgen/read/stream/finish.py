"""Finish a fold: order the labels as the in-memory path does, build the tables to lay out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError, quoted
from reportgen.read.load import LoadOptions
from reportgen.read.stream.batches import Source
from reportgen.read.stream.fold import Fold
from reportgen.read.stream.streamed import Streamed
from reportgen.read.stream.tallies import Keep
from reportgen.read.table import PredictionTable
from reportgen.read.validate import MAX_CLASSES_FOR_INTEGERS


def finish(fold: Fold, source: Source, options: LoadOptions) -> Streamed:
    """Order the labels as the in-memory path does and build the tables to lay out."""
    cols = source.columns
    if fold.splits_only:
        out = Streamed(source, fold.task, fold.rows_read, fold.rows_dropped, 0)
        out.split_rows = dict(fold.split_rows)
        return out
    if fold.n == 0 and fold.evaluated is not None and fold.rows_read:
        from reportgen.analysis.evaluation import choose_evaluation
        from reportgen.analysis.splits import MISSING

        counts = dict(fold.split_rows)
        empty = counts.pop(MISSING, 0)
        for name in sorted(fold.evaluated):  # a split asked for that no row has
            choose_evaluation(
                counts, empty, column=cols.split, requested=name, where=source.info.path or ""
            )
        raise ReportgenError(
            f"{source.where}: no row is in the evaluated splits "
            f"({', '.join(sorted(fold.evaluated))}); name the split to report on with "
            "--eval-split."
        )
    if fold.n == 0:
        raise ReportgenError(
            f"{source.where}: has column names but no rows; there is nothing to report on."
            if fold.rows_read == 0
            else f"{source.where}: every row has an empty true or predicted label; nothing "
            "is left after --dropna."
        )
    out = Streamed(source, fold.task, fold.rows_read, fold.rows_dropped, fold.n)
    out.split_rows = dict(fold.split_rows)
    keeps = fold.keeps
    if fold.task == "classification":
        ordered, remap = fold.labels.order()
        k = len(ordered)
        if fold.labels.numeric and options.task == "auto" and k > MAX_CLASSES_FOR_INTEGERS:
            raise ReportgenError(
                f"{source.where}: the first rows looked like class labels, but "
                f"'{cols.y_true}' and '{cols.y_pred}' hold {k} distinct integers over the "
                "whole file; pass --task regression (or --task classification) to say which."
            )
        unknown = [lab for lab in cols.proba if lab not in fold.seen]
        if unknown:
            raise ReportgenError(
                f"{source.where}: probability columns name labels that never occur in "
                f"'{cols.y_true}' or '{cols.y_pred}': "
                f"{', '.join(quoted(cols.proba[u]) for u in unknown[:5])}."
            )
        out.labels, out.label_kind = ordered, "numeric" if fold.labels.numeric else "string"
        out.step_matrices = {key: m.result(remap, k) for key, m in fold.step_mats.items()}
        out.step_values = dict(fold.step_values)
        out.pairs = fold.pairs.result(remap, k)
        split_order, split_remap = fold.split_labels.order()
        ks = len(split_order)
        out.split_labels = split_order
        out.split_matrices = {s: m.result(split_remap, ks) for s, m in fold.split_mats.items()}
        if cols.slices:
            out.slice_counts = fold.slice_counts.result()
        if k == 2 and cols.proba:
            out.score_counts = fold.score_counts.result()
        if cols.proba:
            out.calibration = fold.calibration
            out.confidence_sums = (
                float(fold.conf[0]),
                int(fold.conf_n[0]),
                float(fold.conf[1]),
                int(fold.conf_n[1]),
            )
            out.confident_errors = fold.confident_wrong
        out.tagged_outside = frozenset(fold.tagged_outside)
        shown = [keeps[name] for name in ("sample", "errors", "pairs", "correct", "tagged")]
        out.shown = _table(out, _union(shown), remap)
        out.sample = _table(out, keeps["sample"].rows(), remap)
    else:
        out.regression = {
            **fold.sums,
            "residual": fold.residuals,
            "truth": fold.truth,
            "absolute": fold.absolute,
            "squared": fold.squared,
        }
        shown = [keeps[name] for name in ("sample", "under", "over")]
        out.shown = _table(out, _union(shown), None)
        out.sample = _table(out, keeps["sample"].rows(), None)
    out.sampled = out.sample.n < fold.n
    return out


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
