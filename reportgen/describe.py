"""Turn record numbers into the words a reviewer reads first: headline cards and findings."""

from __future__ import annotations

from typing import Any


def pct(x: float | None, digits: int = 1) -> str:
    """Format a proportion as a percentage: 0.9312 -> '93.1%'."""
    if x is None:
        return "–"
    return f"{100 * x:.{digits}f}%"


def interval_pct(ci: list[float] | None, digits: int = 1) -> str:
    """Format an interval of proportions: [0.904, 0.951] -> '90.4–95.1%'."""
    if ci is None:
        return "–"
    return f"{100 * ci[0]:.{digits}f}–{100 * ci[1]:.{digits}f}%"


def count(n: int) -> str:
    """Format a count with thousands separators."""
    return f"{n:,}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """Say '1 error' or '31 errors'."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def weakest_class(per_class: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The class with the lowest recall among those that occur (ties: larger support first)."""
    present = [c for c in per_class if c["support"] > 0]
    if not present:
        return None
    weakest: dict[str, Any] = min(present, key=lambda c: (c["recall"], -c["support"]))
    return weakest


def _most_confused_with(record: dict[str, Any], label: str) -> dict[str, Any] | None:
    confusions: list[dict[str, Any]] = record["classification"]["top_confusions"]
    for conf in confusions:
        if conf["true"] == label:
            return conf
    return None


def _quoted(labels: list[str]) -> list[str]:
    return [f"'{x}'" for x in labels]


def classification_headline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The three to five numbers a reviewer quotes, each with a one-line meaning."""
    c = record["classification"]
    cards = [
        {
            "id": "accuracy",
            "label": "Accuracy",
            "value": pct(c["accuracy"]),
            "detail": f"95% CI {interval_pct(c['accuracy_ci'])} over {plural(c['n'], 'row')}",
        },
        {
            "id": "macro-f1",
            "label": "Macro F1",
            "value": f"{c['macro_avg']['f1']:.3f}",
            "detail": f"unweighted mean over {plural(len(c['labels']), 'class', 'classes')}",
        },
        {
            "id": "errors",
            "label": "Errors",
            "value": count(c["errors"]),
            "detail": f"misclassified of {count(c['n'])}",
        },
    ]
    weak = weakest_class(c["per_class"])
    if weak is not None:
        cards.append(
            {
                "id": "weakest-class",
                "label": "Weakest class",
                "value": weak["label"],
                "detail": f"recall {pct(weak['recall'])} on {plural(weak['support'], 'sample')}",
            }
        )
    if c["top_confusions"]:
        top = c["top_confusions"][0]
        cards.append(
            {
                "id": "largest-confusion",
                "label": "Largest confusion",
                "value": f"{top['true']} → {top['pred']}",
                "detail": (
                    f"{plural(top['count'], 'time')}, {pct(top['share_of_errors'])} of errors"
                ),
            }
        )
    return cards


def classification_findings(record: dict[str, Any]) -> list[str]:
    """Three to five sentences, most important first, generated from the record."""
    c = record["classification"]
    prov = record["provenance"]["input"]
    findings = [
        f"Accuracy is {pct(c['accuracy'])} (95% CI {interval_pct(c['accuracy_ci'])}) on "
        f"{plural(c['n'], 'row')}: {plural(c['errors'], 'error')}."
    ]
    dropped = prov["rows_dropped"]
    if dropped:
        was, iss = ("was", "is") if dropped == 1 else ("were", "are")
        findings.append(
            f"{plural(dropped, 'row')} with an empty true or predicted label {was} left out "
            f"(--dropna) and {iss} not counted above."
        )
    if c["errors"] == 0:
        findings.append("Every prediction is correct: there is nothing to analyse.")
        return findings
    weak = weakest_class(c["per_class"])
    if weak is not None and weak["recall"] < 1.0:
        text = (
            f"The weakest class is '{weak['label']}': recall {pct(weak['recall'])} on "
            f"{plural(weak['support'], 'sample')}"
        )
        conf = _most_confused_with(record, weak["label"])
        if conf is not None:
            text += f", most often predicted as '{conf['pred']}' ({plural(conf['count'], 'time')})"
        findings.append(text + ".")
    if c["top_confusions"]:
        top = c["top_confusions"][0]
        findings.append(
            f"The largest confusion is '{top['true']}' predicted as '{top['pred']}': "
            f"{plural(top['count'], 'time')}, {pct(top['share_of_errors'])} of all errors and "
            f"{pct(top['share_of_true'])} of class '{top['true']}'."
        )
    conf_summary = c["confidence"]
    if (
        conf_summary
        and conf_summary["mean_wrong"] is not None
        and conf_summary["mean_correct"] is not None
    ):
        findings.append(
            f"Wrong predictions have a mean confidence of {conf_summary['mean_wrong']:.2f}, "
            f"against {conf_summary['mean_correct']:.2f} for correct ones."
        )
    never_true = [m["label"] for m in c["per_class"] if m["support"] == 0]
    if never_true:
        findings.append(
            f"Predicted but never true: {', '.join(_quoted(never_true[:5]))}"
            f"{' …' if len(never_true) > 5 else ''}; these labels have no recall."
        )
    small = [m["label"] for m in c["per_class"] if m["small_support"] and m["support"] > 0]
    if small:
        findings.append(
            f"{plural(len(small), 'class', 'classes')} {'has' if len(small) == 1 else 'have'} "
            f"fewer than {c['small_support_below']} samples; their metrics are uncertain "
            "(marked 'small')."
        )
    return findings[:6]
