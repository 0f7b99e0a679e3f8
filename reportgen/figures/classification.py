"""The classification report's figures, each with its alt text, drawn from the analysis."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reportgen.analysis.calibration import CalibrationResult
from reportgen.analysis.classification import ClassificationResult
from reportgen.analysis.evolution import EvolutionResult
from reportgen.analysis.thresholds import BinaryThresholds, ThresholdResult
from reportgen.record.classification_types import ClassificationFigures, ConfusionFigureInfo

if TYPE_CHECKING:
    from reportgen.analysis.buckets import BucketResult
    from reportgen.analysis.slices import SliceResult
    from reportgen.analysis.splits import SplitResult
    from reportgen.record.classification import ClassificationAnalysis


def figures_block(
    result: ClassificationResult, evolution: EvolutionResult | None
) -> ClassificationFigures:
    """Say what the figures show that their numbers do not: the classes drawn, the shading."""
    from reportgen.figures.confusion import choose_classes
    from reportgen.figures.evolution import choose_recall_classes

    view = choose_classes(result)
    confusion: ConfusionFigureInfo = {
        "labels_shown": view.labels,
        "truncated": view.truncated,
        "shading": "share of the true class (row-normalised)",
        "colormap": "Blues",
    }
    block: ClassificationFigures = {"confusion_matrix": confusion}
    if evolution is not None:
        recall = choose_recall_classes(evolution)
        block["evolution"] = {
            "recall_labels_shown": recall.labels,
            "recall_truncated": recall.truncated,
        }
    return block


def classification_figures(analysis: ClassificationAnalysis) -> dict[str, str]:
    """Draw every figure of a classification report; SVG by figure id."""
    figures = confusion_figures(analysis.result, analysis.buckets)
    figures.update(probability_figures(analysis.calibration, analysis.thresholds))
    if analysis.splits is not None:
        figures["splits"] = splits_figure(analysis.splits)
    if analysis.slices is not None and analysis.slices.worst:
        figures["worst-slices"] = worst_slices_figure(analysis.slices)
    if analysis.evolution is not None:
        figures.update(evolution_figures(analysis.evolution))
    return figures


def confusion_figures(
    result: ClassificationResult, buckets: BucketResult | None = None
) -> dict[str, str]:
    """Draw the confusion matrix and, with tagged errors, the buckets' Pareto chart."""
    from reportgen.figures.confusion import choose_classes, plot_confusion_matrix
    from reportgen.figures.svg import figure_to_svg

    view = choose_classes(result)
    fig = plot_confusion_matrix(result, view=view)
    k = len(result.labels)
    shown = (
        f"the {len(view.labels)} classes involved in most errors, of {k}"
        if view.truncated
        else f"all {k} classes"
    )
    svg = figure_to_svg(
        fig,
        fig_id="cm",
        title="Confusion matrix",
        description=(
            f"Confusion matrix of {result.n:,} predictions over {shown}: rows are true labels, "
            "columns predicted labels; each cell shows the count, shaded by its share of the "
            "true class. The same numbers are in the table below and in the embedded record."
        ),
    )
    figures = {"confusion-matrix": svg}
    if buckets is not None and buckets.buckets:
        from reportgen.figures.buckets import plot_pareto

        figures["pareto"] = figure_to_svg(
            plot_pareto(buckets),
            fig_id="pareto",
            title="Error buckets, largest first",
            description=(
                f"Bars: tagged errors per bucket for {len(buckets.buckets)} buckets, largest "
                "first, the ones to address first darker; line: cumulative share of all tags. "
                "The table below lists the same counts."
            ),
        )
    return figures


def probability_figures(
    calibration: CalibrationResult | None, thresholds: ThresholdResult | None
) -> dict[str, str]:
    """Draw the calibration and threshold figures; return their SVG by figure id."""
    from reportgen.figures.calibration import describe_calibration, plot_calibration
    from reportgen.figures.svg import figure_to_svg
    from reportgen.figures.thresholds import (
        describe_ovr,
        describe_thresholds,
        plot_ovr_precision_recall,
        plot_thresholds,
    )

    figures: dict[str, str] = {}
    if calibration is not None:
        title, text = describe_calibration(calibration)
        figures["calibration"] = figure_to_svg(
            plot_calibration(calibration), fig_id="cal", title=title, description=text
        )
    if isinstance(thresholds, BinaryThresholds):
        title, text = describe_thresholds(thresholds)
        figures["thresholds"] = figure_to_svg(
            plot_thresholds(thresholds), fig_id="thr", title=title, description=text
        )
    elif thresholds is not None:
        title, text = describe_ovr(thresholds)
        figures["thresholds-ovr"] = figure_to_svg(
            plot_ovr_precision_recall(thresholds), fig_id="ovr", title=title, description=text
        )
    return figures


def splits_figure(splits: SplitResult) -> str:
    """Draw each class's share of every split."""
    from reportgen.figures.splits import plot_split_shares
    from reportgen.figures.svg import figure_to_svg

    return figure_to_svg(
        plot_split_shares(splits),
        fig_id="splits",
        title="True labels per split",
        description=(
            f"Grouped bars: each class's share of the rows of each of the "
            f"{len(splits.splits)} splits. The table beside it has the counts."
        ),
    )


def worst_slices_figure(slices: SliceResult) -> str:
    """Draw the slices above the overall error rate, ranked by adjusted p."""
    from reportgen.figures.slices import plot_worst_slices
    from reportgen.figures.svg import figure_to_svg

    shown = (
        f"{len(slices.worst)} of the {slices.above_overall:,}"
        if len(slices.worst) < slices.above_overall
        else f"the {slices.above_overall:,}"
    )
    return figure_to_svg(
        plot_worst_slices(slices),
        fig_id="slices",
        title="Slices above the overall error rate, ranked by adjusted p",
        description=(
            f"Horizontal bars: error rate of {shown} slices above the overall error rate, "
            "ranked by adjusted p, with 95% intervals; dashed line: the overall error rate. "
            "The table below has the numbers and the adjusted p-values."
        ),
    )


def evolution_figures(result: EvolutionResult) -> dict[str, str]:
    """Draw the metrics over steps and the chosen steps' confusion matrices."""
    from reportgen.figures.evolution import (
        choose_recall_classes,
        plot_evolution,
        plot_step_confusions,
    )
    from reportgen.figures.svg import figure_to_svg

    view = choose_recall_classes(result)
    k = len(result.labels)
    classes = (
        f"the {len(view.labels)} classes whose recall changed most, of {k}"
        if view.truncated
        else f"all {k} classes"
    )
    return {
        "evolution": figure_to_svg(
            plot_evolution(result, view=view),
            fig_id="evo",
            title=f"Accuracy, macro F1 and recall per class over {result.column}",
            description=(
                f"Two line charts over the {len(result.steps)} values of '{result.column}'. "
                "Left: accuracy with its 95% interval as a band, and macro F1; a dotted line "
                f"marks the best step, {result.best}. Right: recall of {classes}, one line "
                "style and marker per class. The tables below hold the same numbers."
            ),
        ),
        "evolution-confusion": figure_to_svg(
            plot_step_confusions(result),
            fig_id="evo-cm",
            title=f"Confusion matrices at {result.column} {', '.join(result.chosen)}",
            description=(
                f"{len(result.chosen)} confusion matrices side by side, one per chosen step "
                f"({', '.join(result.chosen)}): rows are true labels, columns predicted "
                "labels, each cell shaded by its share of the true class. The counts are in "
                "the tables below and in the embedded record."
            ),
        ),
    }
