"""The embedded engine's frame loop: objects added on a keyframe, tracks ended at a cut."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pytest

from sam2_autotrack.backends.local.session import TrackingSession
from sam2_autotrack.errors import BackendError


def _frame(boxes: list[tuple[int, int, tuple[int, int, int]]], bg: int = 90) -> np.ndarray:
    frame = np.full((60, 90, 3), bg, np.uint8)
    for x, y, colour in boxes:
        frame[y : y + 14, x : x + 14] = colour
    return frame


def _box(x: int, y: int) -> np.ndarray:
    mask = np.zeros((60, 90), bool)
    mask[y : y + 14, x : x + 14] = True
    return mask


def test_an_object_added_on_a_keyframe_is_tracked_from_there_and_empty_before() -> None:
    red, blue = (220, 30, 30), (30, 30, 220)
    calls: list[tuple[int, bool, tuple[str, ...]]] = []

    def discover(
        index: int, frame: np.ndarray, live: Mapping[str, np.ndarray], after_cut: bool
    ) -> dict[str, np.ndarray]:
        calls.append((index, after_cut, tuple(live)))
        return {"obj_2": _box(60, 30)} if index == 4 else {}

    frames = [
        _frame([(10 + t, 10, red)] + ([(60 - t, 30, blue)] if t >= 3 else [])) for t in range(9)
    ]
    session = TrackingSession(frames[0], {"obj_1": _box(10, 10)}, discover=discover, every=4)
    for frame in frames[1:]:
        session.step(frame)
    assert [c[0] for c in calls] == [4, 8]
    assert calls[1][2] == ("obj_1", "obj_2")
    assert session.first_frames == {"obj_1": 0, "obj_2": 4}
    blue_areas = session.sequences["obj_2"].areas.tolist()
    assert blue_areas[:4] == [0, 0, 0, 0]
    assert min(blue_areas[4:]) > 150
    assert session.sequences["obj_2"][8][37, 55]  # it moved left with the box
    assert session.record()["rediscovered"] == [
        {"frame": 4, "objects": ["obj_2"], "after_cut": False}
    ]


def test_a_cut_ends_every_track_and_hands_the_new_shot_to_discover() -> None:
    shot_1 = [_frame([(10 + t, 10, (220, 30, 30))]) for t in range(5)]
    shot_2 = [_frame([(50, 30, (240, 240, 20))], bg=20) for _ in range(4)]
    seen: list[tuple[int, bool, int]] = []

    def discover(
        index: int, frame: np.ndarray, live: Mapping[str, np.ndarray], after_cut: bool
    ) -> dict[str, np.ndarray]:
        seen.append((index, after_cut, len(live)))
        return {"obj_2": _box(50, 30)} if after_cut else {}

    session = TrackingSession(shot_1[0], {"obj_1": _box(10, 10)}, discover=discover)
    for frame in [*shot_1[1:], *shot_2]:
        session.step(frame)
    assert session.cuts == [5]
    assert seen == [(5, True, 0)]  # no keyframes (every=0): the cut only, with nothing live
    assert session.sequences["obj_1"].areas.tolist()[5:] == [0, 0, 0, 0]
    assert min(session.sequences["obj_2"].areas.tolist()[5:]) > 150
    assert session.last_frames == {"obj_1": 4}
    with pytest.raises(BackendError, match="ids already used"):
        TrackingSession(
            shot_1[0], {"obj_1": _box(10, 10)}, discover=lambda *a: {"obj_1": _box(1, 1)}, every=1
        ).step(shot_1[1])
