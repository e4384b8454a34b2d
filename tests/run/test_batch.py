import threading
from pathlib import Path

import pytest

from sam2_autotrack.errors import AutotrackError, VideoNotFoundError
from sam2_autotrack.run.batch import run_batch, unique_run_dirs


def test_one_failure_does_not_stop_the_others(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []
    lock = threading.Lock()

    def job(video: Path, run_dir: Path):  # type: ignore[no-untyped-def]
        with lock:
            calls.append((video.name, run_dir.name))
        if video.name == "bad.mp4":
            raise VideoNotFoundError(f"{video} does not exist", path=video)
        return None

    videos = [Path("a.mp4"), Path("bad.mp4"), Path("c.mp4")]
    report = run_batch(videos, job, out_dir=tmp_path, concurrency=2)
    assert sorted(calls) == [("a.mp4", "a"), ("bad.mp4", "bad"), ("c.mp4", "c")]
    assert [item.status for item in report] == ["ok", "failed", "ok"]
    assert not report.ok
    assert report.failed[0].error == "bad.mp4 does not exist"
    table = report.table()
    assert "failed: bad.mp4 does not exist" in table
    assert table.splitlines()[0].split() == ["video", "objects", "frames", "seconds", "status"]


def test_unexpected_exceptions_propagate(tmp_path: Path) -> None:
    def job(video: Path, run_dir: Path):  # type: ignore[no-untyped-def]
        raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        run_batch([Path("a.mp4")], job, out_dir=tmp_path, concurrency=1)


def test_concurrency_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(AutotrackError, match="concurrency"):
        run_batch([Path("a.mp4")], lambda v, d: None, out_dir=tmp_path, concurrency=0)  # type: ignore[arg-type, return-value]


def test_run_dirs_are_unique_per_stem(tmp_path: Path) -> None:
    dirs = unique_run_dirs([Path("x/a.mp4"), Path("y/a.mp4"), Path("a.mov")], tmp_path)
    assert [d.name for d in dirs] == ["a", "a-2", "a-3"]
