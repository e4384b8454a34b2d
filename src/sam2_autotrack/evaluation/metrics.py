"""Per-frame DAVIS metrics: region similarity J and contour accuracy F, void-aware.

Both follow davis2017-evaluation (``metrics.py`` there) to the last digit:

* **J** is the IoU of the two masks; a frame where both are empty scores 1.
* **F** compares the masks' one-pixel boundaries (``seg2bmap``: a pixel is on the boundary when
  it differs from its east, south or south-east neighbour; the image border is never a boundary,
  so a mask covering the whole frame has none). A boundary pixel counts as matched when the other
  boundary lies within a disk of radius ``ceil(bound_th * image diagonal)`` (8 px at 854×480);
  ``bound_th >= 1`` is a radius in pixels (rounded up). Precision and recall give F; both
  boundaries empty → 1, exactly one empty → 0.
* **Void** pixels (DAVIS label 255) are removed from both masks before either metric: they count
  neither in the intersection nor in the union, and boundaries are taken of the masks without
  them.

For sequences, `measure_frame` measures one object's mask on one frame once (bounding box,
area, boundary length) and `pair_on_frame` scores a (prediction, ground truth) pair on that
frame, working on the pair's bounding box only; pairs too far apart for their boundaries to meet
are scored from the boundary lengths alone. The results equal the full-frame definition exactly.
`stacks` does the same over whole ``(T, H, W)`` stacks;
[`evaluate`][sam2_autotrack.evaluation.evaluate] goes frame by frame and never stacks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EvaluationError, MaskError
from sam2_autotrack.masks.validate import as_mask

__all__ = [
    "FrameGeometry",
    "boundary_f",
    "jaccard",
    "jaccard_from_counts",
    "measure_frame",
    "pair_on_frame",
    "tolerance_disk",
]

Box = tuple[int, int, int, int] | None  # y0, y1, x0, x1 (exclusive ends), None when empty


def _frame(mask: Any, name: str) -> NDArray[np.bool_]:
    try:
        return as_mask(mask, name=name)
    except MaskError as exc:
        raise EvaluationError(f"{exc}; score a (T, H, W) sequence with evaluate()") from exc


def _check_same_shape(a: NDArray[Any], b: NDArray[Any], what: str = "prediction") -> None:
    if a.shape != b.shape:
        raise EvaluationError(
            f"{what} shape {a.shape} differs from ground-truth shape {b.shape}; "
            f"resize the {what} to the ground truth's size (nearest neighbour) first"
        )


def _without_void(mask: NDArray[np.bool_], void: NDArray[np.bool_] | None) -> NDArray[np.bool_]:
    return mask if void is None else mask & ~void


def tolerance_disk(shape_hw: tuple[int, ...], bound_th: float) -> NDArray[np.uint8]:
    """Return the dilation disk of F for frames of ``shape_hw`` (radius as in the module notes).

    Raises
    ------
    EvaluationError
        ``bound_th`` is not a positive finite number.

    Examples
    --------
    >>> tolerance_disk((480, 854), 0.008).shape  # radius ceil(0.008 * 979.7) = 8
    (17, 17)
    """
    if not (math.isfinite(bound_th) and bound_th > 0):
        raise EvaluationError(f"bound_th must be a positive number; got {bound_th!r}")
    if bound_th >= 1:  # davis2017-evaluation: values >= 1 are a tolerance in pixels
        radius = math.ceil(bound_th)
    else:
        radius = math.ceil(bound_th * math.hypot(shape_hw[0], shape_hw[1]))
    yy, xx = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    return np.asarray(xx * xx + yy * yy <= radius * radius, dtype=np.uint8)


def _seg2bmap(seg: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Mark pixels that differ from their E, S or SE neighbour (davis2017 ``_seg2bmap``)."""
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = False
    return bmap


def _bbox(mask: NDArray[np.bool_]) -> Box:
    rows = np.flatnonzero(mask.any(axis=1))
    if rows.size == 0:
        return None
    cols = np.flatnonzero(mask.any(axis=0))
    return (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)


def _union_box(a: Box, b: Box) -> Box:
    if a is None:
        return b
    if b is None:
        return a
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))


def _crop(box: tuple[int, int, int, int], shape_hw: tuple[int, ...]) -> tuple[slice, slice]:
    # A 2-px margin keeps seg2bmap exact: boundary pixels just outside the masks (top / left) are
    # inside the crop, and the crop's last row / column is either empty or the image's own edge.
    y0, y1 = max(0, box[0] - 2), min(shape_hw[0], box[1] + 2)
    x0, x1 = max(0, box[2] - 2), min(shape_hw[1], box[3] + 2)
    return slice(y0, y1), slice(x0, x1)


