"""The config file: reportgen.toml, or [tool.reportgen] in pyproject.toml."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reportgen.errors import ReportgenError, quoted

CONFIG_NAME = "reportgen.toml"
# tables a config may hold: [columns] applies to every command that reads predictions
COMMAND_TABLES = ("build", "compare", "sample-errors", "email")
TABLES = ("columns", "gates", *COMMAND_TABLES)
GATE_KINDS = ("fail-under", "fail-over", "max-drop")
GATE_KEYS = (*GATE_KINDS, "baseline")


@dataclass(frozen=True)
class Config:
    """A parsed config file: where it came from and its tables, keys as written."""

    path: Path
    sha256: str
    table: str | None  # "tool.reportgen" inside pyproject.toml, None for reportgen.toml
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    size: int | None = None  # bytes read; None: ask the file system
    # set by reportgen.load_config for one command: its Python function's keyword arguments
    # (options) and the outputs the CLI would write (outputs), as the file sets them
    command: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def where(self, table: str, key: str | None = None) -> str:
        """Name a place in the file for messages: 'reportgen.toml [build] max-samples'."""
        prefix = f"{self.table}." if self.table else ""
        return f"{self.path} [{prefix}{table}]" + (f" {key}" if key else "")

    def provenance(self) -> dict[str, Any]:
        """What the record keeps of the config: its name, table and content hash."""
        return {
            "path": self.path.name,
            "table": self.table,
            "size": self.path.stat().st_size if self.size is None else self.size,
            "sha256": self.sha256,
        }

    def gates(self) -> dict[str, dict[str, float]]:
        """The gate tables by kind ({'fail-under': {'accuracy': 0.9}})."""
        gates = self.tables.get("gates", {})
        return {kind: dict(gates[kind]) for kind in GATE_KINDS if kind in gates}

    def baseline(self) -> str | None:
        """The gate baseline's path, resolved against the config's folder."""
        value = self.tables.get("gates", {}).get("baseline")
        return None if value is None else self.resolve(value)

    def resolve(self, value: str) -> str:
        """Resolve a path written in the config against the config's folder."""
        path = Path(os.path.expanduser(value))
        return str(path if path.is_absolute() else self.folder / path)


def find_config(folder: str | os.PathLike[str] = ".") -> Path | None:
    """Find reportgen.toml, else a pyproject.toml with [tool.reportgen], in this folder."""
    here = Path(folder)
    own = here / CONFIG_NAME
    if own.is_file():
        return own
    project = here / "pyproject.toml"
    if project.is_file():
        # A pyproject.toml that does not parse may hold our gates: ignoring it would drop them
        # and let CI pass, so it is refused (issue 14), with the ways round it.
        unread = (
            "; reportgen cannot tell whether its [tool.reportgen] table holds gates. Fix the "
            "file, or pass --config FILE or --no-config."
        )
        try:
            raw = read_toml_bytes(project, str(project), after=unread)
        except OSError as exc:
            raise ReportgenError(f"{project}: cannot read: {exc.strerror}{unread}") from exc
        data = parse_toml(raw, str(project), after=unread)
        if isinstance(data.get("tool"), dict) and "reportgen" in data["tool"]:
            return project
    return None


# A config or playbook is a few kilobytes; a larger file is refused before it is read whole
MAX_TOML_BYTES = 10_000_000


def read_toml_bytes(path: Path, where: str, *, after: str = ".") -> bytes:
    """Read a TOML file's bytes, refusing one over MAX_TOML_BYTES unread (OSError passes)."""
    if path.stat().st_size > MAX_TOML_BYTES:
        raise ReportgenError(
            f"{where}: larger than any config reportgen reads ({MAX_TOML_BYTES // 1_000_000} "
            f"MB){after}"
        )
    return path.read_bytes()


