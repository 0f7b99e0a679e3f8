"""The Python entry points: build_report(...) and the Report it returns."""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from reportgen.config import Config
from reportgen.deliver.budget import DEFAULT_MAX_BYTES, parse_size
from reportgen.deliver.files import write_atomic
from reportgen.errors import ReportgenError, quoted
from reportgen.read.load import LoadOptions, load_predictions
from reportgen.read.table import PredictionTable
from reportgen.record import Assembled, Meta
from reportgen.record.blocks import dumps, evaluation_block
from reportgen.render import Section

if TYPE_CHECKING:
    from reportgen.analysis.evaluation import Evaluation
    from reportgen.analysis.evolution import EvolutionResult
    from reportgen.gates import GateSpec


class Report:
    """A built report: the record, and the HTML made from it on demand."""

    def __init__(
        self,
        record: dict[str, Any],
        figures: dict[str, str],
        sections: list[Section],
        thumbnails: dict[str, dict[str, Any]] | None = None,
        *,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.record = record
        self.max_bytes = max_bytes
        self._figures = figures
        self._sections = sections
        self._thumbnails = thumbnails or {}
        self._html: str | None = None

    def to_html(self) -> str:
        """Render the self-contained HTML page."""
        from reportgen.deliver.archive import fingerprint

        prov = self.record["provenance"]
        if self._html is None or fingerprint(self.record) != prov.get("fingerprint"):
            from reportgen.deliver.archive import seal
            from reportgen.deliver.budget import fit
            from reportgen.render import render_html

            def render() -> str:
                prov.pop("page_sha256", None)
                prov.pop("fingerprint", None)
                page = render_html(
                    self.record, self._sections, figures=self._figures, thumbnails=self._thumbnails
                )
                return seal(page, self.record)

            self._html = fit(render, self.record, self._thumbnails, self.max_bytes)
        return self._html

    def to_json(self) -> str:
        """Serialise the sealed record (what --json writes and the page embeds)."""
        self.to_html()
        return dumps(self.record)

    def save(
        self, path: str | os.PathLike[str], *, json_path: str | os.PathLike[str] | None = None
    ) -> None:
        """Write the HTML (and optionally the JSON record) atomically."""
        page = self.to_html()
        if json_path is not None:
            write_atomic(json_path, self.to_json())
        write_atomic(path, page)

    def _repr_html_(self) -> str:
        # an iframe keeps the report's styles from leaking into the notebook
        return (
            '<iframe title="reportgen report" '
            'style="width:100%;height:640px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(self.to_html(), quote=True)}"></iframe>'
        )


# seconds since 1970 that stay within the years a datetime holds (1 to 9999)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FIRST = int((datetime(1, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())
_LAST = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - _EPOCH).total_seconds())


def normalize_created(created: str | int | float | datetime | None) -> str | None:
    """Return the creation time as ISO 8601 UTC, from the argument or SOURCE_DATE_EPOCH."""
    where = "--created"
    if created is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if not epoch:
            return None
        created, where = epoch, "SOURCE_DATE_EPOCH"
    accepted = (
        "give ISO 8601 (2026-11-22 or 2026-11-22T10:00:00Z) or whole seconds since 1970, "
        f"from {_FIRST} to {_LAST} (the years 1 to 9999)."
    )
    if isinstance(created, datetime):
        moment = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    elif isinstance(created, (int, float)) or re.fullmatch(r"-?[0-9]+", str(created).strip()):
        number = created if isinstance(created, (int, float)) else int(str(created).strip())
        # compared before any conversion: int(inf) and datetime.fromtimestamp(1e20) would raise
        if not (isinstance(number, int) or math.isfinite(number)) or not (
            _FIRST <= number <= _LAST
        ):
            raise ReportgenError(f"{where} {quoted(created)} is out of range: {accepted}")
        moment = _EPOCH + timedelta(seconds=int(number))
    else:
        text = str(created).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ReportgenError(f"{where} {quoted(text)} is not a date: {accepted}") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError as exc:  # 9999-12-31T23:00-05:00 is in the year 10000 in UTC
        raise ReportgenError(f"{where} {quoted(str(created))} is out of range: {accepted}") from exc
    # %Y writes the year 1 as '1' on some platforms: ISO 8601 wants four digits
    return f"{moment:%m-%dT%H:%M:%SZ}".join([f"{moment.year:04d}-", ""])


