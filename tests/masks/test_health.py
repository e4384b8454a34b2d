"""Track health: clean generated tracks pass, corrupted copies are flagged, frame by frame too."""

from __future__ import annotations

import numpy as np
import pytest

from sam2_autotrack.errors import ConfigError, MaskError
from sam2_autotrack.masks import HealthOptions, TrackMeter, judge_track, track_health
from sam2_autotrack.testing import SYNTHETIC_SUITE, make_clip


@pytest.mark.parametrize("name", ["shapes_pan", "occlusion", "touching", "rings_and_c"])
def test_ground_truth_tracks_are_healthy(name: str) -> None:
    clip = make_clip(name, resolution_wh=(320, 180), frame_count=30)
    tracks = list(clip.masks.values())
    for k, masks in enumerate(tracks):
        others = [t for j, t in enumerate(tracks) if j != k]
        health = track_health(masks, others=others)
        # an object that really leaves or is hidden is "lost", which is honest; nothing else
        assert health.kinds() <= {"lost"}, (name, k, health.issues)


def test_suite_names_are_known() -> None:
    assert "occlusion" in SYNTHETIC_SUITE


def _disc_track(count: int = 20, size: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    masks = np.zeros((count, size, size), dtype=bool)
    for t in range(count):
        masks[t] = (xx - 20 - t) ** 2 + (yy - 30) ** 2 < 8**2
    return masks


def test_area_jump_is_drift() -> None:
    masks = _disc_track()
    masks[10:, 5:60, 5:60] = True
    health = track_health(masks)
    assert [i.kind for i in health.issues] == ["drift"]
    assert 7 <= health.issues[0].start <= 9
    assert health.issues[0].stop == 11
    assert health.unsure[9]
    assert not health.unsure[3]


def test_collapse_is_drift_too() -> None:
    masks = _disc_track()
    masks[12:] = False
    masks[12:, 30, 30:36] = True  # a 6-pixel sliver... below min_area: lost instead
    assert track_health(masks, options=HealthOptions(min_area=4)).kinds() == {"drift"}
    assert track_health(masks, options=HealthOptions(min_area=16)).kinds() == {"lost"}


def test_short_gap_is_not_lost() -> None:
    masks = _disc_track()
    masks[8:11] = False
    assert track_health(masks, options=HealthOptions(lost_frames=5)).ok
    assert track_health(masks, options=HealthOptions(lost_frames=3)).kinds() == {"lost"}


def test_never_seen_is_not_lost() -> None:
    masks = _disc_track()
    masks[:6] = False
    assert "lost" not in track_health(masks).kinds()


def test_leak_into_a_shrinking_neighbour() -> None:
    count, size = 12, 80
    a = np.zeros((count, size, size), dtype=bool)
    b = np.zeros_like(a)
    a[:, 20:40, 10:30] = True
    b[:, 20:40, 32:52] = True
    for t in range(6, count):  # a spreads over b, b is eaten
        grow = 4 * (t - 5)
        a[t, 20:40, 30 : 32 + grow] = True
        b[t, 20:40, 32 : 32 + grow] = False
    health = track_health(a, others=[b])
    assert "leak" in health.kinds()
    leak = next(i for i in health.issues if i.kind == "leak")
    assert leak.start == 6
    # an occluder sliding over b (same size, takes b's pixels) is not a leak
    occluder = np.zeros_like(a)
    hidden = b.copy()
    for t in range(count):
        occluder[t, 20:40, 10 + 3 * t : 30 + 3 * t] = True
        hidden[t] &= ~occluder[t]
    assert "leak" not in track_health(occluder, others=[hidden]).kinds()
    # side by side without a fight is fine
    steady_a = np.repeat(a[:1], count, axis=0)
    steady_b = np.repeat(b[:1], count, axis=0)
    assert track_health(steady_a, others=[steady_b]).ok


def test_object_revealed_behind_a_mover_is_not_a_leak() -> None:
    # b sits in front of a and slides right; a (behind) is revealed pixel by pixel: a grows into
    # pixels b held a frame before, but b keeps its size -- that is occlusion, not a leak
    count, size = 12, 96
    a = np.zeros((count, size, size), dtype=bool)
    b = np.zeros_like(a)
    for t in range(count):
        b[t, 30:60, 10 + 6 * t : 34 + 6 * t] = True
        a[t, 35:55, 6:40] = True
        a[t] &= ~b[t]
    assert all(a[t].sum() > a[t - 1].sum() for t in range(2, 6))
    assert "leak" not in track_health(a, others=[b]).kinds()


def test_teleport_is_a_jump() -> None:
    masks = _disc_track()
    masks[15:] = np.roll(masks[15:], 30, axis=1)
    assert "jump" in track_health(masks).kinds()


def test_shape_errors() -> None:
    with pytest.raises(MaskError, match=r"\(T, H, W\)"):
        track_health(np.zeros((4, 4), dtype=bool))
    with pytest.raises(MaskError, match="others"):
        track_health(np.zeros((3, 4, 4), dtype=bool), others=[np.zeros((2, 4, 4), dtype=bool)])


def test_series_measured_frame_by_frame_give_the_same_verdict() -> None:
    # what LocalBackend.track does: one TrackMeter.add per frame, then judge_track per object
    count, size = 12, 80
    a = np.zeros((count, size, size), dtype=bool)
    b = np.zeros_like(a)
    a[:, 20:40, 10:30] = True
    b[:, 20:40, 32:52] = True
    for t in range(6, count):
        grow = 4 * (t - 5)
        a[t, 20:40, 30 : 32 + grow] = True
        b[t, 20:40, 32 : 32 + grow] = False
    meter = TrackMeter(["a", "b"])
    for t in range(count):
        meter.add(np.stack([a[t], b[t]]))
    series = meter.series()
    streamed = judge_track(series["a"], {"b": series["b"]})
    assert streamed.issues == track_health(a, others=[b]).issues
    assert "leak" in streamed.kinds()
    assert judge_track(series["b"], {"a": series["a"]}).issues == track_health(b, others=[a]).issues


def test_health_options_are_checked() -> None:
    with pytest.raises(ConfigError, match="drift_ratio"):
        HealthOptions(drift_ratio=1.0)
    with pytest.raises(ConfigError):
        HealthOptions(bogus=1)  # type: ignore[call-arg]
