"""Track health in a result, its manifest and `video_result.json`, and back from the folder."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from run_fixtures import H, W, small_result, write_small_run
from sam2_autotrack import ExportError, MaskError, ObjectTracks, TrackResult
from sam2_autotrack.masks import HealthIssue
from sam2_autotrack.run import health_record, health_summary, load_run


def test_result_from_arrays_judges_its_masks(testsrc_mp4: Path) -> None:
    clean = small_result(testsrc_mp4)
    result = TrackResult.from_arrays(clean.tracks, clicks=clean.clicks)
    assert result.health == {"obj_1": (), "obj_2": ()}
    long = np.zeros((12, H, W), bool)
    long[:, 10:30, 10:30] = True
    short = long.copy()
    short[5:] = False
    tracks = ObjectTracks(
        masks={"obj_1": long, "obj_2": short}, frame_indices=np.arange(12) * 3, frame_count=36
    )
    result = TrackResult.from_arrays(tracks, clicks=clean.clicks)
    assert result.health["obj_1"] == ()
    assert [(i.kind, i.start, i.stop) for i in result.health["obj_2"]] == [("lost", 5, 12)]
    # the warning line speaks in source frames (every 3rd frame here)
    assert health_summary(result.health, result.frame_indices) == {
        "obj_2": "lost at frames 15-33 (empty for 7 frames)"
    }


def test_result_uses_the_backends_record(testsrc_mp4: Path) -> None:
    clean = small_result(testsrc_mp4)
    record = {
        "obj_1": [],
        "obj_2": [{"kind": "jump", "start": 2, "stop": 4, "detail": "centroid moved 30 px"}],
    }
    tracks = dataclasses.replace(clean.tracks, info={"health": record})
    result = clean.replace(tracks=tracks)
    assert result.health == {
        "obj_1": (),
        "obj_2": (HealthIssue("jump", 2, 4, "centroid moved 30 px"),),
    }
    # a record for other objects is not this result's: it is judged from the masks instead
    other = dataclasses.replace(clean.tracks, info={"health": {"obj_9": []}})
    assert clean.replace(tracks=other).health == {"obj_1": (), "obj_2": ()}
    damaged = dataclasses.replace(clean.tracks, info={"health": {"obj_1": "fine"}})
    with pytest.raises(MaskError, match="health"):
        _ = clean.replace(tracks=damaged).health


def test_manifest_and_video_result_record_it_and_load_run_restores_it(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    result = write_small_run(testsrc_mp4, run)
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["tracks"]["health"] == {"obj_1": [], "obj_2": []}
    video_result = json.loads((run / "video_result.json").read_text())
    assert video_result["health"] == manifest["tracks"]["health"]
    assert load_run(run).health == result.health == {"obj_1": (), "obj_2": ()}

    # what the manifest says is restored (not judged again), with its source frames
    issue = HealthIssue("drift", 1, 3, "area x5.0 within 1 frame, 400 -> 2000 px")
    manifest["tracks"]["health"] = health_record(
        {"obj_1": (), "obj_2": (issue,)}, manifest["tracks"]["frame_indices"]
    )
    assert manifest["tracks"]["health"]["obj_2"][0]["frames"] == [2, 4]
    (run / "manifest.json").write_text(json.dumps(manifest))
    loaded = load_run(run)
    assert loaded.health == {"obj_1": (), "obj_2": (issue,)}
    assert loaded.tracks.info["health"]["obj_2"] == [issue.to_json()]

    # an older folder without it in the manifest: video_result.json's record, else judged
    del manifest["tracks"]["health"]
    (run / "manifest.json").write_text(json.dumps(manifest))
    assert load_run(run).health == {"obj_1": (), "obj_2": ()}
    (run / "video_result.json").unlink()
    assert load_run(run).health == {"obj_1": (), "obj_2": ()}

    manifest["tracks"]["health"] = {"obj_1": [{"kind": "wobble"}], "obj_2": []}
    (run / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExportError, match="track health is damaged"):
        load_run(run)


def test_summary_lists_two_issues_then_counts_the_rest() -> None:
    issues = tuple(HealthIssue("jump", t, t + 2, f"centroid moved {t} px") for t in (1, 5, 9))
    lines = health_summary({"a": issues, "b": ()}, range(20))
    assert lines == {
        "a": "jump at frames 1-2 (centroid moved 1 px); jump at frames 5-6 (centroid moved 5 px); "
        "1 more"
    }
    one_frame = HealthIssue("lost", 3, 4, "empty")
    assert health_summary({"a": (one_frame,)}, range(5)) == {"a": "lost at frame 3 (empty)"}


@pytest.mark.parametrize(("cut", "lost"), [(15, False), (13, False), (18, True), (None, True)])
def test_a_track_that_ends_at_a_scene_cut_is_not_lost(
    testsrc_mp4: Path, cut: int | None, lost: bool
) -> None:
    clean = small_result(testsrc_mp4)
    long = np.zeros((12, H, W), bool)
    long[:, 10:30, 10:30] = True
    short = long.copy()
    short[5:] = False  # empty from mask frame 5 = source frame 15 (every 3rd frame)
    tracks = ObjectTracks(
        masks={"obj_1": long, "obj_2": short},
        frame_indices=np.arange(12) * 3,
        frame_count=36,
        info={"scene_cuts": [] if cut is None else [cut]},
    )
    result = TrackResult.from_arrays(tracks, clicks=clean.clicks)
    # a cut at 15, or between mask frames 12 and 15, ends the shot; a cut at 18 does not explain
    # an object gone since 15
    assert [i.kind for i in result.health["obj_2"]] == (["lost"] if lost else [])
    assert result.health["obj_1"] == ()
