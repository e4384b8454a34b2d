"""Tests of sam2_autotrack.viz.strip: filmstrips from frames and from tracking results."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from sam2_autotrack import Click, ClickSet, ObjectTracks
from sam2_autotrack.errors import AutotrackError, ConfigError, MaskError, VideoError
from sam2_autotrack.masks import MaskSequence
from sam2_autotrack.run.result import TrackResult
from sam2_autotrack.video import probe_video, read_frame
from sam2_autotrack.viz import filmstrip, palette


def test_filmstrip_from_frames_picks_evenly_spaced_frames() -> None:
    frames = np.stack([np.full((40, 60, 3), 10 * t, np.uint8) for t in range(10)])
    masks = np.zeros((10, 40, 60), bool)
    masks[:, 10:30, 20:40] = True
    figure = filmstrip(frames, {"obj_1": masks}, n=4, columns=2, thumb_width=60, alpha=1.0)
    assert figure.image.shape == (2 * 40, 2 * 60, 3)
    assert figure.text == ("frame 0", "frame 3", "frame 6", "frame 9")
    colour = palette(1)[0].tolist()
    for k, t in enumerate((0, 3, 6, 9)):
        row, col = divmod(k, 2)
        tile = figure.image[row * 40 : (row + 1) * 40, col * 60 : (col + 1) * 60]
        assert tile[20, 30].tolist() == colour
        assert tile[38, 2].tolist() == [10 * t] * 3, "the right frame under the masks"


def test_filmstrip_uses_given_frame_numbers_and_caps_n() -> None:
    frames = np.zeros((3, 20, 20, 3), np.uint8)
    masks = np.zeros((3, 20, 20), bool)
    figure = filmstrip(frames, masks, n=10, frame_indices=[0, 5, 10], thumb_width=20)
    assert figure.text == ("frame 0", "frame 5", "frame 10")


def test_filmstrip_checks_its_inputs() -> None:
    frames = np.zeros((3, 20, 20, 3), np.uint8)
    with pytest.raises(MaskError, match="T=3"):
        filmstrip(frames, {"obj_1": np.zeros((2, 20, 20), bool)})
    with pytest.raises(MaskError, match="pass the masks"):
        filmstrip(frames)
    with pytest.raises(AutotrackError, match="n must be"):
        filmstrip(frames, np.zeros((3, 20, 20), bool), n=0)


def test_filmstrip_reads_the_frames_of_a_result(testsrc_mp4: Path) -> None:
    info = probe_video(testsrc_mp4)
    width, height = info.resolution_wh
    indices = np.arange(0, info.frame_count, 2)
    masks = np.zeros((len(indices), height, width), bool)  # empty masks: frames show unchanged
    tracks = ObjectTracks(
        masks={"obj_1": masks}, frame_indices=indices, frame_count=info.frame_count
    )
    clicks = ClickSet.build([Click(x=1, y=1)], resolution_wh=(width, height))
    result = TrackResult.from_arrays(tracks, clicks=clicks, video=testsrc_mp4)
    figure = filmstrip(result, n=2, columns=2, thumb_width=width)
    last = int(indices[-1])
    assert figure.text == ("frame 0", f"frame {last}")
    right = figure.image[:, width:]
    expected = read_frame(testsrc_mp4, last)
    # Compare the bottom half (the caption sits at the top-left).
    assert np.array_equal(right[height // 2 :], expected[height // 2 :])


def test_filmstrip_options_are_config_errors() -> None:
    frames = np.zeros((3, 20, 20, 3), np.uint8)
    masks = np.zeros((3, 20, 20), bool)
    for bad, match in (({"columns": 0}, "columns"), ({"thumb_width": 4}, "thumb_width"),
                       ({"alpha": 1.5}, "alpha"), ({"n": 0}, "n must be")):  # fmt: skip
        with pytest.raises(ConfigError, match=match):
            filmstrip(frames, masks, **bad)  # type: ignore[arg-type]


def test_filmstrip_of_a_result_without_video(testsrc_mp4: Path) -> None:
    masks = np.zeros((2, 48, 64), bool)
    tracks = ObjectTracks(masks={"obj_1": masks}, frame_indices=np.array([0, 1]), frame_count=2)
    result = TrackResult.from_arrays(tracks, clicks=ClickSet.build([Click(x=1, y=1)]))
    with pytest.raises(VideoError, match="pass the frames yourself"):
        filmstrip(result)


class _CountingSequence(MaskSequence):
    """A MaskSequence that records which frames are read."""

    def __init__(self, stack: np.ndarray) -> None:
        super().__init__((stack.shape[2], stack.shape[1]), stack)
        self.read: list[int] = []

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        if isinstance(index, int):
            self.read.append(index)
        return super().__getitem__(index)


class _LongResult:
    """A TrackedVideo over 50 mask frames whose whole stacks must not be asked for."""

    def __init__(self, video: Path, sequence: _CountingSequence) -> None:
        self.video = video
        self.object_ids = ("obj_1",)
        self.frame_indices = np.arange(len(sequence))
        self._sequence = sequence

    def masks(self, object_id: str) -> np.ndarray:
        raise AssertionError("filmstrip asked for a whole (T, H, W) stack")

    def mask_sequence(self, object_id: str) -> MaskSequence:
        return self._sequence

    def areas(self) -> dict[str, np.ndarray]:
        return {"obj_1": self._sequence.areas}


def test_filmstrip_of_a_result_reads_only_the_shown_frames(
    make_testsrc_clip: Callable[..., Path],
) -> None:
    video = make_testsrc_clip("testsrc_50.mp4", frames=50)
    info = probe_video(video)
    width, height = info.resolution_wh
    stack = np.zeros((50, height, width), bool)
    stack[:, 5:20, 5:20] = True
    sequence = _CountingSequence(stack)
    figure = filmstrip(_LongResult(video, sequence), n=3, thumb_width=width)  # type: ignore[arg-type]
    assert sorted(sequence.read) == [0, 24, 49]
    assert figure.image.shape == (height, 3 * width, 3)
