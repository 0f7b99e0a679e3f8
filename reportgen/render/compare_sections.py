"""The sections of a comparison report, in reading order: ids, headings, leads and context."""

from __future__ import annotations

from dataclasses import dataclass

from reportgen.record.compare_types import (
    ClassificationComparisonBlock,
    ClassificationFigures,
    ComparisonSlicesBlock,
    RegressionComparisonBlock,
)
from reportgen.render import Section

MATRIX_TABLE_LIMIT = 40


@dataclass(frozen=True)
class PartialSection(Section):
    """A section whose partial is not named after its id (the comparison's provenance)."""

    partial: str = ""

    @property
    def template(self) -> str:
        """Return the partial's path below the templates."""
        return f"sections/{self.partial or self.id}.html.j2"


def compare_provenance(base: Section) -> Section:
    """The closing section, drawn by the comparison's own partial (it lists both inputs)."""
    return PartialSection(
        base.id, base.title, base.lead, base.context, partial="compare-provenance"
    )


def _slices(slices: ComparisonSlicesBlock | None, names: list[str], measure: str) -> list[Section]:
    """The per-slice changes, when slices were asked for."""
    if slices is None:
        return []
    name_a, name_b = names
    return [
        PartialSection(
            "slices",
            "Changes per slice",
            f"The {measure} of {name_a} and {name_b} in each slice of the rows, worst change "
            "first. Each slice's change is tested on its own rows; a p-value is adjusted over "
            "every slice tested, and only a slice whose adjusted p is below 5% is named in "
            "the findings.",
            partial="compare-slices",
        )
    ]


def classification_sections(
    c: ClassificationComparisonBlock,
    figures: ClassificationFigures,
    slices: ComparisonSlicesBlock | None,
    provenance: Section,
) -> list[Section]:
    """The sections of a classifier comparison, in reading order."""
    name_a, name_b = c["names"]
    fig = figures["confusion_difference"]
    k = len(c["labels"])
    shown = (
        f"Showing the {len(fig['labels_shown'])} classes whose counts changed most, of {k}; the "
        "table and the embedded record keep all of them. "
        if fig["truncated"]
        else ""
    )
    sections: list[Section] = [
        Section("comparison", "Comparison", ""),
        Section(
            "compare-classes",
            "Per-class changes",
            f"Precision, recall and F1 of each class for {name_a} and {name_b}, and the change. "
            "F1 changes have 95% intervals; an interval that spans zero is a change the data "
            "cannot tell from chance.",
        ),
        Section(
            "compare-confusion",
            "Confusion-matrix difference",
            f"Each cell is {name_b}'s count minus {name_a}'s for that pair of true and predicted "
            "labels. On the diagonal a positive number is more correct predictions; off it, a "
            "negative number is fewer errors.",
            {
                "caption": shown
                + f"Numbers: {name_b} − {name_a} counts; blank cells did not change. Purple: "
                f"{name_b} does better there (more on the diagonal, fewer off it); orange: worse. "
                "Bold: the diagonal.",
                "table_limit": MATRIX_TABLE_LIMIT,
            },
        ),
        *_slices(slices, c["names"], "error rate"),
        Section(
            "compare-flips",
            "Fixed and broken samples",
            f"Rows whose correctness changed: fixed ones {name_a} got wrong and {name_b} gets "
            f"right, broken ones the other way round. Read the broken ones before adopting "
            f"{name_b}: they are what the change costs.",
        ),
    ]
    if c["buckets"] is not None:
        sections.append(
            Section(
                "compare-buckets",
                "Error buckets before and after",
                "Tagged errors per cause for each model: a bucket the change set out to fix "
                "should shrink, and the others should not grow.",
            )
        )
    sections.append(compare_provenance(provenance))
    return sections


def regression_sections(
    c: RegressionComparisonBlock, slices: ComparisonSlicesBlock | None, provenance: Section
) -> list[Section]:
    """The sections of a regression comparison, in reading order."""
    name_a, name_b = c["names"]
    return [
        Section("comparison", "Comparison", ""),
        Section(
            "compare-residuals",
            "Paired errors",
            f"Each row's absolute error under {name_a} against under {name_b}: points below the "
            f"diagonal are rows {name_b} predicts more closely.",
        ),
        *_slices(slices, c["names"], "mean absolute error"),
        Section(
            "compare-changes",
            "Rows whose error changed most",
            f"The rows where {name_b}'s absolute error grew most, and where it shrank most, "
            f"against {name_a}: the first places to look for what the change did.",
        ),
        compare_provenance(provenance),
    ]
