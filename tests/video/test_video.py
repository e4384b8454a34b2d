from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest

from sam2_autotrack.errors import (
    EmptyVideoError,
    NotAVideoError,
    VideoError,
    VideoNotFoundError,
)
from sam2_autotrack.testing.samples import sample_video
from sam2_autotrack.video.reader import (
    VideoInfo,
    count_frames,
    iter_frames,
    probe_video,
    read_frame,
)

MakeClip = Callable[..., Path]
RunFFmpeg = Callable[..., bytes]


def ffmpeg_decode_rgb(
    run_ffmpeg: RunFFmpeg, path: Path, width: int, height: int
) -> np.ndarray[Any, Any]:
    """Decode frame 0 with the ffmpeg CLI itself (which applies the display matrix)."""
    raw = run_ffmpeg("-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    assert len(raw) == width * height * 3, "ffmpeg decoded a frame of another size"
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3)


def mean_abs_diff(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any]) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


def mdat_offset(path: Path) -> int:
    """Byte offset of the top-level ``mdat`` box of an ISO-BMFF file."""
    data = path.read_bytes()
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == b"mdat":
            return pos
        assert size >= 8, "unexpected box layout"
        pos += size
    raise AssertionError("no mdat box")


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


def test_exact_frame_count_of_a_truncated_clip(make_testsrc_clip: MakeClip, tmp_path: Path) -> None:
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


# -- reading frames ---------------------------------------------------------------------------


def test_read_frame_indices_are_distinct_frames(testsrc_mp4: Path) -> None:
    first, second, last = (read_frame(testsrc_mp4, i) for i in (0, 1, 9))
    assert not np.array_equal(first, second)  # testsrc2 animates every frame
    assert not np.array_equal(second, last)
    np.testing.assert_array_equal(read_frame(testsrc_mp4, 1), second)  # deterministic
    first[:] = 0  # returned arrays are the caller's own
    assert read_frame(testsrc_mp4, 0).any()


def test_read_frame_accepts_numpy_integers(testsrc_mp4: Path) -> None:
    np.testing.assert_array_equal(read_frame(testsrc_mp4, np.int64(3)), read_frame(testsrc_mp4, 3))


@pytest.mark.parametrize("index", [10, 11, 1000])
def test_read_frame_out_of_range(testsrc_mp4: Path, index: int) -> None:
    with pytest.raises(VideoError, match=r"out of range.*10 decodable frames") as info:
        read_frame(testsrc_mp4, index)
    assert not isinstance(info.value, EmptyVideoError)
    assert info.value.path == testsrc_mp4


def test_read_frame_rejects_negative_and_non_integer_index(testsrc_mp4: Path) -> None:
    with pytest.raises(VideoError, match="negative"):
        read_frame(testsrc_mp4, -1)
    with pytest.raises(TypeError, match="integer"):
        read_frame(testsrc_mp4, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="integer"):
        read_frame(testsrc_mp4, True)


@pytest.mark.parametrize(
    ("start", "stop", "step"),
    [(0, None, 1), (0, None, 3), (2, 8, 2), (4, 5, 1), (9, None, 5), (10, None, 1), (6, 3, 1)],
)
def test_iter_frames_matches_read_frame(
    testsrc_mp4: Path, start: int, stop: int | None, step: int
) -> None:
    frames = list(iter_frames(testsrc_mp4, start=start, stop=stop, step=step))
    expected_indices = list(range(10))[start:stop:step]
    assert len(frames) == len(expected_indices)
    for frame, index in zip(frames, expected_indices, strict=True):
        np.testing.assert_array_equal(frame, read_frame(testsrc_mp4, index))


def test_iter_frames_rotated_matches_read_frame(rotated90_mp4: Path) -> None:
    frames = list(iter_frames(rotated90_mp4, stop=3))
    assert [f.shape for f in frames] == [(64, 48, 3)] * 3
    np.testing.assert_array_equal(frames[2], read_frame(rotated90_mp4, 2))


def test_iter_frames_validates_arguments_at_call_time(testsrc_mp4: Path, tmp_path: Path) -> None:
    with pytest.raises(VideoNotFoundError):
        iter_frames(tmp_path / "missing.mp4")  # no next() needed
    with pytest.raises(VideoError, match="step"):
        iter_frames(testsrc_mp4, step=0)
    with pytest.raises(VideoError, match="negative"):
        iter_frames(testsrc_mp4, start=-2)


class _RecordingCapture:
    """Stands in for cv2.VideoCapture: delegates to a real one and records release() calls."""

    real: Any = cv2.VideoCapture
    instances: ClassVar[list[_RecordingCapture]] = []

    def __init__(self, *args: Any) -> None:
        self._capture = self.real(*args)
        self.released = False
        self.instances.append(self)

    def release(self) -> None:
        self.released = True
        self._capture.release()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._capture, name)


