"""Tests of sam2_autotrack.video.probe, and of the display rotation capture.py applies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sam2_autotrack.errors import VideoError
from sam2_autotrack.testing.samples import sample_video
from sam2_autotrack.video import VideoInfo, count_frames, iter_frames, probe_video, read_frame

MakeClip = Callable[..., Path]
RunFFmpeg = Callable[..., bytes]
MdatOffset = Callable[[Path], int]


def ffmpeg_decode_rgb(
    run_ffmpeg: RunFFmpeg, path: Path, width: int, height: int
) -> np.ndarray[Any, Any]:
    """Decode frame 0 with the ffmpeg CLI itself (which applies the display matrix)."""
    raw = run_ffmpeg("-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    assert len(raw) == width * height * 3, "ffmpeg decoded a frame of another size"
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def mean_abs_diff(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


# -- probing ----------------------------------------------------------------------------------


def test_probe_synthetic_clip(testsrc_mp4: Path) -> None:
    info = probe_video(testsrc_mp4)
    assert isinstance(info, VideoInfo)
    assert info.path == testsrc_mp4
    assert info.resolution_wh == (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(10.0)
    assert info.frame_count == 10
    assert info.duration_s == pytest.approx(1.0)
    assert info.rotation == 0
    assert info.sample_aspect_ratio == (1, 1)
    assert info.codec.lower() in {"h264", "avc1"}


def test_probe_rotated_clip_swaps_width_and_height(testsrc_mp4: Path, rotated90_mp4: Path) -> None:
    plain = probe_video(testsrc_mp4)
    rotated = probe_video(rotated90_mp4)
    assert rotated.rotation == 90
    assert rotated.resolution_wh == (plain.height, plain.width)
    assert rotated.frame_count == plain.frame_count


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_frames_match_numpy_rot90(
    run_ffmpeg: RunFFmpeg, testsrc_mp4: Path, tmp_path: Path, rotation: int
) -> None:
    rotated = tmp_path / f"rot{rotation}.mp4"
    run_ffmpeg(
        "-display_rotation", str(rotation), "-i", str(testsrc_mp4), "-c", "copy",
        str(rotated),
    )  # fmt: skip
    assert probe_video(rotated).rotation == rotation
    for index in (0, 7):
        upright = read_frame(testsrc_mp4, index)
        # Counter-clockwise rotation of the stored pixels, exactly (same decoder, pixels copied).
        np.testing.assert_array_equal(read_frame(rotated, index), np.rot90(upright, rotation // 90))


def test_rotation_agrees_with_ffmpeg_cli(
    run_ffmpeg: RunFFmpeg, testsrc_mp4: Path, rotated90_mp4: Path
) -> None:
    ours = read_frame(rotated90_mp4, 0)
    height, width = ours.shape[:2]
    assert (width, height) == probe_video(rotated90_mp4).resolution_wh
    theirs = ffmpeg_decode_rgb(run_ffmpeg, rotated90_mp4, width, height)
    # Two decoders may round the YUV->RGB conversion differently, but only by a level or two.
    assert mean_abs_diff(ours, theirs) < 2.0
    # The other direction would be a different picture altogether.
    upright = read_frame(testsrc_mp4, 0)
    assert mean_abs_diff(np.rot90(upright, 3), theirs) > 20.0


def test_unrotated_frame_agrees_with_ffmpeg_cli(run_ffmpeg: RunFFmpeg, testsrc_mp4: Path) -> None:
    ours = read_frame(testsrc_mp4, 0)
    assert ours.shape == (48, 64, 3)
    assert ours.dtype == np.uint8
    theirs = ffmpeg_decode_rgb(run_ffmpeg, testsrc_mp4, 64, 48)
    assert mean_abs_diff(ours, theirs) < 2.0
    # RGB, not BGR: swapping the channels makes it much worse.
    assert mean_abs_diff(ours[..., ::-1], theirs) > 5 * max(mean_abs_diff(ours, theirs), 1.0)


@pytest.mark.parametrize(("setsar", "expected"), [("2/1", (2, 1)), ("4/6", (2, 3))])
def test_probe_sample_aspect_ratio(
    make_testsrc_clip: MakeClip, setsar: str, expected: tuple[int, int]
) -> None:
    clip = make_testsrc_clip(f"sar_{setsar.replace('/', '_')}.mp4", vf=f"setsar={setsar}")
    info = probe_video(clip)
    assert info.sample_aspect_ratio == expected
    assert info.resolution_wh == (64, 48)  # stored pixels, never resampled


def test_probe_ntsc_frame_rate(make_testsrc_clip: MakeClip) -> None:
    clip = make_testsrc_clip("ntsc.mp4", rate="30000/1001", frames=15)
    info = probe_video(clip)
    assert info.fps == pytest.approx(30000 / 1001, rel=1e-6)
    assert info.frame_count == 15
    assert info.duration_s == pytest.approx(15 * 1001 / 30000, rel=1e-6)


def test_exact_frame_count_of_a_truncated_clip(
    make_testsrc_clip: MakeClip, mdat_offset: MdatOffset, tmp_path: Path
) -> None:
    clip = make_testsrc_clip("long.mp4", frames=40)
    data = clip.read_bytes()
    start = mdat_offset(clip)  # faststart: header first, so a cut keeps the index intact
    truncated = tmp_path / "truncated.mp4"
    # The first (key) frame is the biggest; cutting 15% off the end keeps it and loses the tail.
    truncated.write_bytes(data[: start + (len(data) - start) * 85 // 100])
    container = probe_video(truncated).frame_count
    exact = probe_video(truncated, exact_frame_count=True).frame_count
    assert container == 40  # the index still claims every frame
    assert 0 < exact < container
    assert count_frames(truncated) == exact
    assert sum(1 for _ in iter_frames(truncated)) == exact
    read_frame(truncated, exact - 1)
    with pytest.raises(VideoError, match=f"{exact} decodable frames"):
        read_frame(truncated, exact)


def test_exact_count_equals_container_count_on_intact_clip(testsrc_mp4: Path) -> None:
    assert probe_video(testsrc_mp4, exact_frame_count=True).frame_count == 10
    assert count_frames(testsrc_mp4) == 10


def test_real_clip_bikes() -> None:
    info = probe_video(sample_video("bikes"))
    assert info.resolution_wh == (640, 272)
    assert info.fps == pytest.approx(25.0)
    assert info.frame_count == 250
    assert read_frame(info.path, 0).shape == (272, 640, 3)


def test_real_clip_bigbuckbunny() -> None:
    path = sample_video("bigbuckbunny")
    info = probe_video(path, exact_frame_count=True)
    assert info.resolution_wh == (1280, 720)
    assert info.fps == pytest.approx(25.0)
    assert info.frame_count == probe_video(path).frame_count  # container figure is right here
    assert info.rotation == 0


def test_real_clip_carphone_has_non_square_pixels() -> None:
    info = probe_video(sample_video("carphone"))
    assert info.resolution_wh == (176, 144)
    assert info.sample_aspect_ratio == (128, 117)
    assert info.fps == pytest.approx(30000 / 1001, rel=1e-6)
