"""The words of a comparison report: headline cards, findings, verdicts and p-values."""

from __future__ import annotations

from collections.abc import Mapping

from reportgen.record.compare_types import (
    BucketItem,
    Card,
    ClassificationComparisonBlock,
    ClassRow,
    ComparisonSlicesBlock,
    PairedBlock,
    RegressionComparisonBlock,
    RegressionDeltaBlock,
    SliceGroupBlock,
)
from reportgen.words.common import plural
from reportgen.words.numbers import (
    count,
    interval_num,
    interval_points,
    interval_score,
    num,
    pct,
    pvalue,
    score,
    signed,
    signed_points,
    signed_score,
)

SLICES_NAMED = 3  # the most slices the findings name

SIGNIFICANCE = 0.05
MAX_FINDINGS = 7


def p_words(p: float) -> str:
    """Write a p-value inside a sentence: 'p = 0.032', 'p < 0.001'."""
    text = pvalue(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def verdict(p: float, test: str) -> str:
    """Say whether a difference is significant at 5%, naming the test."""
    if p < SIGNIFICANCE:
        return f"the difference is significant ({test}, {p_words(p)})"
    return f"the difference is not significant ({test}, {p_words(p)}): it could be chance"


def _card(id: str, label: str, value: str, detail: str) -> Card:
    """One headline card."""
    return {"id": id, "label": label, "value": value, "detail": detail}


def _significance(p: float) -> str:
    """A card's short verdict."""
    return "significant at 5%" if p < SIGNIFICANCE else "not significant"


def classification_headline(c: ClassificationComparisonBlock) -> list[Card]:
    """The numbers a reviewer quotes about a classifier comparison."""
    name_a, name_b = c["names"]
    acc, f1 = c["deltas"]["accuracy"], c["deltas"]["macro_f1"]
    changed = plural(c["fixed"] + c["broken"], "changed row")
    return [
        _card(
            "accuracy-change",
            "Accuracy change",
            signed_points(acc["delta"], ci=acc["ci"]),
            f"{pct(acc['a'])} → {pct(acc['b'])}; 95% CI "
            f"{interval_points(acc['ci'], point=acc['delta'])}",
        ),
        _card(
            "macro-f1-change",
            "Macro F1 change",
            signed_score(f1["delta"], ci=f1["ci"]),
            f"{score(f1['a'])} → {score(f1['b'])}; 95% CI "
            f"{interval_score(f1['ci'], point=f1['delta'], signed=True)}",
        ),
        _card("fixed", "Fixed", count(c["fixed"]), f"wrong for {name_a}, right for {name_b}"),
        _card("broken", "Broken", count(c["broken"]), f"right for {name_a}, wrong for {name_b}"),
        _card(
            "significance",
            "McNemar p",
            pvalue(c["mcnemar_p"]),
            f"exact test on the {changed}: {_significance(c['mcnemar_p'])}",
        ),
    ]


def _class_finding(row: ClassRow, way: str) -> str:
    """Name the class whose F1 rose (or fell) most."""
    small = f" (small class: {plural(row['support'], 'sample')})" if row["small_support"] else ""
    return (
        f"The largest {way} is '{row['label']}'{small}: F1 {score(row['a']['f1'])} → "
        f"{score(row['b']['f1'])} ({signed_score(row['delta']['f1'], ci=row['f1_delta_ci'])}), "
        "recall "
        f"{pct(row['a']['recall'])} → {pct(row['b']['recall'])}."
    )


def _matched_by_order(method: str) -> list[str]:
    """Warn when rows were matched by their order rather than an id."""
    if method != "row order":
        return []
    return ["Rows were matched by their order in the two files: neither has an id column."]


def _classification_first(c: ClassificationComparisonBlock) -> str:
    """The first finding: what changed, and whether it could be chance."""
    name_a, name_b = c["names"]
    if c["fixed"] + c["broken"] == 0:
        return f"The two models are right and wrong on exactly the same rows ({name_a}, {name_b})."
    return (
        f"Against {name_a}, {name_b} fixes {plural(c['fixed'], 'error')} and introduces "
        f"{count(c['broken'])}; {verdict(c['mcnemar_p'], 'McNemar exact test')}."
    )


def _only_predicted(c: ClassificationComparisonBlock) -> list[str]:
    """Name the labels one model predicts and the other never does."""
    name_a, name_b = c["names"]
    rows = c["per_class"]
    only_a = [r["label"] for r in rows if r["a"]["predicted"] and not r["b"]["predicted"]]
    only_b = [r["label"] for r in rows if r["b"]["predicted"] and not r["a"]["predicted"]]
    out = []
    for labels, who, never in ((only_b, name_b, name_a), (only_a, name_a, name_b)):
        if labels:
            # labels as written: repr would double a backslash and swap the quotes
            named = ", ".join(f"'{x}'" for x in labels[:5])
            out.append(
                f"{who} predicts {named}"
                f"{f' … ({len(labels)} labels in all)' if len(labels) > 5 else ''}, which "
                f"{never} never predicts."
            )
    return out


def classification_findings(
    c: ClassificationComparisonBlock, slices: list[str] | None = None
) -> list[str]:
    """Sentences on a classifier comparison, most important first (slice findings after three)."""
    name_a, name_b = c["names"]
    acc, f1 = c["deltas"]["accuracy"], c["deltas"]["macro_f1"]
    findings = [_classification_first(c), *_matched_by_order(c["join"]["method"])]
    way = "rises" if acc["delta"] > 0 else ("falls" if acc["delta"] < 0 else "stays")
    findings.append(
        f"Accuracy {way} from {pct(acc['a'])} to {pct(acc['b'])} "
        f"({signed_points(acc['delta'], ci=acc['ci'])}, 95% CI "
        f"{interval_points(acc['ci'], point=acc['delta'])}); macro F1 from {score(f1['a'])} to "
        f"{score(f1['b'])} ({signed_score(f1['delta'], ci=f1['ci'])}, 95% CI "
        f"{interval_score(f1['ci'], point=f1['delta'], signed=True)})."
    )
    findings.extend(slices or [])
    present = [r for r in c["per_class"] if r["support"] > 0]
    gains = [r for r in present if r["delta"]["f1"] > 0]
    losses = [r for r in present if r["delta"]["f1"] < 0]
    if gains:
        findings.append(_class_finding(max(gains, key=lambda r: r["delta"]["f1"]), "gain"))
    if losses:
        findings.append(_class_finding(min(losses, key=lambda r: r["delta"]["f1"]), "loss"))
    buckets = c["buckets"]
    if buckets is not None and buckets["a"] is not None and buckets["b"] is not None:
        findings.extend(_bucket_findings(buckets["items"], name_a, name_b))
    elif buckets is not None:
        has = name_a if buckets["a"] is not None else name_b
        lacks = name_b if buckets["a"] is not None else name_a
        findings.append(
            f"Only {has} has error tags, so bucket changes cannot be counted; give {lacks} tags "
            "too (--tags SHEET applies one sheet to both)."
        )
    if c["both_wrong"]:
        differ = c["both_wrong_different"]
        findings.append(
            f"{plural(c['both_wrong'], 'row is', 'rows are')} wrong for both models"
            + (
                f"; on {count(differ)} of them the two predict different labels."
                if differ
                else ", with the same wrong label: the errors neither model fixes."
            )
        )
    findings.extend(_only_predicted(c))
    return findings[:MAX_FINDINGS]


def _bucket_findings(items: list[BucketItem], name_a: str, name_b: str) -> list[str]:
    """Name the buckets that shrank most, and any that grew."""
    moved = [(i, i["change"]) for i in items if i["change"] is not None]
    shrank_all = [i for i, ch in sorted((m for m in moved if m[1] < 0), key=lambda m: m[1])]
    grew_all = [i for i, ch in sorted((m for m in moved if m[1] > 0), key=lambda m: -m[1])]
    shrank, grew = shrank_all[:3], grew_all[:2]
    out = []
    if shrank:
        shown = ", ".join(f"'{i['name']}' {i['a']} → {i['b']}" for i in shrank)
        of = f" ({len(shrank)} of the {len(shrank_all)} that shrank)" if len(shrank_all) > 3 else ""
        out.append(f"Tagged errors that shrank most from {name_a} to {name_b}{of}: {shown}.")
    if grew:
        shown = ", ".join(f"'{i['name']}' {i['a']} → {i['b']}" for i in grew)
        of = f" (the {len(grew)} largest of {len(grew_all)})" if len(grew_all) > 2 else ""
        out.append(f"Buckets that grew{of}: {shown}.")
    elif items and not shrank:
        out.append("No tagged error bucket changed size.")
    return out


def _delta_words(d: RegressionDeltaBlock) -> str:
    """Say 'a → b (+change, 95% CI low to high)' for a metric in data units."""
    return (
        f"{num(d['a'])} → {num(d['b'])} ({signed(d['delta'], ci=d['ci'])}, 95% CI "
        f"{interval_num(d['ci'], point=d['delta'], signed=True)})"
    )


def regression_headline(c: RegressionComparisonBlock) -> list[Card]:
    """The numbers a reviewer quotes about a regression comparison."""
    d, ch = c["deltas"], c["changes"]
    r2 = d["r2"]
    p = ch["sign_test"]["exact_p"]
    return [
        *(
            _card(
                f"{key}-change",
                f"{label} change",
                signed(d[key]["delta"], ci=d[key]["ci"]),
                f"{num(d[key]['a'])} → {num(d[key]['b'])}; 95% CI "
                f"{interval_num(d[key]['ci'], point=d[key]['delta'], signed=True)}",
            )
            for key, label in (("mae", "MAE"), ("rmse", "RMSE"))
        ),
        _card(
            "r2-change",
            "R² change",
            signed_score(r2["delta"], ci=r2["ci"]),
            f"{score(r2['a'])} → {score(r2['b'])}; 95% CI "
            f"{interval_score(r2['ci'], point=r2['delta'], signed=True)}",
        ),
        _card(
            "rows-closer",
            "Rows closer",
            pct(ch["share_shrank"]),
            f"{count(ch['shrank'])} closer, {count(ch['grew'])} further off, "
            f"{count(ch['unchanged'])} unchanged",
        ),
        _card(
            "significance",
            "Sign test p",
            pvalue(p),
            f"exact test, closer against further off: {_significance(p)}",
        ),
    ]


def regression_findings(
    c: RegressionComparisonBlock,
    samples: Mapping[str, PairedBlock],
    slices: list[str] | None = None,
) -> list[str]:
    """Sentences on a regression comparison, most important first (slice findings after three)."""
    name_a, name_b = c["names"]
    d, ch = c["deltas"], c["changes"]
    findings = [
        f"Against {name_a}, {name_b} is closer to the truth on {plural(ch['shrank'], 'row')} "
        f"and further off on {count(ch['grew'])}; "
        f"{verdict(ch['sign_test']['exact_p'], 'exact sign test')}.",
        *_matched_by_order(c["join"]["method"]),
    ]
    findings.append(
        f"MAE {_delta_words(d['mae'])}; RMSE {_delta_words(d['rmse'])}; R² "
        f"{score(d['r2']['a'])} → {score(d['r2']['b'])}."
    )
    findings.extend(slices or [])
    bias = d["mean_residual"]
    findings.append(
        f"The mean residual (bias) goes from {signed(bias['a'])} to {signed(bias['b'])}; the "
        f"change has a 95% CI of {interval_num(bias['ci'], point=bias['delta'], signed=True)}."
    )
    for key, way in (("grew", "grew"), ("shrank", "shrank")):
        rows = samples[key]["rows"]
        if rows:
            r = rows[0]
            where = f"row {r['row']:,}" + (f" (id {r['id']})" if r["id"] is not None else "")
            findings.append(
                f"The error {way} most on {where}: from {num(abs(r['residual_a']))} to "
                f"{num(abs(r['residual_b']))} (true {num(float(r['true']))})."
            )
    return findings[:MAX_FINDINGS]


def _slice_change(item: SliceGroupBlock, measure: str) -> str:
    """Say how one slice's measure moved: 'from 10.0% to 25.0% (+15.0 pt)'."""
    if measure == "error_rate":
        return f"from {pct(item['a'])} to {pct(item['b'])} ({signed_points(item['change'])})"
    return f"from {num(item['a'])} to {num(item['b'])} ({signed(item['change'])})"


def slice_findings(block: ComparisonSlicesBlock | None) -> list[str]:
    """Name the slices whose change survives the adjustment, or say that none does."""
    if block is None:
        return []
    tested = block["tested"]
    measure = block["measure"]
    what = "error rate" if measure == "error_rate" else "mean absolute error"
    moved = ("fixed", "broken") if measure == "error_rate" else ("closer", "further off")
    test = "McNemar exact test" if measure == "error_rate" else "exact sign test"
    if tested == 0:
        return [
            f"No slice has the {block['min_tested_rows']} rows a test needs, so no slice's "
            "change is stated; the slice table is exploratory."
        ]
    found = [i for i in block["items"] if i["significant"]]
    if not found:
        return [
            f"No slice's change in {what} stands out from chance once adjusted over the "
            f"{plural(tested, 'slice')} tested ({test}, Holm at 5%)."
        ]
    # the worst first, and the largest improvement if one survives
    worse = [i for i in found if i["change"] > 0]
    better = [i for i in found if i["change"] < 0]
    named = worse[: SLICES_NAMED - 1] + better[-1:] if better else worse[:SLICES_NAMED]
    out = []
    for item in named:
        assert item["p_adjusted"] is not None
        way = "rises" if item["change"] > 0 else "falls"
        out.append(
            f"In the slice {item['name']} ({plural(item['n'], 'row')}) the {what} {way} "
            f"{_slice_change(item, measure)}: {count(item['better'])} {moved[0]}, "
            f"{count(item['worse'])} {moved[1]} ({test}, Holm-adjusted over "
            f"{plural(tested, 'slice')}: {p_words(item['p_adjusted'])})."
        )
    if len(found) > len(named):
        out.append(
            f"{plural(len(found), 'slice')} in all change beyond chance; the slice table lists "
            "them first."
        )
    return out