@pytest.fixture
def recording_capture(monkeypatch: pytest.MonkeyPatch) -> type[_RecordingCapture]:
    import sam2_autotrack.video.reader as video_module

    monkeypatch.setattr(_RecordingCapture, "instances", [])
    monkeypatch.setattr(video_module.cv2, "VideoCapture", _RecordingCapture)
    return _RecordingCapture


def test_iter_frames_is_lazy_and_releases_on_close(
    testsrc_mp4: Path, recording_capture: type[_RecordingCapture]
) -> None:
    frames = iter_frames(testsrc_mp4)
    assert recording_capture.instances == []  # nothing opened until the first next()
    next(frames)
    (capture,) = recording_capture.instances
    assert not capture.released
    frames.close()
    assert capture.released


def test_iter_frames_releases_when_exhausted_or_abandoned(
    testsrc_mp4: Path, recording_capture: type[_RecordingCapture]
) -> None:
    assert sum(1 for _ in iter_frames(testsrc_mp4, step=4)) == 3
    with contextlib.closing(iter_frames(testsrc_mp4)) as frames:
        for _ in frames:
            break
    assert [c.released for c in recording_capture.instances] == [True, True]


def test_read_frame_and_probe_release_their_capture(
    testsrc_mp4: Path, recording_capture: type[_RecordingCapture]
) -> None:
    read_frame(testsrc_mp4, 2)
    probe_video(testsrc_mp4)
    count_frames(testsrc_mp4)
    with pytest.raises(VideoError):
        read_frame(testsrc_mp4, 50)
    assert len(recording_capture.instances) == 4
    assert all(c.released for c in recording_capture.instances)


# -- errors -----------------------------------------------------------------------------------

READERS = [
    pytest.param(probe_video, id="probe_video"),
    pytest.param(lambda p: probe_video(p, exact_frame_count=True), id="probe_video_exact"),
    pytest.param(count_frames, id="count_frames"),
    pytest.param(read_frame, id="read_frame"),
    pytest.param(lambda p: list(iter_frames(p)), id="iter_frames"),
]


@pytest.mark.parametrize("reader", READERS)
def test_missing_file(reader: Any, tmp_path: Path) -> None:
    with pytest.raises(VideoNotFoundError, match="does not exist") as info:
        reader(tmp_path / "nope.mp4")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.path == tmp_path / "nope.mp4"


@pytest.mark.parametrize("reader", READERS)
def test_directory(reader: Any, tmp_path: Path) -> None:
    folder = tmp_path / "clip.mp4"
    folder.mkdir()
    with pytest.raises(VideoNotFoundError, match="directory"):
        reader(folder)


@pytest.mark.parametrize("reader", READERS)
def test_text_file_is_not_a_video(reader: Any, tmp_path: Path) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("this is not a video\n" * 20)
    with pytest.raises(NotAVideoError, match="not a video"):
        reader(text)


@pytest.mark.parametrize("reader", READERS)
def test_zero_byte_file_is_not_a_video(reader: Any, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(NotAVideoError, match="0 bytes"):
        reader(empty)


@pytest.mark.parametrize("extension", [".png", ".jpg"])
@pytest.mark.parametrize("reader", READERS)
def test_image_renamed_mp4_is_not_a_video(reader: Any, tmp_path: Path, extension: str) -> None:
    image = np.zeros((16, 16, 3), dtype=np.uint8)
    image[4:12, 4:12] = 200
    ok, encoded = cv2.imencode(extension, image)
    assert ok
    renamed = tmp_path / "frame.mp4"
    renamed.write_bytes(encoded.tobytes())
    # OpenCV's FFmpeg backend would decode it as a 1-frame "video"; it must be refused instead.
    with pytest.raises(NotAVideoError, match="image, not a video"):
        reader(renamed)


@pytest.mark.parametrize("reader", READERS)
def test_audio_only_mp4_is_empty(reader: Any, run_ffmpeg: RunFFmpeg, tmp_path: Path) -> None:
    audio = tmp_path / "audio.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=0.2", "-c:a", "aac", str(audio))
    with pytest.raises(EmptyVideoError, match="no decodable video stream"):
        reader(audio)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_before_first_frame_is_empty(
    reader: Any, testsrc_mp4: Path, tmp_path: Path
) -> None:
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(testsrc_mp4.read_bytes()[: mdat_offset(testsrc_mp4) + 16])
    with pytest.raises(EmptyVideoError, match="truncated"):
        reader(truncated)


@pytest.mark.parametrize("reader", READERS)
def test_truncated_without_index_is_empty(
    reader: Any, run_ffmpeg: RunFFmpeg, testsrc_mp4: Path, tmp_path: Path
) -> None:
    # Without faststart the moov index sits at the end; cutting it off leaves an unreadable mp4.
    plain = tmp_path / "plain.mp4"
    run_ffmpeg("-i", str(testsrc_mp4), "-c", "copy", str(plain))
    data = plain.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(EmptyVideoError):
        reader(truncated)
