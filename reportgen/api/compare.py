"""compare_reports: two models' predictions on the same rows, one Report."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from reportgen.analysis.compare import ClassificationComparison
from reportgen.api.common import (
    check_choices,
    config_source,
    gate_check,
    load_options,
    normalize_created,
    other_inputs,
    refuse_on_regression,
)
from reportgen.config import Config
from reportgen.deliver.budget import DEFAULT_MAX_BYTES, parse_size
from reportgen.errors import ReportgenError
from reportgen.read.load import LoadOptions, load_predictions
from reportgen.record import compare
from reportgen.record.common import Context, Meta
from reportgen.record.samples import page_thumbnails
from reportgen.report import Report

if TYPE_CHECKING:
    from reportgen.analysis.compare_join import Joined
    from reportgen.analysis.evaluation import Evaluation
    from reportgen.gates import GateSpec

Source = str | os.PathLike[str] | pd.DataFrame
PathLike = str | os.PathLike[str]


def _default_names(baseline: Source, candidate: Source) -> tuple[str, str]:
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


def _names(
    baseline: Source, candidate: Source, name_a: str | None, name_b: str | None
) -> tuple[str, str]:
    """The two models' names: as given, else from their files; never the same."""
    default_a, default_b = _default_names(baseline, candidate)
    names = (name_a or default_a, name_b or default_b)
    if names[0] == names[1]:
        raise ReportgenError(
            f"--name-a and --name-b are both '{names[0]}'; give the two models different names."
        )
    return names


def _base(value: PathLike | None) -> str | None:
    """A file's name without its folders, as the provenance shows options."""
    return None if value is None else os.path.basename(str(value))


@dataclass(frozen=True)
class JoinedRead:
    """Both files read and joined: the evaluated rows, which they are, each side's split column."""

    joined: Joined
    evaluation: Evaluation
    split_columns: tuple[str | None, str | None]


def _read(
    baseline: Source,
    candidate: Source,
    options: LoadOptions,
    names: tuple[str, str],
    eval_split: str | None,
) -> JoinedRead:
    """Read both files, join their rows and keep the evaluated ones, as build would."""
    from reportgen.analysis.compare_join import evaluated_rows, join_tables

    joined = join_tables(
        load_predictions(baseline, options), load_predictions(candidate, options), names=names
    )
    # every comparison number describes the evaluated rows only, as build's do
    joined, evaluation, splits = evaluated_rows(
        joined, names=names, requested=eval_split, named=options.split
    )
    return JoinedRead(joined, evaluation, splits.columns)


