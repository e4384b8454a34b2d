"""Choosing the real objects among automatic mask proposals.

[`select_objects`][sam2_autotrack.selection.select_objects] drops specks and background (walls,
floors, sky; a large region is kept only as a *bounded subject*, a close-up cut by one border or a
confidently proposed one), cleans the rest with the library's hole and speck rules
([`sam2_autotrack.masks`][sam2_autotrack.masks]), scores how much each looks like a whole object
([`calibrated_objectness`][sam2_autotrack.selection.calibrated_objectness], a logistic model fitted
on tuning clips: a probability, kept from ``min_objectness`` on), dedupes, resolves parts against
wholes and caps the count; every proposal gets a
[`ProposalDecision`][sam2_autotrack.ProposalDecision] with its reason, gathered in a
[`Selection`][sam2_autotrack.Selection]. The rules are set by
[`SelectionOptions`][sam2_autotrack.SelectionOptions]. One job per module: ``options``,
``decisions``, ``geometry`` (analysis grid, boxes, overlaps, borders), ``objectness``, ``rules``
(one function per rule) and ``select`` composing them.
"""

from sam2_autotrack.selection.decisions import DecisionCategory, ProposalDecision, Selection
from sam2_autotrack.selection.geometry import mask_iou_matrix, touches_borders
from sam2_autotrack.selection.objectness import (
    OBJECTNESS_COEFFICIENTS,
    OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE,
    OBJECTNESS_FEATURES,
    calibrated_objectness,
)
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.selection.select import select_objects

__all__ = [
    "OBJECTNESS_COEFFICIENTS",
    "OBJECTNESS_COEFFICIENTS_WITHOUT_SCORE",
    "OBJECTNESS_FEATURES",
    "DecisionCategory",
    "ProposalDecision",
    "Selection",
    "SelectionOptions",
    "calibrated_objectness",
    "mask_iou_matrix",
    "select_objects",
    "touches_borders",
]
