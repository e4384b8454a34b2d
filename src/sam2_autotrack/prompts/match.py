"""Geometry of prompt matching: which proposals hold points, which one a box frames best.

Pure functions on ``(N, H, W)`` bool proposal stacks; boxes are ``(x0, y0, x1, y1)`` pixel edges,
end-exclusive. [`resolve_prompts`][sam2_autotrack.prompts.resolve_prompts] composes them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.prompts.detector import Detection

__all__ = [
    "box_iou",
    "mask_boxes",
    "point_candidates",
    "rank_for_box",
    "suppress_overlaps",
]

BoxLike = Sequence[float]


def mask_boxes(masks: NDArray[np.bool_]) -> NDArray[np.int64]:
    """``(N, 4)`` tight bounding boxes ``(x0, y0, x1, y1)`` (end-exclusive; zeros when empty).

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool masks.

    Returns
    -------
    numpy.ndarray
        ``(N, 4)`` int64, one box per mask.

    Examples
    --------
    >>> m = np.zeros((2, 5, 8), bool); m[0, 1:3, 2:6] = True
    >>> mask_boxes(m).tolist()
    [[2, 1, 6, 3], [0, 0, 0, 0]]
    """
    count = masks.shape[0]
    boxes = np.zeros((count, 4), dtype=np.int64)
    rows: NDArray[np.bool_] = np.asarray(masks.any(axis=2))
    cols: NDArray[np.bool_] = np.asarray(masks.any(axis=1))
    for i in range(count):
        ys = np.flatnonzero(rows[i])
        xs = np.flatnonzero(cols[i])
        if ys.size:
            boxes[i] = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
    return boxes


def box_iou(a: BoxLike, b: BoxLike) -> float:
    """Intersection over union of two boxes (0 when either is empty).

    Parameters
    ----------
    a, b
        Boxes ``(x0, y0, x1, y1)``, end-exclusive.

    Returns
    -------
    float
        The IoU, in 0..1.

    Examples
    --------
    >>> box_iou((0, 0, 10, 10), (5, 0, 15, 10))
    0.3333333333333333
    """
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    inter = float(width * height)
    union = float((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1])) - inter
    return inter / union if union > 0 else 0.0


def point_candidates(
    masks: NDArray[np.bool_],
    positives_xy: NDArray[np.int64],
    forbidden_xy: NDArray[np.int64],
    *,
    max_area_fraction: float,
) -> list[int]:
    """Return the proposals a point group may choose, best first.

    A candidate holds every positive point and no forbidden one (the group's negative points and
    the other groups' positive points), and covers at most ``max_area_fraction`` of the frame.
    Larger candidates come first: the whole object rather than one of its parts.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool proposals.
    positives_xy
        ``(k, 2)`` ``(x, y)`` points every candidate must hold.
    forbidden_xy
        ``(m, 2)`` ``(x, y)`` points no candidate may hold.
    max_area_fraction
        Largest share of the frame a candidate may cover.

    Returns
    -------
    list[int]
        Indices into ``masks``, largest area first (empty: no proposal fits).

    Examples
    --------
    >>> m = np.zeros((3, 10, 10), bool)
    >>> m[0] = True; m[1, 2:8, 2:8] = True; m[2, 3:5, 3:5] = True  # frame, object, part
    >>> point_candidates(m, np.array([[4, 4]]), np.zeros((0, 2), int), max_area_fraction=0.5)
    [1, 2]
    """
    count, height, width = masks.shape
    if count == 0:
        return []
    hold = masks[:, positives_xy[:, 1], positives_xy[:, 0]].all(axis=1)
    if len(forbidden_xy):
        hold &= ~masks[:, forbidden_xy[:, 1], forbidden_xy[:, 0]].any(axis=1)
    indices = np.flatnonzero(hold)
    areas = masks[indices].sum(axis=(1, 2))
    fitting = [
        (int(area), int(i))
        for i, area in zip(indices, areas, strict=True)
        if area <= max_area_fraction * height * width
    ]
    return [i for _, i in sorted(fitting, key=lambda pair: (-pair[0], pair[1]))]


def rank_for_box(
    masks: NDArray[np.bool_], boxes: NDArray[np.int64], box_xyxy: BoxLike
) -> list[tuple[int, float]]:
    """Proposals by how well ``box_xyxy`` frames them: ``[(index, box IoU), ...]``, best first.

    The score is the IoU of the box with the proposal's bounding box (``boxes``, from
    [`mask_boxes`][sam2_autotrack.prompts.mask_boxes]); ties go to the proposal with more of its
    area inside the box, then to the lower index. Proposals that do not meet the box are left out.

    Parameters
    ----------
    masks
        ``(N, H, W)`` bool proposals.
    boxes
        Their ``(N, 4)`` bounding boxes.
    box_xyxy
        The prompt's box ``(x0, y0, x1, y1)``.

    Returns
    -------
    list[tuple[int, float]]
        ``(index, IoU)`` pairs, best first.

    Examples
    --------
    >>> m = np.zeros((2, 10, 10), bool); m[0, 2:6, 2:6] = True; m[1, 1:9, 1:9] = True
    >>> [(i, round(s, 2)) for i, s in rank_for_box(m, mask_boxes(m), (2, 2, 6, 6))]
    [(0, 1.0), (1, 0.25)]
    """
    x0, y0, x1, y1 = (round(v) for v in box_xyxy)
    ranked = []
    for i in range(masks.shape[0]):
        iou = box_iou(boxes[i], box_xyxy)
        if iou <= 0.0:
            continue
        area = int(masks[i].sum())
        inside = int(masks[i, max(0, y0) : max(0, y1), max(0, x0) : max(0, x1)].sum())
        ranked.append((iou, inside / area if area else 0.0, i))
    ranked.sort(key=lambda r: (-r[0], -r[1], r[2]))
    return [(i, iou) for iou, _, i in ranked]


def suppress_overlaps(
    detections: Sequence[Detection], iou: float
) -> tuple[list[Detection], list[tuple[Detection, Detection]]]:
    """Non-maximum suppression, whatever the labels: keep the most confident of overlapping boxes.

    Parameters
    ----------
    detections
        The detections, any labels.
    iou
        A detection whose box overlaps a more confident kept one by at least this IoU is
        dropped.

    Returns
    -------
    tuple[list[Detection], list[tuple[Detection, Detection]]]
        The kept detections (most confident first) and ``(dropped, kept)`` pairs, each dropped
        one with the detection that won over it.

    Examples
    --------
    >>> a = Detection((0, 0, 10, 10), 0.9, "dog", "dog")
    >>> b = Detection((1, 0, 10, 10), 0.6, "dog", "dog")
    >>> kept, dropped = suppress_overlaps([b, a], 0.7)
    >>> [d.confidence for d in kept], len(dropped)
    ([0.9], 1)
    """
    order = sorted(detections, key=lambda d: (-d.confidence, d.box_xyxy))
    kept: list[Detection] = []
    dropped: list[tuple[Detection, Detection]] = []
    for detection in order:
        winner = next((k for k in kept if box_iou(k.box_xyxy, detection.box_xyxy) >= iou), None)
        if winner is None:
            kept.append(detection)
        else:
            dropped.append((detection, winner))
    return kept, dropped
