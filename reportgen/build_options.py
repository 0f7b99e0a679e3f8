"""The options of build alone (and detection's, which compare and sample-errors share).

Declared as in options.py, in groups the commands stack: the ground truth and threshold of a
detection report, and how build reads its file (steps, streaming, engine, --oof).
"""

from __future__ import annotations

import click

from reportgen.options import FilePath, input_file, split_columns, stack

# build and compare: the ground truth and threshold of a detection report
detection_options = stack(
    click.option(
        "--ground-truth",
        type=FilePath("input", "the ground truth"),
        default=None,
        metavar="PATH",
        help="Detection: the ground-truth boxes (a COCO instances file, or a YOLO or Pascal VOC "
        "folder); PREDICTIONS is then the detections (a COCO results file, or a folder).",
    ),
    click.option(
        "--classes",
        type=input_file("the class names"),
        default=None,
        metavar="FILE",
        help="Detection with YOLO labels: the class names, one per line (default: classes.txt "
        "in the ground-truth folder).",
    ),
    click.option(
        "--conf",
        type=click.FloatRange(0.0, 1.0),
        default=None,
        metavar="SCORE",
        help="Detection: the confidence threshold of the per-class counts, the confusion matrix "
        "and the shown errors (default: the one that maximises F1, stated in the report).",
    ),
)

# build only: how the file is read and what the evolution section shows
build_options = stack(
    click.option(
        "--playbook",
        type=input_file("the playbook"),
        default=None,
        help="TOML file of bucket -> experiment entries that add to or replace the built-in ones.",
    ),
    click.option(
        "--pos-label",
        default=None,
        help="Two-label files: the positive class for thresholds and calibration "
        "(default: 1/true/yes/positive, else the second label).",
    ),
    click.option(
        "--oof",
        is_flag=True,
        help="The probability columns are out-of-sample (out-of-fold, or from a model that "
        "never saw the rows): adds the suspected-label-errors section (confident learning). "
        "Needs a probability column for every class.",
    ),
    click.option(
        "--step",
        default=None,
        metavar="COLUMN",
        help="Epoch or step column (several predictions per sample): adds the "
        "training-evolution section; the rest of the report shows the last step.",
    ),
    click.option(
        "--steps",
        multiple=True,
        callback=split_columns,
        metavar="A,B,C",
        help="Steps whose confusion matrices are drawn side by side (default: first, best, last).",
    ),
    click.option(
        "--at-step",
        default=None,
        metavar="STEP",
        help="The step the rest of the report shows (default: the last).",
    ),
    click.option(
        "--model", default=None, help="Model name, shown in the title, headline and record."
    ),
    click.option(
        "--stream/--no-stream",
        default=None,
        help="Read the file in batches with flat memory (default: when it is over 1 GB). "
        "Counts, calibration and categorical slices are exact; what needs every row at once "
        "(most threshold curves, numeric slices, the error tree, residual figures) comes from "
        "a seeded sample of --sample-rows rows, and the page says which.",
    ),
    click.option(
        "--engine",
        type=click.Choice(["local", "spark"]),
        default="local",
        show_default=True,
        help="spark: fold Parquet data (a file, a folder or any URI Spark reads) with PySpark "
        "(pip install 'reportgen[spark]'); same record as local streaming.",
    ),
    click.option(
        "--sample-rows",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="With --stream: rows in the analysis sample (default: 1,000,000).",
    ),
)
