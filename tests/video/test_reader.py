"""Tests of sam2_autotrack.video.reader: exact frames, lazy generators, released captures."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, ClassVar

import cv2
import numpy as np
import pytest

from sam2_autotrack.errors import EmptyVideoError, VideoError, VideoNotFoundError
from sam2_autotrack.video import count_frames, iter_frames, probe_video, read_frame

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
    import sam2_autotrack.video.capture as video_module

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
