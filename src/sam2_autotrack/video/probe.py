"""What a video is: its size after rotation, frame rate, frame count, rotation and pixel aspect.

[`probe_video`][sam2_autotrack.probe_video] asks OpenCV (the decoder the tracker uses) and decodes
the first frame, so the size it reports is the size of the frames
[`read_frame`][sam2_autotrack.read_frame] returns.
[`count_frames`][sam2_autotrack.video.count_frames] counts the decodable frames exactly. For
ffmpeg's own view of a stream (an exact fractional frame rate) see
[`sam2_autotrack.video.stream_info.probe_stream`][sam2_autotrack.video.probe_stream].
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2

from sam2_autotrack.video.capture import empty_video_error, open_capture
from sam2_autotrack.video.checks import checked_video_path

__all__ = ["VideoInfo", "count_frames", "probe_video"]


@dataclass(frozen=True)
class VideoInfo:
    """What [`probe_video`][sam2_autotrack.probe_video] found out about a video.

    Parameters
    ----------
    path
        The video file.
    width, height
        Frame size in pixels **as the tracker sees the frames**, i.e. after the display-matrix
        rotation has been applied (a portrait phone clip stored as 1920x1080 with a 90° rotation
        reports ``width=1080, height=1920``).
    fps
        Average frame rate from the container (e.g. ``29.97002997`` for NTSC); ``0.0`` if the
        container does not say.
    frame_count
        Number of frames: the container's figure, or the exact number of decodable frames when
        probed with ``exact_frame_count=True`` (also used when the container gives no figure).
    rotation
        Display-matrix rotation in degrees counter-clockwise (0, 90, 180 or 270), as ffmpeg's
        ``-display_rotation`` option sets it and ffmpeg prints it ("rotation of 90.00 degrees").
        The decoded frames already have it applied. OpenCV's ``CAP_PROP_ORIENTATION_META``
        reports the clockwise angle, ``(360 - rotation) % 360``.
    sample_aspect_ratio
        Pixel aspect ratio ``(num, den)`` in lowest terms; ``(1, 1)`` (square pixels) by default.
    codec
        The codec's FourCC as OpenCV reports it, e.g. ``"h264"`` or ``"VP90"``.
    duration_s
        ``frame_count / fps`` in seconds (``0.0`` if the frame rate is unknown).

    Examples
    --------
    >>> info = VideoInfo(path=Path("clip.mp4"), width=64, height=48, fps=25.0, frame_count=50,
    ...                  rotation=0, sample_aspect_ratio=(1, 1), codec="h264", duration_s=2.0)
    >>> info.resolution_wh
    (64, 48)
    """

    path: Path
    width: int
    height: int
    fps: float
    frame_count: int
    rotation: int = 0
    sample_aspect_ratio: tuple[int, int] = (1, 1)
    codec: str = ""
    duration_s: float = 0.0

    @property
    def resolution_wh(self) -> tuple[int, int]:
        """``(width, height)`` of the frames as the tracker sees them."""
        return (self.width, self.height)


def _fourcc(value: float) -> str:
    code = int(value) & 0xFFFFFFFF
    if code == 0:
        return ""
    text = code.to_bytes(4, "little").decode("ascii", errors="replace")
    return text.strip("\x00 ")


def probe_video(path: str | Path, *, exact_frame_count: bool = False) -> VideoInfo:
    """Read a video's size (after rotation), frame rate, frame count, rotation and pixel aspect.

    The first frame is decoded to make sure the video is usable and to take the frame size from
    the pixels themselves, so ``probe_video(p).resolution_wh`` always matches the frames
    [`read_frame`][sam2_autotrack.read_frame] and
    [`iter_frames`][sam2_autotrack.video.iter_frames] return.

    Parameters
    ----------
    path
        The video file.
    exact_frame_count
        Container frame counts can be wrong (truncated files, variable frame rate, some WebM
        muxers). With ``True`` every frame is decoded (without colour conversion) and counted.
        The frames are also counted when the container gives no usable figure.

    Returns
    -------
    VideoInfo
        The video's metadata.

    Raises
    ------
    VideoNotFoundError
        ``path`` does not exist or is a directory.
    NotAVideoError
        The file is not a video (a text file, a still image, ...).
    EmptyVideoError
        The container has no decodable frame (audio-only, truncated).

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> info = probe_video(sample_video("bikes"))
    >>> info.resolution_wh, info.fps, info.rotation
    ((640, 272), 25.0, 0)
    """
    file = checked_video_path(path)
    capture = open_capture(file)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        if not math.isfinite(fps) or fps <= 0:
            fps = 0.0
        clockwise = round(capture.get(cv2.CAP_PROP_ORIENTATION_META) / 90.0) * 90
        rotation = int((360 - clockwise) % 360)
        sar_num = int(capture.get(cv2.CAP_PROP_SAR_NUM))
        sar_den = int(capture.get(cv2.CAP_PROP_SAR_DEN))
        if sar_num > 0 and sar_den > 0:
            divisor = math.gcd(sar_num, sar_den)
            sample_aspect_ratio = (sar_num // divisor, sar_den // divisor)
        else:
            sample_aspect_ratio = (1, 1)
        codec = _fourcc(capture.get(cv2.CAP_PROP_FOURCC))
        container_count = float(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        ok, first = capture.read()
        if not ok or first is None:
            raise empty_video_error(file)
        height, width = int(first.shape[0]), int(first.shape[1])
        usable = math.isfinite(container_count) and 0 < container_count < 2**31
        if exact_frame_count or not usable:
            frame_count = 1
            while capture.grab():
                frame_count += 1
        else:
            frame_count = int(container_count)
    finally:
        capture.release()
    return VideoInfo(
        path=file,
        width=width,
        height=height,
        fps=fps,
        frame_count=frame_count,
        rotation=rotation,
        sample_aspect_ratio=sample_aspect_ratio,
        codec=codec,
        duration_s=frame_count / fps if fps > 0 else 0.0,
    )


def count_frames(path: str | Path) -> int:
    """Count the decodable frames of a video exactly, by decoding them all (no colour conversion).

    Parameters
    ----------
    path
        The video file.

    Returns
    -------
    int
        The number of frames [`iter_frames`][sam2_autotrack.video.iter_frames] would yield (at
        least 1).

    Raises
    ------
    VideoNotFoundError, NotAVideoError, EmptyVideoError
        As for [`probe_video`][sam2_autotrack.probe_video].

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> count_frames(sample_video("carphone"))
    120
    """
    file = checked_video_path(path)
    capture = open_capture(file)
    try:
        count = 0
        while capture.grab():
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise empty_video_error(file)
    return count
