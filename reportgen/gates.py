"""CI gates as the user writes them: metrics, kinds and thresholds, parsed and checked."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from reportgen.errors import ReportgenError, as_written

if TYPE_CHECKING:
    from reportgen.config import Config

KINDS = ("fail-under", "fail-over", "max-drop")


@dataclass(frozen=True)
class Metric:
    """A metric a gate can name: where it lives, which way is better, how it reads."""

    name: str
    task: Literal["classification", "regression", "probabilities", "detection"]
    higher_is_better: bool
    unit: Literal["percent", "decimal", "count", "value"]
    fraction: bool  # values lie in [0, 1]; '90%' is accepted
    per_class: bool = False


# precision, recall and f1 each come three ways: macro and weighted averages, and per class
_PER_CLASS_UNITS: dict[str, Literal["percent", "decimal"]] = {
    "precision": "percent",
    "recall": "percent",
    "f1": "decimal",
}

METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", "classification", True, "percent", True),
        Metric("error_rate", "classification", False, "percent", True),
        Metric("errors", "classification", False, "count", False),
        *(
            Metric(f"{prefix}{name}", "classification", True, unit, True, per_class=not prefix)
            for prefix in ("macro_", "weighted_", "")
            for name, unit in _PER_CLASS_UNITS.items()
        ),
        Metric("brier", "probabilities", False, "decimal", False),
        Metric("log_loss", "probabilities", False, "decimal", False),
        Metric("ece", "probabilities", False, "decimal", True),
        Metric("mae", "regression", False, "value", False),
        Metric("rmse", "regression", False, "value", False),
        Metric("r2", "regression", True, "decimal", False),
        Metric("median_ae", "regression", False, "value", False),
        Metric("max_error", "regression", False, "value", False),
        # detection: COCOeval's numbers (record["detection"]["coco"])
        *(
            Metric(name, "detection", True, "percent", True)
            for name in ("ap", "ap50", "ap75", "ar100")
        ),
    )
}


@dataclass(frozen=True)
class GateSpec:
    """One gate as the user wrote it: kind, metric, optional class label, threshold."""

    kind: str  # "fail-under", "fail-over" or "max-drop"
    metric: str
    label: str | None
    threshold: float
    text: str  # what the user wrote, echoed in messages
    option: str  # where it was written: "--fail-under" or a config file's key

    @property
    def name(self) -> str:
        """Return the metric as written in a gate: 'accuracy' or 'recall[cat]'."""
        return self.metric if self.label is None else f"{self.metric}[{self.label}]"

    @property
    def gate(self) -> str:
        """Return the gate as one line: 'accuracy >= 0.9', 'mae <= 40', 'macro_f1 drop <= 0.01'."""
        if self.kind == "max-drop":
            return f"{self.name} drop <= {self.threshold:g}"
        return f"{self.name} {'>=' if self.kind == 'fail-under' else '<='} {self.threshold:g}"

    def error(self, problem: str) -> ReportgenError:
        """Return a usage error that names the option and echoes the gate."""
        return ReportgenError(f"{self.option}: {self.text} {problem}")


def _kind(kind: str) -> str:
    normal = kind.strip().lstrip("-").replace("_", "-").lower()
    if normal not in KINDS:
        raise ReportgenError(f"gate kind '{kind}' is not one of {', '.join(KINDS)}.")
    return normal


def _metric(name: str, where: str, text: str) -> Metric:
    key = name.strip().lower().replace("-", "_")
    if key in METRICS:
        return METRICS[key]
    close = difflib.get_close_matches(key, list(METRICS), n=1)
    hint = f" Did you mean {close[0]}?" if close else ""
    raise ReportgenError(
        f"{where}: {text} names no metric '{name}'.{hint} Metrics: {', '.join(METRICS)} "
        "(precision, recall and f1 per class, as recall[LABEL])."
    )


def _hundredth(raw: object) -> str:
    """The user's number divided by 100, digit for digit: 75.04123 -> '0.7504123'."""
    from decimal import Decimal

    return format(Decimal(as_written(raw).strip()).scaleb(-2).normalize(), "f")


def _threshold(kind: str, metric: Metric, raw: object, where: str, text: str) -> float:
    bad = ReportgenError(f"{where}: {text} has no number after '='; write e.g. {metric.name}=0.9.")
    percent = False
    if type(raw).__module__ == "numpy" and callable(getattr(raw, "item", None)):
        raw = as_written(raw)  # a numpy number from Python: read as the user wrote it
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise bad
    if isinstance(raw, str):
        body = raw.strip()
        percent = body.endswith("%")
        try:
            value = float(body[:-1] if percent else body)
        except ValueError:
            raise bad from None
    else:
        value = float(raw)
    if not math.isfinite(value):
        raise ReportgenError(f"{where}: {text} is not a finite number.")
    if percent:
        if not metric.fraction:
            raise ReportgenError(
                f"{where}: {text} is a percentage, but {metric.name} is not a fraction; "
                f"give it in its own units."
            )
        value /= 100
    if (kind == "max-drop" or not metric.higher_is_better) and value < 0:
        what = "an allowed drop" if kind == "max-drop" else f"a ceiling on {metric.name}"
        raise ReportgenError(f"{where}: {text} is negative; {what} is at least 0.")
    if metric.fraction and not 0 <= value <= 1:
        if percent or not 1 < value <= 100:
            raise ReportgenError(
                f"{where}: {text} is not a fraction between 0 and 1 (or 0% and 100%)."
            )
        raise ReportgenError(
            f"{where}: {text} is not a fraction: did you mean {_hundredth(raw)} or "
            f"{as_written(raw)}%?"
        )
    if metric.name == "r2" and kind != "max-drop" and value > 1:
        raise ReportgenError(f"{where}: {text} is above 1, the largest r2 there is.")
    return value


