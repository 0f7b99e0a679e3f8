"""What the entry points share: read options, creation time, refused options, inputs, gates."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, cast

from reportgen.errors import ReportgenError, quoted
from reportgen.read.load import LoadOptions
from reportgen.record.types import ConfigSource, GatesBlock, OtherInput, RecordBase

if TYPE_CHECKING:
    from reportgen.config import Config
    from reportgen.gates import GateSpec


def load_options(arguments: Mapping[str, object], **fixed: Any) -> LoadOptions:
    """LoadOptions from an entry point's keyword arguments (its `locals()`), taken by name.

    Every entry point names the columns with the same keywords as LoadOptions' fields; the
    ones it lacks keep their defaults, and `fixed` sets what it decides itself.
    """
    names = {f.name for f in fields(LoadOptions)}
    given: dict[str, Any] = {k: v for k, v in arguments.items() if k in names}
    for many in ("columns", "slices"):  # any sequence of names, kept as a tuple
        if many in given:
            given[many] = tuple(given[many])
    return LoadOptions(**given, **fixed)


# seconds since 1970 that stay within the years a datetime holds (1 to 9999)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_FIRST = int((datetime(1, 1, 1, tzinfo=timezone.utc) - _EPOCH).total_seconds())
_LAST = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc) - _EPOCH).total_seconds())


def check_choices(
    *, task: str, max_samples: int, image_root: str | os.PathLike[str] | None
) -> None:
    """Refuse the choices every entry point shares before any file is read."""
    if task not in ("auto", "classification", "regression", "detection"):
        raise ReportgenError(
            f"task must be auto, classification, regression or detection, not '{task}'."
        )
    if max_samples < 0:
        raise ReportgenError(f"max_samples must be 0 or more, not {max_samples}.")
    if image_root is not None:
        from reportgen.read.images import check_root

        check_root(str(image_root))


def normalize_created(created: str | int | float | datetime | None) -> str | None:
    """Return the creation time as ISO 8601 UTC, from the argument or SOURCE_DATE_EPOCH."""
    where = "--created"
    if created is None:
        epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
        if not epoch:
            return None
        created, where = epoch, "SOURCE_DATE_EPOCH"
    accepted = (
        "give ISO 8601 (2026-11-22 or 2026-11-22T10:00:00Z) or whole seconds since 1970, "
        f"from {_FIRST} to {_LAST} (the years 1 to 9999)."
    )
    if isinstance(created, datetime):
        moment = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
    elif isinstance(created, (int, float)) or re.fullmatch(r"-?[0-9]+", str(created).strip()):
        number = created if isinstance(created, (int, float)) else int(str(created).strip())
        # compared before any conversion: int(inf) and datetime.fromtimestamp(1e20) would raise
        if not (isinstance(number, int) or math.isfinite(number)) or not (
            _FIRST <= number <= _LAST
        ):
            raise ReportgenError(f"{where} {quoted(created)} is out of range: {accepted}")
        moment = _EPOCH + timedelta(seconds=int(number))
    else:
        text = str(created).strip()
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise ReportgenError(f"{where} {quoted(text)} is not a date: {accepted}") from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    try:
        moment = moment.astimezone(timezone.utc)
    except OverflowError as exc:  # 9999-12-31T23:00-05:00 is in the year 10000 in UTC
        raise ReportgenError(f"{where} {quoted(str(created))} is out of range: {accepted}") from exc
    # %Y writes the year 1 as '1' on some platforms: ISO 8601 wants four digits
    return f"{moment:%m-%dT%H:%M:%SZ}".join([f"{moment.year:04d}-", ""])


def refuse_on_regression(options: dict[str, object], what: str) -> None:
    """Refuse options that only mean something for class labels, naming the ones given."""
    unused = [name for name, value in options.items() if value is not None]
    if unused:
        raise ReportgenError(
            f"{', '.join(unused)} {'applies' if len(unused) == 1 else 'apply'} to {what}; "
            f"leave {'it' if len(unused) == 1 else 'them'} out, or pass --task classification "
            "if the numbers are class labels."
        )


def other_inputs(files: dict[str, str | os.PathLike[str] | None]) -> list[OtherInput]:
    """Name, size and SHA-256 of the other files that changed the numbers."""
    from pathlib import Path

    from reportgen.read.readers import sha256_of

    out: list[OtherInput] = []
    for role, value in files.items():
        if value is None:
            continue
        path = Path(value)
        out.append(
            {
                "role": role,
                "path": path.name,
                "size": path.stat().st_size,
                "sha256": sha256_of(path),
            }
        )
    return out


def gates_block(
    record: dict[str, Any],
    fail_under: Mapping[str, float | str] | None,
    fail_over: Mapping[str, float | str] | None,
    max_drop: Mapping[str, float | str] | None,
    gates: Sequence[GateSpec],
    baseline: str | os.PathLike[str] | dict[str, Any] | None,
) -> dict[str, Any]:
    """Check the gates against the record (and the baseline's record for --max-drop)."""
    from reportgen.gate_checks import evaluate_gates, load_baseline
    from reportgen.gates import gate_spec

    specs = [*gates] + [
        gate_spec(kind, key, value)
        for kind, table in (
            ("fail-under", fail_under),
            ("fail-over", fail_over),
            ("max-drop", max_drop),
        )
        for key, value in (table or {}).items()
    ]
    source = None
    if baseline is not None and not isinstance(baseline, dict):
        source = str(baseline)
        baseline = load_baseline(baseline)
    return evaluate_gates(record, specs, baseline=baseline, baseline_source=source)


def gate_check(
    fail_under: Mapping[str, float | str] | None,
    fail_over: Mapping[str, float | str] | None,
    max_drop: Mapping[str, float | str] | None,
    gates: Sequence[GateSpec],
    baseline: str | os.PathLike[str] | dict[str, Any] | None,
) -> Callable[[RecordBase], GatesBlock] | None:
    """What checks the gates on a finished record (None: no gates asked for), for its Context."""
    if not (fail_under or fail_over or max_drop or gates or baseline is not None):
        return None

    def check(record: RecordBase) -> GatesBlock:
        """Check the gates on the record (the baseline's too, for --max-drop)."""
        checked = gates_block(
            cast(dict[str, Any], record), fail_under, fail_over, max_drop, gates, baseline
        )
        return cast(GatesBlock, checked)

    return check


def config_source(config: Config | None) -> ConfigSource | None:
    """What the record's provenance keeps of the config file the options came from."""
    return None if config is None else cast(ConfigSource, config.provenance())
