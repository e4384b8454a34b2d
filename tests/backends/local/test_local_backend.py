"""LocalBackend: the protocol, progress, the proposal cache, scene cuts and track health."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from local_clips import (
    centre_click,
    iou,
    write_video,
)
from sam2_autotrack.backends.base import Backend
from sam2_autotrack.backends.local import LocalBackend, ProposalOptions, TrackerOptions
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.errors import BackendError, ClickError, MaskError, VideoNotFoundError
from sam2_autotrack.masks import TrackMeter


def test_backend_is_a_backend() -> None:
    backend = LocalBackend()
    assert isinstance(backend, Backend)
    assert backend.name == "local"
    described = backend.describe()
    assert described["tracker"] == TrackerOptions().model_dump(mode="json")
    assert described["proposals"] == ProposalOptions().model_dump(mode="json")


def test_backend_tracks_with_progress_and_is_deterministic(
    squares_video: tuple[Path, NDArray[np.bool_]],
) -> None:
    path, truth = squares_video
    clicks = ClickSet.build(
        [centre_click(truth[0, 0], "a"), centre_click(truth[1, 0], "b")],
        resolution_wh=(200, 120),
    )
    calls: list[tuple[str, int, int | None]] = []
    backend = LocalBackend()
    tracks = backend.track(path, clicks, progress=lambda s, d, t: calls.append((s, d, t)))
    frame_count = truth.shape[1]
    assert tracks.object_ids == ("a", "b")
    assert tracks.frame_count == frame_count
    np.testing.assert_array_equal(tracks.frame_indices, np.arange(frame_count))
    assert tracks.masks["a"].shape == (frame_count, 120, 200)
    assert [c[1] for c in calls] == list(range(1, frame_count + 1))
    assert {c[0] for c in calls} == {"track"}
    assert tracks.info["tracking_fps"] > 0
    # track health is reported per object (a list of doubtful stretches, empty when healthy)
    assert set(tracks.info["health"]) == {"a", "b"}
    for issues in tracks.info["health"].values():
        assert all(set(i) == {"kind", "start", "stop", "detail"} for i in issues)
        assert all(i["kind"] in {"lost", "drift", "leak", "jump"} for i in issues)
    mean_j = np.mean([iou(tracks.masks["a"][t], truth[0, t]) for t in range(6)])
    assert mean_j >= 0.8
    again = LocalBackend().track(path, clicks)
    for oid in tracks.object_ids:
        np.testing.assert_array_equal(tracks.masks[oid], again.masks[oid])


def test_backend_propose_uses_the_cache_in_track(
    squares_video: tuple[Path, NDArray[np.bool_]],
) -> None:
    from sam2_autotrack.video import read_frame

    path, truth = squares_video
    backend = LocalBackend()
    first = read_frame(path, 0)
    proposals = backend.propose(first, video=path)
    assert proposals.resolution_wh == (200, 120)
    clicks = ClickSet.build([centre_click(truth[0, 0], "obj_1")], resolution_wh=(200, 120))
    tracks = backend.track(path, clicks)
    assert tracks.info["proposal_source"] == "cache"


def test_backend_rejects_bad_input(
    squares_video: tuple[Path, NDArray[np.bool_]], tmp_path: Path
) -> None:
    path, _ = squares_video
    backend = LocalBackend()
    with pytest.raises(ClickError, match="frame 0"):
        backend.track(path, ClickSet.build([Click(x=5, y=5, frame=3)]))
    with pytest.raises(ClickError, match="200x120"):
        backend.track(path, ClickSet.build([Click(x=5, y=5)], resolution_wh=(400, 240)))
    with pytest.raises(VideoNotFoundError):
        backend.track(tmp_path / "missing.mp4", ClickSet.build([Click(x=5, y=5)]))
    with pytest.raises(MaskError, match="image_rgb"):
        backend.propose(np.zeros((10, 10), np.uint8))
    with pytest.raises(BackendError, match="motion_frames"):
        LocalBackend(motion_frames=-1)


def test_backend_reports_a_collapsed_track_as_unhealthy() -> None:
    from sam2_autotrack.backends.local.backend import _health_report

    count = 12
    clean = np.zeros((count, 60, 80), dtype=bool)
    clean[:, 20:40, 20:40] = True
    broken = clean.copy()
    broken[6:] = False
    broken[6:, 0:60, 0:80] = True  # swallows the frame: drift
    meter = TrackMeter(["a", "b", "c"])
    for t in range(count):  # as LocalBackend.track measures them, frame by frame
        meter.add(np.stack([clean[t], np.zeros_like(clean[t]), broken[t]]))
    report = _health_report(meter, ["a", "b", "c"])
    assert report["a"] == []
    assert [i["kind"] for i in report["c"]] == ["drift"]
    assert report["c"][0]["start"] <= 6 < report["c"][0]["stop"]


def test_backend_stops_at_a_scene_cut(tmp_path: Path) -> None:
    frames = np.zeros((12, 120, 200, 3), dtype=np.uint8)
    frames[:, :, :] = (40, 90, 40)
    for t in range(6):  # shot 1: a red square sliding right
        frames[t, 40:80, 20 + 4 * t : 60 + 4 * t] = (220, 40, 40)
    frames[6:] = (200, 200, 230)  # shot 2: something else entirely
    frames[6:, 10:110, 100:190] = (30, 30, 120)
    path = write_video(frames, tmp_path / "cut.mp4")
    clicks = ClickSet.build([Click(x=40, y=60, object_id="a")], resolution_wh=(200, 120))
    tracks = LocalBackend(motion_frames=0).track(path, clicks)
    assert tracks.info["scene_cut"] == 6
    masks = tracks.masks["a"].to_array()
    assert masks[:6].reshape(6, -1).any(axis=1).all()
    assert not masks[6:].any()
    assert [i["kind"] for i in tracks.info["health"]["a"]] == ["lost"]
    carried = LocalBackend(motion_frames=0, stop_at_cut=False).track(path, clicks)
    assert carried.info["scene_cut"] is None
    # without the stop, the mask lands on the new shot
    assert carried.masks["a"].to_array()[6:].any()
