"""A config file's tables as option defaults for each command, checked against the options.

The CLI applies them as click default maps (command.ConfigCommand); `load_config` gives a
Python user the same values as keyword arguments of build_report, compare_reports and
sample_errors.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from typing import Any

import click

from reportgen.config import Config, did_you_mean, find_config, read_config, toml_kind
from reportgen.deliver.budget import parse_size
from reportgen.errors import ReportgenError, quoted
from reportgen.options import NOT_FROM_CONFIG, PATH_OPTIONS

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


def _names(param: click.Parameter) -> set[str]:
    """The keys a config may use for an option: its long name, with - or _.

    Sample-errors' '-n' is a key too: configs wrote `n = 100` before it was --max-samples.
    """
    names = {param.name or ""}
    names |= {opt.lstrip("-") for opt in param.opts if opt.startswith("--") or opt == "-n"}
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


def _python_function(command: str) -> Callable[..., Any]:
    """The Python function a command calls."""
    from reportgen import api

    functions: dict[str, Callable[..., Any]] = {
        "build": api.build_report,
        "compare": api.compare_reports,
        "sample-errors": api.sample_errors,
        "email": api.write_email,
    }
    return functions[command]


def load_config(path: str | os.PathLike[str] | None = None, command: str = "build") -> Config:
    """Read a config file as the CLI does, with the values it sets for one command.

    path: reportgen.toml, or a pyproject.toml with [tool.reportgen] (default: found in the
    working folder as the CLI finds it). command: build, compare, sample-errors or email.
    The result's `options` are keyword arguments of that command's Python function, checked
    as the CLI checks them (paths resolved against the file's folder, [columns] and [gates]
    included); `outputs` holds what the CLI would write (output, json_path, summary_md...):
    `reportgen.build_report(data, **config.options, config=config)` builds what
    `reportgen build` would with the same file.
    """
    import inspect
    from dataclasses import replace

    from reportgen.config import COMMAND_TABLES

    if command not in COMMAND_TABLES:
        raise ReportgenError(
            f"command must be one of {', '.join(COMMAND_TABLES)}, not {quoted(command)}."
        )
    found = path if path is not None else find_config(".")
    if found is None:
        raise ReportgenError(
            "no config file here: neither ./reportgen.toml nor a ./pyproject.toml with "
            "[tool.reportgen]; give its path."
        )
    config = read_config(found)
    from reportgen.cli import main

    values = config_defaults(main, config).get(command, {})
    if command == "compare":
        from reportgen.options import model_names

        values["name_a"], values["name_b"] = model_names(
            values.pop("model", ()), values.pop("name_a", None), values.pop("name_b", None)
        )
    if command in ("build", "compare"):
        from reportgen.gates import gate_specs

        specs = gate_specs(config)
        if specs:
            values["gates"] = specs
        if command == "build" and config.baseline() is not None:
            values["baseline"] = config.baseline()
    accepted = inspect.signature(_python_function(command)).parameters
    options = {k: v for k, v in values.items() if k in accepted and v is not None}
    outputs = {k: v for k, v in values.items() if k not in accepted}
    return replace(config, command=command, options=options, outputs=outputs)
