"""Regenerate examples/inspection_retrained/predictions.csv.

The inspection example's model, retrained after its error analysis. Its report on the dev
split addresses two buckets first: "rare class" (severe_tube_defect never reached the train
split; the fix is to collect examples, which takes time) and "dark" (pictures too dark to
show the defect), for which the playbook suggests random brightness and contrast
augmentation. That experiment was run. This script simulates the result on the same 600
pictures: most errors on dark pictures are fixed, a share of the other errors too, the class
missing from the train split stays out of reach, and a few pictures the old model got right
are now wrong, as happens with any retraining. Which errors come from dark pictures is
replayed from the baseline's own simulation (../inspection/make_example.py, same seed), so
the fixes reach every split, not only the reviewed rows. Same ids, images and columns as the
baseline. Needs numpy, pandas and Pillow (for the baseline's script).

    python examples/inspection_retrained/make_predictions.py            # writes beside it
    python examples/inspection_retrained/make_predictions.py -o FILE    # writes elsewhere

One seeded numpy generator makes every choice, so the same numpy gives the same bytes;
tests/test_examples.py checks a rerun by its ids, labels and probabilities (within 0.001).

Compare the two models with:

    reportgen compare examples/inspection/predictions.csv \
        examples/inspection_retrained/predictions.csv --model baseline --model retrained \
        --image-root examples/inspection --tags examples/inspection/review.csv -o compare.html
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BASELINE = HERE.parent / "inspection"
SEED = 20240612
DARK = "dark"
RARE_CLASS = "severe_tube_defect"  # never in the train split, so retraining cannot learn it
FIX_DARK = 0.9  # share of the errors on dark pictures the brightness augmentation fixes
FIX_RARE = 0.05  # the class that never reached the train split stays out of reach
FIX_OTHER = 0.3  # errors of other causes fixed by the extra training
NEW_ERRORS = 6  # pictures the baseline got right and the retrained model gets wrong


def baseline_causes() -> dict[str, set[str]]:
    """Replay the baseline's simulation (same seed) for why each of its predictions failed."""
    spec = importlib.util.spec_from_file_location("make_example", BASELINE / "make_example.py")
    assert spec is not None and spec.loader is not None
    baseline = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = baseline  # its dataclasses look their module up there
    spec.loader.exec_module(baseline)
    rng = np.random.default_rng(baseline.SEED)
    items = baseline.plan_items(rng)
    baseline.simulate_model(items, rng)
    baseline.add_label_noise(items, rng)
    return {item.id: set(item.causes) for item in items}


def reshape(
    probs: np.ndarray, pred: int, rng: np.random.Generator, *, confident: bool
) -> np.ndarray:
    """Give a row new probabilities with `pred` the largest, rounded to 3 decimals."""
    top = rng.uniform(0.6, 0.9) if confident else rng.uniform(0.52, 0.68)
    rest = probs.copy()
    rest[pred] = 0.0
    rest = rest + 0.01
    rest[pred] = 0.0
    rest = rest / rest.sum() * (1.0 - top)
    out = np.round(rest, 3)
    out[pred] = round(1.0 - float(out.sum()), 3)
    return out


def jitter(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Move an unchanged row's probabilities a little, keeping the predicted class on top."""
    pred = int(np.argmax(probs))
    moved = probs * np.exp(rng.normal(0.0, 0.08, probs.size))
    moved = moved / moved.sum()
    if int(np.argmax(moved)) != pred:
        moved = probs
    out = np.round(moved, 3)
    out[pred] = round(1.0 - float(out.sum() - out[pred]), 3)
    return out


def make_predictions() -> str:
    """Return the retrained model's prediction file as CSV text."""
    with (BASELINE / "predictions.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    causes_of = baseline_causes()
    col = {name: i for i, name in enumerate(header)}
    proba_cols = [i for i, name in enumerate(header) if name.startswith("proba_")]
    classes = [header[i][len("proba_") :] for i in proba_cols]
    rng = np.random.default_rng(SEED)
    right = [i for i, r in enumerate(rows) if r[col["y_true"]] == r[col["y_pred"]]]
    newly_wrong = set(rng.choice(right, size=NEW_ERRORS, replace=False).tolist())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for i, row in enumerate(rows):
        probs = np.array([float(row[j]) for j in proba_cols])
        true, pred = row[col["y_true"]], row[col["y_pred"]]
        draw = rng.random()  # one draw per row, so each row's fate is independent of the others
        if true != pred:
            causes = causes_of[row[col["id"]]]
            rare = "rare class" in causes or true == RARE_CLASS
            chance = FIX_RARE if rare else FIX_DARK if DARK in causes else FIX_OTHER
            if draw < chance:
                pred = true
                probs = reshape(probs, classes.index(pred), rng, confident=True)
            else:
                probs = jitter(probs, rng)
        elif i in newly_wrong:
            # the retrained model now takes it for the class the baseline found next likeliest
            order = np.argsort(-probs, kind="stable")
            pred = classes[int(order[1])]
            probs = reshape(probs, classes.index(pred), rng, confident=False)
        else:
            probs = jitter(probs, rng)
        row = list(row)
        row[col["y_pred"]] = pred
        for j, p in zip(proba_cols, probs, strict=True):
            row[j] = f"{p:.3f}"
        writer.writerow(row)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    args.output.write_text(make_predictions(), encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
