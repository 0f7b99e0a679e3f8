"""The example reports every report-level test runs on: add an example here and the gold-file
and browser checks pick it up."""

from __future__ import annotations

from typing import Any

from tests.conftest import DIGITS, ROOT

EXAMPLES: dict[str, dict[str, Any]] = {
    "digits": {
        "script": ROOT / "examples" / "digits" / "make_predictions.py",
        "data": DIGITS,
        "options": {
            "columns": ["ink", "dark_pixels"],
            "title": "Digits: logistic regression",
            "model": "logreg-C0.01",
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
