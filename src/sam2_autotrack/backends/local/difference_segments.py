"""Objects found where frame 0 differs from the later frames once the camera is removed.

On a background coloured like its objects (a textured object on a texture of its own hue), the
colour merging of `superpixels` finds no outline and the optical flow is dragged along by the
texture, but the camera-compensated frame difference (`alignment.aligned_difference`) still
lights up exactly the pixels of frame 0 that a moving object occupies (at most offsets it has
left them). `difference_segments` turns that map into candidates: the map is thresholded at a
few levels, cleaned (a small opening, a closing, holes filled), and every connected region of a
plausible size is a candidate, both as it is and snapped to the superpixels of `motion_map` (each
superpixel mostly inside joins it), whose outlines follow the image's own edges.

Everything is deterministic.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.masks.cleanup import fill_small_holes

__all__ = ["difference_segments"]


def _snap(region: NDArray[np.bool_], labels: NDArray[np.int32]) -> NDArray[np.bool_]:
    """Return the superpixels of ``labels`` at least half inside ``region``."""
    count = int(labels.max()) + 1
    inside = np.bincount(labels[region], minlength=count)
    total = np.bincount(labels.ravel(), minlength=count)
    snapped: NDArray[np.bool_] = (inside >= 0.5 * np.maximum(total, 1))[labels]
    return snapped


def difference_segments(
    difference: NDArray[np.float32],
    labels: NDArray[np.int32] | None = None,
    *,
    levels: tuple[float, ...] = (2.5, 4.0),
    min_area_fraction: float = 0.0015,
    max_area_fraction: float = 0.5,
    max_regions: int = 12,
) -> list[NDArray[np.bool_]]:
    """Candidates: the connected regions of the thresholded aligned difference.

    Parameters
    ----------
    difference
        ``(h, w)`` camera-compensated frame difference in noise levels
        (`alignment.aligned_difference`; NaN counts as 0).
    labels
        Optional ``(h, w)`` superpixel labels; each region is also given snapped to them.
    levels
        Thresholds of the difference (one set of regions each; a region repeated at 95 %
        overlap is kept once).
    min_area_fraction, max_area_fraction
        Regions outside this share of the frame are left out.
    max_regions
        At most this many regions per level (largest first).

    Returns
    -------
    list of numpy.ndarray
        ``(h, w)`` bool candidates.

    Examples
    --------
    >>> import numpy as np
    >>> diff = np.zeros((60, 80), np.float32)
    >>> diff[10:30, 10:30] = 6.0          # an object that moved
    >>> diff[40:50, 50:75] = 3.0          # a fainter one
    >>> regions = difference_segments(diff)
    >>> [int(r.sum()) for r in regions]
    [400, 250]
    """
    d = np.nan_to_num(np.asarray(difference, dtype=np.float32))
    h, w = d.shape
    total = float(h * w)
    small = np.ones((3, 3), np.uint8)
    close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    out: list[NDArray[np.bool_]] = []

    def add(region: NDArray[np.bool_]) -> None:
        size = int(region.sum())
        if not min_area_fraction * total <= size <= max_area_fraction * total:
            return
        for seen in out:
            if int((seen & region).sum()) >= 0.95 * max(size, int(seen.sum())):
                return
        out.append(region)

    for level in levels:
        binary = (d >= level).astype(np.uint8)
        binary = np.asarray(cv2.morphologyEx(binary, cv2.MORPH_OPEN, small), np.uint8)
        binary = np.asarray(cv2.morphologyEx(binary, cv2.MORPH_CLOSE, close), np.uint8)
        count, components, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
        order = sorted(range(1, count), key=lambda i: -int(stats[i, cv2.CC_STAT_AREA]))
        for i in order[:max_regions]:
            region = fill_small_holes(components == i)
            add(region)
            if labels is not None:
                add(_snap(region, labels))
    return out
