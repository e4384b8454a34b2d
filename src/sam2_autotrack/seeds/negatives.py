"""Negative clicks just outside an object, inside the neighbours it touches.

Where two selected objects touch, SAM 2 is most likely to leak from one into the other; a
background click for the object, placed inside the neighbour near the shared boundary, says where
the object is *not* ([`negative_points`][sam2_autotrack.seeds.negative_points]).
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import MaskSizeError
from sam2_autotrack.seeds._depth import depth_map, padded_crop
from sam2_autotrack.selection.geometry import as_contiguous_mask as _as_mask2d
from sam2_autotrack.selection.geometry import mask_box as _mask_box

__all__ = ["negative_points"]


def negative_points(
    mask: Any,
    others: Any,
    *,
    max_points: int = 2,
    gap: int = 3,
    reach: float | None = None,
) -> NDArray[np.int64]:
    """Negative clicks just outside ``mask``, inside the neighbours it touches.

    Policy ("touching"): a neighbour in ``others`` counts when some of its pixels (outside
    ``mask``) are within ``gap`` px of ``mask`` -- touching or nearly touching, where SAM 2 is most
    likely to leak from one object into the other. Each such neighbour gets at most one click, at
    the pixel ``p`` of the neighbour, within ``reach`` px of ``mask``, that maximises
    ``min(depth_n(p), reach) - 0.5 * dist(p, mask)``: well inside the neighbour (``depth_n`` its
    depth, as defined in [`sam2_autotrack.seeds`][sam2_autotrack.seeds]) yet close to the shared
    boundary. Neighbours are taken by contact length (pixels within ``gap``), longest first.
    Neighbours that do not touch get no click.

    Parameters
    ----------
    mask
        ``(H, W)`` bool, the object. Not modified.
    others
        ``(M, H, W)`` bool (or a sequence of ``(H, W)`` masks), the other objects; may be empty.
    max_points
        Maximum number of clicks returned.
    gap
        How close (px) a neighbour must come to count as touching.
    reach
        How far from ``mask`` (px) a click may go; default ``clip(R / 2, 6, 40)``, ``R`` the
        object's maximum inscribed radius.

    Returns
    -------
    numpy.ndarray
        ``(k, 2)`` int64 ``(x, y)``, ``0 ≤ k ≤ max_points``, none inside ``mask``.

    Raises
    ------
    MaskError
        ``mask`` or a neighbour is not a 2-D mask.
    MaskSizeError
        A neighbour mask of another size than ``mask``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros((40, 80), dtype=bool)
    >>> a[10:30, 10:40] = True
    >>> b = np.zeros_like(a)
    >>> b[10:30, 40:70] = True
    >>> pts = negative_points(a, b[None])
    >>> len(pts), bool(b[pts[0, 1], pts[0, 0]]), bool(a[pts[0, 1], pts[0, 0]])
    (1, True, False)
    """
    array = _as_mask2d(mask)
    height, width = array.shape
    if isinstance(others, np.ndarray) and others.ndim == 2:
        others = others[None]
    neighbours = [_as_mask2d(o, "others[i]") for o in (others if len(others) else [])]
    for o in neighbours:
        if o.shape != array.shape:
            raise MaskSizeError(
                f"a neighbour mask is {o.shape[1]}x{o.shape[0]} but the object is "
                f"{width}x{height}; pass masks of the same frame",
                expected_wh=(width, height),
                actual_wh=(int(o.shape[1]), int(o.shape[0])),
            )
    empty = np.zeros((0, 2), dtype=np.int64)
    if max_points < 1 or not neighbours or not array.any():
        return empty

    bx0, by0, bx1, by1 = _mask_box(array)
    if reach is None:
        padded, _, _ = padded_crop(array, 1)
        reach = float(np.clip(depth_map(padded, exact=False).max() / 2.0, 6.0, 40.0))
    grow = math.ceil(2 * reach + gap + 1)
    x0, y0 = max(0, bx0 - grow), max(0, by0 - grow)
    x1, y1 = min(width, bx1 + grow), min(height, by1 + grow)
    obj = np.ascontiguousarray(array[y0:y1, x0:x1].view(np.uint8))
    # Distance of every pixel outside the object to the object (0 inside it).
    to_obj = depth_map(np.ascontiguousarray(1 - obj), exact=False)

    found: list[tuple[int, int, int]] = []  # (contact, x, y)
    for o in neighbours:
        region = o[y0:y1, x0:x1] & (obj == 0)
        contact = int(np.count_nonzero(region & (to_obj <= gap)))
        if not contact:
            continue
        inside = cv2.copyMakeBorder(region.view(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        depth_n = depth_map(inside, exact=False)[1:-1, 1:-1]
        candidates = region & (to_obj <= reach)
        score = np.where(candidates, np.minimum(depth_n, reach) - 0.5 * to_obj, -np.inf)
        best = int(np.argmax(score))
        by, bx = divmod(best, score.shape[1])
        found.append((contact, bx + x0, by + y0))
    found.sort(key=lambda item: -item[0])
    points = [(px, py) for _, px, py in found[:max_points]]
    return np.array(points, dtype=np.int64).reshape(-1, 2) if points else empty
