"""Batches on executors: picklable jobs on a real Dask LocalCluster, resume, a dying worker."""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import cv2
import numpy as np
import pytest

from sam2_autotrack import AutoTracker, ConfigError
from sam2_autotrack.cli import main
from sam2_autotrack.run import INCOMPLETE_NAME, BatchItem, VideoJob, dask_executor, run_jobs
from sam2_autotrack.tracker import track_video_job

W, H, T = 96, 64, 6


def boxes_clip(path: Path, shift: int = 0) -> Path:
    """Two flat boxes moving on a flat background, lossless FFV1."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"FFV1"), 10, (W, H))
    for t in range(T):
        frame = np.full((H, W, 3), 40, np.uint8)
        frame[10:34, 8 + 2 * t + shift : 30 + 2 * t + shift] = (0, 0, 230)
        frame[30:56, 60:84] = (0, 200, 0)
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture
def videos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir()
    broken = folder / "broken.avi"
    broken.write_bytes(b"not a video")
    return [boxes_clip(folder / "one.avi"), boxes_clip(folder / "two.avi", 4), broken]


def die_on_poison(job: VideoJob) -> BatchItem:
    """Kill the worker process on the video called poison (a worker-side runner)."""
    if job.video.stem == "poison":
        os._exit(1)
    return track_video_job(job)


def test_dask_workers_write_the_run_folders_and_a_rerun_resumes_per_video(
    videos: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    calls: list[tuple[str, int, int | None]] = []
    tracker = AutoTracker("local", progress=lambda *a: calls.append(a))
    with dask_executor("local", workers=2) as executor:
        first = tracker.track_many(videos, out_dir=out, executor=executor, exports={"coco": True})
        assert [item.status for item in first] == ["ok", "ok", "failed"]
        assert [item.objects > 0 for item in first] == [True, True, False]
        assert all(item.result is None for item in first)  # masks stay in the run folders
        assert (out / "one" / "manifest.json").is_file()
        assert (out / "two" / "coco.json").is_file()
        assert "broken.avi" in (first[2].error or "")
        assert calls[0] == ("videos", 0, 3)
        assert calls[-1] == ("videos", 3, 3)
        # "two" was interrupted: its folder is marked incomplete, so it is run again.
        (out / "two" / INCOMPLETE_NAME).write_text("interrupted")
        stamp = (out / "one" / "manifest.json").stat().st_mtime_ns
        second = tracker.track_many(videos, out_dir=out, executor=executor, exports={"coco": True})
    assert [item.status for item in second] == ["skipped", "ok", "failed"]
    assert second[0].objects == first[0].objects
    assert "not redone" in second.table().splitlines()[1]
    assert (out / "one" / "manifest.json").stat().st_mtime_ns == stamp
    assert not (out / "two" / INCOMPLETE_NAME).exists()


def test_a_worker_that_dies_fails_only_its_own_videos(tmp_path: Path) -> None:
    import cloudpickle
    import dask

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import tests
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["a", "poison", "b", "c"]
    jobs = [
        VideoJob(boxes_clip(folder / f"{name}.avi"), tmp_path / "out" / name, "local")
        for name in names
    ]
    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        dask_executor("local", workers=2) as executor,
    ):
        report = run_jobs(jobs, executor=executor, runner=die_on_poison)
    assert [item.status for item in report] == ["ok", "failed", "ok", "ok"]
    assert "worker running it died" in (report[1].error or "")
    assert "KilledWorker" in (report[1].error or "")
    for name in ("a", "b", "c"):
        assert (tmp_path / "out" / name / "manifest.json").is_file()


def test_the_thread_path_resumes_too_and_instances_need_backend_options(
    videos: list[Path], tmp_path: Path
) -> None:
    from sam2_autotrack import LocalBackend

    out = tmp_path / "out"
    tracker = AutoTracker("local")
    assert [i.status for i in tracker.track_many(videos[:1], out_dir=out)] == ["ok"]
    assert [i.status for i in tracker.track_many(videos[:1], out_dir=out)] == ["skipped"]
    # Other settings: the complete folder is redone.
    again = tracker.track_many(videos[:1], out_dir=out, exports={"coco": True})
    assert [i.status for i in again] == ["ok"]
    with ThreadPoolExecutor(2) as pool:
        with pytest.raises(ConfigError, match="backend_options"):
            AutoTracker(LocalBackend()).track_many(videos, out_dir=out, executor=pool)
        report = AutoTracker(LocalBackend()).track_many(
            videos[:1], out_dir=out, executor=pool, backend_options={}, exports={"coco": True}
        )
    assert [i.status for i in report] == ["skipped"]


def worker_breaks(job: VideoJob) -> BatchItem:
    raise BrokenProcessPool("a child process terminated abruptly")


def job_has_a_bug(job: VideoJob) -> BatchItem:
    raise ZeroDivisionError("a bug")


def test_run_jobs_turns_lost_workers_into_rows_and_reraises_bugs(tmp_path: Path) -> None:
    jobs = [VideoJob(tmp_path / "a.mp4", tmp_path / "a", "local")]
    with ThreadPoolExecutor(1) as pool:
        report = run_jobs(jobs, executor=pool, runner=worker_breaks)
        assert report[0].status == "failed"
        assert "worker running it died (BrokenProcessPool" in (report[0].error or "")
        with pytest.raises(ZeroDivisionError):
            run_jobs(jobs, executor=pool, runner=job_has_a_bug)


def test_cli_refuses_a_malformed_dask_address(
    videos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["track", *map(str, videos[:2]), "--out", str(tmp_path / "o"), "--backend", "local"]
    assert main([*argv, "--dask", "somewhere"]) == 2
    assert "tcp://HOST:8786" in capsys.readouterr().err