def gate_spec(kind: str, key: str, value: object, *, where: str | None = None) -> GateSpec:
    """Make a gate from a config-file pair: key 'recall[tube_defect]', value 0.8 or '80%'.

    where: what to name in messages (default: the option, such as --fail-under).
    """
    kind = _kind(kind)
    option = where or f"--{kind}"
    text = f"{key}={as_written(value)}"
    name, label = key.strip(), None
    if "[" in name or "]" in name:
        open_at, close_at = name.find("["), name.rfind("]")
        if open_at < 0 or close_at < open_at or name[close_at + 1 :].strip():
            raise ReportgenError(
                f"{option}: {text} has a malformed class; write metric[LABEL]=value, "
                "such as recall[cat]=0.8."
            )
        name, label = name[:open_at], name[open_at + 1 : close_at]
    metric = _metric(name, option, text)
    if metric.per_class and label is None:
        raise ReportgenError(
            f"{option}: {text} needs a class, such as {metric.name}[LABEL]=...; "
            f"for the average use macro_{metric.name} or weighted_{metric.name}."
        )
    if label is not None and not metric.per_class:
        raise ReportgenError(
            f"{option}: {text}: {metric.name} has no per-class form; "
            "per-class metrics are precision, recall and f1."
        )
    if kind == "fail-under" and not metric.higher_is_better:
        raise ReportgenError(
            f"{option}: {text} sets a floor on {metric.name}, but lower {metric.name} is better; "
            f"use --fail-over {text} to fail when it is higher."
        )
    if kind == "fail-over" and metric.higher_is_better:
        raise ReportgenError(
            f"{option}: {text} sets a ceiling on {metric.name}, but higher {metric.name} is "
            f"better; use --fail-under {text} to fail when it is lower."
        )
    threshold = _threshold(kind, metric, value, option, text)
    return GateSpec(kind, metric.name, label, threshold, text, option)


def parse_gate(kind: str, text: str) -> GateSpec:
    """Parse a command-line gate: 'accuracy=0.9', 'recall[tube_defect]=80%'."""
    option = f"--{_kind(kind)}"
    key, sep, value = text.rpartition("=")
    if not sep or not key.strip():
        raise ReportgenError(
            f"{option}: {text} is not metric=value; write e.g. accuracy=0.9 or recall[cat]=0.8."
        )
    return gate_spec(kind, key, value)


# '>=' a floor, '<=' a ceiling, 'drop <=' a largest drop: the one-line form a record shows
_GATE_LINE = re.compile(
    r"^\s*(?P<key>[^<>=]*?)\s*(?P<drop>\bdrop)?\s*(?P<op><=|>=)\s*(?P<value>.+?)\s*$"
)


def parse_gate_line(text: str) -> GateSpec:
    """Parse a gate as the report writes it: 'accuracy >= 0.9', 'mae <= 3', 'f1 drop <= 0.01'."""
    found = _GATE_LINE.match(text)
    if found is None or not found["key"]:
        raise ReportgenError(
            f"--gate: {text} is not a gate; write METRIC >= VALUE, METRIC <= VALUE or "
            "METRIC drop <= VALUE, such as 'accuracy >= 0.9'."
        )
    if found["drop"]:
        if found["op"] != "<=":
            raise ReportgenError(
                f"--gate: {text}: a drop is limited with <=, as 'f1 drop <= 0.01'."
            )
        kind = "max-drop"
    else:
        kind = "fail-under" if found["op"] == ">=" else "fail-over"
    spec = gate_spec(kind, found["key"], found["value"], where=f"--gate '{text.strip()}'")
    return replace(spec, text=text.strip())  # messages echo the gate as the user wrote it


def gate_specs(
    config: Config | None = None,
    *,
    fail_under: Sequence[str] = (),
    fail_over: Sequence[str] = (),
    max_drop: Sequence[str] = (),
    gate: Sequence[str] = (),
) -> list[GateSpec]:
    """The config file's gates, then the command line's; a command-line gate replaces its twin."""
    specs: dict[tuple[str, str], GateSpec] = {}
    if config is not None:
        for kind, table in config.gates().items():
            for key, value in table.items():
                spec = gate_spec(kind, key, value, where=config.where("gates", kind))
                specs[(spec.kind, spec.name)] = spec
    given = [
        *(
            parse_gate(kind, text)
            for kind, texts in (
                ("fail-under", fail_under),
                ("fail-over", fail_over),
                ("max-drop", max_drop),
            )
            for text in texts
        ),
        *(parse_gate_line(text) for text in gate),
    ]
    for spec in given:
        specs[(spec.kind, spec.name)] = spec
    return list(specs.values())
