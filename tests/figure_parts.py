"""Read a drawn figure back: the tick texts and bars its axes hold, for tests on figures."""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.patches import Rectangle


def ticks(ax: Axes, axis: str = "y") -> list[str]:
    """The tick label texts of one axis."""
    labels = ax.get_yticklabels() if axis == "y" else ax.get_xticklabels()
    return [t.get_text() for t in labels]


def bars(ax: Axes) -> list[Rectangle]:
    """The bar rectangles an axes holds (not its background or legend patches)."""
    return [p for container in ax.containers for p in container if isinstance(p, Rectangle)]
