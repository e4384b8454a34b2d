"""Choose the real objects among automatic mask proposals.

A SAM 2-style automatic mask generator returns, on frame 0, many overlapping masks: the objects,
near-duplicates of them, parts of them, background slabs (sky, floor, walls) and specks. Picking by
area alone (the baseline) picks the slabs first. :func:`select_objects` runs these rules, in order,
and records for every proposal whether it was kept and why:

1. **speck** -- the proposal has fewer than ``min_area`` pixels.
2. **background** -- the proposal covers more than ``max_area_fraction`` of the frame, or it
   touches at least ``border_touch_limit`` image borders (see :func:`touches_borders`).
3. **speck** -- after removing connected components smaller than ``min_area`` and filling holes
   smaller than ``hole_area``, fewer than ``min_area`` pixels remain (a spray of fragments).
4. **duplicate** -- its IoU with a better-scored survivor is at least ``dedupe_iou``.
5. **part** / **whole** -- at least ``part_containment`` of its area lies inside a larger survivor
   (it is a *part* of that *whole*); ``keep_parts`` decides which side is dropped.
6. **duplicate** ("overlaps j") -- it shares more than ``max_overlap`` of the smaller area with a
   better-ranked survivor (loose near-duplicates, two versions of one object).
7. **below max_objects** -- the survivors are ranked by objectness and only the first
   ``max_objects`` are kept.

Speed: every pairwise and shape test runs on an *analysis grid*, the masks sampled every
``s``-th pixel so that the longer side is at most ``analysis_max_side`` (``s = 4`` at 1920×1080),
and pairwise intersections are only computed for pairs whose bounding boxes overlap, on the
overlap crop. Only the chosen masks are cleaned at full resolution, on their bounding-box crop.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field

from sam2_autotrack._options import Options
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_mask_stack, as_rgb_image

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

DecisionCategory = Literal[
    "kept", "speck", "background", "duplicate", "part", "whole", "below_max_objects"
]
BoxXYXY = tuple[int, int, int, int]
_BORDER_NAMES = ("top", "bottom", "left", "right")


class SelectionOptions(Options):
    """Thresholds and weights of :func:`select_objects`.

    Sizes given as fractions are fractions of the frame (``H*W``) or of its shorter side, so the
    same options work at 480p and 4K.

    Parameters
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
        Reject as *background* any proposal touching at least this many image borders (default 2:
        sky, floor and walls touch 2-3 borders, objects seldom more than one). Use 5 to disable.
    border_tolerance_fraction
        A pixel within ``border_tolerance_fraction * min(H, W)`` pixels of a border (at least one
        pixel) is "at" that border (default 0.01: 10 px at 1080p, absorbing SAM's ragged edges).
    border_min_run_fraction
        A mask *touches* a border only if it is at that border along a run of at least
        ``border_min_run_fraction * min(H, W)`` positions (default 0.1: 108 px at 1080p), so an
        object grazing a corner or resting a few pixels on an edge is not counted.
    max_area_fraction
        Reject as *background* any proposal covering more than this fraction of the frame
        (default 0.3).
    max_objects
        Keep at most this many objects (default 3, the baseline's number; each costs clicks in a
        paid call).
    weight_solidity, weight_compactness, weight_size, weight_model, weight_contrast
        Weights of the objectness terms (see :func:`select_objects`). Defaults 1.0, 0.5, 1.0, 0.5,
        1.0: shape regularity, a plausible size and an outline that stands out from the image all
        the way around matter most; the model's own score is a tie-breaker (it is also high for
        background).
    border_penalty
        Subtracted from the objectness once per touched border (default 0.15).
    enclosed_penalty
        Subtracted from the objectness times the fraction of the proposal lying inside a hole of
        another candidate (default 0.5): what is seen through a ring or between an arm and the
        body is background far more often than an object. Background proposals (rule 2) enclose
        the objects lying on them and are not counted.
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
    border_touch_limit: int = Field(2, ge=1, le=5)
    border_tolerance_fraction: float = Field(0.01, ge=0.0, lt=0.5)
    border_min_run_fraction: float = Field(0.1, ge=0.0, le=1.0)
    max_area_fraction: float = Field(0.3, gt=0.0, le=1.0)
    max_objects: int = Field(3, ge=1)
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

        Examples
        --------
        >>> SelectionOptions(hole_area=50).effective_hole_area((1920, 1080))
        50
        """
        if self.hole_area is not None:
            return self.hole_area
        return self.effective_min_area(resolution_wh)


@dataclass(frozen=True)
class ProposalDecision:
    """What :func:`select_objects` decided about one proposal.

    Attributes
    ----------
    index
        Index of the proposal in the input.
    kept
        Whether it is one of the selected objects.
    category
        ``"kept"``, ``"speck"``, ``"background"``, ``"duplicate"``, ``"part"``, ``"whole"`` or
        ``"below_max_objects"``.
    reason
        Human-readable reason, e.g. ``"duplicate of 4"``, ``"background: touches 3 borders
        (top, left, right)"``, ``"kept (rank 1)"``.
    objectness
        Objectness score (NaN for a proposal with nothing left after cleaning).
    area
        Pixel count of the raw proposal at full resolution.
    box_xyxy
        ``(x0, y0, x1, y1)`` bounding box of the raw proposal, end-exclusive (the mask is inside
        ``[y0:y1, x0:x1]``), measured on the analysis grid and scaled to full-resolution pixels
        (exact for kept proposals and whenever the grid is the full frame). ``(0, 0, 0, 0)`` when
        empty.
    """

    index: int
    kept: bool
    category: DecisionCategory
    reason: str
    objectness: float
    area: int
    box_xyxy: BoxXYXY


@dataclass(frozen=True)
class Selection:
    """The objects chosen among proposals, and the decision about every proposal.

    Attributes
    ----------
    masks
        ``(K, H, W)`` bool, the chosen masks after cleaning (small components removed, small holes
        filled), best first.
    indices
        ``(K,)`` index of each chosen mask in the input proposals.
    scores
        ``(K,)`` objectness of each chosen mask.
    decisions
        One :class:`ProposalDecision` per input proposal, in input order.

    Examples
    --------
    >>> import numpy as np
    >>> masks = np.zeros((1, 64, 64), dtype=bool)
    >>> masks[0, 20:40, 20:40] = True
    >>> sel = select_objects(masks)
    >>> len(sel), sel.indices.tolist(), sel[0].shape
    (1, [0], (64, 64))
    """

    masks: NDArray[np.bool_]
    indices: NDArray[np.int64]
    scores: NDArray[np.float64]
    decisions: tuple[ProposalDecision, ...]

    def __len__(self) -> int:
        return int(self.masks.shape[0])

    def __getitem__(self, rank: int) -> NDArray[np.bool_]:
        mask: NDArray[np.bool_] = self.masks[rank]
        return mask

    def __iter__(self) -> Iterator[NDArray[np.bool_]]:
        return iter(self.masks)

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the masks."""
        return (int(self.masks.shape[2]), int(self.masks.shape[1]))

    def category_counts(self) -> dict[str, int]:
        """Count the decisions per category (for logs and error messages).

        Examples
        --------
        >>> import numpy as np
        >>> select_objects(np.zeros((2, 32, 32), dtype=bool)).category_counts()
        {'speck': 2}
        """
        counts: dict[str, int] = {}
        for decision in self.decisions:
            counts[decision.category] = counts.get(decision.category, 0) + 1
        return counts


