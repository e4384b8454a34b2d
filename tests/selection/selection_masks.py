"""Small synthetic masks shared by the selection tests."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.selection import Selection

H, W = 240, 320


def blank(height: int = H, width: int = W) -> NDArray[np.bool_]:
    return np.zeros((height, width), dtype=bool)


def disc(cx: int, cy: int, r: int, *, height: int = H, width: int = W) -> NDArray[np.bool_]:
    canvas = np.zeros((height, width), dtype=np.uint8)
    cv2.circle(canvas, (cx, cy), r, 1, thickness=-1)
    return canvas.astype(bool)


def box(
    x0: int, y0: int, x1: int, y1: int, *, height: int = H, width: int = W
) -> NDArray[np.bool_]:
    mask = np.zeros((height, width), dtype=bool)
    mask[y0:y1, x0:x1] = True
    return mask


def decision_map(selection: Selection) -> dict[int, str]:
    return {d.index: d.category for d in selection.decisions}


def c_shape_mask() -> NDArray[np.bool_]:
    canvas = np.zeros((H, W), dtype=np.uint8)
    cv2.ellipse(canvas, (240, 70), (45, 45), 0, 40, 320, 1, thickness=22)  # opens to the right
    return canvas.astype(bool)


def ring_mask() -> NDArray[np.bool_]:
    return disc(230, 175, 42) & ~disc(230, 175, 22)


def textured_background(seed: int) -> NDArray[np.uint8]:
    """Smooth random colour texture, like grass or a wall seen from afar."""
    rng = np.random.default_rng(seed)
    noise = rng.random((H, W, 3)).astype(np.float32)
    smooth = cv2.GaussianBlur(noise, (0, 0), 6)
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    texture: NDArray[np.uint8] = (60 + 80 * smooth).astype(np.uint8)
    return texture


def border_fragment(image: NDArray[np.uint8], area: int) -> NDArray[np.bool_]:
    """Cut an irregular piece of the background touching the left border, about ``area`` px."""
    grey = image.astype(np.float32).mean(axis=2)
    region = np.zeros((H, W), dtype=np.uint8)
    cv2.ellipse(region, (0, 120), (90, 70), 0, 0, 360, 1, thickness=-1)
    inside = region > 0
    # The brighter part of the texture there, grown until the piece at the border is big enough.
    for share in np.linspace(0.3, 0.9, 13):
        level = np.quantile(grey[inside], 1.0 - share)
        blob = ((grey >= level) & inside).astype(np.uint8)
        _, labels, stats, _ = cv2.connectedComponentsWithStats(blob, connectivity=4)
        at_border = [k for k in np.unique(labels[:, 0]) if k != 0]
        if at_border:
            piece = max(at_border, key=lambda k: stats[k, cv2.CC_STAT_AREA])
            if stats[piece, cv2.CC_STAT_AREA] >= 0.7 * area:
                fragment: NDArray[np.bool_] = labels == piece
                return fragment
    raise AssertionError("no border fragment of that size in this texture")
