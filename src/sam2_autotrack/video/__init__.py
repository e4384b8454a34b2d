"""Videos in and out: probe them, decode frames as RGB, and run ffmpeg safely.

Reading goes through OpenCV with the display rotation applied, so frames are exactly what the
tracker sees ([`probe_video`][sam2_autotrack.probe_video],
[`count_frames`][sam2_autotrack.video.count_frames], [`read_frame`][sam2_autotrack.read_frame],
[`iter_frames`][sam2_autotrack.video.iter_frames]). Writing and exact stream facts go through
ffmpeg: [`find_ffmpeg`][sam2_autotrack.video.find_ffmpeg] locates a working binary,
[`require_encoders`][sam2_autotrack.video.require_encoders] checks it,
[`run_ffmpeg`][sam2_autotrack.video.run_ffmpeg] /
[`iter_ffmpeg_output`][sam2_autotrack.video.iter_ffmpeg_output] run it under a watchdog, and
[`probe_stream`][sam2_autotrack.video.probe_stream] reports the stream's size and exact fractional
frame rate. Scene cuts (a jump of the colour histogram above a threshold that adapts to the
shot) are found by [`CutDetector`][sam2_autotrack.video.CutDetector] frame by frame,
[`find_cuts`][sam2_autotrack.video.find_cuts] and [`first_cut`][sam2_autotrack.video.first_cut]
([`is_cut`][sam2_autotrack.video.is_cut]: one pair at a fixed threshold).
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
