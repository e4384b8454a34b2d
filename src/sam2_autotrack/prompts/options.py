"""`MatchOptions`: how prompts are matched to proposals (thresholds of `resolve`)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sam2_autotrack._options import Options

__all__ = ["MatchOptions"]


class MatchOptions(Options):
    """Thresholds of prompt matching ([`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts]).

    Attributes
    ----------
    point_max_area_fraction
        A point never chooses a proposal covering more than this fraction of the frame (sky,
        floors and walls hold every point); among the proposals holding a point group, the largest
        one under it wins — the whole object rather than a part of it (default 0.5).
    min_box_iou
        A box (or a detected box) chooses the proposal whose bounding box overlaps it best, when
        that box IoU is at least this (default 0.5); below it the object is cut out of the box
        with GrabCut instead.
    nms_iou
        A detection whose box overlaps a more confident detection's by at least this IoU is
        dropped (Grounding DINO applies no non-maximum suppression; default 0.7).
    max_text_objects
        At most this many objects come from the text prompt, the most confident first (each
        object costs clicks, or a prediction with ``per_object="separate"``; default 10).

    Examples
    --------
    >>> MatchOptions(min_box_iou=0.6).min_box_iou
    0.6
    >>> MatchOptions(nms_iou=0)
    Traceback (most recent call last):
    ...
    sam2_autotrack.errors.ConfigError: invalid MatchOptions: nms_iou=0: must be greater than 0
    """

    point_max_area_fraction: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    min_box_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.5
    nms_iou: Annotated[float, Field(gt=0.0, le=1.0)] = 0.7
    max_text_objects: Annotated[int, Field(ge=1)] = 10
