"""COCO-style JSON of tracked masks: one image per mask frame, one RLE annotation per object.

The segmentation is pycocotools-compatible compressed RLE
([`encode_rle`][sam2_autotrack.masks.encode_rle]), so ``pycocotools.coco.COCO`` loads the file as
is. The file is written atomically.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack._fs import write_json_atomic
from sam2_autotrack.errors import MaskSizeError
from sam2_autotrack.export._checks import checked_masks
from sam2_autotrack.export.encode import ExportProgress
from sam2_autotrack.masks.cleanup import MaskCleanup
from sam2_autotrack.masks.rle import encode_rle

__all__ = ["write_coco_json"]


def _bbox_xywh(mask: NDArray[np.bool_]) -> list[float]:
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return [0.0, 0.0, 0.0, 0.0]
    x0, x1, y0, y1 = int(cols[0]), int(cols[-1]), int(rows[0]), int(rows[-1])
    return [float(x0), float(y0), float(x1 - x0 + 1), float(y1 - y0 + 1)]


def write_coco_json(
    masks: Mapping[str, Any],
    *,
    frame_indices: Any,
    out_path: str | Path,
    video_name: str,
    resolution_wh: tuple[int, int],
    cleanup: MaskCleanup | None = None,
    progress: ExportProgress | None = None,
) -> Path:
    """Write COCO-style JSON: one image per mask frame, one RLE annotation per object per frame.

    Layout: ``videos`` (one entry), ``images`` (``id``, ``frame_index``, ``file_name``, size),
    ``categories`` (a single ``"object"`` category), ``objects`` (``id`` 1..K with the object's
    ``name``) and ``annotations`` (``image_id``, ``object_id``/``track_id``, ``object_name``,
    ``frame_index``, ``segmentation`` as compressed RLE, ``area``, ``bbox`` ``[x, y, w, h]``,
    ``iscrowd`` 0). Frames where an object's mask is empty get no annotation. pycocotools'
    ``COCO`` class loads the file as is.

    Parameters
    ----------
    masks
        ``{object_id: (T, H, W) bool or MaskSequence}``, all the same shape (read frame by frame).
    frame_indices
        ``(T,)`` source-frame index of each mask frame.
    out_path
        Destination ``.json`` (written atomically).
    video_name
        Name recorded for the video (for example the file name).
    resolution_wh
        ``(width, height)`` of the video; must match the masks.
    cleanup
        Hole filling and speck removal (feathering does not apply to RLE).
    progress
        Advanced by one per mask frame.

    Returns
    -------
    Path
        ``out_path``.

    Raises
    ------
    MaskError
        Masks that are not ``(T, H, W)`` stacks of one shape, or ``frame_indices`` that do not
        match them.
    MaskSizeError
        Masks of another size than ``resolution_wh``.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> m = np.zeros((1, 4, 5), dtype=bool); m[0, 1:3, 2:4] = True
    >>> path = write_coco_json({"cup": m}, frame_indices=[0], video_name="demo.mp4",
    ...                        resolution_wh=(5, 4),
    ...                        out_path=pathlib.Path(tempfile.mkdtemp()) / "coco.json")
    >>> ann = json.loads(path.read_text())["annotations"][0]
    >>> ann["object_name"], ann["area"], ann["bbox"]
    ('cup', 4, [2.0, 1.0, 2.0, 2.0])
    """
    stacks = checked_masks(masks, frame_indices)
    first = next(iter(stacks.values()))
    width, height = (int(v) for v in resolution_wh)
    actual_wh = (int(first.shape[2]), int(first.shape[1]))
    if actual_wh != (width, height):
        raise MaskSizeError(
            f"masks are {actual_wh[0]}x{actual_wh[1]} but resolution_wh is {width}x{height}; "
            "pass the video's (width, height)",
            expected_wh=(width, height),
            actual_wh=actual_wh,
        )
    options = cleanup if cleanup is not None else MaskCleanup()
    frames = np.asarray(frame_indices, dtype=np.int64).tolist()
    images = [
        {
            "id": t + 1,
            "video_id": 1,
            "frame_index": frame,
            "file_name": f"frame_{frame:05d}.jpg",
            "width": width,
            "height": height,
        }
        for t, frame in enumerate(frames)
    ]
    objects = [{"id": k, "name": oid, "category_id": 1} for k, oid in enumerate(stacks, start=1)]
    annotations: list[dict[str, Any]] = []
    for t, frame in enumerate(frames):
        for k, (object_id, stack) in enumerate(stacks.items(), start=1):
            mask = options.apply(stack[t])
            area = int(mask.sum())
            if area == 0:
                continue
            annotations.append(
                {
                    "image_id": t + 1,
                    "video_id": 1,
                    "category_id": 1,
                    "object_id": k,
                    "track_id": k,
                    "object_name": object_id,
                    "frame_index": frame,
                    "segmentation": encode_rle(mask),
                    "area": area,
                    "bbox": _bbox_xywh(mask),
                    "iscrowd": 0,
                }
            )
        if progress is not None:
            progress.advance()
    # Read frame by frame, listed object by object (ids in that order).
    annotations.sort(key=lambda ann: (ann["object_id"], ann["image_id"]))
    annotations = [{"id": n, **ann} for n, ann in enumerate(annotations, start=1)]
    document = {
        "info": {"description": f"sam2_autotrack masks for {video_name}"},
        "videos": [
            {"id": 1, "name": video_name, "width": width, "height": height, "frames": frames}
        ],
        "images": images,
        "categories": [{"id": 1, "name": "object", "supercategory": "object"}],
        "objects": objects,
        "annotations": annotations,
    }
    return write_json_atomic(out_path, document)