def parse_toml(raw: bytes, where: str, *, after: str = ".") -> dict[str, Any]:
    """Parse TOML bytes, or refuse naming the file, the line and column, and the problem.

    after: what the message ends with (default: a full stop).
    """
    # here, not at the top: `reportgen --help` reads no TOML
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    from reportgen.read.textin import HEAD, sniff_encoding

    # UTF-16 (from Notepad, say) is refused by name; a UTF-8 byte-order mark is read
    codec = sniff_encoding(raw[:HEAD], where, sheet=False)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise ReportgenError(
            f"{where}: not valid TOML: it is not UTF-8 text (byte {exc.start}){after}"
        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ReportgenError(f"{where}: not valid TOML: {exc}{after}") from exc
    except RecursionError as exc:
        # a thousand '[' make tomllib recurse past Python's stack limit
        raise ReportgenError(
            f"{where}: not valid TOML for reportgen: arrays or tables are nested too deeply "
            f"to read (hundreds of levels){after}"
        ) from exc


def read_config(path: str | os.PathLike[str]) -> Config:
    """Read and check a config file's shape (option names are checked per command)."""
    import hashlib

    target = Path(path)
    try:
        raw = read_toml_bytes(target, str(target))
    except FileNotFoundError as exc:
        raise ReportgenError(f"--config {target}: no such file.") from exc
    except OSError as exc:
        raise ReportgenError(f"{target}: cannot read: {exc.strerror}.") from exc
    data = parse_toml(raw, str(target))
    from reportgen.read.textin import refuse_controls

    refuse_controls(data, str(target))
    table: str | None = None
    if target.name == "pyproject.toml":
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "reportgen" not in tool:
            raise ReportgenError(f"{target}: has no [tool.reportgen] table.")
        data, table = tool["reportgen"], "tool.reportgen"
        if not isinstance(data, dict):
            raise ReportgenError(
                f"{target} [tool.reportgen]: should be a table ([tool.reportgen.build] and so "
                f"on), not {type(data).__name__}."
            )
    config = Config(target, hashlib.sha256(raw).hexdigest(), table, size=len(raw))
    tables: dict[str, dict[str, Any]] = {}
    for key, value in data.items():
        if key not in TABLES:
            raise ReportgenError(
                f"{config.where(key)}: unknown table '{key}'{did_you_mean(key, TABLES)}; a "
                f"config holds the tables {', '.join(f'[{t}]' for t in TABLES)}."
            )
        if not isinstance(value, dict):
            raise ReportgenError(
                f"{config.where(key)}: should be a table ([{key}] with keys below it), "
                f"not {type(value).__name__}."
            )
        tables[key] = value
    _check_gates(config, tables.get("gates", {}))
    return Config(config.path, config.sha256, table, tables, size=len(raw))


def _check_gates(config: Config, gates: Mapping[str, Any]) -> None:
    for key, value in gates.items():
        if key not in GATE_KEYS:
            raise ReportgenError(
                f"{config.where('gates', key)}: unknown key{did_you_mean(key, GATE_KEYS)}; "
                f"[gates] holds {', '.join(GATE_KEYS)}."
            )
        if key == "baseline":
            if not isinstance(value, str):
                raise ReportgenError(f"{config.where('gates', key)}: should be a file path.")
            continue
        if not isinstance(value, dict):
            raise ReportgenError(
                f"{config.where('gates', key)}: should be a table of metric = number, e.g. "
                f'{key} = {{ accuracy = 0.9, "recall[tube_defect]" = 0.8 }}.'
            )
        for metric, number in value.items():
            # text only for a percentage ("90%"): a number in quotes is a typing slip
            if isinstance(number, str) and number.strip().endswith("%"):
                continue
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                raise ReportgenError(
                    f"{config.where('gates', key)}: {metric} should be a number (0.9) or a "
                    f'percentage in quotes ("90%"), not {toml_kind(number)}.'
                )


def toml_kind(value: Any) -> str:
    """Name a TOML value's type for messages, with the value: 'text ('5')', 'a table'."""
    if isinstance(value, bool):
        return f"true/false ({str(value).lower()})"
    if isinstance(value, int):
        return f"a whole number ({value})"
    if isinstance(value, float):
        return f"a number ({quoted(value)})"
    if isinstance(value, str):
        return f"text ({quoted(value)})"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list ({quoted(value)})"
    return f"a date or time ({value})"  # TOML's datetime, date and time values


def did_you_mean(key: str, known: Iterable[str]) -> str:
    """Suggest the closest known name, as ' (did you mean 'x'?)', or nothing."""
    import difflib

    close = difflib.get_close_matches(key.replace("_", "-"), list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
