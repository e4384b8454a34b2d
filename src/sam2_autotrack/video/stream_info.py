"""A video stream as ffmpeg decodes it: displayed size and the exact fractional frame rate.

[`probe_stream`][sam2_autotrack.video.probe_stream] is what the video exports use, because they hand
the source to ffmpeg: it reports ``30000/1001`` where OpenCV's
[`probe_video`][sam2_autotrack.probe_video] says ``29.97002997``. No ffprobe is needed: the first
frame goes through ffmpeg's ``showinfo`` filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from sam2_autotrack.errors import (
    FFmpegError,
    FFmpegNotFoundError,
    NotAVideoError,
    VideoNotFoundError,
)
from sam2_autotrack.video.process import run_ffmpeg

__all__ = ["VideoStreamInfo", "probe_stream"]


@dataclass(frozen=True)
class VideoStreamInfo:
    """The first video stream of a file, as ffmpeg decodes it.

    Parameters
    ----------
    resolution_wh
        ``(width, height)`` of the decoded frames *after* ffmpeg's automatic rotation (the
        container's display matrix), i.e. the orientation masks are drawn in.
    fps
        The stream's frame rate as an exact fraction (``30000/1001`` for 29.97).
    """

    resolution_wh: tuple[int, int]
    fps: Fraction


_SIZE_RE = re.compile(r"\bn:\s*0\b.*?\bs:(\d+)x(\d+)")
_RATE_RE = re.compile(r"config in time_base: \S+, frame_rate: (\d+)/(\d+)")


def probe_stream(
    source: str | Path, *, ffmpeg: str | Path | None = None, timeout: float = 60.0
) -> VideoStreamInfo:
    """Decode the first frame of ``source`` with ffmpeg and report its size and frame rate.

    ffmpeg's automatic rotation is applied, so ``resolution_wh`` is the displayed orientation —
    the one ffmpeg hands to filters when the video is an input (no ffprobe needed).

    Parameters
    ----------
    source
        The video file.
    ffmpeg
        The executable, or ``None`` for [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg]'s
        choice.
    timeout
        Seconds the probe may take.

    Returns
    -------
    VideoStreamInfo
        Size after rotation and the exact frame rate.

    Raises
    ------
    VideoNotFoundError
        ``source`` does not exist.
    NotAVideoError
        ffmpeg cannot decode a video frame from it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> clip = pathlib.Path(tempfile.mkdtemp()) / "clip.mkv"
    >>> _ = run_ffmpeg(["-f", "lavfi", "-i", "testsrc=size=33x21:rate=30000/1001",
    ...                 "-frames:v", "2", "-c:v", "ffv1", str(clip)], timeout=60)
    >>> probe_stream(clip)
    VideoStreamInfo(resolution_wh=(33, 21), fps=Fraction(30000, 1001))
    """
    path = Path(source)
    if not path.is_file():
        raise VideoNotFoundError(f"video {path} does not exist; check the path", path=path)
    try:
        result = run_ffmpeg(
            [
                "-loglevel",
                "info",
                "-i",
                path,
                "-map",
                "0:v:0",
                "-frames:v",
                "1",
                "-vf",
                "showinfo",
                "-f",
                "null",
                "-",
            ],
            ffmpeg=ffmpeg,
            timeout=timeout,
        )
    except FFmpegNotFoundError:
        raise
    except FFmpegError as exc:
        raise NotAVideoError(
            f"ffmpeg cannot decode a video stream from {path}; pass a video file "
            f"(ffmpeg said: {exc.stderr_tail})",
            path=path,
        ) from exc
    size = _SIZE_RE.search(result.stderr)
    rate = _RATE_RE.search(result.stderr)
    if size is None or rate is None:
        raise NotAVideoError(
            f"ffmpeg decoded no video frame from {path}; pass a video with at least one frame",
            path=path,
        )
    num, den = int(rate.group(1)), int(rate.group(2))
    if num <= 0 or den <= 0:
        raise NotAVideoError(
            f"{path} reports no frame rate ({num}/{den}); re-mux it with one "
            "(ffmpeg -r FPS -i in -c copy out)",
            path=path,
        )
    return VideoStreamInfo(
        resolution_wh=(int(size.group(1)), int(size.group(2))), fps=Fraction(num, den)
    )
