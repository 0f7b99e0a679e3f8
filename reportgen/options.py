"""Click options shared by several commands, and option defaults taken from a config file."""

from __future__ import annotations

import datetime
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click
from click.core import ParameterSource

from reportgen.config import Config, did_you_mean, find_config, load_config, toml_kind
from reportgen.deliver.budget import parse_size
from reportgen.deliver.files import (
    STDOUT,
    Place,
    check_files,
    existing_outputs,
    os_words,
    stale_outputs,
    tell,
)
from reportgen.errors import ReportgenError, quoted

FORMATS = ("csv", "tsv", "parquet", "jsonl")
F = TypeVar("F", bound=Callable[..., Any])

# options whose values are paths: a config file's are resolved against its folder
PATH_OPTIONS = frozenset(
    {
        "output",
        "json_path",
        "tags",
        "tags_a",
        "tags_b",
        "playbook",
        "image_root",
        "summary_md",
        "junit",
        "email",
        "pdf",
        "baseline",
    }
)
# what [columns] may name; each applies to the commands that have that option
COLUMN_KEYS = (
    "format",
    "y-true",
    "y-pred",
    "proba-prefix",
    "id",
    "sample",
    "buckets",
    "split",
    "step",
    "slice",
    "columns",
    "tag-sep",
)
# options a config cannot set: they are about the run, or live in [gates]
NOT_FROM_CONFIG = frozenset(
    {"config", "no_config", "help", "fail_under", "fail_over", "max_drop", "baseline", "send"}
)


