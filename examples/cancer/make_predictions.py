"""Regenerate examples/cancer/predictions.csv.

A binary classifier on scikit-learn's bundled breast-cancer data (569 tumours, malignant
or benign), with out-of-fold probabilities from 5-fold cross validation and a deliberately
thin feature set (3 of the 30 measurements), so that it makes errors worth analysing.
A `split` column and two metadata columns (tumour size and texture) are kept to slice by.

    python examples/cancer/make_predictions.py            # writes predictions.csv beside it
    python examples/cancer/make_predictions.py -o FILE    # writes elsewhere

The same library versions give the same bytes. The model is fit to convergence, so other
versions give the same labels and probabilities within 0.001 (the last decimal written);
tests/test_examples.py checks a rerun this way.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
FEATURES = ["mean smoothness", "mean texture", "mean symmetry"]


def make_predictions() -> pd.DataFrame:
    """Fit the example classifier out of fold and return its predictions with metadata."""
    data = load_breast_cancer(as_frame=True)
    x = data.frame[FEATURES]
    # in this data set 0 is malignant: name the classes as a clinician would
    y = np.where(data.target == 0, "malignant", "benign")
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    # run to convergence (the loss is strictly convex, so this is its one minimum whatever the
    # library version); lbfgs at its default tol stops where the version decides
    model = make_pipeline(
        StandardScaler(), LogisticRegression(solver="newton-cg", tol=1e-10, max_iter=1000)
    )
    proba = cross_val_predict(model, x, y, cv=folds, method="predict_proba").round(3)
    classes = sorted(set(y))  # cross_val_predict orders the columns as the sorted classes
    malignant = proba[:, classes.index("malignant")]
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "id": [f"tumour-{i:03d}" for i in range(len(y))],
            "y_true": y,
            "y_pred": np.where(malignant >= 0.5, "malignant", "benign"),
            "proba_malignant": malignant,
            "proba_benign": proba[:, classes.index("benign")],
            "split": rng.choice(["dev", "test"], size=len(y), p=[0.5, 0.5]),
            "radius": data.frame["mean radius"].round(2),
            "texture": data.frame["mean texture"].round(2),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    make_predictions().to_csv(args.output, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
