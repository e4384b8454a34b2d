"""The embedded engine's memory does not grow with the length of the video (issue 19)."""

from __future__ import annotations

from pathlib import Path

from memory_probe import CLICKS_XY, H, W, peak_traced, stack_bytes, synthetic_avi
from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.video import read_frame

SHORT, LONG = 20, 80


def test_tracking_a_longer_clip_allocates_the_same_peak(tmp_path: Path) -> None:
    clicks = ClickSet.build(
        [Click(x=x, y=y, object_id=oid) for oid, (x, y) in CLICKS_XY.items()],
        resolution_wh=(W, H),
    )
    LocalBackend().track(synthetic_avi(tmp_path / "warm.avi", 3), clicks)  # imports, caches
    peaks = {}
    for frames in (SHORT, LONG):
        video = synthetic_avi(tmp_path / f"clip_{frames}.avi", frames)
        backend = LocalBackend()
        backend.propose(read_frame(video, 0), video=video)  # cached: its peak is not measured
        peaks[frames], tracks = peak_traced(lambda v=video, b=backend: b.track(v, clicks))
        assert tracks.frame_count == frames
        assert all(s.areas.min() > 500 for s in tracks.masks.values())  # really tracked
    # Two (T, H, W) stacks of the long clip would be 7.5 MiB; one more frame of masks is 96 KiB.
    growth = peaks[LONG] - peaks[SHORT]
    assert growth < stack_bytes(LONG - SHORT) // 4, (peaks, growth)
