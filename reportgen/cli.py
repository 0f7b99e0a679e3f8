"""Command-line interface: parse options, call the library, map errors to exit codes."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import click

from reportgen import __version__
from reportgen.deliver.files import Delivery, output_name, tell
from reportgen.errors import ReportgenError
from reportgen.options import (
    IMAGE_FOLDER,
    OUTPUT,
    ConfigCommand,
    ReportgenGroup,
    column_options,
    config_options,
    current_config,
    delivery_options,
    fail,
    gate_options,
    input_file,
    say,
    split_columns,
)

if TYPE_CHECKING:
    from reportgen.config import Config
    from reportgen.gates import GateSpec


@click.group(
    cls=ReportgenGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="reportgen")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Turn a model's prediction file into one self-contained HTML error-analysis report.

    Every file written is listed on stdout, one line each (on stderr when an output is - for
    stdout); gates, warnings and errors go to stderr. Exit codes: 0 ok, 1 a CI gate failed,
    2 bad input or usage, or a file that could not be written.
    """
    # A user reads only our own words on stderr: numpy, pandas, matplotlib and scikit-learn
    # warnings (a RuntimeWarning on a constant column, a UserWarning from a font) are ours to
    # prevent, not theirs to read. Python's -W or PYTHONWARNINGS still shows them, for whoever
    # debugs reportgen. The readers' warnings about the input (InputWarning) are ours: printed
    # as our own lines, once each. Filters and the printer are restored when the command returns.
    from reportgen.errors import InputWarning

    ctx.with_resource(warnings.catch_warnings())
    if not sys.warnoptions:
        warnings.simplefilter("ignore")
    warnings.simplefilter("always", InputWarning)
    printed: set[str] = set()
    shown = warnings.showwarning

    def show(message: Any, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if not issubclass(category, InputWarning):
            shown(message, category, *args, **kwargs)
        elif str(message) not in printed:  # a file read twice (streaming) warns once
            printed.add(str(message))
            tell(f"reportgen: warning: {message}")

    warnings.showwarning = show


@main.command(cls=ConfigCommand)
@click.argument("predictions", type=input_file("the predictions"))
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    default="report.html",
    show_default=True,
    help="HTML file to write (- for stdout).",
)
@click.option(
    "--json",
    "json_path",
    type=OUTPUT,
    default=None,
    help="Also write the record as JSON to this file.",
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
    callback=split_columns,
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
    metavar="VALUE",
    help="Describe this split's rows, or 'all' for every row (default: the dev split, else "
    "test, else every split but train; the split check still looks at every split).",
)
@click.option(
    "--tags",
    "tags",
    type=input_file("the tag sheet"),
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
    type=IMAGE_FOLDER,
    default=None,
    help="Folder holding the sample images: --sample paths are shown as thumbnails, "
    "read only below it.",
)
@click.option(
    "--playbook",
    type=input_file("the playbook"),
    default=None,
    help="TOML file of bucket -> experiment entries that add to or replace the built-in ones.",
)
@click.option(
    "--slice",
    "slices",
    multiple=True,
    callback=split_columns,
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
    callback=split_columns,
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
@click.option(
    "--stream/--no-stream",
    default=None,
    help="Read the file in batches with flat memory (default: when it is over 1 GB). Counts, "
    "calibration and categorical slices are exact; what needs every row at once (most "
    "threshold curves, numeric slices, the error tree, residual figures) comes from a seeded "
    "sample of --sample-rows rows, and the page says which.",
)
@click.option(
    "--engine",
    type=click.Choice(["local", "spark"]),
    default="local",
    show_default=True,
    help="spark: fold Parquet data (a file, a folder or any URI Spark reads) with PySpark "
    "(pip install 'reportgen[spark]'); same record as local streaming.",
)
@click.option(
    "--sample-rows",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="With --stream: rows in the analysis sample (default: 1,000,000).",
)
@gate_options
@delivery_options
@config_options
def build(
    predictions: str,
    output: str,
    json_path: str | None,
    fmt: str | None,
    id_col: str | None,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    max_drop: tuple[str, ...],
    baseline: str | None,
    junit: str | None,
    config: str | None,
    no_config: bool,
    **options: Any,
) -> None:
    """Build an HTML report from a PREDICTIONS file (CSV, TSV, Parquet or JSON Lines).

    Gates (--fail-under, --fail-over, --max-drop, or [gates] in the config file) still write
    the report, print one line per gate and make the exit code 1 when one fails.
    """
    delivery = Delivery.pop(options, output=output, json_path=json_path, junit=junit)
    try:
        from reportgen.api import build_report

        # every file was checked against every other before this (FilesCommand.invoke)
        delivery.check()
        found = current_config()
        if baseline is None and found is not None:
            baseline = found.baseline()
        gates = _gate_specs(found, fail_under=fail_under, fail_over=fail_over, max_drop=max_drop)
        report = build_report(
            predictions,
            format=fmt,
            id=id_col,
            gates=gates,
            baseline=baseline,
            config=found,
            max_bytes=delivery.max_bytes,
            **options,
        )
        from reportgen.words.common import in_sentence

        headline = ", ".join(
            f"{in_sentence(card['label'])} {card['value']}"
            for card in report.record["summary"]["headline"][:3]
        )
        evaluation = report.record["provenance"].get("evaluation") or {}
        rows = (
            evaluation["text"]
            if evaluation.get("column")
            else f"{report.record['provenance']['input']['rows']:,} rows"
        )
        delivery.write(report, about=f"{rows}, {headline}")
    except ReportgenError as exc:
        _fail(exc, delivery.written)
    _done(delivery)
    sys.exit(delivery.gate_exit(report))


def _done(delivery: Delivery) -> None:
    """List every file written on stdout (one line each); warnings go to stderr."""
    for line in delivery.written:
        say(line)
    for warning in delivery.warnings:
        tell(f"reportgen: warning: {warning}")


def _fail(exc: ReportgenError, written: Sequence[str] = ()) -> NoReturn:
    """List what was written before the error, print the error, exit with its code."""
    for line in written:
        say(line)
    fail(exc.message, exc.exit_code)


def _gate_specs(
    config: Config | None,
    *,
    fail_under: tuple[str, ...],
    fail_over: tuple[str, ...],
    max_drop: tuple[str, ...],
) -> list[GateSpec]:
    """The config file's gates, then the command line's; a command-line gate replaces its twin."""
    from reportgen.gates import gate_spec, parse_gate

    specs: dict[tuple[str, str], GateSpec] = {}
    if config is not None:
        for kind, table in config.gates().items():
            for key, value in table.items():
                spec = gate_spec(kind, key, value, where=config.where("gates", kind))
                specs[(spec.kind, spec.name)] = spec
    for kind, texts in (
        ("fail-under", fail_under),
        ("fail-over", fail_over),
        ("max-drop", max_drop),
    ):
        for text in texts:
            spec = parse_gate(kind, text)
            specs[(spec.kind, spec.name)] = spec
    return list(specs.values())


@main.command("sample-errors", cls=ConfigCommand)
@click.argument("predictions", type=input_file("the predictions"))
@click.option(
    "-n",
    "n",
    type=click.IntRange(min=1),
    default=100,
    show_default=True,
    help="How many errors to draw (all of them when there are fewer).",
)
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    default="review.csv",
    show_default=True,
    help="Review sheet (CSV) to write (- for stdout).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seed of the random draw: the same seed gives the same sheet.",
)
@click.option(
    "--eval-split",
    "eval_split",
    default=None,
    metavar="VALUE",
    help="Draw from this split's errors, or 'all' for every row's "
    "(default: as build chooses, the dev split, else test, else every split but train).",
)
@click.option("--in-split", "in_split", default=None, hidden=True, help="Old name of --eval-split.")
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
@config_options
def sample_errors_command(
    predictions: str,
    n: int,
    output: str,
    seed: int,
    eval_split: str | None,
    in_split: str | None,
    split_column: str | None,
    fmt: str | None,
    id_col: str | None,
    config: str | None,
    no_config: bool,
    **options: Any,
) -> None:
    """Write a seeded random sample of the errors in PREDICTIONS as a review sheet.

    The draw is stratified by (true, predicted) pair, from the rows a report describes (see
    --eval-split). The CSV has id, true, predicted, confidence and sample columns, an empty
    `buckets` column to fill in and a `review_sample` column that records the draw; pass the
    filled sheet back with `build --tags`.
    """
    try:
        if in_split is not None:
            # --in-split is the old name; it still works, and says so
            if eval_split is not None and eval_split != in_split:
                raise ReportgenError(
                    f"--eval-split {eval_split} and --in-split {in_split} name different "
                    "splits; --in-split is the old name of --eval-split: give only that."
                )
            tell("reportgen: --in-split is now called --eval-split.")
            eval_split = in_split
        from reportgen.deliver.review import sample_errors, write_review_sheet
        from reportgen.read.load import LoadOptions, load_predictions

        load = LoadOptions(format=fmt, id=id_col, split=split_column, **options)
        try:
            table = load_predictions(predictions, load)
        except ReportgenError as exc:
            if split_column is not None and "(named with --split)" in exc.message:
                exc.message += " --split names the split column; to draw from one split, "
                exc.message += "give its value with --eval-split VALUE."
            raise
        sample = sample_errors(table, n=n, seed=seed, eval_split=eval_split)
        write_review_sheet(table, sample, output)
    except ReportgenError as exc:
        fail(exc.message, exc.exit_code)
    say(f"wrote {output_name(output)}: {sample.describe()}")
    if sample.evaluation.rule in ("dev", "test", "not-train"):
        from reportgen.words.common import default_reason

        tell(
            f"reportgen: the errors{sample.where()} were chosen by default"
            f"{default_reason(sample.evaluation.rule)}, as build chooses the rows it describes; "
            "--eval-split names another split, or all for every row."
        )


