"""Command-line interface: parse options, call the library, map errors to exit codes."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from reportgen import __version__
from reportgen.errors import ReportgenError

FORMATS = ("csv", "tsv", "parquet", "jsonl")
F = TypeVar("F", bound=Callable[..., Any])


def _split_columns(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    names: list[str] = []
    for item in value:
        names.extend(part.strip() for part in item.split(",") if part.strip())
    return tuple(names)


COLUMN_OPTIONS = [
    click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Input format (default: from the file name).",
    ),
    click.option(
        "--y-true",
        default=None,
        help="True-label column (default: y_true, label, target, actual, truth, ground_truth).",
    ),
    click.option(
        "--y-pred",
        default=None,
        help="Predicted-label column (default: y_pred, prediction, pred, predicted).",
    ),
    click.option(
        "--proba-prefix",
        default=None,
        help="Prefix of per-class probability columns (default: proba_, prob_, score_).",
    ),
    click.option(
        "--id", "id_col", default=None, help="Id column (default: id, sample_id, image_id, uid)."
    ),
]


def column_options(command: F) -> F:
    """Add the options that name the input's columns, shared by every command that reads one."""
    for option in reversed(COLUMN_OPTIONS):
        command = option(command)
    return command


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reportgen")
def main() -> None:
    """Turn a model's prediction file into one self-contained HTML error-analysis report.

    Exit codes: 0 ok, 1 a CI gate failed, 2 bad input or usage.
    """


@main.command()
@click.argument("predictions")
@click.option(
    "-o", "--output", default="report.html", show_default=True, help="HTML file to write."
)
@click.option(
    "--json", "json_path", default=None, help="Also write the record as JSON to this file."
)
@column_options
@click.option(
    "--sample",
    default=None,
    help="Column with the sample itself, e.g. text "
    "(default: sample, text, image, image_path, path, filepath).",
)
@click.option(
    "--columns",
    multiple=True,
    callback=_split_columns,
    help="Extra columns to show in sample tables (comma-separated or repeated).",
)
@click.option(
    "--buckets",
    default=None,
    help="Column of error-bucket tags, several per row separated by ; | or , "
    "(default: buckets, bucket, tags).",
)
@click.option("--split", default=None, help="Column naming each row's split (default: split).")
@click.option(
    "--pos-label",
    default=None,
    help="Two-label files: the positive class for thresholds and calibration "
    "(default: 1/true/yes/positive, else the second label).",
)
@click.option(
    "--eval-split",
    default=None,
    help="Report on this split's rows only (the split check still looks at all of them).",
)
@click.option(
    "--tags",
    "tags",
    default=None,
    help="Tag sheet (CSV/TSV, e.g. from sample-errors) with an id and a buckets column, "
    "joined on the id column.",
)
@click.option(
    "--tag-sep",
    "tag_separators",
    default=";|,",
    show_default=True,
    help="Characters that separate several tags in one cell.",
)
@click.option(
    "--image-root",
    default=None,
    help="Folder holding the sample images: --sample paths are shown as thumbnails, "
    "read only below it.",
)
@click.option(
    "--playbook",
    default=None,
    help="TOML file of bucket -> experiment entries that add to or replace the built-in ones.",
)
@click.option(
    "--slice",
    "slices",
    multiple=True,
    callback=_split_columns,
    help="Show errors (or residuals) per value, or quantile bin, of this column; repeatable.",
)
@click.option(
    "--slice-all",
    is_flag=True,
    help="Slice by every column that plays no other role.",
)
@click.option(
    "--task",
    type=click.Choice(["auto", "classification", "regression"]),
    default="auto",
    show_default=True,
    help="What the predictions are.",
)
@click.option(
    "--dropna",
    is_flag=True,
    help="Drop rows with an empty true or predicted label (the report says how many).",
)
@click.option(
    "--step",
    default=None,
    metavar="COLUMN",
    help="Epoch or step column (several predictions per sample): adds the training-evolution "
    "section; the rest of the report shows the last step.",
)
@click.option(
    "--steps",
    multiple=True,
    callback=_split_columns,
    metavar="A,B,C",
    help="Steps whose confusion matrices are drawn side by side (default: first, best, last).",
)
@click.option(
    "--at-step",
    default=None,
    metavar="STEP",
    help="The step the rest of the report shows (default: the last).",
)
@click.option(
    "--max-samples",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="At most this many rows in each sample table.",
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="Seed for choosing the shown samples."
)
@click.option("--title", default=None, help="Report title (default: from the model or file name).")
@click.option("--model", default=None, help="Model name, shown in the title, headline and record.")
@click.option(
    "--created",
    default=None,
    help="Creation time to record, ISO 8601 or epoch seconds "
    "(default: SOURCE_DATE_EPOCH, else none).",
)
def build(
    predictions: str,
    output: str,
    json_path: str | None,
    fmt: str | None,
    id_col: str | None,
    **options: Any,
) -> None:
    """Build an HTML report from a PREDICTIONS file (CSV, TSV, Parquet or JSON Lines)."""
    try:
        from reportgen.api import build_report
        from reportgen.deliver import check_writable

        check_writable(output)
        if json_path is not None:
            check_writable(json_path)
        report = build_report(predictions, format=fmt, id=id_col, **options)
        report.save(output, json_path=json_path)
    except ReportgenError as exc:
        click.echo(f"reportgen: error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    headline = ", ".join(
        f"{card['label'].lower()} {card['value']}"
        for card in report.record["summary"]["headline"][:3]
    )
    click.echo(
        f"wrote {output}: {report.record['provenance']['input']['rows']:,} rows, {headline}"
        + (f"; record in {json_path}" if json_path else ""),
        err=True,
    )


