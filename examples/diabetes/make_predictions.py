"""Regenerate examples/diabetes/predictions.csv.

A ridge regression on scikit-learn's bundled diabetes data (442 patients, disease
progression one year after baseline), with out-of-fold predictions from 5-fold cross
validation, so that every patient has a prediction from a model that did not see them.
Metadata columns (age, sex, bmi, blood pressure) are kept to slice residuals by.

    python examples/diabetes/make_predictions.py            # writes predictions.csv beside it
    python examples/diabetes/make_predictions.py -o FILE    # writes elsewhere

The same library versions give the same bytes. Ridge regression has a closed-form solution,
so other versions give predictions within 0.1 (the decimal written);
tests/test_examples.py checks a rerun this way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, cross_val_predict

HERE = Path(__file__).resolve().parent


def make_predictions() -> pd.DataFrame:
    """Fit the example regressor out of fold and return its predictions with metadata."""
    scaled = load_diabetes(scaled=True)
    raw = load_diabetes(scaled=False)
    folds = KFold(n_splits=5, shuffle=True, random_state=0)
    pred = cross_val_predict(Ridge(alpha=0.1), scaled.data, scaled.target, cv=folds)
    features = pd.DataFrame(raw.data, columns=raw.feature_names)
    return pd.DataFrame(
        {
            "id": [f"patient-{i:03d}" for i in range(len(raw.target))],
            "y_true": raw.target.astype(int),
            "y_pred": pred.round(1),
            "age": features["age"].astype(int),
            "sex": features["sex"].map({1.0: "group 1", 2.0: "group 2"}),
            "bmi": features["bmi"].round(1),
            "blood_pressure": features["bp"].round(1),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    make_predictions().to_csv(args.output, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
