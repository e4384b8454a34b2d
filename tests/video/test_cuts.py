"""Scene cuts: a jump of the colour histogram, not camera or object motion."""

from __future__ import annotations

import itertools

import numpy as np

from sam2_autotrack.testing import sample_video
from sam2_autotrack.testing.real_truth import load_real_subjects
from sam2_autotrack.video import (
    CUT_THRESHOLD,
    CutDetector,
    find_cuts,
    first_cut,
    frame_distance,
    is_cut,
    iter_frames,
)
from sam2_autotrack.video.cuts import CUT_CEILING, CUT_FACTOR, CUT_FLOOR


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


def test_the_threshold_adapts_to_the_shot() -> None:
    rng = np.random.default_rng(0)
    calm = [_scene(1) for _ in range(8)]
    # the same change (a patch recoloured) is a cut after a still shot ...
    changed = calm[-1].copy()
    changed[:40] = rng.integers(0, 256, 3, dtype=np.uint8)
    distance = frame_distance(calm[-1], changed)
    assert CUT_FLOOR < distance < CUT_CEILING
    assert find_cuts([*calm, changed]) == [8]
    # ... but not in a shot that keeps changing that much from frame to frame
    busy = []
    for t in range(12):
        frame = _scene(1)
        frame[40:70] = (250, 10, 10) if t % 2 else (10, 250, 10)
        busy.append(frame)
    level = float(np.median([frame_distance(a, b) for a, b in itertools.pairwise(busy)]))
    assert level * CUT_FACTOR > distance  # busy enough that the change is ordinary here
    detector = CutDetector()
    assert not any(detector.push(f) for f in busy)
    assert detector.threshold > distance
    assert not detector.push(busy[-2])


def test_bikes_cuts_are_the_hand_found_ones_and_the_blur_is_not_one() -> None:
    truth = load_real_subjects()["bikes"]
    cuts = find_cuts(iter_frames(sample_video("bikes")))
    assert cuts == list(truth.scene_cuts) == [30, 76, 137, 187, 242]
    assert not any(98 <= cut <= 102 for cut in cuts)  # the car crossing the foreground
