"""Geometry of masks on the selection's analysis grid: boxes, overlaps, borders, holes.

Every pairwise and shape test of the selection runs on an *analysis grid*, the masks sampled
every ``s``-th pixel so that the longer side is at most ``analysis_max_side``
(`analysis_grid`); pairwise intersections are only computed for pairs whose bounding boxes
overlap, on the overlap crop (`pair_intersections`,
[`mask_iou_matrix`][sam2_autotrack.selection.mask_iou_matrix]). Borders:
[`touches_borders`][sam2_autotrack.selection.touches_borders] (and its run lengths, `border_runs`),
the share of an outline on the frame border (`border_fraction`); holes: the share of a mask seen
through another's hole (`enclosed_fractions`).
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.masks.cleanup import fill_small_holes
from sam2_autotrack.masks.validate import as_mask, as_mask_stack
from sam2_autotrack.selection.decisions import BoxXYXY

__all__ = [
    "BORDER_NAMES",
    "analysis_grid",
    "as_contiguous_mask",
    "as_proposal_stack",
    "border_fraction",
    "border_params",
    "border_runs",
    "box_of",
    "enclosed_fractions",
    "mask_box",
    "mask_iou_matrix",
    "pair_intersections",
    "touches_borders",
    "u8",
]

BORDER_NAMES = ("top", "bottom", "left", "right")
"""The image borders, in the order of `border_runs`."""


def as_contiguous_mask(mask: Any, name: str = "mask") -> NDArray[np.bool_]:
    """One ``(H, W)`` mask as a C-contiguous bool array (checked by ``masks.as_mask``)."""
    return np.ascontiguousarray(as_mask(mask, name=name))


def as_proposal_stack(masks: Any, name: str = "masks") -> NDArray[np.bool_]:
    """``(N, H, W)`` proposals as a C-contiguous bool array (checked)."""
    return np.ascontiguousarray(as_mask_stack(masks, name=name, axes="(N, H, W)"))


def u8(mask: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """Reinterpret a bool array as uint8 0/1 without copying (OpenCV does not take bool)."""
    return mask.view(np.uint8)


def box_of(mask_u8: NDArray[np.uint8]) -> BoxXYXY:
    """End-exclusive ``(x0, y0, x1, y1)`` of the non-zero pixels; ``(0, 0, 0, 0)`` if empty."""
    x, y, w, h = cv2.boundingRect(mask_u8)
    return (int(x), int(y), int(x + w), int(y + h))


def mask_box(mask: NDArray[np.bool_]) -> BoxXYXY:
    """Like `box_of` for a full-frame bool mask, faster on wide frames (8 pixels per word)."""
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


def pair_intersections(
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
    stack = as_proposal_stack(masks)
    count = stack.shape[0]
    masks_u8 = stack.view(np.uint8)
    areas = np.array([cv2.countNonZero(m) for m in masks_u8], dtype=np.float64)
    boxes = np.array([mask_box(m) for m in stack], dtype=np.int64).reshape(count, 4)
    members = [i for i in range(count) if areas[i] > 0]
    iou = np.zeros((count, count), dtype=np.float64)
    iou[members, members] = 1.0
    for (i, j), inter in pair_intersections(masks_u8, boxes, members).items():
        value = inter / (areas[i] + areas[j] - inter)
        iou[i, j] = iou[j, i] = value
    return iou


def border_runs(mask_u8: NDArray[np.uint8], box: BoxXYXY, tolerance: int) -> list[int]:
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


def border_params(
    resolution_wh: tuple[int, int], tolerance_fraction: float, min_run_fraction: float
) -> tuple[int, float]:
    """``(tolerance, min_run)`` in pixels for a frame (see ``SelectionOptions``)."""
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
        ``max(1, round(0.01 * min(H, W)))`` (as
        [`SelectionOptions`][sam2_autotrack.SelectionOptions]).
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
    array = as_contiguous_mask(mask)
    height, width = array.shape
    default_tol, default_run = border_params((width, height), 0.01, 0.1)
    tol = default_tol if tolerance is None else max(1, int(tolerance))
    run = default_run if min_run is None else max(1.0, float(min_run))
    mask_u8 = u8(array)
    runs = border_runs(mask_u8, box_of(mask_u8), tol)
    return tuple(name for name, r in zip(BORDER_NAMES, runs, strict=True) if r >= run)


def border_fraction(raw: NDArray[np.uint8], runs: list[int]) -> float:
    """Share of a mask's outline that runs along the image border (``runs`` in grid pixels)."""
    contours, _ = cv2.findContours(raw, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    perimeter = float(sum(len(c) for c in contours))
    return float(min(1.0, sum(runs) / perimeter)) if perimeter > 0 else 0.0


def enclosed_fractions(
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
        hole = fill_small_holes(crop) & (crop == 0)
        if hole.any():
            holes[j] = hole.view(np.uint8)
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


def analysis_grid(stack: NDArray[np.bool_], max_side: int) -> tuple[NDArray[np.uint8], int]:
    """Sample every ``step``-th pixel so the longer side is at most ``max_side``."""
    _, height, width = stack.shape
    step = max(1, math.ceil(max(height, width) / max_side))
    if step == 1:
        return stack.view(np.uint8), 1
    # One strided copy: only every step-th row is read (cheaper than per-mask resizing).
    out = np.ascontiguousarray(stack[:, ::step, ::step]).view(np.uint8)
    return out, step
