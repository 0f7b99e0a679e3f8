"""Turn record numbers into the words a reviewer reads first: headline cards and findings."""

from __future__ import annotations

from typing import Any

from reportgen.numbers import (
    count,
    interval_num,
    interval_pct,
    num,
    pct,
    points,
    pvalue,
    score,
    signed,
)

__all__ = [  # the formatters live in reportgen.numbers; these names stay importable from here
    "count",
    "interval_num",
    "interval_pct",
    "num",
    "pct",
    "points",
    "pvalue",
    "score",
    "signed",
]


def in_sentence(label: str) -> str:
    """A card's label inside a sentence: 'Accuracy' -> 'accuracy'; 'MAE', 'ROC AUC' stay."""
    if len(label) > 1 and label[1].islower():
        return label[0].lower() + label[1:]
    return label


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


def _ranking_cards(record: dict[str, Any]) -> list[dict[str, Any]]:
    """ROC AUC and average precision, for a two-label file with scores."""
    t = record.get("thresholds") or {}
    if t.get("kind") != "binary":
        return []
    cards = []
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


def classification_headline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The numbers a reviewer quotes, each with a one-line meaning.

    A two-label file with scores shows ROC AUC and average precision in place of macro F1.
    """
    c = record["classification"]
    acc, acc_ci = c["accuracy"], c["accuracy_ci"]
    ranking = _ranking_cards(record)
    cards = [
        {
            "id": "accuracy",
            "label": "Accuracy",
            "value": pct(acc, ci=acc_ci),
            "detail": f"95% CI {interval_pct(acc_ci, point=acc)} over {plural(c['n'], 'row')}",
        },
        *ranking,
        *(
            []
            if ranking
            else [
                {
                    "id": "macro-f1",
                    "label": "Macro F1",
                    "value": score(c["macro_avg"]["f1"]),
                    "detail": "unweighted mean over "
                    f"{plural(len(c['labels']), 'class', 'classes')}",
                }
            ]
        ),
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


def _calibration_clause(calibration: dict[str, Any] | None) -> str:
    """Say whether probabilities run high or low, when the calibration error is notable."""
    if not calibration or calibration.get("ece") is None or calibration["ece"] < 0.02:
        return ""
    bins = [b for b in calibration["bins"] if b["count"]]
    if calibration.get("target") == "top-label":
        # the predicted label's probability: too high means over-confident
        excess = sum(b["count"] * (b["mean_predicted"] - b["observed"]) for b in bins)
    else:
        # a positive-class probability: over-confident means further from 0.5 than the truth
        excess = sum(
            b["count"] * (abs(b["mean_predicted"] - 0.5) - abs(b["observed"] - 0.5)) for b in bins
        )
    way = "over-confident" if excess > 0 else "under-confident"
    return (
        f"; the probabilities are {way} (expected calibration error "
        f"{score(calibration['ece'])} over {calibration['n_bins']} bins)"
    )


def _error_slice_findings(record: dict[str, Any]) -> list[str]:
    """The most significant slice, and the error tree's worst rule when it adds to it."""
    slices = record.get("slices") or {}
    items = [g for g in slices.get("items") or [] if (g["p_adjusted"] or 1.0) < 0.05]
    out = []
    if items:
        g = items[0]
        out.append(
            f"Errors concentrate in {g['column']} = {g['value']}: {pct(g['error_rate'])} errors "
            f"against {pct(slices['overall_error_rate'])} overall ({plural(g['n'], 'row')}; "
            f"adjusted p {pvalue(g['p_adjusted'])})."
        )
    tree = slices.get("tree")
    if tree and tree["rules"] and tree["rules"][0]["conditions"]:
        rule = tree["rules"][0]
        if rule["error_rate"] >= 2 * slices["overall_error_rate"]:
            out.append(
                f"The error tree finds {' and '.join(rule['conditions'])}: "
                f"{pct(rule['error_rate'], 0)} errors on {pct(rule['coverage'])} of the data."
            )
    return out


