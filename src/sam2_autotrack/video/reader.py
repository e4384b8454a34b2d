"""Reading videos: probe their metadata and decode frames as RGB, the way the tracker sees them.

Everything here goes through OpenCV's FFmpeg backend with display-matrix auto-rotation switched on,
so a phone video recorded upright comes out upright (the same pixels ``ffmpeg -i clip.mp4`` would
decode). Frames are returned as ``(H, W, 3)`` uint8 **RGB** arrays; OpenCV's BGR never leaks out.

Frame indices are exact: seeking is done by decoding forward from the start (``grab`` without a
colour conversion), never by the container's approximate timestamp seek.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.errors import EmptyVideoError, NotAVideoError, VideoError, VideoNotFoundError

__all__ = ["VideoInfo", "count_frames", "iter_frames", "probe_video", "read_frame"]

# Still-image formats OpenCV's FFmpeg backend would happily "open" as a one-frame video.
_IMAGE_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
# Top-level box types an ISO-BMFF file (mp4, mov, m4v, 3gp) starts with.
_ISO_BMFF_BOXES = frozenset({b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"})
_FIX_HINT = (
    "re-export or re-download the video, or re-encode it with "
    "`ffmpeg -i in.mp4 -c:v libx264 -pix_fmt yuv420p out.mp4`"
)


@dataclass(frozen=True)
class VideoInfo:
    """What :func:`probe_video` found out about a video.

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


# -- opening --------------------------------------------------------------------------------------


def _existing_file(path: str | Path) -> Path:
    file = Path(path)
    if file.is_dir():
        raise VideoNotFoundError(
            f"{file} is a directory, not a video file; pass the path of a video file inside it",
            path=file,
        )
    if not file.exists():
        raise VideoNotFoundError(
            f"video file {file} does not exist; check the path (relative paths are resolved "
            f"against the working directory {Path.cwd()})",
            path=file,
        )
    return file


def _read_head(file: Path, size: int = 512) -> bytes:
    try:
        with file.open("rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise VideoError(
            f"cannot read {file}: {exc.strerror}; check its permissions", path=file
        ) from None


def _image_format(head: bytes) -> str | None:
    for signature, name in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return None


def _looks_like_video_container(head: bytes) -> bool:
    return (
        head[4:8] in _ISO_BMFF_BOXES  # mp4 / mov / 3gp
        or head.startswith(b"\x1a\x45\xdf\xa3")  # Matroska / WebM
        or (head[:4] == b"RIFF" and head[8:12] == b"AVI ")
        or head.startswith((b"FLV", b"OggS", b"\x00\x00\x01\xba"))  # FLV, Ogg, MPEG-PS
        or head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11")  # ASF / WMV
        or (len(head) > 188 and head[0] == 0x47 and head[188] == 0x47)  # MPEG-TS
    )


def _checked_video_path(path: str | Path) -> Path:
    """Raise the right error for missing files, directories and still images; return the path."""
    file = _existing_file(path)
    head = _read_head(file)
    if not head:
        raise NotAVideoError(
            f"{file} is empty (0 bytes), not a video; {_FIX_HINT}",
            path=file,
        )
    image = _image_format(head)
    if image is not None:
        raise NotAVideoError(
            f"{file} is a {image} image, not a video; pass a video file (.mp4, .mov, .webm, "
            "...), or turn still frames into a clip with "
            "`ffmpeg -framerate 25 -i frame_%05d.png -c:v libx264 -pix_fmt yuv420p clip.mp4`",
            path=file,
        )
    return file


