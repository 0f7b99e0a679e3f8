"""Regenerate examples/digits/predictions.csv and its images.

A logistic regression trained on 200 images of scikit-learn's bundled digits data and
evaluated on the other 1,597: accurate enough to be realistic, wrong often enough to
have something to analyse.

    python examples/digits/make_predictions.py            # writes predictions.csv beside it
    python examples/digits/make_predictions.py -o FILE    # writes elsewhere

Each test image is also written as an 8x8 grayscale PNG, dark ink on white paper, to
images/digit-NNNN.png beside the prediction file, and the `image` column holds that path
relative to the file's folder: `reportgen build ... --image-root examples/digits` shows them.

The same library versions give the same bytes. The model is fit to convergence, so other
versions give the same labels and image pixels and probabilities within 0.001 (the last
decimal written); tests/test_examples.py checks a rerun this way.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image
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
    # strong regularisation keeps the probabilities soft, as real models' often are.
    # The loss is strictly convex, so a solver run to convergence finds its one minimum
    # whatever the library version: Newton-CG to a gradient of 1e-10 gets there in about
    # 20 steps. (lbfgs at its default tol stopped 0.02 short in some probabilities, and where
    # it stops changes with scikit-learn's version.)
    model = LogisticRegression(C=0.01, solver="newton-cg", tol=1e-10, max_iter=1000)
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
    frame["image"] = [f"images/digit-{i:04d}.png" for i in test]
    return frame


def digit_png(pixels: np.ndarray) -> bytes:
    """One 8x8 image (values 0..16) as a grayscale PNG: dark ink on white paper."""
    grey = np.rint(255 - pixels.reshape(8, 8) * (255 / 16)).astype(np.uint8)
    out = io.BytesIO()
    # no metadata and a fixed compression level, so reruns write the same bytes
    Image.fromarray(grey, mode="L").save(out, format="PNG", compress_level=9)
    return out.getvalue()


def write_images(frame: pd.DataFrame, folder: Path) -> None:
    """Write each row's image to the relative path its `image` column names."""
    digits = load_digits()
    for path in frame["image"]:
        index = int(path.removeprefix("images/digit-").removesuffix(".png"))
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(digit_png(digits.data[index]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=HERE / "predictions.csv")
    args = parser.parse_args()
    frame = make_predictions()
    frame.to_csv(args.output, index=False, float_format="%.3f", lineterminator="\n")
    write_images(frame, args.output.resolve().parent)


if __name__ == "__main__":
    main()
