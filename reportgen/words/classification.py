"""The words of a classification report: headline cards and findings, from its record."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reportgen.record.classification_types import (
    ClassificationBlock,
    ClassificationRecord,
    ClassRow,
    TopConfusion,
)
from reportgen.record.probability_types import CalibrationBlock
from reportgen.record.types import HeadlineCard
from reportgen.words.buckets import bucket_findings
from reportgen.words.common import in_sample, plural, stands_out
from reportgen.words.numbers import count, interval_pct, pct, pvalue, score


def n_classes(c: ClassificationBlock | Mapping[str, Any]) -> int:
    """How many classes a classification block counts (its labels may keep only some)."""
    many = c.get("classes")
    return len(c["labels"]) if many is None else int(many["total"])


def weakest_class(per_class: list[ClassRow]) -> ClassRow | None:
    """The class with the lowest recall among those that occur (ties: larger support first)."""
    present = [c for c in per_class if c["support"] > 0]
    if not present:
        return None
    weakest: ClassRow = min(present, key=lambda c: (c["recall"], -c["support"]))
    return weakest


def _most_confused_with(record: ClassificationRecord, label: str) -> TopConfusion | None:
    """The confusion that takes the most rows of a class."""
    confusions = record["classification"]["top_confusions"]
    for conf in confusions:
        if conf["true"] == label:
            return conf
    return None


def _quoted(labels: list[str]) -> list[str]:
    return [f"'{x}'" for x in labels]


def _ranking_cards(record: ClassificationRecord) -> list[HeadlineCard]:
    """ROC AUC and average precision, for a two-label file with scores."""
    t = record["thresholds"]
    if t is None or t["kind"] != "binary":
        return []
    cards: list[HeadlineCard] = []
    if t.get("roc_auc") is not None:
        cards.append(
            {
                "id": "roc-auc",
                "label": "ROC AUC",
                "value": score(t["roc_auc"]),
                "detail": f"chance that a random '{t['pos_label']}' row outscores a random "
                f"'{t['neg_label']}' row",
            }
        )
    if t.get("average_precision") is not None:
        cards.append(
            {
                "id": "average-precision",
                "label": "Average precision",
                "value": score(t["average_precision"]),
                "detail": "precision averaged over all thresholds; "
                f"{score(t['positives'] / t['n'])} by chance"
                if t.get("n")
                else "precision averaged over all thresholds",
            }
        )
    return cards


def classification_headline(record: ClassificationRecord) -> list[HeadlineCard]:
    """The numbers a reviewer quotes, each with a one-line meaning.

    A two-label file with scores shows ROC AUC and average precision in place of macro F1.
    """
    c = record["classification"]
    acc, acc_ci = c["accuracy"], c["accuracy_ci"]
    ranking = _ranking_cards(record)
    macro: list[HeadlineCard] = [
        {
            "id": "macro-f1",
            "label": "Macro F1",
            "value": score(c["macro_avg"]["f1"]),
            "detail": f"unweighted mean over {plural(n_classes(c), 'class', 'classes')}",
        }
    ]
    cards: list[HeadlineCard] = [
        {
            "id": "accuracy",
            "label": "Accuracy",
            "value": pct(acc, ci=acc_ci),
            "detail": f"95% CI {interval_pct(acc_ci, point=acc)} over {plural(c['n'], 'row')}",
        },
        *(ranking or macro),  # ROC AUC and average precision take macro F1's place
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


def _of(value: float | None) -> float:
    """A bin's mean, which only an empty bin lacks."""
    assert value is not None
    return value


def _calibration_clause(calibration: CalibrationBlock | None) -> str:
    """Say whether probabilities run high or low, when the calibration error is notable."""
    if not calibration or calibration.get("ece") is None or calibration["ece"] < 0.02:
        return ""
    bins = [b for b in calibration["bins"] if b["count"]]
    if calibration.get("target") == "top-label":
        # the predicted label's probability: too high means over-confident
        excess = sum(b["count"] * (_of(b["mean_predicted"]) - _of(b["observed"])) for b in bins)
    else:
        # a positive-class probability: over-confident means further from 0.5 than the truth
        excess = sum(
            b["count"] * (abs(_of(b["mean_predicted"]) - 0.5) - abs(_of(b["observed"]) - 0.5))
            for b in bins
        )
    way = "over-confident" if excess > 0 else "under-confident"
    return (
        f"; the probabilities are {way} (expected calibration error "
        f"{score(calibration['ece'])} over {calibration['n_bins']} bins)"
    )