def _refuse_on_regression(options: dict[str, object], what: str) -> None:
    """Refuse options that only mean something for class labels, naming the ones given."""
    unused = [name for name, value in options.items() if value is not None]
    if unused:
        raise ReportgenError(
            f"{', '.join(unused)} {'applies' if len(unused) == 1 else 'apply'} to {what}; "
            f"leave {'it' if len(unused) == 1 else 'them'} out, or pass --task classification "
            "if the numbers are class labels."
        )


def _other_inputs(files: dict[str, str | os.PathLike[str] | None]) -> list[dict[str, Any]]:
    """Name, size and SHA-256 of the other files that changed the numbers."""
    from pathlib import Path

    from reportgen.read.readers import sha256_of

    out = []
    for role, value in files.items():
        if value is None:
            continue
        path = Path(value)
        out.append(
            {
                "role": role,
                "path": path.name,
                "size": path.stat().st_size,
                "sha256": sha256_of(path),
            }
        )
    return out


def _at_step(
    table: PredictionTable,
    column: str,
    steps: Sequence[str],
    at_step: str | int | float | None,
    evaluation: Evaluation,
    *,
    keep: bool,
) -> tuple[PredictionTable, EvolutionResult]:
    """Analyse the evolution over steps, then keep the rows of the step the report shows."""
    from dataclasses import replace

    from reportgen.analysis.evaluation import evaluated_rows
    from reportgen.analysis.evolution import analyze_evolution, step_codes
    from reportgen.read.table import restrict

    if table.task != "classification":
        raise ReportgenError(
            f"--step {column}: training evolution applies to classification files, and this is "
            "a regression file; leave --step out, or pass --task classification if the numbers "
            "are class labels."
        )
    # the evolution follows the evaluated rows, as the rest of the report does
    rows = evaluated_rows(table, evaluation)
    evolution = analyze_evolution(
        rows.frame[column],
        rows.true_codes,
        rows.pred_codes,
        rows.labels,
        column=column,
        steps=[str(v) for v in steps],
        at_step=None if at_step is None else str(at_step),
    )
    codes, names = step_codes(table.frame[column])
    shown = restrict(table, codes == names.index(evolution.shown_step))
    if keep:
        return shown, evolution
    # the step column was loaded only for this; within one step it says nothing
    extra = tuple(c for c in shown.columns.extra if c != column)
    columns = replace(shown.columns, extra=extra)
    return replace(shown, columns=columns, frame=shown.frame[columns.shown()]), evolution


