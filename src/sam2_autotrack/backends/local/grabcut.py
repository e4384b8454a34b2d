"""GrabCut cut-outs on one frame: around clicks, or inside a box (no proposal needed).

The embedded engine falls back to GrabCut when no proposal fits what the user gave: a set of
clicks (`grabcut_clicks`, the tracker's initial region for an object no proposal holds) or a
box (`grabcut_box`, a box prompt no proposal matches). Both run OpenCV's GrabCut on a crop
with the same core: seeded labels in, the foreground out at full frame size, of which the
connected parts that belong to the object are kept. Deterministic (OpenCV's RNG is seeded).
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError
from sam2_autotrack.masks.validate import as_rgb_image

__all__ = ["grabcut_box", "grabcut_clicks", "grabcut_foreground", "refine_outline"]

CropXYXY = tuple[int, int, int, int]
_ITERATIONS = 5


def grabcut_foreground(
    image_rgb: NDArray[np.uint8], labels: NDArray[np.uint8], iterations: int
) -> NDArray[np.bool_]:
    """Run OpenCV's GrabCut from seeded ``labels`` and return its foreground (sure or probable).

    The one place the embedded engine calls GrabCut with a label mask: the image is handed
    over in OpenCV's channel order, the colour models start empty and OpenCV's RNG is seeded,
    so the cut is deterministic.

    Parameters
    ----------
    image_rgb
        ``(h, w, 3)`` uint8 RGB image (a crop is fine).
    labels
        ``(h, w)`` OpenCV GrabCut classes (``cv2.GC_BGD``, ``GC_FGD``, ``GC_PR_BGD``,
        ``GC_PR_FGD``). Not modified.
    iterations
        GrabCut iterations.

    Returns
    -------
    numpy.ndarray
        ``(h, w)`` bool foreground.

    Raises
    ------
    cv2.error
        When OpenCV refuses the labels (for example no background or no foreground sample).

    Examples
    --------
    >>> img = np.full((40, 40, 3), 30, np.uint8); img[10:30, 10:30] = (220, 200, 40)
    >>> labels = np.full((40, 40), cv2.GC_PR_BGD, np.uint8); labels[:3] = cv2.GC_BGD
    >>> labels[8:32, 8:32] = cv2.GC_PR_FGD; labels[15:25, 15:25] = cv2.GC_FGD
    >>> fg = grabcut_foreground(img, labels, 3)
    >>> bool(fg[20, 20]), bool(fg[2, 2])
    (True, False)
    """
    gc = labels.copy()
    bgd = np.zeros((1, 65), np.float64)
    fgd = np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(0)
    image = np.ascontiguousarray(np.asarray(image_rgb)[..., ::-1])
    cv2.grabCut(image, gc, (0, 0, 0, 0), bgd, fgd, iterations, cv2.GC_INIT_WITH_MASK)
    foreground: NDArray[np.bool_] = (gc == cv2.GC_FGD) | (gc == cv2.GC_PR_FGD)
    return foreground


def _cut(
    image_rgb: NDArray[np.uint8], crop_xyxy: CropXYXY, labels: NDArray[np.uint8]
) -> NDArray[np.bool_]:
    """Run GrabCut on the crop ``crop_xyxy`` from its seeded ``labels``; return the foreground.

    ``labels`` holds OpenCV's GrabCut classes for the crop. The result is full-frame, empty
    outside the crop.
    """
    height, width = image_rgb.shape[:2]
    x0, y0, x1, y1 = crop_xyxy
    mask = np.zeros((height, width), dtype=bool)
    mask[y0:y1, x0:x1] = grabcut_foreground(image_rgb[y0:y1, x0:x1], labels, _ITERATIONS)
    return mask


def _parts_holding(mask: NDArray[np.bool_], points_xy: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Keep the 4-connected parts of ``mask`` that hold at least one of ``points_xy``."""
    count, comp = cv2.connectedComponents(mask.astype(np.uint8), connectivity=4)
    keep = np.zeros(count, dtype=bool)
    keep[comp[points_xy[:, 1], points_xy[:, 0]]] = True
    keep[0] = False
    held: NDArray[np.bool_] = keep[comp]
    return held


