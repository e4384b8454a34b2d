"""The options of the selection: thresholds, the objectness mode and the rules' margins."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from sam2_autotrack._options import Options

__all__ = ["SelectionOptions"]


class SelectionOptions(Options):
    """Thresholds and weights of [`select_objects`][sam2_autotrack.selection.select_objects].

    Sizes given as fractions are fractions of the frame (``H*W``) or of its shorter side, so the
    same options work at 480p and 4K.

    Attributes
    ----------
    min_area
        Smallest object, in pixels. ``None`` (default) derives it from the frame:
        ``max(64, ceil(min_area_fraction * H * W))``; an explicit value is used as is. Connected
        components smaller than it are removed from every mask; a mask with nothing left is a
        *speck*.
    min_area_fraction
        Smallest object as a fraction of the frame when ``min_area`` is ``None`` (default 0.0004:
        830 px, about 29×29, at 1920×1080 -- below that SAM 2 video tracking of an automatically
        chosen object is rarely worth a paid call).
    hole_area
        Holes (background regions enclosed by the mask) smaller than this many pixels are filled.
        ``None`` (default) uses the effective minimum area: a hole too small to be an object is
        almost always a segmentation pinhole.
    dedupe_iou
        Two proposals with IoU at least this are duplicates; the better-scored one is kept
        (default 0.88: SAM 2 near-duplicates of one object overlap at 0.9-0.98, while genuinely
        different nested proposals rarely exceed 0.85).
    part_containment
        A proposal with at least this fraction of its area inside a *larger* surviving proposal is a
        part of it (default 0.9, tolerant of the few boundary pixels by which SAM 2 parts overhang
        their whole).
    keep_parts
        ``"whole"`` (default) keeps the outermost proposal and drops its parts -- one click target
        per object; ``"part"`` keeps the innermost proposals and drops the wholes that contain
        them; ``"both"`` keeps both.
    max_overlap
        Two surviving proposals that are not duplicates, part and whole, are still one object if
        they share more than this fraction of the smaller one's area; the lower-ranked one is
        dropped as a *duplicate* ("overlaps j") so no two tracked objects claim the same pixels
        (default 0.5).
    border_touch_limit
        Reject as *background* any proposal touching at least this many image borders (default 3:
        sky and floor touch three). Proposals touching two borders (walls, but also a close-up
        subject or a vehicle crossing the frame) are *backdrop-like*, see
        ``large_area_fraction``. Use 5 to disable.
    border_tolerance_fraction
        A pixel within ``border_tolerance_fraction * min(H, W)`` pixels of a border (at least one
        pixel) is "at" that border (default 0.01: 10 px at 1080p, absorbing SAM's ragged edges).
    border_min_run_fraction
        A mask *touches* a border only if it is at that border along a run of at least
        ``border_min_run_fraction * min(H, W)`` positions (default 0.1: 108 px at 1080p), so an
        object grazing a corner or resting a few pixels on an edge is not counted.
    max_area_fraction
        Reject as *background* any proposal covering more than this fraction of the frame
        (default 0.65).
    large_area_fraction
        A proposal larger than this fraction of the frame (default 0.3), or touching two borders,
        is *backdrop-like*: it is rejected as *background* unless it is a **bounded subject** --
        at most ``subject_max_border_fraction`` of its outline runs along the image border (a
        person in close-up reaches the bottom edge, a floor or a wall is mostly cut by the
        frame) and either it touches exactly one border (a close-up cut by the frame edge: on
        the tuning data every large proposal touching one border was a close-up subject, with
        mask-generator scores from 0.31 to 1) or the mask generator is confident of it
        (``scores`` at least ``subject_min_score``; the embedded engine's confidence is that
        high only for candidates that move unlike their surroundings or stand out all around).
        Without ``scores``, only large proposals cut by one border can be bounded subjects.
    subject_min_score
        See ``large_area_fraction`` (default 0.8).
    subject_max_border_fraction
        See ``large_area_fraction`` (default 0.55).
    subject_max_band_fraction
        A backdrop-like proposal running along at least this share of one of the borders it
        touches is a *band* -- a wall, a floor, a strip of sky cut by the frame on two sides --
        and never a bounded subject, however confident the mask generator is (default 0.7).
    reject_spans
        Reject as *background* a thin piece of a band that runs across the frame from one border
        to another -- a rail, a pole, a beam -- when the image goes on in the piece's colours
        past both its ends up to two different borders (`spans.spans_the_frame`; needs the
        image). Default ``True``.
    max_objects
        Keep at most this many objects (default 10). A cap only: with
        ``objectness="calibrated"`` a proposal below ``min_objectness`` is never kept.
    objectness
        ``"calibrated"`` (default): the objectness is a probability that the proposal is a
        whole object, a logistic model of the shape, size, border, contrast and model-score
        terms fitted on tuning clips (see
        [`calibrated_objectness`][sam2_autotrack.selection.calibrated_objectness]); proposals below
        ``min_objectness`` are rejected (category ``not_object``, reason ``"not an object:
        objectness ... < min_objectness"``). ``"weighted"``: the former hand-weighted sum
        (``weight_*``, ``border_penalty``, ``enclosed_penalty``), ranked and cut at
        ``max_objects`` only.
    min_objectness
        Calibrated objectness a proposal needs to be kept (default 0.5: more likely an object
        than not).
    part_margin
        A part (``part_containment`` of it inside a larger survivor) loses to its whole unless
        its calibrated objectness exceeds the whole's by more than this in log-odds (default
        1.0: e.g. 0.9 against 0.77, or 0.99 against 0.97); then the
        whole is the object plus something else and is dropped instead (the clean bunny inside
        a bunny-plus-rock blob).
    closeup_part_containment, closeup_part_margin
        The same for a close-up subject -- a proposal large or cut by the frame like a
        backdrop, but bounded (a person filling the lower half of the frame): its parts need
        only ``closeup_part_containment`` of them inside it (default 0.8: a face with its neck
        and an ear spilling past the person's outline), and a part must beat it by
        ``closeup_part_margin`` (default 2.0: 0.89 against 0.52) to take its place. A face
        stands out more than the person it belongs to; a close-up subject is rarely two
        objects merged.
    rim_thickness
        A whole whose pixels outside its part are nowhere thicker than this fraction of the
        part's largest inscribed radius only adds a rim around the part (default 0.5: a motion
        blob fattened by the flow's halo, an outline drawn loosely around the object). Then,
        if the part's outline contrast beats the whole's by more than ``rim_contrast_margin``
        (default 0.1), the part is kept and the whole dropped: the same object, better outlined.
    rim_contrast_margin
        See ``rim_thickness``.
    group_coverage
        A whole is a group of objects (and loses to them) when at least two disjoint parts that
        are objects on their own, each better outlined than it, cover this share of it.
    group_margin
        "Better outlined" for ``group_coverage``: a part's calibrated objectness at most this
        much below the whole's in log-odds (default 1.5: 0.52 against 0.82, the clean half of a
        blob of two camouflaged neighbours; near 1 the objectness saturates, and 0.98 against
        0.99 is 0.7 apart). A part scored clearly below its whole (a face inside a person)
        stays a part. The parts of a group may overlap by a fifth of each (two proposals of
        neighbours share their boundary).
    weight_solidity, weight_compactness, weight_size, weight_model, weight_contrast
        Weights of the ``"weighted"`` objectness terms (see
        [`select_objects`][sam2_autotrack.selection.select_objects]). Defaults 1.0, 0.5, 1.0, 0.5,
        1.0: shape regularity, a plausible size and an outline that stands out from the image all
        the way around matter most; the model's own score is a tie-breaker (it is also high for
        background).
    border_penalty
        Subtracted from the objectness once per touched border (default 0.15).
    enclosed_penalty
        Subtracted from the objectness times the fraction of the proposal lying inside a hole of
        another candidate (default 0.5; with ``objectness="calibrated"`` the term has its
        fitted weight instead, and 0 switches it off): what is seen through a ring or between
        an arm and the body is background far more often than an object. Background proposals
        (rule 2) enclose the objects lying on them and are not counted.
    size_prior_range
        ``(low, high)`` fractions of the frame where the size prior is 1 (default 0.002-0.15).
    size_prior_softness
        Outside that range the size prior falls to ``exp(-1/2)`` at ``softness`` times below
        ``low`` / above ``high`` (default 4).
    analysis_max_side
        Longer side of the analysis grid (default 480). Lower is faster and coarser; use a value at
        least the frame's longer side for exact full-resolution analysis.

    Examples
    --------
    >>> SelectionOptions(max_objects=5, keep_parts="both").max_objects
    5
    """

    min_area: int | None = Field(None, ge=1)
    min_area_fraction: float = Field(0.0004, ge=0.0, lt=1.0)
    hole_area: int | None = Field(None, ge=0)
    dedupe_iou: float = Field(0.88, gt=0.0, le=1.0)
    part_containment: float = Field(0.9, gt=0.0, le=1.0)
    keep_parts: Literal["whole", "part", "both"] = "whole"
    max_overlap: float = Field(0.5, gt=0.0, le=1.0)
    border_touch_limit: int = Field(3, ge=1, le=5)
    border_tolerance_fraction: float = Field(0.01, ge=0.0, lt=0.5)
    border_min_run_fraction: float = Field(0.1, ge=0.0, le=1.0)
    max_area_fraction: float = Field(0.65, gt=0.0, le=1.0)
    large_area_fraction: float = Field(0.3, gt=0.0, le=1.0)
    subject_min_score: float = Field(0.8, ge=0.0, le=1.0)
    subject_max_border_fraction: float = Field(0.55, ge=0.0, le=1.0)
    subject_max_band_fraction: float = Field(0.7, gt=0.0, le=1.0)
    reject_spans: bool = True
    max_objects: int = Field(10, ge=1)
    objectness: Literal["calibrated", "weighted"] = "calibrated"
    min_objectness: float = Field(0.5, ge=0.0, le=1.0)
    part_margin: float = Field(1.0, ge=0.0)
    closeup_part_containment: float = Field(0.8, gt=0.0, le=1.0)
    closeup_part_margin: float = Field(2.0, ge=0.0)
    rim_thickness: float = Field(0.5, ge=0.0)
    rim_contrast_margin: float = Field(0.1, ge=0.0)
    group_coverage: float = Field(0.6, gt=0.0, le=1.0)
    group_margin: float = Field(1.5, ge=0.0)
    weight_solidity: float = Field(1.0, ge=0.0)
    weight_compactness: float = Field(0.5, ge=0.0)
    weight_size: float = Field(1.0, ge=0.0)
    weight_model: float = Field(0.5, ge=0.0)
    weight_contrast: float = Field(1.0, ge=0.0)
    border_penalty: float = Field(0.15, ge=0.0)
    enclosed_penalty: float = Field(0.5, ge=0.0)
    size_prior_range: tuple[float, float] = (0.002, 0.15)
    size_prior_softness: float = Field(4.0, gt=1.0)
    analysis_max_side: int = Field(480, ge=16)

    def effective_min_area(self, resolution_wh: tuple[int, int]) -> int:
        """Minimum object area in pixels for a frame of ``resolution_wh``.

        Parameters
        ----------
        resolution_wh
            ``(width, height)`` of the frame.

        Returns
        -------
        int
            ``min_area`` when it is set, else ``min_area_fraction`` of the frame's pixels (at
            least 64).

        Examples
        --------
        >>> SelectionOptions().effective_min_area((1920, 1080))
        830
        """
        if self.min_area is not None:
            return self.min_area
        width, height = resolution_wh
        return max(64, math.ceil(self.min_area_fraction * width * height))

    def effective_hole_area(self, resolution_wh: tuple[int, int]) -> int:
        """Holes with fewer pixels than this are filled, for a frame of ``resolution_wh``.

        Parameters
        ----------
        resolution_wh
            ``(width, height)`` of the frame.

        Returns
        -------
        int
            ``hole_area`` when it is set, else the
            [`effective_min_area`][sam2_autotrack.SelectionOptions.effective_min_area].

        Examples
        --------
        >>> SelectionOptions(hole_area=50).effective_hole_area((1920, 1080))
        50
        """
        if self.hole_area is not None:
            return self.hole_area
        return self.effective_min_area(resolution_wh)
