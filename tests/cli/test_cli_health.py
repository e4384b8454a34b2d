"""Unsure tracks reach the user: result, manifest, run folder and one stderr line per object.

Both backends, on generated clips where one box vanishes or swells: the Replicate backend through
the tests' Replicate-compatible server over real HTTP, the embedded engine on the CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fake_replicate import FakeReplicate
from health_clips import Corruption, health_clip, object_of
from sam2_autotrack.cli import main
from sam2_autotrack.run import load_run


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "warning:" in line]


def _track(
    tmp_path: Path, corrupt: Corruption, *flags: str
) -> tuple[int, Path, dict[str, np.ndarray]]:
    video = tmp_path / f"{corrupt or 'clean'}.avi"
    truth = health_clip(video, corrupt)
    out = tmp_path / f"run_{corrupt or 'clean'}"
    return main(["track", str(video), "--out", str(out), *flags]), out, truth


def _object_ids(out: Path, truth: dict[str, np.ndarray]) -> dict[str, str]:
    """Map the truth's box names to the run's object ids (by frame-0 overlap)."""
    result = load_run(out)
    first = {oid: result.mask_sequence(oid)[0] for oid in result.object_ids}
    return {name: object_of(first, masks[0]) for name, masks in truth.items()}


def test_replicate_run_reports_a_lost_track(
    fake_replicate: FakeReplicate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, truth = _track(tmp_path, "vanish", "--backend", "replicate", "--overlay")
    assert status == 0
    err = capsys.readouterr().err
    ids = _object_ids(out, truth)
    blue = ids["blue"]
    # one short line, in source frames, pointing at the overlay
    assert _warnings(err) == [
        f"sam2-autotrack: warning: {blue} lost at frames 6-11 (empty for 6 frames): check it in "
        "overlay.mp4"
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    health = manifest["tracks"]["health"]
    assert {oid: [i["kind"] for i in v] for oid, v in health.items()} == {
        oid: (["lost"] if oid == blue else []) for oid in ids.values()
    }
    assert health[blue][0]["frames"] == [6, 11]
    video_result = json.loads((out / "video_result.json").read_text())
    assert video_result["health"] == health
    assert video_result["info"]["health"][blue][0]["kind"] == "lost"
    loaded = load_run(out)
    assert [(i.kind, i.start, i.stop) for i in loaded.health[blue]] == [("lost", 6, 12)]
    assert all(loaded.health[oid] == () for oid in ids.values() if oid != blue)


def test_replicate_run_of_a_clean_clip_warns_about_nothing(
    fake_replicate: FakeReplicate, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _track(tmp_path, None, "--backend", "replicate")
    assert status == 0
    assert _warnings(capsys.readouterr().err) == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tracks"]["health"] == {oid: [] for oid in manifest["tracks"]["object_ids"]}
    assert len(manifest["tracks"]["object_ids"]) == 3


def test_local_run_reports_a_drifting_track(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, truth = _track(tmp_path, "swell", "--backend", "local")
    assert status == 0
    green = _object_ids(out, truth)["green"]
    (line,) = _warnings(capsys.readouterr().err)
    # no overlay was written: the line points at the object's masks
    assert line.startswith(f"sam2-autotrack: warning: {green} drift at frames 5-6 (area x")
    assert line.endswith(f"): check it in masks/{green}/")
    kinds = {oid: [i.kind for i in v] for oid, v in load_run(out).health.items()}
    assert kinds[green] == ["drift"]
    assert all(v == [] for oid, v in kinds.items() if oid != green)


def test_local_batch_warns_per_video(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clean, vanish = tmp_path / "clean.avi", tmp_path / "vanish.avi"
    health_clip(clean)
    health_clip(vanish, "vanish")
    out = tmp_path / "batch"
    status = main(["track", str(clean), str(vanish), "--out", str(out), "--backend", "local"])
    assert status == 0
    (line,) = _warnings(capsys.readouterr().err)
    assert line.startswith("sam2-autotrack: warning: vanish.avi: obj_")
    assert "lost at frames 6-11 (empty for 6 frames): check it in masks/obj_" in line
