"""build_report: one prediction file in, one Report out."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

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
from reportgen.read.exact import ClassificationExact, RegressionExact
from reportgen.read.predictions import read_predictions
from reportgen.read.result import ReadOptions, ReadResult
from reportgen.record.common import Context, Meta
from reportgen.report import Report

if TYPE_CHECKING:
    from reportgen.gates import GateSpec
    from reportgen.record.classification_types import ClassificationRecord
    from reportgen.record.detection_types import DetectionRecord
    from reportgen.record.regression_types import RegressionRecord
    from reportgen.record.types import JSONObject, RecordBase


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
    ground_truth: str | os.PathLike[str] | None = None,
    classes: str | os.PathLike[str] | None = None,
    conf: float | None = None,
    columns: Sequence[str] = (),
    slices: Sequence[str] = (),
    slice_all: bool = False,
    eval_split: str | None = None,
    pos_label: str | None = None,
    oof: bool = False,
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
) -> Report[Any]:  # the kind is the data's: see Report
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
    a folder or any URI Spark reads) with PySpark instead, always streamed. `oof` says the
    probability columns are out-of-sample (out-of-fold): the report then ranks suspected label
    errors by confident learning.
    """
    check_choices(task=task, max_samples=max_samples, image_root=image_root)
    load = load_options(locals())
    shown_steps = tuple(str(v) for v in steps)
    shown_at = None if at_step is None else str(at_step)
    loop = Loop(
        tags=None if tags is None else str(tags),
        separators=tag_separators,
        playbook=None if playbook is None else str(playbook),
        image_root=None if image_root is None else str(image_root),
        buckets=buckets,
        max_samples=max_samples,
        seed=seed,
        pos_label=pos_label,
        max_bytes=parse_size(max_bytes),
        conf=conf,
        oof=oof,
    )
    read_options = ReadOptions(
        load=load,
        eval_split=eval_split,
        steps=shown_steps,
        at_step=shown_at,
        tags=loop.tags,
        tag_separators=tag_separators,
        pos_label=pos_label,
        max_samples=max_samples,
        seed=seed,
        stream=stream,
        sample_rows=sample_rows,
        engine=engine,
        ground_truth=None if ground_truth is None else str(ground_truth),
        classes=None if classes is None else str(classes),
        image_root=loop.image_root,
    )
    created_at = normalize_created(created)
    read = read_predictions(data, read_options)

    steps_given: JSONObject = {
        "step": step,
        "steps": list(shown_steps) or None,
        "at_step": shown_at,
    }
    recorded: JSONObject = {
        "format": format,
        "task": task,
        "dropna": dropna,
        "max_samples": max_samples,
        "seed": seed,
        "eval_split": eval_split,
        "pos_label": pos_label,
        **({} if read.evolution is None else steps_given),
        "tags": _file_name(tags),
        "tag_separators": tag_separators,
        "playbook": _file_name(playbook),
        "image_root": _file_name(image_root),
        # only when given, so that the records built without it stay as they were
        **({"oof": True} if oof else {}),
    }
    if read.detection is not None:  # a detection report reads boxes: its own options
        recorded = {
            "task": task,
            "ground_truth": _file_name(ground_truth),
            "classes": _file_name(classes),
            "conf": conf,
            "eval_split": eval_split,
            "max_samples": max_samples,
            "seed": seed,
            "image_root": _file_name(image_root),
            "tags": _file_name(tags),
            "tag_separators": tag_separators,
        }
    name = read.table.source.path or "DataFrame"
    meta = Meta(
        title=title or (f"{model}: error analysis" if model else f"Error analysis of {name}"),
        model=model,
        created=created_at,
        options=recorded,
    )
    context = Context(
        evaluation=read.evaluation,
        stream=read.stream,
        other_inputs=other_inputs({"tags": tags, "playbook": playbook}),
        config=config_source(config),
        gates=gate_check(fail_under, fail_over, max_drop, gates, baseline),
    )
    return REPORT_KINDS[read.table.task](read, meta, context, loop)