def build_report(
    data: str | os.PathLike[str] | pd.DataFrame,
    *,
    y_true: str | None = None,
    y_pred: str | None = None,
    proba_prefix: str | None = None,
    id: str | None = None,
    sample: str | None = None,
    buckets: str | None = None,
    split: str | None = None,
    tags: str | os.PathLike[str] | None = None,
    tag_separators: str = ";|,",
    playbook: str | os.PathLike[str] | None = None,
    image_root: str | os.PathLike[str] | None = None,
    columns: Sequence[str] = (),
    slices: Sequence[str] = (),
    slice_all: bool = False,
    eval_split: str | None = None,
    pos_label: str | None = None,
    task: str = "auto",
    dropna: bool = False,
    format: str | None = None,
    step: str | None = None,
    steps: Sequence[str | int | float] = (),
    at_step: str | int | float | None = None,
    max_samples: int = 50,
    seed: int = 0,
    title: str | None = None,
    model: str | None = None,
    created: str | int | float | datetime | None = None,
    fail_under: Mapping[str, float | str] | None = None,
    fail_over: Mapping[str, float | str] | None = None,
    max_drop: Mapping[str, float | str] | None = None,
    gates: Sequence[GateSpec] = (),
    baseline: str | os.PathLike[str] | dict[str, Any] | None = None,
    max_bytes: int | str = DEFAULT_MAX_BYTES,
    config: Config | None = None,
    stream: bool | None = None,
    sample_rows: int | None = None,
    engine: str = "local",
) -> Report:
    """Load predictions from a file path or DataFrame and build the report.

    Column arguments name the input columns; None means auto-detect (see the README).
    `step` names an epoch or step column (several predictions per sample): the evolution
    section follows every step, and the rest of the report shows `at_step` (default: the
    last); `steps` picks the steps whose confusion matrices are drawn (default: first, best,
    last). Gates: `fail_under` ({"accuracy": 0.9, "recall[cat]": 0.8}) for metrics where higher
    is better, `fail_over` ({"mae": 3.5}) where lower is better, `max_drop` against a
    `baseline` record (a dict, a report or a --json file), or parsed `gates`;
    `report.record["gates"]` says which failed. `max_bytes` is the page's size budget (0:
    none). `config` is the Config the options came from, kept in the provenance. Raises
    ReportgenError with a readable message for bad input. `stream` reads the file in batches
    (None: when it is larger than 1 GB); `sample_rows` bounds the analysis sample a streamed
    build computes quantile-based sections from. `engine="spark"` folds Parquet data (a file,
    a folder or any URI Spark reads) with PySpark instead, always streamed.
    """
    if task not in ("auto", "classification", "regression"):
        raise ReportgenError(f"task must be auto, classification or regression, not '{task}'.")
    if max_samples < 0:
        raise ReportgenError(f"max_samples must be 0 or more, not {max_samples}.")
    options = LoadOptions(
        format=format,
        y_true=y_true,
        y_pred=y_pred,
        proba_prefix=proba_prefix,
        id=id,
        sample=sample,
        buckets=buckets,
        split=split,
        columns=tuple(columns),
        slices=tuple(slices),
        slice_all=slice_all,
        task=task,
        dropna=dropna,
        step=step,
    )
    if step is None and (steps or at_step is not None):
        raise ReportgenError(
            f"{'--steps' if steps else '--at-step'} needs a step column; name it with --step "
            "COLUMN."
        )
    created_at = normalize_created(created)
    if image_root is not None:
        from reportgen.read.images import check_root

        check_root(str(image_root))
    from reportgen.read.stream import should_stream

    streamed = None
    if stream and isinstance(data, pd.DataFrame):
        raise ReportgenError("stream reads files in batches; a DataFrame is already in memory.")
    if engine not in ("local", "spark"):
        raise ReportgenError(f"engine must be local or spark, not '{engine}'.")
    if engine == "spark" and (isinstance(data, pd.DataFrame) or stream is False):
        raise ReportgenError(
            "--engine spark reads Parquet files in parts; it cannot take a DataFrame or "
            "--no-stream."
        )
    if not isinstance(data, pd.DataFrame) and (
        engine == "spark" or should_stream(data, stream, format)
    ):
        if step is None and (steps or at_step is not None):
            raise ReportgenError(
                f"{'--steps' if steps else '--at-step'} needs a step column; name it with --step "
                "COLUMN."
            )
        from reportgen.read.stream.build import read_for_report

        table, streamed = read_for_report(
            data,
            options,
            step,
            eval_split,
            tags,
            tag_separators,
            max_samples,
            seed,
            sample_rows,
            engine,
            pos_label,
            [str(v) for v in steps],
            None if at_step is None else str(at_step),
        )
    else:
        table = load_predictions(data, options)
    evolution = None if streamed is None else streamed[3]
    from reportgen.analysis.evaluation import choose_rows, evaluated_rows, recount_rows

    evaluation = choose_rows(table, eval_split) if streamed is None else streamed[4]
    if streamed is None and step is not None:
        named = table.columns
        keep = step in columns or step in (
            named.id,
            named.sample,
            named.buckets,
            named.split,
            *named.slices,
        )
        table, evolution = _at_step(
            table, step, [str(v) for v in steps], at_step, evaluation, keep=keep
        )
        evaluation = recount_rows(evaluation, table)
    splits = None
    if streamed is not None:
        splits = streamed[1]
    elif table.task == "classification" and table.columns.split is not None:
        from reportgen.analysis.splits import analyze_splits

        # the split check looks at every split, whatever the report is restricted to
        splits = analyze_splits(
            table.frame[table.columns.split],
            table.true_codes,
            table.pred_codes,
            table.labels,
            evaluated=evaluation.splits,
        )
    others = None
    if streamed is None:
        whole = table
        table = evaluated_rows(table, evaluation)
        if tags is not None and table.n < whole.n:
            from reportgen.read.table import restrict

            # the sheet may name rows of other splits: they are counted apart, not as unknown
            kept = np.zeros(whole.n, dtype=bool)
            kept[np.searchsorted(whole.row_numbers, table.row_numbers)] = True
            others = restrict(whole, ~kept)
    if pos_label is not None and table.task == "classification" and len(table.labels) != 2:
        raise ReportgenError(
            f"--pos-label {pos_label}: a positive class applies to files with two labels; this "
            f"one has {len(table.labels)} ({', '.join(table.labels[:10])})."
        )
    name = table.source.path or "DataFrame"
    meta = Meta(
        title=title or (f"{model}: error analysis" if model else f"Error analysis of {name}"),
        model=model,
        created=created_at,
        options={
            "format": format,
            "task": task,
            "dropna": dropna,
            "max_samples": max_samples,
            "seed": seed,
            "eval_split": eval_split,
            "pos_label": pos_label,
            **(
                {}
                if evolution is None
                else {
                    "step": step,
                    "steps": [str(v) for v in steps] or None,
                    "at_step": None if at_step is None else str(at_step),
                }
            ),
            "tags": None if tags is None else os.path.basename(str(tags)),
            "tag_separators": tag_separators,
            "playbook": None if playbook is None else os.path.basename(str(playbook)),
            "image_root": None if image_root is None else os.path.basename(str(image_root)),
        },
    )
    assembled: Assembled
    if table.task == "regression":
        _refuse_on_regression(
            {
                "--tags": tags,
                "--buckets": buckets,
                "--playbook": playbook,
                "--image-root": image_root,
            },
            "classification reports, and this is a regression file",
        )
        from reportgen.record import regression

        exact_r = None if streamed is None else streamed[0]
        assert exact_r is None or isinstance(exact_r, regression.Exact)
        assembled = regression.assemble(table, meta, max_samples=max_samples, exact=exact_r)
    else:
        from reportgen.record import classification

        loop = classification.LoopOptions(
            tags=None if tags is None else str(tags),
            separators=tag_separators,
            playbook=None if playbook is None else str(playbook),
            image_root=None if image_root is None else str(image_root),
            evaluated=evaluation.key,
            others=others,
        )
        assembled = classification.assemble(
            table,
            meta,
            max_samples=max_samples,
            seed=seed,
            loop=loop,
            splits=splits,
            pos_label=pos_label,
            evolution=evolution,
            exact=None if streamed is None else streamed[0],
        )
    record = assembled.record
    if streamed is not None:
        record["stream"] = streamed[2]
    record["provenance"]["other_inputs"] = _other_inputs({"tags": tags, "playbook": playbook})
    record["provenance"]["config"] = None if config is None else config.provenance()
    record["provenance"]["evaluation"] = evaluation_block(evaluation)
    if fail_under or fail_over or max_drop or gates or baseline is not None:
        record["gates"] = _gates(record, fail_under, fail_over, max_drop, gates, baseline)
    return Report(
        record,
        assembled.figures,
        assembled.sections,
        assembled.thumbnails,
        max_bytes=parse_size(max_bytes),
    )


