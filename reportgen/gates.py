"""CI gates: thresholds on a record's metrics, checked against floors, ceilings and a baseline."""

from __future__ import annotations

import difflib
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reportgen.deliver.archive import fingerprint, read_record
from reportgen.errors import ReportgenError, as_written, quoted
from reportgen.words.numbers import pct, points

KINDS = ("fail-under", "fail-over", "max-drop")
TOL = 1e-12  # relative; 0.9 and 0.9000000000000001 are the same threshold
LABELS_SHOWN = 20


@dataclass(frozen=True)
class Metric:
    """A metric a gate can name: where it lives, which way is better, how it reads."""

    name: str
    task: Literal["classification", "regression", "probabilities"]
    higher_is_better: bool
    unit: Literal["percent", "decimal", "count", "value"]
    fraction: bool  # values lie in [0, 1]; '90%' is accepted
    per_class: bool = False


METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("accuracy", "classification", True, "percent", True),
        Metric("error_rate", "classification", False, "percent", True),
        Metric("errors", "classification", False, "count", False),
        Metric("macro_precision", "classification", True, "percent", True),
        Metric("macro_recall", "classification", True, "percent", True),
        Metric("macro_f1", "classification", True, "decimal", True),
        Metric("weighted_precision", "classification", True, "percent", True),
        Metric("weighted_recall", "classification", True, "percent", True),
        Metric("weighted_f1", "classification", True, "decimal", True),
        Metric("precision", "classification", True, "percent", True, per_class=True),
        Metric("recall", "classification", True, "percent", True, per_class=True),
        Metric("f1", "classification", True, "decimal", True, per_class=True),
        Metric("brier", "probabilities", False, "decimal", False),
        Metric("log_loss", "probabilities", False, "decimal", False),
        Metric("ece", "probabilities", False, "decimal", True),
        Metric("mae", "regression", False, "value", False),
        Metric("rmse", "regression", False, "value", False),
        Metric("r2", "regression", True, "decimal", False),
        Metric("median_ae", "regression", False, "value", False),
        Metric("max_error", "regression", False, "value", False),
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