def _bucket_findings(record: dict[str, Any]) -> list[str]:
    """The largest error bucket and its first experiment; a class train lacks; else a hint."""
    buckets = record.get("buckets") or {}
    items = buckets.get("items") or []
    suggestions = record.get("suggestions") or []
    out = []
    if items:
        top = items[0]
        what = "reviewed error" if buckets["reviewed_untagged"] else "tagged error"
        text = (
            f"'{top['name']}' is the largest error bucket: {pct(top['share'], 0)} of "
            f"{plural(buckets['share_base'], what)}; fixing it would lift accuracy to "
            f"{pct(top['ceiling'])} at most"
        )
        if top["experiments"]:
            text += f". Try first: {top['experiments'][0][0].lower()}{top['experiments'][0][1:]}"
        out.append(text + ".")
    # a class the model never saw in training matters whether or not errors were tagged
    missing = [s for s in suggestions if s["kind"] == "missing-in-train"]
    out.extend(s["evidence"] for s in missing[:2])
    if not out and suggestions:
        order = ("rare-in-train", "threshold", "rare-class-recall", "review-labels")
        ranked = sorted(
            suggestions, key=lambda s: order.index(s["kind"]) if s["kind"] in order else 99
        )
        out.append(f"{ranked[0]['text']}: {ranked[0]['evidence']}")
    return out


def classification_findings(record: dict[str, Any]) -> list[str]:
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
    findings.extend(_bucket_findings(record))
    findings.extend(_error_slice_findings(record))
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
    return findings[:7]


def _bias_words(reg: dict[str, Any]) -> tuple[str, str]:
    """Say whether the mean residual is distinguishable from zero, as (short, sentence)."""
    ci = reg["intervals"].get("mean_residual")
    bias = reg["mean_residual"]
    shown = f"{signed(bias, ci=ci)}, 95% CI {interval_num(ci, point=bias, signed=True)}"
    if ci is not None and (ci["low"] > 0 or ci["high"] < 0):
        way = "under-predicts" if bias > 0 else "over-predicts"
        return (
            f"the model {way} on average",
            f"On average the model {way} by {num(abs(bias), ci=ci)} (mean residual {shown}).",
        )
    return (
        "no clear bias (95% CI includes 0)",
        f"No systematic bias: the mean residual {signed(bias, ci=ci)} has a 95% CI "
        f"({interval_num(ci, point=bias, signed=True)}) that includes zero.",
    )


def _excludes_zero(ci: dict[str, Any] | None) -> bool:
    return ci is not None and (ci["low"] > 0 or ci["high"] < 0)


def _slice_findings(slices: dict[str, Any]) -> list[str]:
    """Name the most biased metadata group whose bias is clear of zero, or say there is none."""
    columns = slices["columns"]
    if not columns:
        return []
    clear = [
        (col["column"], g)
        for col in columns
        for g in col["groups"]
        if _excludes_zero(g["mean_residual_ci"])
    ]
    if not clear:
        names = ", ".join(col["column"] for col in columns)
        return [
            f"No group of {names} has a mean residual distinguishable from zero (95% intervals, "
            "not corrected for the number of groups)."
        ]
    column, group = max(clear, key=lambda item: abs(item[1]["mean_residual"]))
    way = "under-predicts" if group["mean_residual"] > 0 else "over-predicts"
    return [
        f"By {column}, the model is most biased for '{group['value']}': it {way} by "
        f"{num(abs(group['mean_residual']))} on average ({plural(group['n'], 'row')}; 95% CI "
        f"{interval_num(group['mean_residual_ci'])})."
    ]


def _worst_row(record: dict[str, Any]) -> dict[str, Any] | None:
    rows = [
        r
        for key in ("under_predicted", "over_predicted")
        for r in record["samples"][key]["rows"][:1]
    ]
    if not rows:
        return None
    worst: dict[str, Any] = max(rows, key=lambda r: (abs(r["residual"]), -r["row"]))
    return worst


def _row_name(row: dict[str, Any]) -> str:
    return f"row {row['row']:,}" + (f" (id {row['id']})" if row["id"] is not None else "")


