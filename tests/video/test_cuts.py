"""Scene cuts: a jump of the colour histogram, not camera or object motion."""

from __future__ import annotations

import numpy as np

from sam2_autotrack.video import CUT_THRESHOLD, first_cut, is_cut


def _scene(seed: int, shift: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (3, 3, 3), dtype=np.uint8)
    frame = np.kron(base, np.ones((40, 60, 1), dtype=np.uint8))  # 120x180, nine flat patches
    return np.roll(frame, shift, axis=1)


def test_motion_is_not_a_cut_but_a_new_shot_is() -> None:
    a = _scene(1)
    assert not is_cut(a, _scene(1, shift=6))  # the camera pans a little
    moved = a.copy()
    moved[40:80, 60:120] = moved[0:40, 0:60]  # an object moves over a part of the frame
    assert not is_cut(a, moved)
    assert is_cut(a, _scene(2))  # another shot
    assert not is_cut(a, _scene(2), threshold=1.0)  # nothing is ever further than 1
    assert 0 < CUT_THRESHOLD < 1


def test_first_cut_counts_the_frames_of_the_first_shot() -> None:
    shot_1 = [_scene(1, shift=2 * t) for t in range(4)]
    shot_2 = [_scene(2, shift=2 * t) for t in range(3)]
    frames = np.stack(shot_1 + shot_2 + [_scene(3)])
    assert first_cut(frames) == 4
    assert first_cut(frames[4:]) == 3
    assert first_cut(np.stack(shot_1)) == 4
    assert first_cut(frames[:0]) == 0