def split_columns(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    """Accept comma-separated lists as well as repeated options."""
    names: list[str] = []
    for item in value:
        names.extend(part.strip() for part in item.split(",") if part.strip())
    return tuple(names)


def stack(*options: Callable[[F], F]) -> Callable[[F], F]:
    """Apply several click options in the order they are listed (as --help shows them)."""

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


class FilePath(click.types.StringParamType):
    """A parameter that names a file (or the image folder): one the run reads, or one it writes.

    Every command checks all its FilePath parameters in one place before any work
    (`FilesCommand.invoke`): no output may be an input or another output.
    """

    def __init__(self, role: str, what: str = "") -> None:
        self.role = role  # "input", "output" or "folder" (an input folder: the image root)
        self.what = what  # for an input: what overwriting it would destroy


def input_file(what: str) -> FilePath:
    """The type of a parameter naming a file the run reads; what: what overwriting it loses."""
    return FilePath("input", what)


OUTPUT = FilePath("output")  # a file the run writes ('-' for standard output)
IMAGE_FOLDER = FilePath("folder", "the sample images")


column_options = stack(
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
    click.option(
        "--max-cell-bytes",
        default=None,
        expose_value=False,
        callback=lambda ctx, _param, value: _cell_limit(ctx, value),
        metavar="SIZE",
        help="Largest cell a text input may hold, e.g. 16MiB (default: 1MiB; a line may hold "
        "8 times that). Guards against decompression bombs.",
    ),
)


def _cell_limit(ctx: click.Context, value: str | None) -> None:
    """Set the cell limit for this command's readers, and restore it when the command ends."""
    if value is None:
        return
    from reportgen.read.textin import cell_limit

    try:
        limit = parse_size(value, where=f"--max-cell-bytes {value}")
    except ReportgenError:
        limit = -1
    if limit < 1024:
        raise click.BadParameter(
            f"{value!s} is not a size of at least 1KiB; give bytes or a unit, e.g. 16MiB or 4MB."
        )
    ctx.with_resource(cell_limit(limit))


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


def _names(param: click.Parameter) -> set[str]:
    """The keys a config may use for an option: its long name, with - or _."""
    names = {param.name or ""}
    names |= {opt.lstrip("-") for opt in param.opts if opt.startswith("--")}
    return names | {name.replace("_", "-") for name in names} | {n.replace("-", "_") for n in names}


def _value(config: Config, where: str, param: click.Option, value: Any) -> Any:
    """Check a config value against the option's type, resolving paths."""
    if param.multiple and not isinstance(value, list):
        value = [value]
    if isinstance(value, dict):
        raise ReportgenError(f"{where}: should be a value, not a table.")
    if isinstance(value, list) and not param.multiple:
        raise ReportgenError(f"{where}: takes one value, not a list ({quoted(value)}).")
    if param.is_flag and not isinstance(value, bool):
        raise ReportgenError(f"{where}: should be true or false, not {quoted(value)}.")
    values = value if isinstance(value, list) else [value]
    for item in values:
        if isinstance(item, (dict, list)):
            kind = type(item).__name__
            raise ReportgenError(f"{where}: should be a list of values, not of {kind}.")
        # click would turn 2.5 into 2 and true into 1: a whole number must be written as one
        if isinstance(param.type, click.types.IntParamType) and (
            isinstance(item, bool) or (isinstance(item, float) and not item.is_integer())
        ):
            raise ReportgenError(f"{where}: should be a whole number, not {quoted(item)}.")
        _check_type(where, param, item)
    if param.name in PATH_OPTIONS:
        values = [config.resolve(str(v)) for v in values]
    try:
        checked = [
            param.type.convert(v, param, None) if not (param.is_flag and isinstance(v, bool)) else v
            for v in values
        ]
    except click.BadParameter as exc:
        raise ReportgenError(f"{where}: {exc.message}") from exc
    if param.name == "max_bytes":
        parse_size(checked[0], where=f"{where} = {quoted(value)}")
    return checked if param.multiple else checked[0]


# text options that may be written as a number or a TOML date: a label, a step, a split name,
# a size, a creation time; every other text option (title, column, path) takes text only
NUMBER_AS_TEXT = frozenset({"pos_label", "at_step", "steps", "eval_split", "in_split", "max_bytes"})


def _check_type(where: str, param: click.Option, item: Any) -> None:
    """Refuse a config value of the wrong TOML type: click would quietly turn 5 into '5'."""
    kind = param.type
    if isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            expected = (
                "a whole number" if isinstance(kind, click.types.IntParamType) else "a number"
            )
            raise ReportgenError(
                f"{where}: should be {expected}, not {toml_kind(item)}; write it without quotes."
            )
        return
    if param.is_flag or isinstance(item, str):
        return
    if (
        param.name == "created"
        and isinstance(item, (int, datetime.date))
        and not isinstance(item, bool)
    ):
        return  # seconds since 1970, or a TOML date-time
    if (
        param.name in NUMBER_AS_TEXT
        and isinstance(item, (int, float))
        and not isinstance(item, bool)
    ):
        return
    raise ReportgenError(f"{where}: should be text in quotes, not {toml_kind(item)}.")


def config_defaults(group: click.Group, config: Config) -> dict[str, dict[str, Any]]:
    """Turn a config's tables into click default maps per command; unknown keys are errors."""
    maps: dict[str, dict[str, Any]] = {}
    for name in ("build", "compare", "sample-errors", "email"):
        command = group.commands.get(name)
        if command is None:
            continue
        params = {
            key: p
            for p in command.params
            if isinstance(p, click.Option) and p.name not in NOT_FROM_CONFIG
            for key in _names(p)
        }
        found: dict[str, Any] = {}
        for key, value in config.tables.get("columns", {}).items():
            if key.replace("_", "-") not in COLUMN_KEYS:
                raise ReportgenError(
                    f"{config.where('columns', key)}: unknown column option"
                    f"{did_you_mean(key, COLUMN_KEYS)}; [columns] holds {', '.join(COLUMN_KEYS)}."
                )
            if key in params:
                param = params[key]
                found[str(param.name)] = _value(config, config.where("columns", key), param, value)
        for key, value in config.tables.get(name, {}).items():
            if key not in params:
                hint = (
                    " (set gates in [gates])"
                    if key.replace("_", "-") in ("fail-under", "fail-over", "max-drop", "baseline")
                    else did_you_mean(key, sorted(k for k in params if "_" not in k))
                )
                raise ReportgenError(
                    f"{config.where(name, key)}: 'reportgen {name}' has no option --{key}{hint}."
                )
            param = params[key]
            found[str(param.name)] = _value(config, config.where(name, key), param, value)
        maps[name] = found
    return maps


def _scan(args: list[str]) -> tuple[str | None, bool]:
    """Find --config FILE and --no-config among the raw arguments, before click parses them."""
    path, off = None, False
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--no-config":
            off = True
        elif arg == "--config" and i + 1 < len(args):
            path = args[i + 1]
        elif arg.startswith("--config="):
            path = arg.split("=", 1)[1]
    return path, off


def _param_name(ctx: click.Context, param: click.Parameter, config: Config | None) -> str:
    """Name a parameter as a message should: '-o', 'PREDICTIONS', or where a config set it."""
    if isinstance(param, click.Argument):
        return param.human_readable_name
    option = param.opts[0]
    if (
        config is not None
        and param.name is not None
        and ctx.get_parameter_source(param.name) is ParameterSource.DEFAULT_MAP
    ):
        return f"{option} (set in {config.where(str(ctx.command.name))})"
    return option


def command_files(ctx: click.Context) -> tuple[list[Place], list[Place]]:
    """Every file a command is about to write, and every file (or folder) it reads."""
    from reportgen.deliver.ci import SUMMARY_VARIABLE

    config = ctx.meta.get("reportgen.config")
    config = config if isinstance(config, Config) else None
    outputs: list[Place] = []
    inputs: list[Place] = []
    for param in ctx.command.params:
        kind = param.type
        value = ctx.params.get(param.name or "")
        if not isinstance(kind, FilePath) or value is None:
            continue
        name = _param_name(ctx, param, config)
        for path in value if isinstance(value, (tuple, list)) else (value,):
            if kind.role == "output":
                outputs.append(Place(name, str(path)))
            else:
                inputs.append(Place(name, str(path), kind.what, folder=kind.role == "folder"))
    # what the config file itself brings: the file, and the gates' baseline it may name
    if config is not None:
        if ctx.params.get("config") is None:  # found in the working folder, not named
            inputs.append(Place("the config file", str(config.path), "the config file"))
        has_baseline = any(
            p.name == "baseline" and isinstance(p, click.Option) for p in ctx.command.params
        )
        if has_baseline and ctx.params.get("baseline") is None:
            baseline = config.baseline()
            if baseline is not None:
                where = config.where("gates", "baseline")
                what = "the record its gates compare with"
                inputs.append(Place(f"--baseline (set in {where})", baseline, what))
    # the job summary GitHub reads is appended to: an output too
    step = os.environ.get(SUMMARY_VARIABLE)
    if ctx.params.get("summary_md") is not None and step:
        outputs.append(Place(f"${SUMMARY_VARIABLE} (where --summary-md is appended)", step))
    return outputs, inputs


def say(line: str) -> None:
    """Print a line about a file written: on stdout, or stderr when stdout carries an output."""
    ctx = click.get_current_context(silent=True)
    click.echo(line, err=bool(ctx and ctx.find_root().meta.get("reportgen.stdout")))


def fail(message: str, code: int = 2) -> NoReturn:
    """Print an error, name the outputs left from an earlier run, and exit with code."""
    tell(f"reportgen: error: {message}")
    ctx = click.get_current_context(silent=True)
    before = ctx.find_root().meta.get("reportgen.before") if ctx else None
    if before:
        for path in stale_outputs(before):
            tell(f"reportgen: {path} was left as it was: it is from an earlier run, not this one.")
    sys.exit(code)


class FilesCommand(click.Command):
    """A command that checks every file it reads and writes before any work."""

    def invoke(self, ctx: click.Context) -> Any:
        outputs, inputs = command_files(ctx)
        try:
            check_files(outputs, inputs)
        except ReportgenError as exc:
            fail(exc.message, exc.exit_code)
        # kept on the root context, which the group's error handler sees too
        root = ctx.find_root()
        root.meta["reportgen.before"] = existing_outputs(outputs)
        root.meta["reportgen.stdout"] = any(p.path == STDOUT for p in outputs)
        return super().invoke(ctx)


class ReportgenGroup(click.Group):
    """The command group: every command checks its files; no failure but a gate's exits 1."""

    command_class = FilesCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except OSError as exc:
            # a file-system failure our own code did not expect: still a message, exit 2
            where = f"{exc.filename}: " if exc.filename else ""
            fail(f"{where}{os_words(exc)}.")
        except ReportgenError as exc:
            fail(exc.message, exc.exit_code)
        except MemoryError:
            fail("ran out of memory.")
        except KeyboardInterrupt:
            # click would say "Aborted!" and exit 1, which means a failed gate: 130 is Ctrl-C's
            fail("interrupted; outputs not yet written were left as they were.", 130)
        except Exception as exc:
            # a bug: exit 2, never 1 (which means a gate failed) and never a bare traceback
            if os.environ.get("REPORTGEN_DEBUG"):
                traceback.print_exc()
            fail(
                f"internal error ({type(exc).__name__}: {exc}). This is a bug in reportgen; "
                "please report it with the command line (REPORTGEN_DEBUG=1 shows where it "
                "happened)."
            )


class ConfigCommand(FilesCommand):
    """A command whose option defaults may come from a config file (command line wins)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not any(arg in ("-h", "--help") for arg in args):
            try:
                path, off = _scan(args)
                if path is not None and off:
                    raise ReportgenError("give --config FILE or --no-config, not both.")
                if path == "":
                    raise ReportgenError("--config needs a file name.")
                found = None if off else (path or find_config("."))
                config = None if found is None else load_config(found)
                parent = ctx.parent
                if config is not None and parent and isinstance(parent.command, click.Group):
                    defaults = config_defaults(parent.command, config).get(str(self.name), {})
                    ctx.default_map = {**(ctx.default_map or {}), **defaults}
                ctx.meta["reportgen.config"] = config
            except ReportgenError as exc:
                fail(exc.message, exc.exit_code)
        rest = super().parse_args(ctx, args)
        try:
            refuse_undecodable(ctx)
        except ReportgenError as exc:
            fail(exc.message, exc.exit_code)
        return rest


def refuse_undecodable(ctx: click.Context) -> None:
    """Refuse command-line text that is not UTF-8, naming the option, before any work.

    Python keeps such bytes of sys.argv as lone surrogates (U+DC80-U+DCFF); carried on, they
    made the page's UTF-8 encoding fail with a traceback after all the work was done.
    """
    for param in ctx.command.params:
        value = ctx.params.get(param.name or "")
        for text in value if isinstance(value, (tuple, list)) else (value,):
            if not isinstance(text, str):
                continue
            bad = next((c for c in text if "\udc80" <= c <= "\udcff"), None)
            if bad is None:
                continue
            name = param.opts[0] if isinstance(param, click.Option) else param.name.upper()
            shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise ReportgenError(
                f"{name} {quoted(shown)} is not UTF-8 text (it holds the byte "
                f"0x{ord(bad) - 0xDC00:02x}). Give it in UTF-8: set the terminal's encoding to "
                "UTF-8, or rename the file."
            )


def current_config() -> Config | None:
    """The config file the running command read, if any."""
    ctx = click.get_current_context()
    found = ctx.meta.get("reportgen.config")
    return found if isinstance(found, Config) else None


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
    click.option(
        "--to",
        "to",
        multiple=True,
        help="Recipient for --email (repeatable); without it the email is written with a warning.",
    ),
    click.option(
        "--from",
        "sender",
        default=None,
        help="Sender for --email; without it the email is written with a warning.",
    ),
    click.option("--subject", default=None, help="Subject for --email (default: from the report)."),
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
        help="Exit 1 when a metric got worse than in --baseline by more than VALUE (repeatable).",
    ),
    click.option(
        "--baseline",
        type=input_file("the record its gates compare with"),
        default=None,
        metavar="FILE",
        help="Report (.html) or record (.json) that --max-drop compares with; a run refuses to "
        "write any output over it.",
    ),
    click.option(
        "--junit",
        type=OUTPUT,
        default=None,
        metavar="FILE",
        help="Also write the gates as JUnit test cases (XML).",
    ),
)
