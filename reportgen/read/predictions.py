"""Read predictions for a report: in memory, in batches or with Spark, into one ReadResult."""

from __future__ import annotations

import os

import pandas as pd

from reportgen.errors import ReportgenError
from reportgen.read.result import ENGINES, ReadOptions, ReadResult


def read_predictions(
    data: str | os.PathLike[str] | pd.DataFrame, options: ReadOptions
) -> ReadResult:
    """Read a file path or DataFrame the way the options and its size ask.

    A DataFrame is read in memory; a file is streamed when asked (`options.stream`), when it
    is larger than STREAM_ABOVE, or with `engine="spark"`.
    """
    from reportgen.read.stream import should_stream

    frame = isinstance(data, pd.DataFrame)
    if options.ground_truth is not None or options.load.task == "detection":
        return _read_detection(data, options)
    if not isinstance(data, pd.DataFrame):
        refuse_detection_without_truth(data)
    if options.stream and frame:
        raise ReportgenError("stream reads files in batches; a DataFrame is already in memory.")
    if options.engine not in ENGINES:
        raise ReportgenError(f"engine must be local or spark, not '{options.engine}'.")
    spark = options.engine == "spark"
    if spark and (frame or options.stream is False):
        raise ReportgenError(
            "--engine spark reads Parquet files in parts; it cannot take a DataFrame or "
            "--no-stream."
        )
    if isinstance(data, pd.DataFrame) or not (
        spark or should_stream(data, options.stream, options.load.format)
    ):
        from reportgen.read.in_memory import read_in_memory

        read = read_in_memory(data, options)
    else:
        from reportgen.read.stream.for_report import read_for_report

        read = read_for_report(data, options)
    table, pos_label = read.table, options.pos_label
    if pos_label is not None and table.task == "classification" and len(table.labels) != 2:
        raise ReportgenError(
            f"--pos-label {pos_label}: a positive class applies to files with two labels; this "
            f"one has {len(table.labels)} ({', '.join(table.labels[:10])})."
        )
    return read


def _read_detection(
    data: str | os.PathLike[str] | pd.DataFrame, options: ReadOptions
) -> ReadResult:
    """Read detections and their ground truth: two files (or folders), in memory."""
    from reportgen.read.detection_result import read_detection_result

    if isinstance(data, pd.DataFrame):
        raise ReportgenError(
            "a detection report reads a results file and a ground-truth file; give their paths, "
            "not a DataFrame."
        )
    if options.ground_truth is None:
        raise ReportgenError(
            f"{data}: --task detection needs the ground-truth boxes: --ground-truth FILE (a COCO "
            "instances file, or a YOLO or VOC folder)."
        )
    load = options.load
    unused = {
        "--y-true": load.y_true is not None,
        "--y-pred": load.y_pred is not None,
        "--proba-prefix": load.proba_prefix is not None,
        "--id": load.id is not None,
        "--sample": load.sample is not None,
        "--buckets": load.buckets is not None,
        "--format": load.format is not None,
        "--columns": bool(load.columns),
        "--slice": bool(load.slices) or load.slice_all,
        "--dropna": load.dropna,
        "--stream": bool(options.stream),
        "--engine spark": options.engine != "local",
        "--step": options.load.step is not None,
        "--pos-label": options.pos_label is not None,
    }
    given = [name for name, on in unused.items() if on]
    if given:
        raise ReportgenError(
            f"{', '.join(given)}: not available for detection reports, which read boxes from "
            "their two files whole; leave "
            f"{'it' if len(given) == 1 else 'them'} out."
        )
    return read_detection_result(data, options)


def refuse_detection_without_truth(data: str | os.PathLike[str]) -> None:
    """A detection file given without its ground truth: say what to add, before any reading."""
    from reportgen.read.detection import detection_format

    found = detection_format(data)
    if found == "coco-results" or (found in ("yolo", "voc") and os.path.isdir(data)):
        what = {"coco-results": "COCO detection results", "yolo": "YOLO labels",
                "voc": "Pascal VOC files"}[found]  # fmt: skip
        raise ReportgenError(
            f"{data}: this looks like {what}; a detection report needs the ground truth too: "
            "--ground-truth FILE (a COCO instances file, or a YOLO or VOC folder)."
        )
    if found == "coco-instances":
        raise ReportgenError(
            f"{data}: this is a COCO instances file (ground truth); give the detections file "
            "first and this one with --ground-truth."
        )