# -- small helpers ------------------------------------------------------------------------------


def _as_mask2d(mask: Any, name: str = "mask") -> NDArray[np.bool_]:
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskError(
            f"{name} must be a 2-D (H, W) array; got shape {array.shape}. Pass one mask, or "
            "index a (N, H, W) stack"
        )
    if array.dtype != np.bool_:
        array = array != 0
    return np.ascontiguousarray(array)


def _as_mask_stack(masks: Any, name: str = "masks") -> NDArray[np.bool_]:
    return np.ascontiguousarray(as_mask_stack(masks, name=name, axes="(N, H, W)"))


def _u8(mask: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """Reinterpret a bool array as uint8 0/1 without copying (OpenCV does not take bool)."""
    return mask.view(np.uint8)


def _box(mask_u8: NDArray[np.uint8]) -> BoxXYXY:
    """End-exclusive ``(x0, y0, x1, y1)`` of the non-zero pixels; ``(0, 0, 0, 0)`` if empty."""
    x, y, w, h = cv2.boundingRect(mask_u8)
    return (int(x), int(y), int(x + w), int(y + h))


def _mask_box(mask: NDArray[np.bool_]) -> BoxXYXY:
    """Like :func:`_box` for a full-frame bool mask, faster on wide frames (8 pixels per word)."""
    width = mask.shape[1]
    words = mask.flags.c_contiguous and width % 8 == 0
    rows = mask.view(np.uint64).any(axis=1) if words else mask.any(axis=1)
    ys = np.flatnonzero(rows)
    if not ys.size:
        return (0, 0, 0, 0)
    y0, y1 = int(ys[0]), int(ys[-1]) + 1
    band = mask[y0:y1]
    if words:
        cols = np.bitwise_or.reduce(band.view(np.uint64), axis=0).view(np.uint8) != 0
    else:
        cols = band.any(axis=0)
    xs = np.flatnonzero(cols)
    return (int(xs[0]), y0, int(xs[-1]) + 1, y1)


def _remove_small_u8(crop: NDArray[np.uint8], min_area: int) -> NDArray[np.uint8]:
    if min_area <= 1 or not crop.any():
        return crop
    count, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_area
    keep[0] = False
    if keep[1:count].all():
        return crop
    cleaned: NDArray[np.uint8] = keep.astype(np.uint8)[labels]
    return cleaned


def _fill_holes_u8(crop: NDArray[np.uint8], max_hole_area: int) -> NDArray[np.uint8]:
    """Fill enclosed background regions with fewer than ``max_hole_area`` pixels."""
    if max_hole_area <= 1 or not crop.any():
        return crop
    background = cv2.copyMakeBorder(
        (1 - crop).astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(background, connectivity=4)
    if count <= 2:
        return crop
    fill = stats[:, cv2.CC_STAT_AREA] < max_hole_area
    fill[0] = False
    fill[labels[0, 0]] = False
    if not fill.any():
        return crop
    filled = fill[labels[1:-1, 1:-1]]
    result: NDArray[np.uint8] = np.maximum(crop, filled.astype(np.uint8))
    return result


def _crop_apply(mask: NDArray[np.bool_], pad: int, fn: Any) -> NDArray[np.bool_]:
    """Apply ``fn`` (uint8 crop -> uint8 crop) to the bounding-box crop of ``mask``."""
    out = np.zeros(mask.shape, dtype=np.bool_)
    x0, y0, x1, y1 = _mask_box(mask)
    if x1 == x0:
        return out
    height, width = mask.shape
    x0, y0 = max(0, x0 - pad), max(0, y0 - pad)
    x1, y1 = min(width, x1 + pad), min(height, y1 + pad)
    crop = np.ascontiguousarray(_u8(mask[y0:y1, x0:x1]))
    out[y0:y1, x0:x1] = fn(crop) != 0
    return out


def remove_small_components(mask: Any, *, min_area: int) -> NDArray[np.bool_]:
    """Return a copy of ``mask`` without its 8-connected components of fewer than ``min_area`` px.

    Parameters
    ----------
    mask
        ``(H, W)`` bool (any array; non-zero is foreground). Not modified.
    min_area
        Components with fewer pixels are removed.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((20, 20), dtype=bool)
    >>> m[2:10, 2:10] = True
    >>> m[15, 15] = True
    >>> int(remove_small_components(m, min_area=5).sum())
    64
    """
    array = _as_mask2d(mask)
    return _crop_apply(array, 0, lambda crop: _remove_small_u8(crop, int(min_area)))


def fill_small_holes(mask: Any, *, max_hole_area: int) -> NDArray[np.bool_]:
    """Return a copy of ``mask`` with its holes of fewer than ``max_hole_area`` pixels filled.

    A hole is a 4-connected background region enclosed by the mask (not reaching the mask's
    bounding box edge, so a notch open to the outside or to the image edge is not a hole).

    Parameters
    ----------
    mask
        ``(H, W)`` bool (any array; non-zero is foreground). Not modified.
    max_hole_area
        Holes with fewer pixels are filled; larger ones (the inside of a ring) are kept.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((20, 20), dtype=bool)
    >>> m[2:12, 2:12] = True
    >>> m[6, 6] = False
    >>> bool(fill_small_holes(m, max_hole_area=4)[6, 6])
    True
    """
    array = _as_mask2d(mask)
    return _crop_apply(array, 1, lambda crop: _fill_holes_u8(crop, int(max_hole_area)))


def _pair_intersections(
    masks_u8: NDArray[np.uint8], boxes: NDArray[np.int64], members: list[int]
) -> dict[tuple[int, int], int]:
    """Intersection pixel counts of the pairs of ``members`` whose boxes overlap, keyed (i < j)."""
    out: dict[tuple[int, int], int] = {}
    if len(members) < 2:
        return out
    idx = np.asarray(members)
    b = boxes[idx]
    ix0 = np.maximum(b[:, None, 0], b[None, :, 0])
    iy0 = np.maximum(b[:, None, 1], b[None, :, 1])
    ix1 = np.minimum(b[:, None, 2], b[None, :, 2])
    iy1 = np.minimum(b[:, None, 3], b[None, :, 3])
    overlap = np.triu((ix0 < ix1) & (iy0 < iy1), k=1)
    for a, c in zip(*np.nonzero(overlap), strict=True):
        i, j = int(idx[a]), int(idx[c])
        x0, y0, x1, y1 = int(ix0[a, c]), int(iy0[a, c]), int(ix1[a, c]), int(iy1[a, c])
        both = cv2.bitwise_and(masks_u8[i, y0:y1, x0:x1], masks_u8[j, y0:y1, x0:x1])
        inter = cv2.countNonZero(both)
        if inter:
            out[(min(i, j), max(i, j))] = int(inter)
    return out


def mask_iou_matrix(masks: Any) -> NDArray[np.float64]:
    """Pairwise IoU of a stack of masks, skipping pairs whose bounding boxes do not overlap.

    Each overlapping pair is intersected on the crop where both boxes overlap, so the cost follows
    the overlap area rather than ``N² * H * W``.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool. Not modified.

    Returns
    -------
    numpy.ndarray
        ``(N, N)`` float64, symmetric; the diagonal is 1 for non-empty masks and 0 for empty ones.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((3, 10, 10), dtype=bool)
    >>> m[0, 0:4, 0:4] = True
    >>> m[1, 0:4, 2:6] = True
    >>> m[2, 6:9, 6:9] = True
    >>> mask_iou_matrix(m).round(3).tolist()
    [[1.0, 0.333, 0.0], [0.333, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    stack = _as_mask_stack(masks)
    count = stack.shape[0]
    masks_u8 = stack.view(np.uint8)
    areas = np.array([cv2.countNonZero(m) for m in masks_u8], dtype=np.float64)
    boxes = np.array([_mask_box(m) for m in stack], dtype=np.int64).reshape(count, 4)
    members = [i for i in range(count) if areas[i] > 0]
    iou = np.zeros((count, count), dtype=np.float64)
    iou[members, members] = 1.0
    for (i, j), inter in _pair_intersections(masks_u8, boxes, members).items():
        value = inter / (areas[i] + areas[j] - inter)
        iou[i, j] = iou[j, i] = value
    return iou


def _border_runs(mask_u8: NDArray[np.uint8], box: BoxXYXY, tolerance: int) -> list[int]:
    """Run length (positions along the border) at top, bottom, left, right within ``tolerance``."""
    height, width = mask_u8.shape
    x0, y0, x1, y1 = box
    runs = [0, 0, 0, 0]
    if x1 == x0:
        return runs
    if y0 < tolerance:
        runs[0] = int(np.count_nonzero(mask_u8[:tolerance, x0:x1].any(axis=0)))
    if y1 > height - tolerance:
        runs[1] = int(np.count_nonzero(mask_u8[height - tolerance :, x0:x1].any(axis=0)))
    if x0 < tolerance:
        runs[2] = int(np.count_nonzero(mask_u8[y0:y1, :tolerance].any(axis=1)))
    if x1 > width - tolerance:
        runs[3] = int(np.count_nonzero(mask_u8[y0:y1, width - tolerance :].any(axis=1)))
    return runs


def _border_params(
    resolution_wh: tuple[int, int], tolerance_fraction: float, min_run_fraction: float
) -> tuple[int, float]:
    short = min(resolution_wh)
    return max(1, round(tolerance_fraction * short)), max(1.0, min_run_fraction * short)


def touches_borders(
    mask: Any,
    *,
    tolerance: int | None = None,
    min_run: int | None = None,
) -> tuple[str, ...]:
    """Which image borders a mask touches.

    A mask touches a border when, within ``tolerance`` pixels of it, the mask occupies at least
    ``min_run`` positions along it (columns for top/bottom, rows for left/right). The run
    requirement keeps an object that merely grazes a corner, or rests a few pixels on an edge,
    from counting as touching.

    Parameters
    ----------
    mask
        ``(H, W)`` bool. Not modified.
    tolerance
        Distance in pixels from the edge that still counts as "at" the border; default
        ``max(1, round(0.01 * min(H, W)))`` (as :class:`SelectionOptions`).
    min_run
        Minimum run along the border; default ``0.1 * min(H, W)`` (at least 1).

    Returns
    -------
    tuple of str
        The touched borders among ``"top"``, ``"bottom"``, ``"left"``, ``"right"``, in that order.

    Examples
    --------
    >>> import numpy as np
    >>> sky = np.zeros((100, 200), dtype=bool)
    >>> sky[:30] = True
    >>> touches_borders(sky)
    ('top', 'left', 'right')
    >>> corner = np.zeros((100, 200), dtype=bool)
    >>> corner[:5, :5] = True
    >>> touches_borders(corner)
    ()
    """
    array = _as_mask2d(mask)
    height, width = array.shape
    default_tol, default_run = _border_params((width, height), 0.01, 0.1)
    tol = default_tol if tolerance is None else max(1, int(tolerance))
    run = default_run if min_run is None else max(1.0, float(min_run))
    mask_u8 = _u8(array)
    runs = _border_runs(mask_u8, _box(mask_u8), tol)
    return tuple(name for name, r in zip(_BORDER_NAMES, runs, strict=True) if r >= run)


# -- objectness -----------------------------------------------------------------------------------


def _shape_terms(crop: NDArray[np.uint8]) -> tuple[float, float]:
    """``(solidity, compactness)`` of a cleaned crop, both in ``[0, 1]``."""
    contours, _ = cv2.findContours(crop, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return 0.0, 0.0
    area = float(sum(cv2.contourArea(c) for c in contours))
    perimeter = float(sum(cv2.arcLength(c, True) for c in contours))
    hull_area = float(cv2.contourArea(cv2.convexHull(np.vstack(contours))))
    if area <= 0.0 or hull_area <= 0.0 or perimeter <= 0.0:
        # One- or two-pixel-thick shapes have no polygon area: treat as maximally irregular.
        return 0.0, 0.0
    solidity = min(1.0, area / hull_area)
    compactness = min(1.0, 4.0 * math.pi * area / (perimeter * perimeter))
    return solidity, compactness


def _size_prior(fraction: float, options: SelectionOptions) -> float:
    low, high = options.size_prior_range
    if fraction <= 0.0:
        return 0.0
    if fraction < low:
        distance = math.log(low / fraction)
    elif fraction > high:
        distance = math.log(fraction / high)
    else:
        return 1.0
    return math.exp(-0.5 * (distance / math.log(options.size_prior_softness)) ** 2)


def _contrast(
    lab: NDArray[np.float32], crop: NDArray[np.uint8], origin: tuple[int, int], cell: int
) -> float:
    """Contrast all along the outline: the low quartile of local inside/outside colour steps.

    A thin band just inside and one just outside the mask are cut into ``cell``-pixel squares; in
    every square holding both, the Lab distance between the two bands' mean colours is one local
    step. The result is the 25th percentile of the steps over the outline, divided by 20 and
    clipped to 1: an object stands out from its surroundings nearly all the way around, while a
    fragment cut out of a larger region has long stretches of outline with no step at all. Image
    borders have no outside band and are ignored.
    """
    x0, y0 = origin
    height, width = lab.shape[:2]
    pad = 3
    gx0, gy0 = max(0, x0 - pad), max(0, y0 - pad)
    gx1, gy1 = min(width, x0 + crop.shape[1] + pad), min(height, y0 + crop.shape[0] + pad)
    grown = np.zeros((gy1 - gy0, gx1 - gx0), dtype=np.uint8)
    grown[y0 - gy0 : y0 - gy0 + crop.shape[0], x0 - gx0 : x0 - gx0 + crop.shape[1]] = crop
    kernel = np.ones((5, 5), dtype=np.uint8)
    inner = (grown > 0) & (cv2.erode(grown, kernel, borderType=cv2.BORDER_REPLICATE) == 0)
    outer = (cv2.dilate(grown, kernel) > 0) & (grown == 0)
    if not inner.any() or not outer.any():
        return 0.0
    patch = lab[gy0:gy1, gx0:gx1]
    # Square cells anchored to the frame, so the same outline gets the same cells wherever cut.
    cols = (np.arange(gx0, gx1) // cell)[None, :]
    rows = (np.arange(gy0, gy1) // cell)[:, None]
    cell_id = (rows - gy0 // cell) * (cols.max() - gx0 // cell + 1) + (cols - gx0 // cell)
    count = int(cell_id.max()) + 1
    steps_in = cell_id[inner]
    steps_out = cell_id[outer]
    n_in = np.bincount(steps_in, minlength=count)
    n_out = np.bincount(steps_out, minlength=count)
    both = (n_in >= 2) & (n_out >= 2)
    if not both.any():
        return 0.0
    colour_in = patch[inner]
    colour_out = patch[outer]
    mean_in = (
        np.stack([np.bincount(steps_in, colour_in[:, k], count)[both] for k in range(3)], axis=1)
        / n_in[both, None]
    )
    mean_out = (
        np.stack([np.bincount(steps_out, colour_out[:, k], count)[both] for k in range(3)], axis=1)
        / n_out[both, None]
    )
    steps = np.linalg.norm(mean_in - mean_out, axis=1)
    return float(min(1.0, float(np.quantile(steps, 0.25)) / 20.0))


def _enclosed_fractions(
    clean: NDArray[np.uint8], boxes: NDArray[np.int64], members: list[int]
) -> dict[int, float]:
    """For each member, the largest fraction of its area inside a hole of another member.

    A region seen through a hole of another proposal -- the inside of a ring, the gap between an
    arm and the body -- is background far more often than an object.
    """
    holes: dict[int, NDArray[np.uint8]] = {}
    for j in members:
        x0, y0, x1, y1 = (int(v) for v in boxes[j])
        crop = clean[j, y0:y1, x0:x1]
        filled = _fill_holes_u8(crop, crop.size + 1)
        if filled is not crop:
            holes[j] = np.asarray(cv2.subtract(filled, crop), dtype=np.uint8)
    out: dict[int, float] = {}
    if not holes:
        return out
    for i in members:
        ix0, iy0, ix1, iy1 = (int(v) for v in boxes[i])
        area = cv2.countNonZero(clean[i, iy0:iy1, ix0:ix1])
        best = 0
        for j, hole in holes.items():
            jx0, jy0, jx1, jy1 = (int(v) for v in boxes[j])
            x0, y0, x1, y1 = max(ix0, jx0), max(iy0, jy0), min(ix1, jx1), min(iy1, jy1)
            if j == i or x0 >= x1 or y0 >= y1:
                continue
            inside = cv2.bitwise_and(
                clean[i, y0:y1, x0:x1], hole[y0 - jy0 : y1 - jy0, x0 - jx0 : x1 - jx0]
            )
            best = max(best, cv2.countNonZero(inside))
        if best and area:
            out[i] = best / area
    return out


# -- the selector ---------------------------------------------------------------------------------


def _analysis_grid(stack: NDArray[np.bool_], max_side: int) -> tuple[NDArray[np.uint8], int]:
    """Sample every ``step``-th pixel so the longer side is at most ``max_side``."""
    _, height, width = stack.shape
    step = max(1, math.ceil(max(height, width) / max_side))
    if step == 1:
        return stack.view(np.uint8), 1
    # One strided copy: only every step-th row is read (cheaper than per-mask resizing).
    out = np.ascontiguousarray(stack[:, ::step, ::step]).view(np.uint8)
    return out, step


def select_objects(
    masks: Any,
    *,
    scores: Any = None,
    image_rgb: Any = None,
    options: SelectionOptions | None = None,
) -> Selection:
    """Select the real objects among automatic mask proposals.

    The rules (speck, background, duplicate, part/whole, max_objects) are described in the module
    docstring and in :class:`SelectionOptions`. Survivors are ranked by **objectness**::

        objectness = (w_s*solidity + w_c*compactness + w_z*size_prior
                      [+ w_m*model_score] [+ w_e*contrast]) / (sum of the weights used)
                     - border_penalty * (number of touched borders)
                     - enclosed_penalty * (fraction inside a hole of another candidate)

    where, on the cleaned mask,

    - ``solidity`` = area inside the outer outline / convex-hull area (holes do not count, so a
      ring is as solid as a disc; 1 for convex shapes, low for slivers, Cs and groups of separate
      blobs);
    - ``compactness`` = ``4*pi*area / perimeter**2`` clipped to 1 (1 for a disc, low for thin or
      ragged shapes);
    - ``size_prior`` = 1 when the area fraction of the frame is within ``size_prior_range`` and
      ``exp(-d**2 / (2*ln(softness)**2))`` outside, ``d`` the log-distance to the range;
    - ``model_score`` = the proposal's score from the mask generator (predicted IoU), only when
      ``scores`` is given;
    - ``contrast`` = how strongly the outline stands out *all the way around*, only when
      ``image_rgb`` is given: thin bands just inside and just outside the mask are cut into small
      squares (1/30 of the analysis grid's shorter side, at least 4 grid pixels), the Lab distance
      between the two bands' mean colours is taken in each square, and the 25th percentile of
      those local steps, divided by 20 and clipped to 1, is the term. Objects of any shape (rings,
      Cs, stars) stand out nearly everywhere along their outline; a background fragment is cut
      out of a larger region and most of its outline has no step at all (the image border is
      ignored);
    - the *enclosed* fraction = the largest share of the proposal's area lying inside a hole of
      another candidate (a proposal that survived rules 1-3), e.g. the background disc seen
      through a ring.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool proposals (any array; non-zero is foreground). Not modified.
    scores
        Optional ``(N,)`` model scores in ``[0, 1]``.
    image_rgb
        Optional ``(H, W, 3)`` uint8 RGB frame the proposals are for; adds the contrast term.
    options
        Thresholds and weights; ``SelectionOptions()`` by default.

    Returns
    -------
    Selection
        The chosen, cleaned masks in rank order and the decision for every proposal. It is empty
        (``len == 0``) when nothing survives, so the decisions can still be inspected;
        :func:`~sam2_autotrack.clicks_from_selection` raises
        :class:`~sam2_autotrack.SelectionError` on an empty selection.

    Raises
    ------
    MaskError
        ``masks`` is not 3-D, or ``scores`` / ``image_rgb`` have the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> masks = np.zeros((4, 120, 160), dtype=bool)
    >>> masks[0, :40] = True                  # sky: touches top, left and right
    >>> masks[1, 50:90, 60:100] = True        # an object
    >>> masks[2, 51:90, 60:100] = True        # its near-duplicate
    >>> masks[3, 5, 5] = True                 # a speck
    >>> sel = select_objects(masks)
    >>> sel.indices.tolist()
    [1]
    >>> [d.category for d in sel.decisions]
    ['background', 'kept', 'duplicate', 'speck']
    """
    opts = options if options is not None else SelectionOptions()
    stack = _as_mask_stack(masks)
    count, height, width = stack.shape
    resolution_wh = (width, height)
    frame_area = float(width * height)
    model_scores: NDArray[np.float64] | None = None
    if scores is not None:
        model_scores = np.asarray(scores, dtype=np.float64)
        if model_scores.shape != (count,):
            raise MaskError(
                f"scores must have shape ({count},) to match the {count} masks; got "
                f"{model_scores.shape}. Pass one score per proposal, or scores=None"
            )
    min_area = opts.effective_min_area(resolution_wh)
    hole_area = opts.effective_hole_area(resolution_wh)
    tolerance, min_run = _border_params(
        resolution_wh, opts.border_tolerance_fraction, opts.border_min_run_fraction
    )

    small, step = _analysis_grid(stack, opts.analysis_max_side)
    unit = float(step * step)
    lab: NDArray[np.float32] | None = None
    if image_rgb is not None:
        image = as_rgb_image(image_rgb, expected_wh=resolution_wh)
        sampled = np.ascontiguousarray(image[::step, ::step]).astype(np.float32) / 255.0
        lab = np.asarray(cv2.cvtColor(sampled, cv2.COLOR_RGB2LAB), dtype=np.float32)

    small_min = max(1, math.ceil(min_area / unit))
    cell = max(4, round(min(small.shape[1:]) / 30))
    small_hole = math.ceil(hole_area / unit)
    small_tol = max(1, math.ceil(tolerance / step))
    areas = [int(cv2.countNonZero(m)) for m in stack.view(np.uint8)]
    raw_boxes: list[BoxXYXY] = []
    clean = np.zeros(small.shape, dtype=np.uint8)
    boxes = np.zeros((count, 4), dtype=np.int64)
    clean_area = np.zeros(count, dtype=np.float64)
    objectness = np.full(count, np.nan)
    category: list[DecisionCategory | None] = [None] * count
    reason = [""] * count

    for i in range(count):
        box = _box(small[i])
        raw_boxes.append(
            (box[0] * step, box[1] * step, min(width, box[2] * step), min(height, box[3] * step))
        )
        x0, y0, x1, y1 = box
        if x1 == x0 or areas[i] < min_area:
            category[i], reason[i] = "speck", f"speck: {areas[i]} px < min_area {min_area}"
            continue
        raw = small[i, y0:y1, x0:x1]
        raw_fraction = areas[i] / frame_area
        runs = _border_runs(small[i], box, small_tol)
        touched = [n for n, r in zip(_BORDER_NAMES, runs, strict=True) if r * step >= min_run]
        if raw_fraction > opts.max_area_fraction:
            category[i] = "background"
            reason[i] = f"background: {raw_fraction:.0%} of frame > {opts.max_area_fraction:.0%}"
        elif len(touched) >= opts.border_touch_limit:
            category[i] = "background"
            reason[i] = f"background: touches {len(touched)} borders ({', '.join(touched)})"
        # Background is judged on the raw proposal; only the others are worth cleaning.
        crop = raw if category[i] else _fill_holes_u8(_remove_small_u8(raw, small_min), small_hole)
        kept_px = cv2.countNonZero(crop)
        if kept_px * unit < min_area:
            category[i] = "speck"
            reason[i] = f"speck: {areas[i]} px, {int(kept_px * unit)} after cleaning < {min_area}"
            continue
        clean[i, y0:y1, x0:x1] = crop
        tight = _box(crop)
        boxes[i] = (x0 + tight[0], y0 + tight[1], x0 + tight[2], y0 + tight[3])
        clean_area[i] = kept_px * unit
        fraction = clean_area[i] / frame_area
        solidity, compactness = _shape_terms(crop)
        terms = [
            (opts.weight_solidity, solidity),
            (opts.weight_compactness, compactness),
            (opts.weight_size, _size_prior(float(fraction), opts)),
        ]
        if model_scores is not None:
            terms.append((opts.weight_model, float(np.clip(model_scores[i], 0.0, 1.0))))
        if lab is not None:
            terms.append((opts.weight_contrast, _contrast(lab, crop, (x0, y0), cell)))
        total_weight = sum(w for w, _ in terms)
        weighted = sum(w * v for w, v in terms) / total_weight if total_weight > 0 else 0.0
        objectness[i] = weighted - opts.border_penalty * len(touched)

    survivors = [i for i in range(count) if category[i] is None]
    if opts.enclosed_penalty > 0.0:
        enclosed = _enclosed_fractions(clean, boxes, survivors)
        for i, fraction in enclosed.items():
            objectness[i] -= opts.enclosed_penalty * fraction
    survivors.sort(key=lambda i: (-objectness[i], i))
    inter = _pair_intersections(clean, boxes, survivors)

    def overlap(i: int, j: int) -> int:
        return inter.get((i, j) if i < j else (j, i), 0)

    # Duplicates: greedy in objectness order, against the representatives kept so far.
    representatives: list[int] = []
    for i in survivors:
        best_j, best_iou = -1, 0.0
        for j in representatives:
            shared = overlap(i, j)
            if shared:
                iou = shared / (clean_area[i] / unit + clean_area[j] / unit - shared)
                if iou > best_iou:
                    best_j, best_iou = j, iou
        if best_iou >= opts.dedupe_iou:
            category[i], reason[i] = "duplicate", f"duplicate of {best_j} (IoU {best_iou:.2f})"
        else:
            representatives.append(i)

    # Parts and wholes among the representatives.
    containers: dict[int, list[int]] = {i: [] for i in representatives}
    for i in representatives:
        for j in representatives:
            if clean_area[j] > clean_area[i]:
                shared = overlap(i, j)
                if shared and shared * unit >= opts.part_containment * clean_area[i]:
                    containers[i].append(j)
    if opts.keep_parts == "whole":
        for i in representatives:
            if containers[i]:
                whole = max(containers[i], key=lambda j: (clean_area[j], -j))
                category[i], reason[i] = "part", f"part of {whole}"
    elif opts.keep_parts == "part":
        for j in representatives:
            parts = sorted(i for i in representatives if j in containers[i])
            if parts:
                listed = ", ".join(str(p) for p in parts)
                category[j], reason[j] = "whole", f"whole: has parts {listed}"

    # Distinct objects: skip any candidate overlapping a better-ranked one (unless they are a
    # part and its whole kept on purpose with keep_parts="both").
    accepted: list[int] = []
    for i in (i for i in representatives if category[i] is None):
        for j in accepted:
            if i in containers[j] or j in containers[i]:
                continue
            shared_px = overlap(i, j) * unit
            smaller = min(clean_area[i], clean_area[j])
            if shared_px > opts.max_overlap * smaller:
                category[i] = "duplicate"
                reason[i] = f"duplicate: overlaps {j} ({shared_px / clean_area[i]:.0%} of its area)"
                break
        else:
            accepted.append(i)
    chosen = accepted[: opts.max_objects]
    for rank, i in enumerate(accepted, start=1):
        if rank <= opts.max_objects:
            category[i], reason[i] = "kept", f"kept (rank {rank})"
        else:
            category[i] = "below_max_objects"
            reason[i] = f"below max_objects: rank {rank} > {opts.max_objects}"

    # Clean the chosen masks at full resolution, on their bounding-box crops.
    out = np.zeros((len(chosen), height, width), dtype=np.bool_)
    for k, i in enumerate(chosen):
        full_u8 = _u8(stack[i])
        x0, y0, x1, y1 = _mask_box(stack[i])
        raw_boxes[i] = (x0, y0, x1, y1)
        crop = np.ascontiguousarray(full_u8[y0:y1, x0:x1])
        out[k, y0:y1, x0:x1] = _fill_holes_u8(_remove_small_u8(crop, min_area), hole_area) != 0

    decisions = tuple(
        ProposalDecision(
            index=i,
            kept=category[i] == "kept",
            category=category[i] or "kept",
            reason=reason[i],
            objectness=float(objectness[i]),
            area=areas[i],
            box_xyxy=raw_boxes[i],
        )
        for i in range(count)
    )
    return Selection(
        masks=out,
        indices=np.asarray(chosen, dtype=np.int64),
        scores=np.asarray([objectness[i] for i in chosen], dtype=np.float64),
        decisions=decisions,
    )
