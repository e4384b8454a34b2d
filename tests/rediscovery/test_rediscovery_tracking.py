"""Both backends find the objects that appear later: one entering mid-clip, a new shot's objects.

The clips (``tests/rediscovery_clips.py``): ``enters`` — a red box from frame 0, a blue box
sliding in from the right from frame 11; ``cut`` — a red box and a green disc, then a hard cut at
frame 24 to another background with a yellow box and a magenta disc. The later objects must be
found (mean IoU >= 0.8 over the frames they are visible), the frame-0 objects keep their scores,
and nothing of the first shot leaks into the second. The hosted path runs on the fake Replicate
server, whose models answer by flat colour.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from rediscovery_clips import CUT_AT, T, best_match, cut_clip, enters_clip, mean_iou
from replicate_scenes import fast_backend
from sam2_autotrack import AutoTracker, Backend, TrackResult
from sam2_autotrack.backends.local.backend import LocalBackend

EVERY = 8  # keyframes 8, 16, 24, 32, 40


def _run(backend: Backend, video: Path, out: Path | None, every: int) -> TrackResult:
    with AutoTracker(backend, rediscover=every) as tracker:
        return tracker.track(video, out)


def _scores(result: TrackResult, truth: dict[str, np.ndarray]) -> dict[str, tuple[str, float]]:
    masks = {oid: result.masks(oid) for oid in result.object_ids}
    found = {}
    for name, target in truth.items():
        oid = best_match(masks, target)
        found[name] = (oid, mean_iou(masks[oid], target))
    return found


def _check_enters(off: TrackResult, on: TrackResult, truth: dict[str, np.ndarray]) -> str:
    before, after = _scores(off, truth), _scores(on, truth)
    assert off.object_ids == ("obj_1",)
    assert before["blue"][1] < 0.1  # today: never tracked
    assert after["red"] == ("obj_1", pytest.approx(before["red"][1], abs=0.01))
    assert before["red"][1] >= 0.9
    blue, score = after["blue"]
    assert blue == "obj_2"
    assert score >= 0.8
    assert 11 <= on.first_frames[blue] <= 16
    assert on.first_frames["obj_1"] == 0
    assert {c.frame for c in on.clicks if c.object_id == blue} == {on.first_frames[blue]}
    assert not on.masks(blue)[: on.first_frames[blue]].any()
    assert len(on) == 2  # the red box is never found again
    return blue


def _check_cut(off: TrackResult, on: TrackResult, truth: dict[str, np.ndarray]) -> None:
    before, after = _scores(off, truth), _scores(on, truth)
    for name in ("red", "green"):
        oid, score = after[name]
        assert on.first_frames[oid] == 0
        assert score >= 0.9
        assert (oid, score) == (before[name][0], pytest.approx(before[name][1], abs=0.01))
        assert not on.masks(oid)[CUT_AT:].any()  # the first shot's objects end at the cut
    later = set()
    for name in ("yellow", "magenta"):
        oid, score = after[name]
        assert score >= 0.8
        assert on.first_frames[oid] == CUT_AT
        assert not on.masks(oid)[:CUT_AT].any()
        later.add(oid)
    assert later == {"obj_3", "obj_4"}
    assert len(on) == 4
    assert on.scene_cuts == (CUT_AT,)


def test_the_embedded_engine_finds_an_object_that_enters(tmp_path: Path) -> None:
    video, truth = enters_clip(tmp_path / "enters.avi")
    off = _run(LocalBackend(), video, None, 0)
    on = _run(LocalBackend(), video, tmp_path / "run", EVERY)
    blue = _check_enters(off, on, truth)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["tracks"]["first_frames"] == {"obj_1": 0, blue: on.first_frames[blue]}
    assert manifest["tracks"]["rediscovered"][0]["objects"] == [blue]
    assert manifest["parameters"]["rediscovery"]["every"] == EVERY
    clicks = json.loads((tmp_path / "run" / "clicks.json").read_text())
    assert {c["object_id"] for c in clicks["clicks"]} == {"obj_1", blue}


def test_the_embedded_engine_finds_a_new_shots_objects_and_ends_the_old_ones(
    tmp_path: Path,
) -> None:
    video, truth = cut_clip(tmp_path / "cut.avi")
    off = _run(LocalBackend(), video, None, 0)
    on = _run(LocalBackend(), video, None, EVERY)
    _check_cut(off, on, truth)
    assert off.object_ids == ("obj_1", "obj_2")
    assert off.scene_cuts == (CUT_AT,)
    health = on.tracks.info["health"]
    assert all(not issues for oid, issues in health.items() if on.first_frames[oid] == CUT_AT)


def test_hosted_rediscovery_finds_an_entering_object_for_one_more_prediction(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    video, truth = enters_clip(tmp_path / "enters.avi")
    off = _run(fast_backend(), video, tmp_path / "off", 0)
    # re-discovery off: exactly today's predictions
    assert [c.purpose for c in off.cost.predictions] == ["proposals", "track"]
    on = _run(fast_backend(), video, tmp_path / "on", EVERY)
    blue = _check_enters(off, on, truth)
    purposes = [c.purpose for c in on.cost.predictions]
    assert purposes[:2] == ["proposals", "track"]
    assert purposes[2:] == ["keyframe proposals"] * 5 + ["new-objects track"]
    extra = on.cost.predictions[-1]
    # trimmed: uploaded from the keyframe that found the blue box to the end
    assert extra.frames_uploaded == T - on.first_frames[blue]
    assert on.cost.frames_uploaded == off.cost.frames_uploaded + 5 + extra.frames_uploaded
    assert on.tracks.info["keyframes"] == [8, 16, 24, 32, 40]


def test_hosted_rediscovery_after_a_cut_tracks_the_new_shot_from_the_cut(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    video, truth = cut_clip(tmp_path / "cut.avi")
    off = _run(fast_backend(), video, tmp_path / "off", 0)
    on = _run(fast_backend(), video, tmp_path / "on", {"every": 0})
    _check_cut(off, on, truth)
    purposes = [c.purpose for c in on.cost.predictions]
    # cuts only: one keyframe (the cut), one more tracking prediction for its two objects
    assert purposes == ["proposals", "union", "keyframe proposals", "new-objects union"]
    assert on.cost.predictions[-1].frames_uploaded == T - CUT_AT
    assert on.tracks.info["last_frames"] == {"obj_1": CUT_AT - 1, "obj_2": CUT_AT - 1}
