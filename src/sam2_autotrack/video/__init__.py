"""Videos in and out: probe them, decode frames as RGB, and run ffmpeg safely.

Reading goes through OpenCV with the display rotation applied, so frames are exactly what the
tracker sees (:func:`probe_video`, :func:`count_frames`, :func:`read_frame`, :func:`iter_frames`).
Writing and exact stream facts go through ffmpeg: :func:`find_ffmpeg` locates a working binary,
:func:`require_encoders` checks it, :func:`run_ffmpeg` / :func:`iter_ffmpeg_output` run it under a
watchdog, and :func:`probe_stream` reports the stream's size and exact fractional frame rate.
Scene cuts (a jump of the colour histogram above a threshold that adapts to the shot) are found by
:class:`CutDetector` frame by frame, :func:`find_cuts` and :func:`first_cut` (:func:`is_cut`: one
pair at a fixed threshold).
"""

from sam2_autotrack.video.cuts import (
    CUT_THRESHOLD,
    CutDetector,
    find_cuts,
    first_cut,
    frame_distance,
    is_cut,
)
from sam2_autotrack.video.ffmpeg import FFMPEG_ENV_VAR, find_ffmpeg, require_encoders
from sam2_autotrack.video.probe import VideoInfo, count_frames, probe_video
from sam2_autotrack.video.process import FFmpegResult, iter_ffmpeg_output, run_ffmpeg
from sam2_autotrack.video.reader import iter_frames, read_frame
from sam2_autotrack.video.stream_info import VideoStreamInfo, probe_stream

__all__ = [
    "CUT_THRESHOLD",
    "CutDetector",
    "FFMPEG_ENV_VAR",
    "FFmpegResult",
    "VideoInfo",
    "VideoStreamInfo",
    "count_frames",
    "find_cuts",
    "find_ffmpeg",
    "first_cut",
    "frame_distance",
    "is_cut",
    "iter_ffmpeg_output",
    "iter_frames",
    "probe_stream",
    "probe_video",
    "read_frame",
    "require_encoders",
    "run_ffmpeg",
]
