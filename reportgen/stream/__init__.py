"""Out-of-core reading: fold a large file batch by batch into exact counts and kept rows.

Counts and sums (confusion matrices, per-split counts, regression error sums) are exact.
Shown rows are the same as the in-memory path's (bottom-k of a seeded row key; largest errors
by rank). What needs every row at once (calibration, thresholds, slices, the error tree,
residual quantiles and figures) is computed from an analysis sample: the `sample_rows` rows
with the smallest keys, which is every row when the file has no more.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from reportgen.errors import ReportgenError
from reportgen.load import MAX_CLASSES_FOR_INTEGERS, LoadOptions
from reportgen.stream.batches import Source, open_source, read_batches
from reportgen.stream.fold import Keep, Labels, Moments, grow, keyed, remap_matrix
from reportgen.table import PredictionTable

SAMPLE_ROWS = 1_000_000
STREAM_ABOVE = 1_000_000_000  # bytes: larger files are streamed unless told otherwise
MAX_STRIP_LABELS = 200  # past this many labels, per-pair examples would keep too many rows
MAX_TAGGED = 200_000


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
    matrix: np.ndarray | None = None  # exact confusion matrix, final label order
    split_matrices: dict[str, np.ndarray] = field(default_factory=dict)
    confidence_sums: tuple[float, int, float, int] | None = None  # right sum, n, wrong sum, n
    regression: dict[str, Any] = field(default_factory=dict)
    shown: PredictionTable | None = None  # every kept row: samples to show pick from these
    sample: PredictionTable | None = None  # the analysis sample
    sampled: bool = False  # True when the analysis sample is not every row


def should_stream(path: str | os.PathLike[str], stream: bool | None) -> bool:
    """Stream when asked, or when the file is larger than STREAM_ABOVE and not told otherwise."""
    if stream is not None:
        return stream
    try:
        return os.path.getsize(path) > STREAM_ABOVE
    except OSError:
        return False


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
) -> Streamed:
    """Read the file in batches and fold it: one pass, memory bounded by the kept rows."""
    source = open_source(os.fspath(path), options)
    cols = source.columns
    marks: tuple[str, set[str]] | None = None
    if tag_sheet is not None:
        from reportgen.tags import read_tag_sheet

        sheet = read_tag_sheet(tag_sheet[0], separators=tag_sheet[1], id_fallback=cols.id)
        marks = (sheet.id_column, set(sheet.ids))
    labels = Labels()
    matrix = np.zeros((0, 0), dtype=np.int64)
    split_mats: dict[str, np.ndarray] = {}
    conf_sum = [0.0, 0.0]
    conf_n = [0, 0]
    sample, errors, pairs, correct = Keep(sample_rows), Keep(max_samples), Keep(per_pair), Keep(1)
    under, over, tagged = Keep(largest), Keep(largest), Keep(MAX_TAGGED)
    sums: dict[str, Any] = {"abs": 0.0, "sq": 0.0, "abs2": 0.0, "sq2": 0.0, "res": 0.0,
                            "ape": 0.0, "zeros": 0, "max": 0.0, "under": 0, "over": 0,
                            "low": np.inf, "high": -np.inf}  # fmt: skip
    residuals, truth = Moments(), Moments()
    rows_read = rows_dropped = n = 0
    task = ""
    from reportgen.stream import batches as batching

    size = batching.BATCH_ROWS if batch_rows is None else batch_rows
    for table in read_batches(source, options, batch_rows=size):
        task = table.task
        rows_read += table.rows_read
        rows_dropped += table.rows_dropped
        n += table.n
        everything = np.arange(table.n)
        frame = _cells(table)
        if task == "classification":
            g = labels.codes_for(table)
            t, p = g[table.true_codes], g[table.pred_codes]
            k = len(labels.texts)
            matrix = grow(matrix, k)
            np.add.at(matrix, (t, p), 1)
            if cols.split is not None:
                text = (
                    table.frame[cols.split]
                    .astype("str")
                    .where(table.frame[cols.split].notna(), "(missing)")
                )
                for name, idx in pd.Series(everything).groupby(text.to_numpy()).groups.items():
                    m = split_mats.setdefault(str(name), np.zeros((0, 0), dtype=np.int64))
                    m = grow(m, k)
                    np.add.at(m, (t[idx], p[idx]), 1)
                    split_mats[str(name)] = m
            right = t == p
            if table.confidence is not None:
                conf_sum[0] += float(table.confidence[right].sum())
                conf_n[0] += int(right.sum())
                conf_sum[1] += float(table.confidence[~right].sum())
                conf_n[1] += int((~right).sum())
            frame = frame.assign(_t=t, _p=p)
            base = keyed(table, seed, everything)
            wrong = np.flatnonzero(~right)
            errors.offer(_with(frame, base, wrong, 0))
            if k <= MAX_STRIP_LABELS:
                pairs.offer(_with(frame, base, wrong, t[wrong] * 1_000_003 + p[wrong]))
                hit = np.flatnonzero(right)
                correct.offer(_with(frame, base, hit, t[hit]))
            sample.offer(_with(frame, base, everything, 0))
            if cols.buckets is not None or marks is not None:
                marked = _tagged(table, cols.buckets, cols.id, marks)
                tagged.offer(_with(frame, base.assign(_key=base["_row"]), marked, 0))
        else:
            assert table.y_true_values is not None and table.y_pred_values is not None
            yt, yp = table.y_true_values, table.y_pred_values
            r = yt - yp
            a = np.abs(r)
            residuals.add(r)
            truth.add(yt)
            sums["abs"] += float(a.sum())
            sums["sq"] += float((r * r).sum())
            sums["abs2"] += float((a * a).sum())
            sums["sq2"] += float((r**4).sum())
            zero = yt == 0
            sums["zeros"] += int(zero.sum())
            floor = np.finfo(np.float64).eps
            sums["ape"] += float((a / np.maximum(np.abs(yt), floor)).sum())
            sums["max"] = max(sums["max"], float(a.max()))
            sums["under"] += int((r > 0).sum())
            sums["over"] += int((r < 0).sum())
            sums["low"] = min(sums["low"], float(min(yt.min(), yp.min())))
            sums["high"] = max(sums["high"], float(max(yt.max(), yp.max())))
            frame = frame.assign(_yt=yt, _yp=yp)
            base = keyed(table, seed, everything)
            sample.offer(_with(frame, base, everything, 0))
            pos, neg = np.flatnonzero(r > 0), np.flatnonzero(r < 0)
            under.offer(_with(frame, base.assign(_key=-r), pos, 0))
            over.offer(_with(frame, base.assign(_key=r), neg, 0))
    out = Streamed(source, task, rows_read, rows_dropped, n)
    if task == "classification":
        ordered, remap = labels.order()
        k = len(ordered)
        if labels.numeric and options.task == "auto" and k > MAX_CLASSES_FOR_INTEGERS:
            raise ReportgenError(
                f"{source.where}: the first rows looked like class labels, but '{cols.y_true}' "
                f"and '{cols.y_pred}' hold {k} distinct integers over the whole file; pass "
                "--task regression (or --task classification) to say which."
            )
        unknown = [lab for lab in cols.proba if lab not in ordered]
        if unknown:
            raise ReportgenError(
                f"{source.where}: probability columns name labels that never occur in "
                f"'{cols.y_true}' or '{cols.y_pred}': "
                f"{', '.join(repr(cols.proba[u]) for u in unknown[:5])}."
            )
        out.labels, out.label_kind = ordered, "numeric" if labels.numeric else "string"
        out.matrix = remap_matrix(matrix, remap, k)
        out.split_matrices = {s: remap_matrix(m, remap, k) for s, m in split_mats.items()}
        if cols.proba:
            out.confidence_sums = (conf_sum[0], conf_n[0], conf_sum[1], conf_n[1])
        kept = [errors, pairs, correct, tagged]
        out.shown = _table(out, _union([sample, *kept]), remap)
        out.sample = _table(out, sample.rows(), remap)
    elif task == "regression":
        out.regression = {**sums, "residual": residuals, "truth": truth}
        out.shown = _table(out, _union([sample, under, over]), None)
        out.sample = _table(out, sample.rows(), None)
    assert out.sample is not None
    out.sampled = out.sample.n < n
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


def _tagged(
    table: PredictionTable,
    column: str | None,
    id_column: str | None,
    marks: tuple[str, set[str]] | None,
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
        table.y_true_values = rows["_yt"].to_numpy(dtype=np.float64)
        table.y_pred_values = rows["_yp"].to_numpy(dtype=np.float64)
        return table
    assert remap is not None
    table.labels, table.label_kind = out.labels, out.label_kind
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
