"""Command-line interface: parse options, make one library call, say what was written.

Options are declared once (options.py, output_options.py) and stacked per command; errors
become messages and exit codes in one place (command.ReportgenGroup). Each command calls the
Python function of the same name in reportgen.api.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from reportgen import __version__
from reportgen.build_options import build_options, detection_options
from reportgen.command import (
    ConfigCommand,
    ReportgenGroup,
    current_config,
    say,
    say_written,
    show_our_warnings,
    written_lines,
)
from reportgen.deliver.files import output_name, tell
from reportgen.errors import ReportgenError
from reportgen.options import (
    OUTPUT,
    column_options,
    evaluation_options,
    image_option,
    input_file,
    sample_options,
    shown_columns_option,
    slice_options,
    tag_options,
    title_options,
)
from reportgen.output_options import (
    baseline_option,
    config_options,
    delivery_options,
    email_options,
    gate_options,
    json_option,
    output_option,
    smtp_options,
)

if TYPE_CHECKING:
    from reportgen.api.deliver import Delivery
    from reportgen.record.types import RecordBase
    from reportgen.report import Report


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
    show_our_warnings(ctx)


def _delivery(options: dict[str, Any], output: str, **given: Any) -> Delivery:
    """Take the delivery options out of a command's keyword arguments, checked together."""
    from dataclasses import fields

    from reportgen.api.deliver import Delivery

    names = {f.name for f in fields(Delivery) if f.init and f.name not in ("output", "written")}
    taken = {name: options.pop(name) for name in names if name in options}
    delivery = Delivery(output, **taken, **given, written=written_lines())
    delivery.check()
    return delivery


def _gates(options: dict[str, Any]) -> None:
    """Replace the gate options (and the config's [gates]) by the gate specs they name."""
    from reportgen.gates import gate_specs

    given = {name: options.pop(name) for name in ("fail_under", "fail_over", "max_drop", "gate")}
    specs = gate_specs(current_config(), **given)
    if specs:
        options["gates"] = specs


def _about(report: Report[RecordBase]) -> str:
    """What the 'wrote' line says of a built report: its rows and first headline numbers."""
    from reportgen.words.common import in_sentence

    record = report.record
    cards = record["summary"]["headline"][:3]
    headline = ", ".join(f"{in_sentence(card['label'])} {card['value']}" for card in cards)
    evaluation = record["provenance"].get("evaluation")
    rows = evaluation["text"] if evaluation and evaluation.get("column") else None
    unit = " images" if record["task"] == "detection" else " rows"
    return f"{rows or format(record['provenance']['input']['rows'], ',') + unit}, {headline}"


def _finish(delivery: Delivery, report: Report[RecordBase]) -> None:
    """List what was written, print the gates, and exit 1 when one failed."""
    say_written(delivery.warnings)
    sys.exit(delivery.gate_exit(report))


@main.command(cls=ConfigCommand)
@click.argument("predictions", type=input_file("the predictions"))
@output_option("report.html", "HTML file")
@json_option
@column_options
@shown_columns_option
@evaluation_options(("classification", "regression", "detection"))
@tag_options
@image_option
@detection_options
@slice_options
@build_options
@sample_options(default=50)
@title_options
@gate_options
@baseline_option
@delivery_options
@config_options
def build(predictions: str, output: str, **options: Any) -> None:
    """Build an HTML report from a PREDICTIONS file (CSV, TSV, Parquet or JSON Lines).

    Gates (--fail-under, --fail-over, --max-drop, --gate, or [gates] in the config file) still
    write the report, print one line per gate and make the exit code 1 when one fails.
    """
    from reportgen.api import build_report

    delivery = _delivery(options, output)
    found = current_config()
    if options["baseline"] is None and found is not None:
        options["baseline"] = found.baseline()
    _gates(options)
    report = build_report(predictions, config=found, max_bytes=delivery.max_bytes, **options)
    delivery.write(report, about=_about(report))
    _finish(delivery, report)


@main.command("compare", cls=ConfigCommand)
@click.argument("baseline", type=input_file("the baseline's predictions"))
@click.argument("candidate", type=input_file("the candidate's predictions"))
@output_option("compare.html", "HTML file")
@json_option
@click.option(
    "--model",
    multiple=True,
    help="Model names: given twice, the baseline's then the candidate's; once, the "
    "candidate's (default: the file names).",
)
@click.option("--name-a", default=None, hidden=True, help="Old name of the first --model.")
@click.option("--name-b", default=None, hidden=True, help="Old name of the second --model.")
@column_options
@shown_columns_option
@evaluation_options(("classification", "regression", "detection"))
@tag_options
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
@image_option
@detection_options
@slice_options
@sample_options(default=50)
@title_options
@gate_options
@delivery_options
@config_options
def compare_command(
    baseline: str,
    candidate: str,
    output: str,
    model: tuple[str, ...],
    **options: Any,
) -> None:
    """Compare a CANDIDATE model's predictions with a BASELINE's on the same rows.

    The files are joined on the id column (or by row order when neither has one); with a
    split column the comparison describes the rows build would (see --eval-split). The
    report shows the metric changes with intervals, McNemar's test on the rows whose
    correctness changed, per-class changes, the confusion-matrix difference and the fixed
    and broken samples (for regression: error changes and the rows that moved most). Two
    detectors' results (with --ground-truth) are compared on its images: AP and error-type
    changes, per-class changes and the images that got better or worse. Gates judge the
    candidate; --max-drop compares it with the baseline.
    """
    from reportgen.api import compare_reports
    from reportgen.options import model_names

    delivery = _delivery(options, output)
    options["name_a"], options["name_b"] = model_names(
        model, options.pop("name_a"), options.pop("name_b")
    )
    _gates(options)
    # until compare_reports takes slices, they are passed only when asked for
    for name, unset in (("slices", ()), ("slice_all", False)):
        if options[name] == unset:
            options.pop(name)
    report = compare_reports(
        baseline,
        candidate,
        config=current_config(),
        max_bytes=delivery.max_bytes,
        **options,
    )
    delivery.write(report, about=report.record["summary"]["findings"][0].rstrip("."))
    _finish(delivery, report)


