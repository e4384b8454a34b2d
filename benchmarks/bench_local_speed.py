"""Tracking speed of the embedded CPU engine at 854×480 with 3 objects.

Prints frames per second of

* ``propagator``: `LabelPropagator` steps on frames already in memory (the engine itself);
* ``track()``: the whole `LocalBackend.track` call on an H.264 file (decode + initial
  regions + propagation), frames after the first divided by wall time;
* ``track() with re-discovery``: the same with re-discovery at the default keyframe spacing
  (two seconds of video: a downscaled keyframe proposal every 50 frames);
* ``baseline``: the plain approach measured in the same run — per frame, full-resolution DIS
  optical flow with the MEDIUM preset and a nearest-neighbour warp of the label map;

and the ratios against the baseline.

Run::

    .venv/bin/python benchmarks/bench_local_speed.py [--frames 120] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.backends.local.propagation import LabelPropagator
from sam2_autotrack.clicks import Click, ClickSet
from sam2_autotrack.rediscovery import KeyframeSearch, RediscoveryOptions
from sam2_autotrack.seeds.options import SeedOptions
from sam2_autotrack.selection.options import SelectionOptions
from sam2_autotrack.testing import make_clip


def _baseline(frames: NDArray[np.uint8], labels: NDArray[np.uint8]) -> float:
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    height, width = labels.shape
    grid_x, grid_y = np.meshgrid(
        np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32)
    )
    previous = cv2.cvtColor(frames[0], cv2.COLOR_RGB2GRAY)
    started = time.perf_counter()
    for frame in frames[1:]:
        gray = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
        flow = dis.calc(gray, previous, None)
        labels = cv2.remap(labels, grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_NEAREST)
        previous = gray
    return (len(frames) - 1) / (time.perf_counter() - started)


def _propagator(frames: NDArray[np.uint8], masks: NDArray[np.bool_]) -> float:
    propagator = LabelPropagator(frames[0], masks)
    started = time.perf_counter()
    for frame in frames[1:]:
        propagator.step(frame)
    return (len(frames) - 1) / (time.perf_counter() - started)


def _centre_click(mask: NDArray[np.bool_], object_id: str) -> Click:
    depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return Click(x=int(x), y=int(y), object_id=object_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args(argv)
    clip = make_clip("shapes_pan", resolution_wh=(854, 480), frame_count=args.frames)
    first_masks = np.stack([m[0] for m in clip.masks.values()][:3])
    labels = np.zeros(first_masks.shape[1:], np.uint8)
    for k, mask in enumerate(first_masks):
        labels[mask] = k + 1
    print(f"clip shapes_pan 854x480, {args.frames} frames, {len(first_masks)} objects, 2 cores")
    baseline = max(_baseline(clip.frames, labels) for _ in range(args.repeats))
    ours = max(_propagator(clip.frames, first_masks) for _ in range(args.repeats))
    clicks = ClickSet.build(
        [_centre_click(m, f"obj_{k + 1}") for k, m in enumerate(first_masks)],
        resolution_wh=(854, 480),
    )
    with tempfile.TemporaryDirectory() as tmp:
        files = clip.write(Path(tmp))
        backend = LocalBackend()
        whole = 0.0
        for _ in range(args.repeats):
            started = time.perf_counter()
            tracks = backend.track(files.video_path, clicks)
            whole = max(whole, (tracks.frame_count - 1) / (time.perf_counter() - started))
        # re-discovery at the default keyframe spacing (2 s of video): a keyframe proposal
        # (downscaled) every 50 frames, and the objects it finds tracked too
        options = RediscoveryOptions()
        every = options.frames_between(clip.fps)
        found = 0
        keyframe_seconds = 0.0
        rediscovering = 0.0
        for _ in range(args.repeats):
            search = KeyframeSearch(
                backend, selection=SelectionOptions(), seeds=SeedOptions(), options=options,
                known=clicks.object_ids, every=every, video=files.video_path,
            )  # fmt: skip
            started = time.perf_counter()
            tracks = backend.track(files.video_path, clicks, discover=search, every=every)
            seconds = time.perf_counter() - started
            rediscovering = max(rediscovering, (tracks.frame_count - 1) / seconds)
            found = len(tracks.object_ids) - len(clicks.object_ids)
            keyframe_seconds = search.proposal_seconds
    print(f"baseline (full-res DIS medium + warp): {baseline:7.1f} fps")
    print(
        f"propagator (in-memory frames):         {ours:7.1f} fps  {ours / baseline:5.2f}x baseline"
    )
    print(
        f"track() incl. decode + init (proposals cached from propose()): {whole:7.1f} fps  "
        f"{whole / baseline:5.2f}x baseline"
    )
    print(
        f"track() with re-discovery every {every} frames: {rediscovering:7.1f} fps  "
        f"({found} object(s) found later; keyframe proposals {keyframe_seconds:.2f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