def _gates(
    record: dict[str, Any],
    fail_under: Mapping[str, float | str] | None,
    fail_over: Mapping[str, float | str] | None,
    max_drop: Mapping[str, float | str] | None,
    gates: Sequence[GateSpec],
    baseline: str | os.PathLike[str] | dict[str, Any] | None,
) -> dict[str, Any]:
    """Check the gates against the record (and the baseline's record for --max-drop)."""
    from reportgen.gates import evaluate_gates, gate_spec, load_baseline

    specs = [*gates] + [
        gate_spec(kind, key, value)
        for kind, table in (
            ("fail-under", fail_under),
            ("fail-over", fail_over),
            ("max-drop", max_drop),
        )
        for key, value in (table or {}).items()
    ]
    source = None
    if baseline is not None and not isinstance(baseline, dict):
        source = str(baseline)
        baseline = load_baseline(baseline)
    return evaluate_gates(record, specs, baseline=baseline, baseline_source=source)


def _default_names(
    baseline: str | os.PathLike[str] | pd.DataFrame,
    candidate: str | os.PathLike[str] | pd.DataFrame,
) -> tuple[str, str]:
    """Name the two sides by their file names, with as many folders as it takes to tell apart."""
    from pathlib import Path

    if isinstance(baseline, pd.DataFrame) or isinstance(candidate, pd.DataFrame):
        return "baseline", "candidate"
    parts_a, parts_b = Path(baseline).parts, Path(candidate).parts
    for depth in range(1, max(len(parts_a), len(parts_b)) + 1):
        a, b = "/".join(parts_a[-depth:]), "/".join(parts_b[-depth:])
        if a != b:
            return a, b
    return f"{Path(baseline).name} (baseline)", f"{Path(candidate).name} (candidate)"


