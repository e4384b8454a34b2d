"""Quality of the embedded CPU engine on the synthetic suite, with objects chosen automatically.

For every clip of ``SYNTHETIC_SUITE`` (one fixed parameter set for all of them):

    frame 0 → LocalBackend.propose (with motion cues from the clip) → select_objects
    → clicks_from_selection → LocalBackend.track → evaluate against the exact ground truth

and print per-clip J, F and J&F (DAVIS semantics, Hungarian matching, ground-truth objects absent
from frame 0 excluded) and their mean.

Run::

    .venv/bin/python benchmarks/bench_local_quality.py [--frames 60] [--max-objects 8]
        [--weight-model 0.5] [clip ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sam2_autotrack.backends.local.backend import LocalBackend
from sam2_autotrack.evaluation.scores import evaluate
from sam2_autotrack.seeds.build import clicks_from_selection
from sam2_autotrack.selection.select import SelectionOptions, select_objects
from sam2_autotrack.testing.synthetic import SYNTHETIC_SUITE, make_clip
from sam2_autotrack.video.reader import read_frame


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*", default=list(SYNTHETIC_SUITE))
    parser.add_argument("--frames", type=int, default=60, help="frames per clip")
    parser.add_argument(
        "--max-objects",
        type=int,
        default=8,
        help="objects the selection keeps (the suite's busiest clip has 8 at frame 0)",
    )
    parser.add_argument(
        "--weight-model",
        type=float,
        default=SelectionOptions().weight_model,
        help="weight of the proposal confidence in the selection's objectness",
    )
    args = parser.parse_args(argv)
    backend = LocalBackend()
    options = SelectionOptions(max_objects=args.max_objects, weight_model=args.weight_model)
    rows = []
    print(f"{'clip':18s} {'J':>6s} {'F':>6s} {'J&F':>6s}  objs  notes")
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.clips:
            clip = make_clip(name, frame_count=args.frames)
            files = clip.write(Path(tmp) / name)
            first = read_frame(files.video_path, 0)
            started = time.perf_counter()
            proposals = backend.propose(first, video=files.video_path)
            propose_s = time.perf_counter() - started
            selection = select_objects(
                proposals.masks, scores=proposals.scores, image_rgb=first, options=options
            )
            clicks = clicks_from_selection(selection)
            tracks = backend.track(files.video_path, clicks)
            report = evaluate(tracks.masks, clip.masks)
            rows.append((report.j_mean, report.f_mean, report.jf_mean))
            notes = (
                f"propose {propose_s:.2f}s, track {tracks.info['tracking_fps']} fps, "
                f"{len(proposals)} proposals"
            )
            if report.unmatched_gt:
                notes += f", missed {','.join(report.unmatched_gt)}"
            print(
                f"{name:18s} {report.j_mean:6.3f} {report.f_mean:6.3f} {report.jf_mean:6.3f}"
                f"  {len(selection):4d}  {notes}",
                flush=True,
            )
    mean = np.mean(np.array(rows), axis=0)
    print(f"{'mean':18s} {mean[0]:6.3f} {mean[1]:6.3f} {mean[2]:6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