def grabcut_clicks(
    image_rgb: NDArray[np.uint8],
    positives: NDArray[np.int64],
    negatives: NDArray[np.int64],
) -> NDArray[np.bool_]:
    """Cut out the object under ``positives`` with GrabCut on a crop around them.

    The crop reaches ``max(24, 1.5 * spread, 0.12 * min(H, W))`` pixels past the clicks. Positive
    clicks are probable foreground discs (a small sure-foreground core), negative clicks and the
    crop border (where it is not the image border) sure background.

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame.
    positives, negatives
        ``(k, 2)`` integer ``(x, y)`` pixels; at least one positive. Negatives outside the crop
        are ignored.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool: the foreground parts holding a positive click.
    """
    height, width = image_rgb.shape[:2]
    spread = positives.max(axis=0) - positives.min(axis=0)
    margin = int(max(24, 1.5 * spread.max(), 0.12 * min(height, width)))
    x0 = max(0, int(positives[:, 0].min()) - margin)
    y0 = max(0, int(positives[:, 1].min()) - margin)
    x1 = min(width, int(positives[:, 0].max()) + margin + 1)
    y1 = min(height, int(positives[:, 1].max()) + margin + 1)
    gc = np.full((y1 - y0, x1 - x0), cv2.GC_PR_BGD, np.uint8)
    radius = max(3, int(0.35 * margin))
    for x, y in positives:
        cv2.circle(gc, (int(x) - x0, int(y) - y0), radius, int(cv2.GC_PR_FGD), -1)
    for x, y in negatives:
        if x0 <= x < x1 and y0 <= y < y1:
            cv2.circle(gc, (int(x) - x0, int(y) - y0), 3, int(cv2.GC_BGD), -1)
    if y0 > 0:
        gc[0, :] = cv2.GC_BGD
    if x0 > 0:
        gc[:, 0] = cv2.GC_BGD
    if y1 < height:
        gc[-1, :] = cv2.GC_BGD
    if x1 < width:
        gc[:, -1] = cv2.GC_BGD
    for x, y in positives:
        cv2.circle(gc, (int(x) - x0, int(y) - y0), 2, int(cv2.GC_FGD), -1)
    return _parts_holding(_cut(image_rgb, (x0, y0, x1, y1), gc), positives)