def _open_capture(file: Path) -> cv2.VideoCapture:
    """Open ``file`` with OpenCV's FFmpeg backend and display-matrix auto-rotation on."""
    capture = cv2.VideoCapture(str(file), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        if _looks_like_video_container(_read_head(file)):
            raise EmptyVideoError(
                f"{file} is a video container but holds no decodable video stream (it may be "
                f"audio-only or truncated); {_FIX_HINT}",
                path=file,
            )
        raise NotAVideoError(
            f"{file} is not a video OpenCV/FFmpeg can decode (unrecognised container); pass an "
            f".mp4, .mov, .webm, .mkv or .avi file, or {_FIX_HINT}",
            path=file,
        )
    # Open-time parameters for this property make OpenCV 5 refuse the file, so set it afterwards.
    capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
    return capture


def _empty_video(file: Path) -> EmptyVideoError:
    return EmptyVideoError(
        f"{file} opens as a video but not a single frame can be decoded (the file is probably "
        f"truncated); {_FIX_HINT}",
        path=file,
    )


def _to_rgb(frame_bgr: cv2.typing.MatLike) -> NDArray[np.uint8]:
    return np.asarray(cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def _fourcc(value: float) -> str:
    code = int(value) & 0xFFFFFFFF
    if code == 0:
        return ""
    text = code.to_bytes(4, "little").decode("ascii", errors="replace")
    return text.strip("\x00 ")


def _index(value: int, name: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer frame index; got bool {value}")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(
            f"{name} must be an integer frame index; got {type(value).__name__} {value!r}"
        ) from None


# -- public API -----------------------------------------------------------------------------------


def probe_video(path: str | Path, *, exact_frame_count: bool = False) -> VideoInfo:
    """Read a video's size (after rotation), frame rate, frame count, rotation and pixel aspect.

    The first frame is decoded to make sure the video is usable and to take the frame size from
    the pixels themselves, so ``probe_video(p).resolution_wh`` always matches the frames
    :func:`read_frame` and :func:`iter_frames` return.

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
    file = _checked_video_path(path)
    capture = _open_capture(file)
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
            raise _empty_video(file)
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
        The number of frames :func:`iter_frames` would yield (at least 1).

    Raises
    ------
    VideoNotFoundError, NotAVideoError, EmptyVideoError
        As for :func:`probe_video`.

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> count_frames(sample_video("carphone"))
    120
    """
    file = _checked_video_path(path)
    capture = _open_capture(file)
    try:
        count = 0
        while capture.grab():
            count += 1
    finally:
        capture.release()
    if count == 0:
        raise _empty_video(file)
    return count


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
        As for :func:`probe_video`.

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> frame = read_frame(sample_video("bikes"), 10)
    >>> frame.shape, frame.dtype
    ((272, 640, 3), dtype('uint8'))
    """
    index = _index(index, "index")
    file = _checked_video_path(path)
    if index < 0:
        raise VideoError(
            f"frame index {index} is negative; frame indices start at 0 (use count_frames() to "
            "find the last one)",
            path=file,
        )
    capture = _open_capture(file)
    try:
        for position in range(index):
            if not capture.grab():
                if position == 0:
                    raise _empty_video(file)
                raise _out_of_range(file, index, position)
        ok, frame = capture.read()
        if not ok or frame is None:
            if index == 0:
                raise _empty_video(file)
            raise _out_of_range(file, index, index)
    finally:
        capture.release()
    return _to_rgb(frame)


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
        ``(H, W, 3)`` uint8 RGB frames in display orientation, identical to :func:`read_frame`.

    Raises
    ------
    VideoError
        Negative ``start``/``stop`` or ``step < 1``.
    VideoNotFoundError, NotAVideoError, EmptyVideoError
        As for :func:`probe_video`.

    Examples
    --------
    >>> from sam2_autotrack.testing.samples import sample_video
    >>> frames = list(iter_frames(sample_video("carphone"), start=5, stop=20, step=5))
    >>> len(frames), frames[0].shape
    (3, (144, 176, 3))
    """
    start = _index(start, "start")
    step = _index(step, "step")
    stop = None if stop is None else _index(stop, "stop")
    file = _checked_video_path(path)
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
    capture = _open_capture(file)
    try:
        position = 0  # index of the frame the capture delivers next
        target = start
        while stop is None or target < stop:
            while position < target:
                if not capture.grab():
                    if position == 0:
                        raise _empty_video(file)
                    return
                position += 1
            ok, frame = capture.read()
            if not ok or frame is None:
                if position == 0:
                    raise _empty_video(file)
                return
            position += 1
            yield _to_rgb(frame)
            target += step
    finally:
        capture.release()
