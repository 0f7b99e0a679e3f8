"""CI gates checked: a record's metrics against floors, ceilings and a baseline's."""

from __future__ import annotations

import difflib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reportgen.deliver.archive import fingerprint, read_record
from reportgen.errors import ReportgenError, quoted
from reportgen.gates import METRICS, GateSpec, Metric
from reportgen.words.numbers import pct, points

LABELS_SHOWN = 20
TOL = 1e-12  # relative; 0.9 and 0.9000000000000001 are the same threshold


def load_baseline(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a baseline record from a report (.html) or a --json record file."""
    return read_record(path)


def _side(record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Return the task and the metrics block (a comparison's candidate side)."""
    if record.get("task") == "comparison":
        comp = record["comparison"]
        return comp["task"], comp["b"]
    task = record.get("task")
    if task not in ("classification", "regression", "detection") or not record.get(task):
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
    if task == "detection":
        found = block["coco"][metric.name]
        if found is None:
            raise spec.error(f"cannot be checked: {whose} has no {metric.name} (no boxes).")
        return float(found)
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
