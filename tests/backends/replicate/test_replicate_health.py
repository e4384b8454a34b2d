"""Track health from the Replicate backend: every strategy judges its final masks (fake server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_replicate import FakeReplicate
from health_clips import CORRUPT_FROM, Corruption, H, T, W, health_clip
from replicate_scenes import fast_backend
from sam2_autotrack import Click, ClickSet, TrackResult
from sam2_autotrack.run import health_summary

CLICKS = ClickSet.build(
    [
        Click(x=22, y=24, object_id="red"),
        Click(x=69, y=59, object_id="green"),
        Click(x=130, y=39, object_id="blue"),
    ],
    resolution_wh=(W, H),
)
EXPECTED: dict[Corruption, dict[str, list[str]]] = {
    None: {"red": [], "green": [], "blue": []},
    "vanish": {"red": [], "green": [], "blue": ["lost"]},
    "swell": {"red": [], "green": ["drift"], "blue": []},
}


@pytest.mark.parametrize("corrupt", [None, "vanish", "swell"])
@pytest.mark.parametrize("per_object", ["auto", "image", "split", "separate"])
def test_every_strategy_reports_the_corrupted_track(
    fake_replicate: FakeReplicate, tmp_path: Path, per_object: str, corrupt: Corruption
) -> None:
    video = tmp_path / "clip.avi"
    health_clip(video, corrupt)
    with fast_backend(per_object=per_object) as backend:
        tracks = backend.track(video, CLICKS, work_dir=tmp_path / "work")
    health = tracks.info["health"]
    assert {oid: [i["kind"] for i in issues] for oid, issues in health.items()} == EXPECTED[corrupt]
    assert tracks.info["health_seconds"] >= 0
    for issues in health.values():
        assert all(set(i) == {"kind", "start", "stop", "detail"} for i in issues)
    if corrupt == "vanish":
        assert health["blue"][0]["start"] == CORRUPT_FROM
        assert health["blue"][0]["stop"] == T
    if corrupt == "swell":
        assert (health["green"][0]["start"], health["green"][0]["stop"]) == (
            CORRUPT_FROM - 1,
            CORRUPT_FROM + 1,
        )
        assert health["green"][0]["detail"].startswith("area x8.1 ")


def test_health_positions_are_mask_frames_with_an_output_interval(
    fake_replicate: FakeReplicate, tmp_path: Path
) -> None:
    video = tmp_path / "clip.avi"
    health_clip(video, "vanish", frames=24)
    with fast_backend(per_object="split", video_inputs={"output_frame_interval": 2}) as backend:
        tracks = backend.track(video, CLICKS)
    # mask frames are source frames 0, 2, ..., 22: blue is gone from source frame 6 on, which
    # is mask frame 3; lost_frames counts mask frames
    assert tracks.frame_indices.tolist() == list(range(0, 24, 2))
    assert tracks.info["health"]["blue"] == [
        {"kind": "lost", "start": 3, "stop": 12, "detail": "empty for 9 frames"}
    ]
    result = TrackResult.from_arrays(tracks, clicks=CLICKS)
    assert health_summary(result.health, result.frame_indices) == {
        "blue": "lost at frames 6-22 (empty for 9 frames)"
    }