def regression_headline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The numbers a reviewer quotes for a regression model, each with its meaning."""
    reg = record["regression"]
    ci = reg["intervals"]
    cards = [
        {
            "id": "mae",
            "label": "MAE",
            "value": num(reg["mae"], ci=ci.get("mae")),
            "detail": "mean absolute error; 95% CI "
            f"{interval_num(ci.get('mae'), point=reg['mae'])}",
        },
        {
            "id": "rmse",
            "label": "RMSE",
            "value": num(reg["rmse"], ci=ci.get("rmse")),
            "detail": "root mean squared error; 95% CI "
            f"{interval_num(ci.get('rmse'), point=reg['rmse'])}",
        },
        {
            "id": "r2",
            "label": "R²",
            "value": score(reg["r2"]),
            "detail": f"share of the variance explained, over {plural(reg['n'], 'row')}",
        },
        {
            "id": "bias",
            "label": "Mean residual",
            "value": signed(reg["mean_residual"], ci=ci.get("mean_residual")),
            "detail": _bias_words(reg)[0],
        },
    ]
    worst = _worst_row(record)
    if worst is not None:
        cards.append(
            {
                "id": "max-error",
                "label": "Largest error",
                "value": num(reg["max_error"]),
                "detail": f"{_row_name(worst)}: true {num(worst['true'])}, "
                f"predicted {num(worst['pred'])}",
            }
        )
    return cards


def regression_findings(record: dict[str, Any]) -> list[str]:
    """Three to six sentences on a regression model, most important first."""
    reg = record["regression"]
    prov = record["provenance"]["input"]
    ci = reg["intervals"]
    findings = [
        f"MAE is {num(reg['mae'], ci=ci.get('mae'))} (95% CI "
        f"{interval_num(ci.get('mae'), point=reg['mae'])}) and RMSE "
        f"{num(reg['rmse'], ci=ci.get('rmse'))} on {plural(reg['n'], 'row')}; R² is "
        f"{score(reg['r2'])}."
    ]
    dropped = prov["rows_dropped"]
    if dropped:
        was = "was" if dropped == 1 else "were"
        findings.append(
            f"{plural(dropped, 'row')} with an empty true or predicted value {was} left out "
            "(--dropna)."
        )
    findings.append(_bias_words(reg)[1])
    trend = reg["trend"]
    if len(trend) >= 4:
        low, high = trend[0], trend[-1]
        if low["mae"] > 0 and high["mae"] / low["mae"] >= 1.5:
            findings.append(
                f"Errors grow with the prediction: MAE is {num(high['mae'])} for the highest "
                f"predictions ({num(high['pred_low'])} and up) against {num(low['mae'])} for the "
                f"lowest (up to {num(low['pred_high'])})."
            )
        elif high["mae"] > 0 and low["mae"] / high["mae"] >= 1.5:
            findings.append(
                f"Errors shrink as the prediction grows: MAE is {num(low['mae'])} for the lowest "
                f"predictions (up to {num(low['pred_high'])}) against {num(high['mae'])} for the "
                f"highest ({num(high['pred_low'])} and up)."
            )
        worst_bin = max(trend, key=lambda t: abs(t["mean_residual"]))
        if _excludes_zero(worst_bin["mean_residual_ci"]) and abs(
            worst_bin["mean_residual"]
        ) > 2 * abs(reg["mean_residual"]):
            way = "under-predicts" if worst_bin["mean_residual"] > 0 else "over-predicts"
            findings.append(
                f"The bias is largest for predictions from {num(worst_bin['pred_low'])} to "
                f"{num(worst_bin['pred_high'])}: the model {way} there by "
                f"{num(abs(worst_bin['mean_residual']))} on average "
                f"({plural(worst_bin['n'], 'row')})."
            )
    findings.extend(_slice_findings(record["slices"]))
    worst = _worst_row(record)
    if worst is not None:
        findings.append(
            f"The largest error is {_row_name(worst)}: true {num(worst['true'])}, predicted "
            f"{num(worst['pred'])}."
        )
    if reg["mape_note"]:
        findings.append(reg["mape_note"])
    return findings[:7]
