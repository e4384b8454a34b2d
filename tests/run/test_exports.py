"""`export_run`: a run's exports through export/, recorded in the run's own manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from run_fixtures import small_result, write_small_run
from sam2_autotrack import ConfigError
from sam2_autotrack.export import ExportOptions
from sam2_autotrack.run import export_run, load_run


def _manifest(run_dir: Path) -> dict[str, object]:
    manifest: dict[str, object] = json.loads((run_dir / "manifest.json").read_text())
    return manifest


def test_exports_into_the_run_folder_are_recorded_in_its_manifest(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    write_small_run(testsrc_mp4, tmp_path)
    before = _manifest(tmp_path)
    written = export_run(load_run(tmp_path), options={"coco": True, "palette": True})
    assert [p.relative_to(tmp_path).as_posix() for p in written][:2] == [
        "coco.json",
        "palette/frame_00000.png",
    ]
    after = _manifest(tmp_path)
    files = after["files"]
    assert isinstance(files, list)
    assert "coco.json" in files
    assert "palette/frame_00008.png" in files
    assert set(before["files"]) <= set(files)  # type: ignore[arg-type]
    assert after["parameters"] == before["parameters"]


def test_an_export_changes_only_the_file_list_of_the_manifest(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    # what a run recorded -- here the objects it re-discovered after a cut, as a run with
    # re-discovery records them -- survives an export into its folder, and load_run reports it
    write_small_run(testsrc_mp4, tmp_path)
    manifest = _manifest(tmp_path)
    events = [{"frame": 4, "objects": ["obj_9"], "after_cut": True}]
    manifest["tracks"]["rediscovered"] = events  # type: ignore[index]
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    loaded = load_run(tmp_path)
    assert loaded.tracks.info["rediscovered"] == events
    export_run(loaded, options=ExportOptions(overlay=True))
    after = _manifest(tmp_path)
    assert after["files"] == sorted({*manifest["files"], "overlay.mp4"})  # type: ignore[misc]
    assert {k: v for k, v in after.items() if k != "files"} == {
        k: v for k, v in manifest.items() if k != "files"
    }


def test_exports_elsewhere_leave_the_manifest_alone(testsrc_mp4: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    write_small_run(testsrc_mp4, run_dir)
    before = (run_dir / "manifest.json").read_bytes()
    written = export_run(load_run(run_dir), tmp_path / "other", ExportOptions(overlay=True))
    assert written == [tmp_path / "other" / "overlay.mp4"]
    assert written[0].is_file()
    assert (run_dir / "manifest.json").read_bytes() == before


def test_a_result_without_a_folder_needs_out_dir(testsrc_mp4: Path, tmp_path: Path) -> None:
    result = small_result(testsrc_mp4)
    with pytest.raises(ConfigError, match="out_dir is needed"):
        export_run(result, options=ExportOptions(coco=True))
    assert export_run(result, tmp_path, ExportOptions(coco=True)) == [tmp_path / "coco.json"]


def test_invalid_options_are_refused_before_anything_is_written(
    testsrc_mp4: Path, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match="alpha"):
        export_run(small_result(testsrc_mp4), tmp_path, {"coco": True, "alpha": "gif"})
    assert list(tmp_path.iterdir()) == []