def _boundary_px(mask: NDArray[np.bool_], box: Box) -> int:
    """Count the boundary pixels of one frame's mask (0 when empty or covering the frame)."""
    if box is None:
        return 0
    return int(np.count_nonzero(_seg2bmap(mask[_crop(box, mask.shape)])))


def _f_from_counts(n_pred: int, n_gt: int, pred_matched: int, gt_matched: int) -> float:
    if n_pred == 0 and n_gt == 0:
        return 1.0
    if n_pred == 0 or n_gt == 0:
        return 0.0
    precision = pred_matched / n_pred
    recall = gt_matched / n_gt
    if precision + recall == 0:
        return 0.0
    return float(2.0 * precision * recall / (precision + recall))


def _f_on_frame(
    pred: NDArray[np.bool_],
    gt: NDArray[np.bool_],
    disk: NDArray[np.uint8],
    box: Box,
) -> float:
    """Boundary F of one frame, computed on the union bounding box (plus a margin)."""
    if box is None:
        return 1.0  # both empty
    rows, cols = _crop(box, gt.shape)
    pred_b = _seg2bmap(pred[rows, cols])
    gt_b = _seg2bmap(gt[rows, cols])
    n_pred = int(np.count_nonzero(pred_b))
    n_gt = int(np.count_nonzero(gt_b))
    if n_pred == 0 or n_gt == 0:
        return _f_from_counts(n_pred, n_gt, 0, 0)
    pred_dil = cv2.dilate(pred_b.view(np.uint8), disk).view(bool)
    gt_dil = cv2.dilate(gt_b.view(np.uint8), disk).view(bool)
    return _f_from_counts(
        n_pred,
        n_gt,
        int(np.count_nonzero(pred_b & gt_dil)),
        int(np.count_nonzero(gt_b & pred_dil)),
    )


def jaccard(
    pred: NDArray[np.bool_], gt: NDArray[np.bool_], *, void: NDArray[np.bool_] | None = None
) -> float:
    """Region similarity J (intersection over union) of one frame's masks.

    Parameters
    ----------
    pred, gt
        ``(H, W)`` masks (bool, or numbers where non-zero is foreground) of the same shape.
    void
        Optional ``(H, W)`` mask of pixels to ignore (DAVIS label 255).

    Returns
    -------
    float
        ``|pred ∧ gt ∧ ¬void| / |(pred ∨ gt) ∧ ¬void|``; 1.0 when that union is empty.

    Raises
    ------
    EvaluationError
        The masks are not 2-D or their shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((10, 10), bool); a[:, :4] = True
    >>> b = np.zeros((10, 10), bool); b[:, 2:6] = True
    >>> jaccard(a, b)  # 20 px in common, 60 px in the union
    0.3333333333333333
    >>> jaccard(np.zeros((4, 4), bool), np.zeros((4, 4), bool))
    1.0
    >>> void = np.zeros((10, 10), bool); void[:, 4:] = True
    >>> jaccard(a, b, void=void)  # columns 4 and 5 of b are void
    0.5
    """
    p, g = _frame(pred, "pred"), _frame(gt, "gt")
    _check_same_shape(p, g)
    if void is not None:
        v = _frame(void, "void")
        _check_same_shape(v, g, "void")
        p, g = _without_void(p, v), _without_void(g, v)
    union = int(np.count_nonzero(p | g))
    if union == 0:
        return 1.0
    return int(np.count_nonzero(p & g)) / union


def boundary_f(
    pred: NDArray[np.bool_],
    gt: NDArray[np.bool_],
    *,
    void: NDArray[np.bool_] | None = None,
    bound_th: float = 0.008,
) -> float:
    """Contour accuracy F (boundary F-measure) of one frame's masks, as in DAVIS.

    Parameters
    ----------
    pred, gt
        ``(H, W)`` masks (bool, or numbers where non-zero is foreground) of the same shape.
    void
        Optional ``(H, W)`` mask of pixels removed from both masks before their boundaries are
        taken (DAVIS label 255).
    bound_th
        Boundary tolerance as a fraction of the image diagonal (rounded up to whole pixels);
        a value ``>= 1`` is taken as a number of pixels.

    Returns
    -------
    float
        Harmonic mean of boundary precision and recall; 1.0 when both masks have no boundary
        (e.g. both empty), 0.0 when exactly one has none.

    Raises
    ------
    EvaluationError
        The masks are not 2-D, their shapes differ, or ``bound_th`` is not positive.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((60, 80), bool); a[20:40, 20:40] = True
    >>> boundary_f(a, np.roll(a, 1, axis=1))  # 1 px apart, tolerance ceil(0.008 * 100) = 1 px
    1.0
    >>> boundary_f(a, np.roll(a, 10, axis=1)) < 0.6
    True
    """
    p, g = _frame(pred, "pred"), _frame(gt, "gt")
    _check_same_shape(p, g)
    if void is not None:
        v = _frame(void, "void")
        _check_same_shape(v, g, "void")
        p, g = _without_void(p, v), _without_void(g, v)
    disk = tolerance_disk(g.shape, bound_th)
    return _f_on_frame(p, g, disk, _union_box(_bbox(p), _bbox(g)))