def error_slice_findings(record: ClassificationRecord) -> list[str]:
    """The slice and the tree rule that stand out most once chance is accounted for, or a
    sentence saying none does."""
    slices = record.get("slices") or {}
    if not slices.get("columns"):
        return []
    alpha, rows = slices["alpha"], record["classification"]["n"]
    out = []
    items = [g for g in slices["items"] if stands_out(g["p_adjusted"], alpha)]
    if items:
        g = items[0]
        seen = sum(group["n"] for group in slices["columns"][0]["groups"])
        text = (
            f"Errors concentrate in {g['name']}: {pct(g['error_rate'])} errors against "
            f"{pct(slices['overall_error_rate'])} overall ({g['errors']:,} of "
            f"{plural(g['n'], 'row')}{in_sample(seen, rows)}; adjusted p "
            f"{pvalue(g['p_adjusted'])})"
        )
        if slices["significant"] > 1:
            text += (
                f", the first of {slices['significant']:,} slices that stand out once chance "
                "is accounted for"
            )
        out.append(text + ".")
    tree = slices.get("tree")
    rules = (
        [
            r
            for r in tree["rules"]
            if stands_out(r["p_adjusted"], alpha)
            and _of(r["error_rate"]) > tree["overall_error_rate"]
        ]
        if tree
        else []
    )
    if tree and rules:
        rule = min(rules, key=lambda r: (_of(r["p_adjusted"]), -_of(r["error_rate"])))
        out.append(
            f"The error tree finds {' and '.join(rule['conditions'])}: {pct(rule['error_rate'])} "
            f"errors against {pct(tree['overall_error_rate'])} overall on the rows held out "
            f"from its fit ({rule['errors']:,} of {plural(rule['n'], 'row')}"
            f"{in_sample(tree['rows_used'] + tree['rows_held_out'], rows)}; adjusted p "
            f"{pvalue(rule['p_adjusted'])})."
        )
    if not items and not rules and not slices["significant"]:
        what = "slice, pair of columns" if slices["pairs_tried"] else "slice"
        tested = plural(slices["tested"], "slice")
        if tree:
            what += " or error-tree rule"
            tested += f" and {plural(tree['tested'], 'rule')}"
        out.append(
            f"No {what} has an error rate that stands out once chance is accounted for "
            f"({tested} tested, every adjusted p ≥ {alpha:g})."
        )
    return out


def classification_findings(record: ClassificationRecord) -> list[str]:
    """Three to five sentences, most important first, generated from the record."""
    c = record["classification"]
    prov = record["provenance"]["input"]
    findings = [
        f"Accuracy is {pct(c['accuracy'], ci=c['accuracy_ci'])} (95% CI "
        f"{interval_pct(c['accuracy_ci'], point=c['accuracy'])}) on "
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
    findings.extend(bucket_findings(record))
    findings.extend(error_slice_findings(record))
    conf_summary = c["confidence"]
    if (
        conf_summary
        and conf_summary["mean_wrong"] is not None
        and conf_summary["mean_correct"] is not None
    ):
        text = (
            f"Wrong predictions have a mean confidence of {score(conf_summary['mean_wrong'])}, "
            f"against {score(conf_summary['mean_correct'])} for correct ones"
        )
        findings.append(text + _calibration_clause(record.get("calibration")) + ".")
    many = c.get("classes")  # many classes: the record keeps some rows, and these counts
    never_true = [m["label"] for m in c["per_class"] if m["support"] == 0]
    n_never = len(never_true) if many is None else many["never_true"]
    if many is not None:
        never_true = many["never_true_first"]
    if n_never:
        findings.append(
            f"Predicted but never true: {', '.join(_quoted(never_true[:5]))}"
            f"{f' … ({count(n_never)} in all)' if n_never > 5 else ''}; these labels "
            "have no recall."
        )
    small = [m["label"] for m in c["per_class"] if m["small_support"] and m["support"] > 0]
    n_small = len(small) if many is None else many["small_support"]
    if n_small:
        findings.append(
            f"{plural(n_small, 'class', 'classes')} {'has' if n_small == 1 else 'have'} "
            f"fewer than {c['small_support_below']} samples; their metrics are uncertain "
            "(marked 'small')."
        )
    return findings
