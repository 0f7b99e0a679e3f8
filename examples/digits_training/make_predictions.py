"""Regenerate examples/digits_training/predictions.csv.

A small neural network (scikit-learn's MLPClassifier, one hidden layer of 32 units)
trained on scikit-learn's bundled digits data for 10 epochs with partial_fit; after each epoch it
predicts the same 300 held-out images, so the file holds one row per test image per epoch
(id, step, y_true, y_pred, proba_0..proba_9): the input of the training-evolution section.

    python examples/digits_training/make_predictions.py          # writes predictions.csv beside it
    python examples/digits_training/make_predictions.py -o FILE  # writes elsewhere
    reportgen build examples/digits_training/predictions.csv --step step -o evolution.html

The same library versions give the same bytes (the last-bit differences between CPUs' BLAS
kernels lie far below the 3 decimals written). The network is trained for 10 epochs, not to
convergence, so a scikit-learn release that changed how MLPClassifier trains would change
the file; tests/test_examples.py checks a rerun's labels, and its probabilities to 0.001.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = Path(__file__).resolve().parent
EPOCHS = 10
TEST_SIZE = 300


def make_predictions() -> pd.DataFrame:
    """Train for EPOCHS epochs and return the test predictions after each one."""
    digits = load_digits()
    index = np.arange(len(digits.target))
    train, test = train_test_split(
        index, test_size=TEST_SIZE, random_state=0, stratify=digits.target
    )
    test = np.sort(test)
    x = digits.data / 16.0
    classes = np.unique(digits.target)
    # a modest learning rate makes the early epochs visibly worse than the late ones
    model = MLPClassifier(
        hidden_layer_sizes=(32,), learning_rate_init=0.005, batch_size=100, random_state=0
    )
    frames = []
    for epoch in range(1, EPOCHS + 1):
        model.partial_fit(x[train], digits.target[train], classes=classes)  # one pass
        proba = model.predict_proba(x[test]).round(3)
        frame = pd.DataFrame(
            {
                "id": [f"digit-{i:04d}" for i in test],
                "step": epoch,
                "y_true": digits.target[test],
                "y_pred": model.classes_[np.argmax(proba, axis=1)],
            }
        )
        for k, label in enumerate(model.classes_):
            frame[f"proba_{label}"] = proba[:, k]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    make_predictions().to_csv(args.output, index=False, lineterminator="\n")


if __name__ == "__main__":
    main()
