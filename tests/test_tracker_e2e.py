"""The whole pipeline as users run it: `AutoTracker.track`, the run folder, and the CLI.

Replicate runs go through the real ``replicate`` client over real HTTP to the tests' local
Replicate-compatible server; local runs use the embedded engine on generated clips with truth.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from fake_replicate import FakeReplicate
from sam2_autotrack import AutoTracker, ExportError, LocalBackend, ReplicateBackend, SelectionError
from sam2_autotrack.cli import main
from sam2_autotrack.evaluation import evaluate
from sam2_autotrack.export import ExportOptions
from sam2_autotrack.run import export_run, load_run
from sam2_autotrack.testing import make_clip

W, H, T = 160, 96, 10
COLOURS_BGR = {"red": (0, 0, 230), "green": (0, 200, 0), "blue": (230, 60, 0)}


def flat_clip(path: Path) -> dict[str, np.ndarray]:
    """Three flat-colour boxes moving on a flat background, lossless FFV1, with their truth."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    truth: dict[str, list[np.ndarray]] = {name: [] for name in COLOURS_BGR}
    for t in range(T):
        frame = np.full((H, W, 3), (40, 40, 40), np.uint8)
        boxes = {
            "red": (12 + 2 * t, 14, 22, 20),
            "green": (70, 50 - 2 * t, 18, 24),
            "blue": (120 - 3 * t, 30, 20, 18),
        }
        for name, (x, y, w, h) in boxes.items():
            mask = np.zeros((H, W), bool)
            mask[y : y + h, x : x + w] = True
            for other in truth:
                if other != name and len(truth[other]) > t:
                    truth[other][t] &= ~mask
            frame[mask] = COLOURS_BGR[name]
            truth[name].append(mask)
        writer.write(frame)
    writer.release()
    return {k: np.stack(v) for k, v in truth.items()}


