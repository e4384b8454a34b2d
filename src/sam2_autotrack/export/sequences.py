"""Mask image sequences: per-object white-on-black PNG folders and DAVIS-style palette PNGs.

File names use the *source* frame index (``frame_00030.png`` is source frame 30), so masks exported
every k-th frame line up with the video. Every file is written atomically.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from sam2_autotrack._fs import atomic_path, write_bytes_atomic
from sam2_autotrack.errors import ExportError
from sam2_autotrack.export._checks import MaskFrames, checked_masks
from sam2_autotrack.export.encode import ExportProgress
from sam2_autotrack.export.palette import davis_palette
from sam2_autotrack.masks.cleanup import MaskCleanup, feather_alpha, hold_indices

__all__ = ["write_mask_sequences", "write_palette_pngs"]

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def _safe_folder(object_id: str) -> str:
    if not _SAFE_NAME.match(object_id) or object_id in {".", ".."}:
        raise ExportError(
            f"object id {object_id!r} cannot be used as a folder name; use ids made of letters, "
            "digits, '.', '_' and '-' (starting with a letter or digit)"
        )
    return object_id


def _png_bytes(image: NDArray[np.uint8]) -> bytes:
    ok, encoded = cv2.imencode(".png", image, [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:
        raise ExportError("OpenCV could not encode a PNG; check the mask array is (H, W) uint8")
    return encoded.tobytes()


def write_mask_sequences(
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    out_dir: str | Path,
    hold_to: int | None = None,
    cleanup: MaskCleanup | None = None,
) -> dict[str, list[Path]]:
    """Write one folder of white-on-black 8-bit PNG masks per object.

    Files are ``out_dir/<object_id>/frame_{i:05d}.png`` with ``i`` the source frame index, 255
    where the object is and 0 elsewhere (intermediate values only with ``cleanup.feather_px``).

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool or MaskSequence}``, all the same shape (read frame by
        frame). Ids must be safe folder names.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.
    out_dir
        Folder to write into (created).
    hold_to
        A source frame count: write a PNG for *every* frame ``0 .. hold_to - 1``, each mask held
        until the next mask frame (frames before the first mask are empty). ``None`` writes only
        the mask frames.
    cleanup
        Hole filling, speck removal and edge feathering (default: none).

    Returns
    -------
    dict of str to list of Path
        The files written per object, in frame order.

    Examples
    --------
    >>> import tempfile
    >>> masks = {"car": np.ones((2, 4, 6), dtype=bool)}
    >>> files = write_mask_sequences(masks, frame_indices=[0, 5], out_dir=tempfile.mkdtemp())
    >>> [p.name for p in files["car"]]
    ['frame_00000.png', 'frame_00005.png']
    """
    stacks = checked_masks(masks, frame_indices)
    options = cleanup if cleanup is not None else MaskCleanup()
    indices = np.asarray(frame_indices, dtype=np.int64)
    if hold_to is None:
        frames = indices
        positions = np.arange(indices.size)
    else:
        frames = np.arange(hold_to, dtype=np.int64)
        positions = hold_indices(indices, hold_to)
    root = Path(out_dir)
    written: dict[str, list[Path]] = {}
    for object_id, stack in stacks.items():
        folder = root / _safe_folder(object_id)
        files: list[Path] = []
        cache: dict[int, bytes] = {}
        for frame, position in zip(frames.tolist(), positions.tolist(), strict=True):
            if position not in cache:
                cache.clear()
                alpha = (
                    np.zeros(stack.shape[1:], dtype=np.uint8)
                    if position < 0
                    else feather_alpha(options.apply(stack[position]), radius_px=options.feather_px)
                )
                cache[position] = _png_bytes(alpha)
            files.append(write_bytes_atomic(folder / f"frame_{frame:05d}.png", cache[position]))
        written[object_id] = files
    return written


def _label_image(
    stacks: Mapping[str, MaskFrames], t: int, cleanup: MaskCleanup
) -> NDArray[np.uint8]:
    first = next(iter(stacks.values()))
    labels = np.zeros(first.shape[1:], dtype=np.uint8)
    for label, stack in enumerate(stacks.values(), start=1):
        labels[cleanup.apply(stack[t])] = label  # later objects are drawn over earlier ones
    return labels


def write_palette_pngs(
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    out_dir: str | Path,
    cleanup: MaskCleanup | None = None,
    progress: ExportProgress | None = None,
) -> list[Path]:
    """Write one indexed (palette) PNG per mask frame, DAVIS style.

    Pixel value 0 is background and ``k`` (1-based) is the k-th object of ``masks`` in order; where
    objects overlap the later one wins. The PNG carries the DAVIS palette, so viewers show colours
    while evaluation tools read the indices. Files are ``out_dir/frame_{i:05d}.png``.

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool or MaskSequence}``, at most 255 objects, all the same shape.
    frame_indices
        ``(T,)`` source-frame index of each mask frame.
    out_dir
        Folder to write into (created).
    cleanup
        Hole filling and speck removal (feathering does not apply to index masks).
    progress
        Advanced by one per PNG written.

    Returns
    -------
    list of Path
        The files written, in frame order.

    Raises
    ------
    ExportError
        More than 255 objects.
    MaskError
        Masks that are not ``(T, H, W)`` stacks of one shape, or ``frame_indices`` that do not
        match them.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> a = np.zeros((1, 2, 3), dtype=bool); a[0, 0, 0] = True
    >>> out_dir = tempfile.mkdtemp()
    >>> [path] = write_palette_pngs({"a": a, "b": ~a}, frame_indices=[0], out_dir=out_dir)
    >>> with Image.open(path) as image:
    ...     image.mode, np.asarray(image).tolist()
    ('P', [[1, 2, 2], [2, 2, 2]])
    """
    stacks = checked_masks(masks, frame_indices)
    if len(stacks) > 255:
        raise ExportError(
            f"palette PNGs hold at most 255 objects; got {len(stacks)} — use "
            "write_mask_sequences or write_coco_json instead"
        )
    options = cleanup if cleanup is not None else MaskCleanup()
    palette = davis_palette().tobytes()
    root = Path(out_dir)
    written: list[Path] = []
    for t, frame in enumerate(np.asarray(frame_indices, dtype=np.int64).tolist()):
        labels = _label_image(stacks, t, options)
        image = Image.frombytes("P", (labels.shape[1], labels.shape[0]), labels.tobytes())
        image.putpalette(palette)
        final = root / f"frame_{frame:05d}.png"
        with atomic_path(final) as tmp:
            image.save(tmp, format="PNG", optimize=False)
        written.append(final)
        if progress is not None:
            progress.advance()
    return written
