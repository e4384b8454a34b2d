"""Open a video with OpenCV the way the tracker sees it, and the errors for undecodable files.

Everything goes through OpenCV's FFmpeg backend with display-matrix auto-rotation switched on, so a
phone video recorded upright comes out upright (the same pixels ``ffmpeg -i clip.mp4`` would
decode). Frames leave as ``(H, W, 3)`` uint8 **RGB**; OpenCV's BGR never leaks out.
"""

from __future__ import annotations

import operator
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EmptyVideoError, NotAVideoError
from sam2_autotrack.video.checks import VIDEO_FIX_HINT, looks_like_video_container, read_head

__all__ = ["empty_video_error", "frame_index", "open_capture", "to_rgb"]


def open_capture(file: Path) -> cv2.VideoCapture:
    """Open ``file`` with OpenCV's FFmpeg backend and display-matrix auto-rotation on.

    Raises
    ------
    EmptyVideoError
        A video container with no decodable video stream (audio-only, truncated).
    NotAVideoError
        Not a container OpenCV/FFmpeg recognises.
    """
    capture = cv2.VideoCapture(str(file), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        if looks_like_video_container(read_head(file)):
            raise EmptyVideoError(
                f"{file} is a video container but holds no decodable video stream (it may be "
                f"audio-only or truncated); {VIDEO_FIX_HINT}",
                path=file,
            )
        raise NotAVideoError(
            f"{file} is not a video OpenCV/FFmpeg can decode (unrecognised container); pass an "
            f".mp4, .mov, .webm, .mkv or .avi file, or {VIDEO_FIX_HINT}",
            path=file,
        )
    # Open-time parameters for this property make OpenCV 5 refuse the file, so set it afterwards.
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def empty_video_error(file: Path) -> EmptyVideoError:
    """Build the error for a file that opens as a video but yields no frame."""
    return EmptyVideoError(
        f"{file} opens as a video but not a single frame can be decoded (the file is probably "
        f"truncated); {VIDEO_FIX_HINT}",
        path=file,
    )


def to_rgb(frame_bgr: cv2.typing.MatLike) -> NDArray[np.uint8]:
    """Convert an OpenCV BGR frame to a new ``(H, W, 3)`` uint8 RGB array."""
    return np.asarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def frame_index(value: int, name: str) -> int:
    """Return ``value`` as a frame index (any integer type, not bool).

    Raises
    ------
    TypeError
        ``value`` is a bool or not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> frame_index(np.int64(3), "index")
    3
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer frame index; got bool {value}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer frame index; got {type(value).__name__} {value!r}"
        ) from None
