"""A filmstrip: evenly spaced frames with the tracked masks overlaid, in a grid.

Only the shown frames are read: of a result, their masks through ``mask_sequence()`` and their
images by decoding the video once up to the last of them, so a long video costs no more than a
short one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import ConfigError, MaskError, VideoError
from sam2_autotrack.export.palette import object_colors
from sam2_autotrack.masks.store import MaskSequence
from sam2_autotrack.masks.validate import as_rgb_frames
from sam2_autotrack.video.reader import iter_frames
from sam2_autotrack.viz.draw import PANEL_RGB, font_scale, put_text
from sam2_autotrack.viz.figure import Figure
from sam2_autotrack.viz.overlay import overlay_masks
from sam2_autotrack.viz.tracked import TrackedVideo

__all__ = ["even_positions", "filmstrip"]


def even_positions(total: int, n: int) -> list[int]:
    """Return up to ``n`` evenly spaced positions in ``0..total-1``, first and last included.

    Examples
    --------
    >>> even_positions(10, 4), even_positions(3, 10), even_positions(0, 5)
    ([0, 3, 6, 9], [0, 1, 2], [])
    """
    if total <= 0:
        return []
    n = min(n, total)
    return sorted({round(float(p)) for p in np.linspace(0, total - 1, n)})


def filmstrip(
    source: TrackedVideo | NDArray[np.uint8],
    masks: Mapping[str, NDArray[np.bool_] | MaskSequence] | NDArray[np.bool_] | None = None,
    *,
    n: int = 6,
    columns: int | None = None,
    thumb_width: int = 320,
    frame_indices: Sequence[int] | NDArray[np.int64] | None = None,
    alpha: float = 0.5,
) -> Figure:
    """Show ``n`` evenly spaced frames with the masks overlaid, in a grid.

    Parameters
    ----------
    source
        A [`TrackResult`][sam2_autotrack.TrackResult] (frames are read from its video), or ``(T, H,
        W, 3)`` uint8 RGB frames matching ``masks`` one-to-one.
    masks
        With frames: ``{object_id: (T, H, W) bool}`` (arrays, or
        [`MaskSequence`][sam2_autotrack.masks.MaskSequence] read frame by frame) or one ``(T, H,
        W)`` bool array. Ignored for a result.
    n
        Number of frames to show (fewer if there are fewer mask frames).
    columns
        Frames per row (default ``min(n, 3)``).
    thumb_width
        Width of each frame in pixels (frames are scaled, keeping their aspect ratio).
    frame_indices
        Source-frame number of each of the ``T`` frames, used for the captions (default ``0..T-1``;
        a result's own ``frame_indices`` are used for a result).
    alpha
        Fill opacity.

    Returns
    -------
    Figure
        The grid; each frame is captioned with its source-frame number.

    Raises
    ------
    ConfigError
        ``n``, ``columns`` or ``thumb_width`` too small, or ``alpha`` outside 0..1.
    MaskError
        Masks that do not match the frames.
    VideoError
        A result whose video is gone or shorter than its masks.

    Examples
    --------
    >>> import numpy as np
    >>> frames = np.zeros((10, 30, 40, 3), np.uint8)
    >>> m = np.zeros((10, 30, 40), bool); m[:, 10:20, 10:20] = True
    >>> filmstrip(frames, {"obj_1": m}, n=4, columns=4, thumb_width=40).image.shape
    (30, 160, 3)
    """
    if n < 1:
        raise ConfigError(f"n must be ≥ 1 (frames to show); got {n}")
    if columns is not None and columns < 1:
        raise ConfigError(f"columns must be ≥ 1 (or None: min(n, 3)); got {columns}")
    if thumb_width < 8:
        raise ConfigError(f"thumb_width must be ≥ 8 pixels; got {thumb_width}")
    if not 0.0 <= alpha <= 1.0:
        raise ConfigError(f"alpha must be between 0 and 1 (the fill opacity); got {alpha}")
    per_object: dict[str, Any]
    if isinstance(source, np.ndarray):
        frames_all = as_rgb_frames(source)
        if masks is None:
            raise MaskError("pass the masks to overlay: filmstrip(frames, {'obj_1': masks_thw})")
        per_object = dict(masks) if isinstance(masks, Mapping) else {"obj_1": masks}
        total = frames_all.shape[0]
        labels = np.arange(total) if frame_indices is None else np.asarray(frame_indices, np.int64)
        positions = even_positions(total, n)
        frames = [frames_all[p] for p in positions]
    else:
        per_object = {oid: source.mask_sequence(oid) for oid in source.object_ids}
        labels = source.frame_indices
        total = len(labels)
        positions = even_positions(total, n)
        frames = _read_frames(source, [int(labels[p]) for p in positions])
    if labels.shape != (total,):
        raise MaskError(f"frame_indices must have shape ({total},); got {labels.shape}")
    stacks = {}
    for oid, stack in per_object.items():
        frames_of = _frames_of(stack)
        if len(frames_of.shape) != 3 or frames_of.shape[0] != total:
            raise MaskError(
                f"masks[{oid!r}] must be (T, H, W) with T={total} frames; got {frames_of.shape}"
            )
        stacks[oid] = frames_of
    colours = object_colors(len(stacks))
    height, width = frames[0].shape[:2] if frames else (1, 1)
    thumb_h = max(1, round(height * thumb_width / width))
    scale = font_scale(thumb_width * 2)
    tiles = []
    for position, frame in zip(positions, frames, strict=True):
        mask_hw = next(iter(stacks.values())).shape[1:]
        if frame.shape[:2] != mask_hw:
            raise MaskError(
                f"frame {int(labels[position])} is {frame.shape[1]}x{frame.shape[0]} but the masks "
                f"are {mask_hw[1]}x{mask_hw[0]}"
            )
        small = cv2.resize(frame, (thumb_width, thumb_h), interpolation=cv2.INTER_AREA)
        small_masks = np.stack(
            [
                cv2.resize(
                    np.asarray(s[position], dtype=np.uint8),
                    (thumb_width, thumb_h),
                    interpolation=cv2.INTER_NEAREST,
                ).astype(bool)
                for s in stacks.values()
            ]
        )
        tile = overlay_masks(small, small_masks, colors=colours, alpha=alpha, outline=1)
        caption = f"frame {int(labels[position])}"
        put_text(tile, caption, (4, 4 + round(22 * scale)), scale, box=PANEL_RGB)
        tiles.append(tile)
    cols = columns if columns is not None else min(len(tiles), 3)
    rows = -(-len(tiles) // cols)
    grid = np.zeros((rows * thumb_h, cols * thumb_width, 3), dtype=np.uint8)
    grid[:] = PANEL_RGB
    for k, tile in enumerate(tiles):
        row, col = divmod(k, cols)
        y0, x0 = row * thumb_h, col * thumb_width
        grid[y0 : y0 + thumb_h, x0 : x0 + thumb_width] = tile
    shown = ", ".join(str(int(labels[p])) for p in positions)
    return Figure(
        grid, title=f"frames {shown}", text=[f"frame {int(labels[p])}" for p in positions]
    )


def _frames_of(masks: Any) -> Any:
    """Return masks as a ``(T, H, W)`` array, or keep a sequence with a ``shape`` as it is."""
    shape = getattr(masks, "shape", None)
    if not isinstance(masks, np.ndarray) and isinstance(shape, tuple):
        return masks
    return np.asarray(masks, dtype=bool)


def _read_frames(result: TrackedVideo, indices: list[int]) -> list[NDArray[np.uint8]]:
    if result.video is None:
        raise VideoError(
            "this result has no source video to read frames from; pass the frames yourself: "
            "filmstrip(frames, {oid: result.masks(oid) for oid in result.object_ids})"
        )
    wanted = set(indices)
    found: dict[int, NDArray[np.uint8]] = {}
    stop = max(indices) + 1 if indices else 0
    frames = iter_frames(result.video, start=0, stop=stop)
    try:
        for index, frame in enumerate(frames):
            if index in wanted:
                found[index] = np.asarray(frame)
    finally:
        frames.close()
    missing = sorted(wanted - set(found))
    if missing:
        raise VideoError(
            f"{result.video} has no frame {missing[0]} (the result expects it); was the video "
            "replaced after tracking?",
            path=result.video,
        )
    return [found[i] for i in indices]
