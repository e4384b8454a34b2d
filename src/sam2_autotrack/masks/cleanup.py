"""Mask post-processing: fill holes, drop specks, hold in time, feather.

THE hole and speck rules of the library, used by the exports, the selection and the embedded
engine alike:

- a **hole** is a 4-connected background region that does not touch the frame border; holes of
  up to ``N`` pixels are filled ([`fill_small_holes`][sam2_autotrack.masks.fill_small_holes]);
- a **speck** is an 8-connected mask region of fewer than ``N`` pixels; specks are removed
  ([`remove_small_components`][sam2_autotrack.masks.remove_small_components]).

All functions are pure: they return new arrays and never modify their inputs. The
[`MaskCleanup`][sam2_autotrack.MaskCleanup] options model bundles the settings so that the alpha
video, the PNG sequences, the palette PNGs and the COCO JSON of one run are cleaned the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import Field
from scipy import ndimage

from sam2_autotrack._options import Options
from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.validate import as_mask, as_mask_stack

__all__ = [
    "MaskCleanup",
    "clean_mask_sequence",
    "feather_alpha",
    "fill_small_holes",
    "hold_indices",
    "hold_to_all_frames",
    "largest_component",
    "remove_small_components",
]


class MaskCleanup(Options):
    """How masks are cleaned before export (one setting for every export of a run).

    Attributes
    ----------
    fill_holes_px
        Fill background holes (regions enclosed by the mask, not touching the frame border) of
        at most this many pixels. ``0`` keeps every hole.
    min_component_px
        Remove connected mask regions (8-connected) smaller than this many pixels. ``0`` keeps
        every region.
    feather_px
        Width in pixels of the soft ramp at the mask edge in alpha outputs (alpha videos, mask PNG
        sequences). ``0`` gives a hard 0/255 edge. Binary outputs (palette PNGs, COCO RLE)
        ignore it.

    Examples
    --------
    >>> MaskCleanup()
    MaskCleanup(fill_holes_px=0, min_component_px=0, feather_px=0.0)
    >>> MaskCleanup(fill_holes_px=64, feather_px=2).is_noop
    False
    """

    fill_holes_px: int = Field(default=0, ge=0)
    min_component_px: int = Field(default=0, ge=0)
    feather_px: float = Field(default=0.0, ge=0.0)

    @property
    def is_noop(self) -> bool:
        """``True`` when the settings leave masks untouched."""
        return self.fill_holes_px == 0 and self.min_component_px == 0 and self.feather_px == 0

    def apply(self, masks: Any) -> NDArray[np.bool_]:
        """Fill holes and drop small regions of a ``(T, H, W)`` or ``(H, W)`` mask (not feathering).

        Parameters
        ----------
        masks
            Bool-like mask or mask stack; not modified.

        Returns
        -------
        numpy.ndarray
            A new bool array of the same shape.

        Examples
        --------
        >>> ring = np.ones((5, 5), dtype=bool); ring[2, 2] = False
        >>> bool(MaskCleanup(fill_holes_px=1).apply(ring)[2, 2])
        True
        """
        array = np.asarray(masks)
        if array.ndim == 2:
            cleaned: NDArray[np.bool_] = clean_mask_sequence(
                array[None],
                fill_holes_px=self.fill_holes_px,
                min_component_px=self.min_component_px,
            )[0]
            return cleaned
        return clean_mask_sequence(
            array, fill_holes_px=self.fill_holes_px, min_component_px=self.min_component_px
        )


def hold_indices(frame_indices: Any, frame_count: int) -> NDArray[np.intp]:
    """For every source frame, the position of the mask frame that is shown there.

    Frame ``t`` shows the last mask frame whose source index is ``<= t``; frames before the first
    mask index get ``-1`` (nothing to show).

    Parameters
    ----------
    frame_indices
        ``(T,)`` strictly increasing source-frame indices of the mask frames, each in
        ``[0, frame_count)``.
    frame_count
        Number of frames in the source video.

    Returns
    -------
    numpy.ndarray
        ``(frame_count,)`` positions into the mask stack (``-1`` where nothing is held).

    Raises
    ------
    MaskError
        ``frame_indices`` not 1-D integers, not strictly increasing, negative or beyond
        ``frame_count``; ``frame_count`` below 1.

    Examples
    --------
    >>> hold_indices([0, 3, 6], 8).tolist()
    [0, 0, 0, 1, 1, 1, 2, 2]
    >>> hold_indices([2], 4).tolist()
    [-1, -1, 0, 0]
    """
    indices = np.asarray(frame_indices)
    if indices.ndim != 1 or (indices.size and not np.issubdtype(indices.dtype, np.integer)):
        raise MaskError(
            f"frame_indices must be a 1-D integer array; got dtype {indices.dtype}, "
            f"shape {indices.shape}"
        )
    if frame_count < 1:
        raise MaskError(f"frame_count must be at least 1; got {frame_count}")
    if indices.size:
        if np.any(np.diff(indices) <= 0) or indices[0] < 0:
            raise MaskError(
                "frame_indices must be non-negative and strictly increasing; got "
                f"{indices[:8].tolist()}{'...' if indices.size > 8 else ''}"
            )
        if indices[-1] >= frame_count:
            raise MaskError(
                f"frame index {int(indices[-1])} is beyond the video's {frame_count} frames; "
                "pass the source video's frame_count"
            )
    positions = np.searchsorted(indices, np.arange(frame_count), side="right") - 1
    return positions.astype(np.intp)


def hold_to_all_frames(masks: Any, frame_indices: Any, frame_count: int) -> NDArray[np.bool_]:
    """Expand masks given every k-th frame to one mask per source frame.

    Each mask is held unchanged until the next mask index (never interpolated or stretched);
    frames before the first index get an empty mask.

    Parameters
    ----------
    masks
        ``(T, H, W)`` bool masks; not modified.
    frame_indices
        ``(T,)`` source-frame index of each mask.
    frame_count
        Number of frames in the source video.

    Returns
    -------
    numpy.ndarray
        ``(frame_count, H, W)`` bool, a new array.

    Raises
    ------
    MaskError
        ``masks`` is not 3-D, or ``frame_indices`` does not match it (see
        [`hold_indices`][sam2_autotrack.masks.hold_indices]).

    Examples
    --------
    >>> masks = np.array([[[True]], [[False]]])
    >>> hold_to_all_frames(masks, [0, 2], 4)[:, 0, 0].tolist()
    [True, True, False, False]
    """
    stack = as_mask_stack(masks)
    positions = hold_indices(frame_indices, frame_count)
    if np.asarray(frame_indices).shape != (stack.shape[0],):
        raise MaskError(
            f"frame_indices must have shape ({stack.shape[0]},) to match the masks; "
            f"got {np.asarray(frame_indices).shape}"
        )
    held = np.zeros((frame_count, *stack.shape[1:]), dtype=bool)
    shown = positions >= 0
    held[shown] = stack[positions[shown]]
    return held


def clean_mask_sequence(
    masks: Any, *, fill_holes_px: int = 0, min_component_px: int = 0
) -> NDArray[np.bool_]:
    """Fill small holes and remove small regions, frame by frame.

    Holes are filled first, then regions smaller than ``min_component_px`` are dropped.

    Parameters
    ----------
    masks
        ``(T, H, W)`` bool masks; not modified.
    fill_holes_px
        Largest hole (4-connected background region not touching the frame border) to fill.
    min_component_px
        Smallest 8-connected region to keep.

    Returns
    -------
    numpy.ndarray
        ``(T, H, W)`` bool, a new array.

    Raises
    ------
    MaskError
        ``masks`` is not 3-D, or a negative size.

    Examples
    --------
    >>> m = np.zeros((1, 7, 7), dtype=bool)
    >>> m[0, 1:5, 1:5] = True; m[0, 2, 2] = False; m[0, 0, 6] = True
    >>> out = clean_mask_sequence(m, fill_holes_px=1, min_component_px=2)
    >>> bool(out[0, 2, 2]), bool(out[0, 0, 6]), int(out.sum())
    (True, False, 16)
    """
    stack = as_mask_stack(masks)
    if fill_holes_px < 0 or min_component_px < 0:
        raise MaskError(
            f"fill_holes_px and min_component_px must be >= 0; got {fill_holes_px}, "
            f"{min_component_px}"
        )
    out: NDArray[np.bool_] = stack.copy()
    for t in range(out.shape[0] if out.size else 0):
        if fill_holes_px > 0:
            out[t] = fill_small_holes(out[t], max_hole_px=fill_holes_px)
        if min_component_px > 0:
            out[t] = remove_small_components(out[t], min_px=min_component_px)
    return out


def fill_small_holes(mask: Any, *, max_hole_px: int | None = None) -> NDArray[np.bool_]:
    """Return a copy of ``mask`` with its holes of at most ``max_hole_px`` pixels filled.

    A hole is a 4-connected background region that does not touch the frame border (a notch
    open to the outside or to the image edge is not a hole).

    Parameters
    ----------
    mask
        ``(H, W)`` bool (any array; non-zero is foreground). Not modified.
    max_hole_px
        Holes with at most this many pixels are filled; larger ones (the inside of a ring) are
        kept. ``None`` fills every hole.

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
    >>> bool(fill_small_holes(m, max_hole_px=1)[6, 6])
    True
    >>> bool(fill_small_holes(m, max_hole_px=0)[6, 6])
    False
    """
    return _on_box(as_mask(mask), 1, lambda crop: _fill_holes_u8(crop, max_hole_px))


def remove_small_components(mask: Any, *, min_px: int) -> NDArray[np.bool_]:
    """Return a copy of ``mask`` without its specks: 8-connected regions of fewer than ``min_px``.

    Parameters
    ----------
    mask
        ``(H, W)`` bool (any array; non-zero is foreground). Not modified.
    min_px
        Regions with fewer pixels are removed.

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
    >>> int(remove_small_components(m, min_px=5).sum())
    64
    """
    return _on_box(as_mask(mask), 0, lambda crop: _remove_small_u8(crop, int(min_px)))


def largest_component(mask: Any, *, min_share: float = 0.0) -> NDArray[np.bool_] | None:
    """Return the largest 8-connected region of ``mask``, or ``None``.

    Parameters
    ----------
    mask
        ``(H, W)`` bool (any array; non-zero is foreground). Not modified.
    min_share
        ``None`` is returned when the largest region holds less than this share of the mask's
        pixels (the mask is scraps, not one thing with specks).

    Returns
    -------
    numpy.ndarray or None
        ``(H, W)`` bool, or ``None`` for an empty mask or scraps.

    Examples
    --------
    >>> import numpy as np
    >>> m = np.zeros((20, 20), dtype=bool)
    >>> m[2:10, 2:10] = True
    >>> m[15:17, 15:17] = True
    >>> int(largest_component(m).sum())
    64
    >>> largest_component(m, min_share=0.99) is None
    True
    """
    foreground = as_mask(mask).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(foreground, connectivity=8)
    if count < 2:
        return None
    areas = stats[1:, cv2.CC_STAT_AREA]
    best = int(np.argmax(areas))
    if float(areas[best]) / np.count_nonzero(foreground) < min_share:
        return None
    piece: NDArray[np.bool_] = labels == best + 1
    return piece


def _on_box(
    mask: NDArray[np.bool_], pad: int, fn: Callable[[NDArray[np.uint8]], NDArray[np.uint8]]
) -> NDArray[np.bool_]:
    """Apply ``fn`` (uint8 0/1 crop -> crop) to the bounding box of ``mask`` grown by ``pad``."""
    out = np.zeros(mask.shape, dtype=np.bool_)
    rows = np.flatnonzero(mask.any(axis=1))
    if not rows.size:
        return out
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    cols = np.flatnonzero(mask[y0:y1].any(axis=0))
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    height, width = mask.shape
    x0, y0 = max(0, x0 - pad), max(0, y0 - pad)
    x1, y1 = min(width, x1 + pad), min(height, y1 + pad)
    crop = np.ascontiguousarray(mask[y0:y1, x0:x1]).view(np.uint8)
    out[y0:y1, x0:x1] = fn(crop) != 0
    return out


def _remove_small_u8(crop: NDArray[np.uint8], min_px: int) -> NDArray[np.uint8]:
    """Drop 8-connected regions of fewer than ``min_px`` pixels from a 0/1 crop."""
    if min_px <= 1 or not crop.any():
        return crop
    count, labels, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    keep = stats[:, cv2.CC_STAT_AREA] >= min_px
    keep[0] = False
    if keep[1:count].all():
        return crop
    cleaned: NDArray[np.uint8] = keep.astype(np.uint8)[labels]
    return cleaned


def _fill_holes_u8(crop: NDArray[np.uint8], max_hole_px: int | None) -> NDArray[np.uint8]:
    """Fill the holes of at most ``max_hole_px`` pixels (``None``: all) of a 0/1 crop.

    The crop's edge counts as the frame border (the crop must hold the whole mask).
    """
    if (max_hole_px is not None and max_hole_px < 1) or not crop.any():
        return crop
    background = cv2.copyMakeBorder(
        (1 - crop).astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1
    )
    count, labels, stats, _ = cv2.connectedComponentsWithStats(background, connectivity=4)
    if count <= 2:
        return crop
    if max_hole_px is None:
        fill = np.ones(count, dtype=bool)
    else:
        fill = stats[:, cv2.CC_STAT_AREA] <= max_hole_px
    fill[0] = False
    fill[labels[0, 0]] = False
    if not fill.any():
        return crop
    filled = fill[labels[1:-1, 1:-1]]
    result: NDArray[np.uint8] = np.maximum(crop, filled.astype(np.uint8))
    return result


def feather_alpha(mask: Any, *, radius_px: float) -> NDArray[np.uint8]:
    """Turn a ``(H, W)`` mask into an 8-bit alpha with a linear ramp across its edge.

    The ramp is centred on the mask boundary and ``2 * radius_px`` pixels wide, so pixels inside
    the mask stay ``>= 128`` and pixels outside stay ``< 128``: thresholding the alpha at 128 gives
    the mask back. ``radius_px=0`` gives a hard 0/255 alpha.

    Parameters
    ----------
    mask
        ``(H, W)`` bool mask; not modified.
    radius_px
        Half-width of the soft edge in pixels.

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` uint8 alpha.

    Raises
    ------
    MaskError
        ``mask`` is not 2-D, or ``radius_px`` is negative.

    Examples
    --------
    >>> m = np.zeros((1, 7), dtype=bool); m[0, 3:] = True
    >>> feather_alpha(m, radius_px=0)[0].tolist()
    [0, 0, 0, 255, 255, 255, 255]
    >>> feather_alpha(m, radius_px=2)[0].tolist()
    [0, 32, 96, 159, 223, 255, 255]
    """
    array = np.asarray(mask)
    if array.ndim != 2:
        raise MaskError(
            f"feather_alpha needs one (H, W) mask; got shape {array.shape} — call it per frame"
        )
    if not radius_px >= 0:
        raise MaskError(f"radius_px must be >= 0; got {radius_px!r}")
    binary: NDArray[np.bool_] = array if array.dtype == np.bool_ else array != 0
    if radius_px == 0 or binary.all() or not binary.any():
        hard: NDArray[np.uint8] = binary.astype(np.uint8) * np.uint8(255)
        return hard
    inside = np.asarray(ndimage.distance_transform_edt(binary), dtype=np.float64)
    outside = np.asarray(ndimage.distance_transform_edt(~binary), dtype=np.float64)
    # Signed distance to the boundary, which lies half a pixel beyond the outermost mask pixels.
    signed = np.where(binary, inside - 0.5, 0.5 - outside)
    ramp = np.clip(0.5 + signed / (2.0 * radius_px), 0.0, 1.0)
    alpha: NDArray[np.uint8] = np.rint(ramp * 255.0).astype(np.uint8)
    # Keep the threshold-at-128 property exact despite rounding.
    alpha[binary] = np.maximum(alpha[binary], 128)
    alpha[~binary] = np.minimum(alpha[~binary], 127)
    return alpha
