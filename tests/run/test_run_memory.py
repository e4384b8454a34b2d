"""Writing, loading and reading a run folder: memory does not grow with the video (issue 19).

Each job runs on the run of a short clip and of a 4x longer one under tracemalloc; the longer run
may allocate a little more (a few bytes per frame of bookkeeping), never a ``(T, H, W)`` stack.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from memory_probe import CLICKS_XY, H, W, peak_traced, stack_bytes, synthetic_avi
from sam2_autotrack import Click, ClickSet, ObjectTracks, TrackResult, probe_video
from sam2_autotrack.masks import MaskSequence
from sam2_autotrack.run import load_run, write_run_manifest, write_tracks
from sam2_autotrack.viz import area_plot, filmstrip

SHORT, LONG = 20, 80


def _result(video: Path, frames: int) -> TrackResult:
    """Two discs' masks, made and compressed one frame at a time (no stack)."""
    sequences = {oid: MaskSequence((W, H)) for oid in CLICKS_XY}
    for t in range(frames):
        for k, (oid, (x, y)) in enumerate(CLICKS_XY.items()):
            mask = np.zeros((H, W), np.uint8)
            cv2.circle(mask, (x + (t % 7) * (k + 1), y), 25, 1, -1)
            sequences[oid].append(mask.astype(bool))
    clicks = ClickSet.build(
        [Click(x=x, y=y, object_id=oid) for oid, (x, y) in CLICKS_XY.items()],
        resolution_wh=(W, H),
    )
    tracks = ObjectTracks(masks=sequences, frame_indices=np.arange(frames), frame_count=frames)
    return TrackResult(tracks=tracks, clicks=clicks, video=video, video_info=probe_video(video))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, tuple[TrackResult, Path]]:
    root = tmp_path_factory.mktemp("runs")
    out = {}
    for frames in (SHORT, LONG):
        video = synthetic_avi(root / f"clip_{frames}.avi", frames)
        out[frames] = (_result(video, frames), root / f"run_{frames}")
    return out


def _flat(peaks: dict[int, int]) -> None:
    # One object's stack of the 60 extra frames is 2.8 MiB; the job may grow by a quarter of it.
    growth = peaks[LONG] - peaks[SHORT]
    assert growth < stack_bytes(LONG - SHORT) // 4, (peaks, growth)


def test_writing_the_tracks_of_a_longer_clip_allocates_the_same_peak(
    runs: dict[int, tuple[TrackResult, Path]],
) -> None:
    write_tracks(runs[SHORT][1] / "warm", runs[SHORT][0])  # imports, encoder set-up
    peaks = {}
    for frames, (result, run_dir) in runs.items():
        peaks[frames], files = peak_traced(lambda r=result, d=run_dir: write_tracks(d, r))
        write_run_manifest(result, run_dir, files=files, parameters={})
        assert len(files) == 1 + 2 * (frames + 1)
    _flat(peaks)


def test_reading_a_longer_run_allocates_the_same_peak(
    runs: dict[int, tuple[TrackResult, Path]],
) -> None:
    for result, run_dir in runs.values():
        if not (run_dir / "manifest.json").is_file():
            write_run_manifest(result, run_dir, files=write_tracks(run_dir, result), parameters={})

    def read(run_dir: Path) -> float:
        loaded = load_run(run_dir)
        covered = 0
        for _, masks in loaded.iter_masks():
            covered += sum(int(m.sum()) for m in masks.values())
        covered += sum(int(frame.sum()) for frame in loaded.union_masks())
        report = loaded.evaluate({oid: loaded.mask_sequence(oid) for oid in loaded.object_ids})
        area_plot(loaded, engine="opencv", size_wh=(320, 200))
        filmstrip(loaded, n=4, thumb_width=64)
        assert covered > 0
        return report.jf_mean

    read(runs[SHORT][1])  # imports, caches
    peaks = {}
    for frames, (_, run_dir) in runs.items():
        peaks[frames], jf = peak_traced(lambda d=run_dir: read(d))
        assert jf == 1.0
    _flat(peaks)
