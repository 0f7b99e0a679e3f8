"""Figures of two panels side by side, with margins fixed by the caller (no layout engine)."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from reportgen.figures.svg import new_figure


def two_panels(width: float, height: float, **margins: float) -> tuple[Figure, Axes, Axes]:
    """Create a figure with a left and a right axes; margins go to fig.subplots_adjust."""
    fig = new_figure(width, height, fixed=True)
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(**margins)
    return fig, left, right
