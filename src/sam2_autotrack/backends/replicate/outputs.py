"""Reading the hosted models' outputs: which files to download and how to decode them.

``meta/sam-2`` answers ``{"combined_mask", "individual_masks": [...]}`` (only the individual masks
are input-sized masks; the combined one is a matplotlib figure); ``meta/sam-2-video`` answers one
file per returned frame, a binary union mask or a frame composited on green.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.replicate.models import SAM2_IMAGE_VERSION, SAM2_VIDEO_VERSION
from sam2_autotrack.errors import BackendError, MaskError
from sam2_autotrack.masks.png import image_size

__all__ = ["decode_greenscreen", "frame_outputs", "individual_masks"]

_GREEN_BGR = np.array([0, 255, 0], dtype=np.int16)
_GREEN_DISTANCE = 60


def individual_masks(output: Any) -> Sequence[Any]:
    """Select ``meta/sam-2``'s ``individual_masks`` (one file per proposal).

    Examples
    --------
    >>> individual_masks({"combined_mask": "c.png", "individual_masks": ["a.png", "b.png"]})
    ['a.png', 'b.png']

    Raises
    ------
    BackendError
        The output has no such list (the model's output schema changed).
    """
    if isinstance(output, Mapping):
        masks = output.get("individual_masks")
        if isinstance(masks, (list, tuple)):
            return list(masks)
    raise BackendError(
        "meta/sam-2 returned no 'individual_masks' list (got "
        f"{type(output).__name__}: {str(output)[:120]}); its output schema changed — pin "
        f"ModelVersions(image_version={SAM2_IMAGE_VERSION!r})"
    )


def frame_outputs(output: Any) -> Sequence[Any]:
    """Select ``meta/sam-2-video``'s per-frame files.

    Examples
    --------
    >>> frame_outputs(["f0.png", "f1.png"])
    ['f0.png', 'f1.png']

    Raises
    ------
    BackendError
        No frames (or a missing one).
    """
    items = output if isinstance(output, (list, tuple)) else [output]
    if not items or any(item is None for item in items):
        raise BackendError(
            "meta/sam-2-video returned no frames; check the clicks and the video, or pin "
            f"ModelVersions(video_version={SAM2_VIDEO_VERSION!r})"
        )
    return list(items)


def decode_greenscreen(path: Path, expected_wh: tuple[int, int]) -> NDArray[np.bool_]:
    """Decode a greenscreen frame: foreground is every pixel that is not (nearly) pure green.

    The size is read from the header first: a file that is not of the video's size is refused
    before it is decoded (no decompression bomb gets decoded).

    Raises
    ------
    MaskError
        The file is not an image, or not of the video's size.
    """
    data = path.read_bytes()
    declared = image_size(data)
    if declared is not None and declared != tuple(expected_wh):
        raise MaskError(
            f"greenscreen output {path} is {declared[0]}x{declared[1]} but the video is "
            f"{expected_wh[0]}x{expected_wh[1]}; use mask_type='binary'"
        )
    image = None
    if declared is not None:
        with contextlib.suppress(cv2.error):
            image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise MaskError(
            f"greenscreen output {path} is not a decodable image; re-run the prediction"
        )
    if (image.shape[1], image.shape[0]) != expected_wh:
        raise MaskError(
            f"greenscreen output {path} is {image.shape[1]}x{image.shape[0]} but the video is "
            f"{expected_wh[0]}x{expected_wh[1]}; use mask_type='binary'"
        )
    distance = np.abs(image.astype(np.int16) - _GREEN_BGR).sum(axis=2)
    return np.asarray(distance > _GREEN_DISTANCE, dtype=np.bool_)
