"""The words of a regression report: headline cards and findings, from its record."""

from __future__ import annotations

from reportgen.record.regression_types import RegressionBlock, RegressionRecord
from reportgen.record.types import HeadlineCard, SampleRowBlock
from reportgen.words.common import in_sample, plural, stands_out
from reportgen.words.numbers import interval_num, num, pvalue, score, signed


def _bias_words(reg: RegressionBlock) -> tuple[str, str]:
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


def _relative_bias(mean: float, rest: float | None) -> str:
    """Say which way a group's mean residual leans from the other rows' (None: from zero)."""
    return "under-predicts" if mean > (rest or 0.0) else "over-predicts"


def regression_pattern_findings(record: RegressionRecord) -> list[str]:
    """The trend, prediction bin and group that survive the report's tests, or one sentence
    saying none does (the family: record['slices'])."""
    slices, trend = record["slices"], record["regression"]["trend"]
    mae = record["regression"].get("trend_mae")
    alpha = slices["alpha"]
    # trend and slices come from the same rows: a streamed read's sample, or every row
    sampled = in_sample(sum(t["n"] for t in trend), record["regression"]["n"])
    out = []
    if mae is not None and stands_out(mae["p_adjusted"], alpha):
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
    bins = [t for t in trend if stands_out(t["p_adjusted"], alpha)]
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
    groups = [
        (c, g) for c in slices["columns"] for g in c["groups"] if stands_out(g["p_adjusted"], alpha)
    ]
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
        (
            "trend in the error size",
            family["trends"],
            not stands_out(None if mae is None else mae["p_adjusted"], alpha),
        ),
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


def _worst_row(record: RegressionRecord) -> SampleRowBlock | None:
    """The row missed by most, of the first rows of both largest-error tables."""
    rows = [
        r
        for key in ("under_predicted", "over_predicted")
        for r in record["samples"][key]["rows"][:1]
    ]
    if not rows:
        return None
    worst: SampleRowBlock = max(rows, key=lambda r: (abs(r["residual"] or 0.0), -r["row"]))
    return worst


def _row_name(row: SampleRowBlock) -> str:
    return f"row {row['row']:,}" + (f" (id {row['id']})" if row["id"] is not None else "")


def regression_headline(record: RegressionRecord) -> list[HeadlineCard]:
    """The numbers a reviewer quotes for a regression model, each with its meaning."""
    reg = record["regression"]
    ci = reg["intervals"]
    cards: list[HeadlineCard] = [
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
                "detail": f"{_row_name(worst)}: true {num(float(worst['true']))}, "
                f"predicted {num(float(worst['pred']))}",
            }
        )
    return cards


def regression_findings(record: RegressionRecord) -> list[str]:
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
            f"The largest error is {_row_name(worst)}: true {num(float(worst['true']))}, predicted "
            f"{num(float(worst['pred']))}."
        )
    if reg["mape_note"]:
        findings.append(reg["mape_note"])
    return findings
