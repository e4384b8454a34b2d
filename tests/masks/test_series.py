"""Tests of sam2_autotrack.masks.series: area jumps, and slow drift no single step shows."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack.errors import MaskError
from sam2_autotrack.masks.series import AreaDrift, TrackMeter, area_drifts, area_jumps

GROWING = np.round(400 * 25 ** (np.arange(60) / 59)).astype(np.int64)  # ×25, +5.6 % a frame


def test_slow_growth_is_a_drift_not_a_jump() -> None:
    jumps = area_jumps(GROWING, 0.35)
    assert jumps.size == 0
    (drift,) = area_drifts(GROWING, jumps, 3.0)
    assert drift.start == 0
    assert drift.peak == 59
    level = np.median(GROWING[:5])
    assert GROWING[drift.onset] >= 3.0 * level > GROWING[drift.onset - 1]
    assert drift.factor == GROWING[59] / level


def test_shrinking_and_steady_tracks() -> None:
    (drift,) = area_drifts(GROWING[::-1], np.zeros(0, np.int64), 3.0)
    assert drift.factor < 1 / 20
    noisy = 1000 + np.random.default_rng(0).integers(-150, 150, size=80)
    assert area_drifts(noisy, area_jumps(noisy, 0.35), 1.5) == ()


def test_a_jump_starts_a_new_stretch() -> None:
    # A sudden drop is a jump, not also a drift; slow growth after it counts from the new level.
    area = np.concatenate([np.full(10, 900), np.round(300 * 4 ** (np.arange(30) / 29))])
    jumps = area_jumps(area, 0.35)
    assert jumps.tolist() == [10]
    (drift,) = area_drifts(area, jumps, 3.0)
    assert drift == AreaDrift(start=10, onset=drift.onset, peak=39, factor=drift.factor)
    assert 3.0 < drift.factor < 4.0
    assert area_drifts(np.array([900, 905, 910, 300, 290, 295]), np.array([3]), 3.0) == ()


def test_one_odd_frame_is_a_jump_not_a_drift() -> None:
    area = np.full(30, 500)
    area[0] = 5000  # one bad first mask
    area[20] = 1700  # one bad mask later on
    jumps = area_jumps(area, 0.35)
    assert jumps.tolist() == [1, 20, 21]
    assert area_drifts(area, jumps, 3.0) == ()


def test_empty_masks_do_not_divide_by_zero() -> None:
    area = np.zeros(10, np.int64)
    assert area_jumps(area, 0.35).size == 0
    assert area_drifts(area, np.zeros(0, np.int64), 3.0) == ()
    assert area_jumps(np.array([0, 50]), 0.35).tolist() == [1]


def test_track_meter_measures_areas_centroids_and_what_each_object_takes() -> None:
    meter = TrackMeter(["a", "b"])
    a = np.zeros((2, 10, 10), dtype=bool)
    a[0, 2:4, 2:4] = True  # 4 px, centroid (2.5, 2.5)
    a[1, 2:4, 2:6] = True  # grows right by 4 px
    b = np.zeros((2, 10, 10), dtype=bool)
    b[0, 2:4, 4:8] = True
    b[1, 2:4, 6:8] = True  # loses the 4 px a took
    for t in range(2):
        meter.add(np.stack([a[t], b[t]]))
    series = meter.series()
    assert series["a"].areas.tolist() == [4, 8]
    assert series["a"].centroids[0].tolist() == [2.5, 2.5]
    assert series["b"].lost.tolist() == [0, 4]
    assert series["a"].taken["b"].tolist() == [0, 4]
    assert series["b"].taken["a"].tolist() == [0, 0]
    assert series["a"].shape_hw == (10, 10)
    empty = TrackMeter(["a"])
    empty.add(np.zeros((1, 4, 4), dtype=bool))
    assert np.isnan(empty.series()["a"].centroids[0]).all()


def test_track_meter_refuses_frames_that_do_not_fit() -> None:
    meter = TrackMeter(["a", "b"])
    with pytest.raises(MaskError, match="one per object"):
        meter.add(np.zeros((1, 4, 4), dtype=bool))
    meter.add(np.zeros((2, 4, 4), dtype=bool))
    with pytest.raises(MaskError, match="every frame"):
        meter.add(np.zeros((2, 5, 4), dtype=bool))
