"""Pictures of each pipeline step, for notebooks and reports.

Every helper renders to an ``(H, W, 3)`` uint8 RGB array with OpenCV (no plotting library needed)
and wraps it in a [`Figure`][sam2_autotrack.viz.Figure], which Jupyter displays through
``_repr_png_`` and which [`Figure.save`][sam2_autotrack.viz.Figure.save] writes atomically:

- [`show_proposals`][sam2_autotrack.viz.show_proposals] — every frame-0 proposal coloured and
  numbered; with a selection, the rejected ones are outlined and hatched and the legend gives each
  one's reason.
- [`show_selection`][sam2_autotrack.viz.show_selection] — the selected objects with their seed
  clicks (``+`` positive, ``−`` negative).
- [`filmstrip`][sam2_autotrack.viz.filmstrip] — evenly spaced frames with the tracked masks
  overlaid.
- [`area_plot`][sam2_autotrack.viz.area_plot] — each object's mask area over time, with sudden jumps
  and slow drifts marked (both usually mean a track going wrong). Uses matplotlib when it is
  installed (``pip install "sam2_autotrack[viz]"``), else an OpenCV chart.
- [`overlay_masks`][sam2_autotrack.viz.overlay_masks] — the coloured fill the pictures are made of.

Object ``k`` (0-based, in click order) gets colour ``palette(k + 1)[k]`` — the colours of
[`object_colors`][sam2_autotrack.export.object_colors], which the overlay video uses too — in
`show_selection`, `filmstrip`, `area_plot` and, once a selection is given, in `show_proposals`
(a kept proposal wears its object's colour; rejected proposals take the colours after the
objects'). Without a selection, `show_proposals` colours proposal ``i`` with colour ``i``: there
are no objects yet. Results are read through the
[`TrackedVideo`][sam2_autotrack.viz.TrackedVideo] protocol
([`TrackResult`][sam2_autotrack.TrackResult] has it).
"""

from sam2_autotrack.export.palette import object_colors as palette
from sam2_autotrack.viz.area_chart import area_plot
from sam2_autotrack.viz.figure import Figure
from sam2_autotrack.viz.first_frame import show_proposals, show_selection
from sam2_autotrack.viz.overlay import overlay_masks
from sam2_autotrack.viz.strip import filmstrip
from sam2_autotrack.viz.tracked import TrackedVideo

__all__ = [
    "Figure",
    "TrackedVideo",
    "area_plot",
    "filmstrip",
    "overlay_masks",
    "palette",
    "show_proposals",
    "show_selection",
]