def compare_reports(
    baseline: str | os.PathLike[str] | pd.DataFrame,
    candidate: str | os.PathLike[str] | pd.DataFrame,
    *,
    name_a: str | None = None,
    name_b: str | None = None,
    y_true: str | None = None,
    y_pred: str | None = None,
    proba_prefix: str | None = None,
    id: str | None = None,
    sample: str | None = None,
    buckets: str | None = None,
    split: str | None = None,
    eval_split: str | None = None,
    tags: str | os.PathLike[str] | None = None,
    tags_a: str | os.PathLike[str] | None = None,
    tags_b: str | os.PathLike[str] | None = None,
    tag_separators: str = ";|,",
    image_root: str | os.PathLike[str] | None = None,
    columns: Sequence[str] = (),
    task: str = "auto",
    dropna: bool = False,
    format: str | None = None,
    max_samples: int = 50,
    seed: int = 0,
    title: str | None = None,
    created: str | int | float | datetime | None = None,
    max_bytes: int | str = DEFAULT_MAX_BYTES,
    config: Config | None = None,
) -> Report:
    """Compare a candidate model's predictions with a baseline's on the same rows.

    Both files are read with the same column options and joined on the id column (or by row
    order when neither has one). With a split column (`split`, default: a column named split,
    in either file or in both when they agree row by row) the comparison describes the rows
    build would: `eval_split` names a split, or "all"; by default the dev split, else test,
    else every split but train. `tags` applies one tag sheet to both sides; `tags_a` and
    `tags_b` give each its own. Raises ReportgenError with a readable message for bad input.
    """
    if task not in ("auto", "classification", "regression"):
        raise ReportgenError(f"task must be auto, classification or regression, not '{task}'.")
    if max_samples < 0:
        raise ReportgenError(f"max_samples must be 0 or more, not {max_samples}.")
    default_a, default_b = _default_names(baseline, candidate)
    names = (name_a or default_a, name_b or default_b)
    if names[0] == names[1]:
        raise ReportgenError(
            f"--name-a and --name-b are both '{names[0]}'; give the two models different names."
        )
    sheet_a = tags_a if tags_a is not None else tags
    sheet_b = tags_b if tags_b is not None else tags
    options = LoadOptions(
        format=format,
        y_true=y_true,
        y_pred=y_pred,
        proba_prefix=proba_prefix,
        id=id,
        sample=sample,
        buckets=buckets,
        split=split,
        split_optional=True,
        columns=tuple(columns),
        task=task,
        dropna=dropna,
    )
    created_at = normalize_created(created)
    if image_root is not None:
        from reportgen.read.images import check_root

        check_root(str(image_root))
    from reportgen.analysis.compare import evaluated_rows, join_tables

    joined = join_tables(
        load_predictions(baseline, options), load_predictions(candidate, options), names=names
    )
    # every comparison number describes the evaluated rows only, as build's do
    joined, evaluation, splits = evaluated_rows(
        joined, names=names, requested=eval_split, named=split
    )
    if joined.a.task == "regression":
        _refuse_on_regression(
            {
                "--tags": tags,
                "--tags-a": tags_a,
                "--tags-b": tags_b,
                "--buckets": buckets,
                "--image-root": image_root,
            },
            "classification comparisons, and these are regression files",
        )

    def base(value: str | os.PathLike[str] | None) -> str | None:
        return None if value is None else os.path.basename(str(value))

    meta = Meta(
        title=title or f"{names[1]} against {names[0]}: comparison",
        model=names[1],
        created=created_at,
        options={
            "names": list(names),
            "format": format,
            "task": task,
            "dropna": dropna,
            "max_samples": max_samples,
            "seed": seed,
            "eval_split": eval_split,
            "tags_a": base(sheet_a),
            "tags_b": base(sheet_b),
            "tag_separators": tag_separators,
            "image_root": base(image_root),
        },
    )
    from reportgen.record import compare

    settings = compare.CompareOptions(
        names=names,
        max_samples=max_samples,
        seed=seed,
        tags_a=None if sheet_a is None else str(sheet_a),
        tags_b=None if sheet_b is None else str(sheet_b),
        separators=tag_separators,
        image_root=None if image_root is None else str(image_root),
    )
    if joined.a.task == "regression":
        assembled = compare.assemble_regression(joined, meta, settings)
    else:
        assembled = compare.assemble_classification(joined, meta, settings)
    shared = sheet_a is not None and str(sheet_a) == str(sheet_b)
    assembled.record["provenance"]["other_inputs"] = _other_inputs(
        {"Tag sheet (both)": sheet_a}
        if shared
        else {f"Tag sheet ({names[0]})": sheet_a, f"Tag sheet ({names[1]})": sheet_b}
    )
    assembled.record["provenance"]["config"] = None if config is None else config.provenance()
    assembled.record["provenance"]["evaluation"] = evaluation_block(
        evaluation, split_columns=splits.columns, names=names
    )
    return Report(
        assembled.record,
        assembled.figures,
        assembled.sections,
        assembled.thumbnails,
        max_bytes=parse_size(max_bytes),
    )
