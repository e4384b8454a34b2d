"""The `AutoTracker` facade with a stand-in backend.

Options are checked before any work, the steps are composed, and the backend is closed only when
the tracker made it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from sam2_autotrack import (
    AutoTracker,
    ClickSet,
    ConfigError,
    FFmpegNotFoundError,
    MaskProposals,
    ObjectTracks,
    ReplicateBackend,
)
from sam2_autotrack.cli import main
from sam2_autotrack.export import ExportOptions
from sam2_autotrack.seeds import SeedOptions

W, H, T = 120, 80, 6


class StandIn:
    """A backend that proposes and 'tracks' the clip's true boxes, and records its calls."""

    name = "stand-in"

    def __init__(self, truth: dict[str, NDArray[np.bool_]]) -> None:
        self.truth = truth
        self.calls: list[str] = []
        self.closed = 0

    def propose(
        self,
        image_rgb: NDArray[np.uint8],
        *,
        video: Path | None = None,
        work_dir: Path | None = None,
    ) -> MaskProposals:
        self.calls.append("propose")
        return MaskProposals(masks=np.stack([m[0] for m in self.truth.values()]))

    def track(
        self, video: Path, clicks: ClickSet, *, work_dir: Path | None = None, progress: Any = None
    ) -> ObjectTracks:
        self.calls.append("track")
        masks = {}
        for object_id in clicks.object_ids:
            click = next(c for c in clicks.for_object(object_id) if c.label == 1)
            masks[object_id] = next(m for m in self.truth.values() if m[0, click.y, click.x])
        return ObjectTracks(masks=masks, frame_indices=np.arange(T), frame_count=T)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "api_token": "r8_NEVER_ON_DISK"}

    def close(self) -> None:
        self.closed += 1


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, dict[str, NDArray[np.bool_]]]:
    """Two flat boxes on a flat background, lossless, with their masks."""
    path = tmp_path / "boxes.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth = {"a": np.zeros((T, H, W), bool), "b": np.zeros((T, H, W), bool)}
    for t in range(T):
        frame = np.full((H, W, 3), 40, np.uint8)
        truth["a"][t, 15:45, 10 + t : 40 + t] = True
        truth["b"][t, 30:65, 70:100] = True
        frame[truth["a"][t]] = (0, 0, 220)
        frame[truth["b"][t]] = (0, 200, 0)
        writer.write(frame)
    writer.release()
    return path, truth


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_track_composes_the_steps_and_writes_the_run_folder(
    clip: tuple[Path, dict[str, NDArray[np.bool_]]], tmp_path: Path, umask_022: None
) -> None:
    video, truth = clip
    backend = StandIn(truth)
    out = tmp_path / "run"
    with AutoTracker(backend, seeds=SeedOptions(seeds_per_object=2)) as tracker:
        result = tracker.track(video, out, exports={"coco": True})
    assert backend.calls == ["propose", "track"]
    assert backend.closed == 0, "a backend passed in stays the caller's"
    assert len(result) == 2
    assert result.run_dir == out
    assert set(result.timings) == {"read", "propose", "select", "seed", "track", "export"}
    assert result.selection is not None
    assert result.proposals is not None
    assert all(len(result.clicks.for_object(oid)) >= 2 for oid in result.object_ids)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["seeds"]["seeds_per_object"] == 2
    # the default cap is 10 since the calibrated objectness decides what is an object
    assert manifest["parameters"]["selection"]["max_objects"] == 10
    assert manifest["parameters"]["exports"]["coco"] is True
    assert "coco.json" in manifest["files"]
    written = sorted(p for p in out.rglob("*") if p.is_file())
    assert sorted(out / f for f in manifest["files"]) == written
    assert {oct(p.stat().st_mode & 0o777) for p in written} == {oct(0o644)}
    assert not any("r8_NEVER_ON_DISK" in p.read_text() for p in out.rglob("*.json"))


def test_seed_options_reach_the_clicks(clip: tuple[Path, dict[str, NDArray[np.bool_]]]) -> None:
    video, truth = clip
    tracker = AutoTracker(StandIn(truth), seeds={"seeds_per_object": 1, "negatives": "none"})
    result = tracker.track(video)
    assert [c.label for c in result.clicks] == [1, 1]
    assert result.run_dir is None


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"seeds": {"seeds_per_object": 0}}, "seeds_per_object=0"),
        ({"seeds": "three"}, "SeedOptions"),
        ({"selection": {"max_objects": 0}}, "max_objects=0"),
        ({"progress": 3}, "progress must be a callable"),
    ],
)
def test_tracker_options_are_checked_when_built(
    clip: tuple[Path, dict[str, NDArray[np.bool_]]], settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        AutoTracker(StandIn(clip[1]), **settings)


def test_exports_are_checked_before_any_work(
    clip: tuple[Path, dict[str, NDArray[np.bool_]]], tmp_path: Path
) -> None:
    video, truth = clip
    backend = StandIn(truth)
    tracker = AutoTracker(backend)
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match="alpha"):
        tracker.track(video, out, exports={"alpha": "gif"})
    with pytest.raises(ConfigError, match="exports need an output folder"):
        tracker.track(video, exports=ExportOptions(coco=True))
    with pytest.raises(FFmpegNotFoundError):
        tracker.track(video, out, exports=ExportOptions(alpha="webm", ffmpeg=tmp_path / "none"))
    with pytest.raises(ConfigError, match="concurrency"):
        tracker.track_many([video], out_dir=out, concurrency=0)
    with pytest.raises(ConfigError, match="per_object"):
        tracker.track_many([video], out_dir=out, exports={"per_object": True})
    assert backend.calls == []
    assert not out.exists()


def test_the_tracker_closes_only_a_backend_it_created(
    monkeypatch: pytest.MonkeyPatch, clip: tuple[Path, dict[str, NDArray[np.bool_]]]
) -> None:
    closed: list[object] = []
    monkeypatch.setattr(ReplicateBackend, "close", lambda self: closed.append(self))
    with AutoTracker("replicate", api_token="r8_test") as tracker:
        assert isinstance(tracker.backend, ReplicateBackend)
    assert closed == [tracker.backend]
    tracker.close()  # closing twice is harmless
    assert len(closed) == 2
    mine = ReplicateBackend(api_token="r8_test")
    with AutoTracker(mine):
        pass
    assert mine not in closed
    AutoTracker("local").close()  # nothing to close


def test_the_cli_closes_the_backend_it_made_even_when_the_run_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    closed: list[object] = []
    monkeypatch.setattr(ReplicateBackend, "close", lambda self: closed.append(self))
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_test")
    status = main(["track", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "o")])
    assert status == 1
    assert len(closed) == 1
    status = main(["track", "a.mp4", "--out", str(tmp_path / "o"), "--seeds-per-object", "0"])
    assert status == 2, "an invalid option is a usage error"
    assert len(closed) == 1, "a bad option fails before a backend is made"


def test_rediscovery_is_on_by_default_every_two_seconds_and_zero_turns_it_off() -> None:
    with AutoTracker("local") as tracker:
        assert tracker.rediscovery is not None
        assert tracker.rediscovery.frames_between(25.0) == 50
    with AutoTracker("local", rediscover=0) as tracker:
        assert tracker.rediscovery is None
