"""The example reports every report-level test runs on: add an example here and the gold-file
and browser checks pick it up."""

from __future__ import annotations

from typing import Any

import reportgen
from tests.conftest import DIGITS, ROOT

EXAMPLES: dict[str, dict[str, Any]] = {
    "inspection-compare": {
        "kind": "compare",
        "script": ROOT / "examples" / "inspection_retrained" / "make_predictions.py",
        "data": ROOT / "examples" / "inspection_retrained" / "predictions.csv",
        "baseline": ROOT / "examples" / "inspection" / "predictions.csv",
        "options": {
            "name_a": "baseline",
            "name_b": "retrained",
            "image_root": ROOT / "examples" / "inspection",
            "tags": ROOT / "examples" / "inspection" / "review.csv",
        },
    },
    "digits": {
        "script": ROOT / "examples" / "digits" / "make_predictions.py",
        "data": DIGITS,
        "options": {
            "image_root": ROOT / "examples" / "digits",
            "columns": ["ink", "dark_pixels"],
            "title": "Digits: logistic regression",
            "model": "logreg-C0.01",
        },
    },
    "inspection": {
        "script": ROOT / "examples" / "inspection" / "make_example.py",
        "data": ROOT / "examples" / "inspection" / "predictions.csv",
        "options": {
            "image_root": ROOT / "examples" / "inspection",
            "tags": ROOT / "examples" / "inspection" / "review.csv",
            "columns": ["camera", "brightness"],
            "slices": ["camera", "brightness"],
            "title": "Finned-tube inspection: simulated model",
            "model": "simulated-cnn",
        },
    },
    "cancer": {
        "script": ROOT / "examples" / "cancer" / "make_predictions.py",
        "data": ROOT / "examples" / "cancer" / "predictions.csv",
        "options": {
            "pos_label": "malignant",
            "slices": ["radius", "texture"],
            "title": "Breast-cancer screening: logistic regression on 3 features",
            "model": "logreg-3features",
        },
    },
    "digits-training": {
        "script": ROOT / "examples" / "digits_training" / "make_predictions.py",
        "data": ROOT / "examples" / "digits_training" / "predictions.csv",
        "options": {
            "step": "step",
            "title": "Digits: an MLP over 10 epochs",
            "model": "mlp-32",
        },
    },
    "inspection-detection": {
        "kind": "detection",
        "script": ROOT / "examples" / "inspection_detection" / "make_example.py",
        "data": ROOT / "examples" / "inspection_detection" / "detections.json",
        "options": {
            "ground_truth": ROOT / "examples" / "inspection_detection" / "instances.json",
            "image_root": ROOT / "examples" / "inspection_detection",
            "title": "Finned-tube inspection: simulated detector",
            "model": "simulated-detector",
        },
    },
    "diabetes": {
        "script": ROOT / "examples" / "diabetes" / "make_predictions.py",
        "data": ROOT / "examples" / "diabetes" / "predictions.csv",
        "options": {
            "columns": ["age", "sex", "bmi"],
            "slices": ["bmi", "sex"],
            "title": "Diabetes progression: ridge regression",
            "model": "ridge-alpha0.1",
        },
    },
}


def build(spec: dict[str, Any]) -> reportgen.Report:
    """Build an example's report: a comparison of two files, or a single report."""
    if spec.get("kind") == "compare":
        return reportgen.compare_reports(spec["baseline"], spec["data"], **spec["options"])
    return reportgen.build_report(spec["data"], **spec["options"])