def load_baseline(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a baseline record from a report (.html) or a --json record file."""
    return read_record(path)


def _side(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the task and the metrics block (a comparison's candidate side)."""
    if record.get("task") == "comparison":
        comp = record["comparison"]
        return comp["task"], comp["b"]
    task = record.get("task")
    if task not in ("classification", "regression") or not record.get(task):
        raise ReportgenError(f"a record of task '{task}' has no metrics for gates.")
    return task, record[task]


def _valid_for(task: str, record: dict[str, Any]) -> list[str]:
    tasks = {task, "probabilities"} if record.get("calibration") else {task}
    return [m.name for m in METRICS.values() if m.task in tasks]


def metric_value(record: dict[str, Any], spec: GateSpec, *, whose: str = "this report") -> float:
    """Return the value of the gate's metric in a record; raise when the record lacks it."""
    metric = METRICS[spec.metric]
    task, block = _side(record)
    if metric.task == "probabilities":
        if task != "classification" or record.get("task") == "comparison":
            raise spec.error(
                f"needs probability columns; {whose} is a {record.get('task')} record "
                "without a calibration section."
            )
        calibration = record.get("calibration")
        if not calibration:
            raise spec.error(
                f"needs probability columns; {whose} has none (no calibration section)."
            )
        found = calibration.get(metric.name)
        if found is None:
            why = calibration.get("not_computed") or "it was not computed."
            raise spec.error(f"cannot be checked: {whose} has no {metric.name}. {why}")
        return float(found)
    if metric.task != task:
        raise spec.error(
            f"does not apply to {whose}, a {task} record; its metrics are: "
            f"{', '.join(_valid_for(task, record))}."
        )
    if task == "regression":
        return float(block[metric.name])
    if metric.per_class:
        return float(_class_row(block, spec, whose)[metric.name])
    if metric.name == "accuracy":
        return float(block["accuracy"])
    if metric.name == "errors":
        return float(block["errors"])
    if metric.name == "error_rate":
        return block["errors"] / block["n"] if block["n"] else 0.0
    average, part = metric.name.split("_", 1)
    return float(block[f"{average}_avg"][part])


def _class_row(block: dict[str, Any], spec: GateSpec, whose: str) -> dict[str, Any]:
    for row in block["per_class"]:
        if row["label"] == spec.label:
            found: dict[str, Any] = row
            return found
    labels: list[str] = block["labels"]
    many = block.get("classes")
    if many is not None:
        # too many classes to keep every row: the class may well exist, unrecorded
        raise spec.error(
            f"needs the row of class '{spec.label}', which {whose} does not keep: with "
            f"{many['total']:,} classes a record keeps the {many['kept']:,} {many['kept_by']}. "
            "Gate on accuracy or an average instead, which count every class."
        )
    close = difflib.get_close_matches(str(spec.label), labels, n=1)
    hint = f" Did you mean {quoted(close[0])}?" if close else ""
    shown = ", ".join(quoted(x) for x in labels[:LABELS_SHOWN])
    more = f" (first {LABELS_SHOWN} of {len(labels)})" if len(labels) > LABELS_SHOWN else ""
    raise spec.error(f"names no class '{spec.label}' in {whose}.{hint} Its classes: {shown}{more}.")


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOL * max(1.0, abs(a), abs(b))


def _show(metric: Metric, values: Sequence[float], *, diff: bool = False) -> list[str]:
    """Format numbers alike, with enough digits that different numbers read differently."""

    def one(x: float, extra: int) -> str:
        if metric.unit == "percent":
            return points(x, 1 + extra) if diff else pct(x, 1 + extra)
        if metric.unit == "decimal":
            return f"{x:.{3 + extra}f}".replace("-", "−")
        if metric.unit == "count" and float(x).is_integer():
            return f"{int(x):,}"
        text = f"{x:,.{extra}f}" if abs(x) >= 1e5 else f"{x:.{4 + extra}g}"
        return text.replace("-", "−")

    for extra in range(6):
        texts = [one(x, extra) for x in values]
        clashes = any(
            texts[i] == texts[j] and not _close(values[i], values[j])
            for i in range(len(values))
            for j in range(i + 1, len(values))
        )
        if not clashes:
            break
    return texts


def _check(spec: GateSpec, value: float, base: float | None) -> tuple[bool, str]:
    """Return whether the gate passes, and its one-line reason."""
    metric = METRICS[spec.metric]
    name = spec.name
    if spec.kind in ("fail-under", "fail-over"):
        shown, limit = _show(metric, [value, spec.threshold])
        if spec.kind == "fail-under":
            passed = value >= spec.threshold or _close(value, spec.threshold)
            where = "at or above" if passed else "under"
            return passed, f"{name} is {shown}, {where} the {limit} floor"
        passed = value <= spec.threshold or _close(value, spec.threshold)
        where = "at or below" if passed else "over"
        return passed, f"{name} is {shown}, {where} the {limit} ceiling"
    assert base is not None
    worse = base - value if metric.higher_is_better else value - base
    passed = worse <= spec.threshold or _close(worse, spec.threshold)
    was, now = _show(metric, [base, value])
    if _close(value, base):
        moved = f"is unchanged from the baseline's {was}"
    else:
        verb = "dropped" if value < base else "rose"
        by = _show(metric, [abs(value - base), spec.threshold], diff=True)[0]
        moved = f"{verb} by {by} from the baseline's {was} to {now}"
    allowed = _show(metric, [abs(value - base), spec.threshold], diff=True)[1]
    if worse > 0 and not _close(value, base):
        return passed, f"{name} {moved}; at most {allowed} allowed"
    return passed, f"{name} {moved}; a worsening of up to {allowed} is allowed"


def _baseline_block(baseline: dict[str, Any], source: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "path": None if source is None else Path(source).name,
        "fingerprint": fingerprint(baseline),
        "model": baseline.get("model"),
        "created": (baseline.get("provenance") or {}).get("created"),
    }
    if source is not None and Path(source).is_file():
        from reportgen.read.readers import sha256_of

        block["sha256"] = sha256_of(Path(source))
    return block


def evaluate_gates(
    record: dict[str, Any],
    specs: Sequence[GateSpec],
    *,
    baseline: dict[str, Any] | None = None,
    baseline_source: str | None = None,
) -> dict[str, Any]:
    """Check every gate on the record; return the block stored as record['gates'].

    A comparison record is gated on its candidate, and its own baseline side serves --max-drop
    when no baseline file is given. Raises ReportgenError for a gate the record cannot answer.
    """
    task, _block = _side(record)
    base_record = baseline
    whose_base = f"the baseline ({baseline_source or 'given record'})"
    if base_record is not None:
        base_task, _ = _side(base_record)
        if base_task != task:
            raise ReportgenError(
                f"--baseline {baseline_source or '(a record)'}: a {base_task} record, but this "
                f"report is {task}; a baseline must be of the same task."
            )
    elif record.get("task") == "comparison":
        comp = record["comparison"]
        base_record = {"task": comp["task"], comp["task"]: comp["a"]}
        whose_base = f"the compared baseline ({comp['names'][0]})"
    items = []
    for spec in specs:
        value = metric_value(record, spec)
        base: float | None = None
        if spec.kind == "max-drop":
            if base_record is None:
                raise ReportgenError(
                    f"--max-drop needs --baseline FILE: {spec.text} compares with a baseline "
                    'report or record (in a config file: baseline = "FILE" in [gates]).'
                )
            base = metric_value(base_record, spec, whose=whose_base)
        passed, reason = _check(spec, value, base)
        items.append(
            {
                "gate": spec.gate,
                "kind": spec.kind,
                "metric": spec.metric,
                "label": spec.label,
                "threshold": spec.threshold,
                "value": value,
                "baseline": base,
                "passed": passed,
                "reason": reason,
            }
        )
    return {
        "passed": all(item["passed"] for item in items),
        "baseline": None if baseline is None else _baseline_block(baseline, baseline_source),
        "items": items,
    }


def shown_values(item: dict[str, Any]) -> tuple[str, str | None]:
    """Write a gate's value and baseline in its metric's style: '84.8%', '0.736', '43.27'."""
    metric = METRICS[item["metric"]]
    base = item.get("baseline")
    values = [item["value"]] if base is None else [item["value"], base]
    texts = _show(metric, values)
    return texts[0], None if base is None else texts[1]


def reason_lines(gates: dict[str, Any]) -> list[str]:
    """Return one line per gate, as the CLI prints them: 'gate failed: accuracy is ...'."""
    return [
        f"gate {'passed' if item['passed'] else 'failed'}: {item['reason']}"
        for item in gates["items"]
    ]
