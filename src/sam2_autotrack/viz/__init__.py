"""Pictures of every step: proposals, selection, filmstrips and area plots."""

from sam2_autotrack.viz.figures import (
    Figure,
    area_plot,
    filmstrip,
    overlay_masks,
    palette,
    show_proposals,
    show_selection,
)

__all__ = [
    "Figure",
    "area_plot",
    "filmstrip",
    "overlay_masks",
    "palette",
    "show_proposals",
    "show_selection",
]
