"""Choosing the real objects among automatic mask proposals.

:func:`select_objects` filters (specks, holes), dedupes, resolves parts against wholes, rejects
backgrounds and ranks what is left by objectness; every proposal gets a
:class:`ProposalDecision` with its reason, gathered in a :class:`Selection`. The rules are set by
:class:`SelectionOptions`.
"""

from sam2_autotrack.selection.select import (
    ProposalDecision,
    Selection,
    SelectionOptions,
    fill_small_holes,
    mask_iou_matrix,
    remove_small_components,
    select_objects,
    touches_borders,
)

__all__ = [
    "ProposalDecision",
    "Selection",
    "SelectionOptions",
    "fill_small_holes",
    "mask_iou_matrix",
    "remove_small_components",
    "select_objects",
    "touches_borders",
]
