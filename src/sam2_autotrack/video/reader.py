"""Decode frames as RGB, the way the tracker sees them: one frame, or a generator over many.

Frames are ``(H, W, 3)`` uint8 **RGB** arrays with the display rotation applied (see
`sam2_autotrack.video.capture`). Frame indices are exact: seeking is done by decoding forward
from the start (``grab`` without a colour conversion), never by the container's approximate
timestamp seek.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import VideoError
from sam2_autotrack.video.capture import empty_video_error, frame_index, open_capture, to_rgb
from sam2_autotrack.video.checks import checked_video_path

__all__ = ["iter_frames", "read_frame"]


def read_frame(path: str | Path, index: int = 0) -> NDArray[np.uint8]:
    """Decode one frame as ``(H, W, 3)`` uint8 RGB at native resolution, display rotation applied.

    This is exactly the image the tracker sees, so clicks computed on it are in the video's own
    pixel space. The frame is reached by decoding forward from the start, so the index is exact
    even where container seeking is not (cost grows with ``index``).

    Parameters
    ----------
    path
        The video file.
    index
        Zero-based frame index.

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB frame (a new, writeable array).

    Raises
    ------
    VideoError
        ``index`` is negative or not smaller than the number of decodable frames (the message
        gives the count).
    VideoNotFoundError, NotAVideoError, EmptyVideoError
        As for [`probe_video`][sam2_autotrack.probe_video].

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> frame = read_frame(sample_video("bikes"), 10)
    >>> frame.shape, frame.dtype
    ((272, 640, 3), dtype('uint8'))
    """
    index = frame_index(index, "index")
    file = checked_video_path(path)
    if index < 0:
        raise VideoError(
            f"frame index {index} is negative; frame indices start at 0 (use count_frames() to "
            "find the last one)",
            path=file,
        )
    capture = open_capture(file)
    try:
        for position in range(index):
            if not capture.grab():
                if position == 0:
                    raise empty_video_error(file)
                raise _out_of_range(file, index, position)
        ok, frame = capture.read()
        if not ok or frame is None:
            if index == 0:
                raise empty_video_error(file)
            raise _out_of_range(file, index, index)
    finally:
        capture.release()
    return to_rgb(frame)


def _out_of_range(file: Path, index: int, count: int) -> VideoError:
    return VideoError(
        f"frame index {index} is out of range: {file} has {count} decodable frames "
        f"(valid indices 0..{count - 1}); pass a smaller index",
        path=file,
    )


def iter_frames(
    path: str | Path, *, start: int = 0, stop: int | None = None, step: int = 1
) -> Generator[NDArray[np.uint8], None, None]:
    """Yield frames ``start, start + step, ...`` (before ``stop``) as ``(H, W, 3)`` uint8 RGB.

    A generator holding one frame at a time: memory stays flat however long the video is. The
    video is opened on the first ``next()`` and released when the generator is exhausted, closed
    (``.close()``, or leaving a ``with contextlib.closing(...)`` block) or garbage-collected.
    Like slicing, a ``start`` past the end yields nothing.

    Parameters
    ----------
    path
        The video file (checked immediately: a missing file raises at call time).
    start
        First frame index (``>= 0``).
    stop
        Index to stop before, or ``None`` for the end of the video.
    step
        Distance between yielded frames (``>= 1``); skipped frames are decoded without colour
        conversion.

    Yields
    ------
    numpy.ndarray
        ``(H, W, 3)`` uint8 RGB frames in display orientation, identical to
        [`read_frame`][sam2_autotrack.read_frame].

    Raises
    ------
    VideoError
        Negative ``start``/``stop`` or ``step < 1``.
    VideoNotFoundError, NotAVideoError, EmptyVideoError
        As for [`probe_video`][sam2_autotrack.probe_video].

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> frames = list(iter_frames(sample_video("carphone"), start=5, stop=20, step=5))
    >>> len(frames), frames[0].shape
    (3, (144, 176, 3))
    """
    start = frame_index(start, "start")
    step = frame_index(step, "step")
    stop = None if stop is None else frame_index(stop, "stop")
    file = checked_video_path(path)
    if start < 0 or (stop is not None and stop < 0):
        raise VideoError(
            f"start={start} and stop={stop} must not be negative; frame indices start at 0",
            path=file,
        )
    if step < 1:
        raise VideoError(f"step={step} must be at least 1 (every step-th frame)", path=file)
    return _generate_frames(file, start, stop, step)


def _generate_frames(
    file: Path, start: int, stop: int | None, step: int
) -> Generator[NDArray[np.uint8], None, None]:
    capture = open_capture(file)
    try:
        position = 0  # index of the frame the capture delivers next
        target = start
        while stop is None or target < stop:
            while position < target:
                if not capture.grab():
                    if position == 0:
                        raise empty_video_error(file)
                    return
                position += 1
            ok, frame = capture.read()
            if not ok or frame is None:
                if position == 0:
                    raise empty_video_error(file)
                return
            position += 1
            yield to_rgb(frame)
            target += step
    finally:
        capture.release()