def _far_apart(a: Box, b: Box, radius: int) -> bool:
    """Tell whether no boundary pixel of ``a``'s mask lies within ``radius`` of one of ``b``'s."""
    assert a is not None
    assert b is not None
    # Boundaries lie in rows y0-1 .. y1-1 and columns x0-1 .. x1-1 of each box.
    return max(b[0] - a[1], a[0] - b[1]) > radius or max(b[2] - a[3], a[2] - b[3]) > radius


@dataclass(frozen=True)
class FrameGeometry:
    """One object's mask on one frame, void removed, measured once.

    Parameters
    ----------
    mask
        ``(H, W)`` bool mask without the void pixels.
    box
        Its bounding box ``(y0, y1, x0, x1)`` (exclusive ends), or ``None`` when it is empty.
    area
        Its pixel count.
    boundary_px
        Its boundary pixel count (``seg2bmap``).
    """

    mask: NDArray[np.bool_]
    box: Box
    area: int
    boundary_px: int


def measure_frame(mask: NDArray[np.bool_], void: NDArray[np.bool_] | None = None) -> FrameGeometry:
    """Measure one ``(H, W)`` bool mask for `pair_on_frame` (void pixels taken out first).

    Examples
    --------
    >>> m = np.zeros((6, 6), bool); m[1:3, 1:4] = True
    >>> g = measure_frame(m)
    >>> g.box, g.area, g.boundary_px
    ((1, 3, 1, 4), 6, 10)
    """
    cleared = mask if void is None else mask & ~void
    box = _bbox(cleared)
    return FrameGeometry(
        mask=cleared,
        box=box,
        area=int(np.count_nonzero(cleared)),
        boundary_px=_boundary_px(cleared, box),
    )


def pair_on_frame(
    pred: FrameGeometry, gt: FrameGeometry, disk: NDArray[np.uint8]
) -> tuple[int, float]:
    """Return the intersection (pixels) and the boundary F of a prediction and an object on a frame.

    Parameters
    ----------
    pred, gt
        The two masks, from `measure_frame` (same frame, same void).
    disk
        The dilation disk of F, from `tolerance_disk`.

    Returns
    -------
    tuple
        ``(intersection, f)``; J is `jaccard_from_counts` of the intersection and the
        two areas.

    Examples
    --------
    >>> m = np.zeros((8, 8), bool); m[2:5, 2:5] = True
    >>> pair_on_frame(measure_frame(m), measure_frame(m), tolerance_disk((8, 8), 1))
    (9, 1.0)
    """
    bp, bg = pred.box, gt.box
    if bp is None and bg is None:
        return 0, 1.0  # both empty: J = F = 1
    inter = 0
    if bp is not None and bg is not None:
        y0, y1 = max(bp[0], bg[0]), min(bp[1], bg[1])
        x0, x1 = max(bp[2], bg[2]), min(bp[3], bg[3])
        if y1 > y0 and x1 > x0:
            inter = int(np.count_nonzero(pred.mask[y0:y1, x0:x1] & gt.mask[y0:y1, x0:x1]))
    n_pred, n_gt = pred.boundary_px, gt.boundary_px
    if n_pred == 0 or n_gt == 0 or _far_apart(bp, bg, disk.shape[0] // 2):
        return inter, _f_from_counts(n_pred, n_gt, 0, 0)
    return inter, _f_on_frame(pred.mask, gt.mask, disk, _union_box(bp, bg))


def jaccard_from_counts(
    intersection: NDArray[np.int64], pred_area: NDArray[np.int64], gt_area: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Return J per frame from intersections and areas (1 where both masks are empty).

    Examples
    --------
    >>> jaccard_from_counts(np.array([2, 0]), np.array([3, 0]), np.array([4, 0])).tolist()
    [0.4, 1.0]
    """
    union = pred_area + gt_area - intersection
    j: NDArray[np.float64] = np.where(union > 0, intersection / np.maximum(union, 1), 1.0)
    return j
