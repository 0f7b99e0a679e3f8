"""compare_detections: two detectors' results on one ground truth, one Report."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from reportgen.api.common import (
    check_choices,
    config_source,
    gate_check,
    load_options,
    normalize_created,
)
from reportgen.config import Config
from reportgen.deliver.budget import DEFAULT_MAX_BYTES, parse_size
from reportgen.errors import ReportgenError
from reportgen.read.result import ReadOptions, ReadResult
from reportgen.record.common import Context, Meta
from reportgen.report import Report

if TYPE_CHECKING:
    from reportgen.gates import GateSpec
    from reportgen.record.compare_detection_types import DetectionComparisonRecord
    from reportgen.record.detection import DetectionAnalysis

PathLike = str | os.PathLike[str]


def refuse_unused(given: Mapping[str, bool]) -> None:
    """Refuse the comparison options that do not apply to detectors, naming the ones given."""
    named = [name for name, on in given.items() if on]
    if named:
        raise ReportgenError(
            f"{', '.join(named)}: not available for comparing detectors, which read boxes from "
            f"their files whole; leave {'it' if len(named) == 1 else 'them'} out."
        )


def refuse_without_truth(*paths: object) -> None:
    """A detections file compared without --ground-truth: say what to add, before any reading."""
    from reportgen.read.predictions import refuse_detection_without_truth

    for path in paths:
        if isinstance(path, (str, os.PathLike)):
            refuse_detection_without_truth(path)


def _base(value: PathLike | None) -> str | None:
    """A file's name without its folders, as the provenance shows options."""
    return None if value is None else os.path.basename(str(value))


def _same_file(a: PathLike, b: PathLike) -> bool:
    """Whether the two paths name one file (a file compared with itself is legal)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _read(path: PathLike, options: ReadOptions, role: str) -> ReadResult:
    """Read one detector's results against the ground truth, as build reads them."""
    from reportgen.read.detection_result import read_detection_result

    try:
        return read_detection_result(path, options)
    except ReportgenError as exc:
        raise ReportgenError(f"the {role}'s detections: {exc}") from exc


def _analyse(read: ReadResult, conf: float | None, seed: int) -> DetectionAnalysis:
    """One side's analysis as its own report would make it, without its shown errors."""
    from reportgen.record import detection

    assert read.detection is not None
    # the comparison shows its own images: the side's error tables are not drawn
    return detection.analyse(
        read.table, read.detection, conf=conf, max_samples=0, seed=seed, image_root=None
    )


def _check_same_images(a: ReadResult, b: ReadResult) -> None:
    """Both reads must describe the same images of the same ground truth."""
    assert a.detection is not None and b.detection is not None
    ids_a = a.detection.evaluated.images["image_id"].tolist()
    ids_b = b.detection.evaluated.images["image_id"].tolist()
    same_truth = a.detection.whole.gt_source.sha256 == b.detection.whole.gt_source.sha256
    if ids_a != ids_b or not same_truth or a.evaluation.key != b.evaluation.key:
        where = a.detection.whole.gt_source.path or "the ground truth"
        raise ReportgenError(
            f"{where}: the baseline's and the candidate's reads chose different images "
            f"({len(ids_a)} and {len(ids_b)}); both must be compared on the same ground truth "
            "and split."
        )


def compare_detections(
    baseline: PathLike,
    candidate: PathLike,
    *,
    ground_truth: PathLike | None,
    classes: PathLike | None = None,
    conf: float | None = None,
    name_a: str | None = None,
    name_b: str | None = None,
    split: str | None = None,
    eval_split: str | None = None,
    image_root: PathLike | None = None,
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
) -> Report[DetectionComparisonRecord]:
    """Compare a candidate detector's results with a baseline's on the same ground truth.

    Both results files are read against `ground_truth` as build reads one (the images of the
    dev split by the images' `split` field, or `eval_split`). Each side is counted at `conf`
    when given, else at the threshold that maximises its own F1 (stated per side). The report
    shows AP, AP50, AP75 and AR100 and their changes, TIDE's error types of both, per-class
    changes and the images that got better or worse (fewer or more false positives + missed
    boxes), with the exact sign test. Gates check the candidate; `max_drop` compares it with
    the baseline side ({"ap50": 0.02}). Raises ReportgenError for bad input.
    """
    from reportgen.api.compare import _names
    from reportgen.figures.compare_detection import comparison_figures
    from reportgen.record import compare_detection
    from reportgen.render.compare_detection_sections import detection_comparison_sections

    check_choices(task="detection", max_samples=max_samples, image_root=image_root)
    if ground_truth is None:
        raise ReportgenError(
            "comparing detectors needs the ground truth: --ground-truth FILE (a COCO instances "
            "file, or a YOLO or VOC folder)."
        )
    for given in (baseline, candidate):
        if not isinstance(given, (str, os.PathLike)):
            raise ReportgenError(
                "comparing detectors reads two results files and a ground-truth file; give "
                f"their paths, not a {type(given).__name__}."
            )
    names = _names(baseline, candidate, name_a, name_b)
    created_at = normalize_created(created)
    root = None if image_root is None else str(image_root)
    options = ReadOptions(
        load=load_options({"split": split}),
        eval_split=eval_split,
        max_samples=max_samples,
        seed=seed,
        ground_truth=str(ground_truth),
        classes=None if classes is None else str(classes),
        image_root=root,
    )
    read_a = _read(baseline, options, "baseline")
    read_b = _read(candidate, options, "candidate")
    _check_same_images(read_a, read_b)
    same_file = _same_file(baseline, candidate)
    a = _analyse(read_a, conf, seed)
    b = a if same_file else _analyse(read_b, conf, seed)
    comparison = compare_detection.compare_analyses(
        a, b, names=names, max_samples=max_samples, image_root=root, same_file=same_file
    )
    meta = Meta(
        title=title or f"{names[1]} against {names[0]}: detection comparison",
        model=names[1],
        created=created_at,
        options={
            "names": list(names),
            "task": "detection",
            "ground_truth": _base(ground_truth),
            "classes": _base(classes),
            "conf": conf,
            "eval_split": eval_split,
            "max_samples": max_samples,
            "seed": seed,
            "image_root": _base(image_root),
        },
    )
    context = Context(
        evaluation=read_b.evaluation,
        config=config_source(config),
        gates=gate_check(fail_under, fail_over, max_drop, gates, None),
    )
    record = compare_detection.build_record(comparison, meta, context)
    return Report(
        record,
        comparison_figures(record),
        detection_comparison_sections(record),
        comparison.thumbnails,
        max_bytes=parse_size(max_bytes),
    )
