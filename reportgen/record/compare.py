"""The comparison report: two models' predictions on the same rows, their changes and flips."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from reportgen.analysis.buckets import BucketResult, Tags, analyze_buckets
from reportgen.analysis.classification import SMALL_SUPPORT
from reportgen.analysis.compare import (
    BucketChange,
    ClassDelta,
    ClassificationComparison,
    Delta,
    Joined,
    PairedTable,
    PairedTest,
    RegressionComparison,
    RegressionDelta,
    compare_buckets,
    compare_classification,
    compare_regression,
    keep_tags,
    largest_changes,
    paired_rows,
    sample_positions,
)
from reportgen.analysis.samples import MAX_TEXT
from reportgen.read.images import ImageLoader
from reportgen.read.table import PredictionTable
from reportgen.read.tags import normalize_tag
from reportgen.record.blocks import classification_block, regression_block
from reportgen.record.common import Meta
from reportgen.record.samples import attach_thumbnails
from reportgen.render import Section
from reportgen.render.sections import provenance_section
from reportgen.report import Assembled
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
    units_of,
)

LARGEST_CHANGES = 20
MATRIX_TABLE_LIMIT = 40
SIGNIFICANCE = 0.05


@dataclass(frozen=True)
class CompareOptions:
    """How to compare: the two names, the sample tables, tags and images."""

    names: tuple[str, str]
    max_samples: int = 50
    seed: int = 0
    tags_a: str | None = None  # a tag sheet for A's rows (None: A's buckets column, if any)
    tags_b: str | None = None
    separators: str = ";|,"
    image_root: str | None = None


@dataclass(frozen=True)
class PartialSection(Section):
    """A section whose partial is not named after its id (the comparison's provenance)."""

    partial: str = ""

    @property
    def template(self) -> str:
        return f"sections/{self.partial or self.id}.html.j2"


# ---------------------------------------------------------------- words


def _p_words(p: float) -> str:
    text = pvalue(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _verdict(p: float, test: str) -> str:
    if p < SIGNIFICANCE:
        return f"the difference is significant ({test}, {_p_words(p)})"
    return f"the difference is not significant ({test}, {_p_words(p)}): it could be chance"


def _card(id: str, label: str, value: str, detail: str) -> dict[str, Any]:
    return {"id": id, "label": label, "value": value, "detail": detail}


def _significance(p: float) -> str:
    return "significant at 5%" if p < SIGNIFICANCE else "not significant"


def classification_headline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The numbers a reviewer quotes about a classifier comparison."""
    c = record["comparison"]
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


def _class_finding(row: dict[str, Any], way: str) -> str:
    small = f" (small class: {plural(row['support'], 'sample')})" if row["small_support"] else ""
    return (
        f"The largest {way} is '{row['label']}'{small}: F1 {score(row['a']['f1'])} → "
        f"{score(row['b']['f1'])} ({signed_score(row['delta']['f1'], ci=row['f1_delta_ci'])}), "
        "recall "
        f"{pct(row['a']['recall'])} → {pct(row['b']['recall'])}."
    )


def classification_findings(record: dict[str, Any]) -> list[str]:
    """Sentences on a classifier comparison, most important first."""
    c = record["comparison"]
    name_a, name_b = c["names"]
    acc, f1 = c["deltas"]["accuracy"], c["deltas"]["macro_f1"]
    if c["fixed"] + c["broken"] == 0:
        first = f"The two models are right and wrong on exactly the same rows ({name_a}, {name_b})."
    else:
        first = (
            f"Against {name_a}, {name_b} fixes {plural(c['fixed'], 'error')} and introduces "
            f"{count(c['broken'])}; {_verdict(c['mcnemar_p'], 'McNemar exact test')}."
        )
    findings = [first]
    if c["join"]["method"] == "row order":
        findings.append(
            "Rows were matched by their order in the two files: neither has an id column."
        )
    way = "rises" if acc["delta"] > 0 else ("falls" if acc["delta"] < 0 else "stays")
    findings.append(
        f"Accuracy {way} from {pct(acc['a'])} to {pct(acc['b'])} "
        f"({signed_points(acc['delta'], ci=acc['ci'])}, 95% CI "
        f"{interval_points(acc['ci'], point=acc['delta'])}); macro F1 from {score(f1['a'])} to "
        f"{score(f1['b'])} ({signed_score(f1['delta'], ci=f1['ci'])}, 95% CI "
        f"{interval_score(f1['ci'], point=f1['delta'], signed=True)})."
    )
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
    only_a = [r["label"] for r in c["per_class"] if r["a"]["predicted"] and not r["b"]["predicted"]]
    only_b = [r["label"] for r in c["per_class"] if r["b"]["predicted"] and not r["a"]["predicted"]]
    for labels, who, never in ((only_b, name_b, name_a), (only_a, name_a, name_b)):
        if labels:
            # labels as written: repr would double a backslash and swap the quotes
            named = ", ".join(f"'{x}'" for x in labels[:5])
            findings.append(
                f"{who} predicts {named}"
                f"{f' … ({len(labels)} labels in all)' if len(labels) > 5 else ''}, which "
                f"{never} never predicts."
            )
    return findings[:7]


def _bucket_findings(items: list[dict[str, Any]], name_a: str, name_b: str) -> list[str]:
    """Name the buckets that shrank most, and any that grew."""
    shrank_all = sorted((i for i in items if i["change"] < 0), key=lambda i: i["change"])
    grew_all = sorted((i for i in items if i["change"] > 0), key=lambda i: -i["change"])
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


def _delta_words(d: dict[str, Any]) -> str:
    """Say 'a → b (+change, 95% CI low to high)' for a metric in data units."""
    return (
        f"{num(d['a'])} → {num(d['b'])} ({signed(d['delta'], ci=d['ci'])}, 95% CI "
        f"{interval_num(d['ci'], point=d['delta'], signed=True)})"
    )


def regression_headline(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The numbers a reviewer quotes about a regression comparison."""
    c = record["comparison"]
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


def regression_findings(record: dict[str, Any]) -> list[str]:
    """Sentences on a regression comparison, most important first."""
    c = record["comparison"]
    name_a, name_b = c["names"]
    d, ch = c["deltas"], c["changes"]
    findings = [
        f"Against {name_a}, {name_b} is closer to the truth on {plural(ch['shrank'], 'row')} "
        f"and further off on {count(ch['grew'])}; "
        f"{_verdict(ch['sign_test']['exact_p'], 'exact sign test')}."
    ]
    if c["join"]["method"] == "row order":
        findings.append(
            "Rows were matched by their order in the two files: neither has an id column."
        )
    findings.append(
        f"MAE {_delta_words(d['mae'])}; RMSE {_delta_words(d['rmse'])}; R² "
        f"{score(d['r2']['a'])} → {score(d['r2']['b'])}."
    )
    bias = d["mean_residual"]
    findings.append(
        f"The mean residual (bias) goes from {signed(bias['a'])} to {signed(bias['b'])}; the "
        f"change has a 95% CI of {interval_num(bias['ci'], point=bias['delta'], signed=True)}."
    )
    for key, way in (("grew", "grew"), ("shrank", "shrank")):
        rows = record["samples"][key]["rows"]
        if rows:
            r = rows[0]
            where = f"row {r['row']:,}" + (f" (id {r['id']})" if r["id"] is not None else "")
            findings.append(
                f"The error {way} most on {where}: from {num(abs(r['residual_a']))} to "
                f"{num(abs(r['residual_b']))} (true {num(r['true'])})."
            )
    return findings[:7]


# ---------------------------------------------------------------- record blocks


def _delta_block(d: Delta) -> dict[str, Any]:
    return {"a": d.a, "b": d.b, "delta": d.delta, "ci": None if d.ci is None else list(d.ci)}


def _regression_delta_block(d: RegressionDelta) -> dict[str, Any]:
    return {"a": d.a, "b": d.b, "delta": d.delta, "ci": None if d.ci is None else asdict(d.ci)}


def _buckets_side(result: BucketResult | None, outside: int) -> dict[str, Any] | None:
    if result is None:
        return None
    return {
        "source": result.source,
        "total_errors": result.total_errors,
        "tagged_errors": result.tagged_errors,
        "untagged_errors": result.untagged_errors,
        "tagged_correct": result.tagged_correct,
        "tagged_outside": outside,
    }


def buckets_block(
    a: BucketResult | None,
    b: BucketResult | None,
    changes: list[BucketChange],
    *,
    shared: bool,
    outside: tuple[int, int] = (0, 0),
) -> dict[str, Any] | None:
    """Describe the bucket counts of both sides (None when neither side has tags).

    `outside` counts each side's tagged rows that the comparison leaves out (rows outside the
    evaluated splits): they are not counted anywhere else.
    """
    if a is None and b is None:
        return None
    return {
        "a": _buckets_side(a, outside[0]),
        "b": _buckets_side(b, outside[1]),
        "shared_sheet": shared,
        "items": [
            {
                "name": ch.name,
                "a": ch.a,
                "b": ch.b,
                "change": None if ch.a is None or ch.b is None else ch.b - ch.a,
            }
            for ch in changes
        ],
    }


def _test_block(test: PairedTest, keys: tuple[str, str], text: str) -> dict[str, Any]:
    return {
        keys[0]: test.b,
        keys[1]: test.c,
        "exact_p": test.exact_p,
        "mid_p": test.mid_p,
        "words_use": "exact_p",
        "test": text,
    }


def _class_row(row: ClassDelta, predicted_a: int, predicted_b: int) -> dict[str, Any]:
    metrics = (row.precision, row.recall, row.f1)
    names = ("precision", "recall", "f1")
    return {
        "label": row.label,
        "support": row.support,
        "small_support": row.small_support,
        "a": dict(zip(names, (m.a for m in metrics), strict=True)) | {"predicted": predicted_a},
        "b": dict(zip(names, (m.b for m in metrics), strict=True)) | {"predicted": predicted_b},
        "delta": dict(zip(names, (m.delta for m in metrics), strict=True)),
        "f1_delta_ci": None if row.f1.ci is None else list(row.f1.ci),
    }


def comparison_block(
    comp: ClassificationComparison,
    joined: Joined,
    names: tuple[str, str],
) -> dict[str, Any]:
    """Describe a classifier comparison as plain JSON data."""
    test = comp.test
    return {
        "task": "classification",
        "names": list(names),
        "n": comp.n,
        "join": join_block(joined),
        "fixed": comp.fixed,
        "broken": comp.broken,
        "mcnemar_p": test.exact_p,
        "mcnemar": _test_block(
            test,
            ("fixed", "broken"),
            "McNemar's test on the rows only one model gets right: two-sided exact binomial "
            "test of fixed against broken with p = 1/2; the mid-p subtracts the probability of "
            "the observed split once",
        ),
        "both_correct": comp.both_correct,
        "both_wrong": comp.both_wrong,
        "both_wrong_same": comp.both_wrong_same,
        "both_wrong_different": comp.both_wrong_different,
        "shares": {
            key: getattr(comp, key) / comp.n if comp.n else 0.0
            for key in (
                "both_correct",
                "fixed",
                "broken",
                "both_wrong_same",
                "both_wrong_different",
            )
        },
        "labels": list(joined.labels),
        "label_order": joined.label_kind,
        "deltas": {
            "accuracy": _delta_block(comp.accuracy),
            "macro_f1": _delta_block(comp.macro_f1),
            "weighted_f1": _delta_block(comp.weighted_f1),
            "errors": {
                "a": comp.a.errors,
                "b": comp.b.errors,
                "delta": comp.b.errors - comp.a.errors,
            },
        },
        "intervals": {
            "level": 0.95,
            "method": (
                f"paired bootstrap: {comp.resamples:,} resamples of the rows (both models' "
                f"predictions kept together), percentile intervals, seed {comp.seed}"
            ),
            "resamples": comp.resamples,
            "seed": comp.seed,
        },
        "per_class": [
            _class_row(row, ma.predicted, mb.predicted)
            for row, ma, mb in zip(comp.per_class, comp.a.per_class, comp.b.per_class, strict=True)
        ],
        "small_support_below": SMALL_SUPPORT,
        "confusion_difference": comp.confusion_difference.tolist(),
        "a": classification_block(comp.a, joined.label_kind),
        "b": classification_block(comp.b, joined.label_kind),
    }


def join_block(joined: Joined) -> dict[str, Any]:
    """Say how the rows of the two files were matched."""
    return {
        "method": joined.method,
        "id_columns": [joined.a.columns.id, joined.b.columns.id],
        "rows": joined.matched,  # every row the files share; `n` counts the compared ones
    }


def regression_comparison_block(
    comp: RegressionComparison, joined: Joined, names: tuple[str, str]
) -> dict[str, Any]:
    """Describe a regression comparison as plain JSON data."""
    test = comp.test
    return {
        "task": "regression",
        "names": list(names),
        "n": comp.n,
        "join": join_block(joined),
        "fixed": None,
        "broken": None,
        "mcnemar_p": None,
        "residual": "y_true - y_pred",
        "deltas": {
            key: _regression_delta_block(getattr(comp, key))
            for key in ("mae", "rmse", "r2", "mean_residual", "median_ae", "max_error")
        },
        "changes": {
            "shrank": comp.shrank,
            "grew": comp.grew,
            "unchanged": comp.unchanged,
            "share_shrank": comp.shrank / comp.n if comp.n else 0.0,
            "share_grew": comp.grew / comp.n if comp.n else 0.0,
            "share_unchanged": comp.unchanged / comp.n if comp.n else 0.0,
            "sign_test": _test_block(
                test,
                ("shrank", "grew"),
                "two-sided exact sign test of rows whose absolute error shrank against rows "
                "whose absolute error grew (ties left out)",
            ),
        },
        "a": regression_block(comp.a),
        "b": regression_block(comp.b),
    }


def input_block(table: PredictionTable, name: str, role: str) -> dict[str, Any]:
    """One compared file's identity, as provenance.inputs lists it."""
    s = table.source
    return {
        "role": role,
        "name": name,
        "path": s.path,
        "format": s.format,
        "size": s.size,
        "sha256": s.sha256,
        "rows": table.n,
        "rows_read": table.rows_read,
        "rows_dropped": table.rows_dropped,
        "columns": table.columns.as_record(),
    }


# ---------------------------------------------------------------- samples


REGRESSION_ONLY = ("residual_a", "residual_b", "change")
CLASSIFICATION_ONLY = ("confidence_a", "confidence_b")


def paired_block(table: PairedTable) -> dict[str, Any]:
    """Describe paired rows as plain JSON data, with the fields of their task only."""
    regression = any(r.change is not None for r in table.rows)
    drop = CLASSIFICATION_ONLY if regression else REGRESSION_ONLY
    return {
        "total": table.total,
        "shown": len(table.rows),
        "seed": table.seed,
        "sample_column": table.sample_column,
        "columns": list(table.extra_columns),
        "rows": [{k: v for k, v in asdict(r).items() if k not in drop} for r in table.rows],
    }


def attach_tags(
    tables: list[dict[str, Any]], positions: list[np.ndarray], tags: list[Tags | None]
) -> None:
    """Show each row's tags from either side's tags, as written, each cause once."""
    for table, where in zip(tables, positions, strict=True):
        for row, pos in zip(table["rows"], where.tolist(), strict=True):
            seen: dict[str, str] = {}
            for side in tags:
                for tag in [] if side is None else side.by_row.get(pos, []):
                    seen.setdefault(normalize_tag(tag), tag)
            row["tags"] = list(seen.values())


# ---------------------------------------------------------------- sections


def _provenance(record: dict[str, Any]) -> Section:
    base = provenance_section(record)
    return PartialSection(
        base.id, base.title, base.lead, base.context, partial="compare-provenance"
    )


def classification_sections(record: dict[str, Any]) -> list[Section]:
    """The sections of a classifier comparison, in reading order."""
    c = record["comparison"]
    name_a, name_b = c["names"]
    fig = record["figures"]["confusion_difference"]
    k = len(c["labels"])
    shown = (
        f"Showing the {len(fig['labels_shown'])} classes whose counts changed most, of {k}; the "
        "table and the embedded record keep all of them. "
        if fig["truncated"]
        else ""
    )
    sections: list[Section] = [
        Section("comparison", "Comparison", ""),
        Section(
            "compare-classes",
            "Per-class changes",
            f"Precision, recall and F1 of each class for {name_a} and {name_b}, and the change. "
            "F1 changes have 95% intervals; an interval that spans zero is a change the data "
            "cannot tell from chance.",
        ),
        Section(
            "compare-confusion",
            "Confusion-matrix difference",
            f"Each cell is {name_b}'s count minus {name_a}'s for that pair of true and predicted "
            "labels. On the diagonal a positive number is more correct predictions; off it, a "
            "negative number is fewer errors.",
            {
                "caption": shown
                + f"Numbers: {name_b} − {name_a} counts; blank cells did not change. Purple: "
                f"{name_b} does better there (more on the diagonal, fewer off it); orange: worse. "
                "Bold: the diagonal.",
                "table_limit": MATRIX_TABLE_LIMIT,
            },
        ),
        Section(
            "compare-flips",
            "Fixed and broken samples",
            f"Rows whose correctness changed: fixed ones {name_a} got wrong and {name_b} gets "
            f"right, broken ones the other way round. Read the broken ones before adopting "
            f"{name_b}: they are what the change costs.",
        ),
    ]
    if c["buckets"] is not None:
        sections.append(
            Section(
                "compare-buckets",
                "Error buckets before and after",
                "Tagged errors per cause for each model: a bucket the change set out to fix "
                "should shrink, and the others should not grow.",
            )
        )
    sections.append(_provenance(record))
    return sections


def regression_sections(record: dict[str, Any]) -> list[Section]:
    """The sections of a regression comparison, in reading order."""
    name_a, name_b = record["comparison"]["names"]
    return [
        Section("comparison", "Comparison", ""),
        Section(
            "compare-residuals",
            "Paired errors",
            f"Each row's absolute error under {name_a} against under {name_b}: points below the "
            f"diagonal are rows {name_b} predicts more closely.",
        ),
        Section(
            "compare-changes",
            "Rows whose error changed most",
            f"The rows where {name_b}'s absolute error grew most, and where it shrank most, "
            f"against {name_a}: the first places to look for what the change did.",
        ),
        _provenance(record),
    ]


# ---------------------------------------------------------------- assembly


def base_record(joined: Joined, meta: Meta, names: tuple[str, str]) -> dict[str, Any]:
    """Start the record: names and the provenance of both inputs (the candidate's as input)."""
    from reportgen.record.common import base_record as single

    record = single(
        joined.b, title=meta.title, model=meta.model, created=meta.created, options=meta.options
    )
    record["task"] = "comparison"
    record["provenance"]["inputs"] = [
        input_block(joined.a, names[0], "baseline"),
        input_block(joined.b, names[1], "candidate"),
    ]
    record["provenance"]["columns"] = joined.a.columns.as_record()
    return record


def _tags(table: PredictionTable, sheet: str | None, separators: str) -> Tags | None:
    from reportgen.record.classification import LoopOptions, collect_tags

    return collect_tags(table, LoopOptions(tags=sheet, separators=separators))


def assemble_classification(joined: Joined, meta: Meta, options: CompareOptions) -> Assembled:
    """Compare two classifiers and lay out the report."""
    from reportgen.figures.compare import classification_figures
    from reportgen.playbook import load_playbook

    a, b, names = joined.a, joined.b, options.names
    comp = compare_classification(
        a.true_codes,
        a.pred_codes,
        b.pred_codes,
        joined.labels,
        confidence_a=a.confidence,
        confidence_b=b.confidence,
        seed=options.seed,
    )
    # tags are read against every joined row, so a tag on a row left out is counted as such
    # and not taken for an id that matches no prediction
    whole = joined.whole or (a, b)
    kept: list[tuple[Tags, int] | None] = [
        None if t is None else keep_tags(t, joined.kept)
        for t in (
            _tags(whole[0], options.tags_a, options.separators),
            _tags(whole[1], options.tags_b, options.separators),
        )
    ]
    tags = [None if k is None else k[0] for k in kept]
    outside = (0 if kept[0] is None else kept[0][1], 0 if kept[1] is None else kept[1][1])
    playbook = load_playbook(None)
    results = [
        None
        if t is None
        else analyze_buckets(
            t,
            true_codes=side.true_codes,
            pred_codes=side.pred_codes,
            labels=joined.labels,
            row_numbers=side.row_numbers,
            playbook=playbook,
        )
        for t, side in zip(tags, (a, b), strict=True)
    ]
    shared = options.tags_a is not None and options.tags_a == options.tags_b
    record = base_record(joined, meta, names)
    record["comparison"] = comparison_block(comp, joined, names)
    record["comparison"]["buckets"] = buckets_block(
        results[0],
        results[1],
        compare_buckets(results[0], results[1]),
        shared=shared,
        outside=outside,
    )

    right_a, right_b = a.true_codes == a.pred_codes, b.true_codes == b.pred_codes
    has_images = options.image_root is not None and (
        a.columns.sample is not None or b.columns.sample is not None
    )
    max_text = None if has_images else MAX_TEXT
    where = []
    for mask, seed in ((~right_a & right_b, options.seed), (right_a & ~right_b, options.seed + 1)):
        where.append(
            sample_positions(
                mask, max_samples=options.max_samples, seed=seed, row_numbers=joined.b.row_numbers
            )
        )
    tables = [
        paired_block(
            paired_rows(joined, where[0], total=comp.fixed, seed=options.seed, max_text=max_text)
        ),
        paired_block(
            paired_rows(
                joined, where[1], total=comp.broken, seed=options.seed + 1, max_text=max_text
            )
        ),
    ]
    if any(t is not None for t in tags):
        attach_tags(tables, where, tags)
    thumbnails: dict[str, dict[str, Any]] = {}
    if has_images:
        assert options.image_root is not None
        images = ImageLoader(options.image_root)
        thumbnails = attach_thumbnails(tables, images)
        record["images"] = asdict(images.summary())
    record["samples"] = {"fixed": tables[0], "broken": tables[1]}

    figures, record["figures"] = classification_figures(comp, names=names)
    record["summary"] = {
        "headline": classification_headline(record),
        "findings": classification_findings(record),
    }
    sections = classification_sections(record)
    record["sections"] = [s.id for s in sections]
    return Assembled(record, figures, sections, thumbnails)


def assemble_regression(joined: Joined, meta: Meta, options: CompareOptions) -> Assembled:
    """Compare two regressors and lay out the report."""
    from reportgen.analysis.regression import DENSITY_ABOVE
    from reportgen.figures.compare import regression_figures

    a, b, names = joined.a, joined.b, options.names
    y_true, pred_a, pred_b = a.y_true_values, a.y_pred_values, b.y_pred_values
    assert y_true is not None and pred_a is not None and pred_b is not None
    comp = compare_regression(y_true, pred_a, pred_b)
    change = np.abs(y_true - pred_b) - np.abs(y_true - pred_a)
    limit = min(LARGEST_CHANGES, options.max_samples)
    grew, n_grew = largest_changes(change, limit=limit, grew=True)
    shrank, n_shrank = largest_changes(change, limit=limit, grew=False)
    record = base_record(joined, meta, names)
    record["comparison"] = regression_comparison_block(comp, joined, names)
    record["samples"] = {
        "grew": paired_block(paired_rows(joined, grew, total=n_grew, seed=0, max_text=MAX_TEXT)),
        "shrank": paired_block(
            paired_rows(joined, shrank, total=n_shrank, seed=0, max_text=MAX_TEXT)
        ),
    }
    density = comp.n > DENSITY_ABOVE
    record["figures"] = {"paired_errors": {"density": density, "points": comp.n}}
    figures = regression_figures(y_true, pred_a, pred_b, names=names, density=density)
    with units_of(record):
        record["summary"] = {
            "headline": regression_headline(record),
            "findings": regression_findings(record),
        }
    sections = regression_sections(record)
    record["sections"] = [s.id for s in sections]
    return Assembled(record, figures, sections)
