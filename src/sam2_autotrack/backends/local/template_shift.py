"""Small objects follow their own look, not the flow around them.

A dense optical flow is smooth: on a few-pixel-wide object it averages the object's motion with
its surroundings', so a small mover on a still, textured background is pulled back a little every
frame and soon left behind (the label stays on the background and the object walks out of it).
Colour cannot bring it back when the background has the object's colours.

`follow_small_objects` re-places each small object by matching its own pixels: the previous
frame's pixels under the object (a masked template, nothing of its surroundings) are compared
with the new frame at every whole-pixel shift in a window around where the flow put them. When
one shift explains the object's pixels better than the flow does (each pixel against where the
flow took it), and stands out among the shifts tried, the object's region is moved by
that shift instead. Objects the flow already follows keep its placement -- so does one whose
parts move apart (an object leaving the still shadow its first region held: no one shift explains
both) -- and so does any object the match cannot place (its template would leave the frame).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

__all__ = ["follow_small_objects"]

_PULL = 0.02
"""Cost of straying from the flow's placement: this share of the window's median per pixel²."""


def _subpixel(cost: NDArray[np.floating[Any]], y: int, x: int) -> tuple[float, float]:
    """Sub-pixel offset of a cost minimum from a parabola through it and its neighbours."""
    offsets = []
    for before, at, after in (
        (cost[y, x - 1], cost[y, x], cost[y, x + 1]) if 0 < x < cost.shape[1] - 1 else (0, 0, 0),
        (cost[y - 1, x], cost[y, x], cost[y + 1, x]) if 0 < y < cost.shape[0] - 1 else (0, 0, 0),
    ):
        curve = float(before) - 2.0 * float(at) + float(after)
        offsets.append(
            0.0 if curve <= 0 else max(-0.5, min(0.5, 0.5 * float(before - after) / curve))
        )
    return offsets[1], offsets[0]


def follow_small_objects(
    previous_rgb: NDArray[np.uint8],
    previous_labels: NDArray[np.uint8],
    current_rgb: NDArray[np.uint8],
    warped: NDArray[np.uint8],
    source_xy: tuple[NDArray[np.float32], NDArray[np.float32]],
    residuals: dict[int, NDArray[np.float64]],
    *,
    max_area: int,
    search: int,
    ratio: float,
) -> tuple[NDArray[np.uint8], dict[int, NDArray[np.float64]]]:
    """Return ``warped`` with each small object moved to where its own pixels match best.

    Parameters
    ----------
    previous_rgb, current_rgb
        ``(H, W, 3)`` uint8 frames (the previous one and the new one) in the same colours.
    previous_labels
        ``(H, W)`` label map of the previous frame (0 = background, ``k`` = object ``k``).
    warped
        ``(H, W)`` the previous label map pulled along the flow onto the new frame.
    source_xy
        ``(map_x, map_y)``: for every pixel of the new frame, where the flow says it was on the
        previous one (``warped`` was pulled along them).
    residuals
        Per label, the sub-pixel part ``(dy, dx)`` of its motion not yet applied (a region moves
        by whole pixels); ``{}`` at first, then what the previous call returned.
    max_area
        Objects of at most this many pixels on the previous frame are re-placed; larger ones
        keep the flow's placement.
    search
        Half-width (pixels) of the window of shifts tried around the flow's placement.
    ratio
        An object is re-placed when its best shift explains its pixels better than the flow
        does (a lower mean squared colour difference) and is distinct: below ``ratio`` times
        the median over the window.

    Returns
    -------
    tuple
        A new ``(H, W)`` uint8 label map and the new residuals; the inputs are not modified.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> back = rng.integers(0, 255, (40, 60, 3)).astype(np.uint8)
    >>> before, after = back.copy(), back.copy()
    >>> before[10:14, 20:30] = 200; after[13:17, 20:30] = 200  # moved 3 pixels down
    >>> labels = np.zeros((40, 60), np.uint8); labels[10:14, 20:30] = 1
    >>> # the flow saw nothing move: every pixel comes from where it is
    >>> still = np.meshgrid(np.arange(60, dtype=np.float32), np.arange(40, dtype=np.float32))
    >>> moved, _ = follow_small_objects(before, labels, after, labels, tuple(still), {},
    ...                                 max_area=100, search=5, ratio=0.5)
    >>> bool(moved[15, 25]), bool(moved[11, 25])
    (True, False)
    """
    result = warped.copy()
    kept: dict[int, NDArray[np.float64]] = {}
    height, width = previous_labels.shape
    map_x, map_y = source_xy
    areas = np.bincount(previous_labels.ravel())
    for k in range(1, len(areas)):
        area = int(areas[k])
        if area == 0 or area > max_area:
            continue  # gone, or large: the flow follows it
        region = previous_labels == k
        ys, xs = np.nonzero(region)
        y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
        landed = warped == k
        if not landed.any():
            continue  # the flow lost it: nothing to compare the match with
        ly, lx = np.nonzero(landed)
        # how well the flow explains the object: its pixels against where the flow took them
        sy = np.clip(np.rint(map_y[ly, lx]).astype(int), 0, height - 1)
        sx = np.clip(np.rint(map_x[ly, lx]).astype(int), 0, width - 1)
        step = current_rgb[ly, lx].astype(np.float32) - previous_rgb[sy, sx].astype(np.float32)
        by_flow = float(np.mean(np.sum(step * step, axis=1)))
        # the flow's placement: how far the label's pixels moved on average
        dy, dx = round(float(ly.mean() - ys.mean())), round(float(lx.mean() - xs.mean()))
        wy0, wy1 = y0 + dy - search, y1 + dy + search
        wx0, wx1 = x0 + dx - search, x1 + dx + search
        if wy0 < 0 or wx0 < 0 or wy1 > height or wx1 > width:
            continue
        mask = region[y0:y1, x0:x1].astype(np.float32)
        cost = cv2.matchTemplate(
            current_rgb[wy0:wy1, wx0:wx1].astype(np.float32),
            previous_rgb[y0:y1, x0:x1].astype(np.float32),
            cv2.TM_SQDIFF,
            mask=np.repeat(mask[..., None], 3, axis=2),
        )
        typical = float(np.median(cost))
        best = float(cost.min())
        if best >= ratio * typical or best / area >= by_flow:
            continue  # not distinct, or the flow explains the object as well: it stays
        # a little pull towards the flow's placement, so a shift along a direction the look
        # does not pin down (along a bar) is not taken from noise
        offsets = np.arange(-search, search + 1, dtype=np.float32) ** 2
        pulled = np.asarray(cost + _PULL * typical * (offsets[:, None] + offsets[None, :]))
        by, bx = np.unravel_index(int(np.argmin(pulled)), pulled.shape)
        fy, fx = _subpixel(pulled, int(by), int(bx))
        carried = residuals.get(k, np.zeros(2))
        total = np.array([dy + int(by) - search + fy, dx + int(bx) - search + fx]) + carried
        shift = np.round(total).astype(int)
        kept[k] = total - shift
        shift_y, shift_x = int(shift[0]), int(shift[1])
        if min(y0 + shift_y, x0 + shift_x) < 0 or y1 + shift_y > height or x1 + shift_x > width:
            continue  # it would leave the frame: the flow's placement stays
        moved = np.zeros_like(region)
        moved[y0 + shift_y : y1 + shift_y, x0 + shift_x : x1 + shift_x] = region[y0:y1, x0:x1]
        result[landed & ~moved] = 0
        result[moved & ((result == 0) | (result == k))] = k
    return result, kept