@main.command("sample-errors", cls=ConfigCommand)
@click.argument("predictions", type=input_file("the predictions"))
@output_option("review.csv", "Review sheet (CSV)")
@column_options
@evaluation_options(tasks=("classification", "detection"))
@image_option
@detection_options
@sample_options(default=100, draws=True)
@config_options
def sample_errors_command(predictions: str, output: str, **options: Any) -> None:
    """Write a seeded random sample of the errors in PREDICTIONS as a review sheet.

    The draw is stratified by (true, predicted) pair, from the rows a report describes (see
    --eval-split). The CSV has id, true, predicted, confidence and sample columns, an empty
    `buckets` column to fill in and a `review_sample` column that records the draw; pass the
    filled sheet back with `build --tags`. With --ground-truth (detection), the sheet lists
    missed boxes by annotation_id, at the report's threshold.
    """
    sheet = _review_sheet(predictions, options)
    sheet.save(output)
    say(f"wrote {output_name(output)}: {sheet.describe()}")
    evaluation = getattr(sheet, "evaluation", None) or sheet.sample.evaluation
    unit = "row" if hasattr(sheet, "sample") else "image"
    if evaluation.rule in ("dev", "test", "not-train"):
        from reportgen.words.common import default_reason

        tell(
            f"reportgen: the errors{_where(sheet)} were chosen by default"
            f"{default_reason(evaluation.rule)}, as build chooses the {unit}s it "
            f"describes; --eval-split names another split, or all for every {unit}."
        )


def _review_sheet(predictions: str, options: dict[str, Any]) -> Any:
    """A review sheet of errors: rows of a prediction file, or a detector's missed boxes."""
    from reportgen.api import sample_errors
    from reportgen.api.review_detection import sample_detection_errors

    detection = {k: options.pop(k) for k in ("ground_truth", "classes", "conf", "image_root")}
    if detection["ground_truth"] is not None or options["task"] == "detection":
        given = [f"--{k.replace('_', '-')}" for k in ("y_true", "y_pred", "proba_prefix", "id",
                 "sample", "format") if options.get(k) is not None]  # fmt: skip
        given += ["--dropna"] if options.get("dropna") else []
        if given:
            raise ReportgenError(
                f"{', '.join(given)}: not available for a detection review sheet, which reads "
                "boxes; leave them out."
            )
        if detection["ground_truth"] is None:
            raise ReportgenError("--task detection needs the ground truth: --ground-truth FILE.")
        return sample_detection_errors(
            predictions,
            **detection,
            split=options["split"],
            eval_split=options["eval_split"],
            max_samples=options["max_samples"],
            seed=options["seed"],
        )
    unused = [f"--{k.replace('_', '-')}" for k, v in detection.items() if v is not None]
    if unused:
        raise ReportgenError(
            f"{', '.join(unused)}: for a detection review sheet, with --ground-truth; this "
            "draws rows of a prediction file."
        )
    return sample_errors(predictions, **options)


def _where(sheet: Any) -> str:
    """' in the val split' for a sheet that says where its errors come from."""
    where = getattr(getattr(sheet, "sample", None), "where", None)
    return where() if where is not None else ""


@main.command("extract")
@click.argument("report", type=input_file("the report it reads"))
@click.option(
    "-o", "--output", type=OUTPUT, default=None, help="Write the JSON here instead of printing it."
)
def extract_command(report: str, output: str | None) -> None:
    """Print the record embedded in a REPORT (.html) as JSON, as --json writes it."""
    from reportgen.api import extract

    extract(report, "-" if output is None else output)
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
    from reportgen.api import verify

    checks = verify(report, inputs)
    for check in checks:
        click.echo(f"{'ok' if check.ok else 'FAILED'}: {check.text}")
    sys.exit(0 if all(check.ok for check in checks) else 1)


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
@email_options
@smtp_options
@config_options
def email_command(
    report: str, output: str | None, send: bool, to: tuple[str, ...], **options: Any
) -> None:
    """Make an email of a REPORT: a summary body mail clients show, the report attached.

    Write it with -o FILE.eml (open it in a mail client, or send it later), send it with
    --send, or both.
    """
    from reportgen.api import email_message, send_email, write_email
    from reportgen.deliver.smtp import smtp_settings

    if output is None and not send:
        raise ReportgenError("say what to do with the message: -o FILE.eml, --send, or both.")
    server = {key: options.pop(key) for key in ("smtp_host", "smtp_port", "starttls", "ssl")}
    server["smtp_user"] = options.pop("smtp_user")
    if send:  # the server settings are checked before any work
        smtp_settings(**{key.removeprefix("smtp_"): value for key, value in server.items()})
    message = email_message(report, to=to, sender=options["sender"], subject=options["subject"])
    warned: list[str] = []
    if output is not None:
        warned = write_email(message, output)
        written_lines().append(f"wrote {output_name(output)}: the email, the report attached")
    if send:
        accepted, host = send_email(message, **server)
        written_lines().append(f"sent the email to {', '.join(accepted)} via {host}")
    say_written(warned)