@main.command("compare", cls=ConfigCommand)
@click.argument("baseline", type=input_file("the baseline's predictions"))
@click.argument("candidate", type=input_file("the candidate's predictions"))
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    default="compare.html",
    show_default=True,
    help="HTML file to write (- for stdout).",
)
@click.option(
    "--json",
    "json_path",
    type=OUTPUT,
    default=None,
    help="Also write the record as JSON to this file.",
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
    callback=split_columns,
    help="Extra columns to show in sample tables (comma-separated or repeated).",
)
@click.option(
    "--buckets",
    default=None,
    help="Column of error-bucket tags in each file (default: buckets, bucket, tags).",
)
@click.option(
    "--split",
    default=None,
    help="Column naming each row's split, in either file or both (default: split).",
)
@click.option(
    "--eval-split",
    default=None,
    metavar="VALUE",
    help="Compare on this split's rows, or 'all' for every row (default: as build chooses, the "
    "dev split, else test, else every split but train).",
)
@click.option(
    "--tags",
    type=input_file("the tag sheet"),
    default=None,
    help="Tag sheet applied to both models (tags describe the samples), joined on the id column.",
)
@click.option(
    "--tags-a",
    type=input_file("the baseline's tag sheet"),
    default=None,
    help="Tag sheet for the baseline only.",
)
@click.option(
    "--tags-b",
    type=input_file("the candidate's tag sheet"),
    default=None,
    help="Tag sheet for the candidate only.",
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
    type=IMAGE_FOLDER,
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
@delivery_options
@config_options
def compare_command(
    baseline: str,
    candidate: str,
    output: str,
    json_path: str | None,
    fmt: str | None,
    id_col: str | None,
    config: str | None,
    no_config: bool,
    **options: Any,
) -> None:
    """Compare a CANDIDATE model's predictions with a BASELINE's on the same rows.

    The files are joined on the id column (or by row order when neither has one); with a
    split column the comparison describes the rows build would (see --eval-split). The
    report shows the metric changes with intervals, McNemar's test on the rows whose
    correctness changed, per-class changes, the confusion-matrix difference and the fixed
    and broken samples (for regression: error changes and the rows that moved most).
    """
    delivery = Delivery.pop(options, output=output, json_path=json_path)
    try:
        from reportgen.api import compare_reports

        delivery.check()
        report = compare_reports(
            baseline,
            candidate,
            format=fmt,
            id=id_col,
            config=current_config(),
            max_bytes=delivery.max_bytes,
            **options,
        )
        delivery.write(report, about=report.record["summary"]["findings"][0].rstrip("."))
    except ReportgenError as exc:
        _fail(exc, delivery.written)
    _done(delivery)


@main.command("extract")
@click.argument("report", type=input_file("the report it reads"))
@click.option(
    "-o", "--output", type=OUTPUT, default=None, help="Write the JSON here instead of printing it."
)
def extract_command(report: str, output: str | None) -> None:
    """Print the record embedded in a REPORT (.html) as JSON, as --json writes it."""
    try:
        from reportgen.deliver.archive import read_record
        from reportgen.deliver.files import write_atomic
        from reportgen.record.blocks import dumps

        text = dumps(read_record(report))
        write_atomic("-" if output is None else output, text)
    except ReportgenError as exc:
        fail(exc.message, exc.exit_code)
    if output is not None:
        say(f"wrote {output_name(output)}: the record (JSON)")


@main.command("verify")
@click.argument("report", type=input_file("the report it checks"))
@click.option(
    "--input",
    "inputs",
    type=input_file("a file it checks"),
    multiple=True,
    metavar="FILE",
    help="A file the report should have been built from (repeatable: both files of a "
    "comparison, a tag sheet, a playbook, the config).",
)
def verify_command(report: str, inputs: tuple[str, ...]) -> None:
    """Check that a REPORT's record and page are as written, and what it was built from.

    Exit 0 when every check passes, 1 when one fails. The fingerprint catches changes made
    after the report was written; it is a checksum, not a signature.
    """
    try:
        from reportgen.deliver.archive import verify

        checks = verify(report, list(inputs))
    except ReportgenError as exc:
        fail(exc.message, exc.exit_code)
    for ok, text in checks:
        click.echo(f"{'ok' if ok else 'FAILED'}: {text}")
    sys.exit(0 if all(ok for ok, _ in checks) else 1)


@main.command("email", cls=ConfigCommand)
@click.argument("report", type=input_file("the report it mails"))
@click.option(
    "-o",
    "--output",
    type=OUTPUT,
    default=None,
    metavar="FILE.eml",
    help="Write the message here (- for stdout).",
)
@click.option(
    "--to", "to", multiple=True, help="Recipient (repeatable); -o warns without, --send needs it."
)
@click.option(
    "--from", "sender", default=None, help="Sender address; -o warns without, --send needs it."
)
@click.option("--subject", default=None, help="Subject (default: title and headline).")
@click.option("--send", is_flag=True, help="Send the message by SMTP.")
@click.option("--smtp-host", default=None, help="SMTP server (default: $REPORTGEN_SMTP_HOST).")
@click.option(
    "--smtp-port",
    type=int,
    default=None,
    help="SMTP port (default: $REPORTGEN_SMTP_PORT, else 25, 465 with --ssl, 587 with --starttls).",
)
@click.option(
    "--starttls/--no-starttls",
    default=None,
    help="Upgrade the connection with STARTTLS (default: $REPORTGEN_SMTP_STARTTLS).",
)
@click.option("--ssl", is_flag=True, default=None, help="Connect with TLS from the start (SMTPS).")
@click.option(
    "--smtp-user",
    default=None,
    help="Log in as this user (default: $REPORTGEN_SMTP_USER); the password is read from "
    "$REPORTGEN_SMTP_PASSWORD only.",
)
@config_options
def email_command(
    report: str,
    output: str | None,
    to: tuple[str, ...],
    sender: str | None,
    subject: str | None,
    send: bool,
    smtp_host: str | None,
    smtp_port: int | None,
    starttls: bool | None,
    ssl: bool | None,
    smtp_user: str | None,
    config: str | None,
    no_config: bool,
) -> None:
    """Make an email of a REPORT: a summary body mail clients show, the report attached.

    Write it with -o FILE.eml (open it in a mail client, or send it later), send it with
    --send, or both.
    """
    done: list[str] = []  # what was written and sent, listed on stdout
    warnings: list[str] = []
    try:
        from pathlib import Path

        from reportgen.deliver.archive import read_report_text
        from reportgen.deliver.mail import build_message, message_warnings, write_eml
        from reportgen.deliver.smtp import send_message, smtp_settings

        if output is None and not send:
            raise ReportgenError("say what to do with the message: -o FILE.eml, --send, or both.")
        settings = None
        if send:
            settings = smtp_settings(
                host=smtp_host, port=smtp_port, starttls=starttls, ssl=ssl, user=smtp_user
            )
        page = read_report_text(report)  # bounded: a 1 GiB file is refused unread
        message = build_message(
            page, report_name=Path(report).name, to=to, sender=sender, subject=subject
        )
        if output is not None:
            write_eml(message, output)
            done.append(f"wrote {output_name(output)}: the email, the report attached")
            warnings = message_warnings(message, output)
        if settings is not None:
            accepted = send_message(message, settings)
            done.append(f"sent the email to {', '.join(accepted)} via {settings.host}")
    except ReportgenError as exc:
        _fail(exc, done)
    for line in done:
        say(line)
    for warning in warnings:
        tell(f"reportgen: warning: {warning}")
