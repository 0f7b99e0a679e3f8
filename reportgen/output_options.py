"""Every option about what a command writes, declared once: outputs, gates, delivery, config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from reportgen.options import OUTPUT, FilePath, input_file, stack

F = TypeVar("F", bound=Callable[..., Any])


def output_option(default: str, what: str) -> Callable[[F], F]:
    """-o/--output: the main file a command writes."""
    return click.option(
        "-o",
        "--output",
        type=OUTPUT,
        default=default,
        show_default=True,
        help=f"{what} to write (- for stdout).",
    )


json_option = click.option(
    "--json",
    "json_path",
    type=OUTPUT,
    default=None,
    help="Also write the record as JSON to this file.",
)


gate_options = stack(
    click.option(
        "--fail-under",
        multiple=True,
        metavar="METRIC=VALUE",
        help="Exit 1 when a metric is below VALUE: accuracy=0.9, macro_f1=0.85, "
        "recall[CLASS]=0.8, r2=0.7 (repeatable).",
    ),
    click.option(
        "--fail-over",
        multiple=True,
        metavar="METRIC=VALUE",
        help="Exit 1 when a lower-is-better metric is above VALUE: error_rate=0.1, mae=3.5, "
        "ece=0.05 (repeatable).",
    ),
    click.option(
        "--max-drop",
        multiple=True,
        metavar="METRIC=VALUE",
        help="Exit 1 when a metric got worse than the baseline's by more than VALUE "
        "(build: --baseline; compare: the baseline model) (repeatable).",
    ),
    click.option(
        "--gate",
        multiple=True,
        metavar="GATE",
        help="A gate as the report writes it: 'accuracy >= 0.9', 'mae <= 3.5', "
        "'macro_f1 drop <= 0.01' (repeatable).",
    ),
    click.option(
        "--junit",
        type=OUTPUT,
        default=None,
        metavar="FILE",
        help="Also write the gates as JUnit test cases (XML).",
    ),
)

baseline_option = click.option(
    "--baseline",
    type=input_file("the record its gates compare with"),
    default=None,
    metavar="FILE",
    help="Report (.html) or record (.json) that --max-drop compares with; a run refuses to "
    "write any output over it.",
)

config_options = stack(
    click.option(
        "--config",
        "config",
        type=FilePath("input", "the config file"),
        default=None,
        metavar="FILE",
        help="Config file with column names, options and gates "
        "(default: ./reportgen.toml, else [tool.reportgen] in ./pyproject.toml).",
    ),
    click.option("--no-config", is_flag=True, help="Ignore any config file."),
)

email_options = stack(
    click.option(
        "--to",
        "to",
        multiple=True,
        help="Recipient of the email (repeatable); an email written without one gets a warning, "
        "--send needs one.",
    ),
    click.option(
        "--from",
        "sender",
        default=None,
        help="Sender of the email; an email written without one gets a warning, --send needs one.",
    ),
    click.option(
        "--subject", default=None, help="Subject of the email (default: title and headline)."
    ),
)

delivery_options = stack(
    click.option(
        "--summary-md",
        type=OUTPUT,
        default=None,
        metavar="FILE",
        help="Also write a short Markdown summary (headline, gates, top buckets); appended to "
        "$GITHUB_STEP_SUMMARY too when that is set.",
    ),
    click.option(
        "--report-url",
        default=None,
        metavar="URL",
        help="Where the report can be opened (an http(s) URL, such as the CI run's page), for "
        "--summary-md to link to (default: no link; the summary says the report is in the "
        "run's artifacts, since a relative link from a job summary points nowhere).",
    ),
    click.option(
        "--email",
        "email",
        type=OUTPUT,
        default=None,
        metavar="FILE.eml",
        help="Also write an email message: a summary body that mail clients show, the full "
        "report attached; dated by the report's creation time (--created), else 1 Jan 1970.",
    ),
    email_options,
    click.option(
        "--pdf",
        type=OUTPUT,
        default=None,
        metavar="FILE",
        help="Also print the report to PDF with Chromium (it must be installed).",
    ),
    click.option(
        "--max-bytes",
        default="5MB",
        show_default=True,
        metavar="SIZE",
        help="Size budget of the page (e.g. 800KB, 0 for none): sample rows, then thumbnails, "
        "are cut to stay under it, and the report says so.",
    ),
)


smtp_options = stack(
    click.option("--send", is_flag=True, help="Send the message by SMTP."),
    click.option("--smtp-host", default=None, help="SMTP server (default: $REPORTGEN_SMTP_HOST)."),
    click.option(
        "--smtp-port",
        type=int,
        default=None,
        help="SMTP port (default: $REPORTGEN_SMTP_PORT, else 25, 465 with --ssl, 587 with "
        "--starttls).",
    ),
    click.option(
        "--starttls/--no-starttls",
        default=None,
        help="Upgrade the connection with STARTTLS (default: $REPORTGEN_SMTP_STARTTLS).",
    ),
    click.option(
        "--ssl", is_flag=True, default=None, help="Connect with TLS from the start (SMTPS)."
    ),
    click.option(
        "--smtp-user",
        default=None,
        help="Log in as this user (default: $REPORTGEN_SMTP_USER); the password is read from "
        "$REPORTGEN_SMTP_PASSWORD only.",
    ),
)
