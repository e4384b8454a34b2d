"""Tests of sam2_autotrack.video.stream_info: ffmpeg's displayed size and exact frame rate."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from sam2_autotrack import NotAVideoError, VideoNotFoundError
from sam2_autotrack.video import probe_stream, run_ffmpeg


def _clip(path: Path, *, size: str, rate: str, frames: int, extra: tuple[str, ...] = ()) -> Path:
    run_ffmpeg(
        ["-loglevel", "error", "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}",
         "-frames:v", str(frames), "-c:v", "libx264", "-pix_fmt", "yuv444p", *extra, path],
        timeout=60,
    )  # fmt: skip
    return path


def test_probe_reports_odd_size_and_exact_rate(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "odd.mp4", size="65x47", rate="30000/1001", frames=3)
    info = probe_stream(clip)
    assert info.resolution_wh == (65, 47)
    assert info.fps == Fraction(30000, 1001)


def test_probe_applies_display_rotation(tmp_path: Path) -> None:
    clip = _clip(tmp_path / "clip.mp4", size="40x24", rate="25", frames=2)
    rotated = tmp_path / "rotated.mp4"
    run_ffmpeg(
        ["-loglevel", "error", "-display_rotation:v:0", "90", "-i", clip, "-c", "copy", rotated],
        timeout=60,
    )
    assert probe_stream(clip).resolution_wh == (40, 24)
    assert probe_stream(rotated).resolution_wh == (24, 40)


def test_probe_errors(tmp_path: Path) -> None:
    with pytest.raises(VideoNotFoundError):
        probe_stream(tmp_path / "missing.mp4")
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n")
    with pytest.raises(NotAVideoError, match="cannot decode"):
        probe_stream(text)