def grabcut_box(image_rgb: NDArray[np.uint8], box_xyxy: CropXYXY) -> NDArray[np.bool_]:
    """Cut out the object a box frames, with GrabCut (the box fallback of the embedded engine).

    The crop is the box grown by a quarter of its size on each side (at least 8 pixels, within
    the image). Outside the box is sure background; inside it probable foreground. Of the
    foreground GrabCut finds inside the box, one connected part is kept — a box frames one object:
    the part at the box centre, or the largest part when the centre is background (a ring).

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame.
    box_xyxy
        ``(x0, y0, x1, y1)`` pixel edges, end-exclusive (the box holds ``[y0:y1, x0:x1]``), inside
        the frame.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool, empty when GrabCut finds no foreground in the box.

    Raises
    ------
    ConfigError
        The box is empty or reaches outside the frame.

    Examples
    --------
    >>> import numpy as np
    >>> image = np.full((60, 80, 3), 30, np.uint8)
    >>> image[20:40, 30:50] = (220, 40, 40)
    >>> mask = grabcut_box(image, (24, 14, 56, 46))
    >>> bool(mask[30, 40]), bool(mask[16, 26]), int(mask.sum())
    (True, False, 400)
    """
    image = as_rgb_image(image_rgb)
    height, width = image.shape[:2]
    bx0, by0, bx1, by1 = (int(v) for v in box_xyxy)
    if not (0 <= bx0 < bx1 <= width and 0 <= by0 < by1 <= height):
        raise ConfigError(
            f"box {tuple(box_xyxy)} is not a box inside the {width}x{height} frame; give "
            f"(x0, y0, x1, y1) with 0 <= x0 < x1 <= {width} and 0 <= y0 < y1 <= {height}"
        )
    pad_x = max(8, (bx1 - bx0) // 4)
    pad_y = max(8, (by1 - by0) // 4)
    x0, y0 = max(0, bx0 - pad_x), max(0, by0 - pad_y)
    x1, y1 = min(width, bx1 + pad_x), min(height, by1 + pad_y)
    gc = np.full((y1 - y0, x1 - x0), cv2.GC_BGD, np.uint8)
    gc[by0 - y0 : by1 - y0, bx0 - x0 : bx1 - x0] = cv2.GC_PR_FGD
    if not (gc == cv2.GC_BGD).any():
        # The box is the whole frame: GrabCut needs some background to learn from.
        gc[[0, -1], :] = cv2.GC_PR_BGD
        gc[:, [0, -1]] = cv2.GC_PR_BGD
    inside = np.zeros((height, width), dtype=bool)
    inside[by0:by1, bx0:bx1] = True
    found = _cut(image, (x0, y0, x1, y1), gc) & inside
    count, comp, stats, _ = cv2.connectedComponentsWithStats(found.astype(np.uint8), connectivity=4)
    if count <= 2:
        return found
    centre = comp[(by0 + by1) // 2, (bx0 + bx1) // 2]
    best = int(centre) if centre else 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask: NDArray[np.bool_] = comp == best
    return mask


_REFINE_MAX_SIDE = 240
"""Longest side of the crop `refine_outline` cuts at (larger crops are cut downscaled)."""
_REFINE_MIN_IOU = 0.75
"""`refine_outline` keeps its cut only when it overlaps the mask by at least this IoU."""


def refine_outline(
    image_rgb: NDArray[np.uint8],
    mask: NDArray[np.bool_],
    points_xy: NDArray[np.int64],
    *,
    band_fraction: float,
) -> NDArray[np.bool_]:
    """Return ``mask`` with its outline moved onto the image's edges by GrabCut in a band.

    A proposal of the embedded engine is a union of superpixels: its outline follows them, not
    the object. GrabCut settles the band of width ``band_fraction × sqrt(area)`` around the
    outline: the mask eroded by the band is sure foreground, the rest of the mask probable
    foreground, the band outside it probable background, anything farther sure background.
    Crops longer than 240 px are cut downscaled. The parts holding ``points_xy`` (the object's
    clicks) are kept. The mask is returned unchanged when the cut fails, loses a click, or
    overlaps the mask by an IoU under 0.75: a refinement moves an outline, and a cut that
    replaces a quarter of the mask or more has settled on another region (the dark burrow
    around `bigbuckbunny`'s grey rabbit, which it kept while dropping the rabbit).

    Parameters
    ----------
    image_rgb
        ``(H, W, 3)`` uint8 RGB frame.
    mask
        ``(H, W)`` bool mask to refine. Not modified.
    points_xy
        ``(k, 2)`` integer ``(x, y)`` pixels the refined mask must hold.
    band_fraction
        Band width over the square root of the mask's area (``0``: no refinement).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` bool refined mask (a copy).

    Examples
    --------
    >>> img = np.full((60, 60, 3), 30, np.uint8); img[20:40, 20:40] = (220, 200, 40)
    >>> coarse = np.zeros((60, 60), bool); coarse[19:41, 19:42] = True   # a loose outline
    >>> fine = refine_outline(img, coarse, np.array([[30, 30]]), band_fraction=0.15)
    >>> int(coarse.sum()), int(fine.sum())
    (506, 400)
    """
    out = np.array(mask, dtype=bool, copy=True)
    area = int(out.sum())
    band = round(band_fraction * math.sqrt(area))
    if band < 1 or area == 0:
        return out
    height, width = out.shape
    ys, xs = np.nonzero(out)
    pad = 2 * band + 2
    y0, y1 = max(0, int(ys.min()) - pad), min(height, int(ys.max()) + pad + 1)
    x0, x1 = max(0, int(xs.min()) - pad), min(width, int(xs.max()) + pad + 1)
    crop = out[y0:y1, x0:x1].astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * band + 1, 2 * band + 1))
    inner = cv2.erode(crop, kernel) > 0
    if not inner.any():
        return out
    labels = np.full(crop.shape, cv2.GC_BGD, np.uint8)
    labels[cv2.dilate(crop, kernel) > 0] = cv2.GC_PR_BGD
    labels[crop > 0] = cv2.GC_PR_FGD
    labels[inner] = cv2.GC_FGD
    image = np.asarray(image_rgb, np.uint8)[y0:y1, x0:x1]
    scale = min(1.0, _REFINE_MAX_SIDE / max(crop.shape))
    size_wh = (max(2, round(crop.shape[1] * scale)), max(2, round(crop.shape[0] * scale)))
    if scale < 1:
        image = np.asarray(cv2.resize(image, size_wh, interpolation=cv2.INTER_AREA), np.uint8)
        labels = np.asarray(cv2.resize(labels, size_wh, interpolation=cv2.INTER_NEAREST), np.uint8)
    try:
        cut = grabcut_foreground(image, labels, _ITERATIONS)
    except cv2.error:
        return out
    if scale < 1:
        back = cv2.resize(
            cut.astype(np.float32), (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_LINEAR
        )
        cut = (np.asarray(back) >= 0.5) | inner
    refined = np.zeros_like(out)
    refined[y0:y1, x0:x1] = cut
    points = np.asarray(points_xy, np.int64).reshape(-1, 2)
    if len(points):
        refined = _parts_holding(refined, points)
        if not refined[points[:, 1], points[:, 0]].all():
            return out
    if not refined.any():
        return out
    kept = int(np.count_nonzero(refined & out))
    if kept < _REFINE_MIN_IOU * (area + int(refined.sum()) - kept):
        # the cut replaced a good part of the mask: it found another region, not the outline
        return out
    return refined
