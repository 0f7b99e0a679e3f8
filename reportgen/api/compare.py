"""compare_reports: two models' predictions on the same rows, one Report."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime

import pandas as pd

from reportgen.api.common import normalize_created, other_inputs, refuse_on_regression
from reportgen.config import Config
from reportgen.deliver.budget import DEFAULT_MAX_BYTES, parse_size
from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions, load_predictions
from reportgen.record.blocks import evaluation_block
from reportgen.record.common import Meta
from reportgen.report import Report


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
        refuse_on_regression(
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
    assembled.record["provenance"]["other_inputs"] = other_inputs(
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
