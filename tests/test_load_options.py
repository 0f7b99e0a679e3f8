"""load_options: the entry points' column keywords become LoadOptions in one place."""

from __future__ import annotations

import inspect

from reportgen.api import build_report, compare_reports, sample_errors
from reportgen.api.common import load_options
from reportgen.read.load import LoadOptions


def test_load_options_takes_fields_by_name_and_leaves_the_rest() -> None:
    """Field names are taken, sequences become tuples, other names and absent fields are not."""
    got = load_options(
        {"y_true": "label", "columns": ["a", "b"], "slices": ("s",), "seed": 3, "title": "t"},
        split_optional=True,
    )
    assert got == LoadOptions(
        y_true="label", columns=("a", "b"), slices=("s",), split_optional=True
    )


def test_every_entry_point_keyword_that_names_a_field_reaches_it() -> None:
    """Each entry point's column keywords are spelled as LoadOptions' fields (else lost)."""
    fields = set(inspect.signature(LoadOptions).parameters)
    wanted = {"y_true", "y_pred", "proba_prefix", "id", "sample", "split", "task", "dropna"}
    for entry in (build_report, compare_reports, sample_errors):
        assert wanted <= set(inspect.signature(entry).parameters) & fields, entry.__name__
