"""The mask frames of a ``meta/sam-2-video`` prediction: counted, then decoded one at a time.

`check_frame_count` refuses an answer with the wrong number of frames (a video the hosted
model decoded differently); `mask_frames` decodes the downloaded files lazily, one per
``next()``, and brings each mask back to the source's size, so a caller can append frame by
frame and never hold the whole clip's masks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.replicate.outputs import decode_greenscreen
from sam2_autotrack.backends.replicate.predictions import SUCCEEDED, PredictionResult
from sam2_autotrack.backends.replicate.upload import PreparedVideo
from sam2_autotrack.errors import PredictionError
from sam2_autotrack.masks.png import decode_mask

__all__ = ["check_frame_count", "mask_frames"]


def check_frame_count(result: PredictionResult, frame_count: int, frame_interval: int) -> None:
    """Raise `PredictionError` unless ``result`` has one file per mask frame.

    ``ceil(frame_count / frame_interval)`` files are expected for an upload of ``frame_count``
    frames.
    """
    expected = math.ceil(frame_count / frame_interval)
    if len(result.files) != expected:
        raise PredictionError(
            f"meta/sam-2-video returned {len(result.files)} mask frames but the video has "
            f"{frame_count} frames, so {expected} were expected with output_frame_interval="
            f"{frame_interval}; the hosted model decodes with ffmpeg, so a variable-frame-rate or "
            "damaged file can decode differently — re-encode it to constant frame rate (ffmpeg "
            "-i in -vsync cfr out.mp4) and re-run",
            prediction_id=result.prediction_id,
            status=SUCCEEDED,
        )


def mask_frames(
    files: Sequence[Path],
    prepared: PreparedVideo,
    *,
    mask_type: str = "binary",
    frame_interval: int = 1,
) -> Iterator[NDArray[np.bool_]]:
    """Yield the ``(H, W)`` bool masks of ``files`` at the source's size, decoding lazily.

    Parameters
    ----------
    files
        The prediction's mask frames, in order (upload frames ``0, k, 2k, ...``).
    prepared
        The upload they were computed on (its size and frame numbering).
    mask_type
        ``"binary"`` (white on black) or ``"greenscreen"``.
    frame_interval
        ``k``, the model's ``output_frame_interval``.
    """
    resized = prepared.upload_wh != prepared.source_wh
    for position, path in enumerate(files):
        if mask_type == "greenscreen":
            mask = decode_greenscreen(path, prepared.upload_wh)
        else:
            mask = decode_mask(path, expected_wh=prepared.upload_wh)
        if resized:
            upload_index = np.array([position * frame_interval], dtype=np.int64)
            mask = prepared.masks_to_source(mask[None], upload_index)[0][0]
        yield mask.astype(bool, copy=False)
