"""Regenerate examples/digits/predictions.csv byte for byte.

A logistic regression trained on 200 images of scikit-learn's bundled digits data and
evaluated on the other 1,597: accurate enough to be realistic, wrong often enough to
have something to analyse.

    python examples/digits/make_predictions.py            # writes predictions.csv beside it
    python examples/digits/make_predictions.py -o FILE    # writes elsewhere
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

HERE = Path(__file__).resolve().parent


def make_predictions() -> pd.DataFrame:
    """Train the example classifier and return its test-set predictions."""
    digits = load_digits()
    index = np.arange(len(digits.target))
    train, test = train_test_split(index, train_size=200, random_state=0, stratify=digits.target)
    test = np.sort(test)
    # strong regularisation keeps the probabilities soft, as real models' often are
    model = LogisticRegression(C=0.01, max_iter=5000)
    model.fit(digits.data[train], digits.target[train])
    proba = model.predict_proba(digits.data[test]).round(3)
    frame = pd.DataFrame(
        {
            "id": [f"digit-{i:04d}" for i in test],
            "y_true": digits.target[test],
            "y_pred": model.classes_[np.argmax(proba, axis=1)],
        }
    )
    for k, label in enumerate(model.classes_):
        frame[f"proba_{label}"] = proba[:, k]
    # metadata to show beside misclassified samples: how much ink the 8x8 image holds
    frame["ink"] = digits.data[test].sum(axis=1).astype(int)
    frame["dark_pixels"] = (digits.data[test] >= 8).sum(axis=1)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    make_predictions().to_csv(args.output, index=False, float_format="%.3f", lineterminator="\n")


if __name__ == "__main__":
    main()
