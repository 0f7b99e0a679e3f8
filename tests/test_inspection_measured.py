"""Measured, not assumed: the inspection example's pictures against its generator's truth.

examples/inspection/make_example.py draws each picture blurry or dark from one seeded
generator, before anything else; its `plan_items`, `simulate_model` and `add_label_noise`
are called here with the same seed, so the truth is the generator's own (checked against the
committed predictions.csv), and the committed pictures are measured as a report would.

Rows: all 600 pictures (every split): the truth covers them all. On the dev split alone (125
rows, 36 errors) no bin of any property is significant after Holm, so no bucket is made there.

What the pictures allow, measured (the thresholds are the documented ones, not tuned here):

- the measures rank the causes perfectly: the 81 least sharp pictures are the 81 blurry
  ones, the 73 darkest the 73 dark ones;
- "blurry" (the lowest 10% of sharpness) takes 60 pictures, all blurry: precision 1.00,
  recall 60/81 = 0.74, capped by the 10% (the generator blurs 13.5% of its pictures);
  "dark" (the lowest 10% of brightness) takes 60, all dark: precision 1.00, recall 0.82;
- the "blurry" bucket is made (19 of its 60 rows err, 31.7% against 13.3%, Holm-adjusted
  p 0.013); its 19 erring rows are all of blurry pictures (precision 1.00) and are 19 of the
  22 errors on blurry pictures (recall 0.86);
- no "dark" bucket is made: its 60 rows err at 26.7% against 13.9% (p 0.011, adjusted over
  the 27 tested bins 0.24), since the generator's dark pictures of ok tubes err at 3%.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

from reportgen.analysis.property_buckets import (
    CONDITIONS,
    PropertyBucketResult,
    _condition,
    property_buckets,
)
from reportgen.read.image_measure import measure_images

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "inspection"


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "inspection_make_example", EXAMPLE / "make_example.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


@dataclass
class Measured:
    blurry: np.ndarray  # the generator's truth, per row
    dark: np.ndarray
    errors: np.ndarray
    columns: dict[str, np.ndarray]
    result: PropertyBucketResult


@pytest.fixture(scope="module")
def measured() -> Measured:
    make = generator()
    rng = np.random.default_rng(make.SEED)
    items = make.plan_items(rng)  # the conditions come first from the generator
    make.simulate_model(items, rng)
    make.add_label_noise(items, rng)
    frame = pd.read_csv(EXAMPLE / "predictions.csv")
    # the regenerated truth is the committed example's
    assert frame["id"].tolist() == [it.id for it in items]
    assert frame["y_true"].tolist() == [it.label for it in items]
    assert frame["y_pred"].tolist() == [it.pred for it in items]
    errors = (frame["y_true"] != frame["y_pred"]).to_numpy()
    pictures = measure_images(EXAMPLE, frame["image"].tolist(), cache=False)
    assert pictures.measured.all()
    columns = pictures.row_columns()
    # a property the generator never used: a seeded random number per row
    columns["random"] = np.random.default_rng(17).random(len(frame))
    return Measured(
        blurry=np.array([it.blurry for it in items]),
        dark=np.array([it.dark for it in items]),
        errors=errors,
        columns=columns,
        result=property_buckets(columns, errors),
    )


def flagged(m: Measured, name: str) -> np.ndarray:
    condition = next(c for c in CONDITIONS if c.name == name)
    values = m.columns[condition.property]
    made = _condition(condition, values, np.isfinite(values))
    assert made is not None
    return made[1]


def precision_recall(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    hits = int((found & truth).sum())
    return hits / int(found.sum()), hits / int(truth.sum())


def test_the_measures_rank_the_generators_causes(measured: Measured) -> None:
    for column, truth in (("sharpness", measured.blurry), ("brightness", measured.dark)):
        lowest = np.zeros(truth.size, dtype=bool)
        lowest[np.argsort(measured.columns[column], kind="stable")[: int(truth.sum())]] = True
        precision, recall = precision_recall(lowest, truth)  # equal at the truth's own count
        assert precision > 0.9 and recall > 0.9, (column, precision, recall)


def test_dark_condition_recovers_the_dark_pictures(measured: Measured) -> None:
    precision, recall = precision_recall(flagged(measured, "dark"), measured.dark)
    assert precision > 0.8 and recall > 0.8, (precision, recall)


def test_blurry_condition_is_precise_and_capped_by_its_ten_percent(measured: Measured) -> None:
    found = flagged(measured, "blurry")
    precision, recall = precision_recall(found, measured.blurry)
    assert precision > 0.8
    # 10% of 600 pictures, 81 blurry ones: recall can be at most 60/81 = 0.74
    assert int(found.sum()) == 60 and recall == pytest.approx(60 / int(measured.blurry.sum()))


@pytest.mark.xfail(
    strict=True,
    reason="the lowest 10% of sharpness holds 60 pictures and the generator blurs 81: recall "
    "0.74; the threshold is the documented one, not tuned to the example",
)
def test_blurry_condition_recall_above_0_8(measured: Measured) -> None:
    assert precision_recall(flagged(measured, "blurry"), measured.blurry)[1] > 0.8


def test_blurry_bucket_holds_the_errors_on_blurry_pictures(measured: Measured) -> None:
    buckets = {b.name: b for b in measured.result.buckets}
    assert "blurry" in buckets
    found = np.zeros(measured.errors.size, dtype=bool)
    found[buckets["blurry"].error_rows] = True
    precision, recall = precision_recall(found, measured.blurry & measured.errors)
    assert precision > 0.8 and recall > 0.8, (precision, recall)


@pytest.mark.xfail(
    strict=True,
    reason="dark pictures err at 26.7% against 13.9% (p 0.011), not significant after Holm "
    "over the 27 tested bins (0.24): the generator's dark ok pictures err at 3%",
)
def test_dark_bucket_is_made(measured: Measured) -> None:
    assert "dark" in {b.name for b in measured.result.buckets}


def test_properties_the_generator_did_not_use_make_no_bucket(measured: Measured) -> None:
    by_property = {p.property: p for p in measured.result.properties}
    assert by_property["aspect_ratio"].kind == "constant"  # every picture is 64 x 64
    for name in ("aspect_ratio", "random"):
        assert all(
            b.p_adjusted is None or b.p_adjusted >= 0.05
            for b in by_property[name].bins + by_property[name].conditions
        )
    assert {b.property for b in measured.result.buckets} <= {"sharpness", "brightness"}
