"""`benchmarks/bench_memory.py` (issue 19): its table and its ``--quick`` smoke run."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import cv2
import pytest

from bench_scripts import load_benchmark


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_benchmark("bench_memory")


def _run(frames: int, peak_mb: float, track_fps: float) -> dict[str, float]:
    return {
        "frames": frames,
        "peak_mb": peak_mb,
        "track_fps": track_fps,
        "run_fps": track_fps,
        "load": 1.5,
    }


def test_row_gives_ratios_and_the_verdict(bench: ModuleType) -> None:
    ok = bench._row("job", _run(132, 200.0, 10.0), _run(1320, 250.0, 9.5))
    assert ok.split()[-2:] == ["ok", "1.5-1.5"]  # the verdict, then the machine's load
    assert "1.25x" in ok
    assert "0.95x" in ok
    # more than 1.3x the memory, or more than 10 % slower, misses the target
    assert bench._row("job", _run(132, 200.0, 10.0), _run(1320, 270.0, 10.0)).split()[-2] == "MISS"
    assert bench._row("job", _run(132, 200.0, 10.0), _run(1320, 200.0, 8.9)).split()[-2] == "MISS"


def test_flat_clip_has_the_frames_asked_for(bench: ModuleType, tmp_path: Path) -> None:
    path = bench._flat_clip(tmp_path / "flat.avi", 7, (64, 48))
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    assert count == 7


def test_quick_run_measures_replicate_in_child_processes(
    bench: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench.main(["--quick", "--jobs", "replicate"]) == 0
    out = capsys.readouterr().out.splitlines()
    (row,) = [line for line in out if line.startswith("replicate, exports=none")]
    fields = row.split()
    assert fields[2:4] == [str(bench.QUICK_FRAMES), str(2 * bench.QUICK_FRAMES)]
    assert float(fields[4]) > 50  # a child's peak RSS in MB: numpy, OpenCV and the library
    assert fields[-2] in {"ok", "MISS"}
