"""The click command classes: every file checked before work, config defaults, errors in one place.

A command function parses, makes one library call and says what it wrote; everything else a
command does around that lives here. `ReportgenGroup.invoke` is the one place where the
project's error type (and any other failure) becomes a message and an exit code, after the
lines for the files already written.
"""

from __future__ import annotations

import os
import sys
import traceback
import warnings
from typing import Any, NoReturn

import click
from click.core import ParameterSource

from reportgen.config import Config, find_config, read_config
from reportgen.deliver.files import STDOUT, os_words, tell
from reportgen.deliver.places import Place, check_files, existing_outputs, stale_outputs
from reportgen.errors import ReportgenError, quoted
from reportgen.options import Alias, FilePath

# keys of the root context's meta (shared by every context of one run)
BEFORE = "reportgen.before"  # outputs that existed before the run: named if it fails
TO_STDOUT = "reportgen.stdout"  # an output goes to stdout: our 'wrote' lines go to stderr
WRITTEN = "reportgen.written"  # 'wrote ...' lines so far, listed even when the run fails
CONFIG = "reportgen.config"  # the Config the running command read, if any


def say(line: str) -> None:
    """Print a line about a file written: on stdout, or stderr when stdout carries an output."""
    ctx = click.get_current_context(silent=True)
    click.echo(line, err=bool(ctx and ctx.meta.get(TO_STDOUT)))


def written_lines() -> list[str]:
    """The running command's list of 'wrote ...' lines: append to it as each file is written."""
    meta = click.get_current_context().meta
    lines = meta.setdefault(WRITTEN, [])
    assert isinstance(lines, list)
    return lines


def say_written(warnings: list[str] | tuple[str, ...] = ()) -> None:
    """List every file written on stdout (one line each), then the warnings on stderr."""
    ctx = click.get_current_context(silent=True)
    for line in ctx.meta.pop(WRITTEN, []) if ctx else []:
        say(line)
    for warning in warnings:
        tell(f"reportgen: warning: {warning}")


def fail(message: str, code: int = 2) -> NoReturn:
    """List what was written, print the error, name outputs left from an earlier run, exit."""
    say_written()
    tell(f"reportgen: error: {message}")
    ctx = click.get_current_context(silent=True)
    before = ctx.meta.get(BEFORE) if ctx else None
    if before:
        for path in stale_outputs(before):
            tell(f"reportgen: {path} was left as it was: it is from an earlier run, not this one.")
    sys.exit(code)


def current_config() -> Config | None:
    """The config file the running command read, if any."""
    found = click.get_current_context().meta.get(CONFIG)
    return found if isinstance(found, Config) else None


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

    config = ctx.meta.get(CONFIG)
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


def resolve_aliases(ctx: click.Context) -> None:
    """Give each hidden old option name's value to its new name, saying so once."""
    params = {p.name: p for p in ctx.command.params}
    for param in ctx.command.params:
        if not isinstance(param, Alias):
            continue
        value = ctx.params.pop(str(param.name), None)
        if value is None:
            continue
        old, new = param.opts[0], params[param.new].opts[0]
        given = ctx.params.get(param.new)
        if given is not None and given != value:
            raise ReportgenError(
                f"{new} {given} and {old} {value} name different {param.what}; {old} is the "
                f"old name of {new}: give only that."
            )
        tell(f"reportgen: {old} is now called {new}.")
        ctx.params[param.new] = value


class FilesCommand(click.Command):
    """A command that checks every file it reads and writes before any work."""

    def invoke(self, ctx: click.Context) -> Any:
        resolve_aliases(ctx)
        outputs, inputs = command_files(ctx)
        check_files(outputs, inputs)
        for name in ("config", "no_config"):  # read already (ConfigCommand): in ctx.meta
            ctx.params.pop(name, None)
        # kept in the meta every context of the run shares, which the group's handler sees
        ctx.meta[BEFORE] = existing_outputs(outputs)
        ctx.meta[TO_STDOUT] = any(p.path == STDOUT for p in outputs)
        return super().invoke(ctx)


class ReportgenGroup(click.Group):
    """The command group: the one place a failure becomes a message and an exit code.

    ReportgenError exits with its code (2: bad input or usage); no failure but a gate's
    exits 1.
    """

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


class ConfigCommand(FilesCommand):
    """A command whose option defaults may come from a config file (command line wins)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not any(arg in ("-h", "--help") for arg in args):
            from reportgen.config_options import config_defaults

            path, off = _scan(args)
            if path is not None and off:
                raise ReportgenError("give --config FILE or --no-config, not both.")
            if path == "":
                raise ReportgenError("--config needs a file name.")
            found = None if off else (path or find_config("."))
            config = None if found is None else read_config(found)
            parent = ctx.parent
            if config is not None and parent and isinstance(parent.command, click.Group):
                defaults = config_defaults(parent.command, config).get(str(self.name), {})
                ctx.default_map = {**(ctx.default_map or {}), **defaults}
            ctx.meta[CONFIG] = config
        rest = super().parse_args(ctx, args)
        refuse_undecodable(ctx)
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
            name = param.opts[0] if isinstance(param, click.Option) else str(param.name).upper()
            shown = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise ReportgenError(
                f"{name} {quoted(shown)} is not UTF-8 text (it holds the byte "
                f"0x{ord(bad) - 0xDC00:02x}). Give it in UTF-8: set the terminal's encoding to "
                "UTF-8, or rename the file."
            )


def show_our_warnings(ctx: click.Context) -> None:
    """Show the readers' warnings about the input as our own lines, once each; hide the rest."""
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
