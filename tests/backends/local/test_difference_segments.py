"""Objects found where frame 0 differs from the later frames once the camera is removed."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import Any

import numpy as np

from local_clips import iou
from sam2_autotrack.backends.local.alignment import aligned_difference
from sam2_autotrack.backends.local.difference_segments import difference_segments
from sam2_autotrack.backends.local.motion import residual_motion
from sam2_autotrack.backends.local.motion_segments import motion_map, motion_segments
from sam2_autotrack.testing import make_family_clip
from sam2_autotrack.video import iter_frames


def _frames(tmp_path: Path, family: str, seed: int, count: int = 26) -> tuple[Any, Any]:
    """Return the first ``count`` frames of a family clip as the engine decodes them."""
    clip = make_family_clip(family, seed, tmp_path / "clip")
    assert clip.files is not None
    with contextlib.closing(iter_frames(clip.files.video_path)) as frames:
        return np.stack(list(itertools.islice(frames, count))), clip


def test_an_object_striped_like_its_background_is_a_difference_segment(tmp_path: Path) -> None:
    # tuning seed 1 of the textured-background family (320x240): a striped ellipse on a
    # background striped in its own hue, moving about 1 px a frame; the flow barely sees it
    frames, clip = _frames(tmp_path, "textured_bg", 1)
    truth = np.asarray(clip.masks["gt_1"][0])
    difference = aligned_difference(frames)
    motion = residual_motion(frames)
    assert motion is not None
    superpixels = motion_map(frames[0], motion.evidence, difference)
    segments = motion_segments(frames[0], superpixels)
    assert max((iou(s, truth) for s in segments), default=0.0) < 0.3
    regions = difference_segments(difference, superpixels.labels)
    assert max(iou(r, truth) for r in regions) > 0.5


def test_a_static_shot_gives_no_difference_segment(tmp_path: Path) -> None:
    frames, _ = _frames(tmp_path, "textured_bg", 1, count=1)
    still = np.repeat(frames, 10, axis=0)
    assert difference_segments(aligned_difference(still)) == []


def test_regions_outside_the_size_limits_are_left_out_and_the_input_is_kept() -> None:
    difference = np.zeros((100, 100), np.float32)
    difference[10:12, 10:12] = 9.0  # a speck
    difference[30:70, 30:70] = 9.0  # 16 % of the frame
    difference[80, 80] = np.nan
    before = difference.copy()
    regions = difference_segments(difference, max_area_fraction=0.1)
    assert regions == []
    regions = difference_segments(difference)
    assert [int(r.sum()) for r in regions] == [1600]
    np.testing.assert_array_equal(difference, before)