def fast_replicate(**options: object) -> ReplicateBackend:
    return ReplicateBackend(
        limits={"poll_interval": 0.01},
        retries={"backoff_base": 0.01},
        timeouts={"prediction": 20.0},
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def flat(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    path = tmp_path / "flat.avi"
    return path, flat_clip(path)


def test_track_through_replicate_writes_the_run_folder(
    fake_replicate: FakeReplicate, flat: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, truth = flat
    out = tmp_path / "run"
    result = AutoTracker(fast_replicate()).track(video, out, exports=ExportOptions(coco=True))

    # the three boxes are the objects (the background slab is rejected), tracked exactly
    assert len(result) == 3
    report = evaluate(result.tracks.masks, truth)
    assert report.j_mean > 0.97, str(report)
    assert not report.unmatched_gt
    # one proposal prediction + one video prediction, both recorded
    assert fake_replicate.creates == 2
    assert len(result.prediction_ids) == 2
    # the run folder has the guide's outputs plus masks and a manifest
    for name in ("frame0.png", "clicks.json", "video_result.json", "manifest.json", "coco.json"):
        assert (out / name).is_file(), name
    assert len(list((out / "masks_all").glob("*.png"))) >= 4
    assert sorted(p.stem for p in (out / "masks_selected").glob("*.png")) == [
        "obj_1",
        "obj_2",
        "obj_3",
    ]
    assert len(list((out / "masks" / "obj_1").glob("frame_*.png"))) == T
    clicks = json.loads((out / "clicks.json").read_text())
    assert clicks["click_object_ids"].split(",")[0] == "obj_1"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["tracks"]["prediction_ids"] == list(result.prediction_ids)
    # the cost report: what each prediction was for, its frames and predict time
    assert [p["purpose"] for p in manifest["cost"]["predictions"]] == ["proposals", "union"]
    assert [p["frames_uploaded"] for p in manifest["cost"]["predictions"]] == [1, T]
    assert manifest["cost"]["predict_time"] == pytest.approx(2.5)
    assert result.cost.prediction_count == 2
    assert manifest["input"]["video_info"]["frame_count"] == T
    assert all((out / f).is_file() for f in manifest["files"])
    # the token never reaches disk
    for path in out.rglob("*.json"):
        assert fake_replicate.token not in path.read_text(), path


def test_rerun_resumes_instead_of_paying_again(
    fake_replicate: FakeReplicate, flat: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, _ = flat
    out = tmp_path / "run"
    first = AutoTracker(fast_replicate()).track(video, out)
    creates = fake_replicate.creates
    second = AutoTracker(fast_replicate()).track(video, out)
    assert fake_replicate.creates == creates
    assert second.prediction_ids == first.prediction_ids
    for oid in first.object_ids:
        assert (first.masks(oid) == second.masks(oid)).all()


def test_cli_track_through_replicate(
    fake_replicate: FakeReplicate,
    flat: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    video, _ = flat
    out = tmp_path / "cli"
    status = main(
        [
            "track",
            str(video),
            "--out",
            str(out),
            "--backend",
            "replicate",
            "--no-use-m2m",
            "--max-objects",
            "2",
            "--output-frame-interval",
            "2",
            "--timeout",
            "30",
        ]
    )
    assert status == 0
    err = capsys.readouterr().err
    assert f"results in {out}" in err
    # the end-of-run line: proposals + one union prediction, the clip's 10 frames + frame 0
    assert "cost: 2 predictions (proposals, union), 11 frames uploaded, predict time 2.5 s" in err
    created = [p.input for p in fake_replicate.predictions.values()]
    image_input = next(i for i in created if "image" in i)
    video_input = next(i for i in created if "input_video" in i)
    assert image_input["use_m2m"] is False
    assert video_input["output_frame_interval"] == 2
    assert len(set(video_input["click_object_ids"].split(","))) == 2
    loaded = load_run(out)
    assert list(loaded.frame_indices) == list(range(0, T, 2))
    assert len(loaded) == 2


def test_auto_backend_without_token_uses_local_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    tracker = AutoTracker()
    assert isinstance(tracker.backend, LocalBackend)
    assert "no REPLICATE_API_TOKEN" in capsys.readouterr().err
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_test")
    assert isinstance(AutoTracker().backend, ReplicateBackend)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, np.ndarray]]:
    clip = make_clip("shapes_pan", resolution_wh=(320, 180), frame_count=16, rng=3)
    files = clip.write(tmp_path_factory.mktemp("clip"))
    return files.video_path, dict(clip.masks)


@pytest.mark.slow
def test_local_pipeline_end_to_end_with_exports_and_reload(
    synthetic: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, truth = synthetic
    out = tmp_path / "run"
    exports = ExportOptions(alpha=("webm",), overlay=True, palette=True)
    result = AutoTracker("local").track(video, out, exports=exports)
    report = result.evaluate(truth)
    assert report.jf_mean >= 0.7, str(report)
    assert (out / "alpha" / "union.webm").is_file()
    assert (out / "overlay.mp4").is_file()
    assert len(list((out / "palette").glob("*.png"))) == 16
    loaded = load_run(out)
    assert loaded.object_ids == result.object_ids
    assert loaded.clicks == result.clicks
    for oid in result.object_ids:
        assert (loaded.masks(oid) == result.masks(oid)).all()

    # `export` adds ProRes to the same run folder and records it in the manifest
    assert main(["export", str(out), "--alpha", "prores", "--per-object"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert "alpha/union.mov" in manifest["files"]
    assert all(f"alpha/{oid}.mov" in manifest["files"] for oid in result.object_ids)

    # `eval` scores the run folder against the ground truth written by the generator
    gt_dir = video.parent / f"{video.stem}_gt"
    assert main(["eval", str(out), str(gt_dir), "--json"]) == 0


def test_cli_errors_are_one_line_with_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    status = main(["track", str(tmp_path / "missing.mp4"), "--out", str(tmp_path / "o")])
    assert status == 1
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "error" in ln]
    assert len(lines) == 1
    assert "missing.mp4" in lines[0]
    assert not (tmp_path / "o" / "manifest.json").exists()


def test_cli_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["track"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["track", "a.mp4", "--out", "o", "--use-m2m", "maybe"])
    assert exc.value.code == 2


def test_track_help_says_points_per_side_is_ignored_by_the_hosted_model(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["track", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "no effect on the hosted meta/sam-2" in help_text
    assert "--use-m2m, --no-use-m2m" in help_text


def test_selection_error_names_the_rejections(tmp_path: Path) -> None:
    tracker = AutoTracker("local")
    everything = np.ones((1, 40, 60), bool)
    with pytest.raises(SelectionError, match="background"):
        tracker.select(everything)


def test_cli_batch_runs_every_video_and_summarises(
    fake_replicate: FakeReplicate,
    flat: tuple[Path, dict[str, np.ndarray]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    video, _ = flat
    second = tmp_path / "second" / "flat.avi"  # same stem: gets its own folder
    second.parent.mkdir()
    flat_clip(second)
    broken = tmp_path / "broken.mp4"
    broken.write_text("not a video")
    out = tmp_path / "batch"
    status = main(
        [
            "track",
            str(video),
            str(broken),
            str(second),
            "--out",
            str(out),
            "--jobs",
            "2",
            "--backend",
            "replicate",
        ]
    )
    assert status == 1  # one video failed
    err = capsys.readouterr().err
    table = [line for line in err.splitlines() if line.startswith(("video", "flat", "broken"))]
    assert table[0].split() == ["video", "objects", "frames", "seconds", "status"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert "failed" in rows["broken.mp4"]
    assert sum(1 for line in table[1:] if line.startswith("flat.avi") and line.endswith("ok")) == 2
    assert (out / "flat" / "manifest.json").is_file()
    assert (out / "flat-2" / "manifest.json").is_file()
    assert not (out / "broken" / "manifest.json").exists()


def test_track_many_shares_one_backend(
    fake_replicate: FakeReplicate, flat: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, _ = flat
    tracker = AutoTracker(fast_replicate())
    report = tracker.track_many([video, video], out_dir=tmp_path / "many", concurrency=2)
    assert report.ok
    assert [item.objects for item in report] == [3, 3]
    assert all(item.frames == T for item in report)
    # the same inputs are journalled per run folder, so both paid once each
    assert fake_replicate.creates == 4


def test_video_export_names_a_missing_source(
    fake_replicate: FakeReplicate, flat: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, _ = flat
    out = tmp_path / "run"
    AutoTracker(fast_replicate()).track(video, out)
    video.rename(tmp_path / "moved.avi")
    loaded = load_run(out)
    overlay = ExportOptions(overlay=True)
    with pytest.raises(ExportError, match=r"source video .* is missing"):
        export_run(loaded, tmp_path / "o", overlay)
    assert not (tmp_path / "o" / "overlay.mp4").exists()
    loaded = loaded.replace(video=tmp_path / "moved.avi")
    assert export_run(loaded, tmp_path / "o", overlay)[0].is_file()


def test_result_renders_as_a_filmstrip_in_jupyter(
    fake_replicate: FakeReplicate, flat: tuple[Path, dict[str, np.ndarray]], tmp_path: Path
) -> None:
    video, _ = flat
    result = AutoTracker(fast_replicate()).track(video)
    png = result._repr_png_()
    assert png is not None
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    assert image.shape[1] >= 2 * W  # several thumbnails side by side
    result = result.replace(video=tmp_path / "gone.avi")
    assert result._repr_png_() is None