def compare_reports(
    baseline: Source,
    candidate: Source,
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
    tags: PathLike | None = None,
    tags_a: PathLike | None = None,
    tags_b: PathLike | None = None,
    tag_separators: str = ";|,",
    image_root: PathLike | None = None,
    columns: Sequence[str] = (),
    slices: Sequence[str] = (),
    slice_all: bool = False,
    task: str = "auto",
    dropna: bool = False,
    format: str | None = None,
    max_samples: int = 50,
    seed: int = 0,
    title: str | None = None,
    created: str | int | float | datetime | None = None,
    fail_under: Mapping[str, float | str] | None = None,
    fail_over: Mapping[str, float | str] | None = None,
    max_drop: Mapping[str, float | str] | None = None,
    gates: Sequence[GateSpec] = (),
    max_bytes: int | str = DEFAULT_MAX_BYTES,
    config: Config | None = None,
    ground_truth: PathLike | None = None,
    classes: PathLike | None = None,
    conf: float | None = None,
) -> Report[Any]:  # ComparisonRecord, or DetectionComparisonRecord with a ground truth
    """Compare a candidate model's predictions with a baseline's on the same rows.

    Both files are read with the same column options and joined on the id column (or by row
    order when neither has one). With a split column (`split`, default: a column named split,
    in either file or in both when they agree row by row) the comparison describes the rows
    build would: `eval_split` names a split, or "all"; by default the dev split, else test,
    else every split but train. `tags` applies one tag sheet to both sides; `tags_a` and
    `tags_b` give each its own.

    `slices` names metadata columns (each file must have them; `slice_all`: every other column
    of either file, a column both have read from the baseline's): the report gains a section
    `slices` with each slice's error rate (regression: mean absolute error) for both models
    and the change, worst first, each tested paired (McNemar's exact test; for regression the
    exact sign test on the absolute errors) with Holm's adjustment over every slice tested;
    `report.record["comparison_slices"]` holds it, and a finding names a slice only when its
    adjusted p is below 5%.

    Gates, as build_report's, check the candidate: `fail_under` ({"accuracy": 0.9}) for
    metrics where higher is better, `fail_over` ({"mae": 3.5}) where lower is better, or
    parsed `gates`. `max_drop` ({"accuracy": 0.01}) compares the candidate with the baseline
    side of this comparison: a gate fails when the metric worsens by more than it allows (the
    change of the metric itself, b - a, whether or not the change is significant).
    `report.record["gates"]` says which failed. Raises ReportgenError for bad input.

    Detectors: with `ground_truth` (or `task="detection"`) both files are detection results
    on that ground truth, compared by `compare_detection.compare_detections` (`conf`, `classes`
    as in build_report); the options about columns, tags and slices do not apply.
    """
    if ground_truth is not None or task == "detection":
        from reportgen.api.compare_detection import compare_detections, refuse_unused

        refuse_unused(
            {
                "--y-true": y_true is not None,
                "--y-pred": y_pred is not None,
                "--proba-prefix": proba_prefix is not None,
                "--id": id is not None,
                "--sample": sample is not None,
                "--buckets": buckets is not None,
                "--tags": tags is not None,
                "--tags-a": tags_a is not None,
                "--tags-b": tags_b is not None,
                "--columns": bool(columns),
                "--slice": bool(slices) or slice_all,
                "--dropna": dropna,
                "--format": format is not None,
            }
        )
        return compare_detections(
            baseline,  # type: ignore[arg-type]  # a DataFrame is refused by the reader
            candidate,  # type: ignore[arg-type]
            ground_truth=ground_truth,
            classes=classes,
            conf=conf,
            name_a=name_a,
            name_b=name_b,
            split=split,
            eval_split=eval_split,
            image_root=image_root,
            max_samples=max_samples,
            seed=seed,
            title=title,
            created=created,
            fail_under=fail_under,
            fail_over=fail_over,
            max_drop=max_drop,
            gates=gates,
            max_bytes=max_bytes,
            config=config,
        )
    if conf is not None or classes is not None:
        raise ReportgenError(
            f"{'--conf' if conf is not None else '--classes'} applies to detection results; "
            "give the ground truth with --ground-truth FILE."
        )
    from reportgen.api.compare_detection import refuse_without_truth

    refuse_without_truth(baseline, candidate)
    check_choices(task=task, max_samples=max_samples, image_root=image_root)
    names = _names(baseline, candidate, name_a, name_b)
    sheets = (tags_a if tags_a is not None else tags, tags_b if tags_b is not None else tags)
    # a --split column one file lacks is read as none there: the other's serves
    options = load_options(locals(), split_optional=True)
    created_at = normalize_created(created)
    read = _read(baseline, candidate, options, names, eval_split)
    if read.joined.a.task == "regression":
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
            "tags_a": _base(sheets[0]),
            "tags_b": _base(sheets[1]),
            "tag_separators": tag_separators,
            "image_root": _base(image_root),
        },
    )
    settings = compare.CompareOptions(
        names=names,
        max_samples=max_samples,
        seed=seed,
        tags_a=None if sheets[0] is None else str(sheets[0]),
        tags_b=None if sheets[1] is None else str(sheets[1]),
        separators=tag_separators,
        image_root=None if image_root is None else str(image_root),
        slices=bool(slices) or slice_all,
    )
    shared = sheets[0] is not None and str(sheets[0]) == str(sheets[1])
    context = Context(
        evaluation=read.evaluation,
        other_inputs=other_inputs(
            {"Tag sheet (both)": sheets[0]}
            if shared
            else {f"Tag sheet ({names[0]})": sheets[0], f"Tag sheet ({names[1]})": sheets[1]}
        ),
        config=config_source(config),
        # a comparison is gated on its candidate; --max-drop on its own baseline side
        gates=gate_check(fail_under, fail_over, max_drop, gates, None),
    )
    analyse = COMPARE_KINDS[read.joined.a.task]
    analysis = analyse(read.joined, settings, read.split_columns)
    record = compare.build_record(analysis, meta, context)
    return Report(
        record,
        _figures(analysis),
        compare.comparison_sections(record),
        page_thumbnails(record, analysis.images),
        max_bytes=parse_size(max_bytes),
    )


def _figures(analysis: compare.ComparisonAnalysis) -> dict[str, str]:
    """Draw the comparison's figures, as SVG by id."""
    from reportgen.figures.compare import classification_figures, regression_figures

    if isinstance(analysis.result, ClassificationComparison):
        return classification_figures(analysis.result, names=analysis.names)
    a, b = analysis.joined.a, analysis.joined.b
    assert a.y_true_values is not None and a.y_pred_values is not None
    assert b.y_pred_values is not None
    return regression_figures(
        a.y_true_values, a.y_pred_values, b.y_pred_values, names=analysis.names
    )


# each task a comparison may have, and the function that analyses it
COMPARE_KINDS: dict[
    str,
    Callable[
        [Joined, compare.CompareOptions, tuple[str | None, str | None]], compare.ComparisonAnalysis
    ],
] = {
    "classification": compare.analyse_classification,
    "regression": compare.analyse_regression,
}