@main.command("sample-errors")
@click.argument("predictions")
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="How many errors to draw (all of them when there are fewer).",
)
@click.option(
    "-o", "--output", default="review.csv", show_default=True, help="Review sheet (CSV) to write."
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the random draw: the same seed gives the same sheet.",
)
@click.option(
    "--in-split",
    "in_split",
    default=None,
    metavar="VALUE",
    help="Draw only from rows whose split column holds VALUE, e.g. test.",
)
@click.option(
    "--split",
    "split_column",
    default=None,
    metavar="COLUMN",
    help="Column naming each row's split, as for build (default: split).",
)
@column_options
@click.option(
    "--sample",
    default=None,
    help="Column with the sample itself, copied into the sheet "
    "(default: sample, text, image, image_path, path, filepath).",
)
@click.option(
    "--task",
    type=click.Choice(["auto", "classification"]),
    default="auto",
    show_default=True,
    help="Force classification when numeric labels look like a regression target.",
)
@click.option(
    "--dropna",
    is_flag=True,
    help="Drop rows with an empty true or predicted label.",
)
def sample_errors_command(
    predictions: str,
    n: int,
    output: str,
    seed: int,
    in_split: str | None,
    split_column: str | None,
    fmt: str | None,
    id_col: str | None,
    **options: Any,
) -> None:
    """Write a seeded random sample of the errors in PREDICTIONS as a review sheet.

    The draw is stratified by (true, predicted) pair. The CSV has id, true, predicted,
    confidence and sample columns, an empty `buckets` column to fill in and a
    `review_sample` column that records the draw; pass the filled sheet back with
    `build --tags`.
    """
    try:
        from reportgen.deliver import check_writable
        from reportgen.load import LoadOptions, load_predictions
        from reportgen.review import sample_errors, write_review_sheet

        check_writable(output)
        load = LoadOptions(format=fmt, id=id_col, split=split_column, **options)
        try:
            table = load_predictions(predictions, load)
        except ReportgenError as exc:
            if split_column is not None and "(named with --split)" in exc.message:
                exc.message += " --split names the split column; to draw from one split, "
                exc.message += "give its value with --in-split VALUE."
            raise
        sample = sample_errors(table, n=n, seed=seed, split=in_split)
        write_review_sheet(table, sample, output)
    except ReportgenError as exc:
        click.echo(f"reportgen: error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    click.echo(f"wrote {output}: {sample.describe()}", err=True)


@main.command("compare")
@click.argument("baseline")
@click.argument("candidate")
@click.option(
    "-o", "--output", default="compare.html", show_default=True, help="HTML file to write."
)
@click.option(
    "--json", "json_path", default=None, help="Also write the record as JSON to this file."
)
@click.option("--name-a", default=None, help="Name of the baseline (default: its file name).")
@click.option("--name-b", default=None, help="Name of the candidate (default: its file name).")
@column_options
@click.option(
    "--sample",
    default=None,
    help="Column with the sample itself, e.g. text or an image path "
    "(default: sample, text, image, image_path, path, filepath).",
)
@click.option(
    "--columns",
    multiple=True,
    callback=_split_columns,
    help="Extra columns to show in sample tables (comma-separated or repeated).",
)
@click.option(
    "--buckets",
    default=None,
    help="Column of error-bucket tags in each file (default: buckets, bucket, tags).",
)
@click.option(
    "--tags",
    default=None,
    help="Tag sheet applied to both models (tags describe the samples), joined on the id column.",
)
@click.option("--tags-a", default=None, help="Tag sheet for the baseline only.")
@click.option("--tags-b", default=None, help="Tag sheet for the candidate only.")
@click.option(
    "--tag-sep",
    "tag_separators",
    default=";|,",
    show_default=True,
    help="Characters that separate several tags in one cell.",
)
@click.option(
    "--image-root",
    default=None,
    help="Folder holding the sample images: --sample paths are shown as thumbnails, "
    "read only below it.",
)
@click.option(
    "--task",
    type=click.Choice(["auto", "classification", "regression"]),
    default="auto",
    show_default=True,
    help="What the predictions are (the same for both files).",
)
@click.option(
    "--dropna",
    is_flag=True,
    help="Drop rows with an empty true or predicted label (the report says how many).",
)
@click.option(
    "--max-samples",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="At most this many rows in each sample table.",
)
@click.option(
    "--seed",
    type=int,
    default=0,
    show_default=True,
    help="Seed for choosing the shown samples and for the bootstrap intervals.",
)
@click.option("--title", default=None, help="Report title (default: from the two names).")
@click.option(
    "--created",
    default=None,
    help="Creation time to record, ISO 8601 or epoch seconds "
    "(default: SOURCE_DATE_EPOCH, else none).",
)
def compare_command(
    baseline: str,
    candidate: str,
    output: str,
    json_path: str | None,
    fmt: str | None,
    id_col: str | None,
    **options: Any,
) -> None:
    """Compare a CANDIDATE model's predictions with a BASELINE's on the same rows.

    The files are joined on the id column (or by row order when neither has one), and the
    report shows the metric changes with intervals, McNemar's test on the rows whose
    correctness changed, per-class changes, the confusion-matrix difference and the fixed
    and broken samples (for regression: error changes and the rows that moved most).
    """
    try:
        from reportgen.api import compare_reports
        from reportgen.deliver import check_writable

        check_writable(output)
        if json_path is not None:
            check_writable(json_path)
        report = compare_reports(baseline, candidate, format=fmt, id=id_col, **options)
        report.save(output, json_path=json_path)
    except ReportgenError as exc:
        click.echo(f"reportgen: error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    click.echo(
        f"wrote {output}: {report.record['summary']['findings'][0].rstrip('.')}"
        + (f"; record in {json_path}" if json_path else ""),
        err=True,
    )