@dataclass(frozen=True)
class Loop:
    """The options a kind of report may use beyond the read: tags, playbook, shown samples."""

    tags: str | None
    separators: str
    playbook: str | None
    image_root: str | None
    buckets: str | None
    max_samples: int
    seed: int
    pos_label: str | None
    max_bytes: int
    conf: float | None = None  # detection: the confidence threshold (None: the F1 maximum)
    oof: bool = False  # classification: the probabilities are out-of-sample (label review)


def _file_name(path: str | os.PathLike[str] | None) -> str | None:
    """A file option as the provenance keeps it: its name, without the folders."""
    return None if path is None else os.path.basename(str(path))


def _classification(
    read: ReadResult, meta: Meta, context: Context, loop: Loop
) -> Report[ClassificationRecord]:
    """Analyse class labels, build the record, and make its figures, sections and thumbnails."""
    from reportgen.figures.classification import classification_figures
    from reportgen.record import classification
    from reportgen.record.samples import page_thumbnails
    from reportgen.render.sections import classification_sections

    assert read.exact is None or isinstance(read.exact, ClassificationExact)
    analysis = classification.analyse(
        read.table,
        max_samples=loop.max_samples,
        seed=loop.seed,
        loop=classification.LoopOptions(
            tags=loop.tags,
            separators=loop.separators,
            playbook=loop.playbook,
            image_root=loop.image_root,
            evaluated=read.evaluation.key,
            others=read.others,
            oof=loop.oof,
        ),
        splits=read.splits,
        pos_label=loop.pos_label,
        evolution=read.evolution,
        exact=read.exact,
    )
    record = classification.build_record(analysis, meta, context)
    return Report(
        record,
        classification_figures(analysis),
        classification_sections(record),
        page_thumbnails(record, analysis.images),
        max_bytes=loop.max_bytes,
    )


def _regression(
    read: ReadResult, meta: Meta, context: Context, loop: Loop
) -> Report[RegressionRecord]:
    """Analyse numeric predictions, build the record, and make its figures and sections."""
    from reportgen.figures.regression import regression_figures
    from reportgen.record import regression
    from reportgen.render.sections import regression_sections

    refuse_on_regression(
        {
            "--tags": loop.tags,
            "--buckets": loop.buckets,
            "--playbook": loop.playbook,
            "--image-root": loop.image_root,
            "--oof": True if loop.oof else None,
        },
        "classification reports, and this is a regression file",
    )
    assert read.exact is None or isinstance(read.exact, RegressionExact)
    analysis = regression.analyse(read.table, max_samples=loop.max_samples, exact=read.exact)
    record = regression.build_record(analysis, meta, context)
    return Report(
        record,
        regression_figures(analysis),
        regression_sections(record),
        max_bytes=loop.max_bytes,
    )


def _detection(
    read: ReadResult, meta: Meta, context: Context, loop: Loop
) -> Report[DetectionRecord]:
    """Match boxes, count error types, build the record, and draw the figures and thumbnails."""
    from reportgen.figures.detection import detection_figures
    from reportgen.record import detection
    from reportgen.render.detection_sections import detection_sections

    if loop.oof:
        raise ReportgenError(
            "--oof: the label review reads class probabilities per row, which a detection "
            "report does not have; leave it out."
        )
    if loop.playbook is not None:
        raise ReportgenError(
            "--playbook: a detection report takes its experiments from the built-in detection "
            "playbook; leave it out."
        )
    assert read.detection is not None
    analysis = detection.analyse(
        read.table,
        read.detection,
        conf=loop.conf,
        max_samples=loop.max_samples,
        seed=loop.seed,
        image_root=loop.image_root,
        tags=loop.tags,
        separators=loop.separators,
    )
    record = detection.build_record(analysis, meta, context)
    return Report(
        record,
        detection_figures(record),
        detection_sections(record),
        analysis.thumbnails,
        max_bytes=loop.max_bytes,
        pictures_first=True,  # its boxed pictures are most of the page: they go first
    )


# each kind of report: its task name, and the function that analyses, records and draws it
REPORT_KINDS: dict[str, Callable[[ReadResult, Meta, Context, Loop], Report[RecordBase]]] = {
    "classification": _classification,
    "regression": _regression,
    "detection": _detection,
}
