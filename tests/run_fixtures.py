"""A small finished run over the tests' ``testsrc.mp4`` (64x48, 10 frames), without tracking."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sam2_autotrack import Click, ClickSet, MaskProposals, ObjectTracks, TrackResult, probe_video
from sam2_autotrack.run import write_run_manifest, write_seed_stage, write_tracks
from sam2_autotrack.selection.select import select_objects

W, H = 64, 48


def small_result(video: Path, run_dir: Path | None = None) -> TrackResult:
    """Two boxes tracked on every other frame of ``video``."""
    left = np.zeros((5, H, W), bool)
    right = np.zeros((5, H, W), bool)
    for t in range(5):
        left[t, 10:30, 4 + t : 24 + t] = True
        right[t, 20:40, 36:56] = True
    clicks = ClickSet.build(
        [Click(x=14, y=20, object_id="obj_1"), Click(x=46, y=30, object_id="obj_2")],
        resolution_wh=(W, H),
    )
    tracks = ObjectTracks(
        masks={"obj_1": left, "obj_2": right},
        frame_indices=np.arange(0, 10, 2),
        frame_count=10,
        prediction_ids=("video-1",),
        predict_time=1.5,
        info={"strategy": np.str_("split"), "sizes": np.array([1, 2])},
    )
    return TrackResult(
        tracks=tracks,
        clicks=clicks,
        video=video,
        video_info=probe_video(video),
        backend={"name": "fake", "api_token": "r8_SECRET"},
        timings={"track": 0.25},
        run_dir=run_dir,
    )


def write_small_run(video: Path, run_dir: Path) -> TrackResult:
    """Write a complete run folder (seed stage, tracks, manifest) for :func:`small_result`."""
    result = small_result(video, run_dir)
    frame0 = np.zeros((H, W, 3), np.uint8)
    first = np.stack([result.masks(oid)[0] for oid in result.object_ids])
    proposals = MaskProposals(masks=first)
    selection = select_objects(first)
    files = write_seed_stage(
        run_dir, frame0_rgb=frame0, proposals=proposals, selection=selection, clicks=result.clicks
    )
    files += write_tracks(run_dir, result)
    write_run_manifest(result, run_dir, files=files, parameters={"seeds": {"seeds_per_object": 1}})
    return result
