"""Turn record numbers into the words a reviewer reads first: headline cards and findings."""

from __future__ import annotations

from typing import Any

from reportgen.words.numbers import (
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

__all__ = [  # the formatters live in reportgen.words.numbers; these names stay importable from here
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


def n_classes(c: dict[str, Any]) -> int:
    """How many classes a classification block counts (its labels may keep only some)."""
    many = c.get("classes")
    return len(c["labels"]) if many is None else int(many["total"])


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
                    "detail": f"unweighted mean over {plural(n_classes(c), 'class', 'classes')}",
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


def _stands_out(item: dict[str, Any], alpha: float) -> bool:
    return item["p_adjusted"] is not None and item["p_adjusted"] < alpha


def _in_sample(seen: int, record: dict[str, Any]) -> str:
    """Say that counts come from a seeded sample when they cover fewer rows than described."""
    task = record.get("classification") or record.get("regression") or {}
    rows = task.get("n", seen)
    return f" in a seeded sample of {seen:,} of the {rows:,} rows" if seen < rows else ""


def error_slice_findings(record: dict[str, Any]) -> list[str]:
    """The slice and the tree rule that stand out most once chance is accounted for, or a
    sentence saying none does."""
    slices = record.get("slices") or {}
    if not slices.get("columns"):
        return []
    alpha = slices["alpha"]
    out = []
    items = [g for g in slices["items"] if _stands_out(g, alpha)]
    if items:
        g = items[0]
        seen = sum(group["n"] for group in slices["columns"][0]["groups"])
        text = (
            f"Errors concentrate in {g['name']}: {pct(g['error_rate'])} errors against "
            f"{pct(slices['overall_error_rate'])} overall ({g['errors']:,} of "
            f"{plural(g['n'], 'row')}{_in_sample(seen, record)}; adjusted p "
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
            if _stands_out(r, alpha) and r["error_rate"] > tree["overall_error_rate"]
        ]
        if tree
        else []
    )
    if tree and rules:
        rule = min(rules, key=lambda r: (r["p_adjusted"], -r["error_rate"]))
        out.append(
            f"The error tree finds {' and '.join(rule['conditions'])}: {pct(rule['error_rate'])} "
            f"errors against {pct(tree['overall_error_rate'])} overall on the rows held out "
            f"from its fit ({rule['errors']:,} of {plural(rule['n'], 'row')}"
            f"{_in_sample(tree['rows_used'] + tree['rows_held_out'], record)}; adjusted p "
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


ESTIMATE, TAGGED_ONLY = "estimate", "tagged-only"  # buckets.ceiling_kind (else "exact")
MISSING_SHOWN = 2  # classes missing from train named among the findings


def bucket_basis(buckets: dict[str, Any]) -> str:
    """Say in one sentence what the bucket shares and ceilings describe, and what they leave out."""
    kind = buckets.get("ceiling_kind")
    total = buckets.get("total_errors") or 0
    tagged = buckets.get("tagged_errors") or 0
    untagged = buckets.get("untagged_errors") or 0
    if kind == ESTIMATE:
        return (
            f"The tags come from a random review sample, {buckets['sampling']}: shares and "
            f"ceilings are estimates for all {plural(total, 'error')}, with 95% intervals."
        )
    if kind == TAGGED_ONLY:
        if buckets.get("sampling_mismatch"):
            why = (
                "The tag sheet is not a random sample of these errors "
                f"({buckets['sampling_mismatch']})"
            )
        else:
            why = "The tagged errors were hand-picked or their selection is unknown"
        return (
            f"{why}: shares describe the {plural(tagged, 'tagged error')} only, and a ceiling "
            f"counts only a bucket's tagged errors; the {plural(untagged, 'untagged error')} "
            f"{'is' if untagged == 1 else 'are'} not counted."
        )
    if kind is None:
        return ""  # a record from before ceilings said how they were made
    reviewed = " or was reviewed" if buckets.get("reviewed_untagged") else ""
    return (
        f"Every error is tagged{reviewed}: shares and ceilings are exact for these "
        f"{plural(total, 'error')}."
    )


def ceiling_text(item: dict[str, Any], kind: str | None) -> str:
    """A bucket's ceiling for a table cell: with its interval when estimated, else its gain."""
    if item.get("ceiling") is None:
        return "–"
    if kind == ESTIMATE and item.get("ceiling_ci"):
        return f"{pct(item['ceiling'])} ({interval_pct(item['ceiling_ci'])})"
    if kind is None:
        return pct(item["ceiling"])
    return f"{pct(item['ceiling'])} (+{points(item['ceiling_gain'])})"


def bucket_pairs(item: dict[str, Any]) -> str:
    """Name the confusions a bucket holds: 'mostly A → B' only when that pair is a majority."""
    pairs = item.get("pairs") or []
    if not pairs:
        return ""
    top, n = pairs[0], item["count"]
    total = item.get("pairs_total", len(pairs))
    if total == 1:
        return f"all {top['true']} → {top['pred']}"
    if 2 * top["count"] > n:
        return f"mostly {top['true']} → {top['pred']} ({count(top['count'])} of {count(n)})"
    shown = ", ".join(f"{p['true']} → {p['pred']} ({pct(p['count'] / n)})" for p in pairs)
    if total > len(pairs):
        return f"spread over {count(total)} confusion pairs; the largest: {shown}"
    return f"spread over {count(total)} confusion pairs: {shown}"


def _top_bucket_finding(buckets: dict[str, Any], top: dict[str, Any]) -> str:
    """The largest bucket's share and ceiling, worded as exact, estimated or tagged-only."""
    kind = buckets.get("ceiling_kind")
    acc = buckets["accuracy"]
    if kind == ESTIMATE:
        what = "reviewed error" if buckets["reviewed_untagged"] else "tagged error"
        return (
            f"'{top['name']}' is the largest error bucket: {count(top['count'])} of "
            f"{plural(buckets['share_base'], what)} ({pct(top['share'])}; among all "
            f"{plural(buckets['total_errors'], 'error')}, 95% CI {interval_pct(top['share_ci'])}); "
            f"fixing it would lift accuracy to an estimated {pct(top['ceiling'])} (95% CI "
            f"{interval_pct(top['ceiling_ci'])})"
        )
    if kind == TAGGED_ONLY:
        untagged = buckets["untagged_errors"]
        return (
            f"'{top['name']}' is the largest bucket of tagged errors: {count(top['count'])} of "
            f"{plural(buckets['tagged_errors'], 'tagged error')} ({pct(top['share'])}); fixing "
            f"{'it' if top['count'] == 1 else 'those ' + count(top['count'])} would lift accuracy "
            f"from {pct(acc)} to {pct(top['ceiling'])}, not counting the "
            f"{plural(untagged, 'untagged error')}"
        )
    return (
        f"'{top['name']}' is the largest error bucket: {count(top['count'])} of all "
        f"{plural(buckets['total_errors'], 'error')} ({pct(top['share'])}); fixing "
        f"{'it' if top['count'] == 1 else 'them'} would lift accuracy from {pct(acc)} to "
        f"{pct(top['ceiling'])}"
    )


def _bucket_findings(record: dict[str, Any]) -> list[str]:
    """The largest error bucket and its first experiment; a class train lacks; else a hint."""
    buckets = record.get("buckets") or {}
    items = buckets.get("items") or []
    suggestions = record.get("suggestions") or []
    out = []
    if items:
        top = items[0]
        text = _top_bucket_finding(buckets, top)
        if top["experiments"]:
            text += f". Try first: {top['experiments'][0][0].lower()}{top['experiments'][0][1:]}"
        out.append(text + ".")
    # a class the model never saw in training matters whether or not errors were tagged
    missing = [s for s in suggestions if s["kind"] == "missing-in-train"]
    out.extend(s["evidence"] for s in missing[:MISSING_SHOWN])
    if any(s["kind"] == "more-classes" for s in suggestions) and len(missing) > MISSING_SHOWN:
        # with many classes the experiments section keeps only the weightiest suggestions
        out.append(
            "More classes never occur in the train split or are far rarer there; the "
            "experiments section lists those with the most examples and counts the rest."
        )
    elif len(missing) > MISSING_SHOWN:
        more = len(missing) - MISSING_SHOWN
        out.append(
            f"{plural(more, 'more class', 'more classes')} ({len(missing)} in all) never "
            f"{'occurs' if more == 1 else 'occur'} in the train split; the experiments "
            "section lists them all."
        )
    if not out and suggestions:
        order = ("rare-in-train", "threshold", "rare-class-recall", "review-labels")
        ranked = sorted(
            suggestions, key=lambda s: order.index(s["kind"]) if s["kind"] in order else 99
        )
        evidence = ranked[0]["evidence"]
        # 'In the analysis sample of ...' continues the sentence after the colon
        out.append(f"{ranked[0]['text']}: {evidence[:1].lower()}{evidence[1:]}")
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


def _relative_bias(mean: float, rest: float) -> str:
    return "under-predicts" if mean > rest else "over-predicts"


def regression_pattern_findings(record: dict[str, Any]) -> list[str]:
    """The trend, prediction bin and group that survive the report's tests, or one sentence
    saying none does (the family: record['slices'])."""
    slices, trend = record["slices"], record["regression"]["trend"]
    mae = record["regression"].get("trend_mae")
    alpha = slices["alpha"]
    # trend and slices come from the same rows: a streamed read's sample, or every row
    sampled = _in_sample(sum(t["n"] for t in trend), record)
    out = []
    if mae is not None and _stands_out(mae, alpha):
        low, high = trend[0], trend[-1]
        p = f"adjusted p {pvalue(mae['p_adjusted'])}"
        if high["mae"] > low["mae"]:
            out.append(
                f"Errors grow with the prediction: MAE is {num(high['mae'])} for the highest "
                f"predictions ({high['name']}) against {num(low['mae'])} for the lowest "
                f"({low['name']}{sampled}; {p})."
            )
        else:
            out.append(
                f"Errors shrink as the prediction grows: MAE is {num(low['mae'])} for the lowest "
                f"predictions ({low['name']}) against {num(high['mae'])} for the highest "
                f"({high['name']}{sampled}; {p})."
            )
    bins = [t for t in trend if _stands_out(t, alpha)]
    if bins:
        t = min(bins, key=lambda t: (t["p_adjusted"], -abs(t["mean_residual"])))
        more = f"; {len(bins)} of {len(trend)} prediction bins stand out" if len(bins) > 1 else ""
        out.append(
            f"For predictions {t['name']} the mean residual is {signed(t['mean_residual'])} "
            f"against {signed(t['rest_mean_residual'])} for the other rows "
            f"({plural(t['n'], 'row')}{sampled}; adjusted p {pvalue(t['p_adjusted'])}{more}): "
            "the model "
            f"{_relative_bias(t['mean_residual'], t['rest_mean_residual'])} there, relative to "
            "the rest."
        )
    groups = [(c, g) for c in slices["columns"] for g in c["groups"] if _stands_out(g, alpha)]
    if groups:
        column, g = min(groups, key=lambda cg: (cg[1]["p_adjusted"], -abs(cg[1]["mean_residual"])))
        more = f"; {len(groups)} groups stand out" if len(groups) > 1 else ""
        out.append(
            f"By {column['column']}, the mean residual for {g['name']} is "
            f"{signed(g['mean_residual'])} against {signed(g['rest_mean_residual'])} for the "
            f"other rows ({plural(g['n'], 'row')}{sampled}; adjusted p "
            f"{pvalue(g['p_adjusted'])}{more}): "
            f"the model {_relative_bias(g['mean_residual'], g['rest_mean_residual'])} there, "
            "relative to the rest."
        )
    # one sentence for every kind tested of which nothing stands out
    family = slices["family"]
    quiet = [
        (
            "group of " + " or ".join(c["column"] for c in slices["columns"]),
            family["groups"],
            not groups,
        ),
        ("prediction range", family["bins"], not bins),
        ("trend in the error size", family["trends"], not _stands_out(mae or _UNTESTED, alpha)),
    ]
    quiet = [(what, tested, none) for what, tested, none in quiet if tested and none]
    if not quiet:
        return out
    what = [w for w, _, _ in quiet]
    listed = what[0] if len(what) == 1 else f"{', no '.join(what[:-1])} and no {what[-1]}"
    tested = sum(t for _, t, _ in quiet)
    total = slices["tested"]
    over = "" if tested == total else f", corrected over all {total:,} tests of the report"
    out.append(
        f"No {listed} stands out once chance is accounted for ({tested:,} tests{sampled}: "
        f"every adjusted p ≥ {alpha:g}{over})."
    )
    return out


_UNTESTED: dict[str, Any] = {"p_adjusted": None}


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
    findings.extend(regression_pattern_findings(record))
    worst = _worst_row(record)
    if worst is not None:
        findings.append(
            f"The largest error is {_row_name(worst)}: true {num(worst['true'])}, predicted "
            f"{num(worst['pred'])}."
        )
    if reg["mape_note"]:
        findings.append(reg["mape_note"])
    return findings


def _and(items: list[str]) -> str:
    """Join 'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def default_reason(rule: str) -> str:
    """Why the default rule chose the evaluated splits, to follow 'chosen by default'."""
    return {
        "dev": " as the development split",
        "test": ": there is no development split (dev, val, valid or validation)",
        "not-train": ": there is neither a development split (dev, val, valid or validation) "
        "nor a test split",
    }[rule]


def evaluation_words(ev: dict[str, Any], *, names: tuple[str, str] | None = None) -> dict[str, str]:
    """Say which rows the page describes: a short `text` for the header, a `note` on why.

    For a comparison (`names` and `ev["split_columns"]`), the note says when the split column
    comes from one of the two files only.
    """
    words = _evaluation_words(ev)
    columns = ev.get("split_columns")
    if names is not None and columns is not None and ev["rule"] != "no-split":
        has = [i for i, c in enumerate(columns) if c is not None]
        if len(has) == 1:
            side, other = names[has[0]], names[1 - has[0]]
            words["note"] += (
                f" Only {side}'s file has the split column '{columns[has[0]]}': a row's split "
                f"does not depend on the model, so it serves {other}'s rows too."
            )
    return words


def _evaluation_words(ev: dict[str, Any]) -> dict[str, str]:
    """Say which rows the page describes (a file's words, shared by every kind of report)."""
    rule, names = ev["rule"], list(ev["splits"])
    rows, total = ev["rows"], ev["rows_total"]
    if rule == "no-split":
        return {"text": count(total), "note": ""}
    if rule == "all":
        text = f"all splits: {plural(total, 'row')}"
        note = "The page describes every row, train rows included (--eval-split all)."
        if ev["empty_split_cells"]:
            note = note[:-1] + f", and the {plural(ev['empty_split_cells'], 'row')} with an empty "
            note += "split cell."
        return {"text": text, "note": note}
    quoted = _and([f"'{n}'" for n in names])
    which = f"{names[0]} split" if len(names) == 1 else f"splits {_and(names)}"
    text = f"{which}: {count(rows)} of {plural(total, 'row')}"
    if rule == "named":
        note = f"The page describes the split {quoted}, named with --eval-split."
    else:
        why = default_reason(rule)
        chosen = (
            f"every split but train ({quoted})" if rule == "not-train" else f"the split {quoted}"
        )
        note = (
            f"The page describes {chosen}, chosen by default{why}. Train rows are never pooled "
            "in; --eval-split names another split, or all for every row."
        )
    if ev["empty_split_cells"]:
        empty = ev["empty_split_cells"]
        note += f" {plural(empty, 'row')} with an empty split cell {'is' if empty == 1 else 'are'}"
        note += " left out."
    return {"text": text, "note": note}
